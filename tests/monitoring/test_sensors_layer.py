"""The sensors interchange layer: loaded all or nothing, limits and units checked, the sample city's set per AQ 3035."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import SAMPLE_CITY, load
from monitoring.monitoring_data import SENSORS, load_monitoring_city
from sqlalchemy import text

from geo_risk.errors import ValidationFailed
from geo_risk.store.db import get_engine


def _rows(url: str, sql: str) -> list[tuple]:
    with get_engine(url).connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_sensors_load_with_their_limits(fresh_db_url: str, tmp_path: Path) -> None:
    report = load_monitoring_city(fresh_db_url, tmp_path)
    assert report.counts["sensors"]["inserted"] == len(SENSORS)
    rows = _rows(fresh_db_url, "SELECT id, unit_id, quantity, uom, ll, l, h, hh FROM sensors ORDER BY id")
    assert rows[0] == ("U1-LT", "U1", "level", "%", 5.0, 10.0, 85.0, 90.0)
    assert ("U3-GF", "U3", "flammable_gas", "%LEL", None, None, 20.0, 40.0) in rows


@pytest.mark.parametrize(("change", "message"), [
    ({"l": 86.0}, "l 86 must be below h 85"),
    ({"ll": 12.0}, "ll 12 must be at most l 10"),
    ({"hh": 80.0}, "h 85 must be at most hh 80"),
    ({"hh": 120.0}, "hh 120 lies outside the measuring range 0–100 %"),
    ({"range_lo": 100.0}, "range_lo 100 must be below range_hi 100"),
    ({"uom": "bar"}, "uom 'bar' is not a unit of level"),
    ({"quantity": "humidity"}, "quantity 'humidity' is not one of"),
    ({"unit_id": "U9"}, "unit_id 'U9' refers to no row of hazard_units"),
])
def test_bad_sensor_rows_reject_the_whole_load(fresh_db_url: str, tmp_path: Path, change: dict,
                                               message: str) -> None:
    bad = SENSORS.copy()
    for k, v in change.items():
        bad.loc[1, k] = v  # row 2 of the layer: U1-LT, limits 5 / 10 / 85 / 90 in 0–100 %
    with pytest.raises(ValidationFailed) as err:
        load_monitoring_city(fresh_db_url, tmp_path, bad)
    problems = [p for p in err.value.problems if p.severity == "error"]
    assert [(p.layer, p.row, p.id) for p in problems] == [("sensors", 2, "U1-LT")]
    assert message in problems[0].reason
    assert _rows(fresh_db_url, "SELECT count(*) FROM hazard_units") == [(0,)]  # nothing written


def test_equal_low_and_high_alarm_limits_are_refused_but_equal_pairs_on_one_side_are_not(
        fresh_db_url: str, tmp_path: Path) -> None:
    ok = SENSORS.copy()
    ok.loc[1, ["ll", "l", "h", "hh"]] = [10.0, 10.0, 90.0, 90.0]  # LL = L and H = HH: allowed
    load_monitoring_city(fresh_db_url, tmp_path, ok)
    bad = SENSORS.copy()
    bad.loc[1, ["ll", "l", "h", "hh"]] = [None, 50.0, 50.0, None]  # L = H: no normal band
    with pytest.raises(ValidationFailed, match="l 50 must be below h 50"):
        load_monitoring_city(fresh_db_url, tmp_path / "b", bad)


def test_loading_sensors_leaves_graded_results_current(fresh_db_url: str, tmp_path: Path) -> None:
    load_monitoring_city(fresh_db_url, tmp_path, SENSORS.iloc[:0])
    before = _rows(fresh_db_url, "SELECT version, inputs_version FROM data_version")[0]
    more = tmp_path / "only_sensors"
    more.mkdir()
    SENSORS.to_csv(more / "sensors.csv", index=False)
    load(more, fresh_db_url)
    after = _rows(fresh_db_url, "SELECT version, inputs_version FROM data_version")[0]
    assert after[1] == before[1]  # no GB 18218 / risk input changed
    assert after[0] > before[0]  # caches still see a write


def test_sample_city_sensors_follow_aq3035(fresh_db_url: str) -> None:
    load(SAMPLE_CITY, fresh_db_url)
    # every storage tank has level, temperature and pressure (docs/standards/aq3035-2010.md §2) ...
    missing = _rows(fresh_db_url, """
        SELECT u.id, q FROM hazard_units u CROSS JOIN unnest(ARRAY['level', 'temperature', 'pressure']) q
         WHERE u.equipment IN ('atmospheric_tank', 'pressure_vessel', 'refrigerated_tank')
           AND NOT EXISTS (SELECT 1 FROM sensors s WHERE s.unit_id = u.id AND s.quantity = q)""")
    assert missing == []
    # ... every unit holding an 甲/乙 liquid or gas has a flammable-gas detector within GB/T 50493 (≤ 25 / ≤ 50 %LEL)
    flammable = _rows(fresh_db_url, """
        SELECT DISTINCT u.id FROM hazard_units u JOIN inventory i ON i.unit_id = u.id
         WHERE i.state IS DISTINCT FROM 'solid' AND u.fire_class IN ('甲', '乙')""")
    detectors = dict(_rows(fresh_db_url, "SELECT unit_id, hh FROM sensors WHERE quantity = 'flammable_gas'"))
    assert len(flammable) > 50
    assert {u for (u,) in flammable} - set(detectors) == set()
    assert _rows(fresh_db_url, "SELECT count(*) FROM sensors WHERE quantity = 'flammable_gas' "
                               "AND NOT (h <= 25 AND hh <= 50 AND uom = '%LEL')") == [(0,)]
    # and every stored limit set is ordered inside its range (an independent SQL check of the validator)
    assert _rows(fresh_db_url, """
        SELECT count(*) FROM sensors WHERE NOT (
          range_lo < range_hi
          AND (ll IS NULL OR ll >= range_lo) AND (l IS NULL OR l >= range_lo)
          AND (h IS NULL OR h <= range_hi) AND (hh IS NULL OR hh <= range_hi)
          AND (ll IS NULL OR l IS NULL OR ll <= l) AND (h IS NULL OR hh IS NULL OR h <= hh)
          AND (coalesce(l, ll) IS NULL OR coalesce(h, hh) IS NULL OR coalesce(l, ll) < coalesce(h, hh)))""") == [(0,)]
    kinds = dict(_rows(fresh_db_url, "SELECT quantity, count(*) FROM sensors GROUP BY 1"))
    assert set(kinds) == {"level", "temperature", "pressure", "flammable_gas", "toxic_gas"}
    assert pd.Series(kinds).sum() == _rows(fresh_db_url, "SELECT count(*) FROM sensors")[0][0]
