"""``geo-risk alarms list`` and ``geo-risk alarms act`` on a real PostGIS, with an alarm the service raised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitoring.monitoring_data import load_monitoring_city
from typer.testing import CliRunner

from geo_risk.cli import app
from geo_risk.monitoring.alarm_service import AlarmService
from geo_risk.monitoring.model import Reading

runner = CliRunner()


def test_list_and_act(cli_env: str, tmp_path: Path) -> None:
    load_monitoring_city(cli_env, tmp_path)
    # U1-PT: HH 1.3 MPa, on-delay 5 s → raised by the reading at t0 + 6 s
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    svc = AlarmService(cli_env)
    svc.feed([Reading("U1-PT", t0, 1.5), Reading("U1-PT", t0 + timedelta(seconds=6), 1.5)])
    svc.stop()
    listed = runner.invoke(app, ["alarms", "list", "--active"])
    assert listed.exit_code == 0, listed.output
    lines = [ln.split("\t") for ln in listed.output.splitlines() if ln.startswith("U1-PT:")]
    assert sorted((ln[0], ln[1], ln[2], ln[3]) for ln in lines) == [
        ("U1-PT:H", "E1", "high", "报警未确认"), ("U1-PT:HH", "E1", "critical", "报警未确认")]
    assert any("1.5 MPa ≥ 1.3 MPa" in ln[5] for ln in lines)
    acked = runner.invoke(app, ["alarms", "act", "U1-PT:HH", "acknowledge", "--reason", "seen"])
    assert acked.exit_code == 0 and "U1-PT:HH: ack_active" in acked.output, acked.output
    again = runner.invoke(app, ["alarms", "act", "U1-PT:HH", "acknowledge"])
    assert again.exit_code != 0 and "allowed now: shelve, suppress, remove_from_service" in again.output
    shelved = runner.invoke(app, ["alarms", "act", "U1-PT:H", "shelve", "--hours", "13"])
    assert shelved.exit_code != 0 and "at most 12 h" in shelved.output, shelved.output
    bad = runner.invoke(app, ["alarms", "act", "U1-PT:H", "snooze"])
    assert bad.exit_code != 0 and "remove-from-service" in bad.output
