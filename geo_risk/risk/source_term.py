"""Source terms: gas and liquid releases through a hole, flash fraction.

Pressures are **absolute** in Pa, temperatures in K, diameters in m, molar masses in kg/mol for
the gas model (as in the GasDispersion.jl / CCPS worked example) — the argument names say so.

* :func:`gas_release` — isentropic flow of an ideal gas through a sharp hole (CCPS, Crowl &
  Louvar): choked when P_ambient/P ≤ (2/(γ+1))^{γ/(γ−1)},
  ṁ = C_d·A·P·√(γ·M/(R·T)·(2/(γ+1))^{(γ+1)/(γ−1)}); otherwise
  ṁ = C_d·A·P·√(2·M/(R·T)·γ/(γ−1)·[(Pa/P)^{2/γ} − (Pa/P)^{(γ+1)/γ}]).
  Checked against the CCPS propane example as computed by GasDispersion.jl (qra-method.md §8.2):
  0.0899180 kg/s and an exit velocity of 208.11 m/s.
* :func:`liquid_release_rate_kg_s` — Bernoulli: ṁ = C_d·A·ρ·√(2(P − Pa)/ρ + 2·g·h).
* :func:`flash_fraction` — adiabatic flash of a superheated liquid, f = c_p(T − T_b)/h_fg,
  clipped to [0, 1] (the simple CCPS form; it slightly over-predicts f for large superheat).
* :func:`pool_evaporation_rate_kg_s` — Mackay & Matsugu (1973) mass transfer from a non-boiling
  pool, E = k·A·P_v·M/(R·T), k = 0.0048·u^{7/9}·D^{−1/9}·Sc^{−2/3} (constants UNCONFIRMED, in
  ``model_constants.csv``). Used for the vapour cloud of a flammable liquid's pool (the delayed
  ignition branch of K1 liquids); boiling pools (ground heat conduction) are not modelled.
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
    "GasRelease",
    "hole_area_m2",
    "gas_release",
    "liquid_release_rate_kg_s",
    "flash_fraction",
    "pool_evaporation_rate_kg_s",
]


@dataclass(frozen=True)
class GasRelease:
    """Result of :func:`gas_release`.

    Attributes
    ----------
    mass_rate_kg_s : float
        Release rate, kg/s.
    choked : bool
        Whether the flow is sonic at the hole.
    exit_pressure_pa, exit_temperature_k : float
        Pressure (Pa, absolute) and temperature (K) in the jet at the hole (the throat values when
        choked, ambient pressure otherwise).
    exit_velocity_m_s : float
        Mean velocity over the geometric hole area, ṁ/(ρ_exit·A), m/s (= C_d × the sonic speed
        when choked).
    exit_density_kg_m3 : float
        Gas density at the exit, kg/m³.
    """

    mass_rate_kg_s: float
    choked: bool
    exit_pressure_pa: float
    exit_temperature_k: float
    exit_velocity_m_s: float
    exit_density_kg_m3: float


def hole_area_m2(hole_diameter_m: float) -> float:
    """Area of a circular hole, m² (diameter in m, > 0)."""
    d = _scalar_positive("hole diameter", hole_diameter_m, "m")
    return math.pi * d * d / 4.0


def gas_release(
    hole_diameter_m: float,
    pressure_pa: float,
    temperature_k: float,
    heat_capacity_ratio: float,
    molar_mass_kg_per_mol: float,
    discharge_coefficient: float = 0.85,
    ambient_pressure_pa: float = 101325.0,
) -> GasRelease:
    """Release rate of an ideal gas through a hole, choked or not.

    Parameters
    ----------
    hole_diameter_m : float
        Hole diameter, m.
    pressure_pa : float
        Stagnation (vessel) pressure, Pa **absolute**; must exceed the ambient pressure.
    temperature_k : float
        Stagnation temperature, K.
    heat_capacity_ratio : float
        γ = c_p/c_v, > 1 (propane 1.142 in the CCPS example).
    molar_mass_kg_per_mol : float
        Molar mass, **kg/mol** (propane 0.044096).
    discharge_coefficient : float
        C_d in (0, 1]; default 0.85 (the CCPS example's value for a gas through a hole).
    ambient_pressure_pa : float
        Ambient pressure, Pa absolute.

    Returns
    -------
    GasRelease

    Examples
    --------
    >>> r = gas_release(0.01, 4e5 + 101325, 298.15, 1.142, 0.044096, 0.85)
    >>> round(r.mass_rate_kg_s, 7), round(r.exit_velocity_m_s, 2), r.choked
    (0.089918, 208.11, True)
    """
    area = hole_area_m2(hole_diameter_m)
    p = _scalar_positive("vessel pressure (absolute)", pressure_pa, "Pa")
    t = _scalar_positive("gas temperature", temperature_k, "K")
    g = _scalar_positive("heat capacity ratio", heat_capacity_ratio, "")
    m = _scalar_positive("molar mass", molar_mass_kg_per_mol, "kg/mol")
    pa = _scalar_positive("ambient pressure", ambient_pressure_pa, "Pa")
    cd = _scalar_positive("discharge coefficient", discharge_coefficient, "")
    if g <= 1.0:
        raise InvalidInput(f"heat capacity ratio γ must be > 1; got {g!r}")
    if cd > 1.0:
        raise InvalidInput(f"discharge coefficient must be in (0, 1]; got {cd!r}")
    if m > 1.0:
        raise InvalidInput(f"molar mass must be in kg/mol (propane 0.044096); got {m!r} — did you pass g/mol?")
    if p <= pa:
        raise InvalidInput(
            f"vessel pressure {p!r} Pa is not above the ambient {pa!r} Pa: no outflow. Pressures are "
            "absolute: add the atmospheric pressure to a gauge reading."
        )
    r_gas = constant("gas_constant")
    critical_ratio = (2.0 / (g + 1.0)) ** (g / (g - 1.0))
    choked = pa / p <= critical_ratio
    if choked:
        rate = cd * area * p * math.sqrt(g * m / (r_gas * t) * (2.0 / (g + 1.0)) ** ((g + 1.0) / (g - 1.0)))
        p_exit = p * critical_ratio
        t_exit = t * 2.0 / (g + 1.0)
    else:
        ratio = pa / p
        rate = (
            cd
            * area
            * p
            * math.sqrt(2.0 * m / (r_gas * t) * g / (g - 1.0) * (ratio ** (2.0 / g) - ratio ** ((g + 1.0) / g)))
        )
        p_exit = pa
        t_exit = t * ratio ** ((g - 1.0) / g)
    rho_exit = p_exit * m / (r_gas * t_exit)
    return GasRelease(rate, choked, p_exit, t_exit, rate / (rho_exit * area), rho_exit)


def liquid_release_rate_kg_s(
    hole_diameter_m: float,
    liquid_density_kg_m3: float,
    pressure_pa: float,
    ambient_pressure_pa: float = 101325.0,
    liquid_head_m: float = 0.0,
    discharge_coefficient: float = 0.61,
) -> float:
    """Liquid release rate through a hole (Bernoulli), kg/s.

    ṁ = C_d·A·ρ·√(2(P − Pa)/ρ + 2·g·h), with P the pressure above the liquid (Pa absolute), h the
    liquid height above the hole (m) and C_d default 0.61 (sharp-edged orifice). No flashing in
    the hole is modelled (conservative for a superheated liquid: the real two-phase rate is lower).
    """
    area = hole_area_m2(hole_diameter_m)
    rho = _scalar_positive("liquid density", liquid_density_kg_m3, "kg/m³")
    p = _scalar_positive("pressure above the liquid (absolute)", pressure_pa, "Pa")
    pa = _scalar_positive("ambient pressure", ambient_pressure_pa, "Pa")
    h = _scalar_nonnegative("liquid head", liquid_head_m, "m")
    cd = _scalar_positive("discharge coefficient", discharge_coefficient, "")
    if cd > 1.0:
        raise InvalidInput(f"discharge coefficient must be in (0, 1]; got {cd!r}")
    driving = 2.0 * (p - pa) / rho + 2.0 * constant("standard_gravity") * h
    if driving <= 0:
        raise InvalidInput(
            f"no outflow: pressure {p!r} Pa (absolute) and head {h!r} m do not exceed the ambient {pa!r} Pa"
        )
    return cd * area * rho * math.sqrt(driving)


def flash_fraction(
    liquid_temperature_k: np.ndarray | float,
    boiling_point_k: float,
    liquid_heat_capacity_j_kg_k: float,
    heat_of_vaporisation_j_kg: float,
) -> np.ndarray:
    """Mass fraction of a superheated liquid that flashes to vapour, f = c_p(T − T_b)/h_fg in [0, 1].

    Temperatures in K, c_p in J/(kg·K), h_fg in J/kg. 0 for a liquid at or below its boiling point.
    """
    t = _check_nonnegative("liquid temperature", liquid_temperature_k, "K")
    tb = _scalar_positive("normal boiling point", boiling_point_k, "K")
    cp = _scalar_positive("liquid heat capacity", liquid_heat_capacity_j_kg_k, "J/(kg·K)")
    hv = _scalar_positive("heat of vaporisation", heat_of_vaporisation_j_kg, "J/kg")
    return np.clip(cp * (t - tb) / hv, 0.0, 1.0)


def pool_evaporation_rate_kg_s(
    pool_diameter_m: float,
    vapour_pressure_pa: float,
    molar_mass_kg_mol: float,
    liquid_temperature_k: float,
    wind_speed_m_s: float,
) -> float:
    """Evaporation rate (kg/s) of a non-boiling liquid pool, Mackay & Matsugu (1973) mass transfer.

    E = k·A·P_v·M/(R·T), with k = c·u^a·D^b·Sc^s (m/s) and A = π D²/4 (m²). The constants are
    ``scenario_pool_evaporation_*`` in ``model_constants.csv`` (c = 0.0048 m/s, a = 7/9, b = −1/9,
    s = −2/3, Sc = 0.8; all UNCONFIRMED, recalled). A pool below its boiling point only (no
    ground heat conduction: a boiling, refrigerated pool needs another model).

    Parameters
    ----------
    pool_diameter_m : float
        Pool diameter, m (> 0).
    vapour_pressure_pa : float
        Vapour pressure of the liquid at its temperature, Pa (≥ 0; a pool at or above its boiling
        point would boil: give a value below the ambient pressure).
    molar_mass_kg_mol : float
        Molar mass, kg/mol (> 0).
    liquid_temperature_k : float
        Liquid temperature, K (> 0).
    wind_speed_m_s : float
        Wind speed over the pool (10 m wind), m/s (> 0).

    Raises
    ------
    InvalidInput
        A non-positive diameter, molar mass, temperature or wind speed, or a negative vapour pressure.
    """
    d = _scalar_positive("pool diameter", pool_diameter_m, "m")
    pv = _scalar_nonnegative("vapour pressure", vapour_pressure_pa, "Pa")
    m = _scalar_positive("molar mass", molar_mass_kg_mol, "kg/mol")
    t = _scalar_positive("liquid temperature", liquid_temperature_k, "K")
    u = _scalar_positive("wind speed", wind_speed_m_s, "m/s")
    k = (
        constant("scenario_pool_evaporation_coefficient")
        * u ** constant("scenario_pool_evaporation_wind_exponent")
        * d ** constant("scenario_pool_evaporation_diameter_exponent")
        * constant("scenario_pool_evaporation_schmidt_number") ** constant("scenario_pool_evaporation_schmidt_exponent")
    )
    area = math.pi * d * d / 4.0
    return k * area * pv * m / (constant("gas_constant") * t)
