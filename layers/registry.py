"""The layer registry: one entry per map layer (title, source table, fields, zoom range, style).

Adding a layer is one entry here; the API's layer list, GeoJSON endpoints and the web map read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from layers.palette import HAZARD_GRADE_COLOURS, TARGET_CLASS_COLOURS

__all__ = ["Style", "LayerDef", "REGISTRY", "get_layer"]


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
class LayerDef:
    """A map layer. ``fields`` are the public properties served; ``popup`` the ones a popup shows."""

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
        }


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
        ),
        LayerDef(
            "hazard_sources", "重大危险源（按级别）", "Major hazard sources by grade", "hazard_sources_map", "mixed",
            ("id", "name", "enterprise_name", "unit_type", "register", "grade", "r", "main_substances",
             "safety_distance_m", "approximate"),
            ("enterprise_name", "name", "grade", "r", "main_substances", "safety_distance_m", "register"),
            Style(fill="#b30000", stroke="#400000", fill_opacity=0.9, weight=1.0, radius_px=5, classify_by="grade",
                  marker_below_zoom=14,
                  classes={str(g): v for g, v in HAZARD_GRADE_COLOURS.items()}),
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
        ),
    )
}


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
