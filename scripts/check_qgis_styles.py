#!/usr/bin/python3
"""Optional check: open exported layers in QGIS, headless, and print the style QGIS applied by itself.

Not part of the test suite (which must not need QGIS). Needs Debian's QGIS and its Python
bindings (``apt-get install -y qgis python3-qgis``, plus ``fonts-noto-cjk`` to render Chinese), and
runs with Debian's Python, not the project's venv::

    .venv/bin/geo-risk export enterprises --format gpkg --out /tmp/x/enterprises.gpkg
    .venv/bin/geo-risk export enterprises --format shp --out /tmp/x/enterprises.shp
    QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/check_qgis_styles.py /tmp/x/*.gpkg /tmp/x/*.shp [--png DIR]

Every layer is opened as QGIS opens a file a user adds (the layers of a GeoPackage as its
sublayers; the default style loaded: a GeoPackage's ``layer_styles`` row, a Shapefile's
same-named ``.qml``). For each it prints the renderer, and for a categorized one every category:
value, colour (#rrggbb and alpha 0–255) and legend label. With ``--png DIR`` each layer is also
rendered to ``DIR/<layer>.png`` (800 × 800 pixels). Exit status 1 when a layer is not valid or
came up with QGIS's default single symbol (no style applied).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402 - QT_QPA_PLATFORM must be set before Qt loads
    Qgis,
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProviderRegistry,
    QgsUnitTypes,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402


def _colour(c: QColor) -> str:
    return f"{c.name()} alpha {c.alpha()}"


def layers_of(path: Path) -> list[tuple[str, str]]:
    """(name, uri) of every vector layer QGIS offers for ``path`` (GeoPackage tables without geometry skipped)."""
    md = QgsProviderRegistry.instance().providerMetadata("ogr")
    out = []
    for sub in md.querySublayers(str(path), Qgis.SublayerQueryFlag.ResolveGeometryType):
        if sub.name() == "layer_styles":
            continue
        out.append((sub.name(), sub.uri()))
    return out


def report(name: str, uri: str, png_dir: Path | None) -> bool:
    """Print what QGIS made of one layer; True when it is valid and styled by the export."""
    layer = QgsVectorLayer(uri, name, "ogr")  # loads the default style, as adding a layer in QGIS does
    if not layer.isValid():
        print(f"{uri}: NOT VALID")
        return False
    renderer = layer.renderer()
    print(f"{uri}")
    print(f"  features {layer.featureCount()}, CRS {layer.crs().authid()}, "
          f"geometry {layer.geometryType()}, renderer {renderer.type()}")
    styled = True
    if isinstance(renderer, QgsCategorizedSymbolRenderer):
        print(f"  classified by {renderer.classAttribute()!r}:")
        for cat in renderer.categories():
            value = cat.value() if cat.value() not in (None, "") else "(all other values)"
            sym = cat.symbol()
            sl = sym.symbolLayer(0)
            extra = f", size {sl.size():g} {QgsUnitTypes.toString(sl.sizeUnit())}" if hasattr(sl, "size") else ""
            print(f"    {value!s:<22} {_colour(sym.color())} stroke {_colour(sl.strokeColor())}"
                  f"{extra}  label {cat.label()!r}")
    else:
        sym = renderer.symbol() if hasattr(renderer, "symbol") else None
        if sym is not None:
            sl = sym.symbolLayer(0)
            print(f"    single symbol {sym.type()} {_colour(sym.color())} stroke {_colour(sl.strokeColor())}")
        # QGIS's own default is a single symbol in a random colour with a #232323 outline.
        styled = sym is not None and sym.symbolLayer(0).strokeColor().name() != "#232323"
    aliases = {f.name(): f.alias() for f in layer.fields() if f.alias()}
    if aliases:
        print(f"  field aliases: {aliases}")
    if png_dir is not None:
        png_dir.mkdir(parents=True, exist_ok=True)
        settings = QgsMapSettings()
        settings.setLayers([layer])
        settings.setDestinationCrs(layer.crs())
        settings.setExtent(layer.extent())
        settings.setOutputSize(QSize(800, 800))
        settings.setBackgroundColor(QColor("white"))
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        out = png_dir / f"{name}.png"
        job.renderedImage().save(str(out))
        print(f"  rendered to {out}")
    if not styled:
        print("  NO STYLE APPLIED (QGIS default symbol)")
    return styled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="exported .gpkg or .shp files")
    parser.add_argument("--png", type=Path, default=None, help="folder to render each layer into")
    args = parser.parse_args()
    app = QgsApplication([], False)
    app.initQgis()
    print(f"QGIS {Qgis.QGIS_VERSION}")
    ok = True
    try:
        for path in args.paths:
            for name, uri in layers_of(path):
                ok = report(name, uri, args.png) and ok
    finally:
        app.exitQgis()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
