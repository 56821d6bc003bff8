"""The hidden-danger register on the sample city: import (CSV and xlsx with Chinese headers, all or
nothing), the workflow through the API with its history and audit, overdue by a fixed day, the tiers,
the map layers' colours (the SQL views against the rules computed by hand) and the CLI."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from helpers import KEY_OF
from sqlalchemy import text
from typer.testing import CliRunner

from geo_risk.analysis.hidden_dangers import enterprise_colour, parse_level, parse_status
from geo_risk.errors import ValidationFailed
from geo_risk.hidden_dangers import SAMPLE_REGISTER, import_file
from geo_risk.store.db import get_engine
from layers.registry import REGISTRY

#: The fixed day of these tests (never the wall clock).
REF = dt.date(2026, 12, 1)
ANALYST = {"X-API-Key": KEY_OF["analyst"]}
VIEWER = {"X-API-Key": KEY_OF["viewer"]}
#: The sample register on REF, worked out by hand from sample_geo/hidden_dangers.csv:
#: enterprise → (colour, open items, overdue items).
BY_HAND = {"ENT-0001": ("red", 1, 1),  # 001 major due 11-30 still rectifying; 002 closed
           "ENT-0002": ("orange", 2, 1),  # 003 major due 2027-01-15; 004 general due 11-09 assigned
           "ENT-0003": ("orange", 1, 0),  # 005 major due 12-31
           "ENT-0005": ("red", 2, 1),  # 006 major due 11-15 only reviewed (not closed); 007 general due 12-10
           "ENT-0008": ("yellow", 1, 1),  # 008 closed; 009 general due 11-25
           "ENT-0010": ("blue", 1, 0),
           "ENT-0012": ("orange", 1, 0),
           "ENT-0014": ("blue", 1, 0)}
#: Publicly listed open major items: 001 (ENT-0001, overdue), 003, 005, 011; 006 is not listed, 008 closed.
PUBLIC_BY_HAND = {"ENT-0001": ("red", 1, 1), "ENT-0002": ("orange", 1, 0), "ENT-0003": ("orange", 1, 0),
                  "ENT-0012": ("orange", 1, 0)}
PUBLIC_IDS = {"HD-JL-2026-001", "HD-JL-2026-003", "HD-JL-2026-005", "HD-JL-2026-008", "HD-JL-2026-011"}


@pytest.fixture(scope="module")
def register(city_url: str) -> str:
    ids = import_file(city_url, SAMPLE_REGISTER, actor="test")
    assert len(ids) == 12
    return city_url


def _sample_rows() -> list[dict[str, str]]:
    with open(SAMPLE_REGISTER, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _view(url: str, view: str, day: dt.date) -> dict[str, tuple[str, int, int]]:
    with get_engine(url).connect() as conn:
        conn.execute(text("SELECT set_config('geo_risk.today', :d, false)"), {"d": day.isoformat()})
        rows = conn.execute(text(f"SELECT id, colour, n_open, n_overdue FROM {view}")).all()  # noqa: S608
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_the_map_views_colour_enterprises_as_worked_out_by_hand(register: str) -> None:
    assert _view(register, "hidden_dangers_map", REF) == BY_HAND
    assert _view(register, "hidden_dangers_public_map", REF) == PUBLIC_BY_HAND
    # and as the rules module colours the file's rows (an independent computation in Python)
    with get_engine(register).connect() as conn:
        ent = dict(conn.execute(text("SELECT name, id FROM enterprises")).all())
    items: dict[str, list] = {}
    for r in _sample_rows():
        items.setdefault(ent[r["企业名称"]], []).append(
            (parse_level(r["隐患级别"]), dt.date.fromisoformat(r["整改期限"]), parse_status(r["状态"])))
    assert {e: enterprise_colour(v, REF) for e, v in items.items() if enterprise_colour(v, REF)} == {
        e: c for e, (c, _, _) in BY_HAND.items()}
    # a day earlier 001 (due 11-30) is not yet overdue: ENT-0001 orange
    assert _view(register, "hidden_dangers_map", dt.date(2026, 11, 30))["ENT-0001"] == ("orange", 1, 0)
    # the layers' legends: 中文 first, the colours of the rules
    classes = REGISTRY["hidden_dangers"].style.as_dict()["classes"]
    assert {k: v["colour"] for k, v in classes.items()} == {"red": "#e31a1c", "orange": "#ff7f00",
                                                            "yellow": "#ffd92f", "blue": "#1f78b4"}
    assert classes["red"]["label_zh"] == "重大隐患超期未整改"
    assert set(REGISTRY["hidden_dangers_public"].style.classes) == {"red", "orange"}
    assert REGISTRY["hidden_dangers"].tier == "restricted" and REGISTRY["hidden_dangers_public"].tier == "public"


def test_overdue_and_notice_on_a_fixed_day(register: str, city_client: TestClient) -> None:
    def ids(day: str, **flag: str) -> set[str]:
        rows = city_client.get(f"/api/v1/hidden-dangers?overdue=true&on={day}", headers=ANALYST).json()
        return {r["id"] for r in rows if all(r[k] for k in flag.values())}

    assert ids("2026-12-01") == {"HD-JL-2026-001", "HD-JL-2026-004", "HD-JL-2026-006", "HD-JL-2026-009"}
    assert ids("2026-12-01", n="notice") == {"HD-JL-2026-001", "HD-JL-2026-006"}  # major and overdue: 通报
    assert ids("2026-11-30") == {"HD-JL-2026-004", "HD-JL-2026-006", "HD-JL-2026-009"}
    one = city_client.get("/api/v1/hidden-dangers/HD-JL-2026-001?on=2026-12-01", headers=ANALYST).json()
    assert (one["overdue"], one["notice"], one["criterion"], one["supervised_by"]) == (
        True, True, "121-06", "吉林市应急管理局")


@pytest.mark.parametrize("headers", [{}, VIEWER], ids=["anonymous", "viewer"])
def test_the_public_sees_listed_major_items_without_details(register: str, city_client: TestClient,
                                                            headers: dict) -> None:
    r = city_client.get("/api/v1/hidden-dangers?on=2026-12-01&limit=10000", headers=headers)
    assert r.status_code == 200
    rows = r.json()
    assert {x["id"] for x in rows} == PUBLIC_IDS
    assert all(x["level"] == "major" for x in rows)
    for x in rows:
        assert x["description"] is x["unit_id"] is x["responsible"] is x["responsible_dept"] is None
        assert x["enterprise_name"] and x["deadline"] and x["status"] and x["supervised"] is True
    body = r.text + city_client.get("/api/v1/hidden-dangers/HD-JL-2026-001", headers=headers).text
    for sample in _sample_rows():
        assert sample["隐患描述"] not in body and sample["责任人"] not in body
    # an item not publicly listed does not exist for them, exactly as an unknown one
    hidden = city_client.get("/api/v1/hidden-dangers/HD-JL-2026-006", headers=headers)
    unknown = city_client.get("/api/v1/hidden-dangers/NO-SUCH", headers=headers)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["detail"].replace("HD-JL-2026-006", "X") == unknown.json()["detail"].replace("NO-SUCH", "X")
    # the layers: the detailed one does not exist for them; the public one carries public columns only
    assert city_client.get("/collections/hidden_dangers/items", headers=headers).status_code == 404
    feats = city_client.get("/collections/hidden_dangers_public/items?limit=100", headers=headers).json()["features"]
    assert {f["id"] for f in feats} == set(PUBLIC_BY_HAND)
    assert not {"n_major", "n_major_overdue"} & set(feats[0]["properties"])


def test_analysts_see_every_item_with_details_and_the_detailed_layer(register: str, city_client: TestClient) -> None:
    rows = city_client.get("/api/v1/hidden-dangers?limit=10000", headers=ANALYST).json()
    assert {r["id"] for r in rows if r["id"].startswith("HD-JL-")} == {f"HD-JL-2026-{i:03d}" for i in range(1, 13)}
    one = city_client.get("/api/v1/hidden-dangers/HD-JL-2026-006", headers=ANALYST).json()
    assert one["description"] == "液氯钢瓶库有毒气体检测报警装置未接入控制室" and one["unit_name"] == "液氯钢瓶库"
    assert one["responsible"] == "赵磊" and [h["to_status"] for h in one["history"]] == ["reviewed"]
    feats = city_client.get("/collections/hidden_dangers/items?limit=100", headers=ANALYST).json()["features"]
    assert {f["id"] for f in feats} == set(BY_HAND)


def test_the_workflow_through_the_api(register: str, city_client: TestClient) -> None:
    new = {"enterprise_id": "ENT-0003", "unit_id": "HU-0018", "description": "TDI罐区氮封失效", "level": "major",
           "criterion": "121-05", "found_on": "2026-11-20", "deadline": "2026-12-20", "responsible": "陈工",
           "supervised": True, "supervised_by": "吉林市应急管理局", "public": True}
    assert city_client.post("/api/v1/hidden-dangers", json=new).status_code == 401
    assert city_client.post("/api/v1/hidden-dangers", json=new, headers=VIEWER).status_code == 403
    bad = city_client.post("/api/v1/hidden-dangers", json={**new, "unit_id": "HU-0010"}, headers=ANALYST)
    assert bad.status_code == 404 and "belongs to 'ENT-0002'" in bad.json()["detail"]
    bad = city_client.post("/api/v1/hidden-dangers", json={**new, "level": "general"}, headers=ANALYST)
    assert bad.status_code == 422 and "makes the item 重大" in bad.json()["detail"]
    bad = city_client.post("/api/v1/hidden-dangers", json={**new, "deadline": "2026-11-19"}, headers=ANALYST)
    assert bad.status_code == 422 and "before 发现日期" in bad.json()["detail"]
    r = city_client.post("/api/v1/hidden-dangers", json=new, headers=ANALYST)
    assert r.status_code == 201, r.text
    hid = r.json()["id"]
    assert r.json()["status"] == "reported" and hid.startswith("HD-")
    url = f"/api/v1/hidden-dangers/{hid}/transition"

    def step(to: str, expect: int) -> dict:
        resp = city_client.post(url, json={"to": to, "note": f"to {to}"}, headers=ANALYST)
        assert resp.status_code == expect, (to, resp.text)
        return resp.json()

    # every illegal step from each status answers 409 naming the allowed ones; legal steps move it on
    assert "allowed from 'reported': assigned" in step("closed", 409)["detail"]
    assert step("rectifying", 409)["error"] == "IllegalTransition"
    step("assigned", 200)
    assert "allowed from 'assigned': rectifying" in step("reviewed", 409)["detail"]
    step("rectifying", 200)
    assert "closing needs a review" in step("closed", 409)["detail"]
    step("reviewed", 200)
    step("rectifying", 200)  # a failed review goes back
    step("reviewed", 200)
    done = step("closed", 200)
    assert done["status"] == "closed" and done["closed_at"] and not done["overdue"]
    assert "final" in step("rectifying", 409)["detail"]
    assert step("done", 422)["error"] == "InvalidInput"  # not a status at all
    assert city_client.post(url, json={"to": "closed"}).status_code == 401
    assert city_client.post(url, json={"to": "closed"}, headers=VIEWER).status_code == 403
    assert city_client.post("/api/v1/hidden-dangers/NO-SUCH/transition", json={"to": "assigned"},
                            headers=ANALYST).status_code == 404
    history = city_client.get(f"/api/v1/hidden-dangers/{hid}", headers=ANALYST).json()["history"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "reported"), ("reported", "assigned"), ("assigned", "rectifying"), ("rectifying", "reviewed"),
        ("reviewed", "rectifying"), ("rectifying", "reviewed"), ("reviewed", "closed")]
    assert all(h["actor"].startswith("api:anal") and h["role"] == "analyst" for h in history)
    with get_engine(register).connect() as conn:
        audit = conn.execute(text("SELECT action, outcome, details->>'to' FROM audit_log WHERE target = :t "
                                  "ORDER BY id"), {"t": hid}).all()
    assert [a[0] for a in audit] == ["hidden-danger-create"] + ["hidden-danger-transition"] * 11  # not "done"
    assert [(o, to) for _, o, to in audit[1:]] == [
        ("failed", "closed"), ("failed", "rectifying"), ("ok", "assigned"), ("failed", "reviewed"),
        ("ok", "rectifying"), ("failed", "closed"), ("ok", "reviewed"), ("ok", "rectifying"), ("ok", "reviewed"),
        ("ok", "closed"), ("failed", "rectifying")]


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["隐患编号", "企业名称", "隐患描述", "隐患级别", "判定依据", "发现日期", "整改期限", "责任人", "状态",
               "是否挂牌督办", "是否公示"])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_xlsx_with_chinese_headers_all_or_nothing(register: str, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from geo_risk.cli import app
    from geo_risk.settings import get_settings

    good = [["X-1", "吉林天宇化学有限公司", "仓库禁配物质混放", "重大隐患", "第20项", dt.datetime(2026, 11, 3),
             dt.datetime(2026, 11, 20), "钱工", "已交办", "是", "否"],
            ["X-2", "吉林天宇化学有限公司", "消防通道堵塞", "一般", None, "2026-11-05", "2026-11-06", "钱工", "整改中",
             "否", "否"]]
    bad = _xlsx(tmp_path / "bad.xlsx", [*good, ["X-3", "吉林不存在化工有限公司", "x", "一般", None, "2026-11-05",
                                               "2026-11-06", "", "", "", ""]])

    def count() -> int:
        with get_engine(register).connect() as conn:
            return conn.execute(text("SELECT count(*) FROM hidden_dangers WHERE id LIKE 'X-%'")).scalar_one()

    with pytest.raises(ValidationFailed) as info:
        import_file(register, bad, actor="test")
    (problem,) = info.value.problems
    assert problem.row == 3 and problem.id == "X-3" and "吉林不存在化工有限公司" in problem.reason
    assert count() == 0  # nothing written
    monkeypatch.setenv("GEO_RISK_DATABASE_URL", register)
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(app, ["hidden-dangers", "import", str(bad)])
        assert r.exit_code == 2 and "row 3 (id 'X-3')" in r.output and "nothing was written" in r.output, r.output
        assert count() == 0
        r = CliRunner().invoke(app, ["hidden-dangers", "import", str(_xlsx(tmp_path / "good.xlsx", good))])
        assert r.exit_code == 0 and "2 hidden danger(s) imported" in r.output, r.output
        r = CliRunner().invoke(app, ["hidden-dangers", "list", "--overdue", "--on", "2026-12-01"])
        assert r.exit_code == 0, r.output
    finally:
        get_settings.cache_clear()
    listed = {line.split("\t")[0]: line.split("\t")[6] for line in r.stdout.splitlines()[1:] if "\t" in line}
    assert listed == {"HD-JL-2026-001": "通报", "HD-JL-2026-004": "超期", "HD-JL-2026-006": "通报",
                      "HD-JL-2026-009": "超期", "X-1": "通报", "X-2": "超期"}
    with get_engine(register).connect() as conn:
        x1 = conn.execute(text("SELECT level, criterion, supervised, status FROM hidden_dangers "
                               "WHERE id = 'X-1'")).one()
    assert tuple(x1) == ("major", "121-20", True, "assigned")


def test_an_updated_register_updates_only_with_update(register: str, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from geo_risk.cli import app
    from geo_risk.settings import get_settings

    rows = _sample_rows()
    for r in rows:
        if r["隐患编号"] == "HD-JL-2026-001":
            r["状态"] = "已销号"  # the regulator closed it
        if r["隐患编号"] == "HD-JL-2026-003":
            r["隐患描述"] = "乙烯低温储罐区紧急切断阀已安装，待联调"
    path = tmp_path / "register_v2.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)

    def state() -> tuple:
        with get_engine(register).connect() as conn:
            return conn.execute(text(
                "SELECT count(*), count(*) FILTER (WHERE status = 'closed'), "
                "(SELECT description FROM hidden_dangers WHERE id = 'HD-JL-2026-003'), "
                "(SELECT count(*) FROM hidden_danger_history) FROM hidden_dangers")).one()

    before = state()
    with pytest.raises(ValidationFailed) as info:
        import_file(register, path, actor="test")
    assert len(info.value.problems) == 12 and "--update" in info.value.problems[0].reason
    assert state() == before
    monkeypatch.setenv("GEO_RISK_DATABASE_URL", register)
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(app, ["hidden-dangers", "import", "--update", str(path)])
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 0 and "12 hidden danger(s) imported" in r.output, r.output
    count, closed, description, history = state()
    assert (count, closed, description, history) == (before[0], before[1] + 1, "乙烯低温储罐区紧急切断阀已安装，待联调",
                                                     before[3] + 1)  # one status moved: one history row
    with get_engine(register).connect() as conn:
        last = conn.execute(text("SELECT from_status, to_status, note FROM hidden_danger_history "
                                 "WHERE hidden_danger_id = 'HD-JL-2026-001' ORDER BY id DESC LIMIT 1")).one()
        closed_at = conn.execute(text("SELECT closed_at FROM hidden_dangers WHERE id = 'HD-JL-2026-001'")).scalar()
    assert tuple(last) == ("rectifying", "closed", "imported from register_v2.csv") and closed_at is not None
    view = _view(register, "hidden_dangers_map", REF)  # ENT-0001's two items are both closed now
    assert "ENT-0001" not in view and view["ENT-0005"] == BY_HAND["ENT-0005"]


def test_deleting_an_enterprise_keeps_its_register(register: str) -> None:
    """The register outlives a careless delete (migration 0015): deleting an enterprise that has hidden
    dangers fails at commit and changes nothing (0013 cascaded: the register went with the enterprise)."""
    import sqlalchemy.exc

    with get_engine(register).connect() as conn:
        ent = conn.execute(text("SELECT enterprise_id FROM hidden_dangers ORDER BY id LIMIT 1")).scalar_one()
        before = conn.execute(text("SELECT count(*) FROM hidden_dangers WHERE enterprise_id = :e"),
                              {"e": ent}).scalar_one()
    assert before > 0
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="hidden_dangers_enterprise_id_fkey"), \
            get_engine(register).begin() as conn:
        conn.execute(text("DELETE FROM enterprises WHERE id = :e"), {"e": ent})
    with get_engine(register).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM enterprises WHERE id = :e"), {"e": ent}).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM hidden_dangers WHERE enterprise_id = :e"),
                            {"e": ent}).scalar_one() == before
