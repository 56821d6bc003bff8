"""The siting report: HTML and PDF written from a constructed result, with the verdict, tables and the map."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
import shapely

from geo_risk.errors import InvalidInput
from geo_risk.siting_report import map_png, write_report

from .test_siting import _X, _Y, _park, _plant, _school, _wgs  # noqa: F401 - the constructed plant and school


def _result() -> dict:
    from geo_risk.analysis.siting import check_development

    school = _school(proposed=True)
    out = check_development(school, [_plant(proposed=False, ir=1e-6)], [_park()]).as_dict("restricted")
    out.update({"what": "development", "name": "第一中学", "input_crs": "EPSG:4326", "inputs_version": 1,
                "site": shapely.geometry.mapping(school.geometry)})
    return out


def test_the_map_is_a_png_of_the_evidence() -> None:
    png = map_png(_result(), {"units": [_wgs(shapely.box(_X, _Y, _X + 20, _Y + 20))]})
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_html_report_has_the_verdict_tables_and_map(tmp_path: Path) -> None:
    path = write_report(_result(), tmp_path / "r.html")
    text = path.read_text(encoding="utf-8")
    assert "不予通过 / advise against" in text and "重大安全风险一票否决" in text
    assert text.count("<table>") == 3  # reasons, checks, rulebook (a development has no distance table)
    assert "R3-distance" in text and "300 m" in text  # the analyst's report carries the required distance
    png = base64.b64decode(re.search(r"base64,([^']+)'", text).group(1))
    assert png[:4] == b"\x89PNG"


def test_pdf_report_embeds_a_cjk_font(tmp_path: Path) -> None:
    # fpdf2 is a dependency and fonts-noto-cjk a system package `make test` installs: never skipped
    # (without the font write_report refuses with InvalidInput naming the package, and this test fails on it).
    path = write_report(_result(), tmp_path / "r.pdf")
    data = path.read_bytes()
    assert data[:5] == b"%PDF-" and b"/FontFile2" in data and b"/Subtype /Image" in data
    # the text is there: fpdf2 maps every glyph it used to its character in the fonts' ToUnicode CMaps
    # (uncompressed); the verdict's characters must be among them
    cmap = b"".join(re.findall(rb"begincmap(.*?)endcmap", data, re.S))
    for ch in "不予通过":
        assert f"<{ord(ch):04X}>".encode() in cmap, ch


def test_other_suffixes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"\.html or \.pdf"):
        write_report(_result(), tmp_path / "r.docx")
