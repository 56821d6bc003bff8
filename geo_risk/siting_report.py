"""The siting check's report a planner can file: HTML and PDF with the tables and a map image.

Input: the JSON-ready result of :func:`geo_risk.siting_check.check_site` (rendered for the reader's
tier already). :func:`map_png` draws the site, the project's iso-risk contours (direction 1), the
evidence geometries (the line from a unit to a target, the part of the site inside a control line,
the targets over an IR criterion) in the site's UTM zone with a scale bar. :func:`write_report`
writes ``.html`` (self-contained: the map inlined) or ``.pdf`` (fpdf2 with a CJK font found by
matplotlib's font manager; Noto Sans CJK on Debian).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from geo_risk.errors import InvalidInput

__all__ = ["map_png", "write_report", "REPORT_SUFFIXES"]

REPORT_SUFFIXES = (".html", ".pdf")
_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"]
_RULE_COLOURS = {"R3-distance": "#d62728", "R4-ir": "#ff7f0e", "R7-control-line": "#9467bd", "R6-domino": "#8c564b",
                 "R5-fn": "#e377c2", "R2-park": "#17becf", "R1-gb18218": "#7f7f7f"}


def _utm(site: Any) -> Any:
    import pyproj

    from geo_risk.risk.run import utm_crs_for

    c = site.centroid
    t = pyproj.Transformer.from_crs(4326, utm_crs_for(c.x, c.y), always_xy=True)
    return lambda g: shapely.transform(g, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _draw(ax: Any, geom: Any, **kw: Any) -> None:
    if geom is None or geom.is_empty:
        return
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type == "Polygon":
            x, y = part.exterior.xy
            ax.fill(x, y, **{k: v for k, v in kw.items() if k in ("facecolor", "edgecolor", "alpha", "lw")})
        elif part.geom_type in ("LineString", "LinearRing"):
            x, y = part.xy
            ax.plot(x, y, color=kw.get("edgecolor", kw.get("color", "k")), lw=kw.get("lw", 1.2),
                    alpha=kw.get("alpha", 1.0))
        elif part.geom_type == "Point":
            ax.plot(part.x, part.y, "o", color=kw.get("edgecolor", kw.get("color", "k")), ms=kw.get("ms", 4))


def map_png(result: dict[str, Any], layers: dict[str, Any] | None = None, dpi: int = 150) -> bytes:
    """The map image of a result (PNG bytes): site, contours, evidence; bilingual legend, scale bar.

    ``layers`` (optional, lon/lat shapely geometries) draws the surroundings under the evidence:
    ``parks``, ``control_lines``, ``units``, ``targets`` (:func:`geo_risk.siting_check.map_layers`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context({"font.family": _FONTS}):
        return _map_png(result, layers or {}, dpi)


def _map_png(result: dict[str, Any], layers: dict[str, Any], dpi: int) -> bytes:
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    site = shapely.geometry.shape(result["site"])
    proj = _utm(site)
    s = proj(site)
    fig, ax = plt.subplots(figsize=(7.5, 6.5), dpi=dpi)
    shapes = [s]
    handles = []
    styles = {"control_lines": ("#9467bd", "none", "园区安全控制线 / park safety control line", "--"),
              "parks": ("#c7e9c0", "#31a354", "化工园区 / chemical park", "-"),
              "units": ("#636363", "#252525", "危险化学品单元 / hazard unit", "-"),
              "targets": ("#fee391", "#cc4c02", "防护目标与居民区 / protection targets and homes", "-")}
    for key, (face, edge, label, ls) in styles.items():
        geoms = [proj(g) for g in layers.get(key, []) if g is not None]
        for g in geoms:
            if key == "control_lines":
                _draw(ax, g.boundary, color=face, lw=1.0)
            else:
                _draw(ax, g, facecolor=face, edgecolor=edge, alpha=0.45 if key != "units" else 0.7, ms=2.5)
        if geoms:
            handles.append(Line2D([0], [0], color=face if key == "control_lines" else edge, lw=2, ls=ls,
                                  label=label))
    handles.insert(0, Patch(facecolor="#1f77b4", alpha=0.5, label="拟建场址 / proposed site"))
    contours = (result.get("contours") or {}).get("features") or []
    greys = ["#fdd0a2", "#fd8d3c", "#d94701"]
    for k, f in enumerate(sorted(contours, key=lambda f: f["properties"]["level_per_year"])):
        g = proj(shapely.geometry.shape(f["geometry"]))
        _draw(ax, g, facecolor=greys[min(k, 2)], edgecolor="#7f2704", alpha=0.35, lw=0.6)
        shapes.append(g)
        handles.append(Patch(facecolor=greys[min(k, 2)], alpha=0.5,
                             label=f"个人风险 IR ≥ {f['properties']['level_per_year']:.0e}/a"))
    seen = set()
    for r in result.get("reasons", []):
        if not r.get("geometry"):
            continue
        g = proj(shapely.geometry.shape(r["geometry"]))
        colour = _RULE_COLOURS.get(r["rule"], "k")
        _draw(ax, g, facecolor=colour, edgecolor=colour, color=colour, alpha=0.6, lw=1.4, ms=5)
        shapes.append(g)
        if r["rule"] not in seen:
            seen.add(r["rule"])
            handles.append(Line2D([0], [0], color=colour, lw=2, label=r["title"]))
    _draw(ax, s, facecolor="#1f77b4", edgecolor="#08306b", alpha=0.6, lw=1.5, ms=8)
    x0, y0, x1, y1 = shapely.union_all(shapes).bounds
    pad = max(x1 - x0, y1 - y0) * 0.08 + 50
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    span = (x1 - x0) + 2 * pad
    length = float(10 ** np.floor(np.log10(span / 4)))
    bx, by = x0 - pad + span * 0.05, y0 - pad + ((y1 - y0) + 2 * pad) * 0.05
    ax.plot([bx, bx + length], [by, by], color="k", lw=3)
    ax.text(bx + length / 2, by, f"{length:,.0f} m", ha="center", va="bottom", fontsize=8)
    ax.set_title(f"选址论证 / siting check — {result['verdict_label']}", fontsize=11)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), fontsize=7, frameon=False, ncol=2)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _rows(result: dict[str, Any]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The report's tables: header and rows each."""
    tables: dict[str, tuple[list[str], list[list[str]]]] = {}
    tables["理由 / reasons"] = (["规则 rule", "类别 kind", "说明 text"],
                              [[r["rule"], r["kind"], r["text"]] for r in result["reasons"]])
    tables["检查 / checks"] = (["规则 rule", "状态 status", "说明 note"],
                             [[c["rule"], c["status"], c["note"]] for c in result["checks"]])
    if result.get("distance_table"):
        tables["外部安全防护距离 / external safety distances (m)"] = (
            ["类别 class", "方法 method", "规范 code", "最终 final", "申报 declared"],
            [[d["target_class"], *[("" if d[k] is None else f"{d[k]:,.0f}") for k in (
                "method_distance_m", "code_distance_m", "final_distance_m", "declared_distance_m")]]
             for d in result["distance_table"]])
    tables["规则库 / rulebook " + result["rulebook_version"]] = (
        ["id", "规则 rule", "依据 cites", "类别 kind", "类别依据 kind basis", "可信度 confidence"],
        [[r["id"], f"{r['title_zh']} / {r['title_en']}", r["cites"], r["kind"], r["kind_basis"], r["confidence"]]
         for r in result["rulebook"]])
    return tables


def _html(result: dict[str, Any], png: bytes) -> str:
    e = html.escape
    parts = [f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>选址论证 siting check — "
             f"{e(result['name'])}</title><style>body{{font-family:'Noto Sans CJK SC',sans-serif;max-width:60em;"
             "margin:2em auto}}table{{border-collapse:collapse;width:100%;margin:1em 0}}td,th{{border:1px solid #999;"
             "padding:4px;font-size:0.85em;vertical-align:top}}th{{background:#eee}}.veto{{color:#b00}}</style>"
             "</head><body>",
             f"<h1>选址论证 / siting check: {e(result['name'])}</h1>",
             f"<h2 class='{'veto' if result['veto_statement'] else ''}'>{e(result['verdict_label'])}</h2>"]
    if result["veto_statement"]:
        parts.append(f"<p class='veto'><b>{e(result['veto_statement'])}</b></p>")
    parts.append(f"<p>方向 direction: {e(result['what'])}; 输入坐标系 input CRS: {e(result['input_crs'])}; "
                 f"数据版本 inputs version: {result['inputs_version']}</p>")
    parts.append(f"<img alt='map' style='max-width:100%' src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
    for title, (head, rows) in _rows(result).items():
        parts.append(f"<h3>{e(title)}</h3><table><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</table>")
    parts.append("<h3>说明 / notes</h3><ul>" + "".join(f"<li>{e(n)}</li>" for n in result["notes"]) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _pdf(result: dict[str, Any], png: bytes, path: Path) -> None:
    from fpdf import FPDF
    from fpdf.fonts import FontFace
    from matplotlib import font_manager

    font = None
    for name in _FONTS[:2]:
        try:
            font = font_manager.findfont(name, fallback_to_default=False)
            break
        except ValueError:
            continue
    if font is None:
        raise InvalidInput("--out .pdf needs a CJK font (Noto Sans CJK: apt-get install fonts-noto-cjk); "
                           "write .html instead")
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    if font.lower().endswith(".ttc"):
        pdf.add_font("cjk", fname=font, collection_font_number=2 if "Noto" in font else 0)
    else:
        pdf.add_font("cjk", fname=font)
    # superscripts (10⁻⁷) are not in Noto Sans CJK: DejaVu Sans (shipped with matplotlib) stands in
    pdf.add_font("latin", fname=font_manager.findfont("DejaVu Sans"))
    pdf.set_fallback_fonts(["latin"])
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.multi_cell(0, 8, f"选址论证 / siting check: {result['name']}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=13)
    pdf.set_text_color(170, 0, 0) if result["veto_statement"] else pdf.set_text_color(0, 0, 0)
    pdf.multi_cell(0, 7, result["verdict_label"] + (f" — {result['veto_statement']}" if result["veto_statement"]
                                                   else ""), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("cjk", size=8)
    pdf.multi_cell(0, 4.5, f"方向 direction: {result['what']}; input CRS {result['input_crs']}; inputs version "
                           f"{result['inputs_version']}; {result['rulebook_version']}", new_x="LMARGIN", new_y="NEXT")
    pdf.image(io.BytesIO(png), w=150)
    for title, (head, rows) in _rows(result).items():
        pdf.set_font("cjk", size=10)
        pdf.multi_cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=6.5)
        widths = {3: (22, 20, 148), 5: (40, 37, 37, 37, 39), 6: (22, 48, 50, 14, 40, 16)}[len(head)]
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=3.2,
                       headings_style=FontFace(emphasis="", fill_color=(230, 230, 230))) as table:
            table.row(head)
            for row in rows:
                table.row([str(c) for c in row])
    pdf.set_font("cjk", size=10)
    pdf.multi_cell(0, 6, "说明 / notes", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=7)
    for n in result["notes"]:
        pdf.multi_cell(0, 3.6, f"• {n}", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def write_report(result: dict[str, Any], out: Path, layers: dict[str, Any] | None = None) -> Path:
    """Write ``result`` as a report: ``.html`` (self-contained) or ``.pdf``. Returns the path.

    Raises InvalidInput for another suffix or a folder that does not exist."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise InvalidInput(f"--out {out.name}: a report is .html or .pdf (or .json for the result itself)")
    if not out.parent.exists():
        raise InvalidInput(f"--out {out}: the folder {out.parent} does not exist")
    png = map_png(result, layers)
    if suffix == ".html":
        out.write_text(_html(result, png), encoding="utf-8")
    else:
        _pdf(result, png, out)
    return out
