"""run_risk scopes test_run.py leaves out: explosives, a chemical park, closed enterprises.

One small city in one database:

* three TNT enterprises outside any park (planned, suspended, closed), for the consequence
  method (GB/T 37243-2019 clause 5). The expected distances come from this module's own
  Kinney–Graham formula and bisection, not from ``geo_risk.risk.explosions``. A fourth enterprise
  holds TNT and 20 t of ammonia: the magazine takes the blast, the ammonia store the QRA.
* chemical park P1: two 20 t ammonia stores 320 m apart (one planned, one operating; each reaches
  Σ q/Q = 20/10 = 2 ≥ 1 → QRA), a petrol depot (design-code distances) and a closed ammonia store.
  The QRA units sit at exact UTM positions 8 cells apart, so the park's grid and each enterprise's
  grid share nodes. Individual risk adds up, so the park's IR grid equals the sum of the two
  enterprises' grids node by node (GB 36894 §6: IR is a sum over scenarios).

Cells are 40 m and the park run makes three QRA runs (each enterprise, then the park).
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from helpers import ROLE_KEYS, write_city
from pyproj import Transformer
from shapely.geometry import Point, box, shape

from geo_risk.errors import NotFound

LON, LAT = 126.60, 43.90
UTM = "EPSG:32652"  # WGS 84 / UTM zone 52N, the zone run_risk picks at 126.6° E
TO_LONLAT = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True).transform
TO_UTM = Transformer.from_crs("EPSG:4326", UTM, always_xy=True).transform
X0, Y0 = (round(v) for v in TO_UTM(LON, LAT))  # the park's origin, metres (UTM)
CELL_M = 40.0
SEPARATION_M = 8 * CELL_M  # the two ammonia stores: grid nodes coincide
TNT_X_M = 6_000.0  # the explosives enterprises lie 6 km east of the park

# GB/T 37243-2019 clause 5 overpressure thresholds, kPa (UNCONFIRMED 2 / 5 / 9; gbt37243-2019.md §4).
THRESHOLD_KPA = {"high_sensitive": 2.0, "important": 2.0, "general_1": 2.0, "general_2": 5.0, "general_3": 9.0}
AMBIENT_KPA = 101.325
# Ground burst: the charge is doubled (perfect reflection), the project's surface_burst_factor (UNCONFIRMED).
GROUND_REFLECTION = 2.0
# Design-code distance of a class 甲 production unit (GB 50160 Table 4.1.9 process unit vs residential), m.
CODE_PROCESS_UNIT_A_M = 100.0


def _lonlat(dx_m: float, dy_m: float) -> tuple[float, float]:
    return TO_LONLAT(X0 + dx_m, Y0 + dy_m)


def _point(dx_m: float, dy_m: float) -> Point:
    return Point(*_lonlat(dx_m, dy_m))


def _square(dx_m: float, dy_m: float, half_m: float) -> object:
    square = box(X0 + dx_m - half_m, Y0 + dy_m - half_m, X0 + dx_m + half_m, Y0 + dy_m + half_m)
    return shapely.transform(square, TO_LONLAT, interleaved=False)


def _city() -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    crs = "EPSG:4326"
    parks = gpd.GeoDataFrame(
        {
            "id": ["P1", "P-EMPTY"],
            "name": ["松江化工园区", "空园区"],
            "level": ["省级", "市级"],
            "risk_grade": ["C", "D"],
        },
        geometry=[_square(400, 0, 1500), _square(-20_000, 0, 500)],
        crs=crs,
    )
    e = {  # id: (name, park, status, centre dx, dy)
        "E-A": ("拟建液氨站", "P1", "planned", 0.0, 0.0),
        "E-B": ("液氨冷库", "P1", "operating", SEPARATION_M, 0.0),
        "E-C": ("园区油库", "P1", "operating", 160.0, 600.0),
        "E-X": ("已关停液氨厂", "P1", "closed", 1000.0, 0.0),
        "E-TNT": ("拟建炸药厂", None, "planned", TNT_X_M, 0.0),
        "E-TNT-S": ("停产炸药库", None, "suspended", TNT_X_M + 3000, 0.0),
        "E-TNT-X": ("关闭炸药库", None, "closed", TNT_X_M + 6000, 0.0),
        "E-MIX": ("炸药与液氨厂", None, "operating", TNT_X_M + 9000, 0.0),
    }
    enterprises = gpd.GeoDataFrame(
        {
            "id": list(e),
            "name": [v[0] for v in e.values()],
            "uscc": [None] * len(e),
            "industry_code": ["2619"] * len(e),
            "park_id": [v[1] for v in e.values()],
            "status": [v[2] for v in e.values()],
        },
        geometry=[_square(v[3], v[4], 60) for v in e.values()],
        crs=crs,
    )
    u = {  # id: (enterprise, type, equipment, fire class, declared m, declared general_3 m, dx, dy)
        "U-A": ("E-A", "storage", "pressure_vessel", "乙", 150.0, None, 0.0, 0.0),
        "U-B": ("E-B", "storage", "pressure_vessel", "乙", 150.0, None, SEPARATION_M, 0.0),
        "U-C": ("E-C", "storage", "atmospheric_tank", "甲", 50.0, None, 160.0, 600.0),
        "U-X": ("E-X", "storage", "pressure_vessel", "乙", 150.0, None, 1000.0, 0.0),
        # 10 t TNT in a class 乙 magazine: the blast governs; declared 500 m is shorter for the 2 kPa classes
        "U-MAG": ("E-TNT", "storage", "warehouse", "乙", 500.0, None, TNT_X_M - 40, 0.0),
        # 15 kg TNT + 5 kg trinitroanisole + toluene in a class 甲 process unit: the 100 m code distance governs 5/9 kPa
        "U-LINE": ("E-TNT", "production", "process_vessel", "甲", 100.0, 120.0, TNT_X_M + 40, 0.0),
        "U-MAG-S": ("E-TNT-S", "storage", "warehouse", "乙", 2000.0, None, TNT_X_M + 3000, 0.0),
        "U-MAG-X": ("E-TNT-X", "storage", "warehouse", "乙", 10.0, None, TNT_X_M + 6000, 0.0),
        # explosives and a met gas trigger in one enterprise: the magazine by blast, the ammonia by QRA
        "U-MIX-T": ("E-MIX", "storage", "warehouse", "乙", 300.0, None, TNT_X_M + 9000 - 100, 0.0),
        "U-MIX-A": ("E-MIX", "storage", "pressure_vessel", "乙", 300.0, None, TNT_X_M + 9000 + 100, 0.0),
    }
    units = gpd.GeoDataFrame(
        {
            "id": list(u),
            "enterprise_id": [v[0] for v in u.values()],
            "name": list(u),
            "unit_type": [v[1] for v in u.values()],
            "equipment": [v[2] for v in u.values()],
            "fire_class": [v[3] for v in u.values()],
            "operating_temperature_c": [20.0] * len(u),
            "operating_pressure_mpa": [0.9 if v[2] == "pressure_vessel" else 0.1 for v in u.values()],
            "safety_distance_m": [v[4] for v in u.values()],
            "safety_distance_general_3_m": [v[5] for v in u.values()],
        },
        geometry=[_point(v[6], v[7]) for v in u.values()],
        crs=crs,
    )
    i = [  # unit, chemical, CAS, t, state, MPa
        ("U-A", "氨", "7664-41-7", 20.0, "liquefied_pressurized", 0.9),
        ("U-B", "氨", "7664-41-7", 20.0, "liquefied_pressurized", 0.9),
        ("U-C", "汽油", "86290-81-5", 100.0, "liquid", 0.1),
        ("U-X", "氨", "7664-41-7", 20.0, "liquefied_pressurized", 0.9),
        ("U-MAG", "2,4,6-三硝基甲苯", "118-96-7", 10.0, "solid", 0.1),
        ("U-LINE", "2,4,6-三硝基甲苯", "118-96-7", 0.015, "solid", 0.1),
        ("U-LINE", "三硝基苯甲醚", "28653-16-9", 0.005, "solid", 0.1),
        ("U-LINE", "甲苯", "108-88-3", 2.0, "liquid", 0.1),
        ("U-MAG-S", "2,4,6-三硝基甲苯", "118-96-7", 1.0, "solid", 0.1),
        ("U-MAG-X", "2,4,6-三硝基甲苯", "118-96-7", 10.0, "solid", 0.1),
        ("U-MIX-T", "2,4,6-三硝基甲苯", "118-96-7", 1.0, "solid", 0.1),
        ("U-MIX-A", "氨", "7664-41-7", 20.0, "liquefied_pressurized", 0.9),
    ]
    inventory = pd.DataFrame(i, columns=["unit_id", "chemical", "cas", "max_quantity_t", "state", "pressure_mpa"])
    inventory["temperature_c"] = 20.0
    homes = gpd.GeoDataFrame(
        {"id": ["R-1"], "name": ["园南小区"], "population": [3000], "households": [1000]},
        geometry=[_square(SEPARATION_M / 2, -250, 100)],
        crs=crs,
    )
    school = gpd.GeoDataFrame(
        {"id": ["T-1"], "name": ["园北小学"], "kind": ["school"], "population": [600]},
        geometry=[_point(SEPARATION_M / 2, 300)],
        crs=crs,
    )
    return {
        "chemical_parks": parks,
        "enterprises": enterprises,
        "hazard_units": units,
        "inventory": inventory,
        "residential_areas": homes,
        "protection_targets": school,
    }


@pytest.fixture(scope="module")
def city(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    from helpers import load

    layers = _city()
    report = load(write_city(layers, tmp_path_factory.mktemp("city") / "c.gpkg"), db_url)
    assert report.layers == {k: len(v) for k, v in layers.items()}, report.summary()
    return db_url


@pytest.fixture(scope="module")
def explosives(city: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    from geo_risk.risk.run import RiskSettings
    from geo_risk.risk_runs import run_risk

    data = tmp_path_factory.mktemp("data-tnt")
    return {
        e: run_risk(city, enterprise_id=e, settings=RiskSettings(cell_m=CELL_M), data_dir=data)
        for e in ("E-TNT", "E-TNT-S", "E-TNT-X", "E-MIX")
    }


@pytest.fixture(scope="module")
def park(city: str, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    from geo_risk.risk.run import RiskSettings
    from geo_risk.risk_runs import run_risk

    steps: list[str] = []
    report = run_risk(
        city,
        park_id="P1",
        settings=RiskSettings(cell_m=CELL_M),
        data_dir=tmp_path_factory.mktemp("data-park"),
        progress=lambda s, k, n: steps.append(s),
    )
    return report, steps


# --------------------------------------------------------------------------------------------
# Explosives: the consequence method
# --------------------------------------------------------------------------------------------


def _kinney_graham_kpa(distance_m: float, tnt_kg: float) -> float:
    """Side-on peak overpressure, kPa: Kinney & Graham (1985) eq. 6-2, ground burst (charge × 2).

    p/p_a = 808·[1 + (Z/4.5)²] / √{[1 + (Z/0.048)²]·[1 + (Z/0.32)²]·[1 + (Z/1.35)²]}, Z = R / W^(1/3)
    in m/kg^(1/3) with W the reflected charge (kg TNT).
    """
    z = distance_m / (GROUND_REFLECTION * tnt_kg) ** (1 / 3)
    ratio = (
        808 * (1 + (z / 4.5) ** 2) / math.sqrt((1 + (z / 0.048) ** 2) * (1 + (z / 0.32) ** 2) * (1 + (z / 1.35) ** 2))
    )
    return AMBIENT_KPA * ratio


def _distance_to_kpa(tnt_kg: float, threshold_kpa: float) -> float:
    """Distance (m) at which :func:`_kinney_graham_kpa` falls to ``threshold_kpa``, by bisection to 1 mm."""
    near, far = 0.1, 50_000.0
    while far - near > 1e-3:
        mid = (near + far) / 2
        near, far = (mid, far) if _kinney_graham_kpa(mid, tnt_kg) > threshold_kpa else (near, mid)
    return far


def test_kinney_graham_reference_points() -> None:
    # the fit at Z = 0 is 808·p_a; at Z = 4.5 m/kg^(1/3) its numerator is 808·2 (1 kg on the ground: R = 4.5·2^(1/3) m)
    assert _kinney_graham_kpa(0.0, 1.0) == pytest.approx(808 * AMBIENT_KPA, rel=1e-12)
    z = 4.5
    by_hand = 808 * 2 / math.sqrt((1 + (z / 0.048) ** 2) * (1 + (z / 0.32) ** 2) * (1 + (z / 1.35) ** 2))
    assert _kinney_graham_kpa(z * GROUND_REFLECTION ** (1 / 3), 1.0) == pytest.approx(by_hand * AMBIENT_KPA, rel=1e-12)
    # Hopkinson–Cranz: the distance to a threshold scales with W^(1/3)
    assert _distance_to_kpa(8000.0, 5.0) == pytest.approx(2 * _distance_to_kpa(1000.0, 5.0), rel=1e-5)


def _rows(url: str, enterprise_id: str) -> dict[tuple[str, str], dict]:
    from geo_risk.store.risk_results import distances_for

    return {(r["unit_id"], r["target_class"]): r for r in distances_for(url, enterprise_id)}


def test_explosives_take_the_consequence_method_with_kinney_graham_distances(city: str, explosives: dict) -> None:
    from geo_risk.risk_runs import TNT_EQUIVALENCE_OF_EXPLOSIVES
    from geo_risk.store.risk_results import get_run

    report = explosives["E-TNT"]
    assert report.methods == {"consequence": 1} and report.runs == []
    assert get_run(city, "enterprise", "E-TNT") is None  # no QRA, no grid
    rows = _rows(city, "E-TNT")
    assert {u for u, _ in rows} == {"U-MAG", "U-LINE"} and len(rows) == 10 == report.distances
    tnt_kg = {
        "U-MAG": 10_000.0,  # TNT itself: equivalence 1 by definition
        "U-LINE": (15.0 + 5.0) * TNT_EQUIVALENCE_OF_EXPLOSIVES,  # TNT + trinitroanisole; toluene is no explosive
    }
    for (unit, cls), r in rows.items():
        expected = _distance_to_kpa(tnt_kg[unit], THRESHOLD_KPA[cls])
        assert r["method"] == "consequence" and r["criteria"] == "new"  # planned → 新建
        assert r["method_distance_m"] == pytest.approx(expected, abs=0.05)  # m; the engine bisects to 1 cm
        assert _kinney_graham_kpa(r["method_distance_m"], tnt_kg[unit]) == pytest.approx(THRESHOLD_KPA[cls], rel=1e-3)
        assert r["final_distance_m"] == max(r["method_distance_m"], r["code_distance_m"] or 0.0)  # floor rule
        assert r["final_distance_m"] >= r["method_distance_m"]
        assert "事故后果法" in r["reason"] and f"TNT 当量 {tnt_kg[unit]:,.0f} kg" in r["reason"]
    # 10 t: 2 kPa at ≈ 1150 m, 5 kPa at ≈ 483 m, 9 kPa at ≈ 294 m; the 25–50 m code distances do not bite
    assert rows["U-MAG", "high_sensitive"]["method_distance_m"] == pytest.approx(1150.0, abs=1.0)
    assert rows["U-MAG", "general_3"]["method_distance_m"] == pytest.approx(294.1, abs=0.5)
    assert all(rows["U-MAG", c]["final_distance_m"] == rows["U-MAG", c]["method_distance_m"] for c in THRESHOLD_KPA)
    # 20 kg: 145 / 61 / 37 m against the 100 m code distance of a class 甲 process unit
    line = {c: rows["U-LINE", c] for c in THRESHOLD_KPA}
    assert all(r["code_distance_m"] == CODE_PROCESS_UNIT_A_M for r in line.values())
    assert line["high_sensitive"]["final_distance_m"] == pytest.approx(144.9, abs=0.1)
    for c in ("general_2", "general_3"):  # the floor rule raises 61 m and 37 m to the code distance
        assert line[c]["method_distance_m"] < CODE_PROCESS_UNIT_A_M == line[c]["final_distance_m"]
        assert "底线规则" in line[c]["reason"]


def test_explosives_declared_shorter_per_class(city: str, explosives: dict) -> None:
    rows = _rows(city, "E-TNT")
    mag = {c: rows["U-MAG", c]["declared_shorter"] for c in THRESHOLD_KPA}
    # declared 500 m: shorter than 1150 m (2 kPa classes), not than 483 m or 294 m
    assert mag == {"high_sensitive": True, "important": True, "general_1": True, "general_2": False, "general_3": False}
    line = {c: rows["U-LINE", c] for c in THRESHOLD_KPA}
    # declared 100 m for every class but general_3, which declares its own 120 m
    assert [line[c]["declared_distance_m"] for c in THRESHOLD_KPA] == [100.0, 100.0, 100.0, 100.0, 120.0]
    assert {c: r["declared_shorter"] for c, r in line.items()} == {
        "high_sensitive": True,
        "important": True,
        "general_1": True,
        "general_2": False,
        "general_3": False,
    }
    assert explosives["E-TNT"].declared_shorter == 6


def test_suspended_is_existing_and_closed_is_left_out(city: str, explosives: dict) -> None:
    suspended = _rows(city, "E-TNT-S")
    assert {r["criteria"] for r in suspended.values()} == {"existing"}  # suspended → 在役
    assert suspended["U-MAG-S", "general_2"]["method_distance_m"] == pytest.approx(
        _distance_to_kpa(1000.0, 5.0), abs=0.05
    )
    assert not any(r["declared_shorter"] for r in suspended.values())  # declared 2000 m
    closed = explosives["E-TNT-X"]
    assert closed.methods == {} and closed.runs == [] and closed.distances == 0
    assert _rows(city, "E-TNT-X") == {}


def test_explosives_beside_a_met_gas_trigger_leave_the_other_units_to_qra(city: str, explosives: dict) -> None:
    from geo_risk.store.risk_results import get_run

    report = explosives["E-MIX"]
    assert report.methods == {"consequence": 1}  # the enterprise row: explosives first (CHOICE)
    assert [(r["scope"], r["scope_id"]) for r in report.runs] == [("enterprise", "E-MIX")]
    run = get_run(city, "enterprise", "E-MIX")
    assert run is not None and run["criteria"] == "existing" and run["max_ir"] > 3e-6
    qra = report.runs[0]["distances_m"]
    rows = _rows(city, "E-MIX")
    for cls in THRESHOLD_KPA:
        blast = rows["U-MIX-T", cls]
        assert blast["method"] == "consequence"
        assert blast["method_distance_m"] == pytest.approx(_distance_to_kpa(1000.0, THRESHOLD_KPA[cls]), abs=0.05)
        gas = rows["U-MIX-A", cls]
        assert gas["method"] == "qra" and gas["method_distance_m"] == pytest.approx(qra[cls])
    assert rows["U-MIX-A", "high_sensitive"]["method_distance_m"] > 0


# --------------------------------------------------------------------------------------------
# A chemical park
# --------------------------------------------------------------------------------------------


def _grid(path: str) -> tuple[np.ndarray, object]:
    import rasterio

    with rasterio.open(path) as src:
        assert src.crs.to_string() == UTM
        return src.read(1).astype(float), src.transform


def _sum_on(
    park_transform: object, shape_: tuple[int, int], grids: list[tuple[np.ndarray, object]]
) -> tuple[np.ndarray, np.ndarray]:
    """The enterprises' grids added on the park's grid (their nodes coincide: checked here), and
    the park nodes every enterprise grid covers. Each grid spans only where its own IR can reach
    a tenth of its lowest level, so the grids differ in extent (a planned enterprise's reaches to
    3e-7, the park's — judged 在役 — to 3e-6)."""
    total = np.zeros(shape_)
    covered = np.ones(shape_, dtype=bool)
    for ir, t in grids:
        col = (t.c - park_transform.c) / CELL_M
        row = (park_transform.f - t.f) / CELL_M
        assert abs(col - round(col)) < 1e-3 and abs(row - round(row)) < 1e-3, (col, row)
        r0, c0 = round(row), round(col)
        pr0, pc0 = max(r0, 0), max(c0, 0)
        pr1, pc1 = min(r0 + ir.shape[0], shape_[0]), min(c0 + ir.shape[1], shape_[1])
        mine = np.zeros(shape_, dtype=bool)
        if pr0 < pr1 and pc0 < pc1:
            total[pr0:pr1, pc0:pc1] += ir[pr0 - r0 : pr1 - r0, pc0 - c0 : pc1 - c0]
            mine[pr0:pr1, pc0:pc1] = True
        covered &= mine
    return total, covered


def _at(ir: np.ndarray, t: object, dx_m: float, dy_m: float) -> float:
    col, row = ~t @ (X0 + dx_m, Y0 + dy_m)
    return float(ir[int(row), int(col)])


def test_park_runs_each_qra_enterprise_then_the_park(city: str, park: tuple) -> None:
    from geo_risk.store.risk_results import get_run, list_runs

    report, steps = park
    assert report.methods == {"qra": 2, "design_code": 1}  # E-X is closed: not counted
    assert [(r["scope"], r["scope_id"]) for r in report.runs] == [
        ("enterprise", "E-A"),
        ("enterprise", "E-B"),
        ("park", "P1"),
    ]
    assert steps == ["enterprise E-A", "enterprise E-B", "park P1", "distances"]
    assert get_run(city, "enterprise", "E-X") is None
    assert [r["scope_id"] for r in list_runs(city) if r["scope"] == "park"] == ["P1"]
    runs = {sid: get_run(city, s, sid) for s, sid in (("enterprise", "E-A"), ("enterprise", "E-B"), ("park", "P1"))}
    # planned → 新建, operating → 在役; a park with an operating member is judged as 在役 (CHOICE)
    assert [runs[k]["criteria"] for k in ("E-A", "E-B", "P1")] == ["new", "existing", "existing"]
    assert all(r["current"] for r in runs.values())


def test_park_ir_is_the_sum_of_its_enterprises(city: str, park: tuple) -> None:
    report, _ = park
    grids = {r["scope_id"]: _grid(r["grid"]) for r in report.runs}
    park_ir, park_t = grids["P1"]
    summed, covered = _sum_on(park_t, park_ir.shape, [grids["E-A"], grids["E-B"]])
    # additivity on every node all three grids hold (float32 COGs); closed E-X and design-code E-C
    # add nothing
    assert covered.sum() > 0.5 * covered.size
    np.testing.assert_allclose(park_ir[covered], summed[covered], rtol=1e-4, atol=1e-14)
    mid = {k: _at(*grids[k], SEPARATION_M / 2, 0.0) for k in grids}
    assert mid["E-A"] > 1e-8 and mid["E-B"] > 1e-8  # both reach the midpoint
    assert mid["P1"] >= max(mid["E-A"], mid["E-B"])
    assert mid["P1"] == pytest.approx(mid["E-A"] + mid["E-B"], rel=1e-4)
    # at the closed store (the same 20 t of ammonia) the park has only the tails of E-A and E-B
    own = _at(*grids["E-A"], 0.0, 0.0)  # an ammonia store's IR on its own site, ≈ 5e-6 /a
    col, row = ~park_t @ (X0 + 1000.0, Y0)
    if 0 <= row < park_ir.shape[0] and 0 <= col < park_ir.shape[1]:
        there = _at(park_ir, park_t, 1000.0, 0.0)
    else:  # off the park's grid: by its extent rule, IR there is below a tenth of its lowest level
        there = 0.1 * 3e-6
    assert there < 0.1 * own


def test_park_contours_contain_each_enterprises(city: str, park: tuple) -> None:
    from geo_risk.store.risk_results import get_run, run_contours_geojson

    def contours(scope: str, sid: str) -> dict[float, object]:
        fc = run_contours_geojson(city, get_run(city, scope, sid)["id"])
        return {
            f["properties"]["level_per_year"]: shapely.transform(shape(f["geometry"]), TO_UTM, interleaved=False)
            for f in fc["features"]
        }

    p1, a, b = contours("park", "P1"), contours("enterprise", "E-A"), contours("enterprise", "E-B")
    assert set(p1) <= {3e-6, 1e-5, 3e-5} and set(b) <= {3e-6, 1e-5, 3e-5}  # 在役 levels
    assert 3e-7 in a and set(a) <= {3e-7, 3e-6, 1e-5}  # 新建 levels
    assert 3e-6 in p1 and 3e-6 in a and 3e-6 in b
    for own in (a, b):
        for level in set(own) & set(p1):
            assert p1[level].buffer(0.5).contains(own[level]), level  # 0.5 m: vertices rounded to 1e-7°
    assert p1[3e-6].area > a[3e-6].area + b[3e-6].area  # m²: two blobs, each grown by the other's tail
    distance = {r["scope_id"]: r["distances_m"] for r in park[0].runs}
    assert all(distance["P1"][c] >= distance["E-B"][c] for c in THRESHOLD_KPA)  # both 在役


def _f_at(fn: dict, n: float) -> float:
    """F(N) of a stored step curve: the frequency of N_i ≥ n (0 beyond the last N)."""
    ns, fs = np.asarray(fn["n"]), np.asarray(fn["f"])
    k = np.searchsorted(ns, n, side="left")
    return float(fs[k]) if k < len(ns) else 0.0


def test_park_fn_curve_is_stored_and_adds_up(city: str, park: tuple) -> None:
    from geo_risk.store.risk_results import get_run

    fn = {sid: get_run(city, s, sid)["fn"] for s, sid in (("park", "P1"), ("enterprise", "E-A"), ("enterprise", "E-B"))}
    assert len(fn["P1"]["n"]) > 0 and np.all(np.diff(fn["P1"]["f"]) <= 0)
    assert get_run(city, "park", "P1")["fn_region"] in ("acceptable", "alarp", "unacceptable")
    ns = np.sort(np.concatenate([fn[k]["n"] for k in fn]))
    steps = ns[np.concatenate([[True], np.diff(ns) > 1e-9 * ns[1:]])]  # one N per step (float noise merged)
    probes = np.concatenate([[1.0], np.sqrt(steps[:-1] * steps[1:]), [steps[-1] * 1.01]])  # between the steps
    for n in probes:  # F(N) adds up: the park's events are those of E-A and E-B, with the same tolls
        assert _f_at(fn["P1"], n) == pytest.approx(_f_at(fn["E-A"], n) + _f_at(fn["E-B"], n), rel=1e-9, abs=1e-18)


def test_park_distances_per_enterprise(city: str, park: tuple) -> None:
    from geo_risk.store.risk_results import distances_for

    report, _ = park
    by_run = {r["scope_id"]: r["distances_m"] for r in report.runs}
    rows = distances_for(city)
    assert {r["enterprise_id"] for r in rows} >= {"E-A", "E-B", "E-C"} and not [
        r for r in rows if r["enterprise_id"] == "E-X"
    ]
    for r in rows:
        if r["enterprise_id"] in ("E-A", "E-B"):
            assert r["method"] == "qra"
            assert r["method_distance_m"] == pytest.approx(by_run[r["enterprise_id"]].get(r["target_class"], 0.0))
            assert r["criteria"] == ("new" if r["enterprise_id"] == "E-A" else "existing")
        elif r["enterprise_id"] == "E-C":
            assert r["method"] == "design_code" and r["method_distance_m"] is None and r["criteria"] == "existing"


def test_unknown_or_empty_park_is_not_found(city: str, tmp_path: Path) -> None:
    from geo_risk.risk_runs import run_risk

    with pytest.raises(NotFound, match="no enterprise lies in park 'P-NOPE'"):
        run_risk(city, park_id="P-NOPE", data_dir=tmp_path)
    with pytest.raises(NotFound, match="no enterprise lies in park 'P-EMPTY'"):  # a park with no enterprise
        run_risk(city, park_id="P-EMPTY", data_dir=tmp_path)


def test_api_serves_the_park_run(city: str, park: tuple) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from geo_risk.settings import Settings

    app = create_app(Settings(database_url=city, api_keys=ROLE_KEYS), database_url=city)
    with TestClient(app) as client:
        r = client.get("/api/v1/risk/park/P1")
        assert r.status_code == 200 and r.json()["scope"] == "park" and r.json()["criteria"] == "existing"
        assert client.get("/api/v1/risk/park/P1/ir.tif").content[:4] in (b"II*\x00", b"MM\x00*")
        assert client.get("/api/v1/risk/park/P-NOPE").status_code == 404
