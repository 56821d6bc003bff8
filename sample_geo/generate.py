"""Generate the synthetic Jilin City (吉林市) sample data set.

Run ``python -m sample_geo.generate --out sample_geo/jilin_city.gpkg``. The data are
SYNTHETIC: invented enterprises, hazard units, inventories, residential areas and protection
targets placed around the real city centre (lon 126.55, lat 43.84) and a modelled Songhua
River. Geometry is built in metres in EPSG:4551 (CGCS2000 / 3-degree Gauss-Kruger CM 126E)
and written in EPSG:4490 (CGCS2000 geographic). The same seed gives identical layers.

Layers (the project's interchange format): ``enterprises``, ``hazard_units``,
``inventory`` (no geometry), ``chemical_parks``, ``residential_areas``, ``protection_targets``, ``admin_areas``
(four synthetic districts), ``sensors`` (no geometry; monitoring points per AQ 3035-2010); some enterprises
carry an official 应急〔2018〕19号 ``risk_score``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from sample_geo import _names
from sample_geo._catalogue import ARCHETYPES, CHEMICALS, LIQUEFIABLE_GAS, LIQUID, SOLID, Archetype, UnitTemplate
from sample_geo._layout import (
    fill_lots,
    irregular_plant,
    largest_part,
    park_outlines,
    place_units,
    river_band,
    rotated_rectangle,
    urban_density,
)

__all__ = ["DEFAULT_SEED", "LAYER_NAMES", "OUTPUT_CRS", "WORK_CRS", "generate_city", "write_city"]

DEFAULT_SEED = 20261123
#: CRS of the written layers: CGCS2000 geographic (lon/lat degrees).
OUTPUT_CRS = "EPSG:4490"
#: Metric CRS used for all geometry work: CGCS2000 / 3-degree Gauss-Kruger CM 126E (metres).
WORK_CRS = "EPSG:4551"
CENTRE_LON, CENTRE_LAT = 126.55, 43.84
LAYER_NAMES = (
    "enterprises",
    "hazard_units",
    "inventory",
    "chemical_parks",
    "residential_areas",
    "protection_targets",
    "admin_areas",
    "sensors",
)

_TARGET_POPULATION = 1_500_000  # residents in residential_areas (people)
_GRID_ANGLE_DEG = 38.0  # orientation of the urban street grid (degrees, counter-clockwise)

# --- enterprise mix ------------------------------------------------------------------------
# Park name, level, risk grade, number of enterprises, fixed large plants (archetype, ha,
# lot rectangle in local metres) and archetype counts; fine chemical plants fill the rest.
_PARKS: dict[str, dict] = {
    "PARK-01": {
        "name": "吉林化学工业循环经济示范园区",
        "level": "国家级",
        "risk_grade": "C",
        "big": (
            ("refinery", (6150.0, 7150.0, 7750.0, 8400.0)),
            ("ethylene", (6250.0, 8520.0, 7550.0, 9520.0)),
        ),
        "mix": {
            "chlor_alkali": 2, "pvc": 1, "fertilizer": 1, "styrene_rubber": 2, "acrylonitrile": 2,
            "pesticide": 3, "tdi": 1, "epoxy": 2, "gases": 3, "warehouse_park": 3, "oil_depot": 1,
            "polymer": 1, "paint": 1, "pharma": 3, "no_units": 3,
        },
        "count": 56,
        "lots": {"row_height_m": (190.0, 400.0), "lot_width_m": (140.0, 460.0)},
    },
    "PARK-02": {
        "name": "吉林经济技术开发区化工园区",
        "level": "省级",
        "risk_grade": "D",
        "big": (("coal_chem", (-1300.0, 12650.0, -50.0, 13650.0)),),
        "mix": {
            "viscose": 2, "pharma": 6, "paint": 2, "warehouse_park": 2, "gases": 2, "pesticide": 2,
            "polymer": 1, "chlor_alkali": 1, "fertilizer": 1, "epoxy": 1, "no_units": 3,
        },
        "count": 44,
        "lots": {"row_height_m": (210.0, 430.0), "lot_width_m": (160.0, 500.0)},
    },
}

# Outside parks: (archetype, zone, count). Zones are explained in _outside_zone_ok.
_OUTSIDE: tuple[tuple[str, str, int], ...] = (
    ("urban_chlor", "urban", 2),
    ("urban_fertilizer", "urban", 1),
    ("urban_pesticide", "urban", 2),
    ("cold_storage", "urban", 2),
    ("lpg_station", "urban", 2),
    ("fine_chem", "urban", 1),
    ("lng_station", "edge", 1),  # planned, near homes
    ("water_works", "riverside", 4),
    ("cold_storage", "suburban", 4),
    ("lpg_station", "suburban", 5),
    ("lng_station", "rural", 1),
    ("oil_depot", "rural", 4),
    ("warehouse", "suburban", 6),
    ("pharma", "suburban", 2),
    ("small_chem", "suburban", 5),
    ("fine_chem", "suburban", 2),
    ("gases", "suburban", 1),
    ("no_units", "suburban", 5),
)

# Administrative division codes (吉林市 districts) used in the USCC of enterprises.
_ADMIN_CODES = {
    "PARK-01": ("220203",),
    "PARK-02": ("220271",),
    None: ("220202", "220204", "220211", "220203"),
}

# Administrative areas (districts of 吉林市, synthetic outlines): code, name, and the sector around the
# city centre (degrees counter-clockwise from east, local metres) each covers, out to _ADMIN_RADIUS_M.
_ADMIN_AREAS = (
    ("220203", "龙潭区", (10.0, 100.0)),
    ("220202", "昌邑区", (100.0, 175.0)),
    ("220204", "船营区", (175.0, 280.0)),
    ("220211", "丰满区", (280.0, 370.0)),
)
_ADMIN_RADIUS_M = 32_000.0
# Official 应急〔2018〕19号 diagnosis scores (0–100) on a few enterprises: (share of operating plants
# in parks, share outside), drawn with their own generator so the other layers do not change.
_SCORE_SHARE = (0.3, 0.08)

# --- protection targets ----------------------------------------------------------------------
# kind: (count, of which polygons, population range in people, polygon size range in metres)
_TARGET_KINDS: dict[str, tuple[int, int, tuple[int, int], tuple[float, float]]] = {
    "school": (25, 6, (500, 3000), (120, 220)),
    "kindergarten": (20, 0, (80, 400), (0, 0)),
    "university": (4, 4, (8000, 30000), (450, 800)),
    "hospital": (10, 6, (300, 3000), (120, 260)),
    "clinic": (10, 0, (20, 150), (0, 0)),
    "nursing_home": (8, 0, (50, 400), (0, 0)),
    "welfare_home": (2, 0, (50, 300), (0, 0)),
    "cultural_centre": (3, 0, (100, 800), (0, 0)),
    "library": (2, 0, (200, 1500), (0, 0)),
    "museum": (3, 0, (100, 1500), (0, 0)),
    "religious_site": (4, 0, (30, 500), (0, 0)),
    "cultural_relic": (4, 0, (10, 300), (0, 0)),
    "rail_transit": (3, 0, (500, 5000), (0, 0)),
    "prison": (1, 1, (500, 3000), (250, 400)),
    "military": (2, 1, (200, 2000), (250, 450)),
    "embassy": (1, 0, (20, 100), (0, 0)),
    "government_office": (8, 0, (100, 1500), (0, 0)),
    "office": (8, 0, (300, 5000), (0, 0)),
    "mall": (8, 5, (1000, 10000), (120, 220)),
    "market": (6, 0, (300, 3000), (0, 0)),
    "hotel": (6, 0, (100, 1000), (0, 0)),
    "sports_venue": (3, 3, (2000, 20000), (220, 320)),
    "station": (4, 0, (1000, 15000), (0, 0)),
    "park": (6, 6, (200, 5000), (300, 700)),
    "factory": (4, 0, (100, 2000), (0, 0)),
    "other": (3, 0, (20, 500), (0, 0)),
}
_CN_NUM = "一二三四五六七八九十"

_TARGET_NAMES: dict[str, tuple[str, ...]] = {
    "university": ("北华大学", "东北电力大学", "吉林化工学院", "吉林医药学院"),
    "hospital": (
        "吉林市中心医院", "吉林市人民医院", "吉林市妇产医院", "吉林市儿童医院", "吉林市中医院",
        "北华大学附属医院", "吉林市龙潭区医院", "吉林市船营区医院", "吉林市昌邑区医院", "吉林市传染病医院",
    ),
    "welfare_home": ("吉林市儿童福利院", "吉林市社会福利院"),
    "cultural_centre": ("吉林市群众艺术馆", "龙潭区文化馆", "船营区文化馆"),
    "library": ("吉林市图书馆", "吉林市少年儿童图书馆"),
    "museum": ("吉林市博物馆", "吉林陨石博物馆", "吉林市自然博物馆"),
    "religious_site": ("北山玉皇阁", "观音古刹", "吉林清真寺", "吉林天主教堂"),
    "cultural_relic": ("吉林文庙", "龙潭山古城遗址", "阿什哈达摩崖", "东团山遗址"),
    "rail_transit": (
        "轨道交通1号线北山站（规划）", "轨道交通1号线江湾站（规划）", "轨道交通2号线龙潭站（规划）"
    ),
    "prison": ("吉林市某监狱（虚构）",),
    "military": ("某部队营区（虚构）", "某部队训练场（虚构）"),
    "embassy": ("某国签证申请中心吉林分中心（虚构）",),
    "government_office": (
        "吉林市人民政府", "龙潭区人民政府", "船营区人民政府", "昌邑区人民政府", "丰满区人民政府",
        "吉林市应急管理局", "吉林市政务服务中心", "吉林经济技术开发区管委会",
    ),
    "office": (
        "吉林国际金融中心", "江城商务大厦", "松江科技大厦", "世纪广场写字楼", "吉林电力调度大楼",
        "吉林化纤科技大厦", "龙潭商务中心", "吉林化学工业园区管委会",
    ),
    "mall": (
        "吉林万达广场", "吉林欧亚商都", "东市商贸城", "吉林百货大楼", "华联商厦",
        "龙潭万达广场", "江南购物中心", "越山路商业中心",
    ),
    "market": ("东市场", "北极街农贸市场", "河南街农贸市场", "龙潭农贸市场", "西市场", "江南早市"),
    "hotel": ("江城宾馆", "松江大酒店", "雾凇宾馆", "北山饭店", "龙潭宾馆", "世纪酒店"),
    "sports_venue": ("吉林市体育中心", "北华大学体育馆", "吉林市全民健身中心"),
    "station": ("吉林站", "吉林北站", "吉林西站", "吉林市长途客运站"),
    "park": ("北山公园", "江南公园", "龙潭山公园", "世纪广场", "朱雀山公园", "江滨公园"),
    "factory": ("吉林市第三机械厂", "吉林碳素制品厂", "江城纺织厂", "吉林市印刷厂"),
    "other": ("吉林市殡仪馆", "吉林市垃圾焚烧发电厂", "吉林市物流园"),
}

# Declared external safety distances (metres) by leading substance, from invented safety
# assessment reports; scaled a little with S and rounded to 10 m.
_BASE_DISTANCE_M = {
    "CL2": 700, "NH3": 450, "COCL2": 900, "HCN": 800, "H2S": 600, "HCL": 400, "SO2": 400,
    "EO": 350, "ACN": 300, "LPG": 300, "C3H6": 280, "C2H4": 300, "BD": 280, "VCM": 280,
    "H2": 200, "GAS": 180, "BZ": 220, "MEOH": 120, "NG": 250, "DME": 260, "PO": 260,
}
_CLASS_FACTORS = (1.0, 0.9, 0.8, 0.6, 0.4)
_CLASS_COLUMNS = (
    "safety_distance_high_sensitive_m",
    "safety_distance_important_m",
    "safety_distance_general_1_m",
    "safety_distance_general_2_m",
    "safety_distance_general_3_m",
)
_FIRE_ORDER = "甲乙丙丁戊"

# --- unified social credit code (GB 32100-2015) ---------------------------------------------
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a USCC."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    check = 31 - total % 31
    return _USCC_CHARS[0 if check == 31 else check]


def _org_check_char(body8: str) -> str:
    """Return the GB 11714 organisation-code check character for 8 body characters."""
    values = (int(c) if c.isdigit() else ord(c) - 55 for c in body8)  # A = 10 ... Z = 35
    total = sum(v * w for v, w in zip(values, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _make_uscc(rng: np.random.Generator, admin_code: str, used: set[str]) -> str:
    """Return an unused, well-formed 18-character USCC for an enterprise (登记机关 9, 类别 1)."""
    while True:
        if rng.random() < 0.65:
            body = "MA" + "".join(_USCC_CHARS[int(i)] for i in rng.integers(0, 31, 6))
        else:
            body = "".join(str(int(d)) for d in rng.integers(0, 10, 8))
        first17 = "91" + admin_code + body + _org_check_char(body)
        code = first17 + uscc_check_char(first17)
        if code not in used:
            used.add(code)
            return code


# --- helpers ------------------------------------------------------------------------------------


@dataclass
class _Plant:
    """An enterprise under construction (local metres)."""

    archetype: Archetype
    geom: Polygon
    park_id: str | None
    zone: str
    angle_deg: float = 0.0
    status: str = "operating"
    tags: set[str] = field(default_factory=set)


def _loguniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _round_t(q: float) -> float:
    """Round a quantity in tonnes to a realistic precision."""
    if q >= 1000:
        return float(round(q, -2))
    if q >= 100:
        return float(round(q, -1))
    if q >= 10:
        return float(round(q))
    return float(round(q, 1))


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom]
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]


class _Obstacles:
    """A growing set of geometries queried with an STR tree (rebuilt lazily)."""

    def __init__(self, geoms: Iterable[BaseGeometry] = ()) -> None:
        self.geoms: list[BaseGeometry] = list(geoms)
        self._tree: STRtree | None = None

    def add(self, geom: BaseGeometry) -> None:
        self.geoms.append(geom)
        self._tree = None

    def hits(self, geom: BaseGeometry) -> bool:
        if not self.geoms:
            return False
        if self._tree is None:
            self._tree = STRtree(self.geoms)
        return len(self._tree.query(geom, predicate="intersects")) > 0

    def clip(self, geom: BaseGeometry) -> BaseGeometry:
        if not self.geoms:
            return geom
        if self._tree is None:
            self._tree = STRtree(self.geoms)
        for i in self._tree.query(geom, predicate="intersects"):
            geom = geom.difference(self.geoms[int(i)])
            if geom.is_empty:
                break
        return geom


# --- parks and enterprises ------------------------------------------------------------------


def _park_plants(rng: np.random.Generator, parks: dict[str, BaseGeometry]) -> list[_Plant]:
    """Place the large plants and fill each park with plant lots 20-100 m apart (situation 3)."""
    plants: list[_Plant] = []
    for park_id, spec in _PARKS.items():
        park = parks[park_id]
        big = [(ARCHETYPES[key], box(*rect)) for key, rect in spec["big"]]
        for arch, lot in big:
            plants.append(_Plant(arch, irregular_plant(lot, rng), park_id, "park"))
        lots: list[Polygon] = []
        for part in _polygons(park):
            lots.extend(fill_lots(part, [lot for _, lot in big], rng, **spec["lots"]))
        n_small = spec["count"] - len(big)
        if len(lots) < n_small:
            raise RuntimeError(f"{park_id}: only {len(lots)} lots for {n_small} enterprises")
        keep = [lots[int(i)] for i in np.sort(rng.choice(len(lots), size=n_small, replace=False))]
        mix = [key for key, n in spec["mix"].items() for _ in range(n)]
        mix += ["fine_chem"] * (n_small - len(mix))  # fine chemicals fill the remaining lots
        # Plants that need room (>= 15 ha outside parks) take the largest lots; the others fill
        # the remaining lots row by row sorted by industry group, so neighbours are similar.
        large = [k for k in mix if ARCHETYPES[k].size_ha[0] >= 15]
        small = sorted((k for k in mix if ARCHETYPES[k].size_ha[0] < 15),
                       key=lambda k: (ARCHETYPES[k].group, rng.random()))
        by_area = sorted(range(n_small), key=lambda i: -keep[i].area)
        big_slots = set(by_area[: len(large)])
        assignment: dict[int, str] = dict(zip(by_area[: len(large)], large, strict=True))
        rest = iter(small)
        for i in range(n_small):
            if i not in big_slots:
                assignment[i] = next(rest)
        for i in range(n_small):
            plants.append(_Plant(ARCHETYPES[assignment[i]], irregular_plant(keep[i], rng), park_id, "park"))
    return plants


def _outside_zone_ok(zone: str, d: float, river_dist_m: float, r_m: float) -> bool:
    """Zone rules: urban = dense old town, edge = urban fringe next to homes, riverside =
    water works by the river, suburban = outskirts, rural = far outskirts."""
    if zone == "urban":
        return d >= 0.55 and river_dist_m >= 350
    if zone == "edge":
        return 0.3 <= d <= 0.45 and river_dist_m >= 400
    if zone == "riverside":
        return 300 <= river_dist_m <= 900 and 0.2 <= d <= 0.7
    if zone == "suburban":
        return 0.06 <= d <= 0.4 and river_dist_m >= 400 and r_m <= 16000
    if zone == "rural":
        return 0.02 <= d <= 0.15 and river_dist_m >= 500 and r_m <= 18000
    raise ValueError(f"unknown zone {zone!r}")


def _outside_plants(
    rng: np.random.Generator, river: Polygon, parks: dict[str, BaseGeometry], taken: _Obstacles
) -> list[_Plant]:
    """Place the plants outside the parks by zone (old town plants are situation 1)."""
    plants: list[_Plant] = []
    park_block = [p.buffer(600.0) for p in parks.values()]
    for key, zone, count in _OUTSIDE:
        arch = ARCHETYPES[key]
        for _ in range(count):
            for _attempt in range(20000):
                x = float(rng.uniform(-17000, 17000))
                y = float(rng.uniform(-15000, 20000))
                d = float(urban_density(np.array(x), np.array(y)))
                pt = Point(x, y)
                if not _outside_zone_ok(zone, d, river.distance(pt), math.hypot(x, y)):
                    continue
                area_m2 = _loguniform(rng, *arch.size_ha) * 10_000
                aspect = float(rng.uniform(1.0, 1.9))
                w = math.sqrt(area_m2 * aspect)
                lot = box(x - w / 2, y - area_m2 / w / 2, x + w / 2, y + area_m2 / w / 2)
                angle = float(rng.uniform(-30, 30))
                geom = affinity.rotate(irregular_plant(lot, rng), angle, origin=pt)
                spacing = 900.0 if zone == "urban" else 350.0
                if geom.buffer(200).intersects(river) or any(geom.intersects(b) for b in park_block):
                    continue
                if taken.hits(geom.buffer(spacing)):
                    continue
                taken.add(geom)
                plants.append(_Plant(arch, geom, None, zone, angle_deg=angle))
                break
            else:
                raise RuntimeError(f"could not place {key} in zone {zone}")
    return plants


def _assign_status(rng: np.random.Generator, plants: list[_Plant]) -> None:
    """Mark planned, suspended and closed enterprises (situations 4 and 5)."""
    for p in plants:
        if p.zone == "urban":
            p.tags.add("urban_old_plant")
    # Planned: an epoxide plant in each park and the LNG station on the urban fringe.
    for park_id in _PARKS:
        cand = [p for p in plants if p.park_id == park_id and p.archetype.key == "epoxy"]
        cand[int(rng.integers(len(cand)))].status = "planned"
    for p in plants:
        if p.zone == "edge":
            p.status = "planned"
    small_firms = (
        "fine_chem", "pharma", "paint", "cold_storage", "lpg_station", "small_chem", "warehouse", "no_units"
    )
    pool = [
        i
        for i, p in enumerate(plants)
        if p.status == "operating" and p.zone not in ("urban", "edge") and p.archetype.key in small_firms
    ]
    picks = rng.choice(pool, size=11, replace=False)
    for j, i in enumerate(picks):
        plants[int(i)].status = "suspended" if j < 6 else "closed"


# --- hazard units and inventory -------------------------------------------------------------


def _choose_templates(rng: np.random.Generator, arch: Archetype) -> list[UnitTemplate]:
    if not arch.units:
        return []
    core = [t for t in arch.units if t.core]
    optional = [t for t in arch.units if not t.core]
    n = int(rng.integers(arch.n_units[0], arch.n_units[1] + 1))
    n_opt = max(0, min(len(optional), n - len(core)))
    if not core and n_opt == 0:
        n_opt = 1
    picked = [optional[int(i)] for i in sorted(rng.choice(len(optional), size=n_opt, replace=False))]
    chosen = core + picked
    # Only one solvent tank farm variant per plant.
    out: list[UnitTemplate] = []
    for t in chosen:
        if t.name not in {o.name for o in out}:
            out.append(t)
    return out


def _inventory_rows(rng: np.random.Generator, tmpl: UnitTemplate) -> tuple[list[dict], float, float]:
    """Return inventory rows (without unit_id) and the unit's temperature (°C) and pressure (MPa g)."""
    t_u = float(round(rng.uniform(*tmpl.temp_c)))
    p_u = float(round(rng.uniform(*tmpl.pressure_mpa), 2))
    rows = []
    unit_tp: tuple[float, float] | None = None
    for key, lo, hi in tmpl.chems:
        chem = CHEMICALS[key]
        q = _round_t(_loguniform(rng, lo, hi))
        eq = tmpl.equipment
        if eq == "process_vessel":
            if chem.phase == "sol":
                state = "solid"
            elif chem.phase == "liq":
                state = "liquid"
            elif chem.phase == "lg" and t_u <= 60 and p_u >= chem.vapour_mpa:
                state = "liquefied_pressurized"
            else:
                state = "gas"
            t, p = t_u, p_u
        elif eq == "pipeline":
            state = "gas" if chem.phase in ("pg", "lg") else "liquid"
            t, p = t_u, p_u
        elif eq == "refrigerated_tank":
            state, t, p = "liquefied_refrigerated", chem.boil_c, 0.01
        elif eq in ("pressure_vessel", "cylinder_store"):
            if chem.phase == "lg":
                state, t, p = "liquefied_pressurized", 20.0, chem.vapour_mpa
            else:  # compressed gas: hydrogen, acetylene (dissolved) ...
                state, t = "gas", 20.0
                p = {"H2": 15.0 if eq == "cylinder_store" else 2.5, "C2H2": 1.5}.get(key, 4.0)
        elif eq == "warehouse":
            state, t, p = ("solid" if chem.phase == "sol" else "liquid"), 20.0, 0.0
        else:  # atmospheric tank
            state, t, p = "liquid", 20.0, 0.0
        if unit_tp is None:
            unit_tp = (t, p)
        rows.append(
            {
                "key": key,
                "chemical": chem.name,
                "cas": chem.cas,
                "max_quantity_t": q,
                "state": state,
                "temperature_c": float(t),
                "pressure_mpa": float(p),
            }
        )
    if tmpl.unit_type == "production" or unit_tp is None:
        return rows, t_u, p_u
    return rows, unit_tp[0], unit_tp[1]


#: Capacity of one vessel (t) by how a substance is held: the sample city fills ``vessel_count`` and
#: ``vessel_capacity_t`` with these (issue 13). Typical Chinese practice, rounded: LPG and other
#: liquefied flammable gases in bullets or spheres of 400–2 000 m³ (about 0.5 t/m³ at 85 % fill),
#: liquid ammonia in 100 m³ bullets or 1 000 m³ spheres, liquid chlorine in 50–100 t tanks and
#: 1 t ton-containers, flammable liquids in 500–5 000 m³ tanks, process inventories in 20–50 t vessels.
_LPG_LIKE = {"LPG", "C3H6", "C4H8", "DME", "BD", "VCM"}


def _vessel_capacity_t(key: str, equipment: str, q_t: float) -> float | None:
    """One vessel's capacity (t) for ``q_t`` t of chemical ``key`` in ``equipment``; None: not filled."""
    chem = CHEMICALS[key]
    if equipment in ("pipeline", "warehouse"):
        return None
    if equipment == "refrigerated_tank":
        return float(max(q_t, 1.0))  # one large refrigerated tank
    if equipment == "process_vessel":
        return 50.0 if chem.phase in (LIQUID, SOLID) else 20.0
    if equipment == "cylinder_store":
        per = 1.0 if chem.phase == LIQUEFIABLE_GAS else 0.05  # ton containers; gas cylinder packs
        return max(per, q_t / 10_000.0)
    if equipment == "pressure_vessel":
        if key in _LPG_LIKE:  # 100 m³ bullet 42 t; 400 m³ sphere 170 t; 1 000 m³ 425 t; 2 000 m³ 850 t
            return 42.0 if q_t <= 100 else 170.0 if q_t <= 400 else 425.0 if q_t <= 3000 else 850.0
        if key == "NH3":  # 100 m³ bullet 52 t; 1 000 m³ sphere 520 t
            return 52.0 if q_t <= 200 else 520.0
        if key == "CL2":  # 50 t tanks up to 100 t held, 100 t tanks above
            return 50.0 if q_t <= 100 else 100.0
        if chem.phase == LIQUEFIABLE_GAS:
            return 50.0
        return 1.0 if key == "H2" else 5.0  # compressed gas receivers
    # atmospheric tanks (t at 0.8 t/m³, 90 % fill): 500 m³ 360 t, 2 000 m³ 1 440 t, 5 000 m³ 3 600 t
    return 360.0 if q_t <= 1000 else 1440.0 if q_t <= 10000 else 3600.0


def _vessels(key: str, equipment: str, q_t: float) -> dict:
    """``vessel_count`` and ``vessel_capacity_t`` of one inventory row (None and NaN when not filled)."""
    cap = _vessel_capacity_t(key, equipment, q_t)
    if cap is None or q_t <= 0:
        return {"vessel_count": None, "vessel_capacity_t": None}
    return {"vessel_count": int(math.ceil(q_t / cap - 1e-9)), "vessel_capacity_t": float(cap)}


def _unit_area_m2(
    rng: np.random.Generator, tmpl: UnitTemplate, total_t: float, plant_area_m2: float
) -> float:
    """Footprint of a unit in square metres, from its type, inventory (t) and the plant area."""
    if tmpl.unit_type == "production":
        area = float(rng.uniform(0.03, 0.09)) * plant_area_m2
        return float(np.clip(area, 1200.0, 80000.0))
    if tmpl.equipment in ("warehouse", "cylinder_store"):
        return float(rng.uniform(600.0, 4000.0))
    return float(np.clip(500.0 + 1.3 * total_t, 500.0, 60000.0))


def _hazard_units(rng: np.random.Generator, plants: list[_Plant]) -> tuple[list[dict], list[Polygon]]:
    """Return hazard units (with their inventory rows) and their footprints (local metres)."""
    units: list[dict] = []
    geoms: list[Polygon] = []
    for p_idx, plant in enumerate(plants):
        templates = _choose_templates(rng, plant.archetype)
        if not templates:
            continue
        built = [_inventory_rows(rng, t) for t in templates]
        plant_area = plant.geom.area
        areas = []
        for tmpl, (rows, _, _) in zip(templates, built, strict=True):
            areas.append(_unit_area_m2(rng, tmpl, sum(r["max_quantity_t"] for r in rows), plant_area))
        cap = 0.5 * plant_area / len(areas)
        areas = [min(a, cap) for a in areas]
        setback = 15.0 if plant_area > 50_000 else 10.0
        footprints = place_units(plant.geom, areas, rng, angle_deg=plant.angle_deg, setback_m=setback)
        for tmpl, (rows, t_u, p_u), fp in zip(templates, built, footprints, strict=True):
            unit = {
                "p_idx": p_idx,
                "name": tmpl.name,
                "unit_type": tmpl.unit_type,
                "equipment": tmpl.equipment,
                "containment": _containment(rng, tmpl.equipment),
                "fire_class": min((CHEMICALS[r["key"]].fire_class for r in rows), key=_FIRE_ORDER.index),
                "special_process": bool(tmpl.unit_type == "production" and rng.random() < tmpl.special),
                "operating_temperature_c": t_u,
                "operating_pressure_mpa": p_u,
                "rows": rows,
            }
            units.append(unit)
            geoms.append(fp)
    return units, geoms


def _containment(rng: np.random.Generator, equipment: str) -> str:
    if equipment == "refrigerated_tank":
        return "full" if rng.random() < 0.6 else "double"
    if equipment == "atmospheric_tank" and rng.random() < 0.1:
        return "double"
    return "single"


def _unit_s(rows: list[dict]) -> tuple[float, float, str]:
    """Return S = sum(q/Q), sum(beta q/Q) and the key of the leading substance."""
    s = sum(r["max_quantity_t"] / CHEMICALS[r["key"]].critical_t for r in rows)
    bs = sum(CHEMICALS[r["key"]].beta * r["max_quantity_t"] / CHEMICALS[r["key"]].critical_t for r in rows)
    lead = max(rows, key=lambda r: r["max_quantity_t"] / CHEMICALS[r["key"]].critical_t)["key"]
    return s, bs, lead


def _declare_distances(rng: np.random.Generator, units: list[dict]) -> None:
    """Set declared external safety distances (metres) on some units, per class on a few."""
    for u in units:
        for col in ("safety_distance_m", *_CLASS_COLUMNS):
            u[col] = np.nan
        s, _, lead = _unit_s(u["rows"])
        if s < 0.5:
            continue
        r = rng.random()
        base = _BASE_DISTANCE_M.get(lead, 150) * float(np.clip(s, 0.5, 50.0)) ** 0.12
        if r < 0.25:
            u["safety_distance_m"] = float(round(base * rng.uniform(0.9, 1.1), -1))
        elif r < 0.38:
            top = base * rng.uniform(1.0, 1.2)
            for col, f in zip(_CLASS_COLUMNS, _CLASS_FACTORS, strict=True):
                u[col] = float(round(top * f, -1))


# --- protection targets -------------------------------------------------------------------------


def _target_name(rng: np.random.Generator, kind: str, n: int, used: set[str]) -> str:
    if kind in _TARGET_NAMES:
        names = _TARGET_NAMES[kind]
        name = names[n % len(names)]
        if name in used:
            name = f"{name}（{n // len(names) + 1}）"
    elif kind == "school":
        names = ("吉林市第{}中学", "吉林市第{}实验小学", "吉林市第{}小学")
        name = names[n % 3].format(_cn_number(n // 3 + 11))
    elif kind == "kindergarten":
        district = ("龙潭区", "船营区", "昌邑区", "丰满区")[n % 4]
        name = f"{district}第{_cn_number(n // 4 + 1)}幼儿园"
    elif kind == "clinic":
        name = f"{_names.place_word(rng)}社区卫生服务中心"
    elif kind == "nursing_home":
        name = f"{_names.place_word(rng)}{('养老院', '老年公寓', '敬老院')[n % 3]}"
    else:
        name = f"{kind}-{n + 1}"
    while name in used:
        name += "分部"
    used.add(name)
    return name


def _cn_number(n: int) -> str:
    """Chinese numeral for 1..99 (e.g. 23 -> 二十三)."""
    if n <= 10:
        return _CN_NUM[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _CN_NUM[tens - 1]
    return head + "十" + (_CN_NUM[ones - 1] if ones else "")


def _ray_exit(poly: Polygon, origin: Point, angle: float) -> Point:
    """Point where a ray from ``origin`` (inside ``poly``) leaves ``poly`` (local metres)."""
    far = Point(origin.x + 20000 * math.cos(angle), origin.y + 20000 * math.sin(angle))
    inter = LineString([origin, far]).intersection(poly.exterior)
    pts = [g for g in getattr(inter, "geoms", [inter]) if isinstance(g, Point)]
    return max(pts, key=origin.distance)


def _near_point(
    rng: np.random.Generator, poly: Polygon, offset_m: float, toward: Point | None, blocked: _Obstacles
) -> Point:
    """Return a point ``offset_m`` metres outside ``poly``, preferably in direction ``toward``."""
    c = poly.centroid
    base = math.atan2(toward.y - c.y, toward.x - c.x) if toward is not None else rng.uniform(0, 2 * math.pi)
    for k in range(36):
        angle = base + (k // 2) * (math.pi / 18) * (1 if k % 2 else -1)
        exit_pt = _ray_exit(poly, c, angle)
        pt = Point(exit_pt.x + offset_m * math.cos(angle), exit_pt.y + offset_m * math.sin(angle))
        if not poly.contains(pt) and not blocked.hits(pt.buffer(25)):
            return pt
    raise RuntimeError("no free point near polygon")


def _protection_targets(
    rng: np.random.Generator,
    river: Polygon,
    parks: dict[str, BaseGeometry],
    plants: list[_Plant],
) -> tuple[list[dict], dict[str, str]]:
    """Return protection targets (local metres) and the ids of the built-in situations."""
    targets: list[dict] = []
    blocked = _Obstacles([river.buffer(60), *(p.buffer(150) for p in parks.values())])
    for p in plants:
        blocked.add(p.geom.buffer(40))
    used_names: set[str] = set()
    counters = dict.fromkeys(_TARGET_KINDS, 0)
    situations: dict[str, str] = {}

    def add(kind: str, geom: BaseGeometry, *, population: int | None = None) -> str:
        lo, hi = _TARGET_KINDS[kind][2]
        if population is None:
            population = int(round(_loguniform(rng, lo, hi), -1 if hi > 500 else 0))
        tid = f"PT-{len(targets) + 1:04d}"
        targets.append(
            {
                "id": tid,
                "name": _target_name(rng, kind, counters[kind], used_names),
                "kind": kind,
                "category": None,
                "population": population,
                "geometry": geom,
            }
        )
        counters[kind] += 1
        blocked.add(geom.buffer(60))
        return tid

    # Situation 2: a school 100-200 m outside PARK-01, on the side facing Longtan.
    park1 = parks["PARK-01"]
    if not isinstance(park1, Polygon):
        raise RuntimeError("PARK-01 is expected to be a single polygon")
    school_pt = _near_point(rng, park1, 150.0, Point(7000, 5200), _Obstacles(p.geom for p in plants))
    situations["school_near_park"] = add("school", school_pt)
    # Sensitive targets right next to three old urban plants (situation 1).
    urban = [p for p in plants if "urban_old_plant" in p.tags]
    near = (("kindergarten", 130.0), ("school", 200.0), ("hospital", 260.0))  # offsets in metres
    for plant, (kind, off) in zip(urban[:3], near, strict=True):
        situations[f"near_{kind}"] = add(kind, _near_point(rng, plant.geom, off, None, blocked))
    # The park administration office inside PARK-01 (between plants).
    for _ in range(5000):
        x, y = rng.uniform(park1.bounds[0], park1.bounds[2]), rng.uniform(park1.bounds[1], park1.bounds[3])
        pt = Point(x, y)
        if park1.buffer(-100).contains(pt) and not any(p.geom.buffer(40).contains(pt) for p in plants):
            counters["office"] = len(_TARGET_NAMES["office"]) - 1  # the 管委会 name
            situations["park_office"] = add("office", pt, population=int(rng.integers(80, 200)))
            counters["office"] = 0
            break

    rural = {"prison", "military", "cultural_relic"}
    for kind, (count, n_poly, _, size) in _TARGET_KINDS.items():
        have = sum(1 for t in targets if t["kind"] == kind)
        for i in range(have, count):
            as_poly = i < n_poly
            for _attempt in range(50000):
                x = float(rng.uniform(-15000, 15000))
                y = float(rng.uniform(-13000, 17000))
                d = float(urban_density(np.array(x), np.array(y)))
                # Prisons, barracks and relics on the outskirts; the rest where people live.
                ok = (0.04 < d < 0.35 and rng.random() < 0.5) if kind in rural else rng.random() < d**1.3
                if not ok:
                    continue
                if as_poly:
                    w = float(rng.uniform(*size))
                    h = w * float(rng.uniform(0.6, 1.0))
                    geom: BaseGeometry = rotated_rectangle(Point(x, y), w, h, float(rng.uniform(-20, 20)))
                else:
                    geom = Point(x, y)
                if blocked.hits(geom.buffer(20)):
                    continue
                add(kind, geom)
                break
            else:
                raise RuntimeError(f"could not place protection target {kind}")
    # Explicit categories on about 20 targets; the service derives the rest.
    explicit = {
        "school": "high_sensitive", "hospital": "high_sensitive", "nursing_home": "high_sensitive",
        "government_office": "important", "cultural_relic": "important", "station": "general_1",
        "mall": "general_1", "office": "general_2", "hotel": "general_2", "market": "general_2",
        "factory": "general_3", "other": "general_3",
    }
    idx = [i for i, t in enumerate(targets) if t["kind"] in explicit]
    for i in rng.choice(idx, size=20, replace=False):
        targets[int(i)]["category"] = explicit[targets[int(i)]["kind"]]
    return targets, situations


# --- residential areas --------------------------------------------------------------------------


def _residential(
    rng: np.random.Generator,
    river: Polygon,
    parks: dict[str, BaseGeometry],
    plants: list[_Plant],
    targets: list[dict],
) -> list[dict]:
    """Return non-overlapping residential blocks (local metres) with population (people)."""
    excl = _Obstacles([river.buffer(40), *(p.buffer(150) for p in parks.values())])
    for p in plants:
        if p.park_id is None:
            excl.add(p.geom.buffer(40.0 if p.zone in ("urban", "edge") else 100.0))
    for t in targets:
        if not isinstance(t["geometry"], Point):
            excl.add(t["geometry"].buffer(15))

    # Street grid of 300 m cells aligned with the river (rotated by _GRID_ANGLE_DEG).
    cell = 300.0
    theta = math.radians(_GRID_ANGLE_DEG)
    us = np.arange(-24000.0, 24000.0, cell)
    gu, gv = np.meshgrid(us, us)
    cu, cv = gu + cell / 2, gv + cell / 2
    cx = cu * math.cos(theta) - cv * math.sin(theta)
    cy = cu * math.sin(theta) + cv * math.cos(theta)
    d = urban_density(cx, cy)
    inside = (np.abs(cx) < 16500) & (cy > -14500) & (cy < 19500)
    keep_p = np.where(inside, np.clip((d - 0.14) / 0.36, 0.0, 1.0), 0.0)
    keep = rng.random(d.shape) < keep_p
    blocks: list[dict] = []
    for x0, y0, dv in zip(gu[keep], gv[keep], d[keep], strict=True):
        cell_box = box(x0, y0, x0 + cell, y0 + cell)
        if dv > 0.55 and rng.random() < 0.45:
            if rng.random() < 0.5:
                parts = [box(x0, y0, x0 + cell / 2, y0 + cell), box(x0 + cell / 2, y0, x0 + cell, y0 + cell)]
            else:
                parts = [box(x0, y0, x0 + cell, y0 + cell / 2), box(x0, y0 + cell / 2, x0 + cell, y0 + cell)]
        else:
            parts = [cell_box]
        for part in parts:
            geom = affinity.rotate(_block_in(rng, part, float(dv)), _GRID_ANGLE_DEG, origin=(0.0, 0.0))
            geom = excl.clip(geom)
            poly = largest_part(geom)
            if poly is None or poly.area < 2500.0:
                continue
            poly = shapely.normalize(poly.simplify(0.5))
            if not poly.is_valid or poly.is_empty:
                continue
            dens_km2 = (2500.0 + 30000.0 * float(dv) ** 1.3) * float(rng.lognormal(0.0, 0.25))
            blocks.append({"geometry": poly, "pop": poly.area / 1e6 * dens_km2, "village": None})
    urban_total = sum(b["pop"] for b in blocks)

    # Villages: small clusters of blocks 7-19 km from the centre.
    taken = _Obstacles(b["geometry"].buffer(20) for b in blocks)
    village_blocks: list[dict] = []
    # A hamlet of 50-95 people 250-450 m from each rural plant, so that the GB 18218
    # exposed-population factor alpha takes its middle values (1.0 / 1.2 / 1.5) there.
    for p in plants:
        if p.zone != "rural":
            continue
        for _try in range(20):
            pt = _near_point(rng, p.geom, float(rng.uniform(250, 450)), None, excl)
            side = float(rng.uniform(70, 110))
            depth = side * float(rng.uniform(0.7, 1.0))
            geom = rotated_rectangle(pt, side, depth, float(rng.uniform(-30, 30)))
            if not excl.hits(geom) and not taken.hits(geom):
                village_blocks.append(
                    {"geometry": shapely.normalize(geom), "pop": float(rng.integers(50, 96)),
                     "village": _names.village_group_name(_names.village_name(rng), 0)}
                )
                taken.add(geom.buffer(20))
                break
    n_villages = 0
    while n_villages < 45:
        r = float(rng.uniform(7000, 19000))
        a = float(rng.uniform(0, 2 * math.pi))
        cx, cy = r * math.cos(a), r * math.sin(a) * 0.9 + 2500
        centre = Point(cx, cy)
        if excl.hits(centre.buffer(500)) or taken.hits(centre.buffer(500)):
            continue
        name = _names.village_name(rng)
        n_groups = int(rng.integers(3, 11))
        k = 0
        for gi in range(-2, 3):
            for gj in range(-2, 3):
                if k >= n_groups or rng.random() < 0.35:
                    continue
                c0 = box(cx + gi * 160 - 80, cy + gj * 160 - 80, cx + gi * 160 + 80, cy + gj * 160 + 80)
                geom = largest_part(excl.clip(_block_in(rng, c0, 0.0)))
                if geom is None or geom.area < 1500 or taken.hits(geom):
                    continue
                village_blocks.append(
                    {"geometry": shapely.normalize(geom), "pop": float(rng.integers(50, 400)),
                     "village": _names.village_group_name(name, k)}
                )
                k += 1
        if k:
            n_villages += 1
            taken.add(centre.buffer(700))
    village_total = sum(b["pop"] for b in village_blocks)
    factor = (_TARGET_POPULATION - village_total) / urban_total
    out: list[dict] = []
    seen: dict[str, int] = {}
    for b in blocks:
        pop = int(np.clip(round(b["pop"] * factor), 50, 5000))
        name = _names.community_name(rng)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:  # same estate name again: a later phase (期)
            name = f"{name}{_cn_number(seen[name])}期"
        out.append({"name": name, "population": pop, "geometry": b["geometry"]})
    for b in village_blocks:
        out.append({"name": b["village"], "population": int(b["pop"]), "geometry": b["geometry"]})
    for i, b in enumerate(out):
        b["id"] = f"RA-{i + 1:05d}"
        b["households"] = int(round(b["population"] / float(rng.uniform(2.4, 2.8))))
    return out


def _block_in(rng: np.random.Generator, cell_box: Polygon, d: float) -> Polygon:
    """A block inside ``cell_box`` with street margins, slightly rotated, clipped to the cell."""
    minx, miny, maxx, maxy = cell_box.bounds
    scale = 0.55 + 0.4 * min(d, 1.0) if d > 0 else float(rng.uniform(0.45, 0.8))
    w, h = (maxx - minx) * scale, (maxy - miny) * scale
    w *= float(rng.uniform(0.8, 1.0))
    h *= float(rng.uniform(0.8, 1.0))
    cx = float(rng.uniform(minx + w / 2 + 8, maxx - w / 2 - 8)) if maxx - minx > w + 16 else (minx + maxx) / 2
    cy = float(rng.uniform(miny + h / 2 + 8, maxy - h / 2 - 8)) if maxy - miny > h + 16 else (miny + maxy) / 2
    rect = rotated_rectangle(Point(cx, cy), w, h, float(rng.uniform(-8, 8)))
    inner = box(minx + 8, miny + 8, maxx - 8, maxy - 8)
    return rect.intersection(inner)


# --- assembly -----------------------------------------------------------------------------------


def _to_output(geoms: list[BaseGeometry], origin: tuple[float, float]) -> gpd.GeoSeries:
    """Shift local metres to EPSG:4551 and convert to EPSG:4490."""
    ox, oy = origin
    shifted = [shapely.transform(g, lambda c: c + np.array([ox, oy])) for g in geoms]
    return gpd.GeoSeries(shifted, crs=WORK_CRS).to_crs(OUTPUT_CRS)


def _people_within_500m(plants: list[_Plant], residential: list[dict]) -> list[float]:
    """Residents (people) within 500 m outside each plant boundary, area-weighted."""
    geoms = [r["geometry"] for r in residential]
    tree = STRtree(geoms)
    out = []
    for p in plants:
        ring = p.geom.buffer(500.0).difference(p.geom)
        total = 0.0
        for i in tree.query(ring, predicate="intersects"):
            g = geoms[int(i)]
            total += residential[int(i)]["population"] * g.intersection(ring).area / g.area
        out.append(total)
    return out


def _alpha(people: float) -> float:
    """GB 18218-2018 Table 5: alpha from the residents (people) within 500 m of the plant."""
    n = int(round(people))
    if n >= 100:
        return 2.0
    if n >= 50:
        return 1.5
    if n >= 30:
        return 1.2
    if n >= 1:
        return 1.0
    return 0.5


def _admin_areas(origin: tuple[float, float]) -> gpd.GeoDataFrame:
    """The synthetic districts: wedges of a disc around the city centre (local metres → EPSG:4490)."""
    geoms = []
    for _, _, (a0, a1) in _ADMIN_AREAS:
        angles = np.radians(np.linspace(a0, a1, 64))
        ring = [(0.0, 0.0), *zip(_ADMIN_RADIUS_M * np.cos(angles), _ADMIN_RADIUS_M * np.sin(angles), strict=True)]
        geoms.append(Polygon(ring))
    return gpd.GeoDataFrame(
        pd.DataFrame({"code": [c for c, _, _ in _ADMIN_AREAS], "name": [n for _, n, _ in _ADMIN_AREAS],
                      "level": "county"}),
        geometry=_to_output(geoms, origin),
    )


def _risk_scores(seed: int, plants: list[_Plant]) -> list[float]:
    """Official diagnosis scores for some operating plants (NaN elsewhere), from their own generator."""
    rng = np.random.default_rng(seed + 19)  # 应急〔2018〕19号
    out = []
    for p in plants:
        share = _SCORE_SHARE[0] if p.park_id else _SCORE_SHARE[1]
        if p.status == "operating" and rng.random() < share:
            out.append(float(round(rng.uniform(45.0, 98.0), 1)))
        else:
            out.append(float("nan"))
    return out


# Relocation inputs of the parks (issue 14; invented): both recognised, graded under the 2023 guideline,
# with some free land and the GB/T 4754 industries they take (25 refining/coking, 26 chemicals, 27 pharma,
# 28 chemical fibres).
_PARK_RELOCATION: dict[str, dict] = {
    "PARK-01": {"recognised": True, "free_area_ha": 40.0, "grade_edition": "2023", "industry_codes": "25,26"},
    "PARK-02": {"recognised": True, "free_area_ha": 25.0, "grade_edition": "2023", "industry_codes": "26,27,28"},
}


def _relocation_inputs(plants: list[_Plant]) -> dict[str, list]:
    """The enterprises' relocation inputs (issue 14), derived without random draws (invented, not a standard):
    ``size_class`` from the plant's area (≥ 50 ha large, ≥ 10 ha medium, ≥ 3 ha small, else micro);
    ``site_area_ha`` (land needed in a park) = the plant's area for plants outside the parks;
    ``major_hazard_open`` on the first old urban pesticide plant; ``capacity_restricted`` on none."""
    size, land, open_hazard = [], [], []
    flagged = False
    for p in plants:
        ha = p.geom.area / 10_000.0
        size.append("large" if ha >= 50 else "medium" if ha >= 10 else "small" if ha >= 3 else "micro")
        land.append(round(ha, 1) if p.park_id is None else float("nan"))
        hit = not flagged and p.archetype.key == "urban_pesticide" and "urban_old_plant" in p.tags
        flagged = flagged or hit
        open_hazard.append(hit)
    return {"size_class": size, "major_hazard_open": open_hazard, "capacity_restricted": [False] * len(plants),
            "site_area_ha": land}


# --- sensors (issue 15) ----------------------------------------------------------------------
_TANKS = ("atmospheric_tank", "pressure_vessel", "refrigerated_tank")


def _sensor(sid: str, uid: str, quantity: str, uom: str, lo: float, hi: float, ll: float | None, low: float | None,
            h: float | None, hh: float | None, deadband: float, on_s: float, off_s: float, rate: float | None) -> dict:
    return {"id": sid, "unit_id": uid, "quantity": quantity, "uom": uom, "range_lo": lo, "range_hi": hi,
            "ll": ll, "l": low, "h": h, "hh": hh, "deadband": deadband, "on_delay_s": on_s, "off_delay_s": off_s,
            "rate_limit": rate, "silent_after_s": 300.0}


def _sensors(units: list[dict], unit_ids: list[str]) -> pd.DataFrame:
    """Monitoring points per AQ 3035-2010 as docs/standards/aq3035-2010.md §2 summarises it; no random draws.

    Storage tanks: level (%), temperature (°C) and pressure (kPa for atmospheric tanks, else MPa); process
    vessels: temperature and pressure; every unit holding a flammable (甲/乙 class, not solid) substance a
    flammable-gas detector (H 20 / HH 40 %LEL, inside GB/T 50493-2019's ≤ 25 / ≤ 50 %LEL, §3.1), and every
    unit holding a toxic gas (GB 18218 Table 3 β ≥ 2) a toxic-gas detector (H 20 / HH 40 ppm, a CHOICE).
    Limits sit around the unit's operating temperature and pressure.
    """
    rows: list[dict] = []
    for u, uid in zip(units, unit_ids, strict=True):
        eq = u["equipment"]
        t = float(u["operating_temperature_c"] or 20.0)
        p = float(u["operating_pressure_mpa"] or 0.0)
        if eq in _TANKS:
            rows.append(_sensor(f"{uid}-LT", uid, "level", "%", 0.0, 100.0, 5.0, 10.0, 85.0, 90.0, 1.0, 5.0, 10.0, 5.0))
        if eq in _TANKS or eq == "process_vessel":
            lo, hi = min(-50.0, round(t - 50.0)), max(150.0, round(t + 100.0))
            rows.append(_sensor(f"{uid}-TT", uid, "temperature", "°C", lo, hi, None, None, round(t + 20.0, 1),
                                round(t + 30.0, 1), 0.5, 10.0, 10.0, 2.0))
            if eq == "atmospheric_tank":  # breathing-valve range, kPa gauge
                rows.append(_sensor(f"{uid}-PT", uid, "pressure", "kPa", -2.0, 10.0, -0.5, -0.3, 1.5, 2.0, 0.1, 5.0,
                                    10.0, None))
            else:
                op = max(p, 0.1)
                rows.append(_sensor(f"{uid}-PT", uid, "pressure", "MPa", 0.0, max(1.6, round(2.0 * op, 1)), None,
                                    None, round(1.1 * op, 3), round(1.2 * op, 3), round(0.02 * op, 4), 5.0, 10.0,
                                    None))
        keys = [CHEMICALS[r["key"]] for r in u["rows"]]
        if any(c.fire_class in ("甲", "乙") and c.phase != SOLID for c in keys):
            rows.append(_sensor(f"{uid}-GF", uid, "flammable_gas", "%LEL", 0.0, 100.0, None, None, 20.0, 40.0, 2.0,
                                3.0, 10.0, None))
        if any(c.beta >= 2 and c.phase != SOLID for c in keys):
            rows.append(_sensor(f"{uid}-GT", uid, "toxic_gas", "ppm", 0.0, 100.0, None, None, 20.0, 40.0, 2.0, 3.0,
                                10.0, None))
    return pd.DataFrame(rows).astype({c: "float64" for c in ("ll", "l", "h", "hh", "rate_limit")})


def generate_city(seed: int = DEFAULT_SEED) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """Generate the synthetic Jilin City layers.

    Parameters
    ----------
    seed
        Seed of the numpy random generator; the same seed gives identical layers.

    Returns
    -------
    dict
        Layer name -> GeoDataFrame in EPSG:4490 (lon/lat degrees), except ``inventory``,
        a plain DataFrame. Quantities are in tonnes (``max_quantity_t``), distances in metres
        (``*_m``), temperatures in °C, pressures in MPa gauge and populations in people.
        ``attrs["situations"]`` on ``enterprises`` lists the ids of the built-in situations
        (see README.md); ``attrs["summary"]`` the expected GB 18218 grade of each unit
        (alpha from area-weighted residents within 500 m of the plant boundary).
    """
    rng = np.random.default_rng(seed)
    origin = Transformer.from_crs(OUTPUT_CRS, WORK_CRS, always_xy=True).transform(CENTRE_LON, CENTRE_LAT)
    river = river_band()
    parks = park_outlines(river)

    plants = _park_plants(rng, parks)
    taken = _Obstacles(p.geom for p in plants)
    plants += _outside_plants(rng, river, parks, taken)
    _assign_status(rng, plants)

    units, unit_geoms = _hazard_units(rng, plants)
    _declare_distances(rng, units)
    targets, situations = _protection_targets(rng, river, parks, plants)
    residential = _residential(rng, river, parks, plants, targets)

    # --- enterprises
    used_names: set[str] = set()
    used_uscc: set[str] = set()
    ent_rows = []
    for i, p in enumerate(plants):
        suffix = p.archetype.suffixes[int(rng.integers(len(p.archetype.suffixes)))]
        if p.archetype.key == "water_works":
            n_works = sum(1 for r in ent_rows if r["industry_code"] == "4610") + 1
            name = f"吉林市水务集团有限公司第{_cn_number(n_works)}水厂"
        else:
            name = _names.enterprise_name(rng, suffix, used_names)
        admin = _ADMIN_CODES[p.park_id]
        ent_rows.append(
            {
                "id": f"ENT-{i + 1:04d}",
                "name": name,
                "uscc": _make_uscc(rng, admin[int(rng.integers(len(admin)))], used_uscc),
                "industry_code": p.archetype.industry_code,
                "park_id": p.park_id,
                "status": p.status,
            }
        )
    enterprises = gpd.GeoDataFrame(
        pd.DataFrame(ent_rows).astype({"park_id": "object"}),
        geometry=_to_output([p.geom for p in plants], origin),
    )
    enterprises["risk_score"] = _risk_scores(seed, plants)
    for col, values in _relocation_inputs(plants).items():  # issue 14; no random draws: other layers unchanged
        enterprises[col] = values

    # --- hazard units and inventory
    hu_rows, inv_rows = [], []
    for j, u in enumerate(units):
        uid = f"HU-{j + 1:04d}"
        hu_rows.append(
            {
                "id": uid,
                "enterprise_id": ent_rows[u["p_idx"]]["id"],
                **{k: u[k] for k in (
                    "name", "unit_type", "equipment", "containment", "fire_class", "special_process",
                    "operating_temperature_c", "operating_pressure_mpa", "safety_distance_m", *_CLASS_COLUMNS,
                )},
            }
        )
        for r in u["rows"]:
            chem = CHEMICALS[r["key"]]
            name = chem.name
            if chem.alias and rng.random() < 0.12:
                name = chem.alias
            # table1_seq on about half of the Table 1 rows; always where one CAS covers several rows.
            seq = chem.seq if chem.seq is not None and (r["key"] == "AN" or rng.random() < 0.5) else None
            inv_rows.append(
                {
                    "unit_id": uid,
                    "chemical": name,
                    "cas": chem.cas,
                    "max_quantity_t": r["max_quantity_t"],
                    "table1_seq": seq,
                    "hazard_categories": chem.hazard_codes,
                    "state": r["state"],
                    "temperature_c": r["temperature_c"],
                    "pressure_mpa": r["pressure_mpa"],
                    **_vessels(r["key"], u["equipment"], r["max_quantity_t"]),
                }
            )
    hazard_units = gpd.GeoDataFrame(pd.DataFrame(hu_rows), geometry=_to_output(unit_geoms, origin))
    hazard_units["special_process"] = hazard_units["special_process"].astype(bool)
    inventory = pd.DataFrame(inv_rows)
    inventory["table1_seq"] = inventory["table1_seq"].astype("Int64")
    inventory["vessel_count"] = inventory["vessel_count"].astype("Int64")
    inventory["vessel_capacity_t"] = inventory["vessel_capacity_t"].astype("float64")
    inventory["hazard_categories"] = inventory["hazard_categories"].astype("object")

    # --- parks
    park_rows, park_geoms = [], []
    for park_id, spec in _PARKS.items():
        geom = parks[park_id]
        line = None
        if park_id == "PARK-01":
            ctl = _to_output([geom.buffer(800.0, quad_segs=4).simplify(5.0)], origin).iloc[0]
            line = shapely.to_wkt(ctl, rounding_precision=7)
        park_rows.append(
            {"id": park_id, "name": spec["name"], "level": spec["level"], "risk_grade": spec["risk_grade"],
             "safety_control_line_wkt": line, **_PARK_RELOCATION[park_id]}
        )
        park_geoms.append(geom)
    chemical_parks = gpd.GeoDataFrame(pd.DataFrame(park_rows), geometry=_to_output(park_geoms, origin))

    residential_areas = gpd.GeoDataFrame(
        pd.DataFrame([{k: r[k] for k in ("id", "name", "population", "households")} for r in residential]),
        geometry=_to_output([r["geometry"] for r in residential], origin),
    )
    protection_targets = gpd.GeoDataFrame(
        pd.DataFrame([{k: t[k] for k in ("id", "name", "kind", "category", "population")} for t in targets]),
        geometry=_to_output([t["geometry"] for t in targets], origin),
    )
    for df in (residential_areas, protection_targets):
        for col in ("population", "households"):
            if col in df:
                df[col] = df[col].astype("int64")

    # --- built-in situations (ids) and expected grading summary
    people = _people_within_500m(plants, residential)
    situations_out = {
        "urban_old_plants": [ent_rows[i]["id"] for i, p in enumerate(plants) if "urban_old_plant" in p.tags],
        "planned": [ent_rows[i]["id"] for i, p in enumerate(plants) if p.status == "planned"],
        "suspended": [ent_rows[i]["id"] for i, p in enumerate(plants) if p.status == "suspended"],
        "closed": [ent_rows[i]["id"] for i, p in enumerate(plants) if p.status == "closed"],
        **situations,
    }
    grades = []
    for u in units:
        s, bs, _ = _unit_s(u["rows"])
        r_val = _alpha(people[u["p_idx"]]) * bs
        grades.append(0 if s < 1 else 1 if r_val >= 100 else 2 if r_val >= 50 else 3 if r_val >= 10 else 4)
    enterprises.attrs["situations"] = situations_out
    enterprises.attrs["summary"] = {
        "units_by_expected_grade": {
            "not_major": grades.count(0), **{f"grade_{g}": grades.count(g) for g in range(1, 5)}
        },
        "people_within_500m_of_urban_old_plants": {
            ent_rows[i]["id"]: round(people[i]) for i, p in enumerate(plants) if "urban_old_plant" in p.tags
        },
    }
    return {
        "enterprises": enterprises,
        "hazard_units": hazard_units,
        "inventory": inventory,
        "chemical_parks": chemical_parks,
        "residential_areas": residential_areas,
        "protection_targets": protection_targets,
        "admin_areas": _admin_areas(origin),
        "sensors": _sensors(units, [r["id"] for r in hu_rows]),
    }


def write_city(layers: dict[str, gpd.GeoDataFrame | pd.DataFrame], path: str | Path) -> Path:
    """Write ``layers`` to a new GeoPackage 1.2 at ``path`` (an existing file is replaced)."""
    path = Path(path)
    if path.exists():
        path.unlink()
    first = True
    for name in LAYER_NAMES:
        frame = layers[name]
        opts = {"VERSION": "1.2"} if first else {}
        if isinstance(frame, gpd.GeoDataFrame):
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", **opts)
        else:
            pyogrio.write_dataframe(pd.DataFrame(frame), path, layer=name, driver="GPKG", **opts)
        first = False
    return path


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="sample_geo/jilin_city.gpkg", help="output GeoPackage path")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    layers = generate_city(args.seed)
    path = write_city(layers, args.out)
    for name in LAYER_NAMES:
        print(f"{name}: {len(layers[name])} rows")
    print(f"total population: {int(layers['residential_areas']['population'].sum())} people")
    for group in ("situations", "summary"):
        for key, val in layers["enterprises"].attrs[group].items():
            print(f"{key}: {val}")
    print(f"written {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
