"""The parameter tables of geo_risk.risk against docs/standards/qra-method.md (§2–§6, §8.3)."""

from __future__ import annotations

import csv
import dataclasses
import math
from importlib import resources

import pytest

from geo_risk.chemicals.properties import chemical_properties
from geo_risk.errors import InvalidInput, UnknownSubstance
from geo_risk.risk.parameters import (
    MODEL_VERSION,
    STATUSES,
    ToxicProbitTable,
    UnknownProbitSubstance,
    briggs_coefficients,
    constant,
    direct_ignition_probability,
    heat_probit_constants,
    load_parameters,
    model_metadata,
    overpressure_probit_constants,
    parameters_digest,
    puff_sigma_coefficients,
    toxic_probit_constants,
    unconfirmed_values,
    wind_profile_exponent,
)

A = ToxicProbitTable.SET_A_PURPLE_BOOK
B = ToxicProbitTable.SET_B_LEES_OSD30
DATA_FILES = sorted(
    p.name for p in resources.files("geo_risk.risk").joinpath("data").iterdir() if p.name.endswith(".csv")
)


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("geo_risk.risk").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@pytest.mark.parametrize("name", DATA_FILES)
def test_every_row_has_provenance_status_and_version(name: str) -> None:
    rows = _rows(name)
    assert rows, name
    for row in rows:
        assert row["status"] in STATUSES, (name, row)
        assert row["source"].strip(), (name, row)
        assert row["reference"].strip(), (name, row)
        assert row["version"] == "1", (name, row)


def test_data_files_are_all_loaded() -> None:
    from geo_risk.risk import parameters

    assert set(DATA_FILES) == set(parameters._TABLE_FILES)


# -- toxic probits: two tables, never mixed (qra-method.md §6.3) ----------------------------------

SET_A = {  # key: (a, b, n), Purple Book Table 5.2, mg/m³ and min
    "ammonia": (-15.6, 1, 2), "chlorine": (-6.35, 0.5, 2.75), "hydrogen_sulfide": (-11.5, 1, 1.9),
    "hydrogen_cyanide": (-9.8, 1, 2.4), "hydrogen_fluoride": (-8.4, 1, 1.5), "sulfur_dioxide": (-19.2, 1, 2.4),
    "phosgene": (-10.6, 2, 1), "carbon_monoxide": (-7.4, 1, 1), "hydrogen_chloride": (-37.3, 3.69, 1),
    "nitrogen_dioxide": (-18.6, 1, 3.7),
}  # fmt: skip
SET_B = {  # key: (a, b, n), Lees (2005) / OSD30 Table 2, ppm and min
    "chlorine": (-8.29, 0.92, 2), "ammonia": (-35.9, 1.85, 2), "hydrogen_chloride": (-16.85, 2.00, 1.00),
    "hydrogen_fluoride": (-35.87, 3.354, 1.00), "hydrogen_sulfide": (-31.42, 3.008, 1.43),
    "sulfur_dioxide": (-15.67, 2.10, 1.00), "phosgene": (-19.27, 3.686, 1), "hydrogen_cyanide": (-29.42, 3.008, 1.43),
    "carbon_monoxide": (-37.98, 3.7, 1),
}  # fmt: skip


@pytest.mark.parametrize(("table", "expected", "unit"), [(A, SET_A, "mg/m3"), (B, SET_B, "ppm")])
def test_toxic_tables_match_the_reference(table: ToxicProbitTable, expected: dict, unit: str) -> None:
    params = load_parameters()
    rows = params.toxic_set_a if table is A else params.toxic_set_b
    assert set(rows) == set(expected)
    for key, (a, b, n) in expected.items():
        row = toxic_probit_constants(key, table)
        assert (row.a, row.b, row.n) == (a, b, n), key
        assert row.concentration_unit == unit and row.time_unit == "min" and row.table is table


def test_hydrogen_chloride_set_a_is_the_corrected_row() -> None:
    row = toxic_probit_constants("hydrogen chloride", A)
    assert (row.a, row.b, row.n) == (-37.3, 3.69, 1)  # not the old guess −6.7 / 1 / 1


def test_chlorine_set_b_is_c2_and_set_a_c1() -> None:
    assert toxic_probit_constants("chlorine", B).status == "C2"
    assert toxic_probit_constants("chlorine", A).status == "C1"


@pytest.mark.parametrize("name", ["chlorine", "Chlorine", "氯", "7782-50-5", " CHLORINE "])
def test_toxic_lookup_by_key_name_chinese_name_or_cas(name: str) -> None:
    assert toxic_probit_constants(name, A).key == "chlorine"
    assert toxic_probit_constants(name, "set_b_lees_osd30_ppm_min").key == "chlorine"


def test_unknown_substance_raises_invalid_input_listing_the_table() -> None:
    with pytest.raises(InvalidInput, match=r"no toxic probit for substance 'benzene'.*chlorine \(氯, 7782-50-5\)"):
        toxic_probit_constants("benzene", A)
    with pytest.raises(UnknownSubstance):
        toxic_probit_constants("benzene", A)
    with pytest.raises(UnknownProbitSubstance):
        toxic_probit_constants("nitrogen_dioxide", B)  # only in Set A


def test_unknown_table_raises_and_names_the_units() -> None:
    with pytest.raises(InvalidInput, match="mg/m³ and min.*ppm and min"):
        toxic_probit_constants("chlorine", "A")


@pytest.mark.parametrize("table", [A, B])
def test_toxic_rows_point_at_the_right_gb18218_row(table: ToxicProbitTable) -> None:
    rows = load_parameters().toxic_set_a if table is A else load_parameters().toxic_set_b
    for row in rows.values():
        props = chemical_properties(row.gb18218_seq)
        assert props is not None and props.cas == row.cas, row.key
        assert props.molar_mass_g_per_mol and props.molar_mass_g_per_mol > 0


# -- heat and overpressure probits -----------------------------------------------------------------


def test_heat_probit_table() -> None:
    assert (heat_probit_constants().a, heat_probit_constants().b) == (-36.38, 2.56)  # default: Tsao & Perry
    assert heat_probit_constants("eisenberg").a == -38.48
    assert heat_probit_constants("tno").a == -37.23
    lees = heat_probit_constants("lees")
    assert (lees.a, lees.b, lees.dose_factor) == (-29.02, 1.99, 0.5)
    osd = heat_probit_constants("lees", lees_half_factor=False)
    assert (osd.a, osd.b, osd.dose_factor) == (-29.03, 1.99, 1.0)
    with pytest.raises(InvalidInput, match="valid: eisenberg, tsao_perry, tno, lees"):
        heat_probit_constants("purple")


KW_TO_W_DOSE = (4.0 / 3.0) * math.log(1000.0)  # ln V[W] − ln V[kW] for V = q^{4/3} t


@pytest.mark.parametrize(
    ("model", "a_kw", "a_w"),
    [("eisenberg", -14.9, -38.478), ("tsao_perry", -12.8, -36.378)],
)
def test_unit_convention_identities_heat(model: str, a_kw: float, a_w: float) -> None:
    """qra-method.md §8.3: the kW/m² OSD/30 constants are the same lines as the W/m² ones."""
    b = heat_probit_constants(model).b
    assert a_kw - b * KW_TO_W_DOSE == pytest.approx(a_w, abs=5e-4)
    assert heat_probit_constants(model).a == pytest.approx(a_w, abs=5e-3)  # table rounds to 2 decimals


def test_unit_convention_identity_lees_osd30() -> None:
    osd30_a_w = heat_probit_constants("lees", lees_half_factor=False).a
    assert osd30_a_w == pytest.approx(-10.7 - 1.99 * KW_TO_W_DOSE, abs=5e-3)


def test_unit_convention_identities_overpressure() -> None:
    """HSC 1.47 + 1.37 ln P[psig] ≡ −10.639 + 1.37 ln P[Pa]; HSE 5.13 + 1.37 ln(P/1e5) ≡ −10.643 + …"""
    pa_per_psi = 6894.757
    assert 1.47 - 1.37 * math.log(pa_per_psi) == pytest.approx(-10.639, abs=5e-4)
    hse = overpressure_probit_constants("hse_lung").coefficients
    assert hse["a"] - hse["b"] * math.log(hse["p_ref"]) == pytest.approx(-10.643, abs=5e-4)


def test_overpressure_probit_table() -> None:
    assert dict(overpressure_probit_constants("eisenberg_lung").coefficients) == {"a": -77.1, "b": 6.91, "p_ref": 1.0}
    assert overpressure_probit_constants("tno_head").coefficients["k"] == 4e8
    assert overpressure_probit_constants("hse_lung").status == "C2"
    with pytest.raises(InvalidInput, match="valid: eisenberg_lung, hse_lung, tno_head, tno_collapse"):
        overpressure_probit_constants("lung")


# -- dispersion tables ----------------------------------------------------------------------------


def test_briggs_tables_complete_and_urban_ef_sigma_z_uses_0_0015() -> None:
    assert len(load_parameters().briggs) == 2 * 6 * 2
    for s in "EF":
        c = briggs_coefficients("urban", s, "z")
        assert (c.a, c.b, c.exponent) == (0.08, 0.0015, -0.5)
    c = briggs_coefficients("urban", "A", "z")
    assert (c.a, c.b, c.exponent) == (0.24, 0.001, 0.5)
    c = briggs_coefficients("rural", "F", "z")
    assert (c.a, c.b, c.exponent) == (0.016, 0.0003, -1.0)


def test_puff_sigma_ccps_set() -> None:
    assert (puff_sigma_coefficients("F", "xy").a, puff_sigma_coefficients("F", "xy").b) == (0.02, 0.89)
    assert (puff_sigma_coefficients("D", "z").a, puff_sigma_coefficients("D", "z").b) == (0.15, 0.70)


def test_irwin_exponents() -> None:
    rural = [wind_profile_exponent("rural", s) for s in "ABCDEF"]
    urban = [wind_profile_exponent("urban", s) for s in "ABCDEF"]
    assert rural == [0.07, 0.07, 0.10, 0.15, 0.35, 0.55]
    assert urban == [0.15, 0.15, 0.20, 0.25, 0.40, 0.60]


@pytest.mark.parametrize(("stability", "terrain"), [("G", "rural"), ("D", "suburban")])
def test_unknown_class_or_terrain(stability: str, terrain: str) -> None:
    with pytest.raises(InvalidInput, match="valid"):
        briggs_coefficients(terrain, stability, "y")


# -- ignition (Purple Book Table 4.5) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "release", "amount", "p"),
    [
        ("gas_average_high_reactivity", "continuous", 9.999, 0.2),
        ("gas_average_high_reactivity", "continuous", 10.0, 0.5),  # middle band closed at 10 …
        ("gas_average_high_reactivity", "continuous", 100.0, 0.5),  # … and at 100
        ("gas_average_high_reactivity", "continuous", 100.001, 0.7),
        ("gas_average_high_reactivity", "instantaneous", 999.9, 0.2),
        ("gas_average_high_reactivity", "instantaneous", 1000.0, 0.5),
        ("gas_average_high_reactivity", "instantaneous", 10000.0, 0.5),
        ("gas_average_high_reactivity", "instantaneous", 10000.1, 0.7),
        ("gas_low_reactivity", "continuous", 0.0, 0.02),
        ("gas_low_reactivity", "continuous", 50.0, 0.04),
        ("gas_low_reactivity", "instantaneous", 2e4, 0.09),
        ("k1_liquid", "continuous", 500.0, 0.065),
        ("k1_liquid", "instantaneous", 1.0, 0.065),
        ("k2_liquid", "continuous", 5.0, 0.01),
        ("k3_k4_liquid", "instantaneous", 5e4, 0.0),
    ],
)
def test_direct_ignition_bands(category: str, release: str, amount: float, p: float) -> None:
    assert direct_ignition_probability(category, release, amount) == p


def test_direct_ignition_bad_input() -> None:
    with pytest.raises(InvalidInput, match="unknown substance category 'gas'"):
        direct_ignition_probability("gas", "continuous", 1.0)
    with pytest.raises(InvalidInput, match="release type"):
        direct_ignition_probability("k1_liquid", "puff", 1.0)
    with pytest.raises(InvalidInput, match="≥ 0 kg"):
        direct_ignition_probability("k1_liquid", "instantaneous", -1.0)


def test_delayed_ignition_split() -> None:
    assert constant("delayed_ignition_flash_fire_fraction") == 0.6
    assert constant("delayed_ignition_explosion_fraction") == 0.4


# -- LOC frequencies and the UNCONFIRMED list ------------------------------------------------------


def test_loc_frequencies_all_unconfirmed_with_names() -> None:
    locs = load_parameters().loc_frequencies
    assert len(locs) == 22
    assert all(loc.status == "UNCONFIRMED" for loc in locs)
    by_key = {(loc.equipment, loc.loc_code): loc for loc in locs}
    assert by_key[("pressure_vessel", "G1")].frequency == 5e-7
    assert by_key[("pressure_vessel", "G3")].hole_diameter_mm == 10
    assert by_key[("pipe_lt_75mm", "leak")].frequency_unit == "per_metre_year"
    assert by_key[("loading_hose", "leak")].frequency == 4e-5


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("heat_clothing_factor", 0.14),
        ("heat_lethal_flux", 35000.0),
        ("overpressure_lethal", 30000.0),
        ("overpressure_indoor_lethality", 0.025),
        ("flash_fire_lethality", 1.0),
        ("heat_exposure_cap", 20.0),
        ("toxic_exposure_cap", 1800.0),
    ],
)
def test_lethality_rules_and_caps_are_unconfirmed(key: str, value: float) -> None:
    assert constant(key) == value
    assert load_parameters().constants[key].status == "UNCONFIRMED"
    assert any(u.table == "model_constants.csv" and u.key == key for u in unconfirmed_values())


def test_unconfirmed_values_lists_exactly_the_unconfirmed_rows() -> None:
    expected = sum(1 for name in DATA_FILES for row in _rows(name) if row["status"] == "UNCONFIRMED")
    listed = unconfirmed_values()
    assert len(listed) == expected
    assert sum(1 for u in listed if u.table == "loc_frequencies.csv") == 22
    assert all(str(u) for u in listed)
    assert not any(u.table == "briggs_sigma.csv" for u in listed)  # C2


def test_loaders_return_frozen_values() -> None:
    params = load_parameters()
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.toxic_set_a["chlorine"].a = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        params.constants["heat_lethal_flux"] = None  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.weather_classes = ()  # type: ignore[misc]


def test_version_and_digest() -> None:
    # issue 13 (2.1: toxic pools; 2.2: flash; 2.3: a vessel of stated capacity fails full; 2.4: evaporation per class;
    # 2.5: finite dense releases blend plume and puff; 2.6: a dense puff's toxic load is continuous at the handover)
    assert isinstance(MODEL_VERSION, str) and "2.6.0" in MODEL_VERSION
    d = parameters_digest()
    assert len(d) == 64 and int(d, 16) >= 0
    assert parameters_digest() == d


def test_model_metadata() -> None:
    meta = model_metadata()
    assert meta["model_version"] == MODEL_VERSION
    assert meta["parameters_sha256"] == parameters_digest()
    assert meta["unconfirmed_count"] == len(unconfirmed_values()) == len(meta["unconfirmed"])  # type: ignore[arg-type]
    assert any("heat_clothing_factor = 0.14" in line for line in meta["unconfirmed"])  # type: ignore[union-attr]


def test_unknown_constant_lists_the_keys() -> None:
    with pytest.raises(InvalidInput, match="heat_lethal_flux"):
        constant("lethal_flux")
