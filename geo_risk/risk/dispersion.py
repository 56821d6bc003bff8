"""Passive Gaussian dispersion: Briggs plume σ, CCPS puff σ, wind profile, plume, puff, dose, reach.

Coordinates: x downwind from the source (m), y crosswind (m), z height above ground (m). The
source is at (0, 0, h). Concentrations are in **kg/m³**; rates in kg/s, masses in kg, wind in m/s,
times in s. Every function is vectorised (numpy broadcasting over x, y, z) and returns 0 upwind
(x ≤ 0).

Models (qra-method.md §4–§5):

* **Plume** (continuous release, C2):
  c = Q / (2π u σy σz) · exp(−y²/2σy²) · [exp(−(z−h)²/2σz²) + exp(−(z+h)²/2σz²)].
  σy, σz: Briggs (1973) rural or urban (``briggs_sigma.csv``; urban E–F σz with 0.0015). The
  fits are for about 100 m – 10 km; they are extrapolated below and above, as usual in QRA.
* **Puff** (instantaneous release): c = M / ((2π)^{3/2} σx σy σz) · exp(−(x−ut)²/2σx²) ·
  exp(−y²/2σy²) · [same two reflection terms], with the **CCPS puff σ set** (σx = σy = a·x^b,
  σz = a·x^b; ``puff_sigma.csv``, C1 — AIChE/CCPS 1999 as coded in GasDispersion.jl), evaluated
  at the distance travelled by the puff centre. The CCPS puff set has no urban variant.
* **Dose of a passing puff** at a receptor: closed forms of ∫c dt and ∫cⁿ dt with the σ frozen at
  the receptor's downwind distance while the puff passes (the usual approximation), optionally
  over a window of given length centred on the peak (the 30 min toxic cap).
* **Wind profile**: u(z) = u₁₀ (z / 10 m)^p, Irwin exponents (``wind_profile_exponents.csv``).
* **Reach**: :func:`max_reach_m` — the largest distance from the source at which a field reaches
  a threshold, for limiting each outcome's grid window.

Bounded clouds (issue 13)
-------------------------
:func:`cloud_model` is what the outcomes call. It picks, per release and weather:

* **Dense gas** (Britter–McQuaid criterion at the source, :mod:`geo_risk.risk.dense_gas`): the
  Britter–McQuaid plume or puff near the source, then a passive Gaussian from a virtual source
  that matches the concentration at the transition x_t. A continuous release of duration t_d
  (model 2.5.0, docs/standards/dense-gas-and-puffs.md §1.2a) is the steady plume where
  r = u10·t_d/d ≥ 2.5 (C1), d the receptor's distance from the source; the lower of the steady
  plume and the puff of its whole mass where r ≤ 0.6 (UNCONFIRMED; both bound a finite release
  from above); log-linear in r between (CHOICE): continuous, and non-decreasing in the rate at a
  fixed duration. The plume's top-hat is no wider than R(t_d + x/u10) and reaches no farther
  upwind than the rear of the puff of the whole mass while the release lasts (its gravity
  spreading, R² = R0² + 1.2 √(g0′V0) t; CHOICE): a 10-minute release cannot build the steady
  state's kilometres of width and upwind extent. (Before 2.5.0 the criterion also took the
  plume's half-width, which made a larger rate switch to the puff everywhere: the flammable
  reach of a dense plume fell as the rate rose.)
* **The toxic load of a dense puff beyond x_t** (model 2.6.0, dense-gas-and-puffs.md §1.7c, CHOICE):
  the passive puff that carries it on has the along-wind σx whose Gaussian passage gives the dense
  cloud's load ∫cⁿ dt at x_t (same peak), and σy·σz that give the centreline concentration c_t with
  the whole mass; each σ grows from its own virtual distance. Continuous at x_t and non-increasing
  downwind (n ≥ 1). (Before 2.6.0 the one virtual source of the concentration match set σx too:
  100 t of flashing ammonia in F1.5 had σx = 1.65 km at x_t, a passage 3.8× the dense cloud's, and
  its lethality rose from 0.06 to 0.41 across x_t.)
* **Passive puff with a finite initial volume** V0 = M/c_s (c_s the source concentration, kg/m³):
  σ0 = (2V0/(2π)^{3/2})^{1/3} so that the ground-level peak starts at c_s, each σ from its own
  virtual source σ_i(x + x_vi) (docs/standards/dense-gas-and-puffs.md §2.1, a derived project choice), along-wind spread
  σx = max(CCPS σy, 0.13·x + σ0) (Yellow Book σx, C1), and c ≤ c_s as a guard.
* **Passive plume**: the Briggs Gaussian, c ≤ c_s.
* A **distance limit** per weather class: nothing beyond min(10 km, u·1 h) (Briggs validity C2;
  one hour of one weather class, project choice), stated in the flags when it bounds a reach.
* The **terrain** (Briggs rural or urban) is the outcome's, chosen from the land use around the
  source by :func:`terrain_from_built_up_fraction` when the caller gives it, else the weather's.

The legacy point-source functions stay (``initial_volume_m3=0`` is a point puff) for the
published test vectors. :data:`DENSE_GAS_FLAG` still labels a dense release computed with the
passive model (``dispersion="passive"``).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import NamedTuple

import numpy as np
from scipy.special import erf

from geo_risk.errors import InvalidInput
from geo_risk.risk.parameters import (
    STATUSES,
    Constant,
    _check_finite,
    _check_nonnegative,
    _check_stability,
    _scalar_nonnegative,
    _scalar_positive,
    briggs_coefficients,
    constant,
    puff_sigma_coefficients,
    wind_profile_exponent,
)
from geo_risk.risk.weather import Weather

__all__ = [
    "DENSE_GAS_FLAG",
    "FAR_FIELD_CHOICE",
    "FINITE_RELEASE_RULE",
    "PUFF_LOAD_MATCH",
    "DenseGasCheck",
    "briggs_sigma_y_m",
    "briggs_sigma_z_m",
    "puff_sigmas_m",
    "wind_speed_at_height_m_s",
    "advection_speed_m_s",
    "plume_concentration_kg_m3",
    "puff_concentration_kg_m3",
    "puff_peak_concentration_kg_m3",
    "puff_dose",
    "max_reach_m",
    "reach_box_m",
    "ReachBox",
    "air_density_kg_m3",
    "gas_density_kg_m3",
    "check_dense_gas_continuous",
    "check_dense_gas_instantaneous",
    "DISPERSION_CONSTANTS_FILE",
    "dispersion_constant",
    "dispersion_constants",
    "finite_puff_initial_sigma_m",
    "CloudSpec",
    "Cloud",
    "cloud_model",
    "distance_limit_m",
    "TerrainChoice",
    "terrain_from_built_up_fraction",
    "terrain_by_land_use",
]

DENSE_GAS_FLAG = "passive-Gaussian approximation (dense gas)"

#: The far-field choice of a dense cloud, as stated on its outputs (docs/standards/dense-gas-and-puffs.md
#: §1.7a): beyond the transition the stability returns; in stable weather the Gaussian decays more slowly
#: than the Britter–McQuaid x⁻² tail, so a large release can stay lethal to the travel limit (85 t of
#: chlorine over 10 min, F1.5: 50 % lethality to the 5.4 km limit; with the x⁻² tail alone 2.0 km).
FAR_FIELD_CHOICE = ("qra-fidelity §1.7: stability returns beyond the transition — in F/E weather slower "
                    "than the Britter–McQuaid x⁻² tail, so a large release may stay lethal to the travel limit")
#: The finite-release rule of a dense plume (model 2.5.0, docs/standards/dense-gas-and-puffs.md §1.2a), as stated on
#: its outputs: continuous and non-decreasing in the rate at a fixed duration.
FINITE_RELEASE_RULE = ("a dense release of duration t_d: the steady plume where u10·t_d/d ≥ 2.5 (C1), the lower of it "
                       "and the puff of the whole release where ≤ 0.6 (UNCONFIRMED), log-linear in u10·t_d/d between "
                       "(CHOICE); d the receptor's distance from the source; the plume's top-hat no wider and no "
                       "farther upwind than the whole release spreads as a Britter–McQuaid puff (CHOICE)")
#: The toxic load of a dense puff at its passive handover (model 2.6.0, docs/standards/dense-gas-and-puffs.md §1.7c),
#: as stated on its outputs: continuous at x_t and non-increasing downwind on the axis.
PUFF_LOAD_MATCH = ("a dense puff's toxic load beyond the transition: the passive puff of the whole mass whose "
                   "along-wind sigma gives the dense cloud's load at x_t and whose sigma_y·sigma_z gives its "
                   "centreline concentration, each sigma grown from its own virtual distance (CHOICE): the load "
                   "is continuous at x_t and non-increasing downwind")
_REACH_MIN_M = 0.1
DISPERSION_CONSTANTS_FILE = "dispersion_constants.csv"


@cache
def _dispersion_constants() -> dict[str, Constant]:
    text = resources.files("geo_risk.risk").joinpath("data").joinpath(DISPERSION_CONSTANTS_FILE).read_text("utf-8")
    out: dict[str, Constant] = {}
    for i, r in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        if None in r or any(v is None for v in r.values()) or r["status"] not in STATUSES:
            raise InvalidInput(f"geo_risk/risk/data/{DISPERSION_CONSTANTS_FILE} line {i}: malformed row")
        out[r["key"]] = Constant(
            r["key"], float(r["value"]), r["unit"], r["source"], r["reference"], r["status"], r["note"], r["version"]
        )
    return out


def dispersion_constant(key: str) -> float:
    """A value of ``dispersion_constants.csv`` (Britter–McQuaid geometry, puff spread, limits, terrain rule)."""
    try:
        return _dispersion_constants()[key].value
    except KeyError as exc:
        raise InvalidInput(f"no dispersion constant {key!r} in {DISPERSION_CONSTANTS_FILE}") from exc


def dispersion_constants() -> dict[str, Constant]:
    """Every row of ``dispersion_constants.csv`` with its status (for result metadata)."""
    return dict(_dispersion_constants())


def _briggs(x_m: np.ndarray | float, stability: str, terrain: str, axis: str) -> np.ndarray:
    x = _check_finite("downwind distance", x_m, "m")
    c = briggs_coefficients(terrain, stability, axis)
    xp = np.maximum(x, 0.0)
    return c.a * xp * (1.0 + c.b * xp) ** c.exponent


def briggs_sigma_y_m(x_m: np.ndarray | float, stability: str, terrain: str = "rural") -> np.ndarray:
    """Briggs (1973) crosswind plume σy in m at downwind distance ``x_m`` (m); 0 for x ≤ 0.

    Examples
    --------
    >>> round(float(briggs_sigma_y_m(1000.0, "D")), 3)
    76.277
    """
    return _briggs(x_m, stability, terrain, "y")


def briggs_sigma_z_m(x_m: np.ndarray | float, stability: str, terrain: str = "rural") -> np.ndarray:
    """Briggs (1973) vertical plume σz in m at downwind distance ``x_m`` (m); 0 for x ≤ 0.

    Examples
    --------
    >>> round(float(briggs_sigma_z_m(1000.0, "D")), 3)
    37.947
    """
    return _briggs(x_m, stability, terrain, "z")


def finite_puff_initial_sigma_m(initial_volume_m3: float) -> float:
    """σ0 (m) of a ground-level puff of initial volume V0 (m³): σ0 = (2V0/(2π)^{3/2})^{1/3} ≈ 0.5026 V0^{1/3}.

    With σx = σy = σz = σ0 the ground-reflected peak 2M/((2π)^{3/2} σ0³) equals M/V0, the source
    concentration (dense-gas-and-puffs.md §2.1, derived). 0 for a point puff.

    Examples
    --------
    >>> round(finite_puff_initial_sigma_m(1000.0), 3)
    5.026
    """
    v0 = _scalar_nonnegative("initial cloud volume", initial_volume_m3, "m³")
    return (2.0 * v0 / (2.0 * math.pi) ** 1.5) ** (1.0 / 3.0)


def puff_sigmas_m(
    x_m: np.ndarray | float, stability: str, initial_sigma_m: float = 0.0, along_wind: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CCPS puff (σx, σy, σz) in m at distance ``x_m`` (m) travelled by the puff centre.

    Point puff (``initial_sigma_m`` = 0, ``along_wind`` False): σx = σy = a x^b, σz = a x^b.
    With σ0 > 0 each σ starts at σ0 from its own virtual source: σ_i(x + x_vi), x_vi = (σ0/a_i)^{1/b_i}.
    ``along_wind``: σx = max(σy, k·x + σ0) with k = ``puff_sigma_x_along_wind_coefficient`` (0.13,
    the Yellow Book's along-wind spread).
    """
    x = np.maximum(_check_finite("puff travel distance", x_m, "m"), 0.0)
    s0 = _scalar_nonnegative("initial puff sigma", initial_sigma_m, "m")
    cxy = puff_sigma_coefficients(stability, "xy")
    cz = puff_sigma_coefficients(stability, "z")
    xvy = (s0 / cxy.a) ** (1.0 / cxy.b) if s0 > 0 else 0.0
    xvz = (s0 / cz.a) ** (1.0 / cz.b) if s0 > 0 else 0.0
    sy = cxy.a * (x + xvy) ** cxy.b
    sx = sy.copy()
    if along_wind:
        sx = np.maximum(sx, dispersion_constant("puff_sigma_x_along_wind_coefficient") * x + s0)
    return sx, sy, cz.a * (x + xvz) ** cz.b


def wind_speed_at_height_m_s(
    wind_speed_10m_m_s: float, height_m: np.ndarray | float, stability: str, terrain: str = "rural"
) -> np.ndarray:
    """Wind speed at ``height_m`` (m, > 0) by the power law u = u₁₀ (z / 10 m)^p, in m/s.

    Examples
    --------
    >>> round(float(wind_speed_at_height_m_s(1.5, 3.5, "F", "rural")), 4)  # GasDispersion.jl CCPS example
    0.842
    """
    u10 = _scalar_positive("wind speed at 10 m", wind_speed_10m_m_s, "m/s")
    z = _check_finite("height", height_m, "m")
    if (z <= 0).any():
        raise InvalidInput(f"height for the wind profile must be > 0 m; got {z[z <= 0].flat[0]!r}")
    p = wind_profile_exponent(terrain, stability)
    return u10 * (z / constant("wind_reference_height")) ** p


def advection_speed_m_s(weather: Weather, release_height_m: float) -> float:
    """Speed (m/s) that carries a plume or puff: the wind at max(release height, floor).

    The floor is ``plume_advection_height_floor`` (10 m, UNCONFIRMED project choice: the Purple
    Book's passive model uses the 10 m wind; CCPS's example uses the release height).
    """
    h = _scalar_nonnegative("release height", release_height_m, "m")
    z = max(h, constant("plume_advection_height_floor"))
    return float(wind_speed_at_height_m_s(weather.wind_speed_10m_m_s, z, weather.stability, weather.terrain))


def _vertical(z: np.ndarray, h: float, sz: np.ndarray) -> np.ndarray:
    return np.exp(-((z - h) ** 2) / (2 * sz**2)) + np.exp(-((z + h) ** 2) / (2 * sz**2))


def _xyz(x_m: object, y_m: object, z_m: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = _check_finite("downwind distance x", x_m, "m")
    y = _check_finite("crosswind distance y", y_m, "m")
    z = _check_nonnegative("receptor height z", z_m, "m")
    if np.isinf(z).any():
        raise InvalidInput("receptor height z must be finite (m)")
    return np.broadcast_arrays(x, y, z)


def plume_concentration_kg_m3(
    rate_kg_s: float,
    wind_speed_m_s: float,
    x_m: np.ndarray | float,
    y_m: np.ndarray | float,
    z_m: np.ndarray | float,
    stability: str,
    terrain: str = "rural",
    release_height_m: float = 0.0,
) -> np.ndarray:
    """Gaussian plume concentration (kg/m³) of a continuous release, with ground reflection.

    Parameters
    ----------
    rate_kg_s : float
        Release rate Q, kg/s, ≥ 0.
    wind_speed_m_s : float
        Advection speed u, m/s, > 0 (see :func:`advection_speed_m_s`).
    x_m, y_m, z_m : array_like
        Receptor: downwind, crosswind distance and height, m (broadcast together).
    stability : str
        Pasquill class A–F.
    terrain : {"rural", "urban"}
        Briggs σ set.
    release_height_m : float
        Source height h, m, ≥ 0.

    Returns
    -------
    numpy.ndarray
        Concentration in kg/m³; 0 for x ≤ 0 (upwind and at the source).
    """
    q = _scalar_nonnegative("release rate", rate_kg_s, "kg/s")
    u = _scalar_positive("wind speed", wind_speed_m_s, "m/s")
    h = _scalar_nonnegative("release height", release_height_m, "m")
    stability = _check_stability(stability)
    x, y, z = _xyz(x_m, y_m, z_m)
    down = x > 0
    xs = np.where(down, x, 1.0)
    sy = briggs_sigma_y_m(xs, stability, terrain)
    sz = briggs_sigma_z_m(xs, stability, terrain)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        c = q / (2 * np.pi * u * sy * sz) * np.exp(-(y**2) / (2 * sy**2)) * _vertical(z, h, sz)
    return np.where(down, np.nan_to_num(c, nan=0.0), 0.0)


def puff_concentration_kg_m3(
    mass_kg: float,
    wind_speed_m_s: float,
    x_m: np.ndarray | float,
    y_m: np.ndarray | float,
    z_m: np.ndarray | float,
    time_s: np.ndarray | float,
    stability: str,
    release_height_m: float = 0.0,
    initial_volume_m3: float = 0.0,
    along_wind: bool = False,
) -> np.ndarray:
    """Gaussian puff concentration (kg/m³) at time ``time_s`` (s) after an instantaneous release.

    σ from the CCPS puff set at the centre's travel distance u·t (:func:`puff_sigmas_m`, with the
    finite initial size of ``initial_volume_m3`` m³ and the ``along_wind`` σx when given); 0 for
    t ≤ 0 and for x ≤ 0. A finite puff is capped at its source concentration M/V0.
    """
    m = _scalar_nonnegative("released mass", mass_kg, "kg")
    u = _scalar_positive("wind speed", wind_speed_m_s, "m/s")
    h = _scalar_nonnegative("release height", release_height_m, "m")
    x, y, z = _xyz(x_m, y_m, z_m)
    x, y, z, t = np.broadcast_arrays(x, y, z, _check_finite("time", time_s, "s"))
    travel = u * t
    ok = (travel > 0) & (x > 0)
    s0 = finite_puff_initial_sigma_m(initial_volume_m3)
    sx, sy, sz = puff_sigmas_m(np.where(ok, travel, 1.0), stability, s0, along_wind)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        c = (
            m / ((2 * np.pi) ** 1.5 * sx * sy * sz)
            * np.exp(-((x - travel) ** 2) / (2 * sx**2))
            * np.exp(-(y**2) / (2 * sy**2))
            * _vertical(z, h, sz)
        )  # fmt: skip
    c = np.where(ok, np.nan_to_num(c, nan=0.0), 0.0)
    return np.minimum(c, m / initial_volume_m3) if initial_volume_m3 > 0 else c


def puff_peak_concentration_kg_m3(
    mass_kg: float,
    x_m: np.ndarray | float,
    y_m: np.ndarray | float,
    z_m: np.ndarray | float,
    stability: str,
    release_height_m: float = 0.0,
    initial_volume_m3: float = 0.0,
    along_wind: bool = False,
) -> np.ndarray:
    """Peak concentration (kg/m³) as the puff centre passes (σ at the receptor's x); 0 for x ≤ 0.

    ``initial_volume_m3`` > 0: finite puff (virtual sources, capped at M/V0); ``along_wind``: the
    Yellow Book σx (see :func:`puff_sigmas_m`).
    """
    m = _scalar_nonnegative("released mass", mass_kg, "kg")
    h = _scalar_nonnegative("release height", release_height_m, "m")
    x, y, z = _xyz(x_m, y_m, z_m)
    down = x > 0
    s0 = finite_puff_initial_sigma_m(initial_volume_m3)
    sx, sy, sz = puff_sigmas_m(np.where(down, x, 1.0), stability, s0, along_wind)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        c = m / ((2 * np.pi) ** 1.5 * sx * sy * sz) * np.exp(-(y**2) / (2 * sy**2)) * _vertical(z, h, sz)
    c = np.where(down, np.nan_to_num(c, nan=0.0), 0.0)
    return np.minimum(c, m / initial_volume_m3) if initial_volume_m3 > 0 else c


def puff_dose(
    mass_kg: float,
    wind_speed_m_s: float,
    x_m: np.ndarray | float,
    y_m: np.ndarray | float,
    z_m: np.ndarray | float,
    stability: str,
    release_height_m: float = 0.0,
    *,
    n: float = 1.0,
    concentration_scale: float = 1.0,
    max_duration_s: float = math.inf,
    initial_volume_m3: float = 0.0,
    along_wind: bool = False,
) -> np.ndarray:
    """Dose ∫(s·c)ⁿ dt of a passing puff at a receptor, closed form, in (s·kg/m³)ⁿ·s.

    With A = M / ((2π)^{3/2} σx σy σz) · exp(−y²/2σy²) · [reflection terms] (the peak
    concentration, σ frozen at the receptor's x) and the puff moving at u:

        ∫(s·c)ⁿ dt over a window T centred on the peak = (s·A)ⁿ · √(2π/n) · σx/u · erf(u T √n / (2√2 σx)).

    ``T = inf`` gives the whole passage (erf = 1). n = 1 gives ∫c dt = M/(2π u σy σz) · exp(…)·[…].

    Parameters
    ----------
    concentration_scale : float
        s, converts kg/m³ to the probit's unit before the power (1e6 for mg/m³).
    max_duration_s : float
        Exposure window T, s (the toxic cap, 1800 s, ``toxic_exposure_cap``).
    initial_volume_m3, along_wind
        Finite puff and along-wind σx, as in :func:`puff_peak_concentration_kg_m3`.

    Returns
    -------
    numpy.ndarray
        Dose in (concentration unit)ⁿ·**s** (divide by 60 for ·min); 0 for x ≤ 0.
    """
    m = _scalar_nonnegative("released mass", mass_kg, "kg")
    u = _scalar_positive("wind speed", wind_speed_m_s, "m/s")
    n = _scalar_positive("exponent n", n, "")
    s = _scalar_positive("concentration scale", concentration_scale, "")
    t_cap = float(max_duration_s)
    if not t_cap > 0:
        raise InvalidInput(f"max_duration_s must be > 0 s (or inf); got {max_duration_s!r}")
    x, _, _ = _xyz(x_m, y_m, z_m)
    down = x > 0
    peak = puff_peak_concentration_kg_m3(m, x_m, y_m, z_m, stability, release_height_m, initial_volume_m3, along_wind)
    sx, _, _ = puff_sigmas_m(np.where(down, x, 1.0), stability, finite_puff_initial_sigma_m(initial_volume_m3),
                             along_wind)
    window = 1.0 if math.isinf(t_cap) else erf(u * t_cap * math.sqrt(n) / (2 * math.sqrt(2) * sx))
    with np.errstate(over="ignore"):
        dose = (s * peak) ** n * math.sqrt(2 * math.pi / n) * sx / u * window
    return np.where(down, dose, 0.0)


def max_reach_m(
    field: Callable[[np.ndarray, np.ndarray], np.ndarray],
    threshold: float,
    *,
    max_distance_m: float = 100_000.0,
    directional: bool = True,
    n_radii: int = 800,
    n_angles: int = 360,
) -> float:
    """The largest distance (m) from the source at which ``field(dx, dy) ≥ threshold``.

    The field is sampled on ``n_radii`` geometrically spaced radii from 0.1 m to
    ``max_distance_m`` (and, if ``directional``, ``n_angles`` directions around the full circle,
    the downwind axis included); the returned distance is the sampled radius **after** the last
    one that reaches the threshold (an upper bound within one radial step, ≈ 1.6 %), or 0 if none
    does, or ``max_distance_m`` if the field still reaches it there. ``field`` must be vectorised:
    it receives arrays ``dx`` (downwind, m) and ``dy`` (crosswind, m) of shape (radii, angles).
    """
    return reach_box_m(
        field, threshold, max_distance_m=max_distance_m, directional=directional, n_radii=n_radii, n_angles=n_angles
    ).reach


class ReachBox(NamedTuple):
    """Where a field reaches its threshold, in the source's wind frame (m).

    ``reach``: as :func:`max_reach_m`. ``down_min``/``down_max``: the range of downwind distances
    and ``cross_max`` the largest |crosswind distance| of the sampled hits, each widened by the
    sampling step at the outermost hit (one radial step plus one angular step of arc), so the
    box holds every point between samples too. All zero when nothing reaches the threshold.
    ``radii`` (m) and ``peak`` (the field's largest sampled value at each radius, over every
    sampled direction) give the radial profile, for bounds on how far an outcome's risk matters.
    """

    reach: float
    down_min: float
    down_max: float
    cross_max: float
    radii: np.ndarray | None = None
    peak: np.ndarray | None = None


@lru_cache(maxsize=64)
def _radii(max_distance_m: float, n_radii: int) -> np.ndarray:
    """The sampled radii (m), read-only and shared by every cached box (memory: one array, not one per box)."""
    r = np.geomspace(_REACH_MIN_M, max_distance_m, n_radii)
    r.flags.writeable = False
    return r


@lru_cache(maxsize=16)
def _blocks(n_radii: int, n_theta: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ring rows, spoke columns, each row's block, rows between rings) of :func:`reach_box_m`'s lattice."""
    rings = np.unique(np.r_[np.arange(0, n_radii, k), n_radii - 1])
    spokes = np.unique(np.r_[np.arange(0, n_theta, k), n_theta - 1])
    row_block = np.clip(np.searchsorted(rings, np.arange(n_radii), side="right") - 1, 0, rings.size - 2)
    between = ~np.isin(np.arange(n_radii), rings)
    for arr in (rings, spokes, row_block, between):
        arr.flags.writeable = False
    return rings, spokes, row_block, between


def reach_box_m(
    field: Callable[[np.ndarray, np.ndarray], np.ndarray],
    threshold: float,
    *,
    max_distance_m: float = 100_000.0,
    directional: bool = True,
    n_radii: int = 800,
    n_angles: int = 360,
    symmetric: bool = False,
    coarse: int = 1,
) -> ReachBox:
    """:func:`max_reach_m` plus the bounding box of the reached region in the wind frame (m).

    The grid engine evaluates a directional outcome only on the cells whose (downwind, crosswind)
    coordinates fall in this box: a narrow plume then costs its own area, not the whole circle of
    its reach. Omnidirectional fields (``directional=False``) get the full disc: ±reach.

    Speed-ups for directional fields (the box is the same as the brute-force polar sampling unless
    the reached region holds a blob that touches no evaluated sample, see below):

    * ``symmetric``: the field is symmetric about the downwind axis, f(dx, −dy) = f(dx, dy) (every
      outcome of :mod:`geo_risk.risk.lethality` is): only the half plane dy ≥ 0 (angles 0…180°,
      both axis directions included) is sampled; the sample set is the mirror image of the other
      half's, so reach, box and peaks are those of the full circle.
    * ``coarse`` = k > 1: the polar lattice is cut into blocks of k radii × k angles. Every k-th radius (a
      *ring*, all angles; the last radius too) and every k-th angle (a *spoke*, all radii; the downwind axis,
      the last angle and so the upwind axis of a symmetric field too) is evaluated (spokes only out to the
      ring after the last ring with a hit); a block's inner samples are evaluated only when its evaluated
      border holds both hits and misses. A block whose border is all misses is taken as all misses (a reached
      blob smaller than a block, ≈ k·1.2 % in distance × k degrees, and touching no ring or spoke would be
      missed: ``tests/risk/test_reach_box_fast.py`` checks the package's outcomes against the brute force); a
      block whose border is all hits holds only hits, which lie inside the box of its border (the arc between
      two spokes bulges by r·(1 − cos(k°/2)), far less than the angular margin). The radial profile ``peak``
      at a radius between rings is the largest evaluated value there, raised, where the radius crosses an
      all-hit block, to that block's largest value on its inner ring (an upper bound for a field that does not
      grow outwards); values below the threshold between samples are not sought (the envelope built on
      ``peak`` is cut at the reach, where some sample reaches the threshold).
    """
    thr = float(threshold)
    if not math.isfinite(thr):
        raise InvalidInput(f"threshold must be finite; got {threshold!r}")
    r = _radii(_scalar_positive("max distance", max_distance_m, "m"), int(n_radii))
    if not directional:
        values = np.asarray(field(r[:, None], np.zeros((n_radii, 1))), dtype=float)
        peak = values.max(axis=1)
        hit = np.flatnonzero((values >= thr).any(axis=1))
        if hit.size == 0:
            return ReachBox(0.0, 0.0, 0.0, 0.0, r, peak)
        reach = float(r[min(hit[-1] + 1, r.size - 1)])
        return ReachBox(reach, -reach, reach, reach, r, peak)
    k = int(coarse)
    if k < 1:
        raise InvalidInput(f"coarse must be ≥ 1; got {coarse!r}")
    if symmetric and n_angles % 2:
        raise InvalidInput(f"a symmetric field needs an even number of angles; got {n_angles}")
    n_theta = n_angles // 2 + 1 if symmetric else n_angles
    theta = np.arange(n_theta) * (2 * np.pi / n_angles)
    cos_t, sin_t = np.cos(theta), np.sin(theta)
    values = np.full((n_radii, n_theta), -np.inf)

    def evaluate(ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
        return np.asarray(field(r[ii] * cos_t[jj], r[ii] * sin_t[jj]), dtype=float)

    if k == 1:
        values[:] = evaluate(np.arange(n_radii)[:, None], np.arange(n_theta)[None, :])
        peak = values.max(axis=1)
    else:
        rings, spokes, row_block, between = _blocks(n_radii, n_theta, k)
        values[rings, :] = evaluate(rings[:, None], np.arange(n_theta)[None, :])
        # spokes up to the ring after the last ring with a hit (all radii if no ring has one): a hit
        # farther out would be a blob touching no ring, as above
        ring_hit = np.flatnonzero((values[rings, :] >= thr).any(axis=1))
        last = n_radii - 1 if ring_hit.size == 0 else int(rings[min(ring_hit[-1] + 1, rings.size - 1)])
        rows = np.flatnonzero(between[: last + 1])
        values[rows[:, None], spokes[None, :]] = evaluate(rows[:, None], spokes[None, :])
        hits = values[:, spokes] >= thr
        ring_hits = values[rings, :] >= thr
        # per block (a, b) between rings a, a+1 and spokes b, b+1: any hit / any miss on its border
        ring_h = np.add.reduceat(ring_hits.astype(int), spokes[:-1], axis=1) > 0  # (rings, blocks across)
        ring_m = np.add.reduceat((~ring_hits).astype(int), spokes[:-1], axis=1) > 0
        spoke_h = np.add.reduceat(hits.astype(int), rings[:-1], axis=0) > 0  # (blocks along, spokes)
        spoke_m = np.add.reduceat((~hits).astype(int), rings[:-1], axis=0) > 0
        block_h = ring_h[:-1] | ring_h[1:] | spoke_h[:, :-1] | spoke_h[:, 1:]
        block_m = ring_m[:-1] | ring_m[1:] | spoke_m[:, :-1] | spoke_m[:, 1:]
        ai, bi = np.nonzero(block_h & block_m)
        if ai.size:  # the inner samples of the mixed blocks
            step = np.arange(1, k)
            rr, cc = rings[ai][:, None] + step, spokes[bi][:, None] + step
            ok = (rr < rings[ai + 1][:, None])[:, :, None] & (cc < spokes[bi + 1][:, None])[:, None, :]
            ii = np.broadcast_to(rr[:, :, None], ok.shape)[ok]
            jj = np.broadcast_to(cc[:, None, :], ok.shape)[ok]
            values[ii, jj] = evaluate(ii, jj)
        peak = values.max(axis=1)
        # rows crossing a block whose border is all hits: its inner values are unknown (≥ threshold);
        # bound them by the block's inner ring (the largest value on that ring between its spokes)
        full = block_h & ~block_m
        if full.any():
            ring_max = np.maximum.reduceat(values[rings, :], spokes[:-1], axis=1)[:-1]  # (blocks along, across)
            inner = np.where(full, ring_max, -np.inf).max(axis=1)
            peak = np.where(between, np.maximum(peak, inner[row_block]), peak)
        # rows beyond the spokes' end were sampled nowhere: their ring inside stands for them
        peak = np.where(np.isneginf(peak), peak[rings[row_block]], peak)
    reached = values >= thr
    hit = np.flatnonzero(reached.any(axis=1))
    if hit.size == 0:
        return ReachBox(0.0, 0.0, 0.0, 0.0, r, peak)
    reach = float(r[min(hit[-1] + 1, r.size - 1)])
    # Between samples the region can extend one radial step outwards and one angular step of arc
    # sideways; the outermost hit has the widest steps, so its margin serves every hit.
    margin = (reach - float(r[hit[-1]])) + reach * (2 * math.pi / n_angles)
    ii, jj = np.nonzero(reached)
    hx, hy = r[ii] * cos_t[jj], r[ii] * sin_t[jj]
    return ReachBox(
        reach,
        min(float(hx.min()), 0.0) - margin,
        max(float(hx.max()), 0.0) + margin,
        float(np.abs(hy).max()) + margin,
        r,
        peak,
    )


# -- dense gas ------------------------------------------------------------------------------------


def air_density_kg_m3(temperature_k: float, pressure_pa: float = 101325.0) -> float:
    """Dry-air density (kg/m³), ideal gas: P·M_air / (R·T)."""
    t = _scalar_positive("air temperature", temperature_k, "K")
    p = _scalar_positive("air pressure", pressure_pa, "Pa")
    return p * constant("air_molar_mass") * 1e-3 / (constant("gas_constant") * t)


def gas_density_kg_m3(molar_mass_g_per_mol: float, temperature_k: float, pressure_pa: float = 101325.0) -> float:
    """Ideal-gas density (kg/m³) of a pure vapour at ``temperature_k`` (K) and ``pressure_pa`` (Pa).

    For a cold or flashing release pass the cloud temperature (e.g. the normal boiling point); an
    aerosol fraction makes the real cloud denser than this.
    """
    m = _scalar_positive("molar mass", molar_mass_g_per_mol, "g/mol")
    t = _scalar_positive("gas temperature", temperature_k, "K")
    p = _scalar_positive("pressure", pressure_pa, "Pa")
    return p * m * 1e-3 / (constant("gas_constant") * t)


@dataclass(frozen=True)
class DenseGasCheck:
    """Britter–McQuaid dense-gas criterion: ``value`` ≥ ``threshold`` → ``is_dense``.

    ``flag`` is :data:`DENSE_GAS_FLAG` for a dense release (the passive-Gaussian result is kept
    and must be labelled with it), else None.
    """

    criterion: str
    value: float
    threshold: float
    is_dense: bool
    flag: str | None


def _reduced_gravity(gas_density: float, air_density: float) -> float:
    return constant("standard_gravity") * (gas_density - air_density) / air_density


def check_dense_gas_continuous(
    rate_kg_s: float, gas_density_kg_m3: float, air_density_kg_m3: float, wind_speed_10m_m_s: float
) -> DenseGasCheck:
    """Britter & McQuaid (1988) criterion for a continuous release.

    Dense if (g₀′·q₀ / D)^{1/3} / U₁₀ ≥ 0.15 (UNCONFIRMED threshold), with g₀′ = g (ρ − ρa)/ρa
    (m/s²), q₀ = Q/ρ the volumetric rate (m³/s), D = √(q₀/U₁₀) (m), U₁₀ the 10 m wind (m/s).
    A gas lighter than air or as heavy gives 0 (not dense).
    """
    q = _scalar_positive("release rate", rate_kg_s, "kg/s")
    rho = _scalar_positive("gas density", gas_density_kg_m3, "kg/m³")
    rho_a = _scalar_positive("air density", air_density_kg_m3, "kg/m³")
    u = _scalar_positive("wind speed at 10 m", wind_speed_10m_m_s, "m/s")
    g0 = max(_reduced_gravity(rho, rho_a), 0.0)
    q0 = q / rho
    d = math.sqrt(q0 / u)
    value = (g0 * q0 / d) ** (1.0 / 3.0) / u
    thr = constant("dense_gas_continuous_threshold")
    dense = value >= thr
    return DenseGasCheck("britter_mcquaid_continuous", value, thr, dense, DENSE_GAS_FLAG if dense else None)


def check_dense_gas_instantaneous(
    mass_kg: float, gas_density_kg_m3: float, air_density_kg_m3: float, wind_speed_10m_m_s: float
) -> DenseGasCheck:
    """Britter & McQuaid (1988) criterion for an instantaneous release.

    Dense if √(g₀′·V₀^{1/3}) / U₁₀ ≥ 0.20 (UNCONFIRMED threshold), V₀ = M/ρ the initial cloud
    volume (m³).
    """
    m = _scalar_positive("released mass", mass_kg, "kg")
    rho = _scalar_positive("gas density", gas_density_kg_m3, "kg/m³")
    rho_a = _scalar_positive("air density", air_density_kg_m3, "kg/m³")
    u = _scalar_positive("wind speed at 10 m", wind_speed_10m_m_s, "m/s")
    g0 = max(_reduced_gravity(rho, rho_a), 0.0)
    value = math.sqrt(g0 * (m / rho) ** (1.0 / 3.0)) / u
    thr = constant("dense_gas_instantaneous_threshold")
    dense = value >= thr
    return DenseGasCheck("britter_mcquaid_instantaneous", value, thr, dense, DENSE_GAS_FLAG if dense else None)


# -- bounded clouds: the model the outcomes call -----------------------------------------------------


def distance_limit_m(weather: Weather, release_height_m: float = 0.0) -> tuple[float, str]:
    """(r_max m, why): no dispersion result farther from the source than min(``dispersion_max_distance``,
    u·``dispersion_max_travel_time``).

    u is the advection speed (:func:`advection_speed_m_s`). F1.5: 1.5 m/s × 3600 s = 5.4 km; D5: 10 km.
    """
    d_max = dispersion_constant("dispersion_max_distance")
    t_max = dispersion_constant("dispersion_max_travel_time")
    travel = advection_speed_m_s(weather, release_height_m) * t_max
    if travel < d_max:
        return travel, f"{travel:,.0f} m = one hour of travel ({t_max:g} s) in {weather.label}"
    return d_max, f"{d_max:,.0f} m, the end of the Briggs sigma fits"


@dataclass(frozen=True)
class CloudSpec:
    """A release as the dispersion models see it (hashable: cached per spec and weather).

    ``instantaneous``: ``amount`` is a mass (kg), else a rate (kg/s) for ``duration_s`` (s).
    ``source_density_kg_m3``: density of the released cloud (mixture density with aerosol); None
    → the pure vapour at ``source_temperature_k`` (None → the air temperature).
    ``mode``: ``"auto"`` (Britter–McQuaid when dense, bounded passive otherwise) or ``"passive"``.
    ``terrain``: Briggs set for the passive parts; None → the weather's.
    """

    instantaneous: bool
    amount: float
    duration_s: float
    height_m: float
    molar_mass_g_per_mol: float
    source_density_kg_m3: float | None = None
    source_temperature_k: float | None = None
    mode: str = "auto"
    terrain: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in ("auto", "passive"):
            raise InvalidInput(f"dispersion mode must be 'auto' or 'passive'; got {self.mode!r}")


def _bisect_log(f: Callable[[float], float], target: float, lo: float, hi: float) -> float:
    """s in [lo, hi] with f(s) = target for f decreasing (log bisection; clamps at the ends)."""
    if f(lo) <= target:
        return lo
    if f(hi) >= target:
        return hi
    a, b = math.log(lo), math.log(hi)
    while b - a > 1e-13:  # s to a relative 1e-13 (~45 halvings of the log range): no change beyond
        mid = 0.5 * (a + b)
        if f(math.exp(mid)) > target:
            a = mid
        else:
            b = mid
    return math.exp(0.5 * (a + b))


@dataclass
class Cloud:
    """One release in one weather: concentration footprint, toxic load and the statement of the model.

    Built by :func:`cloud_model`; ``model`` is ``"passive_plume"``, ``"passive_puff"``,
    ``"dense_plume"`` or ``"dense_puff"``. Distances in m, concentrations in kg/m³, loads in
    (unit)ⁿ·s. Every field is zero farther than ``limit_m`` from the source.
    """

    spec: CloudSpec
    weather: Weather
    model: str
    terrain: str
    u: float
    limit_m: float
    limit_reason: str
    source_concentration_kg_m3: float
    #: kg/m³ of the substance at C/C0 = 1 after the non-isothermal correction: ρ_gas(T_a) × max(1, ρ_s/ρ_vap(T_s))
    ambient_gas_density_kg_m3: float
    dense: object | None = None
    transition_m: float = 0.0
    transition_reason: str = ""
    virtual_distance_m: float = 0.0
    puff_version: Cloud | None = None
    _cumulative: dict[tuple[float, float], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    _memo: dict[str, float] = field(default_factory=dict, repr=False)
    _load_match: dict[tuple[float, float], tuple[float, float] | None] = field(default_factory=dict, repr=False)

    # -- statements --------------------------------------------------------------------------

    def statement(self) -> str:
        """One line: model, terrain, transition and limit (for flags and result notes).

        The transition distance depends on the released quantity: it is a restricted span
        (:func:`geo_risk.disclosure.restricted`), shown to analysts only.
        """
        from geo_risk.disclosure import restricted

        if self.model.startswith("dense"):
            kind = "plume" if self.model == "dense_plume" else "puff"
            where = restricted(f" to {self.transition_m:,.0f} m", " to its transition")
            text = (f"Britter–McQuaid dense-gas {kind}{where} ({self.transition_reason}), "
                    f"then passive Gaussian ({self.terrain}) from a virtual source matched on the centreline "
                    f"concentration (CHOICE, {FAR_FIELD_CHOICE})")
            if self.puff_version is not None:
                text += f"; {FINITE_RELEASE_RULE}"
            if self.model == "dense_puff":
                text += f"; {PUFF_LOAD_MATCH}"
        elif self.model == "passive_puff":
            text = ("passive Gaussian puff (CCPS puff sigmas, no urban variant) with a finite initial volume "
                    f"(source concentration {self.source_concentration_kg_m3:.3g} kg/m³) and along-wind spread")
        else:
            text = f"passive Gaussian plume (Briggs {self.terrain})"
        return f"{text}; nothing beyond {self.limit_reason}"

    # -- passive pieces -----------------------------------------------------------------------

    def _v0(self) -> float:
        return self.spec.amount / self.source_concentration_kg_m3

    def _passive_plume(self, x: np.ndarray, y: np.ndarray, z: float, shift: float = 0.0) -> np.ndarray:
        c = plume_concentration_kg_m3(self.spec.amount, self.u, x + shift, y, z, self.weather.stability,
                                      self.terrain, self.spec.height_m)
        return np.where(x > 0, c, 0.0)

    def _gauss_puff_sigmas(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.model == "dense_puff":  # far field: one virtual distance for every σ
            return puff_sigmas_m(x + self.virtual_distance_m, self.weather.stability, 0.0, True)
        return puff_sigmas_m(x, self.weather.stability, finite_puff_initial_sigma_m(self._v0()), True)

    def _gauss_puff_peak(self, x: np.ndarray, y: np.ndarray, z: float) -> np.ndarray:
        down = x > 0
        sx, sy, sz = self._gauss_puff_sigmas(np.where(down, x, 1.0))
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            c = (self.spec.amount / ((2 * np.pi) ** 1.5 * sx * sy * sz) * np.exp(-(y**2) / (2 * sy**2))
                 * _vertical(np.asarray(z, dtype=float), self.spec.height_m, sz))
        return np.where(down, np.minimum(np.nan_to_num(c, nan=0.0), self.source_concentration_kg_m3), 0.0)

    def _gauss_puff_load(self, x: np.ndarray, y: np.ndarray, z: float, n: float, scale: float, cap: float
                         ) -> np.ndarray:
        down = x > 0
        match = self._far_load_match(n, cap) if self.model == "dense_puff" else None
        if match is None:
            sx, _, _ = self._gauss_puff_sigmas(np.where(down, x, 1.0))
            peak = self._gauss_puff_peak(x, y, z)
        else:  # model 2.6.0: the far-field puff of the load, matched on the dense load at x_t (§1.7c)
            s_x, s_yz = match
            xs = np.where(down, x, self.transition_m) - self.transition_m
            sx = puff_sigmas_m(xs + s_x, self.weather.stability, 0.0, True)[0]
            _, sy, sz = puff_sigmas_m(xs + s_yz, self.weather.stability, 0.0, True)
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                c = (self.spec.amount / ((2 * np.pi) ** 1.5 * sx * sy * sz) * np.exp(-(y**2) / (2 * sy**2))
                     * _vertical(np.asarray(z, dtype=float), self.spec.height_m, sz))
            peak = np.where(down, np.minimum(np.nan_to_num(c, nan=0.0), self.source_concentration_kg_m3), 0.0)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            window = erf(self.u * cap * math.sqrt(n) / (2 * math.sqrt(2) * sx)) if math.isfinite(cap) else 1.0
            dose = (scale * peak) ** n * math.sqrt(2 * math.pi / n) * sx / self.u * window
        return np.where(down, dose, 0.0)

    def _far_load_match(self, n: float, cap: float) -> tuple[float, float] | None:
        """(s_x, s_yz) m: the virtual travel distances at x_t of the far-field puff of the toxic load ∫cⁿ dt
        (model 2.6.0, CHOICE, dense-gas-and-puffs.md §1.7c); None when there is nothing to match.

        At the transition x_t the dense puff's centreline load L_t (its cloud-mean history over the
        receptor's cover, at most ``cap`` s) and concentration c_t are known. The passive puff of the
        whole mass M that carries them on has the along-wind σx_t with
        c_tⁿ √(2π/n) σx_t/u · erf(u·cap·√n/(2√2 σx_t)) = L_t (the Gaussian passage with the same peak
        and the same load), and σy σz = 2M/((2π)^{3/2} σx_t c_t) (the same ground-level peak, mass
        conserved). σx grows from its own virtual distance s_x (σx(s_x) = σx_t, the §2.2 rule), σy and
        σz from a common s_yz; beyond x_t each is taken at x − x_t + s. The load is then continuous at
        x_t and, as every σ grows, non-increasing downwind for n ≥ 1.
        """
        key = (float(n), float(cap))
        if key in self._load_match:
            return self._load_match[key]
        from geo_risk.risk.dense_gas import DensePuff

        d: DensePuff = self.dense  # type: ignore[assignment]
        out: tuple[float, float] | None = None
        x_t = self.transition_m
        c_t = min(self.ambient_gas_density_kg_m3 * float(d.ratio_at_edge(x_t)), self.source_concentration_kg_m3)
        t_in, t_out = d.cover_times_s(np.array([x_t]), np.array([0.0]))
        if x_t > 0 and c_t > 0 and np.isfinite(t_in[0]):
            t_grid, cum = self._puff_cumulative(n, 1.0)
            a = float(t_in[0])
            b = min(float(t_out[0]), a + cap)
            duration = (float(np.interp(b, t_grid, cum)) - float(np.interp(a, t_grid, cum))) / c_t**n  # s
            u, stab = self.u, self.weather.stability

            def passage(sx: float) -> float:  # ∫(c/c_peak)ⁿ dt of a Gaussian passage of along-wind σx, s
                window = math.erf(u * cap * math.sqrt(n) / (2 * math.sqrt(2) * sx)) if math.isfinite(cap) else 1.0
                return math.sqrt(2 * math.pi / n) * sx / u * window

            if duration > 0:
                sx_t = _bisect_log(lambda s: -passage(s), -duration, 1e-3, 1e8)
                s_x = _bisect_log(lambda s: -float(puff_sigmas_m(s, stab, 0.0, True)[0]), -sx_t, 1e-3, 1e8)
                syz = 2 * self.spec.amount / ((2 * math.pi) ** 1.5 * sx_t * c_t)

                def yz(s: float) -> float:
                    _, sy, sz = puff_sigmas_m(s, stab, 0.0, True)
                    return -float(sy * sz)

                out = (s_x, _bisect_log(yz, -syz, 1e-3, 1e8))
        self._load_match[key] = out
        return out

    # -- dense pieces -------------------------------------------------------------------------

    def _dense_plume_conc(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        from geo_risk.risk.dense_gas import DensePlume

        d: DensePlume = self.dense  # type: ignore[assignment]
        c = np.zeros(np.shape(x))
        far = x > self.transition_m
        if far.any():
            c[far] = self._passive_plume(x[far], y[far], constant("receptor_height"), self.virtual_distance_m)
        near = ~far & (x >= -self._plume_upwind_m())
        if near.any():
            xs, ys = x[near], y[near]
            inside = np.abs(ys) <= self._plume_half_width_m(xs)
            c[near] = np.where(inside, self.ambient_gas_density_kg_m3 * d.ratio(np.maximum(xs, 0.0)), 0.0)
        return np.minimum(c, self.source_concentration_kg_m3)

    def _puff_cumulative(self, n: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
        """(t s, ∫0^t (scale·c(t′))ⁿ dt′) of the dense puff's cloud-mean history, on a fine time grid."""
        key = (n, scale)
        if key not in self._cumulative:
            from geo_risk.risk.dense_gas import DensePuff

            d: DensePuff = self.dense  # type: ignore[assignment]
            t = self._puff_times()
            c = self.ambient_gas_density_kg_m3 * d.ratio_at_edge(d.leading_edge_m(t))
            c = np.minimum(c, self.source_concentration_kg_m3)
            g = (scale * c) ** n
            cum = np.concatenate([[0.0], np.cumsum(0.5 * (g[1:] + g[:-1]) * np.diff(t))])
            self._cumulative[key] = (t, cum)
        return self._cumulative[key]

    def _dense_puff_near(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from geo_risk.risk.dense_gas import DensePuff

        d: DensePuff = self.dense  # type: ignore[assignment]
        t_in, t_out = d.cover_times_s(x, y)
        return t_in, t_out

    def _whole_puff(self) -> object:
        """The Britter–McQuaid puff of the whole release (rate × t_d), for its gravity spreading."""
        from geo_risk.risk.dense_gas import DensePlume, DensePuff

        d: DensePlume = self.dense  # type: ignore[assignment]
        return DensePuff(d.rate_kg_s * self.spec.duration_s, d.source_density_kg_m3, d.source_temperature_k,
                         d.wind_speed_10m_m_s, d.air_temperature_k, d.air_density_kg_m3)

    def _spread_cap_m(self, t_s: np.ndarray | float) -> np.ndarray:
        """How far (m) a finite dense release can have spread from the source after ``t_s`` s: the
        Britter–McQuaid radius R(t) of a puff of its whole mass (model 2.5.0, CHOICE, §1.2a); inf for a
        release without end."""
        if not math.isfinite(self.spec.duration_s):
            return np.full(np.shape(t_s), math.inf)
        return self._whole_puff().radius_m(t_s)  # type: ignore[attr-defined]

    def _plume_upwind_m(self) -> float:
        """Upwind extent (m) of the dense plume: L_U, at most the farthest the puff of the whole release
        reaches upwind while the release lasts, max over t ≤ t_d of R(t) − 0.4 u10 t (a release of finite
        duration cannot build the steady state's L_U = D/2 + 2 l_b; model 2.5.0, CHOICE, §1.2a)."""
        if "plume_upwind" not in self._memo:
            lu = self.dense.upwind_extent_m  # type: ignore[union-attr]
            if math.isfinite(self.spec.duration_s):
                p = self._whole_puff()
                a, k, r0 = p.advection_m_s, p.spread_rate_m2_s, p.initial_radius_m  # type: ignore[attr-defined]
                # d/dt (R − a t) = k/(2R) − a = 0 at R* = k/(2a): the rear's farthest point upwind
                t_star = min(max(((k / (2 * a)) ** 2 - r0 * r0) / k if k > 0 else 0.0, 0.0), self.spec.duration_s)
                lu = min(lu, max(float(p.radius_m(t_star)) - a * t_star, 0.0))  # type: ignore[attr-defined]
            self._memo["plume_upwind"] = float(lu)
        return self._memo["plume_upwind"]

    def _plume_half_width_m(self, x: np.ndarray) -> np.ndarray:
        """Top-hat half-width (m) of the dense plume at x (m): L_H(x), at most R(t_d + x⁺/u10), the whole
        release's spread by the time the last of it has reached x (model 2.5.0, CHOICE, §1.2a)."""
        lh = self.dense.half_width_m(x)  # type: ignore[union-attr]
        if not math.isfinite(self.spec.duration_s):
            return lh
        t = self.spec.duration_s + np.maximum(x, 0.0) / self.weather.wind_speed_10m_m_s
        return np.minimum(lh, self._spread_cap_m(t))

    # -- public -------------------------------------------------------------------------------

    def _region(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Where the field can be non-zero: within the distance limit and not upwind of the cloud."""
        m = x * x + y * y <= self.limit_m**2
        if self.model.startswith("passive"):
            return m & (x > 0)
        if self.model == "dense_plume":
            return m & (x >= -self._plume_upwind_m())
        return m & (x >= -self._puff_upwind_m()) & (np.abs(y) <= self._puff_radius_max_m())

    def _puff_times(self) -> np.ndarray:
        from geo_risk.risk.dense_gas import DensePuff

        d: DensePuff = self.dense  # type: ignore[assignment]
        t_end = float(d.cover_times_s(np.array(self.transition_m), np.array(0.0))[1])
        t_end = max(t_end if math.isfinite(t_end) else 0.0, 1.0) * 1.05 + constant("toxic_exposure_cap")
        return np.concatenate([[0.0], np.geomspace(1e-2, t_end, 4000)])

    def _puff_upwind_m(self) -> float:
        """How far upwind the slumping dense puff reaches (m): −min over t of (0.4 u t − R(t))."""
        if "upwind" not in self._memo:
            d = self.dense
            t = self._puff_times()
            back = -float(np.min(d.advection_m_s * t - d.radius_m(t)))  # type: ignore[union-attr]
            self._memo["upwind"] = max(0.0, back) * 1.001 + 1e-9
        return self._memo["upwind"]

    def _puff_radius_max_m(self) -> float:
        """The dense puff's largest radius while it can still matter (m), beyond the transition time too."""
        if "radius" not in self._memo:
            self._memo["radius"] = float(self.dense.radius_m(self._puff_times()[-1])) * 1.001  # type: ignore[union-attr]
        return self._memo["radius"]

    def concentration_kg_m3(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """Footprint concentration (kg/m³) at the receptor height: the plume's, or a puff's largest as it passes."""
        x, y = np.broadcast_arrays(np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float))
        out = np.zeros(x.shape)
        m = self._region(x, y)
        if m.any():
            out[m] = self._concentration(x[m], y[m])
        return out

    def _concentration(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        z = constant("receptor_height")
        if self.model == "passive_plume":
            return np.minimum(self._passive_plume(x, y, z), self.source_concentration_kg_m3)
        if self.model == "passive_puff":
            return self._gauss_puff_peak(x, y, z)
        if self.model == "dense_plume":
            c = self._dense_plume_conc(x, y)
            if self.puff_version is not None:
                c = self._blend(x, y, c, self.puff_version.concentration_kg_m3)
            return c
        from geo_risk.risk.dense_gas import DensePuff

        d: DensePuff = self.dense  # type: ignore[assignment]
        c = np.zeros(x.shape)
        far = x > self.transition_m
        if far.any():
            c[far] = self._gauss_puff_peak(x[far], y[far], z)
        if (~far).any():
            t_in, _ = self._dense_puff_near(x[~far], y[~far])
            covered = np.isfinite(t_in)
            near = self.ambient_gas_density_kg_m3 * d.ratio_at_edge(d.leading_edge_m(np.where(covered, t_in, 0.0)))
            c[~far] = np.where(covered, np.minimum(near, self.source_concentration_kg_m3), 0.0)
        return c

    def toxic_load(self, x_m: np.ndarray, y_m: np.ndarray, n: float, scale: float, cap_s: float) -> np.ndarray:
        """∫(scale·c)ⁿ dt (unit^n·s) at the receptors over at most ``cap_s`` s of exposure."""
        x, y = np.broadcast_arrays(np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float))
        out = np.zeros(x.shape)
        m = self._region(x, y)
        if m.any():
            out[m] = self._load(x[m], y[m], n, scale, cap_s)
        return out

    def _load(self, x: np.ndarray, y: np.ndarray, n: float, scale: float, cap_s: float) -> np.ndarray:
        z = constant("receptor_height")
        if self.model in ("passive_plume", "dense_plume"):
            c = (np.minimum(self._passive_plume(x, y, z), self.source_concentration_kg_m3)
                 if self.model == "passive_plume" else self._dense_plume_conc(x, y))
            with np.errstate(over="ignore"):
                load = (scale * c) ** n * min(self.spec.duration_s, cap_s)
            if self.puff_version is not None:
                puff = self.puff_version
                load = self._blend(x, y, load, lambda xs, ys: puff.toxic_load(xs, ys, n, scale, cap_s))
            return load
        if self.model == "passive_puff":
            return self._gauss_puff_load(x, y, z, n, scale, cap_s)
        load = np.zeros(x.shape)
        far = x > self.transition_m
        if far.any():
            load[far] = self._gauss_puff_load(x[far], y[far], z, n, scale, cap_s)
        if (~far).any():
            t_in, t_out = self._dense_puff_near(x[~far], y[~far])
            covered = np.isfinite(t_in)
            t_grid, cum = self._puff_cumulative(n, scale)
            a = np.where(covered, t_in, 0.0)
            b = np.where(covered, np.minimum(t_out, a + cap_s), 0.0)
            load[~far] = np.where(covered, np.interp(b, t_grid, cum) - np.interp(a, t_grid, cum), 0.0)
        return load

    def _blend(self, x: np.ndarray, y: np.ndarray, plume: np.ndarray,
               puff: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
        """The finite-duration release at the receptors (model 2.5.0, dense-gas-and-puffs.md §1.2a).

        With r = u10·t_d/d, d = √(x² + y²) the distance (m) the cloud travels to the receptor:
        the steady plume where r ≥ 2.5 (continuous, C1); the lower of the steady plume and the puff of
        the whole release where r ≤ 0.6 (instantaneous, UNCONFIRMED; each bounds a finite release from
        above); in between a weight w = ln(r/0.6)/ln(2.5/0.6) from the lower (w = 0) to the steady
        plume (w = 1), CHOICE, so the field is continuous everywhere. The weight depends on the
        receptor and t_d only, never on the rate: the result is non-decreasing in the rate at a fixed
        duration and in the duration at a fixed rate (plume, puff and w each are).
        """
        w = self._blend_weight(x, y)
        out = np.array(plume, dtype=float, copy=True)
        need = w < 1.0
        if need.any():
            p = out[need]
            low = np.minimum(p, puff(x[need], y[need]))
            out[need] = low + w[need] * (p - low)
        return out

    def _blend_weight(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Weight (0–1) of the steady plume in the finite-release blend: 1 where u10·t_d/d ≥ 2.5, 0 where
        ≤ 0.6, log-linear in u10·t_d/d between (d = √(x² + y²), m)."""
        r_cont = dispersion_constant("dense_continuous_min_ratio")
        r_inst = dispersion_constant("dense_instantaneous_max_ratio")
        travel = self.weather.wind_speed_10m_m_s * self.spec.duration_s  # m
        d = np.hypot(x, y)
        with np.errstate(divide="ignore"):
            r = np.where(d > 0, travel / np.where(d > 0, d, 1.0), np.inf)
            w = np.log(np.maximum(r, r_inst) / r_inst) / math.log(r_cont / r_inst)
        return np.clip(w, 0.0, 1.0)


def _source_density(spec: CloudSpec, weather: Weather) -> tuple[float, float]:
    """(source cloud density kg/m³, source temperature K)."""
    t_s = weather.air_temperature_k if spec.source_temperature_k is None else spec.source_temperature_k
    if spec.source_density_kg_m3 is not None:
        return _scalar_positive("source density", spec.source_density_kg_m3, "kg/m³"), t_s
    return gas_density_kg_m3(spec.molar_mass_g_per_mol, t_s, weather.air_pressure_pa), t_s


@lru_cache(maxsize=32768)
def cloud_model(spec: CloudSpec, weather: Weather) -> Cloud:
    """The dispersion model of ``spec`` in ``weather`` (see the module docstring); cached."""
    from geo_risk.risk.dense_gas import DensePlume, DensePuff

    if not isinstance(weather, Weather):
        raise InvalidInput(f"weather must be a geo_risk.risk.weather.Weather; got {type(weather).__name__}")
    terrain = weather.terrain if spec.terrain is None else spec.terrain
    if terrain not in ("rural", "urban"):
        raise InvalidInput(f"unknown terrain {terrain!r}; valid: rural, urban")
    rho_s, t_s = _source_density(spec, weather)
    rho_a = air_density_kg_m3(weather.air_temperature_k, weather.air_pressure_pa)
    rho_gas = gas_density_kg_m3(spec.molar_mass_g_per_mol, weather.air_temperature_k, weather.air_pressure_pa)
    u = advection_speed_m_s(weather, spec.height_m)
    limit, why = distance_limit_m(weather, spec.height_m)
    # the source concentration: the released cloud's density, never below the pure vapour at ambient
    c_s = max(rho_s, rho_gas)
    # v/v of the Britter–McQuaid correlation → kg/m³: the pure gas at ambient, times the aerosol's share
    # (ρ_s over the vapour alone at T_s) so that the far field C_iso·ρ_s conserves the released mass
    rho_vap_s = gas_density_kg_m3(spec.molar_mass_g_per_mol, t_s, weather.air_pressure_pa)
    base = dict(spec=spec, weather=weather, terrain=terrain, u=u, limit_m=limit, limit_reason=why,
                source_concentration_kg_m3=c_s, ambient_gas_density_kg_m3=rho_gas * max(1.0, rho_s / rho_vap_s))
    u10 = weather.wind_speed_10m_m_s
    dense: DensePlume | DensePuff | None = None
    if spec.mode == "auto" and rho_s > rho_a:
        if spec.instantaneous:
            dense = DensePuff(spec.amount, rho_s, t_s, u10, weather.air_temperature_k, rho_a)
        else:
            dense = DensePlume(spec.amount, rho_s, t_s, u10, weather.air_temperature_k, rho_a)
        if not dense.is_dense:
            dense = None
    if dense is None:
        return Cloud(model="passive_puff" if spec.instantaneous else "passive_plume", **base)  # type: ignore[arg-type]
    x_t, reason = dense.transition_m()
    # matched on the near field as it is computed (kg/m³ with the aerosol's share, model 2.5.0; before, ρ_gas alone:
    # a flashing source's centreline fell by ρ_s/ρ_vap(T_s) at x_t, 2.2× for chlorine)
    c_t = base["ambient_gas_density_kg_m3"] * float(dense.ratio(x_t) if isinstance(dense, DensePlume)
                                                    else dense.ratio_at_edge(x_t))
    z = 0.0  # the virtual source matches the ground-level centreline
    if isinstance(dense, DensePlume):
        def centre(s: float) -> float:
            sy = float(briggs_sigma_y_m(s, weather.stability, terrain))
            sz = float(briggs_sigma_z_m(s, weather.stability, terrain))
            return spec.amount / (math.pi * u * sy * sz)
    else:
        def centre(s: float) -> float:
            sx, sy, sz = puff_sigmas_m(s, weather.stability, 0.0, True)
            return float(2 * spec.amount / ((2 * math.pi) ** 1.5 * sx * sy * sz))
    s_t = _bisect_log(centre, c_t, 1e-3, 1e8) if c_t > 0 else x_t
    del z
    cloud = Cloud(model="dense_puff" if spec.instantaneous else "dense_plume", dense=dense, transition_m=x_t,
                  transition_reason=reason, virtual_distance_m=s_t - x_t, **base)  # type: ignore[arg-type]
    if not spec.instantaneous and math.isfinite(spec.duration_s):
        whole = CloudSpec(True, spec.amount * spec.duration_s, math.inf, spec.height_m, spec.molar_mass_g_per_mol,
                          spec.source_density_kg_m3, spec.source_temperature_k, spec.mode, spec.terrain)
        cloud.puff_version = cloud_model(whole, weather)
    return cloud


# -- terrain from land use --------------------------------------------------------------------------


@dataclass(frozen=True)
class TerrainChoice:
    """Briggs rural or urban for one source, and why (``built_up_fraction`` in [0, 1] within ``radius_m``)."""

    terrain: str
    built_up_fraction: float
    radius_m: float
    threshold: float
    note: str


def terrain_from_built_up_fraction(built_up_fraction: float | None, default: str = "rural") -> TerrainChoice:
    """Urban when the built-up fraction around the source reaches ``terrain_urban_built_up_fraction`` (0.5).

    ``built_up_fraction`` None (no land-use layer): ``default``, stated. The fraction is the area
    of built-up land (residential polygons) within ``terrain_land_use_radius`` (1 km) of the source
    over the disc's area; computing it is the caller's job (it holds the layers).
    """
    radius = dispersion_constant("terrain_land_use_radius")
    thr = dispersion_constant("terrain_urban_built_up_fraction")
    if built_up_fraction is None:
        return TerrainChoice(default, math.nan, radius, thr, f"no land-use layer: {default} (the run's setting)")
    f = float(built_up_fraction)
    if not (math.isfinite(f) and 0.0 <= f <= 1.0 + 1e-9):
        raise InvalidInput(f"built-up fraction must be a number in [0, 1]; got {built_up_fraction!r}")
    terrain = "urban" if f >= thr else "rural"
    sign = "≥" if terrain == "urban" else "<"
    return TerrainChoice(terrain, min(f, 1.0), radius, thr,
                         f"{terrain}: built-up fraction {f:.2f} within {radius:g} m {sign} {thr:g} "
                         "(Briggs urban sigmas for the passive dispersion; Britter–McQuaid has no urban term)")


def terrain_by_land_use(
    positions: dict[str, tuple[float, float]], built_up: object | None, default: str = "rural"
) -> dict[str, TerrainChoice]:
    """Briggs rural or urban per source from the built-up fraction within ``terrain_land_use_radius`` of it.

    ``positions``: id → (x, y) in m of a projected CRS; ``built_up``: polygons of built-up land
    (a GeoSeries / GeoDataFrame or a sequence of shapely geometries, e.g. the residential layer) in the
    same CRS, or None (every source takes ``default``, stated).
    """
    import shapely

    polys = np.empty(0, dtype=object)
    if built_up is not None:
        seq = getattr(built_up, "geometry", built_up)
        arr = np.asarray([g for g in seq if g is not None and not g.is_empty], dtype=object)
        polys = arr[[g.geom_type in ("Polygon", "MultiPolygon") for g in arr]] if arr.size else arr
    # only the polygons touching each disc are merged (the union of the whole layer, per scope, was
    # the slow part): the same area, the disc ∩ the union of the layer
    tree = shapely.STRtree(polys) if polys.size else None
    radius = dispersion_constant("terrain_land_use_radius")
    out: dict[str, TerrainChoice] = {}
    for key, (x, y) in positions.items():
        if built_up is None:
            out[key] = terrain_from_built_up_fraction(None, default)
            continue
        disc = shapely.Point(float(x), float(y)).buffer(radius, quad_segs=32)
        near = np.empty(0, dtype=int) if tree is None else tree.query(disc, predicate="intersects")
        area = float(shapely.intersection(disc, shapely.union_all(polys[near])).area) if near.size else 0.0
        out[key] = terrain_from_built_up_fraction(min(area / disc.area, 1.0), default)
    return out
