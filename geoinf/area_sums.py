"""Area sites (lines and polygons) on grids and points: the exact rule, narrowed by buffers.

A point or cell centre ``p`` is within ``r`` of an area site ``G`` when the exact
ellipsoidal distance :func:`geoinf.distance_to_km` ``(G, p) <= r``. Deciding that for
every cell of a raster would cost one exact solve per cell, so two geodesic buffers
(:func:`geoinf.geodesic_buffer`, within :data:`SHELL_TOLERANCE_KM` of the true
boundary) narrow it down: ``inner = buffer(G, r - MARGIN_KM)`` holds only points within
``r - MARGIN_KM + SHELL_TOLERANCE_KM < r`` (surely inside), ``outer = buffer(G, r +
MARGIN_KM)`` holds every point within ``r + MARGIN_KM - SHELL_TOLERANCE_KM > r`` (outside
it: surely outside). Only what lies between the two, a ribbon about ``2 * MARGIN_KM``
wide along the buffer's edge, is decided by the exact distance.

On a grid whose rows are parallels (:class:`geoinf.raster_crs.RasterGrid`), each
buffer meets a row in any number of longitude intervals (a scanline through the
polygons' straight lon/lat edges, even-odd rule), which become column runs; the cells
of the ribbon are decided exactly, and the disc of each radius comes out as column
runs (:func:`disc_runs`), the annulus as the outer runs minus the inner ones
(:func:`difference_runs`). Points (places, vector layers) are classified the same way
(:func:`within`).
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

from .buffers import MAX_EDGE_BUFFER_KM
from .errors import InputError
from .geometry_distance import distance_to_km
from .row_intervals import union_runs
from .site_discs import area_buffers

__all__ = ["MARGIN_KM", "SHELL_TOLERANCE_KM", "MAX_AREA_RANGE_KM", "shell", "within",
           "distances_within", "row_spans", "span_runs", "difference_runs", "disc_runs",
           "annulus_runs"]

SHELL_TOLERANCE_KM = 0.5
"""Tolerance of the classifying buffers (km)."""
MARGIN_KM = 2.0
"""Half width of the ribbon decided by exact distance: the buffers are at ``r ± MARGIN_KM``."""
MAX_AREA_RANGE_KM = MAX_EDGE_BUFFER_KM - MARGIN_KM
"""Largest range around an area site (km): the outer buffer is at most
:data:`geoinf.buffers.MAX_EDGE_BUFFER_KM`."""
_EPS_DEG = 1e-9  # intervals widened (outer) or narrowed (inner) by this, against rounding


def shell(area, radius_km: float):
    """Return ``(inner, outer)`` buffers of an area: surely inside and possibly inside.

    ``inner`` is None when ``radius_km <= MARGIN_KM`` (nothing is surely inside).

    Raises
    ------
    InputError
        ``radius_km`` above :data:`MAX_AREA_RANGE_KM`.

    Examples
    --------
    >>> inner, outer = shell(shapely.LineString([(20, 50), (22, 51)]), 100)
    >>> bool(outer.contains(inner)), bool(inner.contains(shapely.Point(21, 50.5)))
    (True, True)
    """
    r = float(radius_km)
    if r > MAX_AREA_RANGE_KM:
        raise InputError(f"range {r:,.0f} km around an area site: expected at most "
                         f"{MAX_AREA_RANGE_KM:,.0f} km (buffers of lines and areas end at "
                         f"{MAX_EDGE_BUFFER_KM:,.0f} km)")
    radii = [r - MARGIN_KM, r + MARGIN_KM] if r > MARGIN_KM else [r + MARGIN_KM]
    out = area_buffers([area] * len(radii), radii, tolerance_km=SHELL_TOLERANCE_KM)
    shapely.prepare(out)  # kept buffers: prepared once, then reused
    return (out[0] if len(out) == 2 else None), out[-1]


def within(area, radii_km: NDArray, lon: NDArray, lat: NDArray, *,
           engine: str = "auto") -> NDArray[np.bool_]:
    """Return whether each point is within each radius of an area, by exact distance.

    Parameters
    ----------
    area : shapely geometry
        A line or polygon in lon/lat.
    radii_km : array_like
        Radii in km (0 means the area itself: inside or on it).
    lon, lat : ndarray
        Points in degrees.
    engine : str, default "auto"
        Engine of :func:`geoinf.distance_to_km`.

    Returns
    -------
    ndarray of bool, shape (len(radii_km), len(lon))
        ``distance_to_km(area, p) <= r``; the buffers of :func:`shell` settle every point
        outside the ribbon, the exact distance the others.
    """
    radii = np.atleast_1d(np.asarray(radii_km, dtype=float))
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    sure = np.zeros((radii.size, lon.size), dtype=bool)
    doubt = np.zeros_like(sure)
    for k, r in enumerate(radii):
        if r <= 0:
            doubt[k] = True
            continue
        inner, outer = shell(area, r)
        maybe = shapely.intersects_xy(outer, lon, lat)
        sure[k] = maybe & shapely.contains_xy(inner, lon, lat) if inner is not None else False
        doubt[k] = maybe & ~sure[k]
    todo = np.flatnonzero(doubt.any(axis=0))
    if todo.size:
        d = np.asarray(distance_to_km(area, lon[todo], lat[todo], engine=engine))
        sure[:, todo] |= doubt[:, todo] & (d[None, :] <= radii[:, None])
    return sure


def distances_within(area, radius_km: float, lon: NDArray, lat: NDArray, *,
                     engine: str = "auto") -> NDArray[np.float64]:
    """Return the exact distance (km) to an area of the points possibly within a radius.

    Points outside the outer buffer of :func:`shell` (surely farther than ``radius_km``)
    get ``inf``; every other point its exact :func:`geoinf.distance_to_km`.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    out = np.full(lon.size, np.inf)
    _, outer = shell(area, max(float(radius_km), MARGIN_KM))
    todo = np.flatnonzero(shapely.intersects_xy(outer, lon, lat))
    if todo.size:
        out[todo] = distance_to_km(area, lon[todo], lat[todo], engine=engine)
    return out


# --- grids whose rows are parallels --------------------------------------------------------

def row_spans(polygon, row_lat: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Return where each parallel crosses the inside of a lon/lat polygon.

    A scanline over the polygon's straight lon/lat edges (every ring, holes too; the
    even-odd rule; an edge holds the latitudes ``[low, high)`` of its ends).

    Returns
    -------
    row, west, east : ndarray
        One longitude interval per entry, ``row`` indexing ``row_lat``.

    Examples
    --------
    >>> [a.tolist() for a in row_spans(shapely.box(0, 0, 10, 10), np.array([5.0, 11.0]))]
    [[0], [0.0], [10.0]]
    """
    row_lat = np.asarray(row_lat, dtype=float)
    empty = (np.zeros(0, np.intp), np.zeros(0), np.zeros(0))
    if polygon is None or shapely.is_empty(polygon) or row_lat.size == 0:
        return empty
    rings = shapely.get_rings(shapely.get_parts(polygon))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    lo, hi = np.minimum(a[:, 1], b[:, 1]), np.maximum(a[:, 1], b[:, 1])
    order = np.argsort(row_lat, kind="stable")
    lat_sorted = row_lat[order]
    k0, k1 = np.searchsorted(lat_sorted, lo, "left"), np.searchsorted(lat_sorted, hi, "left")
    n = k1 - k0
    if n.sum() == 0:
        return empty
    edge = np.repeat(np.arange(n.size), n)
    pos = k0[edge] + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    row = order[pos]
    t = (row_lat[row] - a[edge, 1]) / (b[edge, 1] - a[edge, 1])
    x = a[edge, 0] + t * (b[edge, 0] - a[edge, 0])
    sort = np.lexsort((x, row))
    row, x = row[sort], x[sort]
    return row[0::2], x[0::2], x[1::2]


def span_runs(row, west, east, grid_west, grid_dlon, col_lo, col_hi, *, closed: bool
              ) -> tuple[NDArray, NDArray, NDArray]:
    """Return the column runs of the cells whose centre lies in each longitude interval.

    ``grid_west, grid_dlon, col_lo, col_hi`` are per-row arrays (a
    :class:`~geoinf.raster_crs.RasterGrid` row: the centre of column ``j`` is at
    ``grid_west + (j + 0.5) * grid_dlon``, modulo 360°); ``closed`` widens the intervals
    by a rounding margin, otherwise they are narrowed by it.

    Examples
    --------
    >>> ones = np.ones(1)
    >>> [a.tolist() for a in span_runs(np.array([0]), np.array([-0.4]), np.array([2.6]),
    ...                                -180 * ones, ones, 0 * ones, 360 * ones, closed=True)]
    [[0], [180], [183]]
    """
    eps = _EPS_DEG if closed else -_EPS_DEG
    parts = []
    for shift in (-360.0, 0.0, 360.0):
        w, dl = grid_west[row], grid_dlon[row]
        u1 = (west - eps + shift - w) / dl - 0.5
        u2 = (east + eps + shift - w) / dl - 0.5
        start = np.maximum(np.ceil(np.minimum(u1, u2)), col_lo[row])
        stop = np.minimum(np.floor(np.maximum(u1, u2)) + 1, col_hi[row])
        keep = stop > start
        parts.append((row[keep], start[keep].astype(np.int64), stop[keep].astype(np.int64)))
    r, a, z = (np.concatenate(p) for p in zip(*parts, strict=True))
    _, r, a, z = union_runs(np.zeros(r.size, np.int64), r, a, z)
    return r, a, z


def difference_runs(a: tuple, b: tuple) -> tuple[NDArray, NDArray, NDArray]:
    """Return the runs of ``a`` minus those of ``b``: each a (row, start, stop) tuple.

    Each input's runs must not overlap (:func:`geoinf.row_intervals.union_runs`).

    Examples
    --------
    >>> one = lambda *v: tuple(np.array([x]) for x in v)
    >>> [x.tolist() for x in difference_runs(one(0, 0, 10), one(0, 3, 5))]
    [[0, 0], [0, 5], [3, 10]]
    """
    row = np.concatenate([a[0], a[0], b[0], b[0]])
    pos = np.concatenate([a[1], a[2], b[1], b[2]])
    step = np.concatenate([np.ones(a[0].size), -np.ones(a[0].size),
                           2 * np.ones(b[0].size), -2 * np.ones(b[0].size)]).astype(np.int64)
    if row.size == 0:
        return (np.zeros(0, np.int64),) * 3
    order = np.lexsort((pos, row))
    row, pos, state = row[order], pos[order], np.cumsum(step[order])
    keep = (state[:-1] == 1) & (row[1:] == row[:-1]) & (pos[1:] > pos[:-1])
    return row[:-1][keep], pos[:-1][keep], pos[1:][keep]


def _cells(runs: tuple) -> tuple[NDArray, NDArray]:
    row, start, stop = runs
    n = stop - start
    col = np.repeat(start, n) + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return np.repeat(row, n), col


def disc_runs(area, radii_km, grid, rows: NDArray, *, engine: str = "auto") -> list[tuple]:
    """Return, per radius, the column runs of the cells within it of an area (exact rule).

    Parameters
    ----------
    area : shapely geometry
        A line or polygon in lon/lat.
    radii_km : sequence of float
        Radii in km, greater than 0.
    grid : geoinf.raster_crs.RasterGrid
        Rows are parallels (``row_lat, row_west, row_dlon, col_lo, col_hi``).
    rows : ndarray of int
        The rows to consider (on the globe, with columns).
    engine : str, default "auto"
        Engine of the exact distances.

    Returns
    -------
    list of (row, start, stop)
        Non-overlapping half-open runs: a cell counts when the exact distance from its
        centre to the area is at most the radius.
    """
    lat = grid.row_lat[rows]
    per_radius, doubt_cells = [], []
    for r in radii_km:
        inner, outer = shell(area, r)
        cols = (grid.row_west[rows], grid.row_dlon[rows], grid.col_lo[rows], grid.col_hi[rows])
        sure = span_runs(*row_spans(inner, lat), *cols, closed=False)
        maybe = span_runs(*row_spans(outer, lat), *cols, closed=True)
        doubt = _cells(difference_runs(maybe, sure))
        per_radius.append((sure, doubt))
        doubt_cells.append(doubt)
    row = np.concatenate([d[0] for d in doubt_cells])
    col = np.concatenate([d[1] for d in doubt_cells])
    key, inverse = np.unique(np.stack([row, col], axis=1), axis=0, return_inverse=True) \
        if row.size else (np.zeros((0, 2), np.int64), np.zeros(0, np.intp))
    dist = np.zeros(len(key))
    if len(key):
        g = rows[key[:, 0]]
        lon = (grid.row_west[g] + (key[:, 1] + 0.5) * grid.row_dlon[g] + 180.0) % 360.0 - 180.0
        dist = np.asarray(distance_to_km(area, lon, grid.row_lat[g], engine=engine))
    out, at = [], 0
    for r, (sure, doubt) in zip(radii_km, per_radius, strict=True):
        d = dist[np.ravel(inverse)[at:at + doubt[0].size]]
        at += doubt[0].size
        hit = d <= r
        r_row = np.concatenate([sure[0], doubt[0][hit]])
        r_start = np.concatenate([sure[1], doubt[1][hit]])
        r_stop = np.concatenate([sure[2], doubt[1][hit] + 1])
        _, r_row, r_start, r_stop = union_runs(np.zeros(r_row.size), r_row, r_start, r_stop)
        out.append((rows[r_row], r_start, r_stop))
    return out


def annulus_runs(annuli, grid, rows: NDArray, *, engine: str = "auto") -> list[tuple]:
    """Return the column runs of each annulus around an area site (exact cell-centre rule).

    ``annuli`` has ``area`` (a line or polygon), ``inner_km`` and ``outer_km``; a cell
    counts when ``inner_km < d <= outer_km`` (``d <= outer_km`` when ``inner_km`` is 0:
    the area itself and its surroundings), ``d`` the exact distance to the area.
    """
    out: list[tuple] = [None] * len(annuli)
    areas = annuli["area"].to_numpy(object)
    keys = np.array([shapely.to_wkb(g) for g in areas], dtype=object)
    inner, outer = annuli["inner_km"].to_numpy(float), annuli["outer_km"].to_numpy(float)
    for key in dict.fromkeys(keys):
        mine = np.flatnonzero(keys == key)
        radii = sorted({*outer[mine], *inner[mine][inner[mine] > 0]})
        runs = dict(zip(radii, disc_runs(areas[mine[0]], radii, grid, rows, engine=engine),
                        strict=True))
        for a in mine:
            disc = runs[outer[a]]
            out[a] = difference_runs(disc, runs[inner[a]]) if inner[a] > 0 else disc
    return out
