"""Coordinate reference systems at the import edge: resolve, check and reproject to EPSG:4326.

Accepted: any CRS PROJ knows (EPSG:4326, CGCS2000 EPSG:4490, projected CRSs such as CGCS2000 /
Gauss-Krüger zones) and the two Chinese web-map systems that PROJ does not know, ``gcj02`` (Amap,
Tencent) and ``bd09`` (Baidu), which are converted by :mod:`geo_risk.io.chinese_crs`.

CGCS2000 and WGS 84 differ by centimetres; PROJ treats EPSG:4490 → EPSG:4326 as a null
transformation, which is the accepted practice for mapping at this scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo_risk.errors import CRSMismatch
from geo_risk.io import chinese_crs

__all__ = ["SourceCRS", "resolve_crs", "to_wgs84", "CHINA_EXTENT", "WEB_MAP_SYSTEMS"]

WGS84 = CRS.from_epsg(4326)
#: CRSs whose lon/lat are stored as they are: WGS 84 and CGCS2000, which agree to centimetres
#: (PROJ's EPSG:4490 → EPSG:4326 is a null transformation, too).
_IDENTITY = (WGS84, CRS.from_epsg(4490))
WEB_MAP_SYSTEMS = {"gcj02": "gcj02", "gcj-02": "gcj02", "bd09": "bd09", "bd-09": "bd09"}
#: lon_min, lat_min, lon_max, lat_max of China with a margin (degrees): used to spot swapped axes.
CHINA_EXTENT = (73.0, 3.0, 136.0, 54.0)


@dataclass(frozen=True)
class SourceCRS:
    """The CRS a layer's coordinates are in.

    ``web_map`` is ``"gcj02"`` or ``"bd09"`` for Chinese web-map coordinates (lon/lat degrees),
    else None and ``crs`` holds the PROJ CRS.
    """

    crs: CRS | None
    web_map: str | None = None
    assumed: bool = False  # True when no CRS was given and EPSG:4326 was assumed (CSV lon/lat)

    @property
    def is_geographic(self) -> bool:
        return self.web_map is not None or bool(self.crs and self.crs.is_geographic)

    @property
    def is_identity(self) -> bool:
        """True when lon/lat are stored as they are (EPSG:4326, or CGCS2000 EPSG:4490)."""
        if self.web_map is not None or self.crs is None:
            return False
        return any(self.crs.equals(c, ignore_axis_order=True) for c in _IDENTITY)

    @property
    def label(self) -> str:
        if self.web_map:
            return self.web_map.upper().replace("02", "-02").replace("09", "-09")
        assert self.crs is not None
        epsg = self.crs.to_epsg()
        return f"EPSG:{epsg}" if epsg else self.crs.name


def resolve_crs(option: str | None, file_crs: str | None, layer: str, csv_lonlat: bool = False) -> SourceCRS:
    """The CRS to read a layer in: ``--crs`` wins over the file's own; a CSV of lon/lat means WGS 84.

    Raises
    ------
    CRSMismatch
        When the CRS is missing or unknown; the message says how to give one.
    """
    if option:
        key = option.strip().lower()
        if key in WEB_MAP_SYSTEMS:
            return SourceCRS(None, WEB_MAP_SYSTEMS[key])
        try:
            return SourceCRS(CRS.from_user_input(option))
        except CRSError as exc:
            raise CRSMismatch(
                f"--crs {option!r} is not a CRS: use an EPSG code (EPSG:4326, EPSG:4490 for CGCS2000, "
                f"EPSG:4551 for CGCS2000 / 3-degree Gauss-Kruger CM 126E, Jilin …), gcj02 or bd09"
            ) from exc
    if file_crs:
        return SourceCRS(CRS.from_user_input(file_crs))
    if csv_lonlat:
        return SourceCRS(WGS84, assumed=True)
    raise CRSMismatch(
        f"layer {layer!r} has no CRS (a Shapefile without .prj, or a CSV of WKT): pass --crs, e.g. "
        f"--crs EPSG:4490 (CGCS2000), --crs EPSG:4326 (WGS 84), --crs gcj02 (Amap/Tencent), --crs bd09 (Baidu)"
    )


def _transform_xy(geoms: NDArray, func) -> NDArray:  # noqa: ANN001
    def apply(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        if len(coords) == 0:
            return coords
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])

    return shapely.transform(geoms, apply)


def to_wgs84(geoms: NDArray, source: SourceCRS) -> NDArray:
    """Reproject an array of shapely geometries from ``source`` to EPSG:4326 (lon/lat degrees).

    Coordinates that cannot be transformed come back as inf/NaN; the validator reports those rows.
    Call only on geometries whose coordinates passed the range check when ``source`` is geographic.
    """
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
    if source.web_map:
        return _transform_xy(geoms, lambda x, y: chinese_crs.to_wgs84(x, y, source.web_map))
    if source.is_identity:
        return geoms
    transformer = Transformer.from_crs(source.crs, WGS84, always_xy=True)
    return _transform_xy(geoms, lambda x, y: transformer.transform(x, y, errcheck=False))
