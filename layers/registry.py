"""The layer registry: one entry per map layer (title, source table, fields, zoom range, style).

Adding a layer is one entry here; the API's layer list, GeoJSON endpoints and the web map read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from geo_risk.analysis.hidden_dangers import COLOURS as HIDDEN_DANGER_RULE_COLOURS
from layers.palette import HAZARD_GRADE_COLOURS, IR_CONTOUR_COLOURS, RISK_COLOURS, TARGET_CLASS_COLOURS

__all__ = ["Style", "Aggregate", "LayerDef", "REGISTRY", "get_layer", "HEXAGONS_PER_TILE", "POPULATION_RAMP"]

#: Below a layer's minimum zoom its features are summed into hexagons: this many across a tile
#: (a 256-pixel tile → hexagons about 16 pixels across, whatever the zoom).
HEXAGONS_PER_TILE = 16

#: Sequential ramp for sums and counts per hexagon: (upper bound, colour); the last bound is open.
POPULATION_RAMP: tuple[tuple[float, str], ...] = (
    (100, "#edf8e9"), (1_000, "#bae4b3"), (5_000, "#74c476"), (20_000, "#31a354"), (float("inf"), "#006d2c"),
)
COUNT_RAMP: tuple[tuple[float, str], ...] = (
    (1, "#f2f0f7"), (5, "#cbc9e2"), (20, "#9e9ac8"), (100, "#756bb1"), (float("inf"), "#54278f"),
)


#: Severity of proximity conflicts in the four colours (红橙黄蓝), the service's classification
#: (geo_risk.analysis.conflicts: shortfall share or IR band): colour → (hex, 中文, English).
#: Relocation outcomes (geo_risk.analysis.relocation.OUTCOMES): a service suggestion, not the government's decision.
RELOCATION_OUTCOMES: dict[str, tuple[str, str, str]] = {
    "in_situ_upgrade": ("#1f78b4", "就地改造（建议）", "upgrade on site (suggested)"),
    "relocate_to_park": ("#ff7f00", "异地迁建：现址 → 园区（建议）", "relocate: site → park (suggested)"),
    "close_exit": ("#e31a1c", "关闭退出（建议）", "close and exit (suggested)"),
}
#: Enterprises with open hidden dangers (隐患排查治理): the register's colours, worst first (a service CHOICE).
HIDDEN_DANGER_COLOURS: dict[str, tuple[str, str, str]] = dict(HIDDEN_DANGER_RULE_COLOURS)
CONFLICT_COLOURS: dict[str, tuple[str, str, str]] = {
    colour: (RISK_COLOURS[level][0], f"{zh}（服务分级）", f"{en} (service classification)")
    for colour, level, zh, en in (("red", "major", "重大风险（红）", "Major risk (red)"),
                                  ("orange", "high", "较大风险（橙）", "Larger risk (orange)"),
                                  ("yellow", "moderate", "一般风险（黄）", "General risk (yellow)"),
                                  ("blue", "low", "低风险（蓝）", "Low risk (blue)"))
}


@dataclass(frozen=True)
class Style:
    """Leaflet-like style: colours as #rrggbb, opacities 0–1, weight in pixels.

    ``classify_by`` names a field whose values map to colours (``classes``: value → (colour,
    中文 label, English label)); features with other values use ``fill``.
    """

    fill: str
    stroke: str
    fill_opacity: float = 0.5
    weight: float = 1.0
    radius_px: float = 5.0  # for points
    marker_below_zoom: int | None = None  # below this zoom, polygons also get a marker (too small to see)
    classify_by: str | None = None
    classes: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "classes"}
        out["classes"] = {
            k: {"colour": c, "label_zh": zh, "label_en": en} for k, (c, zh, en) in self.classes.items()
        }
        return out


@dataclass(frozen=True)
class Aggregate:
    """How a layer is shown below its minimum zoom: features summed into hexagons, not thinned.

    Every hexagon carries ``count`` (features whose representative point falls in it) and
    ``value``: ``how`` ∈ {"count", "sum", "min"} of ``field`` (e.g. the sum of population, the
    worst — lowest-numbered — grade). Colours: ``ramp`` (upper bound, colour) for sums and counts,
    or the layer style's ``classes`` when ``how`` is "min" of the classified field.
    """

    how: str
    field: str | None
    label_zh: str
    label_en: str
    ramp: tuple[tuple[float, str], ...] = COUNT_RAMP

    def as_dict(self) -> dict[str, object]:
        return {
            "how": self.how,
            "field": self.field,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "ramp": [[None if b == float("inf") else b, c] for b, c in self.ramp],
            "hexagons_per_tile": HEXAGONS_PER_TILE,
        }


@dataclass(frozen=True)
class LayerDef:
    """A map layer. ``fields`` are the properties served (and queryable); ``popup`` those a popup shows.

    ``tier`` is who may see the layer at all (``public`` or ``restricted``: analyst and above; see
    api.access). At and above ``min_zoom`` a tile or page holds every feature that intersects it;
    below it the layer is served as ``aggregate`` hexagons (or not at all when that is None).
    ``time_field`` is the temporal property OGC API ``datetime`` filters on. ``history_table``: for
    a layer of computed results, the view that also holds results whose inputs changed since
    (``current`` false); ``table`` holds the current ones only, and every path (items, tiles,
    exports) reads it unless a caller asks for history (:meth:`source`). ``daily``: its values depend on
    today's date (items overdue), so cached tiles are keyed by the date as well as the data version.
    """

    id: str
    title_zh: str
    title_en: str
    table: str
    geometry: str  # "polygon", "point" or "mixed"
    fields: tuple[str, ...]
    popup: tuple[str, ...]
    style: Style
    tier: str = "public"
    min_zoom: int = 0
    max_zoom: int = 22
    visible: bool = True
    aggregate: Aggregate | None = None
    time_field: str | None = "updated_at"
    history_table: str | None = None
    daily: bool = False

    def source(self, include_history: bool = False) -> str:
        """The table or view to read: with ``include_history``, the history view when the layer has one."""
        return self.history_table if include_history and self.history_table else self.table

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "geometry": self.geometry,
            "fields": list(self.fields),
            "popup": list(self.popup),
            "style": self.style.as_dict(),
            "tier": self.tier,
            "min_zoom": self.min_zoom,
            "max_zoom": self.max_zoom,
            "visible": self.visible,
            "aggregate": self.aggregate.as_dict() if self.aggregate else None,
            "time_field": self.time_field,
        }


def four_colour_classes(note_zh: str = "服务分级", note_en: str = "service classification"
                        ) -> dict[str, tuple[str, str, str]]:
    """The four risk colours (红橙黄蓝) as style classes keyed by colour code, each label saying its basis."""
    from geo_risk.analysis.colours import COLOURS
    from layers.palette import RISK_COLOURS

    hexes = dict(zip(COLOURS, (v[0] for v in RISK_COLOURS.values()), strict=True))  # same order: worst first
    return {c: (hexes[c], f"{zh}（{note_zh}）", f"{en} ({note_en})") for c, (_, zh, en) in COLOURS.items()}


REGISTRY: dict[str, LayerDef] = {
    d.id: d
    for d in (
        LayerDef(
            "chemical_parks",
            "化工园区",
            "Chemical parks",
            "chemical_parks",
            "polygon",
            ("id", "name", "level", "risk_grade"),
            ("name", "level", "risk_grade"),
            Style(fill="#9c27b0", stroke="#6a1b9a", fill_opacity=0.12, weight=2.5),
        ),
        LayerDef(
            "residential_areas",
            "居民区",
            "Residential areas",
            "residential_areas",
            "polygon",
            ("id", "name", "population", "households", "category"),
            ("name", "population", "households"),
            Style(fill="#8bc34a", stroke="#558b2f", fill_opacity=0.45, weight=0.5),
            min_zoom=12,
            aggregate=Aggregate("sum", "population", "人口（每六边形）", "Population per hexagon", POPULATION_RAMP),
        ),
        LayerDef(
            "enterprises",
            "企业",
            "Enterprises",
            "enterprises",
            "mixed",
            ("id", "name", "uscc", "industry_code", "park_id", "status"),
            ("name", "status", "industry_code", "park_id"),
            Style(
                fill="#607d8b",
                stroke="#263238",
                fill_opacity=0.35,
                weight=1.5,
                classify_by="status",
                classes={
                    "operating": ("#607d8b", "在产", "Operating"),
                    "suspended": ("#ffb300", "停产", "Suspended"),
                    "closed": ("#bdbdbd", "关闭", "Closed"),
                    "planned": ("#00acc1", "拟建", "Planned"),
                },
            ),
            min_zoom=10,
            aggregate=Aggregate("count", None, "企业数", "Enterprises per hexagon"),
        ),
        LayerDef(
            "hazard_units",
            "危险化学品单元",
            "Hazard units",
            "hazard_units",
            "mixed",
            ("id", "enterprise_id", "name", "unit_type", "equipment", "fire_class", "safety_distance_m"),
            ("name", "enterprise_id", "unit_type", "equipment", "fire_class", "safety_distance_m"),
            Style(fill="#9aa5b1", stroke="#3e4a59", fill_opacity=0.7, weight=1.0),
            min_zoom=12,
            aggregate=Aggregate("count", None, "单元数", "Hazard units per hexagon"),
        ),
        LayerDef(
            "hazard_sources", "重大危险源（按级别）", "Major hazard sources by grade", "hazard_sources_map", "mixed",
            ("id", "name", "enterprise_id", "enterprise_name", "unit_type", "register", "register_label", "grade", "r",
             "main_substances", "safety_distance_m", "approximate"),
            ("enterprise_name", "name", "grade", "r", "main_substances", "safety_distance_m", "register"),
            Style(fill="#b30000", stroke="#400000", fill_opacity=0.9, weight=1.0, radius_px=5, classify_by="grade",
                  marker_below_zoom=14,
                  classes={str(g): v for g, v in HAZARD_GRADE_COLOURS.items()}),
            min_zoom=8,
            aggregate=Aggregate("min", "grade", "最高级别", "Highest grade per hexagon"),
            time_field="computed_at",
        ),
        LayerDef(
            "protection_targets",
            "防护目标",
            "Protection targets",
            "protection_targets",
            "mixed",
            ("id", "name", "kind", "category", "population"),
            ("name", "kind", "category", "population"),
            Style(
                fill="#c2185b",
                stroke="#880e4f",
                fill_opacity=0.9,
                weight=1.0,
                radius_px=4,
                classify_by="category",
                classes=TARGET_CLASS_COLOURS,
            ),
            min_zoom=10,
            aggregate=Aggregate("count", None, "防护目标数", "Protection targets per hexagon"),
        ),
        LayerDef(
            "risk_contours",
            "个人风险等值线",
            "Individual-risk contours",
            "risk_contours_map",
            "polygon",
            ("id", "scope", "scope_id", "enterprise_name", "level_per_year", "level_label", "target_classes",
             "criteria", "model_version", "current"),
            ("enterprise_name", "level_label", "target_classes", "criteria", "model_version", "current"),
            Style(fill="#ef8a62", stroke="#67001f", fill_opacity=0.25, weight=1.5, classify_by="level_label",
                  classes=IR_CONTOUR_COLOURS),
            min_zoom=0,
            time_field="computed_at",
            history_table="risk_contours_history",
        ),
        LayerDef(
            "conflicts", "邻近冲突（服务分级）", "Proximity conflicts (service classification)", "conflicts_map",
            "line",
            ("id", "rule", "rule_label", "view", "unit_id", "unit_name", "enterprise_id", "enterprise_name", "park_id",
             "target_id", "target_name", "target_class", "class_label", "criteria", "actual_distance_m",
             "required_distance_m", "shortfall_m", "ir_per_year", "criterion_per_year", "ir_ratio",
             "cumulative_ir_per_year", "people_affected", "colour", "colour_label", "basis", "admin_code", "current"),
            ("rule_label", "enterprise_name", "unit_name", "target_name", "class_label", "actual_distance_m",
             "required_distance_m", "shortfall_m", "ir_per_year", "criterion_per_year", "ir_ratio",
             "cumulative_ir_per_year", "people_affected", "colour_label"),
            Style(fill="#e60000", stroke="#7f0000", fill_opacity=0.9, weight=2.5, classify_by="colour",
                  classes=CONFLICT_COLOURS),
            min_zoom=0,
            time_field="computed_at",
        ),
        LayerDef(
            "conflict_targets", "冲突防护目标（服务分级）", "Targets in conflict (service classification)",
            "conflict_targets_map", "mixed",
            ("id", "target_name", "target_layer", "target_kind", "target_class", "class_label", "population",
             "conflicts", "rules", "enterprises", "people_affected", "max_shortfall_m", "max_ir_ratio",
             "cumulative_ir_per_year", "colour", "colour_label", "admin_code", "current"),
            ("target_name", "class_label", "population", "conflicts", "rules", "enterprises", "people_affected",
             "max_shortfall_m", "max_ir_ratio", "cumulative_ir_per_year", "colour_label"),
            Style(fill="#e60000", stroke="#263238", fill_opacity=0.75, weight=1.0, radius_px=6, classify_by="colour",
                  marker_below_zoom=14, classes=CONFLICT_COLOURS),
            min_zoom=0,
            time_field="computed_at",
        ),
        LayerDef(
            "relocation", "搬迁改造方案（服务建议）", "Relocation plan (service suggestion)", "relocation_map", "mixed",
            ("id", "enterprise_name", "outcome", "outcome_label", "park_id", "park_name", "decision_rule", "reason",
             "in_scope_reasons", "conflicts", "targets", "people_affected", "density_per_km2", "land_ha", "distance_km",
             "new_site_people", "new_site_targets", "upgrade_offered", "current"),
            ("enterprise_name", "outcome_label", "park_name", "reason", "conflicts", "people_affected", "land_ha",
             "distance_km", "new_site_people"),
            Style(fill="#6a3d9a", stroke="#263238", fill_opacity=0.9, weight=3.0, radius_px=7, classify_by="outcome",
                  classes=RELOCATION_OUTCOMES),
            min_zoom=0,
            visible=False,
            time_field="computed_at",
        ),
        LayerDef(
            "clusters", "联防联控集群（服务规则）", "Joint-prevention clusters (service rules)", "clusters_map",
            "polygon",
            ("id", "n_members", "members", "member_names", "n_links", "kinds", "lead_enterprise_id",
             "lead_enterprise_name", "lead_reason", "combined_r", "people", "worst_colour", "parks", "cross_park"),
            ("member_names", "n_members", "kinds", "lead_enterprise_name", "lead_reason", "combined_r", "people",
             "worst_colour", "parks", "cross_park"),
            Style(fill="#9e9e9e", stroke="#311b92", fill_opacity=0.3, weight=2.0, classify_by="worst_colour",
                  classes={c: (RISK_COLOURS[level][0], f"成员最高风险：{zh}", f"Worst member: {en}")
                           for c, level, zh, en in (("red", "major", "重大风险（红）", "major risk (red)"),
                                                    ("orange", "high", "较大风险（橙）", "larger risk (orange)"),
                                                    ("yellow", "moderate", "一般风险（黄）", "general risk (yellow)"),
                                                    ("blue", "low", "低风险（蓝）", "low risk (blue)"))}),
            min_zoom=0,
            time_field="computed_at",
        ),
        LayerDef(
            "cluster_links", "联防联控联系（服务规则）", "Joint-prevention links (service rules)", "cluster_links_map",
            "line",
            ("id", "cluster_id", "enterprise_a", "enterprise_a_name", "enterprise_b", "enterprise_b_name", "kind",
             "kind_label", "vector", "equipment_class", "threshold", "value_unit", "scenario", "distance_m", "weight",
             "cross_park", "evidence_count", "reason"),
            ("kind_label", "enterprise_a_name", "enterprise_b_name", "vector", "threshold", "value_unit", "distance_m",
             "cross_park", "reason"),
            Style(fill="#4a148c", stroke="#4a148c", fill_opacity=0.9, weight=1.5, classify_by="kind",
                  classes={
                      "domino": ("#b71c1c", "多米诺（物理，热辐射或超压达阈值）",
                                 "Domino (heat or overpressure at threshold)"),
                      "fallback": ("#ef6c00", "后备距离规则（无后果数据）",
                                   "Fallback distance rule (no consequence data)"),
                      "policy": ("#1565c0", "政策（位置相邻、行业相近、业态相似）",
                                 "Policy (adjacent, similar industry or form)"),
                  }),
            min_zoom=0,
            time_field="computed_at",
        ),
        LayerDef(
            "inventory",
            "危险化学品存量（受限）",
            "Chemical inventories (restricted)",
            "inventory_map",
            "mixed",
            ("id", "unit_id", "unit_name", "enterprise_id", "enterprise_name", "chemical", "cas",
             "max_quantity_t", "state", "temperature_c", "pressure_mpa", "vessel_count", "vessel_capacity_t"),
            ("enterprise_name", "unit_name", "chemical", "cas", "max_quantity_t", "state"),
            Style(fill="#6d4c41", stroke="#3e2723", fill_opacity=0.8, weight=1.0, radius_px=4),
            tier="restricted",
            min_zoom=12,
            visible=False,
            aggregate=Aggregate("count", None, "存量条目数", "Inventory items per hexagon"),
        ),
        # -- four-colour zoning and the risk heatmap (geo_risk/analysis/zoning.py; current results only)
        LayerDef(
            "risk_zones", "四色风险分区与热力图（服务分级）",
            "Four-colour risk zones and heatmap (service classification)", "risk_zones_map", "polygon",
            ("id", "resolution", "colour", "colour_label", "ir_max", "ir_colour", "raised_by", "r_heat", "population"),
            ("colour_label", "ir_max", "ir_colour", "raised_by", "r_heat", "population"),
            Style(fill="#1e6fd9", stroke="#ffffff", fill_opacity=0.45, weight=0.3, classify_by="colour",
                  classes=four_colour_classes()),
            visible=False,
            time_field="computed_at",
        ),
        LayerDef(
            "risk_zones_fine", "四色风险分区（细网格，服务分级）",
            "Four-colour risk zones, fine cells (service classification)", "risk_zones_fine_map", "polygon",
            ("id", "resolution", "colour", "colour_label", "ir_max", "ir_colour", "raised_by", "r_heat", "population"),
            ("colour_label", "ir_max", "ir_colour", "raised_by", "r_heat", "population"),
            Style(fill="#1e6fd9", stroke="#ffffff", fill_opacity=0.45, weight=0.3, classify_by="colour",
                  classes=four_colour_classes()),
            min_zoom=13,
            visible=False,
            time_field="computed_at",
        ),
        LayerDef(
            "risk_areas", "园区与行政区风险（最差单元格，服务分级）",
            "Parks and administrative areas by their worst cell (service classification)", "risk_areas_map", "polygon",
            ("id", "kind", "area_id", "name", "park_grade", "colour", "colour_label", "n_cells", "n_red", "n_orange",
             "n_yellow", "n_blue", "population"),
            ("name", "kind", "park_grade", "colour_label", "n_red", "n_orange", "n_yellow", "n_blue", "population"),
            Style(fill="#1e6fd9", stroke="#37474f", fill_opacity=0.08, weight=2.5, classify_by="colour",
                  classes=four_colour_classes("最差单元格，服务分级", "worst cell, service classification")),
            visible=False,
            time_field="computed_at",
        ),
        LayerDef(
            "risk_enterprises", "企业风险四色（官方或推算）", "Enterprise risk colours (official or derived)",
            "risk_enterprises_map", "mixed",
            ("id", "name", "park_id", "colour", "colour_label", "basis", "basis_label", "risk_score",
             "worst_unit_colour", "target_ir", "target_ir_colour", "reason"),
            ("name", "colour_label", "basis_label", "risk_score", "worst_unit_colour", "target_ir_colour", "reason"),
            Style(fill="#1e6fd9", stroke="#263238", fill_opacity=0.8, weight=1.0, radius_px=5, classify_by="colour",
                  marker_below_zoom=14, classes=four_colour_classes("官方19号评分或服务分级",
                                                                    "official 19号 score or service classification")),
            visible=False,
            time_field="computed_at",
        ),
        # -- the hidden-danger register (issue 15; geo_risk/analysis/hidden_dangers.py: the colours by hand)
        LayerDef(
            "hidden_dangers", "事故隐患（未销号，受限）", "Open hidden dangers (restricted)", "hidden_dangers_map",
            "mixed",
            ("id", "name", "n_open", "n_overdue", "n_major", "n_major_overdue", "n_supervised", "worst_level",
             "colour", "colour_label", "next_deadline"),
            ("name", "n_open", "n_overdue", "n_major", "n_major_overdue", "n_supervised", "next_deadline",
             "colour_label"),
            Style(fill="#1f78b4", stroke="#263238", fill_opacity=0.85, weight=1.5, radius_px=7, classify_by="colour",
                  marker_below_zoom=14, classes=HIDDEN_DANGER_COLOURS),
            tier="restricted",
            visible=False,
            daily=True,
        ),
        LayerDef(
            "hidden_dangers_public", "挂牌公示的重大事故隐患", "Publicly listed major hidden dangers",
            "hidden_dangers_public_map", "mixed",
            ("id", "name", "n_open", "n_overdue", "n_supervised", "worst_level", "colour", "colour_label",
             "next_deadline"),
            ("name", "n_open", "n_overdue", "n_supervised", "next_deadline", "colour_label"),
            Style(fill="#ff7f00", stroke="#263238", fill_opacity=0.85, weight=1.5, radius_px=7, classify_by="colour",
                  marker_below_zoom=14, classes={c: HIDDEN_DANGER_COLOURS[c] for c in ("red", "orange")}),
            visible=False,
            daily=True,
        ),
        LayerDef(
            "admin_areas", "行政区", "Administrative areas", "admin_areas", "polygon",
            ("id", "code", "name", "level"),
            ("name", "code", "level"),
            Style(fill="#607d8b", stroke="#455a64", fill_opacity=0.0, weight=1.5),
            visible=False,
        ),
    )
}

#: Layers anyone may read (no key); the others need an analyst key or above.
PUBLIC_LAYERS = tuple(d.id for d in REGISTRY.values() if d.tier == "public")


def get_layer(layer_id: str) -> LayerDef:
    """The registered layer ``layer_id``.

    Raises
    ------
    geo_risk.errors.NotFound
        Naming the registered layers.
    """
    from geo_risk.errors import NotFound

    try:
        return REGISTRY[layer_id]
    except KeyError:
        raise NotFound(f"no layer {layer_id!r}; layers: {', '.join(REGISTRY)}") from None
