"""Chinese web-map coordinates: GCJ-02 ("Mars coordinates") and BD-09 to and from WGS 84.

Gaode/Amap, Tencent and Google China publish longitude/latitude in GCJ-02, Baidu in BD-09.
Neither is a CRS that PROJ knows: both are WGS 84 longitude/latitude with a deliberate,
non-linear offset of a few hundred metres. Data digitised from these maps must be converted to
WGS 84 (EPSG:4326) before it is reprojected to the metric CRS the engine uses.

All functions are vectorised: they accept scalars or array-likes (NumPy arrays, lists,
pandas Series) of longitude and latitude in **degrees**, broadcast them together and return a
``(lon, lat)`` tuple of float64 NumPy arrays in degrees. When both inputs are scalars the two
results are plain Python floats.

Conventions
-----------
* NaN passes through as NaN (a missing coordinate stays missing).
* Finite or infinite longitudes outside [-180, 180] or latitudes outside [-90, 90] raise
  :class:`geo_risk.errors.InvalidInput` (a swapped lon/lat pair is the usual cause).
* **Outside mainland China** the GCJ-02 offset is not applied: points outside the rectangle
  longitude 72.004–137.8347 degrees, latitude 0.8293–55.8271 degrees (edges inclusive) are
  returned unchanged by :func:`wgs84_to_gcj02` and :func:`gcj02_to_wgs84`. This is the crude
  rectangle of the published implementations (googollee/eviltransform ``outOfChina``) and not a
  true border: it also shifts points in Mongolia, the Korean peninsula, Japan's west coast and
  the South China Sea, exactly as those implementations (and the map providers) do.
* The BD-09 step (:func:`gcj02_to_bd09`, :func:`bd09_to_gcj02`) is applied everywhere, as in
  wandergis/coordtransform (googollee/eviltransform skips it outside the rectangle). The
  published BD-09 → GCJ-02 formula is only an approximate inverse of the forward one (a round
  trip is off by up to about 2e-6 degrees, ≈ 0.2 m): :func:`bd09_to_gcj02` starts from it and
  iterates the forward formula, as :func:`gcj02_to_wgs84` does, until the residual is below
  1e-7 degrees (≈ 1 cm).

References
----------
* Forward GCJ-02 transform (Krasovsky 1940 ellipsoid, ``transformLat``/``transformLon``
  series): googollee/eviltransform ``go/transform.go``; wandergis/coordtransform
  ``src/index.ts``.
* BD-09: the same repositories (``x_pi = π·3000/180``); the forward formula defines it, the
  inverse here iterates it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo_risk.errors import InvalidInput

__all__ = [
    "CHINA_RECTANGLE_DEG",
    "SUPPORTED_SYSTEMS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

# Krasovsky 1940 ellipsoid as used by the published GCJ-02 implementations.
_KRASOVSKY_A_M = 6378245.0  # semi-major axis, metres
_KRASOVSKY_EE = 0.00669342162296594323  # first eccentricity squared, dimensionless
_X_PI = math.pi * 3000.0 / 180.0  # Baidu's BD-09 constant, radians per degree × 3000
_BD_DLON_DEG = 0.0065
_BD_DLAT_DEG = 0.006

CHINA_RECTANGLE_DEG: tuple[float, float, float, float] = (72.004, 0.8293, 137.8347, 55.8271)
"""(lon_min, lat_min, lon_max, lat_max) in degrees; the GCJ-02 offset applies inside (inclusive)."""

SUPPORTED_SYSTEMS: dict[str, str] = {
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
}
"""Accepted names (case-insensitive) for :func:`to_wgs84` mapped to the canonical system."""

_FloatOut = tuple[Any, Any]  # (lon, lat): float64 arrays, or Python floats for scalar input


def _as_lonlat(lon: ArrayLike, lat: ArrayLike, what: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert, broadcast and range-check longitude/latitude in degrees."""
    try:
        lon_a = np.asarray(lon, dtype=np.float64)
        lat_a = np.asarray(lat, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"{what}: longitude and latitude must be numbers in degrees; received lon={lon!r}, "
            f"lat={lat!r}. Pass floats or numeric arrays (NaN for a missing coordinate)."
        ) from exc
    try:
        lon_a, lat_a = np.broadcast_arrays(lon_a, lat_a)
    except ValueError as exc:
        raise InvalidInput(
            f"{what}: longitude has shape {lon_a.shape} but latitude has shape {lat_a.shape}; "
            "they must have the same shape (or one must be a scalar). Pass one latitude per longitude."
        ) from exc
    with np.errstate(invalid="ignore"):
        bad = (np.abs(lon_a) > 180.0) | (np.abs(lat_a) > 90.0)
    if bad.any():
        idx = np.flatnonzero(bad.ravel())
        flat_lon, flat_lat = lon_a.ravel(), lat_a.ravel()
        shown = ", ".join(f"#{i}: lon={float(flat_lon[i])!r}, lat={float(flat_lat[i])!r}" for i in idx[:10])
        more = f" … and {idx.size - 10} more" if idx.size > 10 else ""
        raise InvalidInput(
            f"{what}: {idx.size} point(s) outside the valid range (longitude -180..180 degrees, "
            f"latitude -90..90 degrees): {shown}{more}. Check that longitude comes first and "
            "latitude second, and that the values are degrees, not projected metres."
        )
    # Copies, so callers' arrays are never modified and broadcast views are writeable.
    return np.array(lon_a, dtype=np.float64), np.array(lat_a, dtype=np.float64)


def _finish(lon: NDArray[np.float64], lat: NDArray[np.float64], scalar: bool) -> _FloatOut:
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def _is_scalar(lon: ArrayLike, lat: ArrayLike) -> bool:
    return np.ndim(lon) == 0 and np.ndim(lat) == 0


def _in_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """True where the GCJ-02 offset applies (NaN gives False)."""
    lon_min, lat_min, lon_max, lat_max = CHINA_RECTANGLE_DEG
    return (lon >= lon_min) & (lon <= lon_max) & (lat >= lat_min) & (lat <= lat_max)


def _transform_lat(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """The published ``transformLat`` series; x, y are degrees offset from (105 E, 35 N)."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """The published ``transformLon`` series; x, y are degrees offset from (105 E, 35 N)."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj02_offset(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """GCJ-02 minus WGS 84 at WGS 84 (lon, lat), in degrees, without the rectangle test."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A_M * (1.0 - _KRASOVSKY_EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A_M / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def _check_iteration(what: str, tol_deg: float, max_iter: int) -> None:
    if not (isinstance(tol_deg, int | float) and math.isfinite(tol_deg) and tol_deg > 0):
        raise InvalidInput(
            f"{what}: tol_deg must be a positive number of degrees; received {tol_deg!r}. "
            "Use the default 1e-7 (about 1 cm)."
        )
    if not (isinstance(max_iter, int) and max_iter >= 1):
        raise InvalidInput(f"{what}: max_iter must be a positive integer; received {max_iter!r}. Use the default 30.")


def _invert(
    forward: Callable[[NDArray[np.float64], NDArray[np.float64]], tuple[NDArray[np.float64], NDArray[np.float64]]],
    target: tuple[NDArray[np.float64], NDArray[np.float64]],
    start: tuple[NDArray[np.float64], NDArray[np.float64]],
    tol_deg: float,
    max_iter: int,
    what: str,
    system: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Solve ``forward(p) = target`` by the fixed-point iteration ``p ← p − (forward(p) − target)``.

    ``forward`` is a small offset from the identity (its Jacobian differs from 1 by about 1e-3), so
    each step shrinks the error about a thousandfold. Iterates until the largest absolute residual
    ``|forward(p) − target|`` over all points is below ``tol_deg`` (degrees); the correction of
    that step is applied first, so the point's own error is then far below ``tol_deg``.
    """
    g_lon, g_lat = target
    w_lon, w_lat = start[0].copy(), start[1].copy()
    residual = np.inf
    for _ in range(max_iter + 1):
        f_lon, f_lat = forward(w_lon, w_lat)
        r_lon = f_lon - g_lon
        r_lat = f_lat - g_lat
        residual = float(max(np.max(np.abs(r_lon), initial=0.0), np.max(np.abs(r_lat), initial=0.0)))
        w_lon -= r_lon
        w_lat -= r_lat
        if residual < tol_deg:
            return w_lon, w_lat
    worst = int(np.argmax(np.maximum(np.abs(r_lon), np.abs(r_lat))))
    raise InvalidInput(
        f"{what}: the inverse did not converge to {tol_deg} degrees in {max_iter} "
        f"iterations (largest residual {residual:.3g} degrees at {system} lon={float(g_lon[worst])!r}, "
        f"lat={float(g_lat[worst])!r}). Check that the input really is {system} degrees, or raise "
        "max_iter / tol_deg."
    )


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> _FloatOut:
    """Convert WGS 84 longitude/latitude to GCJ-02 (Amap, Tencent, Google China).

    The published forward transform: Krasovsky 1940 ellipsoid (a = 6378245.0 m,
    e² = 0.00669342162296594323) and the ``transformLat``/``transformLon`` polynomial and sine
    series around (105° E, 35° N).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS 84 longitude and latitude, degrees. Broadcast together; NaN passes through.

    Returns
    -------
    (lon, lat) : tuple of ndarray (or floats for scalar input)
        GCJ-02 longitude and latitude, degrees. Points outside the rectangle
        :data:`CHINA_RECTANGLE_DEG` are returned unchanged, matching the published
        implementations (googollee/eviltransform, wandergis/coordtransform).

    Raises
    ------
    InvalidInput
        If a longitude is outside ±180 degrees or a latitude outside ±90 degrees.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(121.5272106, 31.1774276)  # Shanghai (eviltransform tests)
    >>> round(lon, 6), round(lat, 6)
    (121.531542, 31.175304)
    """
    scalar = _is_scalar(lon, lat)
    lon_a, lat_a = _as_lonlat(lon, lat, "wgs84_to_gcj02")
    dlon, dlat = _gcj02_offset(lon_a, lat_a)
    inside = _in_china(lon_a, lat_a)
    return _finish(np.where(inside, lon_a + dlon, lon_a), np.where(inside, lat_a + dlat, lat_a), scalar)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, tol_deg: float = 1e-7, max_iter: int = 30) -> _FloatOut:
    """Convert GCJ-02 longitude/latitude to WGS 84 exactly, by inverting the forward transform.

    Fixed-point iteration ``wgs ← wgs − (forward(wgs) − gcj)`` starting from the GCJ-02 point,
    until the largest absolute residual ``|forward(wgs) − gcj|`` over all points is below
    ``tol_deg``. The offset changes by about 0.2 % per degree, so each step shrinks the error
    by roughly 500×: 3 to 4 steps reach 1e-12 degrees. The common one-step approximation
    ``2·gcj − forward(gcj)`` is NOT used; it is off by up to a few metres.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude, degrees. NaN passes through.
    tol_deg : float, default 1e-7
        Convergence tolerance on the forward residual, degrees (1e-7 degrees ≈ 1 cm).
    max_iter : int, default 30
        Maximum number of iterations.

    Returns
    -------
    (lon, lat) : tuple of ndarray (or floats for scalar input)
        WGS 84 longitude and latitude, degrees. GCJ-02 points outside
        :data:`CHINA_RECTANGLE_DEG` are returned unchanged (as the published implementations
        do). Inside, the iteration uses the offset without the rectangle test, so a GCJ-02
        point within ~0.01° of the rectangle's edge may map just outside it; the edges lie far
        from Chinese territory (westernmost ≈ 73.5° E, northernmost ≈ 53.6° N).

    Raises
    ------
    InvalidInput
        If a coordinate is out of range, ``tol_deg``/``max_iter`` are not positive, or the
        iteration does not converge within ``max_iter`` steps.
    """
    _check_iteration("gcj02_to_wgs84", tol_deg, max_iter)
    scalar = _is_scalar(lon, lat)
    gcj_lon, gcj_lat = _as_lonlat(lon, lat, "gcj02_to_wgs84")
    inside = _in_china(gcj_lon, gcj_lat)
    wgs_lon, wgs_lat = gcj_lon.copy(), gcj_lat.copy()
    if inside.any():
        target = (gcj_lon[inside], gcj_lat[inside])

        def forward(w_lon: NDArray[np.float64], w_lat: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
            dlon, dlat = _gcj02_offset(w_lon, w_lat)
            return w_lon + dlon, w_lat + dlat

        wgs_lon[inside], wgs_lat[inside] = _invert(forward, target, target, tol_deg, max_iter,
                                                   "gcj02_to_wgs84", "GCJ-02")
    return _finish(wgs_lon, wgs_lat, scalar)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> _FloatOut:
    """Convert GCJ-02 longitude/latitude to Baidu BD-09 with the published formula.

    ``z = hypot(x, y) + 2e-5·sin(y·x_pi)``, ``θ = atan2(y, x) + 3e-6·cos(x·x_pi)``,
    ``bd = (z·cos θ + 0.0065, z·sin θ + 0.006)`` with ``x_pi = π·3000/180``. Applied
    everywhere (no rectangle test), as in wandergis/coordtransform.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude, degrees. NaN passes through.

    Returns
    -------
    (lon, lat) : tuple of ndarray (or floats for scalar input)
        BD-09 longitude and latitude, degrees.

    Raises
    ------
    InvalidInput
        If a coordinate is out of range.
    """
    scalar = _is_scalar(lon, lat)
    x, y = _as_lonlat(lon, lat, "gcj02_to_bd09")
    return _finish(*_bd09_forward(x, y), scalar)


def _bd09_forward(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The published GCJ-02 → BD-09 formula on checked arrays (degrees)."""
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + _BD_DLON_DEG, z * np.sin(theta) + _BD_DLAT_DEG


def _bd09_published_inverse(
    bd_lon: NDArray[np.float64], bd_lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The published one-step BD-09 → GCJ-02 formula (approximate: off by up to ≈ 0.2 m)."""
    x = bd_lon - _BD_DLON_DEG
    y = bd_lat - _BD_DLAT_DEG
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike, tol_deg: float = 1e-7, max_iter: int = 30) -> _FloatOut:
    """Convert Baidu BD-09 longitude/latitude to GCJ-02 exactly, by inverting :func:`gcj02_to_bd09`.

    Starts from the published one-step inverse (``x = lon − 0.0065``, ``y = lat − 0.006``,
    ``z = hypot(x, y) − 2e-5·sin(y·x_pi)``, ``θ = atan2(y, x) − 3e-6·cos(x·x_pi)``,
    ``gcj = (z·cos θ, z·sin θ)``), which alone is off by up to about 2e-6 degrees (≈ 0.2 m), then
    iterates ``gcj ← gcj − (gcj02_to_bd09(gcj) − bd)`` until the largest residual is below
    ``tol_deg`` (one or two steps).

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude, degrees. NaN passes through.
    tol_deg : float, default 1e-7
        Convergence tolerance on the forward residual, degrees (1e-7 degrees ≈ 1 cm).
    max_iter : int, default 30
        Maximum number of iterations.

    Returns
    -------
    (lon, lat) : tuple of ndarray (or floats for scalar input)
        GCJ-02 longitude and latitude, degrees.

    Raises
    ------
    InvalidInput
        If a coordinate is out of range, ``tol_deg``/``max_iter`` are not positive, or the
        iteration does not converge within ``max_iter`` steps.
    """
    _check_iteration("bd09_to_gcj02", tol_deg, max_iter)
    scalar = _is_scalar(lon, lat)
    bd_lon, bd_lat = _as_lonlat(lon, lat, "bd09_to_gcj02")
    gcj_lon, gcj_lat = np.full_like(bd_lon, np.nan), np.full_like(bd_lat, np.nan)
    known = np.isfinite(bd_lon) & np.isfinite(bd_lat)
    if known.any():
        target = (bd_lon[known], bd_lat[known])
        gcj_lon[known], gcj_lat[known] = _invert(_bd09_forward, target, _bd09_published_inverse(*target), tol_deg,
                                                 max_iter, "bd09_to_gcj02", "BD-09")
    return _finish(gcj_lon, gcj_lat, scalar)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike, tol_deg: float = 1e-7, max_iter: int = 30) -> _FloatOut:
    """Convert Baidu BD-09 longitude/latitude to WGS 84, inverting :func:`wgs84_to_bd09` to about 1 cm.

    ``gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))``: both steps iterate their forward formula, so
    ``wgs84_to_bd09`` of the result is the input to within ``tol_deg`` (the one-step published
    BD-09 inverse was off by up to 0.2 m).

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude, degrees. NaN passes through.
    tol_deg, max_iter
        Passed to :func:`bd09_to_gcj02` and :func:`gcj02_to_wgs84`.

    Returns
    -------
    (lon, lat) : tuple of ndarray (or floats for scalar input)
        WGS 84 longitude and latitude, degrees.

    Raises
    ------
    InvalidInput
        If a coordinate is out of range or the inverse does not converge.
    """
    scalar = _is_scalar(lon, lat)
    bd_lon, bd_lat = _as_lonlat(lon, lat, "bd09_to_wgs84")
    gcj_lon, gcj_lat = bd09_to_gcj02(bd_lon, bd_lat, tol_deg=tol_deg, max_iter=max_iter)
    wgs_lon, wgs_lat = gcj02_to_wgs84(gcj_lon, gcj_lat, tol_deg=tol_deg, max_iter=max_iter)
    return _finish(np.asarray(wgs_lon), np.asarray(wgs_lat), scalar)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> _FloatOut:
    """Convert WGS 84 longitude/latitude to Baidu BD-09: ``gcj02_to_bd09(*wgs84_to_gcj02(...))``.

    Parameters
    ----------
    lon, lat : float or array_like
        WGS 84 longitude and latitude, degrees. NaN passes through.

    Returns
    -------
    (lon, lat) : tuple of ndarray (or floats for scalar input)
        BD-09 longitude and latitude, degrees.

    Raises
    ------
    InvalidInput
        If a coordinate is out of range.
    """
    scalar = _is_scalar(lon, lat)
    wgs_lon, wgs_lat = _as_lonlat(lon, lat, "wgs84_to_bd09")
    gcj_lon, gcj_lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
    bd_lon, bd_lat = gcj02_to_bd09(gcj_lon, gcj_lat)
    return _finish(np.asarray(bd_lon), np.asarray(bd_lat), scalar)


def to_wgs84(lon: ArrayLike, lat: ArrayLike, system: str) -> _FloatOut:
    """Convert Chinese web-map coordinates in ``system`` to WGS 84.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude in ``system``, degrees. NaN passes through.
    system : str
        ``"gcj02"``/``"gcj-02"`` (Amap, Tencent, Google China) or ``"bd09"``/``"bd-09"``
        (Baidu), case-insensitive; surrounding whitespace is ignored.

    Returns
    -------
    (lon, lat) : tuple of ndarray (or floats for scalar input)
        WGS 84 longitude and latitude, degrees.

    Raises
    ------
    InvalidInput
        If ``system`` is not one of the accepted names, or a coordinate is out of range.
    """
    key = system.strip().lower() if isinstance(system, str) else None
    canonical = SUPPORTED_SYSTEMS.get(key) if key is not None else None
    if canonical is None:
        valid = ", ".join(repr(name) for name in SUPPORTED_SYSTEMS)
        raise InvalidInput(
            f"to_wgs84: unknown coordinate system {system!r}. Valid choices (case-insensitive): "
            f"{valid}. Use 'gcj02' for Amap/Gaode, Tencent or Google China coordinates and 'bd09' "
            "for Baidu; WGS 84 data needs no conversion."
        )
    if canonical == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    return bd09_to_wgs84(lon, lat)
