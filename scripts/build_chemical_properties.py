"""Regenerate ``geo_risk/chemicals/data/properties.csv`` from the ``chemicals`` library.

One row per GB 18218-2018 Table 1 row (``seq`` 1–85). Every value comes from the ``chemicals``
library (Caleb Bell, PyPI ``chemicals``, pinned in the ``dev`` extras) through the lookups below,
except the few hand values in :data:`HAND` (each with its reference) and the library values
removed in :data:`OMIT` (each with its reason). The output is deterministic for a given library
version; ``tests/chemicals/test_properties.py`` checks that the committed CSV equals this
script's output, so the file is provably taken from the library.

Rules
-----
* **Basis.** The row's CAS (the first one for multi-CAS rows), or the representative component
  in :data:`BASIS`, which the ``basis`` column states.
* **Library methods.** For each property the first method the library ranks for that CAS,
  skipping group-contribution estimates (:data:`ESTIMATION_METHODS`), except melting points,
  where the CRC Handbook tables are taken first (:data:`TM_PREFERRED`: the library's first-ranked
  Open Notebook data give e.g. -69.6 °C for HCl, whose melting point is -114.2 °C). The method is
  named in the ``source`` column.
* **Phase at 25 °C and 101.325 kPa** from the melting and boiling points: gas if
  T_b <= 25 °C, solid if T_m > 25 °C, liquid if T_m <= 25 °C < T_b; empty if the points needed
  are missing (then a hand value may fill it).
* **Flammability limits** (vol %) from the library's tabulated data only (IEC 60079-20-1,
  NFPA 497, Wikidata), never the Suzuki or Crowl–Louvar estimates.
* **Heat of combustion** (MJ/kg, lower heating value, water as vapour): only for substances with
  tabulated flammability limits, made of C, H, N, O, S, Cl and Br only, from the library's
  combustion stoichiometry (``chemicals.combustion.combustion_data``) and the standard heat of
  formation of the substance in its phase at 25 °C (Hfg, Hfl or Hfs); empty otherwise.
* **Vapour pressure at 20 °C** (kPa) from the first tabulated correlation, in the library's own
  ranking (the order ``thermo`` uses), whose validity range contains 293.15 K, and only
  above the melting point (no sublimation pressures). Empty above the critical temperature.

Usage::

    .venv/bin/python scripts/build_chemical_properties.py          # rewrite the CSV
    .venv/bin/python scripts/build_chemical_properties.py --check  # exit 1 if it would change
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
from collections.abc import Callable
from pathlib import Path

import chemicals
from chemicals import combustion, identifiers
from chemicals import vapor_pressure as vp
from chemicals.dippr import EQ101
from chemicals.elements import molecular_weight, simple_formula_parser

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "geo_risk" / "chemicals" / "data"
TABLE1_CSV = DATA / "gb18218_table1.csv"
OUT_CSV = DATA / "properties.csv"

LIBRARY = f"chemicals {chemicals.__version__}"
T_ZERO_C_K = 273.15
T_PHASE_K = 298.15  # 25 °C, the reference temperature for the phase column
T_PSAT_K = 293.15  # 20 °C, the vapour-pressure column
ESTIMATION_METHODS = frozenset({"JOBACK", "WILSON_JASPERSON", "Suzuki (1994)", "Crowl and Louvar (2001)"})
# The library ranks the Open Notebook melting points first; some are wrong (HCl -69.6 °C for -114.2 °C,
# phosgene -118 °C for -127.8 °C, SO3 28.2 °C for 16.8 °C), so CRC Handbook data are preferred.
TM_PREFERRED = ("CRC_INORG", "CRC_ORG")
COMBUSTION_ATOMS = frozenset({"C", "H", "N", "O", "S", "Cl", "Br"})

COLUMNS = [
    "seq",
    "name_zh",
    "cas",
    "basis",
    "molar_mass_g_per_mol",
    "boiling_point_c",
    "melting_point_c",
    "phase_at_25c",
    "lower_flammability_limit_vol_pct",
    "upper_flammability_limit_vol_pct",
    "heat_of_combustion_lhv_mj_per_kg",
    "vapour_pressure_20c_kpa",
    "critical_temperature_c",
    "source",
]

# Representative component for rows without a usable CAS of their own: seq -> (CAS, basis text).
BASIS: dict[int, tuple[str, str]] = {
    13: ("630-08-0", "carbon monoxide, the toxic component the row names (the standard gives no CAS)"),
    23: (
        "584-84-9",
        "2,4-toluene diisocyanate, the main TDI isomer (the row's CAS 26471-62-5, the isomer mixture, "
        "is not in the library's identifier index)",
    ),
    45: ("6484-52-2", "ammonium nitrate, the fertiliser's active component (the standard gives no CAS)"),
    49: ("74-82-8", "methane (the row's first CAS); natural gas taken as methane"),
    52: (
        "74-98-6",
        "propane (the row's second CAS); LPG taken as propane, its lighter and more volatile main component",
    ),
    66: (
        "109-66-0",
        "n-pentane, a light-end surrogate for gasoline: its boiling point (36 °C) stands for gasoline's initial "
        "boiling point (typically 30-40 °C) and its vapour (72 g/mol, LFL about 1.1-1.5 %) is close to gasoline "
        "vapour; the liquid itself is heavier (about 100 g/mol) and boils over a range up to about 200 °C",
    ),
    74: ("97-93-8", "triethylaluminium, the most common aluminium alkyl (the standard gives no CAS)"),
    80: ("7697-37-2", "nitric acid (HNO3), the main component of fuming nitric acid"),
}

# Hand values: seq -> {column: (value, reference)}. Only where we are confident; listed in the
# module docstring of geo_risk/chemicals/properties.py.
_NC_SOLID = ("solid", "hand: nitrocellulose is a fibrous solid that decomposes before melting (Table 1 row text)")
_EXPLOSIVE_SOLID = "hand: crystalline solid explosive at 25 °C (CRC Handbook of Chemistry and Physics, physical form)"
HAND: dict[int, dict[str, tuple[object, str]]] = {
    15: {"molar_mass_g_per_mol": ("SbH3", "hand: formula SbH3 (the library's identifier entry for 7803-52-3 is Sb)")},
    31: {"phase_at_25c": ("solid", _EXPLOSIVE_SOLID)},
    32: {"phase_at_25c": ("solid", _EXPLOSIVE_SOLID)},
    33: {"phase_at_25c": ("solid", _EXPLOSIVE_SOLID)},
    34: {"phase_at_25c": ("solid", _EXPLOSIVE_SOLID)},
    37: {"phase_at_25c": _NC_SOLID},
    38: {"phase_at_25c": _NC_SOLID},
    39: {"phase_at_25c": _NC_SOLID},
    40: {"phase_at_25c": _NC_SOLID},
    41: {"phase_at_25c": _NC_SOLID},
    36: {"phase_at_25c": ("liquid", "hand: nitroglycerin is an oily liquid at 25 °C (melting point 13.5 °C, library)")},
    42: {"phase_at_25c": ("liquid", "hand: the row is a nitrocellulose solution (GB 18218-2018 Table 1 row 42)")},
    72: {
        "phase_at_25c": (
            "liquid",
            "hand: the row is a formulation with >= 48 % type A diluent, a liquid (GB 18218-2018 Table 1 row 72)",
        )
    },
    73: {"molar_mass_g_per_mol": ("P4", "hand: white phosphorus is molecular P4 (the library's entry gives P)")},
    75: {"molar_mass_g_per_mol": ("B5H9", "hand: formula B5H9 (the library's identifier entry for 19624-22-7 is B5)")},
    83: {
        "molar_mass_g_per_mol": (
            "CaC2",
            "hand: formula CaC2 (the library's identifier entry for 75-20-7 is an unrelated organic compound)",
        )
    },
}

# Library values removed: seq -> {column: reason}.
_DECOMPOSES = "decomposes or explodes before boiling: the library value is not a boiling point"
_NC_OMIT = {
    "molar_mass_g_per_mol": "polymer: the library value is a repeat unit, not a molar mass",
    "melting_point_c": "decomposes before melting: the library value (100 °C) is not a melting point",
}
OMIT: dict[int, dict[str, str]] = {
    **{seq: dict(_NC_OMIT) for seq in range(37, 43)},
    35: {"boiling_point_c": _DECOMPOSES, "critical_temperature_c": _DECOMPOSES},
    36: {"boiling_point_c": _DECOMPOSES, "critical_temperature_c": _DECOMPOSES},
    **{seq: {"boiling_point_c": _DECOMPOSES, "critical_temperature_c": _DECOMPOSES} for seq in (43, 44, 45, 46)},
    72: {
        "boiling_point_c": "library boiling point (19 °C) is below its melting point (122 °C): inconsistent entry",
        "melting_point_c": "library boiling point (19 °C) is below its melting point (122 °C): inconsistent entry",
        "critical_temperature_c": "inconsistent library entry for this peroxide",
    },
}


def _first_method(methods_fn: Callable[[str], list[str]], cas: str, prefer: tuple[str, ...] = ()) -> str | None:
    available = [m for m in methods_fn(cas) if m not in ESTIMATION_METHODS]
    return next((m for m in prefer if m in available), available[0] if available else None)


def _value(
    fn: Callable[..., float | None], methods_fn: Callable[[str], list[str]], cas: str, prefer: tuple[str, ...] = ()
) -> tuple[float, str]:
    method = _first_method(methods_fn, cas, prefer)
    if method is None:
        return math.nan, ""
    value = fn(cas, method=method)
    return (math.nan, "") if value is None else (float(value), method)


def _flammability(cas: str) -> tuple[float, float, str]:
    """LFL and UFL in vol % from the first tabulated (non-estimated) method of each."""
    values, methods = [], []
    for fn, methods_fn in ((chemicals.LFL, chemicals.LFL_methods), (chemicals.UFL, chemicals.UFL_methods)):
        method = next((m for m in methods_fn(CASRN=cas) if m not in ESTIMATION_METHODS), None)
        value = fn(CASRN=cas, method=method) if method else None
        values.append(math.nan if value is None else 100.0 * value)
        if value is not None and method not in methods:
            methods.append(method)
    return values[0], values[1], "/".join(methods)


def _psat_candidates() -> list[tuple[str, object, Callable[[object], tuple[float, float, Callable[[float], float]]]]]:
    vp.load_vapor_pressure_dfs()

    def wagner_mcgarry(r):  # Wagner 3,6 form; valid from Tmin up to Tc
        return r.Tmin, r.Tc, lambda t: vp.Wagner_original(t, r.Tc, r.Pc, r.A, r.B, r.C, r.D)

    def wagner_poling(r):
        return r.Tmin, r.Tmax, lambda t: vp.Wagner(t, r.Tc, r.Pc, r.A, r.B, r.C, r.D)

    def antoine_extended(r):
        return r.Tmin, r.Tmax, lambda t: vp.TRC_Antoine_extended(t, r.Tc, r.to, r.A, r.B, r.C, r.n, r.E, r.F)

    def perrys(r):
        return r.Tmin, r.Tmax, lambda t: EQ101(t, r.C1, r.C2, r.C3, r.C4, r.C5)

    def vdi_ppds(r):
        return r.Tm, r.Tc, lambda t: vp.Wagner(t, r.Tc, r.Pc, r.A, r.B, r.C, r.D)

    def antoine_poling(r):  # K and Pa, base 10
        return r.Tmin, r.Tmax, lambda t: vp.Antoine(t, r.A, r.B, r.C, base=10.0)

    def landolt(r):  # K and Pa, natural logarithm
        return r.Tmin, r.Tmax, lambda t: vp.Antoine(t, r.A, r.B, r.C, base=math.e)

    return [
        ("WagnerMcGarry", vp.Psat_data_WagnerMcGarry, wagner_mcgarry),
        ("WagnerPoling", vp.Psat_data_WagnerPoling, wagner_poling),
        ("AntoineExtended", vp.Psat_data_AntoineExtended, antoine_extended),
        ("Perrys2_8", vp.Psat_data_Perrys2_8, perrys),
        ("VDI_PPDS_3", vp.Psat_data_VDI_PPDS_3, vdi_ppds),
        ("AntoinePoling", vp.Psat_data_AntoinePoling, antoine_poling),
        ("Landolt_Antoine", vp.Psat_data_Landolt_Antoine, landolt),
    ]


def _vapour_pressure_20c(cas: str, melting_k: float) -> tuple[float, str]:
    if not math.isnan(melting_k) and melting_k > T_PSAT_K:
        return math.nan, ""
    for name, frame, make in _psat_candidates():
        if cas not in frame.index:
            continue
        t_min, t_max, fn = make(frame.loc[cas])
        if t_min <= T_PSAT_K <= t_max:
            return fn(T_PSAT_K) / 1000.0, name
    return math.nan, ""


def _phase(boiling_k: float, melting_k: float) -> str:
    if not math.isnan(boiling_k) and boiling_k <= T_PHASE_K:
        return "gas"
    if not math.isnan(melting_k) and melting_k > T_PHASE_K:
        return "solid"
    if not math.isnan(melting_k) and not math.isnan(boiling_k):
        return "liquid"
    return ""


def _heat_of_combustion(cas: str, atoms: dict[str, float], phase: str) -> tuple[float, str]:
    if not atoms or not set(atoms) <= COMBUSTION_ATOMS or not combustion.is_combustible(cas, atoms):
        return math.nan, ""
    hf_fn, hf_methods = {
        "gas": (chemicals.Hfg, chemicals.Hfg_methods),
        "liquid": (chemicals.Hfl, chemicals.Hfl_methods),
        "solid": (chemicals.Hfs, chemicals.Hfs_methods),
    }.get(phase, (None, None))
    if hf_fn is None:
        return math.nan, ""
    hf_j_per_mol, method = _value(hf_fn, hf_methods, cas)
    if math.isnan(hf_j_per_mol):
        return math.nan, ""
    data = combustion.combustion_data(atoms, Hf=hf_j_per_mol)
    if data.stoichiometry.get("O2", 0.0) >= 0.0 or data.LHV >= 0.0:
        return math.nan, ""
    hf_name = {"gas": "Hfg", "liquid": "Hfl", "solid": "Hfs"}[phase]
    return -data.LHV / data.MW / 1000.0, f"combustion_data with {hf_name} {method}"


def _fmt(value: float, decimals: int) -> str:
    if math.isnan(value):
        return ""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _fmt_sig(value: float, digits: int) -> str:
    return "" if math.isnan(value) else f"{value:.{digits}g}"


def _table1_rows() -> list[dict[str, str]]:
    with TABLE1_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def build_row(row: dict[str, str]) -> dict[str, str]:
    """Build one ``properties.csv`` row for a Table 1 row (a dict of ``gb18218_table1.csv``)."""
    seq = int(row["seq"])
    row_cas = [c.strip() for c in row["cas"].split(";") if c.strip()]
    if seq in BASIS:
        cas, basis = BASIS[seq]
    elif row_cas:
        cas = row_cas[0]
        basis = "the row's CAS" if len(row_cas) == 1 else "the row's first CAS"
    else:
        cas, basis = "", ""
    out = dict.fromkeys(COLUMNS, "")
    out.update(seq=str(seq), name_zh=row["name_zh"], cas=cas, basis=basis)
    if not cas:
        out["source"] = "no CAS and no representative component: no properties"
        return out
    hand = HAND.get(seq, {})
    omit = OMIT.get(seq, {})

    # value (SI: g/mol, K, fraction-free vol %) and the library method, per output column
    values: dict[str, float] = {}
    methods: dict[str, str] = {}
    try:
        meta = identifiers.search_chemical(cas)
        atoms = simple_formula_parser(meta.formula)
        values["molar_mass_g_per_mol"], methods["molar_mass_g_per_mol"] = float(meta.MW), "MW search_chemical"
    except ValueError:
        atoms = {}
    for column, label, fn, methods_fn in (
        ("boiling_point_c", "Tb", chemicals.Tb, chemicals.Tb_methods),
        ("melting_point_c", "Tm", chemicals.Tm, chemicals.Tm_methods),
        ("critical_temperature_c", "Tc", chemicals.Tc, chemicals.Tc_methods),
    ):
        value_k, method = _value(fn, methods_fn, cas, TM_PREFERRED if label == "Tm" else ())
        if method:
            values[column], methods[column] = value_k, f"{label} {method}"
    lfl, ufl, fl_method = _flammability(cas)
    if fl_method:
        values["lower_flammability_limit_vol_pct"], values["upper_flammability_limit_vol_pct"] = lfl, ufl
        methods["lower_flammability_limit_vol_pct"] = f"LFL/UFL {fl_method}"

    for column in omit:
        values.pop(column, None)
        methods.pop(column, None)
    notes: list[str] = []
    if "molar_mass_g_per_mol" in hand:
        formula, reference = hand["molar_mass_g_per_mol"]
        atoms = simple_formula_parser(str(formula))
        values["molar_mass_g_per_mol"] = molecular_weight(atoms)
        methods.pop("molar_mass_g_per_mol", None)
        notes.append(f"molar mass: {reference}; computed with the library's atomic weights")
    boiling_k = values.get("boiling_point_c", math.nan)
    melting_k = values.get("melting_point_c", math.nan)
    phase = _phase(boiling_k, melting_k)
    if "phase_at_25c" in hand:
        phase, reference = (str(v) for v in hand["phase_at_25c"])
        notes.append(f"phase: {reference}")

    if "vapour_pressure_20c_kpa" not in omit:
        psat_kpa, psat_method = _vapour_pressure_20c(cas, melting_k)
        if psat_method:
            values["vapour_pressure_20c_kpa"], methods["vapour_pressure_20c_kpa"] = psat_kpa, f"Psat {psat_method}"
    if not math.isnan(values.get("lower_flammability_limit_vol_pct", math.nan)):
        hc_mj_per_kg, hc_method = _heat_of_combustion(cas, atoms, phase)
        if hc_method:
            values["heat_of_combustion_lhv_mj_per_kg"] = hc_mj_per_kg
            methods["heat_of_combustion_lhv_mj_per_kg"] = f"LHV {hc_method}"

    nan = math.nan
    out.update(
        molar_mass_g_per_mol=_fmt(values.get("molar_mass_g_per_mol", nan), 3),
        boiling_point_c=_fmt(values.get("boiling_point_c", nan) - T_ZERO_C_K, 2),
        melting_point_c=_fmt(values.get("melting_point_c", nan) - T_ZERO_C_K, 2),
        phase_at_25c=phase,
        lower_flammability_limit_vol_pct=_fmt(values.get("lower_flammability_limit_vol_pct", nan), 2),
        upper_flammability_limit_vol_pct=_fmt(values.get("upper_flammability_limit_vol_pct", nan), 2),
        heat_of_combustion_lhv_mj_per_kg=_fmt(values.get("heat_of_combustion_lhv_mj_per_kg", nan), 2),
        vapour_pressure_20c_kpa=_fmt_sig(values.get("vapour_pressure_20c_kpa", nan), 4),
        critical_temperature_c=_fmt(values.get("critical_temperature_c", nan) - T_ZERO_C_K, 2),
    )
    parts = [f"{LIBRARY} [{'; '.join(methods[c] for c in COLUMNS if c in methods)}]"] if methods else []
    parts += notes
    parts += [f"omitted {column}: {reason}" for column, reason in sorted(omit.items())]
    out["source"] = " | ".join(parts)
    return out


def render_csv() -> str:
    """Return the full text of ``properties.csv`` as this library version produces it."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in _table1_rows():
        writer.writerow(build_row(row))
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed CSV differs")
    args = parser.parse_args(argv)
    text = render_csv()
    if args.check:
        current = OUT_CSV.read_text(encoding="utf-8") if OUT_CSV.exists() else ""
        if current != text:
            print(f"{OUT_CSV} is out of date with {LIBRARY}; run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT_CSV.write_text(text, encoding="utf-8")
    print(f"wrote {OUT_CSV} ({text.count(chr(10)) - 1} rows, {LIBRARY})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
