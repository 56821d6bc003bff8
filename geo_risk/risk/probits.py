"""Probit functions: probit → probability, heat, overpressure and toxic probits, toxic load.

P = Φ(Pr − 5) (qra-method.md §6, C2), computed with :func:`scipy.special.ndtr` (scipy is a
runtime dependency of the project). Every function is vectorised over numpy arrays of any shape.

Units
-----
* Heat: flux q in **W/m²**, time t in **s**, dose V = q^{4/3}·t in (W/m²)^{4/3}·s.
* Overpressure: peak side-on overpressure P in **Pa**, impulse i in **Pa·s**.
* Toxic: Pr = a + b·ln(Cⁿ·t) with t in **min** and C in the unit of the constants' table —
  **mg/m³** for Set A (Purple Book Table 5.2) and **ppm** for Set B (Lees/OSD30 Table 2). The
  concentration unit is always passed explicitly; a concentration in the other unit is converted
  with the molar mass at 25 °C and 1 atm (:func:`ppm_to_mg_m3`), never silently reused.

The constants come from :mod:`geo_risk.risk.parameters`; this module holds no coefficient.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.special import ndtr, ndtri

from geo_risk.chemicals.properties import chemical_properties
from geo_risk.errors import InvalidInput
from geo_risk.risk.parameters import (
    ToxicProbit,
    _as_float_array,
    _check_nonnegative,
    _scalar_positive,
    constant,
    heat_probit_constants,
    overpressure_probit_constants,
)

__all__ = [
    "ConcentrationUnit",
    "HeatProtection",
    "probit_to_probability",
    "probability_to_probit",
    "thermal_dose",
    "heat_probit",
    "heat_lethality",
    "overpressure_probit",
    "molar_volume_m3_per_mol",
    "ppm_to_mg_m3",
    "mg_m3_to_ppm",
    "toxic_molar_mass_g_per_mol",
    "toxic_probit",
    "toxic_probit_from_load",
    "toxic_lethality",
    "toxic_load",
    "convert_toxic_load",
    "toxic_concentration_at_probability",
]

ConcentrationUnit = Literal["mg/m3", "ppm"]
HeatProtection = Literal["unprotected", "outdoor_clothed", "indoor", "probit_only"]
_CONC_UNITS = ("mg/m3", "ppm")
_PROTECTIONS = ("unprotected", "outdoor_clothed", "indoor", "probit_only")


def probit_to_probability(probit: np.ndarray | float) -> np.ndarray:
    """P = Φ(Pr − 5): the probability of the effect (0..1) for a probit value; −inf gives 0.

    Examples
    --------
    >>> float(probit_to_probability(5.0))
    0.5
    """
    pr = _as_float_array("probit", probit)
    if np.isnan(pr).any():
        raise InvalidInput("probit values must not be NaN")
    return ndtr(pr - constant("probit_offset"))


def probability_to_probit(probability: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`probit_to_probability`: Pr = 5 + Φ⁻¹(P), P in [0, 1] (0 → −inf, 1 → +inf)."""
    p = _as_float_array("probability", probability)
    if (np.isnan(p) | (p < 0) | (p > 1)).any():
        raise InvalidInput(f"probability must be in [0, 1]; got {p[np.isnan(p) | (p < 0) | (p > 1)].flat[0]!r}")
    return ndtri(p) + constant("probit_offset")


# -- heat -----------------------------------------------------------------------------------------


def thermal_dose(heat_flux_w_m2: np.ndarray | float, exposure_s: np.ndarray | float) -> np.ndarray:
    """Thermal dose V = q^{4/3}·t in (W/m²)^{4/3}·s (q in W/m², t in s, both ≥ 0).

    Examples
    --------
    >>> round(float(thermal_dose(5.0, 30.0)), 7)  # HyRAM+ test value
    256.496392
    """
    q = _check_nonnegative("heat flux", heat_flux_w_m2, "W/m²")
    t = _check_nonnegative("exposure time", exposure_s, "s")
    return q ** (4.0 / 3.0) * t


def heat_probit(dose: np.ndarray | float, model: str = "tsao_perry", *, lees_half_factor: bool = True) -> np.ndarray:
    """Heat-radiation probit Pr = a + b·ln(f·V), V in (W/m²)^{4/3}·s; V = 0 gives −inf.

    Parameters
    ----------
    dose : array_like
        Thermal dose V = q^{4/3}·t (q in W/m², t in s), ≥ 0.
    model : {"tsao_perry", "eisenberg", "tno", "lees"}
        Default ``"tsao_perry"`` (Purple Book eq. 5.4, C2); see ``heat_probits.csv``.
    lees_half_factor : bool
        ``"lees"`` only: True → HyRAM+ form with ln(0.5 V); False → OSD/30 form with ln V.
    """
    v = _check_nonnegative("thermal dose", dose, "(W/m²)^(4/3)·s")
    c = heat_probit_constants(model, lees_half_factor=lees_half_factor)
    with np.errstate(divide="ignore"):
        return c.a + c.b * np.log(c.dose_factor * v)


def heat_lethality(
    heat_flux_w_m2: np.ndarray | float,
    exposure_s: np.ndarray | float,
    model: str = "tsao_perry",
    *,
    protection: HeatProtection = "unprotected",
    lees_half_factor: bool = True,
) -> np.ndarray:
    """Probability of death from heat radiation, with the Purple Book protection rules.

    Parameters
    ----------
    heat_flux_w_m2 : array_like
        Incident heat flux q, W/m², ≥ 0.
    exposure_s : array_like
        Exposure time t, s, ≥ 0 (the caller applies the 20 s cap, ``heat_exposure_cap``).
    model : str
        Heat probit, default Tsao & Perry (Purple Book).
    protection : {"unprotected", "outdoor_clothed", "indoor", "probit_only"}
        ``"unprotected"`` (default; individual risk: outdoor, unprotected): 1 where
        q ≥ 35 kW/m², else the probit. ``"outdoor_clothed"`` (societal risk, outdoors): 1 where
        q ≥ 35 kW/m², else 0.14 × the probit. ``"indoor"``: 1 where q ≥ 35 kW/m², else 0.
        ``"probit_only"``: the probit alone. The 35 kW/m² and 0.14 values are UNCONFIRMED
        (``heat_lethal_flux``, ``heat_clothing_factor`` in ``model_constants.csv``).

    Returns
    -------
    numpy.ndarray
        Lethality in [0, 1], broadcast shape of the inputs.
    """
    if protection not in _PROTECTIONS:
        raise InvalidInput(f"unknown heat protection {protection!r}; valid: {', '.join(_PROTECTIONS)}")
    q = _check_nonnegative("heat flux", heat_flux_w_m2, "W/m²")
    p = probit_to_probability(heat_probit(thermal_dose(q, exposure_s), model, lees_half_factor=lees_half_factor))
    if protection == "probit_only":
        return p
    lethal = q >= constant("heat_lethal_flux")
    if protection == "unprotected":
        return np.where(lethal, 1.0, p)
    if protection == "outdoor_clothed":
        return np.where(lethal, 1.0, constant("heat_clothing_factor") * p)
    return np.where(lethal, 1.0, 0.0) * np.ones_like(p)


# -- overpressure ---------------------------------------------------------------------------------


def overpressure_probit(
    overpressure_pa: np.ndarray | float, model: str = "hse_lung", impulse_pa_s: np.ndarray | float | None = None
) -> np.ndarray:
    """Overpressure probit (P in Pa, impulse in Pa·s); P = 0 (or i = 0) gives −inf.

    Models (``overpressure_probits.csv``): ``eisenberg_lung`` Pr = −77.1 + 6.91 ln P;
    ``hse_lung`` Pr = 5.13 + 1.37 ln(P/10⁵) (C2); ``tno_head`` Pr = 5 − 8.49 ln(2430/P + 4·10⁸/(P·i));
    ``tno_collapse`` Pr = 5 − 0.22 ln((40000/P)^7.4 + (460/i)^11.3). The TNO models need the impulse.
    """
    p = _check_nonnegative("overpressure", overpressure_pa, "Pa")
    c = overpressure_probit_constants(model).coefficients
    key = overpressure_probit_constants(model).key
    with np.errstate(divide="ignore", over="ignore"):
        if key in ("eisenberg_lung", "hse_lung"):
            return c["a"] + c["b"] * np.log(p / c["p_ref"])
        if impulse_pa_s is None:
            raise InvalidInput(f"overpressure probit {key!r} needs the impulse (Pa·s); pass impulse_pa_s")
        i = _check_nonnegative("impulse", impulse_pa_s, "Pa·s")
        if key == "tno_head":
            return c["c0"] - c["c1"] * np.log(c["p1"] / p + c["k"] / (p * i))
        return c["c0"] - c["c1"] * np.log((c["p1"] / p) ** c["e1"] + (c["i1"] / i) ** c["e2"])


# -- toxic ----------------------------------------------------------------------------------------


def molar_volume_m3_per_mol(temperature_k: float | None = None, pressure_pa: float | None = None) -> float:
    """Ideal-gas molar volume R·T/P in m³/mol; default 25 °C and 1 atm (0.024465 m³/mol)."""
    t = (
        constant("ppm_reference_temperature")
        if temperature_k is None
        else _scalar_positive("temperature", temperature_k, "K")
    )
    p = constant("standard_atmosphere") if pressure_pa is None else _scalar_positive("pressure", pressure_pa, "Pa")
    return constant("gas_constant") * t / p


def ppm_to_mg_m3(
    ppm: np.ndarray | float, molar_mass_g_per_mol: float, temperature_k: float | None = None
) -> np.ndarray:
    """Volume ppm → mg/m³: C_mg = ppm · M / V_m(L/mol), at 25 °C and 1 atm unless stated.

    Examples
    --------
    >>> round(float(ppm_to_mg_m3(1.0, 70.906)), 4)  # chlorine, mg/m³ per ppm
    2.8982
    """
    c = _check_nonnegative("concentration", ppm, "ppm")
    m = _scalar_positive("molar mass", molar_mass_g_per_mol, "g/mol")
    return c * m / (molar_volume_m3_per_mol(temperature_k) * 1e3)


def mg_m3_to_ppm(
    mg_m3: np.ndarray | float, molar_mass_g_per_mol: float, temperature_k: float | None = None
) -> np.ndarray:
    """mg/m³ → volume ppm (inverse of :func:`ppm_to_mg_m3`)."""
    c = _check_nonnegative("concentration", mg_m3, "mg/m³")
    m = _scalar_positive("molar mass", molar_mass_g_per_mol, "g/mol")
    return c * molar_volume_m3_per_mol(temperature_k) * 1e3 / m


def toxic_molar_mass_g_per_mol(probit: ToxicProbit) -> float:
    """Molar mass (g/mol) of the substance of a probit row, from ``geo_risk/chemicals`` properties."""
    props = chemical_properties(probit.gb18218_seq) if probit.gb18218_seq is not None else None
    if props is None or props.molar_mass_g_per_mol is None or props.cas != probit.cas:
        raise InvalidInput(
            f"no molar mass for {probit.key} ({probit.cas}) in geo_risk/chemicals/data/properties.csv; "
            "pass molar_mass_g_per_mol explicitly"
        )
    return props.molar_mass_g_per_mol


def _to_probit_unit(
    probit: ToxicProbit, concentration: np.ndarray, unit: str, molar_mass_g_per_mol: float | None
) -> np.ndarray:
    if unit not in _CONC_UNITS:
        raise InvalidInput(f"unknown concentration unit {unit!r}; valid: {', '.join(_CONC_UNITS)}")
    if unit == probit.concentration_unit:
        return concentration
    m = molar_mass_g_per_mol if molar_mass_g_per_mol is not None else toxic_molar_mass_g_per_mol(probit)
    if probit.concentration_unit == "ppm":
        return mg_m3_to_ppm(concentration, m)
    return ppm_to_mg_m3(concentration, m)


def toxic_probit(
    probit: ToxicProbit,
    concentration: np.ndarray | float,
    exposure_min: np.ndarray | float,
    *,
    concentration_unit: ConcentrationUnit,
    molar_mass_g_per_mol: float | None = None,
) -> np.ndarray:
    """Toxic probit Pr = a + b·ln(Cⁿ·t) for a constant concentration over ``exposure_min``.

    Parameters
    ----------
    probit : ToxicProbit
        From :func:`geo_risk.risk.parameters.toxic_probit_constants` (Set A or Set B).
    concentration : array_like
        Concentration in ``concentration_unit``, ≥ 0 (0 gives −inf).
    exposure_min : array_like
        Exposure duration, **minutes**, ≥ 0.
    concentration_unit : {"mg/m3", "ppm"}
        Unit of ``concentration`` — required. If it differs from the table's unit the
        concentration is converted at 25 °C, 1 atm with the molar mass (``molar_mass_g_per_mol``,
        or the substance's molar mass from ``geo_risk/chemicals`` when omitted).
    molar_mass_g_per_mol : float, optional
        Molar mass, g/mol, used only for a unit conversion.
    """
    c = _check_nonnegative("concentration", concentration, concentration_unit)
    t = _check_nonnegative("exposure time", exposure_min, "min")
    c = _to_probit_unit(probit, c, concentration_unit, molar_mass_g_per_mol)
    with np.errstate(divide="ignore"):
        return probit.a + probit.b * (probit.n * np.log(c) + np.log(t))


def toxic_probit_from_load(probit: ToxicProbit, load: np.ndarray | float) -> np.ndarray:
    """Pr = a + b·ln(L) for a toxic load L = ∫Cⁿ dt **in the probit's own units** (unit^n·min)."""
    v = _check_nonnegative("toxic load", load, f"({probit.concentration_unit})^n·min")
    with np.errstate(divide="ignore"):
        return probit.a + probit.b * np.log(v)


def toxic_lethality(
    probit: ToxicProbit,
    concentration: np.ndarray | float,
    exposure_min: np.ndarray | float,
    *,
    concentration_unit: ConcentrationUnit,
    molar_mass_g_per_mol: float | None = None,
) -> np.ndarray:
    """Probability of death, Φ(:func:`toxic_probit` − 5), in [0, 1]."""
    return probit_to_probability(
        toxic_probit(
            probit, concentration, exposure_min, concentration_unit=concentration_unit,
            molar_mass_g_per_mol=molar_mass_g_per_mol,
        )
    )  # fmt: skip


def toxic_load(concentration: np.ndarray, time_min: np.ndarray, n: float, axis: int = -1) -> np.ndarray:
    """Toxic load ∫Cⁿ dt for a time-varying exposure (trapezoidal rule), in unit^n·min.

    Parameters
    ----------
    concentration : array_like
        Concentrations sampled at ``time_min`` along ``axis`` (any unit; the load is in that
        unit to the power n times minutes), ≥ 0.
    time_min : array_like, 1-D
        Sample times, minutes, strictly increasing. Cap the exposure (30 min, ``toxic_exposure_cap``)
        by the samples you pass.
    n : float
        The probit's exponent (> 0).
    """
    c = _check_nonnegative("concentration", concentration, "concentration unit")
    t = _as_float_array("time", time_min)
    if t.ndim != 1 or t.size < 2 or not np.all(np.diff(t) > 0):
        raise InvalidInput("time_min must be a 1-D array of at least two strictly increasing times (min)")
    if c.shape[axis] != t.size:
        raise InvalidInput(f"concentration has {c.shape[axis]} samples along axis {axis}, time_min has {t.size}")
    n = _scalar_positive("probit exponent n", n, "")
    return np.trapezoid(c**n, t, axis=axis)


def convert_toxic_load(
    load: np.ndarray | float,
    n: float,
    from_unit: ConcentrationUnit,
    to_unit: ConcentrationUnit,
    molar_mass_g_per_mol: float,
) -> np.ndarray:
    """Convert a toxic load ∫Cⁿ dt between (mg/m³)^n·min and (ppm)^n·min (25 °C, 1 atm)."""
    for u in (from_unit, to_unit):
        if u not in _CONC_UNITS:
            raise InvalidInput(f"unknown concentration unit {u!r}; valid: {', '.join(_CONC_UNITS)}")
    v = _check_nonnegative("toxic load", load, f"({from_unit})^n·min")
    if from_unit == to_unit:
        return v
    factor = float(ppm_to_mg_m3(1.0, molar_mass_g_per_mol))  # mg/m³ per ppm
    scale = factor if from_unit == "ppm" else 1.0 / factor
    return v * scale**n


def toxic_concentration_at_probability(probit: ToxicProbit, probability: float, exposure_min: float) -> float:
    """The constant concentration (in the probit's unit) giving ``probability`` over ``exposure_min``.

    C = [exp((Pr − a)/b) / t]^{1/n} with Pr = 5 + Φ⁻¹(P); used to turn a lethality threshold into
    a concentration threshold for effect distances.
    """
    if not 0 < probability < 1:
        raise InvalidInput(f"probability must be strictly between 0 and 1; got {probability!r}")
    t = _scalar_positive("exposure time", exposure_min, "min")
    pr = float(probability_to_probit(probability))
    return float((np.exp((pr - probit.a) / probit.b) / t) ** (1.0 / probit.n))
