"""Vapour-cloud explosion by TNT equivalence, blast correlation, overpressure lethality.

* TNT mass (CCPS / Yellow Book TNT-equivalence, qra-method.md §5.4):
  W_TNT = η·M_f·ΔH_c / E_TNT, with M_f the flammable mass (kg), ΔH_c its heat of combustion
  (J/kg), E_TNT = 4.6 MJ/kg (C1) and the yield η **default 0.04** (UNCONFIRMED project choice,
  the middle of the 3–5 % range, the value usually quoted in Chinese safety-assessment practice).
* Side-on peak overpressure: the **Kinney & Graham (1985)** closed form for a free-air TNT burst
  (*Explosive Shocks in Air*, 2nd ed., eq. 6-2; C2 — several independent public transcriptions):

      p_s/p_a = 808·[1 + (Z/4.5)²] / √{[1 + (Z/0.048)²]·[1 + (Z/0.32)²]·[1 + (Z/1.35)²]},
      Z = r / (k·W)^{1/3}  (m/kg^{1/3}),

  where k = 2 (``surface_burst_factor``, UNCONFIRMED) turns the free-air fit into a ground-level
  (hemispherical) burst by doubling the charge (perfect reflection; conservative).
* Impulse, Kinney & Graham: i/W^{1/3} = 0.067·√(1 + (Z/0.23)⁴) / (Z²·∛(1 + (Z/1.55)³)) in
  bar·ms/kg^{1/3} (C1; the unit is UNCONFIRMED) — used only by the TNO impulse probits.
* Lethality (``rule``): ``"purple_book_outdoor"`` (**default**, for individual risk: 1 where
  P ≥ 0.3 bar, else 0; UNCONFIRMED), ``"purple_book_indoor"`` (1 ≥ 0.3 bar, 0.025 for
  0.1–0.3 bar, else 0), or a probit: ``"hse_lung"``, ``"eisenberg_lung"``, ``"tno_head"``,
  ``"tno_collapse"``.

Distances r in m, overpressure in **Pa**, impulse in **Pa·s**, masses in kg.
"""

from __future__ import annotations

import numpy as np

from geo_risk.errors import InvalidInput
from geo_risk.risk.parameters import (
    _check_nonnegative,
    _scalar_nonnegative,
    _scalar_positive,
    constant,
)
from geo_risk.risk.probits import overpressure_probit, probit_to_probability

__all__ = [
    "OVERPRESSURE_RULES",
    "DEFAULT_OVERPRESSURE_RULE",
    "tnt_equivalent_mass_kg",
    "scaled_distance_m_kg13",
    "kinney_graham_overpressure_pa",
    "kinney_graham_impulse_pa_s",
    "overpressure_lethality",
]

OVERPRESSURE_RULES = (
    "purple_book_outdoor", "purple_book_indoor", "hse_lung", "eisenberg_lung", "tno_head", "tno_collapse",
)  # fmt: skip
DEFAULT_OVERPRESSURE_RULE = "purple_book_outdoor"


def tnt_equivalent_mass_kg(
    flammable_mass_kg: float, heat_of_combustion_j_kg: float, yield_factor: float | None = None
) -> float:
    """TNT-equivalent mass W = η·M·ΔH_c / 4.6 MJ/kg, kg.

    Parameters
    ----------
    flammable_mass_kg : float
        Mass in the flammable range, kg, ≥ 0.
    heat_of_combustion_j_kg : float
        Heat of combustion, J/kg (``geo_risk/chemicals`` gives MJ/kg: multiply by 10⁶).
    yield_factor : float, optional
        η, default ``tnt_yield_default`` (0.04); must lie within 0 < η ≤ 1.
    """
    m = _scalar_nonnegative("flammable mass", flammable_mass_kg, "kg")
    hc = _scalar_positive("heat of combustion", heat_of_combustion_j_kg, "J/kg")
    eta = constant("tnt_yield_default") if yield_factor is None else float(yield_factor)
    if not 0 < eta <= 1:
        raise InvalidInput(f"TNT yield factor must be in (0, 1] (typically 0.03–0.05); got {yield_factor!r}")
    return eta * m * hc / constant("tnt_heat_of_explosion")


def scaled_distance_m_kg13(
    distance_m: np.ndarray | float, tnt_mass_kg: float, surface_burst: bool = True
) -> np.ndarray:
    """Hopkinson–Cranz scaled distance Z = r / (k·W)^{1/3}, m/kg^{1/3}; k = 2 for a surface burst."""
    r = _check_nonnegative("distance", distance_m, "m")
    w = _scalar_positive("TNT mass", tnt_mass_kg, "kg")
    k = constant("surface_burst_factor") if surface_burst else 1.0
    return r / (k * w) ** (1.0 / 3.0)


def kinney_graham_overpressure_pa(
    distance_m: np.ndarray | float,
    tnt_mass_kg: float,
    ambient_pressure_pa: float = 101325.0,
    surface_burst: bool = True,
) -> np.ndarray:
    """Side-on peak overpressure (Pa) at ``distance_m`` (m) from a TNT charge (Kinney & Graham 1985).

    A zero TNT mass gives 0 Pa everywhere; r = 0 gives the fit's limit 808·p_a.
    """
    w = _scalar_nonnegative("TNT mass", tnt_mass_kg, "kg")
    r = _check_nonnegative("distance", distance_m, "m")
    pa = _scalar_positive("ambient pressure", ambient_pressure_pa, "Pa")
    if w == 0:
        return np.zeros(r.shape)
    z = scaled_distance_m_kg13(r, w, surface_burst)
    num = constant("kinney_graham_p0") * (1.0 + (z / constant("kinney_graham_z1")) ** 2)
    den = np.sqrt(
        (1.0 + (z / constant("kinney_graham_z2")) ** 2)
        * (1.0 + (z / constant("kinney_graham_z3")) ** 2)
        * (1.0 + (z / constant("kinney_graham_z4")) ** 2)
    )
    return pa * num / den


def kinney_graham_impulse_pa_s(
    distance_m: np.ndarray | float, tnt_mass_kg: float, surface_burst: bool = True
) -> np.ndarray:
    """Side-on impulse (Pa·s) by Kinney & Graham, converted from bar·ms (×100; unit UNCONFIRMED)."""
    w = _scalar_positive("TNT mass", tnt_mass_kg, "kg")
    k = constant("surface_burst_factor") if surface_burst else 1.0
    z = scaled_distance_m_kg13(distance_m, w, surface_burst)
    with np.errstate(divide="ignore"):
        scaled = (
            constant("kinney_graham_i0")
            * np.sqrt(1.0 + (z / constant("kinney_graham_zi1")) ** 4)
            / (z**2 * np.cbrt(1.0 + (z / constant("kinney_graham_zi2")) ** 3))
        )
    bar_ms_to_pa_s = 1e5 * 1e-3
    return scaled * (k * w) ** (1.0 / 3.0) * bar_ms_to_pa_s


def overpressure_lethality(
    overpressure_pa: np.ndarray | float,
    rule: str = DEFAULT_OVERPRESSURE_RULE,
    impulse_pa_s: np.ndarray | float | None = None,
) -> np.ndarray:
    """Probability of death (0..1) from a blast, by the chosen ``rule`` (see the module docstring).

    The Purple Book rules use ``overpressure_lethal`` (0.3 bar = 30 000 Pa; a value exactly at
    the limit is lethal), ``overpressure_indoor_lower`` (0.1 bar) and
    ``overpressure_indoor_lethality`` (0.025), all UNCONFIRMED.
    """
    if rule not in OVERPRESSURE_RULES:
        raise InvalidInput(f"unknown overpressure lethality rule {rule!r}; valid: {', '.join(OVERPRESSURE_RULES)}")
    p = _check_nonnegative("overpressure", overpressure_pa, "Pa")
    lethal = p >= constant("overpressure_lethal")
    if rule == "purple_book_outdoor":
        return np.where(lethal, 1.0, 0.0)
    if rule == "purple_book_indoor":
        band = p >= constant("overpressure_indoor_lower")
        return np.where(lethal, 1.0, np.where(band, constant("overpressure_indoor_lethality"), 0.0))
    return probit_to_probability(overpressure_probit(p, rule, impulse_pa_s))
