"""The demo's live feed (``geo-risk demo``) and the published simulation's default start, on the sample city.

Expectations from the sample city's sensors layer and the feed's fault plan (geo_risk/monitoring/demo_feed.py):
six minutes into a cycle the flammable-gas leak on HU-0001-GF (H 20, HH 40 %LEL, 3 s on-delay) holds at its
top, HH + 5 % of the 0–100 %LEL span = 45 %LEL, so two readings 5 s apart raise its HH alarm; the dropout of
the first toxic-gas detector (HU-0002-GT, 4–11 min into the cycle) leaves 905 of the 906 sensors reporting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers import SAMPLE_CITY, load
from sqlalchemy import text

from geo_risk.monitoring import simulate as sim
from geo_risk.monitoring.demo_feed import DemoFeed, demo_faults, operated_below
from geo_risk.monitoring.ingest import publish_start
from geo_risk.monitoring.payload import RawReading, check_readings
from geo_risk.monitoring.simulate import read_sensors
from geo_risk.settings import Settings
from geo_risk.store.db import get_engine


def test_published_runs_end_just_before_now_and_pass_the_ingest_checks() -> None:
    now = datetime(2026, 12, 6, 8, 0, 0, 500_000, tzinfo=UTC)
    t0 = publish_start(4 * 3600.0, now)
    assert t0 == datetime(2026, 12, 6, 3, 59, tzinfo=UTC)  # 4 h and the 60 s margin before 08:00:00
    specs, _ = read_sensors(SAMPLE_CITY)
    sensors = {s.id: s for s in specs}
    first, last = t0, t0 + timedelta(seconds=4 * 3600.0 - 1)
    raws = [RawReading(0, "HU-0001-TT", first, 20.0), RawReading(1, "HU-0001-TT", last, 20.0)]
    ok, bad = check_readings(raws, sensors, now, 60.0, 90)
    assert len(ok) == 2 and not bad
    # the simulator's fixed default start is older than the retention on this date: refused
    ok, bad = check_readings([RawReading(0, "HU-0001-TT", datetime(2026, 1, 1, 4, tzinfo=UTC), 20.0)], sensors, now,
                             60.0, 90)
    assert not ok and bad[0].reason == "too_old"


def test_fault_plan_names_sample_city_sensors() -> None:
    specs, _ = read_sensors(SAMPLE_CITY)
    t0 = datetime(2026, 12, 6, 8, tzinfo=UTC)
    got = {f.kind: (f.sensor_id, (f.start - t0).total_seconds()) for f in demo_faults(specs, t0, 1)}
    assert got == {"spike": ("HU-0001-TT", 1830.0), "leak": ("HU-0001-GF", 1860.0), "overfill": ("HU-0005-LT", 1920.0),
                   "stuck": ("HU-0001-PT", 1980.0), "dropout": ("HU-0002-GT", 2040.0)}


@pytest.fixture(scope="module")
def city(db_url: str) -> str:
    load(SAMPLE_CITY, db_url)
    return db_url


def test_the_feed_raises_the_leak_through_the_alarm_service(city: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    feed = DemoFeed(city, Settings(database_url=city), SAMPLE_CITY).open(t0=now - timedelta(seconds=360))
    try:
        assert feed.tick(now - timedelta(seconds=5)) == 905
        assert feed.tick(now) == 905
        with get_engine(city).connect() as conn:
            rows = conn.execute(text("SELECT key, state, active, priority FROM alarms WHERE sensor_id = 'HU-0001-GF'"
                                     " ORDER BY key")).all()
            value = conn.execute(text("SELECT value FROM readings WHERE sensor_id = 'HU-0001-GF' AND ts = :t"),
                                 {"t": now}).scalar_one()
        assert value == pytest.approx(45.0, abs=0.5)  # the leak's top, plus the detector's small noise
        assert ("HU-0001-GF:HH", "unack_active", True, "critical") in [tuple(r) for r in rows]
        with get_engine(city).connect() as conn:  # tanks are run below their design maximum: no 超量储存
            assert conn.execute(text("SELECT count(*) FROM alarms WHERE kind = 'OVERFILL'")).scalar_one() == 0
    finally:
        feed.stop()


@pytest.mark.parametrize(("design_t", "vessels", "capacity_t", "peak", "trough"), [
    (12_500.0, 4, 3_600.0, 75.0, 20.0),  # HU-0005: overfill at 86.8 %; 0.9 × 86.8 + 10 > H 85 → H - 10 = 75
    (230.0, 1, 360.0, 57.5, 20.0),       # overfill at 63.9 %: peak 0.9 × 63.9 = 57.5; trough L + 10 = 20
    (50.0, 1, 360.0, 12.5, 6.94),        # overfill at 13.9 %: peak 12.5; trough half of it
])
def test_tanks_are_run_below_their_design_maximum(design_t: float, vessels: int, capacity_t: float, peak: float,
                                                   trough: float) -> None:
    import numpy as np

    specs, _ = read_sensors(SAMPLE_CITY)
    level = next(s for s in specs if s.id == "HU-0005-LT")  # L 10, H 85 on a 0–100 % span
    overfill_pct = design_t / (vessels * capacity_t) * 100.0
    t = np.arange(0.0, sim.LEVEL_CYCLE_S, 10.0)
    v = sim._base(operated_below(level, overfill_pct), t)
    assert v.max() == pytest.approx(peak, abs=0.01) and v.max() < overfill_pct
    assert v.min() == pytest.approx(trough, abs=0.01)


def test_overfill_levels_take_the_first_item_to_pass_its_design_max(city: str) -> None:
    from geo_risk.store.live import overfill_levels

    levels = overfill_levels(city)
    # HU-0005: 汽油 12,500 t in 4 × 3,600 t → 86.81 %
    assert levels["HU-0005-LT"] == pytest.approx(12_500 / (4 * 3_600) * 100)
    # HU-0007: 苯 810 t in 3 × 360 t (75 %), 甲苯 2,000 t in 2 × 1,440 t (69.44 %), 二甲苯 2,800 t in 2 × 1,440 t
    # (97.2 %): the lowest, toluene's
    assert levels["HU-0007-LT"] == pytest.approx(2_000 / (2 * 1_440) * 100)


def test_the_alarm_service_overfills_at_the_live_maps_level(city: str) -> None:
    """One rule for 超量储存: the alarm service's overfill level of every level sensor is the live map's,
    units of several items included (HU-0007 by toluene, its lowest)."""
    from geo_risk.store.alarms import overfill_rules
    from geo_risk.store.live import overfill_levels

    raw = get_engine(city).raw_connection()
    try:
        rules = {r.sensor_id: r for r in overfill_rules(raw.driver_connection)}
    finally:
        raw.close()
    levels = overfill_levels(city)
    assert set(rules) == set(levels) and len(levels) > 10
    for sid, level in levels.items():
        assert rules[sid].level_pct == pytest.approx(level, rel=1e-12), sid
    # toluene: 2,000 t design maximum in 2 × 1,440 t
    assert (rules["HU-0007-LT"].capacity_m3, rules["HU-0007-LT"].design_max_t) == (2 * 1_440, 2_000)
