"""Fires: pool fire, jet fire, BLEVE fireball and flash fire.

Each fire function returns a :class:`HeatExposure` — incident heat flux (**W/m²**) and exposure
time (**s**) at horizontal distances **r (m)** from the fire's centre, vectorised over ``r`` of
any shape. Lethality follows from :func:`geo_risk.risk.probits.heat_lethality`. Coefficients come
from ``model_constants.csv`` (most UNCONFIRMED: recalled CCPS / Yellow Book correlations).

Models and their simplifications (qra-method.md §5.4):

* **Pool fire** — Burgess burning rate m″ = 10⁻³·ΔH_c / (ΔH_v + c_p(T_b − T_a)) kg/(m²·s);
  Thomas flame height H = 42·D·[m″/(ρ_a√(gD))]^0.61; Mudan & Croce surface emissive power
  SEP = 140·e^{−0.12D} + 20·(1 − e^{−0.12D}) kW/m²; q = τ·SEP·F. **View factor (simplified):**
  the flame is replaced by a vertical flat rectangle D wide and H high standing at the pool edge
  nearest the target and facing it, seen from a ground-level target (element parallel to the
  rectangle, its normal through the middle of the base). Every line of sight to the cylinder
  crosses that rectangle, so this F is an upper bound of the vertical cylinder's (conservative).
  Wind tilt and flame drag are ignored. Inside the pool (r ≤ D/2) the person is engulfed:
  flux = SEP and ``engulfed`` is True (lethality 1).
* **Jet fire** — API 521 point source at the release point: q = τ·F_r·ṁ·ΔH_c / (4π r²), with
  the radiative fraction F_r (default 0.3, UNCONFIRMED). No flame length or direction: the point
  source over-predicts the flux close in (conservative) and ignores the jet's direction.
* **BLEVE fireball** — D = 5.8 M^{1/3} m; duration 0.45 M^{1/3} s for M < 30 000 kg, else
  2.6 M^{1/6}; SEP in the 200–350 kW/m² band (default 350, conservative); centre at 0.75·D; view
  factor of a sphere for a target facing it, F = (D/2)² / (r² + H²).
* **Flash fire** — lethality 1 for people outdoors inside the LFL footprint of the dispersed
  cloud (Purple Book rule, UNCONFIRMED), 0 outside: :func:`flash_fire_lethality` takes the
  concentration field.

Exposure time is min(fire duration, 20 s cap ``heat_exposure_cap``, UNCONFIRMED). Transmissivity
τ defaults to 1 (no absorption, conservative); :func:`atmospheric_transmissivity` gives the
Bagster & Pitblado correlation (UNCONFIRMED) for callers who want it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from geo_risk.errors import InvalidInput
from geo_risk.risk.parameters import (
    _check_nonnegative,
    _scalar_nonnegative,
    _scalar_positive,
    constant,
)

__all__ = [
    "HeatExposure",
    "burgess_burning_rate_kg_m2_s",
    "thomas_flame_height_m",
    "mudan_croce_sep_w_m2",
    "atmospheric_transmissivity",
    "planar_view_factor",
    "pool_fire",
    "jet_fire",
    "fireball_diameter_m",
    "fireball_duration_s",
    "fireball",
    "lfl_kg_m3",
    "flash_fire_lethality",
]


@dataclass(frozen=True)
class HeatExposure:
    """Heat flux and exposure time at the requested distances.

    Attributes
    ----------
    heat_flux_w_m2 : numpy.ndarray
        Incident heat flux, W/m², same shape as the distances.
    exposure_s : float
        Exposure time, s (fire duration capped at ``heat_exposure_cap``).
    engulfed : numpy.ndarray of bool
        True where the person is inside the flame (lethality 1 whatever the flux).
    """

    heat_flux_w_m2: np.ndarray
    exposure_s: float
    engulfed: np.ndarray


def _exposure_s(duration_s: float) -> float:
    d = _scalar_nonnegative("fire duration", duration_s, "s")
    return min(d, constant("heat_exposure_cap"))


def _tau(transmissivity: float | None) -> float:
    tau = constant("transmissivity_default") if transmissivity is None else float(transmissivity)
    if not 0 < tau <= 1:
        raise InvalidInput(f"atmospheric transmissivity must be in (0, 1]; got {transmissivity!r}")
    return tau


def burgess_burning_rate_kg_m2_s(
    heat_of_combustion_j_kg: float,
    heat_of_vaporisation_j_kg: float,
    liquid_heat_capacity_j_kg_k: float,
    boiling_point_k: float,
    ambient_temperature_k: float = 293.15,
) -> float:
    """Burgess burning rate m″ = 10⁻³·ΔH_c / (ΔH_v + c_p·max(T_b − T_a, 0)), kg/(m²·s).

    ΔH_c and ΔH_v in J/kg, c_p in J/(kg·K), temperatures in K. For a liquid stored above its
    boiling point (liquefied gas) the sensible-heat term is 0.
    """
    hc = _scalar_positive("heat of combustion", heat_of_combustion_j_kg, "J/kg")
    hv = _scalar_positive("heat of vaporisation", heat_of_vaporisation_j_kg, "J/kg")
    cp = _scalar_positive("liquid heat capacity", liquid_heat_capacity_j_kg_k, "J/(kg·K)")
    tb = _scalar_positive("boiling point", boiling_point_k, "K")
    ta = _scalar_positive("ambient temperature", ambient_temperature_k, "K")
    return constant("burgess_coefficient") * hc / (hv + cp * max(tb - ta, 0.0))


def thomas_flame_height_m(
    pool_diameter_m: float, burning_rate_kg_m2_s: float, air_density_kg_m3: float = 1.205
) -> float:
    """Thomas (1963) mean flame height H = 42·D·[m″/(ρ_a·√(g·D))]^0.61, m (D in m, m″ in kg/(m²·s))."""
    d = _scalar_positive("pool diameter", pool_diameter_m, "m")
    m = _scalar_positive("burning rate", burning_rate_kg_m2_s, "kg/(m²·s)")
    rho = _scalar_positive("air density", air_density_kg_m3, "kg/m³")
    g = constant("standard_gravity")
    return constant("thomas_coefficient") * d * (m / (rho * math.sqrt(g * d))) ** constant("thomas_exponent")


def mudan_croce_sep_w_m2(pool_diameter_m: float) -> float:
    """Surface emissive power of a smoky hydrocarbon pool fire (Mudan & Croce), W/m²."""
    d = _scalar_positive("pool diameter", pool_diameter_m, "m")
    s = constant("pool_sep_extinction")
    return constant("pool_sep_max") * math.exp(-s * d) + constant("pool_sep_soot") * (1.0 - math.exp(-s * d))


def atmospheric_transmissivity(path_length_m: np.ndarray | float, water_partial_pressure_pa: float) -> np.ndarray:
    """Bagster & Pitblado τ = 2.02·(p_w·x)^−0.09, capped at 1 (x path length in m, p_w in Pa)."""
    x = _check_nonnegative("path length", path_length_m, "m")
    pw = _scalar_positive("water vapour partial pressure", water_partial_pressure_pa, "Pa")
    with np.errstate(divide="ignore"):
        tau = constant("bagster_pitblado_coefficient") * (pw * x) ** constant("bagster_pitblado_exponent")
    return np.minimum(tau, 1.0)


def planar_view_factor(distance_m: np.ndarray | float, width_m: float, height_m: float) -> np.ndarray:
    """View factor from a ground-level element to a facing vertical rectangle ``width_m`` × ``height_m``.

    The element faces the rectangle; its normal meets the middle of the rectangle's base at
    ``distance_m`` (m). Sum of two corner rectangles (width/2 × height), each
    F = 1/(2π)·[X/√(1+X²)·atan(Y/√(1+X²)) + Y/√(1+Y²)·atan(X/√(1+Y²))], X = (w/2)/c, Y = h/c.
    Tends to 1/2 at c → 0.
    """
    c = _check_nonnegative("distance to the flame", distance_m, "m")
    w = _scalar_positive("flame width", width_m, "m")
    h = _scalar_positive("flame height", height_m, "m")
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (w / 2.0) / c
        y = h / c
        sx = np.sqrt(1.0 + x * x)
        sy = np.sqrt(1.0 + y * y)
        f = (x / sx * np.arctan(y / sx) + y / sy * np.arctan(x / sy)) / np.pi
    return np.where(c > 0, np.nan_to_num(f, nan=0.5), 0.5)


def pool_fire(
    distance_m: np.ndarray | float,
    pool_diameter_m: float,
    flame_height_m: float,
    sep_w_m2: float,
    duration_s: float = math.inf,
    transmissivity: float | None = None,
) -> HeatExposure:
    """Heat flux (W/m²) from a pool fire at horizontal distances from the pool centre (m).

    q = τ·SEP·F(r − D/2) with the planar view factor (see the module docstring); engulfed
    (flux = SEP) inside the pool. ``duration_s``: burn time, s (the exposure is capped at 20 s).
    """
    r = _check_nonnegative("distance", distance_m, "m")
    d = _scalar_positive("pool diameter", pool_diameter_m, "m")
    sep = _scalar_positive("surface emissive power", sep_w_m2, "W/m²")
    f = planar_view_factor(np.maximum(r - d / 2.0, 0.0), d, flame_height_m)
    inside = r <= d / 2.0
    q = np.where(inside, sep, _tau(transmissivity) * sep * f)
    return HeatExposure(q, _exposure_s(duration_s), inside)


def jet_fire(
    distance_m: np.ndarray | float,
    mass_rate_kg_s: float,
    heat_of_combustion_j_kg: float,
    radiative_fraction: float | None = None,
    duration_s: float = math.inf,
    transmissivity: float | None = None,
) -> HeatExposure:
    """Heat flux (W/m²) of a jet fire by the API 521 point source, q = τ·F_r·ṁ·ΔH_c / (4π r²).

    ``distance_m``: from the release point, m (0 gives an infinite flux). ``mass_rate_kg_s``:
    burning rate, kg/s, ≥ 0. ``radiative_fraction``: default ``jet_fire_radiative_fraction``.
    """
    r = _check_nonnegative("distance", distance_m, "m")
    m = _scalar_nonnegative("release rate", mass_rate_kg_s, "kg/s")
    hc = _scalar_positive("heat of combustion", heat_of_combustion_j_kg, "J/kg")
    fr = constant("jet_fire_radiative_fraction") if radiative_fraction is None else float(radiative_fraction)
    if not 0 < fr <= 1:
        raise InvalidInput(f"radiative fraction must be in (0, 1]; got {radiative_fraction!r}")
    with np.errstate(divide="ignore"):
        q = _tau(transmissivity) * fr * m * hc / (4.0 * np.pi * r**2)
    return HeatExposure(q, _exposure_s(duration_s), np.zeros(r.shape, dtype=bool))


def fireball_diameter_m(mass_kg: float) -> float:
    """BLEVE fireball diameter D = 5.8·M^{1/3}, m (M flammable mass, kg)."""
    m = _scalar_positive("fireball mass", mass_kg, "kg")
    return constant("fireball_diameter_coefficient") * m ** constant("fireball_diameter_exponent")


def fireball_duration_s(mass_kg: float) -> float:
    """Fireball duration: 0.45·M^{1/3} s for M < 30 000 kg, 2.6·M^{1/6} s above (M in kg)."""
    m = _scalar_positive("fireball mass", mass_kg, "kg")
    if m < constant("fireball_duration_mass_break"):
        return constant("fireball_duration_small_coefficient") * m ** constant("fireball_duration_small_exponent")
    return constant("fireball_duration_large_coefficient") * m ** constant("fireball_duration_large_exponent")


def fireball(
    distance_m: np.ndarray | float,
    mass_kg: float,
    sep_w_m2: float | None = None,
    transmissivity: float | None = None,
) -> HeatExposure:
    """Heat flux (W/m²) of a BLEVE fireball at horizontal distances (m) from the point below its centre.

    q = τ·SEP·(D/2)² / (r² + H²), H = 0.75·D (``fireball_centre_height_factor``). ``sep_w_m2``
    must lie in the reference band (200–350 kW/m²); default 350 kW/m².
    """
    r = _check_nonnegative("distance", distance_m, "m")
    sep = constant("fireball_sep_default") if sep_w_m2 is None else float(sep_w_m2)
    lo, hi = constant("fireball_sep_min"), constant("fireball_sep_max")
    if not lo <= sep <= hi:
        raise InvalidInput(f"fireball SEP must be within the reference band {lo:g}–{hi:g} W/m²; got {sep_w_m2!r}")
    d = fireball_diameter_m(mass_kg)
    h = constant("fireball_centre_height_factor") * d
    f = np.minimum((d / 2.0) ** 2 / (r**2 + h**2), 1.0)
    q = _tau(transmissivity) * sep * f
    return HeatExposure(q, _exposure_s(fireball_duration_s(mass_kg)), np.zeros(r.shape, dtype=bool))


def lfl_kg_m3(
    lfl_vol_pct: float, molar_mass_g_per_mol: float, temperature_k: float = 293.15, pressure_pa: float = 101325.0
) -> float:
    """Lower flammability limit as a mass concentration, kg/m³ (LFL in vol %, M in g/mol, T in K, P in Pa)."""
    lfl = _scalar_positive("LFL", lfl_vol_pct, "vol %")
    if lfl >= 100:
        raise InvalidInput(f"LFL must be a volume percentage below 100; got {lfl_vol_pct!r}")
    m = _scalar_positive("molar mass", molar_mass_g_per_mol, "g/mol")
    t = _scalar_positive("temperature", temperature_k, "K")
    p = _scalar_positive("pressure", pressure_pa, "Pa")
    return lfl / 100.0 * p * m * 1e-3 / (constant("gas_constant") * t)


def flash_fire_lethality(concentration: np.ndarray | float, lfl: float) -> np.ndarray:
    """Flash-fire lethality: 1 where concentration ≥ fraction·LFL, else 0 (Purple Book rule, UNCONFIRMED).

    ``concentration`` and ``lfl`` in the same unit (e.g. kg/m³ from the dispersion models and
    :func:`lfl_kg_m3`); the fraction is ``flash_fire_lfl_fraction`` (1: the LFL itself).
    """
    c = _check_nonnegative("concentration", concentration, "")
    limit = _scalar_positive("LFL", lfl, "") * constant("flash_fire_lfl_fraction")
    return np.where(c >= limit, constant("flash_fire_lethality"), 0.0)
