"""Independent checks of the committed synthetic sample city ``sample_geo/jilin_city.gpkg``.

The GeoPackage is read back with pyogrio; the GB 18218-2018 tables come from the reference copies
in ``tests/data/gb18218/`` (``tests/data/PROVENANCE.md``), not from the generator's own copy. Distances
are computed in EPSG:4551 (CGCS2000 / 3-degree Gauss-Kruger CM 126E), in metres.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pandas.testing import assert_frame_equal

from sample_geo.generate import generate_city, write_city

REPO = Path(__file__).resolve().parents[2]
GPKG = REPO / "sample_geo" / "jilin_city.gpkg"
REFERENCE = REPO / "tests" / "data" / "gb18218"
TABLE1_CSV = REFERENCE / "gb18218_table1.csv"
TABLE2_CSV = REFERENCE / "gb18218_table2.csv"
METRIC_CRS = "EPSG:4551"  # metres

SPATIAL = ("enterprises", "hazard_units", "chemical_parks", "residential_areas", "protection_targets")
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "enterprises": ("id", "name", "uscc", "industry_code", "park_id", "status"),
    "hazard_units": (
        "id", "enterprise_id", "name", "unit_type", "equipment", "containment", "fire_class",
        "special_process", "operating_temperature_c", "operating_pressure_mpa", "safety_distance_m",
        "safety_distance_high_sensitive_m", "safety_distance_important_m", "safety_distance_general_1_m",
        "safety_distance_general_2_m", "safety_distance_general_3_m",
    ),
    "inventory": (
        "unit_id", "chemical", "cas", "max_quantity_t", "table1_seq", "hazard_categories", "state",
        "temperature_c", "pressure_mpa", "vessel_count", "vessel_capacity_t",
    ),
    "chemical_parks": ("id", "name", "level", "risk_grade", "safety_control_line_wkt"),
    "residential_areas": ("id", "name", "population", "households"),
    "protection_targets": ("id", "name", "kind", "category", "population"),
}
TARGET_KINDS = (
    "school", "kindergarten", "university", "hospital", "clinic", "nursing_home", "welfare_home",
    "cultural_centre", "library", "museum", "religious_site", "cultural_relic", "rail_transit", "prison",
    "military", "embassy", "government_office", "office", "mall", "market", "hotel", "sports_venue",
    "station", "park", "factory", "other",
)
CLASS_COLUMNS = (
    "safety_distance_high_sensitive_m",
    "safety_distance_important_m",
    "safety_distance_general_1_m",
    "safety_distance_general_2_m",
    "safety_distance_general_3_m",
)
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def layers() -> dict[str, pd.DataFrame]:
    """The committed layers as read from the GeoPackage."""
    assert GPKG.exists(), f"{GPKG} missing: run python -m sample_geo.generate"
    out: dict[str, pd.DataFrame] = {}
    for name in REQUIRED_FIELDS:
        out[name] = pyogrio.read_dataframe(GPKG, layer=name)
    return out


@pytest.fixture(scope="module")
def metric(layers: dict[str, pd.DataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """The spatial layers in EPSG:4551 (metres)."""
    return {name: layers[name].to_crs(METRIC_CRS) for name in SPATIAL}


@pytest.fixture(scope="module")
def table1() -> list[dict[str, str]]:
    with TABLE1_CSV.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def table2() -> dict[str, float]:
    """Table 2 code -> critical quantity Q (t)."""
    with TABLE2_CSV.open(encoding="utf-8") as fh:
        return {r["code"]: float(r["critical_quantity_t"]) for r in csv.DictReader(fh)}


def _cas_list(row: dict[str, str]) -> list[str]:
    return [c.strip() for c in row["cas"].split(";") if c.strip()]


def _aliases(row: dict[str, str]) -> set[str]:
    note = row["note"]
    if not note.startswith("别名:"):
        return set()
    return {a.strip() for a in note.removeprefix("别名:").split(";") if a.strip()}


def _table1_match(name: str, cas: str, table1: list[dict[str, str]]) -> list[dict[str, str]]:
    """Table 1 rows whose name (or alias) and CAS both match an inventory row."""
    return [r for r in table1 if cas in _cas_list(r) and (name == r["name_zh"] or name in _aliases(r))]


def _critical_t(row: pd.Series, table1: list[dict[str, str]], table2: dict[str, float]) -> float:
    """Critical quantity Q (t) of an inventory row: Table 1 by seq/name/CAS, else Table 2 codes."""
    if pd.notna(row["table1_seq"]):
        t1 = [r for r in table1 if int(r["seq"]) == int(row["table1_seq"])]
        return float(t1[0]["critical_quantity_t"])
    matches = _table1_match(row["chemical"], row["cas"], table1)
    if matches:
        return min(float(r["critical_quantity_t"]) for r in matches)
    return min(table2[c] for c in str(row["hazard_categories"]).split(";"))


@pytest.fixture(scope="module")
def unit_s(
    layers: dict[str, pd.DataFrame], table1: list[dict[str, str]], table2: dict[str, float]
) -> pd.Series:
    """S = sum(q / Q) per hazard unit (GB 18218-2018 clause 4), from the reference CSV tables (tests/data/gb18218)."""
    inv = layers["inventory"]
    q_crit = inv.apply(lambda r: _critical_t(r, table1, table2), axis=1)
    return (inv["max_quantity_t"] / q_crit).groupby(inv["unit_id"]).sum()


# --- format -----------------------------------------------------------------------------------


def test_six_layers_with_required_fields(layers: dict[str, pd.DataFrame]) -> None:
    listed = {name: geom for name, geom in pyogrio.list_layers(GPKG)}
    assert set(REQUIRED_FIELDS) <= set(listed)
    assert listed["inventory"] is None  # attribute table, no geometry column
    for name, fields in REQUIRED_FIELDS.items():
        missing = set(fields) - set(layers[name].columns)
        assert not missing, f"{name} lacks {sorted(missing)}"
    assert "geometry" not in layers["inventory"].columns


def test_crs_is_cgcs2000_geographic(layers: dict[str, pd.DataFrame]) -> None:
    for name in SPATIAL:
        assert pyogrio.read_info(GPKG, layer=name)["crs"] == "EPSG:4490", name
        assert layers[name].crs.to_epsg() == 4490, name
    with sqlite3.connect(GPKG) as con:
        srs = {r[0] for r in con.execute("SELECT srs_id FROM gpkg_geometry_columns")}
    assert srs == {4490}


def test_geopackage_version_is_1_2() -> None:
    with sqlite3.connect(GPKG) as con:
        application_id = con.execute("PRAGMA application_id").fetchone()[0]
        user_version = con.execute("PRAGMA user_version").fetchone()[0]
    assert application_id == 0x47504B47  # "GPKG"
    assert user_version == 10200


def test_field_types(layers: dict[str, pd.DataFrame]) -> None:
    assert layers["residential_areas"]["population"].dtype == np.int64
    assert layers["residential_areas"]["households"].dtype == np.int64
    assert layers["protection_targets"]["population"].dtype == np.int64
    assert layers["hazard_units"]["special_process"].dtype == bool
    for col in ("operating_temperature_c", "operating_pressure_mpa", "safety_distance_m", *CLASS_COLUMNS):
        assert layers["hazard_units"][col].dtype == np.float64, col
    for col in ("max_quantity_t", "temperature_c", "pressure_mpa"):
        assert layers["inventory"][col].dtype == np.float64, col
    seq = layers["inventory"]["table1_seq"].dropna()
    assert (seq == seq.round()).all() and seq.between(1, 85).all()
    assert layers["enterprises"]["industry_code"].str.fullmatch(r"\d{4}").all()


def test_ids_unique_and_formatted(layers: dict[str, pd.DataFrame]) -> None:
    patterns = {
        "enterprises": r"ENT-\d{4}",
        "hazard_units": r"HU-\d{4}",
        "chemical_parks": r"PARK-\d{2}",
        "residential_areas": r"RA-\d{5}",
        "protection_targets": r"PT-\d{4}",
    }
    for name, pattern in patterns.items():
        ids = layers[name]["id"]
        assert ids.is_unique, name
        assert ids.str.fullmatch(pattern).all(), name


def test_references_resolve(layers: dict[str, pd.DataFrame]) -> None:
    ent, hu, inv, parks = (layers[n] for n in ("enterprises", "hazard_units", "inventory", "chemical_parks"))
    assert set(hu["enterprise_id"]) <= set(ent["id"])
    assert set(inv["unit_id"]) <= set(hu["id"])
    assert set(hu["id"]) <= set(inv["unit_id"]), "every hazard unit has inventory"
    assert set(ent["park_id"].dropna()) <= set(parks["id"])
    without_units = set(ent["id"]) - set(hu["enterprise_id"])
    assert 5 <= len(without_units) <= 15


def test_enumerations(layers: dict[str, pd.DataFrame]) -> None:
    ent, hu, inv = layers["enterprises"], layers["hazard_units"], layers["inventory"]
    assert set(ent["status"]) == {"operating", "suspended", "closed", "planned"}
    assert set(hu["unit_type"]) == {"production", "storage"}
    assert set(hu["equipment"]) <= {
        "atmospheric_tank", "pressure_vessel", "refrigerated_tank", "process_vessel", "pipeline",
        "warehouse", "cylinder_store",
    }
    assert set(hu["containment"]) <= {"single", "double", "full"}
    assert (hu["containment"] == "single").mean() > 0.8
    assert set(hu["fire_class"]) <= set("甲乙丙丁戊")
    assert set(inv["state"]) <= {"gas", "liquefied_pressurized", "liquefied_refrigerated", "liquid", "solid"}
    assert set(layers["chemical_parks"]["risk_grade"]) <= set("ABCD")


def test_uscc_check_digits(layers: dict[str, pd.DataFrame]) -> None:
    """GB 32100-2015: 18 characters, check = 31 - (sum of weighted values mod 31), 31 -> 0."""
    codes = layers["enterprises"]["uscc"]
    assert codes.is_unique
    for code in codes:
        assert len(code) == 18 and set(code) <= set(USCC_CHARS), code
        total = sum(USCC_CHARS.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
        assert USCC_CHARS[(31 - total % 31) % 31] == code[17], code
        assert code[2:6] == "2202", code  # 吉林市 administrative division


# --- geometry -----------------------------------------------------------------------------------


def test_geometries_valid_2d_and_typed(layers: dict[str, pd.DataFrame]) -> None:
    for name in SPATIAL:
        geoms = layers[name].geometry
        assert geoms.notna().all() and not geoms.is_empty.any(), name
        assert geoms.is_valid.all(), name
        assert not geoms.has_z.any(), name
    for name in ("enterprises", "hazard_units", "residential_areas"):
        assert set(layers[name].geom_type) == {"Polygon"}, name
    assert set(layers["chemical_parks"].geom_type) <= {"Polygon", "MultiPolygon"}
    kinds = layers["protection_targets"].geom_type.value_counts()
    assert set(kinds.index) == {"Point", "Polygon"}
    assert 20 <= kinds["Polygon"] <= 45


def test_bounding_box_is_jilin_city(layers: dict[str, pd.DataFrame]) -> None:
    for name in SPATIAL:
        minx, miny, maxx, maxy = layers[name].total_bounds
        assert minx >= 126.2 and maxx <= 126.9, name  # degrees longitude
        assert miny >= 43.6 and maxy <= 44.1, name  # degrees latitude


def test_hazard_units_inside_their_enterprise_and_apart(metric: dict[str, gpd.GeoDataFrame]) -> None:
    ent = metric["enterprises"].set_index("id").geometry
    hu = metric["hazard_units"]
    inside = shapely.within(hu.geometry.values, ent.loc[hu["enterprise_id"]].values)
    assert inside.all(), list(hu.loc[~inside, "id"])
    left, right = hu.sindex.query(hu.geometry, predicate="intersects")
    pairs = [(a, b) for a, b in zip(left, right, strict=True) if a < b]
    same = [(a, b) for a, b in pairs if hu["enterprise_id"].iat[a] == hu["enterprise_id"].iat[b]]
    assert not same, [(hu["id"].iat[a], hu["id"].iat[b]) for a, b in same]


def test_residential_areas_disjoint_and_outside_parks(metric: dict[str, gpd.GeoDataFrame]) -> None:
    ra = metric["residential_areas"]
    left, right = ra.sindex.query(ra.geometry, predicate="intersects")
    assert (left == right).all(), "residential areas overlap"
    parks = metric["chemical_parks"].geometry.union_all()
    assert not ra.intersects(parks).any()
    sizes = ra.geometry.apply(lambda g: max(g.bounds[2] - g.bounds[0], g.bounds[3] - g.bounds[1]))
    assert sizes.between(40, 450).all()  # blocks 50-400 m across (metres, bounding box)


def test_enterprises_in_parks_carry_park_id(metric: dict[str, gpd.GeoDataFrame]) -> None:
    ent, parks = metric["enterprises"], metric["chemical_parks"].set_index("id").geometry
    for _, row in ent.iterrows():
        containing = [pid for pid, g in parks.items() if g.contains(row.geometry)]
        if pd.isna(row["park_id"]):
            assert not any(g.intersects(row.geometry) for g in parks), row["id"]
        else:
            assert containing == [row["park_id"]], row["id"]


# --- counts ----------------------------------------------------------------------------------------


def test_counts_in_stated_ranges(layers: dict[str, pd.DataFrame]) -> None:
    assert 130 <= len(layers["enterprises"]) <= 170
    assert 270 <= len(layers["hazard_units"]) <= 330
    assert 400 <= len(layers["inventory"]) <= 600
    assert len(layers["chemical_parks"]) == 2
    assert 1800 <= len(layers["residential_areas"]) <= 2600
    assert 130 <= len(layers["protection_targets"]) <= 180
    in_parks = layers["enterprises"]["park_id"].notna().sum()
    assert 90 <= in_parks <= 110


def test_population(layers: dict[str, pd.DataFrame]) -> None:
    ra = layers["residential_areas"]
    assert 1_200_000 <= ra["population"].sum() <= 1_800_000  # people
    assert ra["population"].between(50, 5000).all()
    ratio = ra["population"] / ra["households"]
    assert ratio.between(2.2, 3.0).all()  # people per household


def test_every_protection_target_kind_occurs(layers: dict[str, pd.DataFrame]) -> None:
    pt = layers["protection_targets"]
    assert set(pt["kind"]) == set(TARGET_KINDS)
    explicit = pt["category"].dropna()
    assert set(explicit) <= {"high_sensitive", "important", "general_1", "general_2", "general_3"}
    assert 15 <= len(explicit) <= 25
    assert (pt["population"] > 0).all()


def test_parks(layers: dict[str, pd.DataFrame], metric: dict[str, gpd.GeoDataFrame]) -> None:
    parks = layers["chemical_parks"].set_index("id")
    assert list(parks.index) == ["PARK-01", "PARK-02"]
    areas_km2 = metric["chemical_parks"].set_index("id").area / 1e6
    assert areas_km2.between(3, 20).all()
    line = shapely.from_wkt(parks.loc["PARK-01", "safety_control_line_wkt"])
    assert line.is_valid and line.contains(parks.loc["PARK-01"].geometry)
    assert pd.isna(parks.loc["PARK-02", "safety_control_line_wkt"])


# --- chemistry ---------------------------------------------------------------------------------------


def test_table1_rows_match_the_standard(
    layers: dict[str, pd.DataFrame], table1: list[dict[str, str]]
) -> None:
    """Every row naming a Table 1 substance has a name/CAS pair (and seq) that is really in Table 1."""
    inv = layers["inventory"]
    table1_cas = {c for r in table1 for c in _cas_list(r)}
    table1_names = {r["name_zh"] for r in table1} | {a for r in table1 for a in _aliases(r)}
    is_t1 = inv["cas"].isin(table1_cas) | inv["chemical"].isin(table1_names)
    assert is_t1.mean() > 0.9
    for _, row in inv[is_t1].iterrows():
        matches = _table1_match(row["chemical"], row["cas"], table1)
        assert matches, f"{row['chemical']} / {row['cas']} is not a Table 1 name/CAS pair"
        if pd.notna(row["table1_seq"]):
            assert int(row["table1_seq"]) in {int(r["seq"]) for r in matches}, row.to_dict()
        assert pd.isna(row["hazard_categories"]) or row["hazard_categories"] == ""
    # Exact names (not aliases) on most rows; seq is set wherever one CAS covers several rows.
    exact = inv[is_t1]["chemical"].isin({r["name_zh"] for r in table1})
    assert exact.mean() > 0.8
    multi = inv["cas"].isin({"6484-52-2", "9004-70-0"})
    assert inv.loc[multi, "table1_seq"].notna().all()


def test_other_rows_carry_table2_codes(
    layers: dict[str, pd.DataFrame], table1: list[dict[str, str]], table2: dict[str, float]
) -> None:
    inv = layers["inventory"]
    table1_cas = {c for r in table1 for c in _cas_list(r)}
    other = inv[~inv["cas"].isin(table1_cas)]
    assert 8 <= len(other) <= 25
    for _, row in other.iterrows():
        codes = str(row["hazard_categories"]).split(";") if pd.notna(row["hazard_categories"]) else []
        assert codes and all(c in table2 for c in codes), row.to_dict()
        assert pd.isna(row["table1_seq"])


def test_equipment_and_state_are_consistent(layers: dict[str, pd.DataFrame]) -> None:
    hu = layers["hazard_units"].set_index("id")
    inv = layers["inventory"].join(hu[["unit_type", "equipment"]], on="unit_id")
    storage = inv[inv["unit_type"] == "storage"]
    gases = storage[storage["cas"].isin({"7782-50-5", "7664-41-7", "68476-85-7"})]  # Cl2, NH3, LPG
    assert gases["equipment"].isin({"pressure_vessel", "refrigerated_tank", "cylinder_store"}).all()
    liquids = storage[storage["cas"].isin({"86290-81-5", "67-56-1", "71-43-2"})]  # gasoline, MeOH, benzene
    assert liquids["equipment"].isin({"atmospheric_tank", "warehouse"}).all()
    assert (inv.loc[inv["state"] == "solid", "equipment"].isin({"warehouse", "process_vessel"})).all()
    assert (inv.loc[inv["equipment"] == "refrigerated_tank", "state"] == "liquefied_refrigerated").all()
    assert inv.loc[inv["unit_type"] == "production", "equipment"].isin({"process_vessel", "pipeline"}).all()
    special = layers["hazard_units"]["special_process"]
    assert special.any() and not special[layers["hazard_units"]["unit_type"] == "storage"].any()


def test_declared_safety_distances(layers: dict[str, pd.DataFrame]) -> None:
    hu = layers["hazard_units"]
    single = hu["safety_distance_m"].dropna()
    assert len(single) >= 20 and single.between(50, 3000).all()  # metres
    per_class = hu[list(CLASS_COLUMNS)].dropna(how="all")
    assert len(per_class) >= 10
    assert per_class.notna().all().all(), "per-class distances come as a full set"
    values = per_class.to_numpy()
    assert (np.diff(values, axis=1) <= 0).all(), "high_sensitive >= important >= general_1 >= ..."
    assert hu["safety_distance_m"].isna().sum() > len(hu) / 2


def test_enough_major_hazard_units(unit_s: pd.Series) -> None:
    """GB 18218-2018 clause 4: a unit is a major hazard when S = sum(q/Q) >= 1."""
    assert (unit_s >= 1).sum() >= 60
    assert (unit_s < 0.5).sum() >= 60  # and a good share well below the threshold


# --- built-in situations --------------------------------------------------------------------------


def test_school_just_outside_park_01(metric: dict[str, gpd.GeoDataFrame]) -> None:
    park = metric["chemical_parks"].set_index("id").geometry["PARK-01"]
    schools = metric["protection_targets"].query("kind == 'school'")
    dist_m = schools.geometry.distance(park.boundary)
    outside = ~schools.geometry.intersects(park)
    assert ((dist_m <= 200) & outside).any()


def test_old_plants_among_homes(layers: dict[str, pd.DataFrame], metric: dict[str, gpd.GeoDataFrame]) -> None:
    """Situation 1: operating plants outside parks holding chlorine, ammonia or LPG, with homes
    within 100 m and at least 100 residents within 500 m of the plant boundary."""
    ent, hu, ra = metric["enterprises"], layers["hazard_units"], metric["residential_areas"]
    inv = layers["inventory"].join(hu.set_index("id")["enterprise_id"], on="unit_id")
    toxic = set(inv.loc[inv["cas"].isin({"7782-50-5", "7664-41-7", "68476-85-7"}), "enterprise_id"])
    cand = ent[ent["park_id"].isna() & (ent["status"] == "operating") & ent["id"].isin(toxic)]
    found = []
    for _, row in cand.iterrows():
        ring = row.geometry.buffer(500).difference(row.geometry)
        near = ra[ra.intersects(ring)]
        share = near.intersection(ring).area / near.area
        if (near.distance(row.geometry).min() <= 100) and (near["population"] * share).sum() >= 100:
            found.append(row["id"])
    assert len(found) >= 8, found


def test_neighbouring_plants_in_parks(metric: dict[str, gpd.GeoDataFrame]) -> None:
    ent = metric["enterprises"]
    for park_id in ("PARK-01", "PARK-02"):
        plants = ent[ent["park_id"] == park_id].reset_index(drop=True)
        left, right = plants.sindex.query(plants.geometry, predicate="dwithin", distance=100)
        close = {
            (a, b) for a, b in zip(left, right, strict=True)
            if a < b and plants.geometry.iat[a].distance(plants.geometry.iat[b]) >= 20
        }
        assert len(close) >= 10, park_id


def test_planned_suspended_closed(layers: dict[str, pd.DataFrame]) -> None:
    ent, hu = layers["enterprises"], layers["hazard_units"]
    planned = ent[ent["status"] == "planned"]
    assert len(planned) >= 2
    assert planned["park_id"].notna().any() and planned["park_id"].isna().any()
    assert planned["id"].isin(hu["enterprise_id"]).all(), "planned sites have hazard units"
    assert (ent["status"] == "suspended").sum() >= 3
    assert (ent["status"] == "closed").sum() >= 3


def test_most_capacity_in_parks(layers: dict[str, pd.DataFrame], unit_s: pd.Series) -> None:
    hu = layers["hazard_units"].set_index("id")
    park_of_unit = hu["enterprise_id"].map(layers["enterprises"].set_index("id")["park_id"])
    in_park = park_of_unit.loc[unit_s.index].notna()
    assert unit_s[in_park].sum() > 2 * unit_s[~in_park].sum()


# --- the generator -------------------------------------------------------------------------------------


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as plain objects with None for missing values, for comparing two reads."""
    out = frame.copy()
    for col in out.columns:
        if col != "geometry" and (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def test_generator_is_deterministic_and_matches_committed_file(tmp_path: Path) -> None:
    """Two runs give identical frames, and the committed file is what the generator writes
    (attributes exactly; coordinates to 1e-7 degrees, about 1 cm, to allow for GEOS/PROJ builds)."""
    first = generate_city()
    second = generate_city()
    for name, frame in first.items():
        if isinstance(frame, gpd.GeoDataFrame):
            assert_geodataframe_equal(frame, second[name])
        else:
            assert_frame_equal(frame, second[name])
    path = write_city(first, tmp_path / "city.gpkg")
    for name in REQUIRED_FIELDS:
        fresh = pyogrio.read_dataframe(path, layer=name)
        committed = pyogrio.read_dataframe(GPKG, layer=name)
        attrs_fresh = _comparable(fresh.drop(columns="geometry", errors="ignore"))
        attrs_committed = _comparable(committed.drop(columns="geometry", errors="ignore"))
        assert_frame_equal(attrs_fresh, attrs_committed, check_dtype=False, obj=name)
        if "geometry" in fresh:
            same = shapely.equals_exact(fresh.geometry.values, committed.geometry.values, tolerance=1e-7)
            assert same.all(), f"{name}: committed geometry differs; rerun python -m sample_geo.generate"


# --- vessels (issue 13 item 7) -------------------------------------------------------------------


def test_stored_items_are_held_in_realistic_vessels_that_hold_them(layers: dict[str, pd.DataFrame]) -> None:
    hu = layers["hazard_units"].set_index("id")
    inv = layers["inventory"].join(hu[["equipment"]], on="unit_id")
    held = inv[~inv["equipment"].isin(["pipeline", "warehouse"])]
    assert held["vessel_count"].notna().all() and held["vessel_capacity_t"].notna().all()
    assert (held["vessel_count"] >= 1).all() and (held["vessel_capacity_t"] > 0).all()
    # n vessels of capacity c hold q, and one vessel fewer would not
    n, c, q = held["vessel_count"].astype(float), held["vessel_capacity_t"], held["max_quantity_t"]
    assert (n * c >= q * (1 - 1e-9)).all() and ((n - 1) * c < q).all()
    # LPG in pressure vessels: 100 m³ bullets or spheres of 400-2 000 m³ (0.5 t/m³ at 85 % fill)
    lpg = held[held["chemical"].str.contains("液化石油气") & (held["equipment"] == "pressure_vessel")]
    assert len(lpg) and (lpg["vessel_capacity_t"] / (0.5 * 0.85)).round(-1).isin([100, 400, 1000, 2000]).all()
    big = lpg[lpg["max_quantity_t"] >= 1000]
    assert len(big) and (big["vessel_count"] > 1).all()  # 2 000 t is no longer one 2 000 t vessel
    # liquid chlorine in pressure vessels: 50-100 t tanks
    cl = held[held["cas"].eq("7782-50-5") & (held["equipment"] == "pressure_vessel")]
    assert len(cl) and cl["vessel_capacity_t"].between(50, 100).all()
    assert layers["inventory"].loc[inv["equipment"].isin(["pipeline", "warehouse"]), "vessel_count"].isna().all()
