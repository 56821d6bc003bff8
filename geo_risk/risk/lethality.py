"""Outcomes: the uniform interface the grid engine calls to get lethality around a source.

Every outcome has

* ``kind`` — ``"toxic"``, ``"pool_fire"``, ``"jet_fire"``, ``"fireball"``, ``"flash_fire"`` or
  ``"vce"``;
* ``directional`` — True when the footprint follows the wind (toxic, flash fire, a VCE centred
  downwind), False when it depends only on r = hypot(dx, dy) (pool fire, jet fire, fireball,
  a VCE centred on the source);
* ``max_distance_m(weather)`` — the distance (m) from the source beyond which the lethality is
  below ``lethality_floor`` (1e-5, UNCONFIRMED project choice), for limiting the grid window;
* ``lethality(dx_downwind_m, dy_crosswind_m, weather)`` — individual lethality in [0, 1] of a
  person **outdoors, unprotected and always present** (the IR convention of GB 36894 §6) at
  ``dx`` m downwind and ``dy`` m crosswind of the source. Vectorised over arrays of any (matching
  or broadcastable) shape; never loops over cells. Rotation of the wind into (dx, dy) is the
  grid engine's job.
* ``flags(weather)`` — caveats to attach to results, e.g. :data:`~geo_risk.risk.dispersion.DENSE_GAS_FLAG`.
* ``effects(dx_downwind_m, dy_crosswind_m, weather, indoor_factors=None)`` — (P_E, FE_in, FE_out):
  the IR lethality above and the societal-risk lethality of a person indoors and outdoors
  (Purple Book Figures 5.2–5.5; :mod:`geo_risk.risk.population`). ``indoor_factors`` overrides
  ``{"toxic": 0.1, "flash_fire": 1.0}`` (the table values).

Lethality rules (``model_constants.csv``): heat — 1 where q ≥ 35 kW/m², else the Tsao & Perry
probit (no 0.14 clothing factor: that belongs to societal risk outdoors); toxic — the substance's
probit over min(release or passage, 30 min); flash fire — 1 inside the LFL footprint;
explosion — the Purple Book 0.3 bar rule by default.

:func:`as_event` wraps an outcome and its frequency as a :class:`geo_risk.risk.grid.Event`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from geo_risk.errors import InvalidInput
from geo_risk.risk.dispersion import (
    Cloud,
    CloudSpec,
    ReachBox,
    air_density_kg_m3,
    check_dense_gas_continuous,
    check_dense_gas_instantaneous,
    cloud_model,
    gas_density_kg_m3,
    reach_box_m,
)
from geo_risk.risk.explosions import (
    DEFAULT_OVERPRESSURE_RULE,
    OVERPRESSURE_RULES,
    kinney_graham_impulse_pa_s,
    kinney_graham_overpressure_pa,
    overpressure_lethality,
    tnt_equivalent_mass_kg,
)
from geo_risk.risk.fires import (
    HeatExposure,
    burgess_burning_rate_kg_m2_s,
    fireball,
    flash_fire_lethality,
    jet_fire,
    lfl_kg_m3,
    mudan_croce_sep_w_m2,
    pool_fire,
    thomas_flame_height_m,
)
from geo_risk.risk.grid import Event
from geo_risk.risk.parameters import (
    ToxicProbit,
    _check_finite,
    _scalar_nonnegative,
    _scalar_positive,
    constant,
)
from geo_risk.risk.probits import (
    heat_lethality,
    mg_m3_to_ppm,
    probability_to_probit,
    probit_to_probability,
    toxic_molar_mass_g_per_mol,
    toxic_probit_from_load,
)
from geo_risk.risk.source_term import pool_evaporation_rate_kg_s
from geo_risk.risk.weather import Weather

__all__ = [
    "OutcomeKind",
    "Outcome",
    "ContinuousRelease",
    "InstantaneousRelease",
    "EvaporatingPool",
    "ToxicCloud",
    "FlashFire",
    "PoolFire",
    "JetFire",
    "Fireball",
    "VapourCloudExplosion",
    "as_event",
]

OutcomeKind = Literal["toxic", "pool_fire", "jet_fire", "fireball", "flash_fire", "vce"]


@runtime_checkable
class Outcome(Protocol):
    """What the grid engine needs from an outcome (see the module docstring)."""

    kind: OutcomeKind

    @property
    def directional(self) -> bool: ...

    def max_distance_m(self, weather: Weather) -> float: ...

    def lethality(self, dx_downwind_m: np.ndarray, dy_crosswind_m: np.ndarray, weather: Weather) -> np.ndarray: ...

    def flags(self, weather: Weather) -> tuple[str, ...]: ...


def _check_source(density: float | None, temperature: float | None) -> None:
    if density is not None:
        _scalar_positive("source cloud density", density, "kg/m³")
    if temperature is not None:
        _scalar_positive("source cloud temperature", temperature, "K")


@dataclass(frozen=True)
class ContinuousRelease:
    """A steady release: ``rate_kg_s`` (kg/s) for ``duration_s`` (s) from ``height_m`` (m) above ground.

    ``source_density_kg_m3`` / ``source_temperature_k``: the released cloud's density (kg/m³; the
    mixture's for a flashing liquid with aerosol, :func:`geo_risk.risk.dense_gas.flashing_source`)
    and temperature (K); None → the pure vapour at the air temperature.
    """

    rate_kg_s: float
    duration_s: float
    height_m: float = 0.0
    source_density_kg_m3: float | None = None
    source_temperature_k: float | None = None

    def __post_init__(self) -> None:
        _scalar_positive("release rate", self.rate_kg_s, "kg/s")
        _scalar_positive("release duration", self.duration_s, "s")
        _scalar_nonnegative("release height", self.height_m, "m")
        _check_source(self.source_density_kg_m3, self.source_temperature_k)


@dataclass(frozen=True)
class InstantaneousRelease:
    """A puff: ``mass_kg`` (kg) released at once from ``height_m`` (m) above ground (source as above)."""

    mass_kg: float
    height_m: float = 0.0
    source_density_kg_m3: float | None = None
    source_temperature_k: float | None = None

    def __post_init__(self) -> None:
        _scalar_positive("released mass", self.mass_kg, "kg")
        _scalar_nonnegative("release height", self.height_m, "m")
        _check_source(self.source_density_kg_m3, self.source_temperature_k)


@dataclass(frozen=True)
class EvaporatingPool:
    """A continuous release from a liquid pool whose rate depends on the weather (model 2.4.0).

    Mackay & Matsugu (:func:`geo_risk.risk.source_term.pool_evaporation_rate_kg_s`) at each weather
    class's own 10 m wind: the rate ∝ u^(7/9), so F1.5 evaporates 0.39 × and D9 1.58 × what D5 does.
    ``pool_diameter_m`` (m), ``vapour_pressure_pa`` (Pa, below the ambient pressure),
    ``molar_mass_g_per_mol``, ``liquid_temperature_k`` (K), ``mass_kg`` (kg in the pool; the release
    lasts min(mass / rate, ``max_duration_s``) s), ``height_m`` and the source cloud as
    :class:`ContinuousRelease`. :meth:`at` gives the steady release of one weather class.
    """

    pool_diameter_m: float
    vapour_pressure_pa: float
    molar_mass_g_per_mol: float
    liquid_temperature_k: float
    mass_kg: float
    max_duration_s: float
    height_m: float = 0.0
    source_density_kg_m3: float | None = None
    source_temperature_k: float | None = None

    def __post_init__(self) -> None:
        _scalar_positive("pool diameter", self.pool_diameter_m, "m")
        _scalar_positive("vapour pressure", self.vapour_pressure_pa, "Pa")
        _scalar_positive("molar mass", self.molar_mass_g_per_mol, "g/mol")
        _scalar_positive("liquid temperature", self.liquid_temperature_k, "K")
        _scalar_positive("pool mass", self.mass_kg, "kg")
        _scalar_positive("largest release duration", self.max_duration_s, "s")
        _scalar_nonnegative("release height", self.height_m, "m")
        _check_source(self.source_density_kg_m3, self.source_temperature_k)

    def rate_kg_s(self, wind_speed_10m_m_s: float) -> float:
        """Evaporation rate (kg/s) at a 10 m wind of ``wind_speed_10m_m_s`` (m/s)."""
        return pool_evaporation_rate_kg_s(self.pool_diameter_m, self.vapour_pressure_pa,
                                          self.molar_mass_g_per_mol / 1000.0, self.liquid_temperature_k,
                                          wind_speed_10m_m_s)

    def at(self, weather: Weather) -> ContinuousRelease:
        """The steady release in ``weather``: its wind's rate for min(mass / rate, max duration)."""
        return _pool_release(self, float(weather.wind_speed_10m_m_s))


@lru_cache(maxsize=32768)
def _pool_release(pool: EvaporatingPool, wind_speed_10m_m_s: float) -> ContinuousRelease:
    rate = pool.rate_kg_s(wind_speed_10m_m_s)
    return ContinuousRelease(rate, min(pool.mass_kg / rate, pool.max_duration_s), pool.height_m,
                             pool.source_density_kg_m3, pool.source_temperature_k)


Release = ContinuousRelease | InstantaneousRelease | EvaporatingPool


def _in_weather(release: Release, weather: Weather) -> ContinuousRelease | InstantaneousRelease:
    """The release as it is in ``weather`` (an evaporating pool's rate follows the wind)."""
    return release.at(weather) if isinstance(release, EvaporatingPool) else release


def _check_weather(weather: object) -> Weather:
    if not isinstance(weather, Weather):
        raise InvalidInput(
            f"weather must be a geo_risk.risk.weather.Weather (stability, 10 m wind, terrain, air temperature); "
            f"got {type(weather).__name__}"
        )
    return weather


def _dxdy(dx: object, dy: object) -> tuple[np.ndarray, np.ndarray]:
    x = _check_finite("downwind distance dx", dx, "m")
    y = _check_finite("crosswind distance dy", dy, "m")
    return np.broadcast_arrays(x, y)


def _floor() -> float:
    return constant("lethality_floor")


#: How the directional outcomes' reach boxes are sampled (:func:`geo_risk.risk.dispersion.reach_box_m`):
#: every outcome is symmetric about the wind axis (tests/risk/test_lethality.py), and blocks of
#: ``coarse`` radii × angles are refined only across the region's edge. The fast box contains the
#: brute-force one on the package's outcomes (tests/risk/test_reach_box_fast.py).
FAST_BOX: dict[str, Any] = {"symmetric": True, "coarse": 8}


@lru_cache(maxsize=32768)
def _cached_box(outcome: Outcome, weather: Weather) -> ReachBox:
    return outcome._box(weather)  # type: ignore[attr-defined]


def _cached_reach(outcome: Outcome, weather: Weather) -> float:
    return _cached_box(outcome, weather).reach


@lru_cache(maxsize=32768)
def _envelope(outcome: Outcome, weather: Weather) -> tuple[np.ndarray, np.ndarray]:
    """(radii m, bound): an upper bound of the outcome's lethality at distance ≥ each radius.

    From the polar samples of the reach (largest value over every sampled direction at each
    radius), made non-increasing outwards and given one radial step of slack (the bound at r_i is
    the largest sample at r_{i-1} or beyond).
    """
    w = _check_weather(weather)
    box = _cached_box(outcome, w)
    lethal = np.clip(np.asarray(outcome._peak_lethality(box.peak, w), dtype=float), 0.0, 1.0)  # type: ignore[attr-defined]
    bound = np.maximum.accumulate(lethal[::-1])[::-1]
    bound[1:] = bound[:-1].copy()
    bound.flags.writeable = False  # cached: shared by every caller
    shift = getattr(outcome, "centre_downwind_m", 0.0)
    return (box.radii if shift == 0 else box.radii + shift), bound


def _footprint(outcome: Outcome, weather: Weather) -> tuple[float, float, float]:
    box = _cached_box(outcome, _check_weather(weather))
    return box.down_min, box.down_max, box.cross_max


def _cloud(
    release: Release, molar_mass: float, cloud_temperature_k: float | None, mode: str, terrain: str | None,
    weather: Weather,
) -> Cloud:
    """The dispersion model of ``release`` (:func:`geo_risk.risk.dispersion.cloud_model`, cached)."""
    release = _in_weather(release, weather)
    t_s = release.source_temperature_k if release.source_temperature_k is not None else cloud_temperature_k
    if isinstance(release, ContinuousRelease):
        spec = CloudSpec(False, release.rate_kg_s, release.duration_s, release.height_m, molar_mass,
                         release.source_density_kg_m3, t_s, mode, terrain)
    else:
        spec = CloudSpec(True, release.mass_kg, math.inf, release.height_m, molar_mass,
                         release.source_density_kg_m3, t_s, mode, terrain)
    return cloud_model(spec, weather)


def _dispersion_flags(
    release: Release, molar_mass: float, cloud_temperature_k: float | None, mode: str, terrain: str | None,
    weather: Weather, reach_m: float,
) -> tuple[str, ...]:
    """What the dispersion model says about itself: the dense-gas model (or the passive approximation of
    a dense release, :data:`DENSE_GAS_FLAG`) and the distance limit when it bounds the reach."""
    cloud = _cloud(release, molar_mass, cloud_temperature_k, mode, terrain, weather)
    out: list[str] = []
    if cloud.model.startswith("dense"):
        out.append(cloud.statement())
    else:
        out += _dense_flags(release, molar_mass, cloud_temperature_k, weather)
    if reach_m >= 0.98 * cloud.limit_m:
        out.append(f"reach limited to {cloud.limit_reason}")
    return tuple(out)


def _dense_flags(
    release: Release, molar_mass: float, cloud_temperature_k: float | None, weather: Weather
) -> tuple[str, ...]:
    release = _in_weather(release, weather)
    t_cloud = weather.air_temperature_k if cloud_temperature_k is None else cloud_temperature_k
    if release.source_temperature_k is not None:
        t_cloud = release.source_temperature_k
    rho = gas_density_kg_m3(molar_mass, t_cloud, weather.air_pressure_pa)
    if release.source_density_kg_m3 is not None:
        rho = release.source_density_kg_m3
    rho_a = air_density_kg_m3(weather.air_temperature_k, weather.air_pressure_pa)
    if isinstance(release, ContinuousRelease):
        check = check_dense_gas_continuous(release.rate_kg_s, rho, rho_a, weather.wind_speed_10m_m_s)
    else:
        check = check_dense_gas_instantaneous(release.mass_kg, rho, rho_a, weather.wind_speed_10m_m_s)
    return (check.flag,) if check.flag else ()


def _indoor_factor(kind: str, indoor_factors: Mapping[str, float] | None) -> float:
    """FE_in / FE_out of a toxic cloud or a flash fire: the run's setting, else the table's value."""
    from geo_risk.risk.population import population_constant

    if indoor_factors is not None and kind in indoor_factors:
        return float(indoor_factors[kind])
    return population_constant("toxic_indoor_factor" if kind == "toxic" else "flash_fire_indoor_factor")


# -- toxic ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToxicCloud:
    """A toxic plume (continuous release) or puff (instantaneous release), passive Gaussian.

    Attributes
    ----------
    probit : ToxicProbit
        From :func:`geo_risk.risk.parameters.toxic_probit_constants` — Set A (mg/m³·min) or Set B
        (ppm·min); the concentration is converted to the probit's unit before the power n.
    release : ContinuousRelease, InstantaneousRelease or EvaporatingPool (its rate per weather class)
    molar_mass_g_per_mol : float, optional
        For the ppm conversion and the dense-gas check; default: from ``geo_risk/chemicals``.
    cloud_temperature_k : float, optional
        Cloud temperature for the dense-gas check (K); default the release's source temperature,
        else the air temperature.
    dispersion : {"auto", "passive"}
        ``"auto"`` (default): Britter–McQuaid near the source when the release is dense, a bounded
        passive Gaussian otherwise (:func:`geo_risk.risk.dispersion.cloud_model`); ``"passive"``:
        the passive Gaussian even for a dense release (flagged :data:`DENSE_GAS_FLAG`).
    terrain : {"rural", "urban"}, optional
        Briggs set of the passive parts, chosen from the land use around the source; None → the
        weather's.

    Exposure: a plume for min(release duration, 30 min); a puff over at most 30 min of its
    passage. Receptor at ``receptor_height`` (1 m, UNCONFIRMED). Nothing beyond the distance
    limit of the weather class (:func:`geo_risk.risk.dispersion.distance_limit_m`).
    """

    probit: ToxicProbit
    release: Release
    molar_mass_g_per_mol: float | None = None
    cloud_temperature_k: float | None = None
    dispersion: str = "auto"
    terrain: str | None = None
    kind: OutcomeKind = field(default="toxic", init=False)

    @property
    def directional(self) -> bool:
        return True

    def _molar_mass(self) -> float:
        if self.molar_mass_g_per_mol is not None:
            return _scalar_positive("molar mass", self.molar_mass_g_per_mol, "g/mol")
        return toxic_molar_mass_g_per_mol(self.probit)

    def _scale(self) -> float:
        """kg/m³ → the probit's concentration unit."""
        if self.probit.concentration_unit == "mg/m3":
            return 1e6
        return float(mg_m3_to_ppm(1e6, self._molar_mass()))

    def toxic_load(self, dx_downwind_m: np.ndarray, dy_crosswind_m: np.ndarray, weather: Weather) -> np.ndarray:
        """Toxic load ∫Cⁿ dt at the receptors, in the probit's unit^n·min."""
        w = _check_weather(weather)
        x, y = _dxdy(dx_downwind_m, dy_crosswind_m)
        cloud = _cloud(self.release, self._molar_mass(), self.cloud_temperature_k, self.dispersion, self.terrain, w)
        return cloud.toxic_load(x, y, self.probit.n, self._scale(), constant("toxic_exposure_cap")) / 60.0

    def lethality(self, dx_downwind_m: np.ndarray, dy_crosswind_m: np.ndarray, weather: Weather) -> np.ndarray:
        """Φ(a + b ln L − 5) with L the toxic load; in [0, 1]."""
        return probit_to_probability(
            toxic_probit_from_load(self.probit, self.toxic_load(dx_downwind_m, dy_crosswind_m, weather))
        )

    def effects(
        self, dx_downwind_m: np.ndarray, dy_crosswind_m: np.ndarray, weather: Weather,
        indoor_factors: Mapping[str, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(P_E, FE_in, FE_out): P, ``toxic_indoor_factor`` · P (0.1, PB Figure 5.2), P."""
        p = self.lethality(dx_downwind_m, dy_crosswind_m, weather)
        return p, _indoor_factor("toxic", indoor_factors) * p, p

    def _box(self, weather: Weather) -> ReachBox:
        pr = float(probability_to_probit(_floor()))
        load_threshold = math.exp((pr - self.probit.a) / self.probit.b)
        return reach_box_m(lambda dx, dy: self.toxic_load(dx, dy, weather), load_threshold, **FAST_BOX)

    def _peak_lethality(self, peak_load: np.ndarray, weather: Weather) -> np.ndarray:
        return probit_to_probability(toxic_probit_from_load(self.probit, peak_load))

    def max_distance_m(self, weather: Weather) -> float:
        """Distance (m) beyond which the lethality is below ``lethality_floor``."""
        return _cached_reach(self, _check_weather(weather))

    def flags(self, weather: Weather) -> tuple[str, ...]:
        """The dense-gas model used (or :data:`DENSE_GAS_FLAG` in passive mode) and a binding distance limit."""
        w = _check_weather(weather)
        return _dispersion_flags(self.release, self._molar_mass(), self.cloud_temperature_k, self.dispersion,
                                 self.terrain, w, self.max_distance_m(w))


# -- flash fire -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlashFire:
    """Delayed ignition of the dispersed cloud: lethality 1 inside the LFL footprint (UNCONFIRMED rule).

    ``lfl_vol_pct`` (vol %) and ``molar_mass_g_per_mol`` (g/mol) give the LFL in kg/m³ at the air
    temperature. The footprint is the plume concentration (continuous) or the puff's peak
    concentration as it passes (instantaneous) at ``receptor_height``.
    """

    release: Release
    lfl_vol_pct: float
    molar_mass_g_per_mol: float
    cloud_temperature_k: float | None = None
    dispersion: str = "auto"
    terrain: str | None = None
    kind: OutcomeKind = field(default="flash_fire", init=False)

    @property
    def directional(self) -> bool:
        return True

    def concentration_kg_m3(
        self, dx_downwind_m: np.ndarray, dy_crosswind_m: np.ndarray, weather: Weather
    ) -> np.ndarray:
        """Concentration (kg/m³) of the footprint: plume, or the largest of the passing puff (as ToxicCloud)."""
        w = _check_weather(weather)
        x, y = _dxdy(dx_downwind_m, dy_crosswind_m)
        cloud = _cloud(self.release, self.molar_mass_g_per_mol, self.cloud_temperature_k, self.dispersion,
                       self.terrain, w)
        return cloud.concentration_kg_m3(x, y)

    def _lfl(self, weather: Weather) -> float:
        return lfl_kg_m3(
            self.lfl_vol_pct, self.molar_mass_g_per_mol, weather.air_temperature_k, weather.air_pressure_pa
        )

    def lethality(self, dx_downwind_m: np.ndarray, dy_crosswind_m: np.ndarray, weather: Weather) -> np.ndarray:
        """1 inside the LFL footprint, 0 outside."""
        return flash_fire_lethality(
            self.concentration_kg_m3(dx_downwind_m, dy_crosswind_m, weather), self._lfl(weather)
        )

    def effects(
        self, dx_downwind_m: np.ndarray, dy_crosswind_m: np.ndarray, weather: Weather,
        indoor_factors: Mapping[str, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(P_E, FE_in, FE_out): 1 inside the envelope outdoors; indoors × ``flash_fire_indoor_factor``
        (UNCONFIRMED: 1 in the PB transcription, 0 in common recollection)."""
        p = self.lethality(dx_downwind_m, dy_crosswind_m, weather)
        return p, _indoor_factor("flash_fire", indoor_factors) * p, p

    def _box(self, weather: Weather) -> ReachBox:
        limit = self._lfl(weather) * constant("flash_fire_lfl_fraction")
        return reach_box_m(lambda dx, dy: self.concentration_kg_m3(dx, dy, weather), limit, **FAST_BOX)

    def _peak_lethality(self, peak_concentration: np.ndarray, weather: Weather) -> np.ndarray:
        return flash_fire_lethality(peak_concentration, self._lfl(weather))

    def max_distance_m(self, weather: Weather) -> float:
        """Largest distance (m) of the LFL footprint."""
        return _cached_reach(self, _check_weather(weather))

    def flags(self, weather: Weather) -> tuple[str, ...]:
        """The dense-gas model used (or :data:`DENSE_GAS_FLAG` in passive mode) and a binding distance limit."""
        w = _check_weather(weather)
        return _dispersion_flags(self.release, self.molar_mass_g_per_mol, self.cloud_temperature_k, self.dispersion,
                                 self.terrain, w, self.max_distance_m(w))


# -- omnidirectional heat outcomes ----------------------------------------------------------------


class _Omnidirectional:
    """Shared machinery of outcomes that depend only on r = hypot(dx, dy)."""

    kind: OutcomeKind
    heat_model: str = "tsao_perry"

    @property
    def directional(self) -> bool:
        return False

    def _exposure(self, r: np.ndarray) -> HeatExposure:
        raise NotImplementedError  # pragma: no cover

    def lethality_at_radius(self, r_m: np.ndarray) -> np.ndarray:
        """Lethality (0..1) at distances ``r_m`` (m) from the source."""
        exp = self._exposure(r_m)
        p = heat_lethality(exp.heat_flux_w_m2, exp.exposure_s, self.heat_model, protection="unprotected")
        return np.where(exp.engulfed, 1.0, p)

    def lethality(self, dx_downwind_m: np.ndarray, dy_crosswind_m: np.ndarray, weather: Weather) -> np.ndarray:
        """Lethality (0..1) at r = hypot(dx, dy); independent of the weather."""
        _check_weather(weather)
        x, y = _dxdy(dx_downwind_m, dy_crosswind_m)
        return self.lethality_at_radius(np.hypot(x, y))

    def effects(
        self, dx_downwind_m: np.ndarray, dy_crosswind_m: np.ndarray, weather: Weather,
        indoor_factors: Mapping[str, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(P_E, FE_in, FE_out) at r = hypot(dx, dy) (PB Figure 5.4): engulfed or q ≥ 35 kW/m² → 1, 1, 1;
        below, P_heat, 0 indoors and 0.14 · P_heat outdoors (clothing)."""
        _check_weather(weather)
        x, y = _dxdy(dx_downwind_m, dy_crosswind_m)
        exp = self._exposure(np.hypot(x, y))
        q, t = exp.heat_flux_w_m2, exp.exposure_s
        p_e = np.where(exp.engulfed, 1.0, heat_lethality(q, t, self.heat_model, protection="unprotected"))
        fe_in = np.where(exp.engulfed, 1.0, heat_lethality(q, t, self.heat_model, protection="indoor"))
        fe_out = np.where(exp.engulfed, 1.0, heat_lethality(q, t, self.heat_model, protection="outdoor_clothed"))
        return p_e, fe_in, fe_out

    def _box(self, weather: Weather) -> ReachBox:
        return reach_box_m(lambda dx, dy: self.lethality_at_radius(np.hypot(dx, dy)), _floor(), directional=False)

    def _peak_lethality(self, peak: np.ndarray, weather: Weather) -> np.ndarray:
        return peak  # the sampled field is the lethality itself

    def max_distance_m(self, weather: Weather) -> float:
        """Distance (m) beyond which the lethality is below ``lethality_floor``."""
        return _cached_reach(self, _check_weather(weather))  # type: ignore[arg-type]

    def flags(self, weather: Weather) -> tuple[str, ...]:
        """No caveats."""
        return ()


@dataclass(frozen=True)
class PoolFire(_Omnidirectional):
    """Pool fire of diameter ``pool_diameter_m`` (m): solid flame, planar view factor (fires.pool_fire).

    ``flame_height_m`` (m), ``sep_w_m2`` (W/m²), ``duration_s`` (s, burn time; exposure capped at
    20 s). Use :meth:`from_properties` to derive them from Burgess / Thomas / Mudan & Croce.
    """

    pool_diameter_m: float
    flame_height_m: float
    sep_w_m2: float
    duration_s: float = math.inf
    transmissivity: float | None = None
    heat_model: str = "tsao_perry"
    kind: OutcomeKind = field(default="pool_fire", init=False)

    @classmethod
    def from_properties(
        cls,
        pool_diameter_m: float,
        heat_of_combustion_j_kg: float,
        heat_of_vaporisation_j_kg: float,
        liquid_heat_capacity_j_kg_k: float,
        boiling_point_k: float,
        weather_air_temperature_k: float = 293.15,
        pool_mass_kg: float | None = None,
    ) -> PoolFire:
        """Pool fire from substance properties (J/kg, J/(kg·K), K); burn time from ``pool_mass_kg`` if given."""
        m2 = burgess_burning_rate_kg_m2_s(
            heat_of_combustion_j_kg, heat_of_vaporisation_j_kg, liquid_heat_capacity_j_kg_k, boiling_point_k,
            weather_air_temperature_k,
        )  # fmt: skip
        rho_a = air_density_kg_m3(weather_air_temperature_k)
        height = thomas_flame_height_m(pool_diameter_m, m2, rho_a)
        area = math.pi * pool_diameter_m**2 / 4.0
        duration = math.inf if pool_mass_kg is None else _scalar_positive("pool mass", pool_mass_kg, "kg") / (m2 * area)
        return cls(pool_diameter_m, height, mudan_croce_sep_w_m2(pool_diameter_m), duration)

    def _exposure(self, r: np.ndarray) -> HeatExposure:
        return pool_fire(
            r, self.pool_diameter_m, self.flame_height_m, self.sep_w_m2, self.duration_s, self.transmissivity
        )


@dataclass(frozen=True)
class JetFire(_Omnidirectional):
    """Jet fire, API 521 point source: ``mass_rate_kg_s`` (kg/s) of fuel with ``heat_of_combustion_j_kg``.

    The jet direction is unknown at screening level, so the footprint is a circle (conservative
    for every direction but the jet's).
    """

    mass_rate_kg_s: float
    heat_of_combustion_j_kg: float
    radiative_fraction: float | None = None
    duration_s: float = math.inf
    transmissivity: float | None = None
    heat_model: str = "tsao_perry"
    kind: OutcomeKind = field(default="jet_fire", init=False)

    def _exposure(self, r: np.ndarray) -> HeatExposure:
        return jet_fire(
            r, self.mass_rate_kg_s, self.heat_of_combustion_j_kg, self.radiative_fraction, self.duration_s,
            self.transmissivity,
        )  # fmt: skip


@dataclass(frozen=True)
class Fireball(_Omnidirectional):
    """BLEVE fireball of ``mass_kg`` (kg) of fuel; SEP ``sep_w_m2`` in the 200–350 kW/m² band (default 350)."""

    mass_kg: float
    sep_w_m2: float | None = None
    transmissivity: float | None = None
    heat_model: str = "tsao_perry"
    kind: OutcomeKind = field(default="fireball", init=False)

    def _exposure(self, r: np.ndarray) -> HeatExposure:
        return fireball(r, self.mass_kg, self.sep_w_m2, self.transmissivity)


# -- explosion ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VapourCloudExplosion:
    """VCE by TNT equivalence, centred ``centre_downwind_m`` (m) downwind of the source (default 0).

    ``tnt_mass_kg`` (kg; see :meth:`from_flammable_mass`); ``rule`` the overpressure lethality rule
    (default Purple Book outdoor, 0.3 bar → 1). Omnidirectional when centred on the source.
    """

    tnt_mass_kg: float
    centre_downwind_m: float = 0.0
    rule: str = DEFAULT_OVERPRESSURE_RULE
    kind: OutcomeKind = field(default="vce", init=False)

    def __post_init__(self) -> None:
        _scalar_positive("TNT mass", self.tnt_mass_kg, "kg")
        _scalar_nonnegative("explosion centre offset", self.centre_downwind_m, "m")
        if self.rule not in OVERPRESSURE_RULES:
            raise InvalidInput(
                f"unknown overpressure lethality rule {self.rule!r}; valid: {', '.join(OVERPRESSURE_RULES)}"
            )

    @classmethod
    def from_flammable_mass(
        cls,
        flammable_mass_kg: float,
        heat_of_combustion_j_kg: float,
        yield_factor: float | None = None,
        centre_downwind_m: float = 0.0,
        rule: str = DEFAULT_OVERPRESSURE_RULE,
    ) -> VapourCloudExplosion:
        """From the flammable mass (kg) and heat of combustion (J/kg), yield default 0.04."""
        return cls(
            tnt_equivalent_mass_kg(flammable_mass_kg, heat_of_combustion_j_kg, yield_factor), centre_downwind_m, rule
        )

    @property
    def directional(self) -> bool:
        return self.centre_downwind_m > 0

    def lethality_at_radius(self, r_m: np.ndarray, ambient_pressure_pa: float = 101325.0) -> np.ndarray:
        """Lethality (0..1) at distances ``r_m`` (m) from the explosion centre."""
        p = kinney_graham_overpressure_pa(r_m, self.tnt_mass_kg, ambient_pressure_pa)
        impulse = kinney_graham_impulse_pa_s(r_m, self.tnt_mass_kg) if self.rule.startswith("tno_") else None
        return overpressure_lethality(p, self.rule, impulse)

    def lethality(self, dx_downwind_m: np.ndarray, dy_crosswind_m: np.ndarray, weather: Weather) -> np.ndarray:
        """Lethality (0..1) at hypot(dx − centre, dy)."""
        w = _check_weather(weather)
        x, y = _dxdy(dx_downwind_m, dy_crosswind_m)
        return self.lethality_at_radius(np.hypot(x - self.centre_downwind_m, y), w.air_pressure_pa)

    def effects(
        self, dx_downwind_m: np.ndarray, dy_crosswind_m: np.ndarray, weather: Weather,
        indoor_factors: Mapping[str, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(P_E, FE_in, FE_out): outdoors the run's rule; indoors the PB rule (PB Figure 5.5): 1 at
        ≥ 0.3 bar, 0.025 from 0.1 bar (collapsing buildings: worse than outdoors), else 0."""
        w = _check_weather(weather)
        x, y = _dxdy(dx_downwind_m, dy_crosswind_m)
        r = np.hypot(x - self.centre_downwind_m, y)
        p_e = self.lethality_at_radius(r, w.air_pressure_pa)
        fe_in = overpressure_lethality(kinney_graham_overpressure_pa(r, self.tnt_mass_kg, w.air_pressure_pa),
                                       "purple_book_indoor")
        return p_e, fe_in, p_e

    def _box(self, weather: Weather) -> ReachBox:
        """Around the explosion centre, ``c`` downwind: radii and peaks are relative to the centre.

        The reach covers the indoor lethality too (PB: 0.025 indoors from 0.1 bar, beyond the
        outdoor rule's 0.3 bar), so that societal risk sees the people indoors in that band."""

        def any_lethality(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
            r = np.hypot(dx, dy)
            indoor = overpressure_lethality(
                kinney_graham_overpressure_pa(r, self.tnt_mass_kg, weather.air_pressure_pa), "purple_book_indoor")
            return np.maximum(self.lethality_at_radius(r, weather.air_pressure_pa), indoor)

        around = reach_box_m(any_lethality, _floor(), directional=False)
        outdoor = reach_box_m(lambda dx, dy: self.lethality_at_radius(np.hypot(dx, dy), weather.air_pressure_pa),
                              _floor(), directional=False)
        # the reach of every effect, the peaks (envelope bounding the IR grid) of the IR lethality alone
        around = ReachBox(around.reach, around.down_min, around.down_max, around.cross_max, outdoor.radii,
                          outdoor.peak)
        if around.reach <= 0:
            return around
        c, radius = self.centre_downwind_m, around.reach
        return ReachBox(radius + c, c - radius, c + radius, radius, around.radii, around.peak)

    def _peak_lethality(self, peak: np.ndarray, weather: Weather) -> np.ndarray:
        return peak

    def max_distance_m(self, weather: Weather) -> float:
        """Distance (m) from the source beyond which the lethality is below ``lethality_floor``."""
        return _cached_reach(self, _check_weather(weather))

    def flags(self, weather: Weather) -> tuple[str, ...]:
        """No caveats."""
        return ()


def as_event(outcome: Outcome, frequency_per_year: float, name: str = "") -> Event:
    """Wrap ``outcome`` with its frequency (per year) as a :class:`geo_risk.risk.grid.Event`."""
    f = _scalar_nonnegative("event frequency", frequency_per_year, "per year")
    footprint = (lambda weather: _footprint(outcome, weather)) if outcome.directional else None
    return Event(
        f, outcome.lethality, outcome.max_distance_m, directional=outcome.directional, name=name or outcome.kind,
        footprint_m=footprint, envelope_m=lambda weather: _envelope(outcome, weather),
        effects=getattr(outcome, "effects", None), kind=str(outcome.kind),
        symmetric=True,  # every outcome is symmetric about the wind axis (tests/risk/test_lethality.py)
    )
