"""Dense-gas dispersion: the Britter–McQuaid workbook (continuous plume and instantaneous puff).

Britter & McQuaid (1988), *Workbook on the dispersion of dense gases* (HSE CRR 17/1988), as
digitised in CCPS (1999) and coded in GasDispersion.jl; the equations are in
docs/standards/dense-gas-and-puffs.md. Units: m, s, kg, K, Pa; concentrations are volume fractions
(v/v, "C/C0" the ratio to the source's) unless the name says kg/m³.

Inputs (docs/standards/dense-gas-and-puffs.md §1.1): ρ_s the density of the released cloud at release conditions (the
mixture density for a flashing liquid with aerosol, :func:`flashing_source`), ρ_a the air, g0′ =
g (ρ_s − ρ_a)/ρ_a, u = u10 the 10 m wind (stability enters only through u).

* Continuous: q0 = ṁ/ρ_s, D = √(q0/u), α = 0.2 log10(g0′² q0/u⁵), β = log10(x/D). Dense if
  (g0′ q0/(u³ D))^{1/3} ≥ 0.15 (``dense_gas_continuous_threshold``).
* Instantaneous: V0 = M/ρ_s, α = 0.5 log10(g0′ V0^{1/3}/u²), β = log10(x/V0^{1/3}). Dense if
  √(g0′ V0^{1/3})/u ≥ 0.20 (``dense_gas_instantaneous_threshold``, UNCONFIRMED).
* The correlation tables (``britter_mcquaid.csv``, C2) give β of the Cm/C0 curves as a
  piecewise-linear function of α; C/C0 is interpolated linearly in β between the curves, with the
  near-field formulas before the first point and an x⁻² far field after the last one; a
  non-isothermal source (T_s ≠ T_a) is corrected by C = C_iso/(C_iso + (1 − C_iso) T_s/T_a).
* Geometry: plume half-width L_H(x) = D + 8 l_b + 2.5 l_b^{1/3} x^{2/3} (l_b = g0′q0/u³), upwind
  extent D/2 + 2 l_b; puff radius R(t)² = R0² + 1.2 √(g0′V0) t, centre at 0.4 u t, correlation
  distance the leading edge 0.4 u t + R(t). The profiles are top-hats (cloud-mean concentration
  inside, zero outside).
* **Transition to the passive far field** (a stated project choice, dense-gas-and-puffs.md §1.7): at x_t,
  the first of the end of the correlation (the lowest curve) and the first distance where the
  diluted cloud fails the dense test again (with the buoyancy flux conserved the criterion falls
  as (C/C0)^{1/6}), the cloud continues as a passive Gaussian plume or puff from a virtual source
  whose ground-level centreline concentration at x_t equals the Britter–McQuaid one.

The output is a cloud-mean concentration: no peak-to-mean or averaging-time correction (C1).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from geo_risk.errors import InvalidInput
from geo_risk.risk.parameters import STATUSES, _scalar_positive, constant

__all__ = [
    "BM_TABLE_FILE",
    "CorrelationSegment",
    "FlashingSource",
    "bm_table",
    "beta_of_curve",
    "plume_ratio",
    "puff_ratio",
    "temperature_corrected",
    "DensePlume",
    "DensePuff",
    "flashing_source",
]

BM_TABLE_FILE = "britter_mcquaid.csv"


@dataclass(frozen=True)
class CorrelationSegment:
    """β = slope·α + intercept for α ≤ ``alpha_max`` (the first segment that holds α)."""

    kind: str
    ratio: float
    alpha_max: float
    slope: float
    intercept: float
    status: str


@cache
def bm_table() -> dict[str, dict[float, tuple[CorrelationSegment, ...]]]:
    """The correlation table by kind ("plume", "puff") and Cm/C0 ratio, segments in order."""
    text = resources.files("geo_risk.risk").joinpath("data").joinpath(BM_TABLE_FILE).read_text("utf-8")
    out: dict[str, dict[float, list[CorrelationSegment]]] = {"plume": {}, "puff": {}}
    for i, r in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        if None in r or any(v is None for v in r.values()) or r["status"] not in STATUSES or r["kind"] not in out:
            raise InvalidInput(f"geo_risk/risk/data/{BM_TABLE_FILE} line {i}: malformed row")
        seg = CorrelationSegment(
            r["kind"], float(r["ratio"]), float(r["alpha_max"]), float(r["slope"]), float(r["intercept"]), r["status"]
        )
        out[seg.kind].setdefault(seg.ratio, []).append(seg)
    return {k: {ratio: tuple(v) for ratio, v in sorted(d.items(), reverse=True)} for k, d in out.items()}


def beta_of_curve(kind: str, ratio: float, alpha: float) -> float:
    """β = log10(x/L) of the ``ratio`` curve (Cm/C0) of ``kind`` at ``alpha`` (table look-up)."""
    try:
        segments = bm_table()[kind][ratio]
    except KeyError as exc:
        raise InvalidInput(f"no Britter–McQuaid {kind} curve for Cm/C0 = {ratio!r}") from exc
    for seg in segments:
        if alpha <= seg.alpha_max:
            return seg.slope * alpha + seg.intercept
    last = segments[-1]  # pragma: no cover - the last segment has alpha_max = inf
    return last.slope * alpha + last.intercept


def _curve_points(kind: str, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(β sorted ascending, C/C0) of every curve at ``alpha``."""
    ratios = np.array(list(bm_table()[kind]), dtype=float)
    betas = np.array([beta_of_curve(kind, r, alpha) for r in ratios])
    order = np.argsort(betas, kind="stable")
    return betas[order], ratios[order]


def plume_ratio(x_over_d: np.ndarray | float, alpha: float) -> np.ndarray:
    """Isothermal Cm/C0 of a continuous release at x/D (≥ 0): near field, correlation, x⁻² far field."""
    s = np.maximum(np.asarray(x_over_d, dtype=float), 0.0)
    betas, ratios = _curve_points("plume", alpha)
    k = constant_d("bm_plume_near_field_coefficient")
    x_nf = constant_d("bm_plume_near_field_limit")
    x_first = 10.0 ** betas[0]
    if x_first >= x_nf:  # the near-field point joins the 0.10 curve linearly in β
        b_tab = np.concatenate([[math.log10(x_nf)], betas])
        c_tab = np.concatenate([[k / (k + x_nf**2)], ratios])
        edge = x_nf
    else:  # α > ≈ 0.605: the near field stops at the first curve point
        b_tab, c_tab, edge = betas, ratios, x_first
    with np.errstate(divide="ignore", over="ignore"):
        b = np.log10(s)
        far = c_tab[-1] * (10.0 ** b_tab[-1] / np.maximum(s, 1e-300)) ** 2
    mid = np.interp(b, b_tab, c_tab)
    near = k / (k + s**2)
    return np.where(s <= edge, near, np.where(b <= b_tab[-1], mid, far))


def puff_ratio(x_over_l: np.ndarray | float, alpha: float) -> np.ndarray:
    """Isothermal Cm/C0 of an instantaneous release at x′ = x/V0^{1/3} (≥ 0) of the leading edge."""
    s = np.maximum(np.asarray(x_over_l, dtype=float), 0.0)
    betas, ratios = _curve_points("puff", alpha)
    k = constant_d("bm_puff_near_field_coefficient")
    first = float(ratios[0])
    with np.errstate(divide="ignore", over="ignore"):
        b = np.log10(s)
        far = ratios[-1] * (10.0 ** betas[-1] / np.maximum(s, 1e-300)) ** 2
    near = np.maximum(k / (k + s**2), first)
    mid = np.interp(b, betas, ratios)
    return np.where(b <= betas[0], near, np.where(b <= betas[-1], mid, far))


def temperature_corrected(c_iso: np.ndarray | float, source_k: float, air_k: float) -> np.ndarray:
    """Non-isothermal correction C = C_iso/(C_iso + (1 − C_iso) T_s/T_a) (C2)."""
    c = np.asarray(c_iso, dtype=float)
    return c / (c + (1.0 - c) * source_k / air_k)


def _isothermal_of(c: float, source_k: float, air_k: float) -> float:
    """Inverse of :func:`temperature_corrected`."""
    return c / (c + (1.0 - c) * air_k / source_k)


def constant_d(key: str) -> float:
    """A value of ``dispersion_constants.csv`` (re-exported from :mod:`geo_risk.risk.dispersion`)."""
    from geo_risk.risk.dispersion import dispersion_constant

    return dispersion_constant(key)


# -- flashing source --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlashingSource:
    """The cloud a pressurised liquefied gas makes as it flashes: vapour fraction, T (K), density (kg/m³).

    ``vapour_fraction`` = 1 − exp(−c_p (T − T_b)/h_v) (the isenthalpic flash, integrated form);
    the rest stays as aerosol in the cloud (no rain-out: conservative for the toxic cloud). The
    cloud is at the boiling point; its density is the homogeneous mixture's,
    1/ρ = x_v/ρ_v(T_b) + (1 − x_v)/ρ_liquid — much heavier than the vapour alone, which is why a
    flashing ammonia release is dense although ammonia vapour at ambient is lighter than air.
    """

    vapour_fraction: float
    temperature_k: float
    density_kg_m3: float
    note: str


def flashing_source(
    storage_temperature_k: float,
    boiling_point_k: float,
    liquid_heat_capacity_j_kg_k: float,
    heat_of_vaporisation_j_kg: float,
    molar_mass_g_per_mol: float,
    liquid_density_kg_m3: float,
    pressure_pa: float = 101325.0,
) -> FlashingSource:
    """The flashing cloud of a liquefied gas stored at ``storage_temperature_k`` above its boiling point."""
    t = _scalar_positive("storage temperature", storage_temperature_k, "K")
    tb = _scalar_positive("boiling point", boiling_point_k, "K")
    cp = _scalar_positive("liquid heat capacity", liquid_heat_capacity_j_kg_k, "J/(kg K)")
    hv = _scalar_positive("heat of vaporisation", heat_of_vaporisation_j_kg, "J/kg")
    m = _scalar_positive("molar mass", molar_mass_g_per_mol, "g/mol")
    rho_l = _scalar_positive("liquid density", liquid_density_kg_m3, "kg/m³")
    xv = 1.0 - math.exp(-cp * max(t - tb, 0.0) / hv)
    rho_v = pressure_pa * m * 1e-3 / (constant("gas_constant") * tb)
    if xv <= 0:
        return FlashingSource(0.0, tb, rho_l, "no flash (stored at or below its boiling point): liquid")
    rho = 1.0 / (xv / rho_v + (1.0 - xv) / rho_l)
    return FlashingSource(
        xv, tb, rho,
        f"flashing liquefied gas: vapour fraction {xv:.3f}, aerosol {1 - xv:.3f} kept in the cloud at "
        f"{tb:.1f} K, cloud density {rho:.3g} kg/m³ (vapour alone {rho_v:.3g} kg/m³)",
    )  # fmt: skip


# -- models -----------------------------------------------------------------------------------------


def _reduced_gravity(rho_s: float, rho_a: float) -> float:
    return constant("standard_gravity") * (rho_s - rho_a) / rho_a


def _invert_ratio(ratio_fn: object, target: float, lo: float, hi: float) -> float:
    """Smallest s in [lo, hi] with ratio_fn(s) ≤ target (ratio non-increasing), by bisection in log s."""
    f = ratio_fn  # type: ignore[assignment]
    if float(f(lo)) <= target:  # type: ignore[operator]
        return lo
    if float(f(hi)) > target:  # type: ignore[operator]
        return hi
    a, b = math.log(lo), math.log(hi)
    for _ in range(80):
        mid = 0.5 * (a + b)
        if float(f(math.exp(mid))) > target:  # type: ignore[operator]
            a = mid
        else:
            b = mid
    return math.exp(b)


@dataclass(frozen=True)
class DensePlume:
    """Britter–McQuaid continuous release: ``rate_kg_s`` of a cloud of density ``source_density_kg_m3``.

    ``source_temperature_k`` (T_s) and ``air_temperature_k`` (T_a) for the non-isothermal correction
    (pass equal values for none); ``wind_speed_10m_m_s`` the 10 m wind; ``air_density_kg_m3``.
    """

    rate_kg_s: float
    source_density_kg_m3: float
    source_temperature_k: float
    wind_speed_10m_m_s: float
    air_temperature_k: float
    air_density_kg_m3: float
    temperature_correction: bool = True

    def __post_init__(self) -> None:
        for name, unit in (("rate_kg_s", "kg/s"), ("source_density_kg_m3", "kg/m³"), ("source_temperature_k", "K"),
                           ("wind_speed_10m_m_s", "m/s"), ("air_temperature_k", "K"), ("air_density_kg_m3", "kg/m³")):
            _scalar_positive(name.replace("_", " "), getattr(self, name), unit)

    @property
    def q0(self) -> float:
        """Volumetric source rate q0 = ṁ/ρ_s (m³/s)."""
        return self.rate_kg_s / self.source_density_kg_m3

    @property
    def g0(self) -> float:
        """Reduced gravity g0′ (m/s²)."""
        return _reduced_gravity(self.source_density_kg_m3, self.air_density_kg_m3)

    @property
    def length_d(self) -> float:
        """D = √(q0/u) (m)."""
        return math.sqrt(self.q0 / self.wind_speed_10m_m_s)

    @property
    def alpha(self) -> float:
        """α = 0.2 log10(g0′² q0/u⁵); −inf for a cloud not heavier than air."""
        g = self.g0
        return -math.inf if g <= 0 else 0.2 * math.log10(g * g * self.q0 / self.wind_speed_10m_m_s**5)

    @property
    def criterion(self) -> float:
        """(g0′ q0/(u³ D))^{1/3}: dense if ≥ ``dense_gas_continuous_threshold``."""
        return (max(self.g0, 0.0) * self.q0 / (self.wind_speed_10m_m_s**3 * self.length_d)) ** (1.0 / 3.0)

    @property
    def is_dense(self) -> bool:
        return self.criterion >= constant("dense_gas_continuous_threshold")

    @property
    def buoyancy_length(self) -> float:
        """l_b = g0′ q0/u³ (m)."""
        return max(self.g0, 0.0) * self.q0 / self.wind_speed_10m_m_s**3

    def half_width_m(self, x_m: np.ndarray | float) -> np.ndarray:
        """Crosswind half-width L_H (m); L_H0 upwind of the source (down to −L_U)."""
        lb = self.buoyancy_length
        x = np.maximum(np.asarray(x_m, dtype=float), 0.0)
        lh0 = self.length_d + constant_d("bm_plume_source_lb_factor") * lb
        return lh0 + constant_d("bm_plume_spread_coefficient") * lb ** (1.0 / 3.0) * x ** (2.0 / 3.0)

    @property
    def upwind_extent_m(self) -> float:
        """L_U = D/2 + 2 l_b (m)."""
        return self.length_d / 2 + constant_d("bm_plume_upwind_lb_factor") * self.buoyancy_length

    def ratio(self, x_m: np.ndarray | float) -> np.ndarray:
        """C/C0 (v/v of the source) at the centreline x (m) ≥ 0, temperature-corrected."""
        c = plume_ratio(np.asarray(x_m, dtype=float) / self.length_d, self.alpha)
        if self.temperature_correction:
            c = temperature_corrected(c, self.source_temperature_k, self.air_temperature_k)
        return c

    def transition_m(self) -> tuple[float, str]:
        """(x_t m, why): end of the correlation or first x where the diluted cloud is no longer dense."""
        betas, _ = _curve_points("plume", self.alpha)
        x_end = 10.0 ** betas[-1] * self.length_d
        thr = constant("dense_gas_continuous_threshold")
        c_fail = (thr / self.criterion) ** 6 if self.criterion > 0 else 1.0
        if c_fail >= 1.0:
            return 0.0, "not dense at the source"
        x_fail = _invert_ratio(lambda x: plume_ratio(x / self.length_d, self.alpha), c_fail, 1e-3, x_end)
        if x_fail < x_end:
            return x_fail, f"the diluted cloud is no longer dense (criterion < {thr:g}) at C/C0 = {c_fail:.3g}"
        return x_end, "end of the Britter–McQuaid correlation (C/C0 = 0.002)"


@dataclass(frozen=True)
class DensePuff:
    """Britter–McQuaid instantaneous release of ``mass_kg`` with the source cloud density ``source_density_kg_m3``."""

    mass_kg: float
    source_density_kg_m3: float
    source_temperature_k: float
    wind_speed_10m_m_s: float
    air_temperature_k: float
    air_density_kg_m3: float
    temperature_correction: bool = True

    def __post_init__(self) -> None:
        for name, unit in (("mass_kg", "kg"), ("source_density_kg_m3", "kg/m³"), ("source_temperature_k", "K"),
                           ("wind_speed_10m_m_s", "m/s"), ("air_temperature_k", "K"), ("air_density_kg_m3", "kg/m³")):
            _scalar_positive(name.replace("_", " "), getattr(self, name), unit)

    @property
    def v0(self) -> float:
        """Initial cloud volume V0 = M/ρ_s (m³)."""
        return self.mass_kg / self.source_density_kg_m3

    @property
    def g0(self) -> float:
        return _reduced_gravity(self.source_density_kg_m3, self.air_density_kg_m3)

    @property
    def length_l(self) -> float:
        """V0^{1/3} (m)."""
        return self.v0 ** (1.0 / 3.0)

    @property
    def alpha(self) -> float:
        """α = 0.5 log10(g0′ V0^{1/3}/u²); −inf for a cloud not heavier than air."""
        g = self.g0
        return -math.inf if g <= 0 else 0.5 * math.log10(g * self.length_l / self.wind_speed_10m_m_s**2)

    @property
    def criterion(self) -> float:
        """√(g0′ V0^{1/3})/u: dense if ≥ ``dense_gas_instantaneous_threshold`` (UNCONFIRMED)."""
        return math.sqrt(max(self.g0, 0.0) * self.length_l) / self.wind_speed_10m_m_s

    @property
    def is_dense(self) -> bool:
        return self.criterion >= constant("dense_gas_instantaneous_threshold")

    @property
    def initial_radius_m(self) -> float:
        """R0: radius of the sphere of volume V0 (GasDispersion.jl's choice) (m)."""
        return (3.0 * self.v0 / (4.0 * math.pi)) ** (1.0 / 3.0)

    @property
    def advection_m_s(self) -> float:
        """Speed of the cloud centre, 0.4 u10 (m/s)."""
        return constant_d("bm_puff_advection_fraction") * self.wind_speed_10m_m_s

    @property
    def spread_rate_m2_s(self) -> float:
        """k in R² = R0² + k t (m²/s)."""
        return constant_d("bm_puff_spread_coefficient") * math.sqrt(max(self.g0, 0.0) * self.v0)

    def radius_m(self, t_s: np.ndarray | float) -> np.ndarray:
        """Cloud radius R(t) (m)."""
        return np.sqrt(self.initial_radius_m**2 + self.spread_rate_m2_s * np.maximum(np.asarray(t_s, float), 0.0))

    def leading_edge_m(self, t_s: np.ndarray | float) -> np.ndarray:
        """x of the leading edge 0.4 u t + R(t) (m)."""
        t = np.maximum(np.asarray(t_s, dtype=float), 0.0)
        return self.advection_m_s * t + self.radius_m(t)

    def ratio_at_edge(self, x_edge_m: np.ndarray | float) -> np.ndarray:
        """Cloud-mean C/C0 when the leading edge is at ``x_edge_m`` (m), temperature-corrected if set."""
        c = puff_ratio(np.asarray(x_edge_m, dtype=float) / self.length_l, self.alpha)
        if self.temperature_correction:
            c = temperature_corrected(c, self.source_temperature_k, self.air_temperature_k)
        return c

    def ratio(self, x_m: np.ndarray | float, y_m: np.ndarray | float, t_s: np.ndarray | float) -> np.ndarray:
        """C/C0 at ground level at (x, y) (m) and time t (s): cloud-mean inside the cloud, 0 outside."""
        x, y, t = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x_m, y_m, t_s)))
        xc = self.advection_m_s * np.maximum(t, 0.0)
        r = self.radius_m(t)
        inside = ((x - xc) ** 2 + y**2 <= r**2) & (t >= 0)
        return np.where(inside, self.ratio_at_edge(xc + r), 0.0)

    def cover_times_s(self, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(t_in, t_out) in s: when the growing, moving cloud covers (x, y); NaN if it never does.

        Roots of a²t² − (2ax + k)t + (x² + y² − R0²) = 0 (a = 0.4 u, k the spread rate), t_in ≥ 0.
        """
        a, k, r0 = self.advection_m_s, self.spread_rate_m2_s, self.initial_radius_m
        x = np.asarray(x_m, dtype=float)
        y = np.asarray(y_m, dtype=float)
        b = 2 * a * x + k
        c = x**2 + y**2 - r0**2
        disc = b * b - 4 * a * a * c
        ok = disc >= 0
        sq = np.sqrt(np.where(ok, disc, 0.0))
        t1 = (b - sq) / (2 * a * a)
        t2 = (b + sq) / (2 * a * a)
        ok &= t2 >= 0
        return np.where(ok, np.maximum(t1, 0.0), np.nan), np.where(ok, t2, np.nan)

    def transition_m(self) -> tuple[float, str]:
        """(x_t m, why), as :meth:`DensePlume.transition_m`, for the leading edge."""
        betas, _ = _curve_points("puff", self.alpha)
        x_end = 10.0 ** betas[-1] * self.length_l
        thr = constant("dense_gas_instantaneous_threshold")
        c_fail = (thr / self.criterion) ** 6 if self.criterion > 0 else 1.0
        if c_fail >= 1.0:
            return 0.0, "not dense at the source"
        x_fail = _invert_ratio(lambda x: puff_ratio(x / self.length_l, self.alpha), c_fail, 1e-3, x_end)
        if x_fail < x_end:
            return x_fail, f"the diluted cloud is no longer dense (criterion < {thr:g}) at C/C0 = {c_fail:.3g}"
        return x_end, "end of the Britter–McQuaid correlation (C/C0 = 0.001)"
