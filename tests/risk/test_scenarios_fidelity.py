"""Issue 13 items 3, 6 and 7 by hand: reactivity classes and outcomes per substance (ammonia), the
fireball's emissive power, pool evaporation, and inventories held in several vessels.

Every expected number is computed here from the published formula or table value (Purple Book
Table 4.5, the recalled low-reactivity list, Roberts' radiated fraction, Mackay & Matsugu), never
read back from the engine.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from geo_risk.risk.parameters import gas_reactivity, outcome_capability
from geo_risk.risk.scenarios import ScenarioSet, _fireball_sep_w_m2, _Props, build_scenarios
from geo_risk.risk.source_term import pool_evaporation_rate_kg_s
from geo_risk.risk.weather import Weather

NH3, LPG = "7664-41-7", "液化石油气"


def _unit(uid: str, equipment: str, t_c: float, p_mpa: float) -> dict:
    return {"id": uid, "equipment": equipment, "containment": "single", "unit_type": "storage",
            "operating_temperature_c": t_c, "operating_pressure_mpa": p_mpa, "name": uid, "enterprise_id": "E1"}


def _item(uid: str, iid: str, chemical: str, q_t: float, state: str, t_c: float, p_mpa: float) -> dict:
    return {"unit_id": uid, "id": iid, "chemical": chemical, "cas": None, "table1_seq": None,
            "hazard_categories": None, "max_quantity_t": q_t, "state": state, "temperature_c": t_c,
            "pressure_mpa": p_mpa}


def _frames(units: list[dict], items: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    u = pd.DataFrame(units).set_index("id")
    return u, pd.DataFrame(items), {uid: (1000.0 * k, 500.0) for k, uid in enumerate(u.index)}


def _rows(s: ScenarioSet, iid: str) -> pd.DataFrame:
    return s.scenarios[s.scenarios["inventory_id"] == iid]


def _build(items: list[dict], units: list[dict] | None = None, **vessel: object) -> ScenarioSet:
    units = units or [_unit(it["unit_id"], "pressure_vessel", 20.0, it["pressure_mpa"]) for it in items]
    u, inv, pos = _frames(units, items)
    for k, v in vessel.items():
        inv[k] = v
    return build_scenarios(u, inv, pos)


# --- item 3: reactivity and outcomes -------------------------------------------------------------


def test_reactivity_list_holds_ammonia_methane_co_low_and_propane_not() -> None:
    for cas in (NH3, "74-82-8", "630-08-0"):
        row = gas_reactivity([cas])
        assert row is not None and row.reactivity == "low" and row.status == "UNCONFIRMED"
    assert gas_reactivity(["74-98-6"]) is None  # propane: average/high (not listed)
    assert outcome_capability([NH3], "fireball").instead == "flash_fire"  # type: ignore[union-attr]
    assert outcome_capability(["74-98-6"], "fireball") is None


@pytest.mark.parametrize(
    ("q_t", "p_g1", "p_g2"),
    [
        # G.1 releases q kg at once; G.2 releases q kg over 600 s. Table 4.5 low row:
        # < 1000 kg → 0.02, 1000–10 000 kg → 0.04, > 10 000 kg → 0.09 (continuous < 10, 10–100, > 100 kg/s)
        (0.5, 0.02, 0.02),  # 500 kg; 0.833 kg/s
        (5.0, 0.04, 0.02),  # 5 000 kg; 8.33 kg/s
        (50.0, 0.09, 0.04),  # 50 000 kg; 83.3 kg/s
        (100.0, 0.09, 0.09),  # 100 000 kg; 166.7 kg/s
    ],
)
def test_ammonia_low_reactivity_ignition_and_no_fireball(q_t: float, p_g1: float, p_g2: float) -> None:
    s = _build([_item("U-N", "I-N", "液氨", q_t, "liquefied_pressurized", 20.0, 0.76)])
    rows = _rows(s, "I-N")
    fire = rows[rows["tree"] == "fire"].set_index(["loc", "branch"])
    assert fire.loc[("G.1", "direct_ignition"), "branch_probability"] == pytest.approx(p_g1, rel=1e-12)
    assert fire.loc[("G.2", "direct_ignition"), "branch_probability"] == pytest.approx(p_g2, rel=1e-12)
    assert fire.loc[("G.3", "direct_ignition"), "branch_probability"] == pytest.approx(0.02, rel=1e-12)
    assert "fireball" not in set(rows["outcome"]) and "vce" not in set(rows["outcome"])
    assert fire.loc[("G.1", "direct_ignition"), "outcome"] == "flash_fire"  # the puff burns, no BLEVE
    # the delayed branch keeps its whole probability (explosion share → flash fire): nothing lost
    assert fire.loc[("G.1", "delayed_flash_fire"), "branch_probability"] == pytest.approx(1 - p_g1, rel=1e-12)
    for _, at in rows.groupby(["loc", "tree"]):
        assert at["frequency_per_year"].sum() == pytest.approx(at["loc_frequency_per_year"].iloc[0], rel=1e-12)


def test_propane_keeps_the_average_high_row_and_its_fireball() -> None:
    s = _build([_item("U-P", "I-P", LPG, 50.0, "liquefied_pressurized", 20.0, 0.75)])
    fire = _rows(s, "I-P").set_index(["loc", "branch"])
    assert fire.loc[("G.1", "direct_ignition"), "branch_probability"] == pytest.approx(0.7)  # > 10 000 kg
    assert fire.loc[("G.1", "direct_ignition"), "outcome"] == "fireball"


def test_fireball_sep_is_roberts_fraction_within_the_band() -> None:
    props = _Props("hand", heat_of_combustion_j_kg=46.35e6)
    m = 1.0e5  # kg
    d = 5.8 * m ** (1 / 3)  # m
    t = 2.6 * m ** (1 / 6)  # s (M ≥ 30 000 kg)
    f_s = 0.27 * 1.0**0.32  # 1 MPa
    expected = f_s * m * 46.35e6 / (math.pi * d * d * t)
    assert expected == pytest.approx(3.10e5, rel=0.01)  # about 310 kW/m², below the old fixed 350
    assert _fireball_sep_w_m2(m, props, 1.0e6) == pytest.approx(expected, rel=1e-9)
    # 0.1 MPa: F_s = 0.27 × 0.1^0.32 = 0.1293 → 149 kW/m², raised to the band's 200 kW/m²
    assert _fireball_sep_w_m2(m, props, 1.0e5) == pytest.approx(2.0e5)
    # a very high pressure stays at the band's top, 350 kW/m²
    assert _fireball_sep_w_m2(m, props, 5.0e6) == pytest.approx(3.5e5)


# --- item 6: pool evaporation -------------------------------------------------------------------


def test_pool_evaporation_is_mackay_matsugu_by_hand() -> None:
    d, pv, mm, t, u = 20.0, 30_000.0, 0.072, 293.15, 5.0
    k = 0.0048 * u**0.7778 * d**-0.1111 * 0.8**-0.6667  # m/s
    expected = k * (math.pi * d * d / 4) * pv * mm / (8.314462618 * t)
    assert pool_evaporation_rate_kg_s(d, pv, mm, t, u) == pytest.approx(expected, rel=1e-12)
    assert pool_evaporation_rate_kg_s(d, 0.0, mm, t, u) == 0.0


# --- item 7: vessels ---------------------------------------------------------------------------


def _lpg(q_t: float) -> dict:
    return _item("U-P", "I-P", LPG, q_t, "liquefied_pressurized", 20.0, 0.75)


def test_vessel_count_multiplies_frequencies_and_keeps_one_vessels_consequence() -> None:
    five = _build([_lpg(1000.0)], vessel_count=5)
    one = _build([_lpg(200.0)])  # one vessel of the same 200 t contents
    a, b = _rows(five, "I-P"), _rows(one, "I-P")
    assert a["release_mass_kg"].loc[a["loc"] == "G.1"].tolist()[0] == 200_000.0  # kg: 1000 t / 5
    assert (a["vessel_count"] == 5).all()
    assert a["loc_frequency_per_year"].tolist() == pytest.approx([5 * f for f in b["loc_frequency_per_year"]])
    assert a["frequency_per_year"].tolist() == pytest.approx([5 * f for f in b["frequency_per_year"]], rel=1e-12)
    assert a["branch_probability"].tolist() == b["branch_probability"].tolist()
    w = Weather("F", 1.5)
    for ea, eb in zip(five.sources[0].events, one.sources[0].events, strict=True):
        assert ea.max_distance_m(w) == pytest.approx(eb.max_distance_m(w), rel=1e-12)
    # G.1 of 1000 t in one vessel reaches farther than the 200 t vessel's
    whole = _build([_lpg(1000.0)])
    assert whole.sources[0].events[0].max_distance_m(w) > one.sources[0].events[0].max_distance_m(w)


def test_capacity_alone_gives_the_ceiling_count_and_a_full_vessel() -> None:
    """1000 t in vessels of 300 t: n = ⌈1000 / 300⌉ = 4; the vessel that fails is full (300 t, not the
    average 250 t: model 2.3.0, scenario_vessel_fill_fraction = 1); the LOC frequency is 4 × 5×10⁻⁷."""
    s = _build([_lpg(1000.0)], vessel_capacity_t=300.0)
    rows = _rows(s, "I-P")
    assert (rows["vessel_count"] == 4).all()
    assert rows.loc[rows["loc"] == "G.1", "release_mass_kg"].iloc[0] == pytest.approx(300_000.0)
    assert rows.loc[rows["loc"] == "G.1", "loc_frequency_per_year"].iloc[0] == pytest.approx(4 * 5e-7)
    # G.2: one vessel's contents over 600 s
    g2 = rows.loc[rows["loc"] == "G.2"].iloc[0]
    assert g2["release_rate_kg_s"] == pytest.approx(300_000.0 / 600.0)
    assert any(d["what"] == "vessel_contents" for d in s.assumptions["defaults_applied"])


@pytest.mark.parametrize(("q_t", "count", "cap", "contents_t"), [
    (200.0, 10, 100.0, 100.0),   # 10 tanks of 100 t sharing 200 t: the failing one is full
    (1000.0, 4, 250.0, 250.0),   # exactly full vessels: q / n = c
    (150.0, None, 400.0, 150.0),  # one vessel larger than the stock: the whole stock, not the capacity
    (1000.0, 5, None, 200.0),    # count only: nothing says more than q / n
])
def test_failing_vessel_contents_by_hand(q_t: float, count: object, cap: object, contents_t: float) -> None:
    fields = {k: v for k, v in (("vessel_count", count), ("vessel_capacity_t", cap)) if v is not None}
    rows = _rows(_build([_lpg(q_t)], **fields), "I-P")
    n = count or math.ceil(q_t / cap)  # type: ignore[operator]
    g1 = rows.loc[rows["loc"] == "G.1"].iloc[0]
    assert g1["release_mass_kg"] == pytest.approx(contents_t * 1000.0)
    assert g1["loc_frequency_per_year"] == pytest.approx(n * 5e-7)


def test_fill_fraction_is_read_from_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fill fraction of 0.8: 0.8 × 300 t = 240 t < q / n = 250 t, so the average (never below q / n)."""
    import geo_risk.risk.scenarios as sc

    real = sc._num
    monkeypatch.setattr(sc, "_num", lambda key: 0.8 if key == "vessel_fill_fraction" else real(key))
    rows = _rows(_build([_lpg(1000.0)], vessel_capacity_t=300.0), "I-P")
    assert rows.loc[rows["loc"] == "G.1", "release_mass_kg"].iloc[0] == pytest.approx(250_000.0)
    rows = _rows(_build([_lpg(200.0)], vessel_count=10, vessel_capacity_t=100.0), "I-P")
    assert rows.loc[rows["loc"] == "G.1", "release_mass_kg"].iloc[0] == pytest.approx(80_000.0)


def test_count_and_capacity_that_cannot_hold_the_quantity_is_a_problem() -> None:
    s = _build([_lpg(1000.0)], vessel_count=3, vessel_capacity_t=300.0)  # 900 t < 1000 t
    assert not _rows(s, "I-P").size
    assert any("does not fit" in p and "不大于" not in p for p in s.problems)


@pytest.mark.parametrize(("count", "cap"), [(0, None), (2.5, None), (None, 0.0), (None, -3.0)])
def test_bad_vessel_values_are_problems(count: object, cap: object) -> None:
    s = _build([_lpg(100.0)], vessel_count=count, vessel_capacity_t=cap)
    assert not _rows(s, "I-P").size
    assert any("vessel_count" in p for p in s.problems)


def test_no_vessel_fields_is_the_stated_one_vessel_default() -> None:
    s = _build([_lpg(100.0)])
    assert [(d["what"], d["value"]) for d in s.assumptions["defaults_applied"]][:1] == [("vessel_count", 1)]
    assert (_rows(s, "I-P")["vessel_count"] == 1).all()
    both_absent = _build([_lpg(100.0)], vessel_count=pd.NA, vessel_capacity_t=None)
    assert (_rows(both_absent, "I-P")["vessel_count"] == 1).all()


def test_k1_explosion_mass_is_at_most_the_gas_rule() -> None:
    """The evaporating pool's explosive mass: the plume up to its LFL distance, ≤ rate × min(duration, 600 s)."""
    import re

    from geo_risk.disclosure import disclose

    units = [{"id": "U-G", "equipment": "atmospheric_tank", "containment": "single", "unit_type": "storage",
              "operating_temperature_c": 20.0, "operating_pressure_mpa": 0.0, "name": "U-G", "enterprise_id": "E1"}]
    s = build_scenarios(*_frames(units, [_item("U-G", "I-G", "汽油", 5000.0, "liquid", 20.0, 0.0)]))
    rows = _rows(s, "I-G")
    for note in rows.loc[rows["branch"] == "delayed_explosion", "notes"]:
        text = disclose(note, "restricted")
        rate, duration = map(float, re.search(r"pool evaporation ([\d.e+-]+) kg/s for ([\d.e+-]+) s", text).groups())
        mass = float(re.search(r"flammable mass ([\d.e+-]+) kg", text).group(1))
        assert 0 < mass <= rate * min(duration, 600.0) * (1 + 1e-3)


def test_k1_flash_fire_evaporates_at_each_weather_class_wind() -> None:
    """Model 2.4.0: the K1 pool's flash-fire cloud is fed at each class's own wind (Mackay–Matsugu,
    rate ∝ u^(7/9)), so its LFL reach in F1.5 is that of the steady plume at the F1.5 rate — 0.39 ×
    the 5 m/s rate the single speed used — and shorter than with the 5 m/s rate."""
    from geo_risk.risk.lethality import EvaporatingPool, FlashFire

    units = [{"id": "U-G", "equipment": "atmospheric_tank", "containment": "single", "unit_type": "storage",
              "operating_temperature_c": 20.0, "operating_pressure_mpa": 0.0, "name": "U-G", "enterprise_id": "E1"}]
    s = build_scenarios(*_frames(units, [_item("U-G", "I-G", "汽油", 500.0, "liquid", 20.0, 0.0)]))
    rows = _rows(s, "I-G")
    k = int(rows.loc[rows["branch"] == "delayed_flash_fire", "event_index"].iloc[0])
    outcome = s.sources[0].events[k].lethality.__self__
    flash = getattr(outcome, "first", outcome)  # ThenPoolFire(flash fire, pool fire) → the flash fire
    assert isinstance(flash, FlashFire)
    pool = flash.release
    assert isinstance(pool, EvaporatingPool)
    f15, d5 = Weather("F", 1.5), Weather("D", 5.0)
    assert pool.at(f15).rate_kg_s / pool.at(d5).rate_kg_s == pytest.approx((1.5 / 5.0) ** 0.7778, rel=1e-9)
    at_f15 = FlashFire(pool.at(f15), flash.lfl_vol_pct, flash.molar_mass_g_per_mol)
    at_d5_rate = FlashFire(pool.at(d5), flash.lfl_vol_pct, flash.molar_mass_g_per_mol)
    assert flash.max_distance_m(f15) == pytest.approx(at_f15.max_distance_m(f15), rel=1e-9)
    # shorter than with the single-speed source: both last the 30 min cap, and since model 2.5.0 the reach of
    # a finite dense release never falls as its rate rises at a fixed duration (before, the 5 m/s rate's
    # plume was wider than u·t_d/2.5 in F1.5 and the whole-release puff capped it everywhere: shorter)
    assert pool.at(f15).duration_s == pool.at(d5).duration_s == 1800.0
    assert flash.max_distance_m(f15) < 0.95 * at_d5_rate.max_distance_m(f15)
