"""QGIS styles (QML) and OGC SLD 1.1 of exported layers, built from the layer registry.

Pure functions: a :class:`~layers.registry.LayerDef` (and the field names as they are in the
exported file, since Shapefile names stop at 10 characters) in, an XML document out. Every colour
comes from the registry's :class:`~layers.registry.Style` (whose classes come from
``layers.palette``); none is typed here.

What the web map draws (``layers/static/map.js``) is what QGIS draws:

- polygons: a ``SimpleFill`` of the class colour with alpha ``fill_opacity`` (0–1 → 0–255 in the
  colour), outlined in ``stroke`` at full opacity, ``weight`` pixels wide;
- points: a ``SimpleMarker`` circle, ``2 × radius_px`` pixels across (Leaflet's radius is a
  radius, QGIS's size a diameter), filled and outlined as polygons are;
- lines (no registered layer has them yet): a ``SimpleLine`` of the class colour, ``weight`` px.

A classified layer (``classify_by``) gets a ``categorizedSymbol`` renderer with one category per
class, labelled "中文 English", plus a last category of value ``""`` — QGIS's "all other values",
which also catches NULL — in the base ``fill`` colour, labelled "其他 Other" (in SLD, a rule whose
filter is "NULL or none of the class values"). An unclassified layer
gets a ``singleSymbol`` renderer.

One document holds one symbol type. A "mixed" layer (points and polygons) is exported as one
layer per geometry type (see ``geo_risk.export``), and each gets the style of its own type:
pass ``geometry`` = "point" or "polygon" for it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass

from layers.registry import LayerDef

__all__ = [
    "GEOMETRY_KINDS",
    "OTHER_LABEL",
    "QML_GEOMETRY_TYPE",
    "StyleClass",
    "style_classes",
    "symbol_kind",
    "qml",
    "sld",
]

#: Geometry types a style can be built for (one symbol type per document).
GEOMETRY_KINDS = ("point", "line", "polygon")
#: QGIS's ``QgsWkbTypes::GeometryType`` of each kind; a QML with ``layerGeometryType`` is refused
#: by QGIS on a layer of another geometry type (rather than drawing nothing).
QML_GEOMETRY_TYPE = {"point": 0, "line": 1, "polygon": 2}
#: Label of the fallback class (values not in the registry's classes, and NULL).
OTHER_LABEL = "其他 Other"
#: The QGIS version the QML is written for; read by QGIS 3.x (checked with 3.22).
QGIS_VERSION = "3.22.0"

SLD_NS = "http://www.opengis.net/sld"
SE_NS = "http://www.opengis.net/se"
OGC_NS = "http://www.opengis.net/ogc"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SLD_SCHEMA = "http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"

_HEX = re.compile(r"^#([0-9a-fA-F]{6})$")
_MAP_UNIT_SCALE = "3x:0,0,0,0,0,0"


@dataclass(frozen=True)
class StyleClass:
    """One legend entry: features whose ``classify_by`` value is ``value`` (None: every other value).

    ``colour`` is ``#rrggbb`` from the registry; ``label`` is "中文 English".
    """

    value: str | None
    colour: str
    label: str

    @property
    def is_fallback(self) -> bool:
        return self.value is None


def style_classes(layer: LayerDef) -> list[StyleClass]:
    """The legend of ``layer``: its registry classes in order, then the fallback in the base fill.

    An unclassified layer has a single entry (value None, the base fill, the layer's title).
    """
    style = layer.style
    if not style.classify_by:
        return [StyleClass(None, style.fill, f"{layer.title_zh} {layer.title_en}")]
    out = [StyleClass(str(value), colour, f"{zh} {en}") for value, (colour, zh, en) in style.classes.items()]
    out.append(StyleClass(None, style.fill, OTHER_LABEL))
    return out


def symbol_kind(layer: LayerDef, geometry: str | None = None) -> str:
    """The geometry kind the style is for: ``geometry`` when given, else the layer's own.

    Raises ValueError for a "mixed" layer without ``geometry`` and for an unknown kind.
    """
    kind = geometry or layer.geometry
    if kind == "mixed":
        raise ValueError(
            f"layer {layer.id!r} mixes points and polygons: build one style per exported geometry type "
            f"(geometry='point' or 'polygon')"
        )
    if kind not in GEOMETRY_KINDS:
        raise ValueError(f"unknown geometry kind {kind!r}; valid: {', '.join(GEOMETRY_KINDS)}")
    return kind


def _rgb(colour: str) -> tuple[int, int, int]:
    m = _HEX.match(colour)
    if not m:
        raise ValueError(f"colour {colour!r} is not #rrggbb")
    h = m.group(1)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _qgis_colour(colour: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` and an opacity 0–1 → QGIS's ``r,g,b,a`` (each 0–255)."""
    r, g, b = _rgb(colour)
    a = round(max(0.0, min(1.0, opacity)) * 255)
    return f"{r},{g},{b},{a}"


def _num(value: float) -> str:
    """A number as QGIS and SLD write it: no trailing ``.0``."""
    return f"{value:g}"


def _field(field_names: Mapping[str, str] | None, name: str) -> str:
    return (field_names or {}).get(name, name)


# -- QML ------------------------------------------------------------------------------------------
def _symbol_props(layer: LayerDef, kind: str, colour: str) -> dict[str, str]:
    """Properties of the one symbol layer (SimpleFill / SimpleMarker / SimpleLine) of a class."""
    s = layer.style
    stroke = _qgis_colour(s.stroke)
    if kind == "polygon":
        return {
            "border_width_map_unit_scale": _MAP_UNIT_SCALE,
            "color": _qgis_colour(colour, s.fill_opacity),
            "joinstyle": "bevel",
            "offset": "0,0",
            "offset_map_unit_scale": _MAP_UNIT_SCALE,
            "offset_unit": "MM",
            "outline_color": stroke,
            "outline_style": "solid",
            "outline_width": _num(s.weight),
            "outline_width_unit": "Pixel",
            "style": "solid",
        }
    if kind == "point":
        return {
            "angle": "0",
            "cap_style": "square",
            "color": _qgis_colour(colour, s.fill_opacity),
            "horizontal_anchor_point": "1",
            "joinstyle": "bevel",
            "name": "circle",
            "offset": "0,0",
            "offset_map_unit_scale": _MAP_UNIT_SCALE,
            "offset_unit": "MM",
            "outline_color": stroke,
            "outline_style": "solid",
            "outline_width": _num(s.weight),
            "outline_width_map_unit_scale": _MAP_UNIT_SCALE,
            "outline_width_unit": "Pixel",
            "scale_method": "diameter",
            "size": _num(2 * s.radius_px),
            "size_map_unit_scale": _MAP_UNIT_SCALE,
            "size_unit": "Pixel",
            "vertical_anchor_point": "1",
        }
    return {  # line
        "capstyle": "square",
        "customdash": "5;2",
        "joinstyle": "bevel",
        "line_color": _qgis_colour(colour),
        "line_style": "solid",
        "line_width": _num(s.weight),
        "line_width_unit": "Pixel",
        "offset": "0",
        "offset_map_unit_scale": _MAP_UNIT_SCALE,
        "offset_unit": "MM",
        "use_custom_dash": "0",
        "width_map_unit_scale": _MAP_UNIT_SCALE,
    }


_SYMBOL_TYPE = {"polygon": "fill", "point": "marker", "line": "line"}
_SYMBOL_LAYER_CLASS = {"polygon": "SimpleFill", "point": "SimpleMarker", "line": "SimpleLine"}


def _qml_symbol(parent: ET.Element, name: str, layer: LayerDef, kind: str, colour: str) -> None:
    symbol = ET.SubElement(
        parent,
        "symbol",
        {"type": _SYMBOL_TYPE[kind], "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"},
    )
    sl = ET.SubElement(
        symbol, "layer", {"class": _SYMBOL_LAYER_CLASS[kind], "enabled": "1", "locked": "0", "pass": "0"}
    )
    props = _symbol_props(layer, kind, colour)
    # QGIS ≥ 3.18 reads <Option type="Map">; earlier 3.x read <prop k v>. QGIS writes both; so do we.
    options = ET.SubElement(sl, "Option", {"type": "Map"})
    for k, v in props.items():
        ET.SubElement(options, "Option", {"type": "QString", "name": k, "value": v})
    for k, v in props.items():
        ET.SubElement(sl, "prop", {"k": k, "v": v})


def qml(layer: LayerDef, geometry: str | None = None, field_names: Mapping[str, str] | None = None) -> str:
    """The QGIS 3 style (``.qml`` text, or the ``styleQML`` of a GeoPackage) of ``layer``.

    ``geometry`` is the kind of the exported layer ("point", "line" or "polygon"; required for a
    "mixed" layer); ``field_names`` maps registry field names to the names in the file (e.g.
    Shapefile aliases) — the renderer classifies on the file's name and QGIS shows the registry
    name as the field's alias.
    """
    kind = symbol_kind(layer, geometry)
    root = ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "Symbology|Fields"})
    s = layer.style
    classes = style_classes(layer)
    if s.classify_by:
        renderer = ET.SubElement(
            root,
            "renderer-v2",
            {
                "type": "categorizedSymbol",
                "attr": _field(field_names, s.classify_by),
                "symbollevels": "0",
                "enableorderby": "0",
                "forceraster": "0",
                "referencescale": "-1",
            },
        )
        cats = ET.SubElement(renderer, "categories")
        for i, c in enumerate(classes):
            # value "" is QGIS's "all other values" category (NULL included).
            ET.SubElement(
                cats,
                "category",
                {"render": "true", "symbol": str(i), "value": c.value or "", "label": c.label},
            )
        symbols = ET.SubElement(renderer, "symbols")
        for i, c in enumerate(classes):
            _qml_symbol(symbols, str(i), layer, kind, c.colour)
        source = ET.SubElement(renderer, "source-symbol")
        _qml_symbol(source, "0", layer, kind, s.fill)
        ET.SubElement(renderer, "rotation")
        ET.SubElement(renderer, "sizescale")
    else:
        renderer = ET.SubElement(
            root,
            "renderer-v2",
            {"type": "singleSymbol", "symbollevels": "0", "enableorderby": "0", "forceraster": "0",
             "referencescale": "-1"},
        )
        symbols = ET.SubElement(renderer, "symbols")
        _qml_symbol(symbols, "0", layer, kind, s.fill)
        ET.SubElement(renderer, "rotation")
        ET.SubElement(renderer, "sizescale")
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    renamed = {name: _field(field_names, name) for name in layer.fields}
    aliases = ET.SubElement(root, "aliases")
    for index, (name, in_file) in enumerate(renamed.items()):
        if in_file != name:  # a Shapefile name: show the registry's full name in QGIS
            ET.SubElement(aliases, "alias", {"field": in_file, "index": str(index), "name": name})
    if "name" in layer.fields:
        ET.SubElement(root, "previewExpression").text = f'"{renamed["name"]}"'
    ET.SubElement(root, "layerGeometryType").text = str(QML_GEOMETRY_TYPE[kind])
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


# -- SLD ------------------------------------------------------------------------------------------
def _se(parent: ET.Element, tag: str, text: str | None = None, attrib: dict[str, str] | None = None) -> ET.Element:
    el = ET.SubElement(parent, f"{{{SE_NS}}}{tag}", attrib or {})
    if text is not None:
        el.text = text
    return el


def _svg(parent: ET.Element, name: str, value: str) -> None:
    _se(parent, "SvgParameter", value, {"name": name})


def _equal_to(parent: ET.Element, attr: str, value: str) -> None:
    eq = ET.SubElement(parent, f"{{{OGC_NS}}}PropertyIsEqualTo")
    ET.SubElement(eq, f"{{{OGC_NS}}}PropertyName").text = attr
    ET.SubElement(eq, f"{{{OGC_NS}}}Literal").text = value


def _sld_symbolizer(rule: ET.Element, layer: LayerDef, kind: str, colour: str) -> None:
    s = layer.style
    if kind == "polygon":
        sym = _se(rule, "PolygonSymbolizer")
        fill = _se(sym, "Fill")
        _svg(fill, "fill", colour)
        _svg(fill, "fill-opacity", _num(s.fill_opacity))
        stroke = _se(sym, "Stroke")
        _svg(stroke, "stroke", s.stroke)
        _svg(stroke, "stroke-width", _num(s.weight))
        _svg(stroke, "stroke-linejoin", "bevel")
    elif kind == "point":
        sym = _se(rule, "PointSymbolizer")
        graphic = _se(sym, "Graphic")
        mark = _se(graphic, "Mark")
        _se(mark, "WellKnownName", "circle")
        fill = _se(mark, "Fill")
        _svg(fill, "fill", colour)
        _svg(fill, "fill-opacity", _num(s.fill_opacity))
        stroke = _se(mark, "Stroke")
        _svg(stroke, "stroke", s.stroke)
        _svg(stroke, "stroke-width", _num(s.weight))
        _se(graphic, "Size", _num(2 * s.radius_px))
    else:
        sym = _se(rule, "LineSymbolizer")
        stroke = _se(sym, "Stroke")
        _svg(stroke, "stroke", colour)
        _svg(stroke, "stroke-width", _num(s.weight))


def sld(
    layer: LayerDef,
    geometry: str | None = None,
    field_names: Mapping[str, str] | None = None,
    layer_name: str | None = None,
) -> str:
    """The OGC SLD 1.1 (Symbology Encoding 1.1) document of ``layer``.

    One ``se:Rule`` per class with an ``ogc:PropertyIsEqualTo`` filter on the classified field (as
    named in the file), a bilingual ``se:Title``, and a last rule for every other value and NULL
    (``Or(PropertyIsNull, Not(Or(PropertyIsEqualTo …)))``: QGIS 3.22 reads ``se:ElseFilter`` as no
    filter at all). Sizes and widths are in pixels (the SE default unit). ``layer_name`` is the
    ``NamedLayer`` name (the exported layer's name; default the registry id).
    """
    kind = symbol_kind(layer, geometry)
    s = layer.style
    ET.register_namespace("", SLD_NS)
    ET.register_namespace("se", SE_NS)
    ET.register_namespace("ogc", OGC_NS)
    ET.register_namespace("xlink", XLINK_NS)
    ET.register_namespace("xsi", XSI_NS)
    root = ET.Element(
        f"{{{SLD_NS}}}StyledLayerDescriptor", {"version": "1.1.0", f"{{{XSI_NS}}}schemaLocation": SLD_SCHEMA}
    )
    named = ET.SubElement(root, f"{{{SLD_NS}}}NamedLayer")
    _se(named, "Name", layer_name or layer.id)
    user = ET.SubElement(named, f"{{{SLD_NS}}}UserStyle")
    _se(user, "Name", layer_name or layer.id)
    desc = _se(user, "Description")
    _se(desc, "Title", f"{layer.title_zh} {layer.title_en}")
    fts = _se(user, "FeatureTypeStyle")
    attr = _field(field_names, s.classify_by) if s.classify_by else ""
    for c in style_classes(layer):
        rule = _se(fts, "Rule")
        _se(rule, "Name", c.value if c.value is not None else ("other" if s.classify_by else layer.id))
        rdesc = _se(rule, "Description")
        _se(rdesc, "Title", c.label)
        if s.classify_by:
            flt = ET.SubElement(rule, f"{{{OGC_NS}}}Filter")
            if c.value is not None:
                _equal_to(flt, attr, c.value)
            else:
                # Not se:ElseFilter: QGIS (3.22) reads it as "no filter" and paints every feature again.
                either = ET.SubElement(flt, f"{{{OGC_NS}}}Or")
                is_null = ET.SubElement(either, f"{{{OGC_NS}}}PropertyIsNull")
                ET.SubElement(is_null, f"{{{OGC_NS}}}PropertyName").text = attr
                negated = ET.SubElement(either, f"{{{OGC_NS}}}Not")
                values = list(s.classes)
                group = ET.SubElement(negated, f"{{{OGC_NS}}}Or") if len(values) > 1 else negated
                for v in values:
                    _equal_to(group, attr, str(v))
        _sld_symbolizer(rule, layer, kind, c.colour)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
