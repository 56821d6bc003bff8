"""The one-page city risk map (``geo-risk risk-map --out city.pdf|png``): a printable sheet.

Four-colour zones, major hazard sources by grade, chemical parks, conflicts and joint-prevention
clusters, drawn from the same registry entries (colours, classes, bilingual labels) as the web map,
with a legend (中文 first), a scale bar, a north arrow, the data date and the basis of the colours.
Only PUBLIC layers are drawn: the sheet is made to be printed and handed out.

The map is drawn in the WGS 84 / UTM zone of the data's centre, so the scale bar is true in metres
(the arrow shows grid north; in one UTM zone it is within a few degrees of true north, and the
convergence at the centre is printed).

:func:`draw_city_map` is pure (frames in, figure out); :func:`write_city_map` reads the store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from geo_risk.errors import InvalidInput
from layers.registry import REGISTRY, LayerDef

__all__ = ["CITY_MAP_LAYERS", "CityMapReport", "nice_scale_length_m", "draw_city_map", "write_city_map",
           "check_sheet_path", "grid_convergence_deg", "SHEET_MAX_FEATURES"]

#: Layers of the sheet, bottom to top, when registered: (layer id, how drawn). Absent ids are skipped,
#: so the sheet grows as analyses are added; every drawn layer gets legend entries.
CITY_MAP_LAYERS: tuple[tuple[str, str], ...] = (
    ("risk_zones", "fill"),
    ("residential_areas", "fill"),
    ("chemical_parks", "outline"),
    ("clusters", "outline"),
    ("conflicts", "line"),
    ("conflict_targets", "point"),
    ("hazard_sources", "point"),
)

FONT = ["Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"]
#: A layer with more features than this is left out of the sheet (named in its notes): a page cannot show them.
SHEET_MAX_FEATURES = 100_000
_SUFFIXES = {".pdf": "pdf", ".png": "png"}


@dataclass(frozen=True)
class CityMapReport:
    """What a sheet holds: its path, size in bytes and features drawn per layer."""

    path: Path
    size_bytes: int
    counts: dict[str, int]
    left_out: tuple[str, ...] = ()

    def summary(self) -> str:
        drawn = ", ".join(f"{k} {v:,}" for k, v in self.counts.items())
        skipped = f"; left out (too many features for one sheet): {', '.join(self.left_out)}" if self.left_out else ""
        return f"wrote {self.path} ({self.size_bytes / 1024:,.0f} KiB): {drawn}{skipped}"


def nice_scale_length_m(map_width_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10ⁿ metres) of at most a fifth of ``map_width_m``."""
    if not (map_width_m > 0 and math.isfinite(map_width_m)):
        raise InvalidInput(f"map width must be a positive number of metres; got {map_width_m!r}")
    target = map_width_m / 5
    exponent = math.floor(math.log10(target))
    best = 10.0 ** exponent
    for m in (1, 2, 5, 10):
        if m * 10.0 ** exponent <= target * (1 + 1e-9):
            best = m * 10.0 ** exponent
    return best


def _label(length_m: float) -> str:
    return f"{length_m / 1000:g} 公里 km" if length_m >= 1000 else f"{length_m:g} 米 m"


def _utm_crs(lon: float, lat: float) -> str:
    zone = int((lon + 180) // 6) + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def _colour_of(layer: LayerDef, value: Any) -> str:
    cls = layer.style.classes.get(str(value)) if layer.style.classify_by else None
    return cls[0] if cls else layer.style.fill


def draw_city_map(
    frames: Mapping[str, Any],
    *,
    title_zh: str,
    title_en: str,
    data_date: datetime | None,
    data_version: int | None = None,
    notes: Sequence[str] = (),
    size_in: tuple[float, float] = (11.69, 8.27),
) -> Any:
    """Draw the sheet: ``frames`` maps layer ids of :data:`CITY_MAP_LAYERS` to GeoDataFrames in
    EPSG:4326 (missing or empty ones are skipped). Returns a matplotlib Figure (A4 landscape by default).

    Raises InvalidInput when no frame has a feature (nothing to map).
    """
    import geopandas as gpd
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrow, Patch, Rectangle

    drawn = {k: f for k, f in frames.items() if f is not None and len(f) and k in REGISTRY}
    if not drawn:
        raise InvalidInput("nothing to map: the store holds no features of the sheet's layers (load data first)")
    # the sheet frames what is in the city; the zones (a grid over whole districts) are cut at its edge
    framing = {k: f for k, f in drawn.items() if k != "risk_zones"} or drawn
    union = gpd.GeoSeries(
        [g for f in framing.values() for g in f.geometry if g is not None and not g.is_empty], crs=4326
    )
    minx, miny, maxx, maxy = union.total_bounds
    lon0, lat0 = (minx + maxx) / 2, (miny + maxy) / 2
    crs = _utm_crs(lon0, lat0)

    plt.rcParams["font.family"] = FONT
    fig = plt.figure(figsize=size_in, dpi=150)
    ax = fig.add_axes((0.02, 0.08, 0.62, 0.82))
    legend_ax = fig.add_axes((0.655, 0.08, 0.34, 0.82))
    legend_ax.axis("off")
    handles: list[Any] = []
    z = 1
    for layer_id, how in CITY_MAP_LAYERS:
        frame = drawn.get(layer_id)
        if frame is None:
            continue
        layer = REGISTRY[layer_id]
        projected = frame.to_crs(crs)
        key = layer.style.classify_by
        values = projected[key].astype(str) if key and key in projected else None
        colours = values.map(lambda v, lyr=layer: _colour_of(lyr, v)) if values is not None else None
        colour_list = list(colours) if colours is not None else layer.style.fill
        if how == "fill":
            projected.plot(ax=ax, color=colour_list, edgecolor=layer.style.stroke,
                           linewidth=0.2, alpha=max(layer.style.fill_opacity, 0.35), zorder=z)
        elif how == "outline":
            projected.boundary.plot(ax=ax, color=layer.style.stroke, linewidth=1.2,
                                    linestyle="--" if layer_id == "clusters" else "-", zorder=z)
        elif how == "line":
            projected.plot(ax=ax, color=colour_list, linewidth=0.9, zorder=z)
        else:
            pts = projected.geometry.representative_point()
            gpd.GeoSeries(pts, crs=crs).plot(ax=ax, color=colour_list, markersize=14, edgecolor="#222222",
                                             linewidth=0.3, zorder=z)
        z += 1
        if values is not None and layer.style.classes:
            handles.append(Patch(facecolor="none", edgecolor="none",
                                 label=_wrap(f"{layer.title_zh} {layer.title_en}", 60)))
            present = set(values)
            for code, (colour, zh, en) in layer.style.classes.items():
                if code in present:
                    handles.append(_handle(how, colour, _wrap(f"  {_short(zh)} {_short(en)}", 60), Patch, Line2D))
        else:
            handles.append(_handle(how, layer.style.fill if how != "outline" else layer.style.stroke,
                                   _wrap(f"{layer.title_zh} {layer.title_en}", 60), Patch, Line2D))

    ax.set_aspect("equal")
    fx0, fy0, fx1, fy1 = gpd.GeoSeries(union, crs=4326).to_crs(crs).total_bounds
    pad = 0.06 * max(fx1 - fx0, fy1 - fy0, 1000.0)
    ax.set_xlim(fx0 - pad, fx1 + pad)
    ax.set_ylim(fy0 - pad, fy1 + pad)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_scale_length_m(x1 - x0)
    bx, by = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    h = 0.012 * (y1 - y0)
    for i in range(2):
        ax.add_patch(Rectangle((bx + i * length / 2, by), length / 2, h, facecolor="black" if i == 0 else "white",
                               edgecolor="black", linewidth=0.8, zorder=50))
    ax.text(bx, by + 1.8 * h, "0", ha="center", fontsize=7, zorder=50)
    ax.text(bx + length, by + 1.8 * h, _label(length), ha="center", fontsize=7, zorder=50)
    span = min(x1 - x0, y1 - y0)
    ax_x, ax_y = x1 - 0.05 * span, y1 - 0.14 * span
    ax.add_patch(FancyArrow(ax_x, ax_y, 0, 0.06 * span, width=0.008 * span, head_width=0.03 * span,
                            head_length=0.03 * span, color="black", zorder=50))
    ax.text(ax_x, ax_y + 0.095 * span, "北 N", ha="center", va="bottom", fontsize=9, zorder=50)

    legend_ax.legend(handles=handles, loc="upper left", frameon=False, fontsize=7, title="图例 Legend",
                     title_fontsize=9, alignment="left")
    fig.text(0.02, 0.95, title_zh, fontsize=15, weight="bold")
    fig.text(0.02, 0.915, title_en, fontsize=10)
    convergence = grid_convergence_deg(lon0, lat0, crs)
    date = data_date.strftime("%Y-%m-%d") if data_date else "—"
    foot = [f"数据日期 Data date: {date}" + (f"   数据版本 Data version: {data_version}" if data_version else ""),
            f"投影 Projection: WGS 84 / UTM ({crs}); 箭头指向坐标北，真北偏坐标北顺时针 {convergence:+.1f}° "
            f"arrow shows grid north; true north is {convergence:+.1f}° clockwise of it", *notes]
    fig.text(0.02, 0.015, "\n".join(foot), fontsize=6.5, va="bottom")
    return fig


def _short(label: str) -> str:
    """A class label without the layer-wide basis note the layer's title already carries."""
    for note in ("（服务分级）", " (service classification)", "（服务规则）", " (service rules)"):
        label = label.replace(note, "")
    return label


def _wrap(text: str, width: int) -> str:
    """``text`` broken into lines of about ``width`` display columns (a CJK character counts two)."""
    lines, line, used = [], "", 0
    for word in text.split(" "):
        w = sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in word) + 1
        if used + w > width and line:
            lines.append(line.rstrip())
            line, used = "    ", 4
        line += word + " "
        used += w
    lines.append(line.rstrip())
    return "\n".join(lines)


def _handle(how: str, colour: str, label: str, patch: Any, line: Any) -> Any:
    if how == "line":
        return line([0], [0], color=colour, linewidth=1.5, label=label)
    if how == "outline":
        return patch(facecolor="none", edgecolor=colour, linewidth=1.2, label=label)
    if how == "point":
        return line([0], [0], marker="o", color="none", markerfacecolor=colour, markeredgecolor="#222222",
                    markersize=5, label=label)
    return patch(facecolor=colour, edgecolor="none", alpha=0.8, label=label)


def grid_convergence_deg(lon: float, lat: float, crs: str) -> float:
    """Angle (degrees, clockwise) from grid north to true north at (lon, lat) in ``crs``."""
    import pyproj

    t = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x0, y0 = t.transform(lon, lat)
    x1, y1 = t.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(x1 - x0, y1 - y0))


def check_sheet_path(out: Path | str) -> Path:
    """``out`` as a Path if it ends in .pdf or .png and its folder exists; else :class:`InvalidInput`."""
    path = Path(out)
    if path.suffix.lower() not in _SUFFIXES:
        raise InvalidInput(f"cannot write the city map as {path.suffix or 'a file without suffix'!r} ({path}): "
                           "use a path ending in .pdf or .png (e.g. city.pdf)")
    if not path.parent.exists():
        raise InvalidInput(f"the folder {path.parent} does not exist: create it or choose another --out path")
    return path


def write_city_map(url: str, out: Path | str, *, title_zh: str, title_en: str) -> CityMapReport:
    """Read the sheet's public layers from the store at ``url`` and write the sheet to ``out`` (.pdf/.png)."""
    import geopandas as gpd
    from matplotlib import pyplot as plt

    from geo_risk.store.db import data_version
    from geo_risk.store.features import data_date
    from layers.render import read_features

    path = check_sheet_path(out)
    frames: dict[str, Any] = {}
    notes: list[str] = []
    left_out: list[str] = []
    for layer_id, _ in CITY_MAP_LAYERS:
        layer = REGISTRY.get(layer_id)
        if layer is None or layer.tier != "public":
            continue
        try:
            features = read_features(url, layer, SHEET_MAX_FEATURES)["features"]
        except InvalidInput:  # too many to draw on one sheet (a province's homes): left out, and the sheet says so
            notes.append(f"未绘制 not drawn: {layer.title_zh} {layer.title_en} — more than {SHEET_MAX_FEATURES:,} "
                         "features for one sheet")
            frames[layer_id] = None
            left_out.append(layer_id)
            continue
        frames[layer_id] = gpd.GeoDataFrame.from_features(features, crs=4326) if features else None
        if layer_id == "risk_zones":
            notes.append("四色分区为服务分级，非官方规则 Four-colour zones: service classification, not an official "
                         "rule (GB 36894 individual-risk ladder; see the service's documentation)")
    fig = draw_city_map(frames, title_zh=title_zh, title_en=title_en, data_date=data_date(url),
                        data_version=data_version(url), notes=notes)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        fig.savefig(tmp, format=_SUFFIXES[path.suffix.lower()], dpi=200 if path.suffix.lower() == ".png" else None)
        tmp.replace(path)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    counts = {k: len(v) for k, v in frames.items() if v is not None}
    return CityMapReport(path, path.stat().st_size, counts, tuple(left_out))
