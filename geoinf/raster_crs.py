"""Where a raster's cells are on WGS84, in the raster's own CRS (no reprojection).

Three kinds of grid (:func:`raster_grid`), each read by the cell-centre rule (a cell
counts when its centre is within range by exact ellipsoidal distance):

``lonlat``
    EPSG:4326 / OGC:CRS84: row ``i`` is the parallel of its centre, column ``j`` the
    longitude ``west + (j + 0.5) * dlon`` (taken modulo 360°, so 0–360° grids work).
``parallels``
    Any other geographic CRS, and the cylindrical and pseudocylindrical projections
    (:data:`PARALLEL_METHODS`: Mollweide as GHS-POP uses it, sinusoidal, Eckert IV,
    EASE-Grid 2.0, equirectangular, Mercator, ...), where every raster row is a
    parallel and longitude is linear in x along a row. The property is taken from the
    CRS's projection method **and** verified numerically on every row with pyproj
    (y constant along the row's parallel, x linear in longitude, to a millionth of a
    cell); the per-row mapping (latitude, longitude of the west edge, degrees per
    column, the columns inside the projection's domain) then feeds the row-interval
    method of :mod:`geoinf.row_intervals`: O(rows), not O(cells).
``cells``
    Every other projected CRS (EPSG:3035 LAEA, UTM, Lambert conformal...): cell centres
    are transformed to lon/lat with pyproj where a disc's edge passes (see
    :func:`geoinf.population_sums.raster_sums`).

A raster without a CRS is refused with one :class:`~geoinf.errors.InputError`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyproj
from affine import Affine
from numpy.typing import NDArray

from .errors import InputError
from .row_intervals import meridian_km, row_table

__all__ = ["PARALLEL_METHODS", "RasterGrid", "raster_grid", "grid_problem", "to_lonlat",
           "from_lonlat",
           "is_wgs84_lonlat", "lonlat_on_grid"]

PARALLEL_METHODS = frozenset({
    "Mollweide", "Sinusoidal", "Eckert IV", "Eckert VI", "Robinson", "Equal Earth",
    "Lambert Cylindrical Equal Area", "Lambert Cylindrical Equal Area (Spherical)",
    "Equidistant Cylindrical", "Equidistant Cylindrical (Spherical)",
    "Mercator (variant A)", "Mercator (variant B)", "Popular Visualisation Pseudo Mercator",
    "Miller Cylindrical",
})
"""Projection methods (PROJ names) whose rows are parallels with x linear in longitude."""
_PROBE_DEG = np.array([-179.5, -120.0, -60.0, -1.0, 0.0, 1.0, 60.0, 120.0, 179.5])
_LINEAR_TOL = 1e-6  # of a cell: the largest misfit of the per-row linear mapping


def is_wgs84_lonlat(crs) -> bool:
    """Return True for EPSG:4326 / OGC:CRS84 (degrees on WGS84, no transformation)."""
    if crs is None:
        return False
    return crs.to_epsg() == 4326 or crs.to_string() in ("OGC:CRS84", "EPSG:4326")


def grid_problem(crs, transform) -> str:
    """Return why a raster's cells cannot be placed on the globe (one phrase), or ''.

    Examples
    --------
    >>> from rasterio.transform import from_origin
    >>> grid_problem(None, from_origin(0, 1, 1, 1))[:22]
    'the raster has no CRS,'
    """
    t = transform
    if not crs:
        return ("the raster has no CRS, so its cells cannot be placed; expected a raster "
                "with a coordinate reference system (any: EPSG:4326, ESRI:54009 "
                "Mollweide, EPSG:3035...)")
    if t.b != 0 or t.d != 0:
        return (f"the geotransform is rotated ({_crs_name(crs)}); expected a grid "
                "without rotation (north-up or south-up)")
    if t.a <= 0:
        return "the columns run west (negative pixel width); expected them to run east"
    if is_wgs84_lonlat(crs):
        return ""
    try:
        pyproj.CRS.from_wkt(crs.to_wkt())
    except pyproj.exceptions.CRSError as err:
        return f"pyproj cannot use the raster's CRS {crs.to_string()} ({err})"
    return ""


def _crs_name(crs) -> str:
    try:
        return f"{crs.to_string()} ({pyproj.CRS.from_wkt(crs.to_wkt()).name})"
    except pyproj.exceptions.CRSError:
        return crs.to_string()


def lonlat_on_grid(grid: RasterGrid, transform, shape: tuple[int, int], lon: NDArray,
                   lat: NDArray) -> NDArray[np.bool_]:
    """Return which lon/lat points fall on a cell of a projected raster (and its domain).

    Examples
    --------
    >>> from rasterio.crs import CRS
    >>> from rasterio.transform import from_origin
    >>> t = from_origin(4.28e6, 3.25e6, 1e3, 1e3)  # 100 km around 10 E, 52 N
    >>> g = raster_grid(CRS.from_epsg(3035), t, (100, 100))
    >>> lonlat_on_grid(g, t, (100, 100), np.array([10.0, 40.0]), np.array([52.0, 10.0]))
    array([ True, False])
    """
    h, w = shape
    x, y = from_lonlat(grid.crs).transform(lon, lat)
    col, row = (np.asarray(x) - transform.c) / transform.a, \
        (np.asarray(y) - transform.f) / transform.e
    with np.errstate(invalid="ignore"):
        on = (col >= 0) & (col < w) & (row >= 0) & (row < h)
    if on.any() and grid.kind == "parallels":  # and inside the projection's domain
        r = np.where(on, row, 0).astype(np.intp)
        c = np.where(on, col, 0).astype(np.intp)
        on &= (c >= grid.col_lo[r]) & (c < grid.col_hi[r])
    return on


@functools.lru_cache(maxsize=8)
def _transformer(source: str, target: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(pyproj.CRS.from_user_input(source),
                                       pyproj.CRS.from_user_input(target), always_xy=True)


def to_lonlat(crs) -> pyproj.Transformer:
    """Return the transformer from ``crs`` to WGS84 lon/lat degrees (``always_xy``; cached)."""
    return _transformer(crs.to_wkt(), "EPSG:4326")


def from_lonlat(crs) -> pyproj.Transformer:
    """Return the transformer from WGS84 lon/lat degrees to ``crs`` (``always_xy``; cached)."""
    return _transformer("EPSG:4326", crs.to_wkt())


@dataclass
class RasterGrid:
    """Where the cell centres of a raster are, by rows (see the module docstring).

    Attributes
    ----------
    kind : {"lonlat", "parallels", "cells"}
    crs : pyproj.CRS
    row_lat : ndarray or None
        Latitude of each row's centre (NaN: a row outside the projection's domain).
    row_west, row_dlon : ndarray or None
        Longitude of the row's west edge and the degrees per column, so that the centre
        of column ``j`` is at ``row_west + (j + 0.5) * row_dlon``.
    col_lo, col_hi : ndarray or None
        Per row, the half-open range of columns whose centres are inside the domain.
    row_meridian_km : ndarray or None
        :func:`geoinf.row_intervals.meridian_km` of ``row_lat`` (NaN off the domain).

    The arrays are read-only: grids are cached and shared by every open of a raster.
    """

    kind: str
    crs: pyproj.CRS
    row_lat: NDArray | None = None
    row_west: NDArray | None = None
    row_dlon: NDArray | None = None
    col_lo: NDArray | None = None
    col_hi: NDArray | None = None
    row_meridian_km: NDArray | None = None

    def __post_init__(self):
        """Compute the meridian distances of the rows; make every array read-only."""
        if self.row_lat is not None and self.row_meridian_km is None:
            m = np.full(self.row_lat.size, np.nan)
            ok = np.isfinite(self.row_lat)
            m[ok] = meridian_km(self.row_lat[ok])
            self.row_meridian_km = m
        for name in ("row_lat", "row_west", "row_dlon", "col_lo", "col_hi",
                     "row_meridian_km"):
            value = getattr(self, name)
            if value is not None:
                value = np.array(value)
                value.setflags(write=False)
                setattr(self, name, value)

    @functools.cached_property
    def rows_on_globe(self) -> NDArray[np.intp]:
        """Return the rows with a latitude and columns on the globe (read-only; kinds with rows)."""
        rows = np.flatnonzero(np.isfinite(self.row_lat) & (self.col_hi > self.col_lo))
        rows.setflags(write=False)
        return rows

    @functools.cached_property
    def row_table(self):
        """Return the rows on the globe prepared for the row intervals (cached).

        A :class:`geoinf.row_intervals.RowTable` of the rows :attr:`rows_on_globe`.
        """
        rows = self.rows_on_globe
        whole = rows.size == self.row_lat.size  # no gathers

        def pick(a):
            return a if whole else a[rows]
        return row_table(row_lat=pick(self.row_lat), west=pick(self.row_west),
                         dlon=pick(self.row_dlon), ncols=0,
                         col_range=(pick(self.col_lo), pick(self.col_hi)),
                         row_meridian_km=pick(self.row_meridian_km))


def raster_grid(crs, transform, shape: tuple[int, int], *, where: str = "raster"
                ) -> RasterGrid:
    """Return the grid of a raster: how its rows and columns map to lon/lat.

    Parameters
    ----------
    crs : rasterio.crs.CRS or None
        The raster's CRS.
    transform : affine.Affine
        Its geotransform (no rotation).
    shape : (rows, cols)
    where : str
        Names the raster in error messages.

    Raises
    ------
    InputError
        No CRS, or a CRS pyproj cannot use.

    Examples
    --------
    >>> from rasterio.crs import CRS
    >>> from rasterio.transform import from_origin
    >>> g = raster_grid(CRS.from_string("ESRI:54009"), from_origin(-18e6, 9e6, 1e5, 1e5),
    ...                 (180, 360))
    >>> g.kind, f"{g.row_lat[90]:.3f}", int(g.col_lo[90]), int(g.col_hi[90])
    ('parallels', '-0.404', 0, 360)
    """
    problem = grid_problem(crs, transform)
    if problem:
        raise InputError(f"{where}: {problem}")
    return _cached_grid(crs.to_wkt(), tuple(transform)[:6], tuple(shape), where)


@functools.lru_cache(maxsize=16)
def _cached_grid(wkt: str, transform: tuple, shape: tuple, where: str) -> RasterGrid:
    """Return :func:`raster_grid` for a CRS given as WKT (cached: grids are read-only)."""
    from rasterio.crs import CRS
    crs, transform, (h, w) = CRS.from_wkt(wkt), Affine(*transform), shape
    if is_wgs84_lonlat(crs):
        full = np.ones(h)
        return RasterGrid("lonlat", pyproj.CRS.from_epsg(4326),
                          transform.f + transform.e * (np.arange(h) + 0.5),
                          transform.c * full, transform.a * full,
                          np.zeros(h, np.intp), np.full(h, w, np.intp))
    try:
        proj_crs = pyproj.CRS.from_user_input(crs.to_wkt())
        to_geo = to_lonlat(crs)
    except pyproj.exceptions.CRSError as err:
        raise InputError(f"{where}: pyproj cannot use the raster's CRS ({err})") from None
    op = proj_crs.coordinate_operation
    if proj_crs.is_geographic or (op is not None and op.method_name in PARALLEL_METHODS):
        grid = _parallel_rows(proj_crs, to_geo, transform, shape)
        if grid is not None:
            return grid
    return RasterGrid("cells", proj_crs)


def _central_lon(crs: pyproj.CRS) -> float:
    op = crs.coordinate_operation
    if op is None:
        return 0.0
    for p in op.params:
        if "ongitude" in p.name and ("origin" in p.name or "meridian" in p.name):
            return float(p.value)
    return 0.0


def _parallel_rows(crs, to_geo, t, shape) -> RasterGrid | None:
    """Per-row mapping of a grid whose rows are parallels, or None if pyproj disagrees."""
    h, w = shape
    lon_c = _central_lon(crs)
    fwd = from_lonlat(crs)
    x_c, y_0 = fwd.transform(lon_c, 0.0)
    if not np.isfinite([x_c, y_0]).all():
        return None
    y_row = t.f + t.e * (np.arange(h) + 0.5)
    lon_r, lat = to_geo.transform(np.full(h, x_c), y_row)
    lat = np.where(np.isfinite(lat) & (np.abs(lat) <= 90), lat, np.nan)
    good = np.isfinite(lat) & (np.abs(_wrap(np.asarray(lon_r) - lon_c)) < 1e-9)
    # k0: x per degree of longitude along the row (forward), then the inverse at probes
    px, _ = fwd.transform(np.repeat([lon_c - 1.0, lon_c + 1.0], h),
                          np.tile(np.where(good, lat, 0.0), 2))
    k0 = (np.asarray(px[h:]) - np.asarray(px[:h])) / 2.0
    good &= np.isfinite(k0) & (np.abs(k0) > abs(t.a) * 1e-9)
    k0 = np.where(good, k0, 1.0)
    n = _PROBE_DEG.size
    x_probe = x_c + k0[:, None] * _PROBE_DEG[None, :]
    plon, plat = to_geo.transform(x_probe.ravel(), np.repeat(y_row, n))
    plon = lon_c + _wrap(np.asarray(plon).reshape(h, n) - lon_c)
    plat = np.asarray(plat).reshape(h, n)
    k = 2.0 * k0 / (plon[:, 5] - plon[:, 3])  # x per degree, as the inverse has it
    good &= np.isfinite(k)
    dlat = np.abs(np.gradient(np.where(good, lat, 0.0))) if h > 1 else np.ones(h)
    with np.errstate(invalid="ignore", divide="ignore"):
        misfit_lon = np.abs(plon - lon_c - (x_probe - x_c) / k[:, None]) * np.abs(k[:, None] / t.a)
        misfit_lat = np.abs(plat - lat[:, None]) / np.maximum(dlat, 1e-300)[:, None]
    good_ok = good[:, None] & np.isfinite(plon)
    if (misfit_lon[good_ok] > _LINEAR_TOL).any() or (misfit_lat[good_ok] > _LINEAR_TOL).any():
        return None  # not parallels with linear longitude here: decide cell by cell
    k = np.where(good, k, np.nan)
    west = lon_c + (t.c - x_c) / k
    dlon = t.a / k
    if crs.is_geographic:  # the whole row is on the globe (longitudes modulo 360°)
        lo, hi = np.zeros(h, np.intp), np.full(h, w, np.intp)
    else:  # only the columns within 180° of the central meridian are on the globe
        with np.errstate(invalid="ignore"):
            a = (lon_c - 180.0 - west) / dlon - 0.5
            b = (lon_c + 180.0 - west) / dlon - 0.5
            lo = np.clip(np.ceil(np.minimum(a, b) - 1e-9), 0, w)
            hi = np.clip(np.floor(np.maximum(a, b) + 1e-9) + 1, 0, w)
        lo, hi = np.where(good, lo, 0).astype(np.intp), np.where(good, hi, 0).astype(np.intp)
    # a row's lon runs east with the column only if dlon > 0; grid_intervals needs that
    if (dlon[good] <= 0).any():
        return None
    return RasterGrid("parallels", crs, np.where(good, lat, np.nan), west, dlon, lo, hi)


def _wrap(x):
    with np.errstate(invalid="ignore"):
        return (np.asarray(x, dtype=float) + 180.0) % 360.0 - 180.0
