"""Raster rows as parallels of latitude: where geodesic discs meet them, as column runs.

A geodesic disc on an ellipsoid of revolution is symmetric about its centre's
meridian, and the distance from the centre to a point of a parallel grows with
the longitude difference (0 to 180°). So the disc meets each parallel in one
interval of longitudes ``[lon - dlon, lon + dlon]``: empty where the meridian
distance already exceeds the radius, the whole parallel where the distance to
the opposite meridian (over a pole) does not. This module solves ``dlon`` per
parallel (Newton's method from Lambert's long-line formula) and turns it into
column intervals of a raster whose rows are parallels (a lon/lat grid, or the rows
of a cylindrical or pseudocylindrical projection with their own longitude mapping,
:mod:`geoinf.raster_crs`), so that a disc's sum costs O(rows), not O(cells).

Numpy arrays in, numpy arrays out, on WGS84. The inverse geodesics run on the
engine chosen by ``engine=`` (:func:`geoinf.engine.inverse`: pyproj, or the
compiled inverse with pyproj for the pairs it declines); with numba,
:func:`grid_intervals` runs the same steps row by row in one compiled pass
(:func:`geoinf.engine.compiled_grid_intervals`), the numpy code here being the
reference it is tested against. Raster intervals follow
the **cell-centre rule** (a cell is inside iff the ellipsoidal distance from the
centre of the disc to the centre of the cell is at most the radius) exactly: cells
whose classification the solve leaves in doubt are decided by an exact inverse,
by pyproj within 1 mm of the radius.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .constants import A_KM, E2, MEAN_RADIUS_KM, WGS84, F
from .engine import compiled_grid_intervals, inverse, resolve_engine

__all__ = ["meridian_km", "half_widths_deg", "grid_intervals", "RowTable", "row_table",
           "table_intervals", "annulus_runs", "union_runs"]

_TOL_KM = 1e-6  # Newton stops when the distance is within 1 mm of the radius
_DOUBT_KM = 1e-3  # cells whose linearised distance is within 1 m of r get an exact inverse
_MAX_ITER = 40
_LAST_STEP_KM = 1e-2  # residual after which one more Newton step is taken unchecked
_FEW = 32  # fewer doubtful cells than this are decided by pyproj without the compiled call


def meridian_km(lat: ArrayLike) -> NDArray[np.float64]:
    """Return the signed meridian arc length from the equator to ``lat``, in km.

    Examples
    --------
    >>> print(f"{meridian_km(90.0):.4f}")  # a quarter meridian of WGS84
    10001.9657
    """
    lat = np.asarray(lat, dtype=float)
    flat = np.atleast_1d(lat).ravel()
    zero = np.zeros_like(flat)
    _, _, s = WGS84.inv(zero, zero, zero, np.abs(flat), return_back_azimuth=True)
    return (np.sign(flat) * np.asarray(s) / 1000.0).reshape(lat.shape)


_QUARTER_KM = float(meridian_km(90.0))


@functools.lru_cache(maxsize=1024)
def _meridian_of(lat: float) -> float:
    """:func:`meridian_km` of one latitude (cached: a site's centre recurs)."""
    return float(meridian_km(lat))


def _hav(d_km: NDArray) -> NDArray:
    return np.sin(np.minimum(d_km, np.pi * MEAN_RADIUS_KM) / (2.0 * MEAN_RADIUS_KM)) ** 2


def _endpoints(m0: NDArray, m: NDArray) -> tuple[NDArray, NDArray]:
    """Distance to the same meridian (d0) and to the opposite one over a pole (dpi)."""
    d0 = np.abs(m - m0)
    dpi = np.minimum(2 * _QUARTER_KM - m0 - m, 2 * _QUARTER_KM + m0 + m)
    return d0, dpi


def _lambert_start(lat0: NDArray, radius: NDArray, lat: NDArray) -> NDArray:
    """Return ``u = sin²(dlon/2)`` where Lambert's long-line formula gives ``radius``.

    Andoyer-Lambert: on the auxiliary sphere of reduced latitudes β the central
    angle σ satisfies ``hav σ = hav(β - β0) + cos β0 cos β · u`` (linear in u), and
    ``s ≈ a (σ - f/2 (X + Y))`` with X, Y functions of σ and of P = (β0 + β)/2,
    Q = (β - β0)/2 only. So ``s(σ) = r`` is solved for σ by a fixed-point iteration
    (ds/dσ = a (1 + O(f))) in numpy, with no geodesic call; the result is within
    about 10 m of the ellipsoidal solution, so one exact Newton step finishes it.
    """
    f = F
    # sin and cos of the reduced latitudes from tan β = (1 - f) tan φ, then of P and Q
    # by the sum formulas (sin² Q from sin 2Q, which keeps its precision for β ≈ β0)
    tb0, tb = ((1 - f) * np.tan(np.radians(x)) for x in (lat0, lat))
    cb0, cb = 1.0 / np.sqrt(1.0 + tb0 * tb0), 1.0 / np.sqrt(1.0 + tb * tb)
    sb0, sb = tb0 * cb0, tb * cb
    sin2p = 0.5 * (1.0 - (cb0 * cb - sb0 * sb))  # sin²((β0 + β)/2)
    sd = sb * cb0 - cb * sb0  # sin(β - β0)
    sin2q = sd * sd / (2.0 * (1.0 + cb0 * cb + sb0 * sb))  # sin²((β - β0)/2)
    # the σ-independent factors of X and Y
    kx = sin2p * (1.0 - sin2q)
    ky = (1.0 - sin2p) * sin2q
    sigma = np.clip(radius / A_KM, 1e-12, np.pi - 1e-9)
    for _ in range(2):  # the error shrinks by a factor ~f each time: 2 give ~1 m
        sh, ch = np.sin(sigma / 2), np.cos(sigma / 2)
        half_s, half_c = sh * sh, ch * ch
        sin_sigma = 2.0 * sh * ch
        x = (sigma - sin_sigma) * kx / np.maximum(half_c, 1e-300)
        y = (sigma + sin_sigma) * ky / np.maximum(half_s, 1e-300)
        s = A_KM * (sigma - f / 2 * (x + y))
        sigma = np.minimum(np.maximum(sigma - (s - radius) / A_KM, 1e-12), np.pi - 1e-9)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (np.sin(sigma / 2) ** 2 - sin2q) / (cb0 * cb)
    return np.where(np.isfinite(u), np.clip(u, 0.0, 1.0), 0.5)


def _solve_half_widths(lat0: NDArray, radius: NDArray, lat: NDArray, engine: str
                       ) -> tuple[NDArray, NDArray, NDArray]:
    """Solve s(dlon) = radius on the parallels where the disc is partial.

    Newton in ``u = sin²(dlon/2)`` on the haversine of the distance, where the
    distance is almost linear (exactly so on a sphere), started from Lambert's
    long-line formula (:func:`_lambert_start`, ~10 m off), so that one exact
    inverse per parallel usually suffices; safeguarded by the bracket ``[0, 1]``.
    ``engine`` is a resolved engine name. Returns ``u``, ``dlon`` (degrees) and
    ``ds/du`` (km) at the solution.
    """
    h_r = _hav(radius)
    u = _lambert_start(lat0, radius, lat)
    lo, hi = np.zeros_like(u), np.ones_like(u)
    dsdu = np.full_like(u, np.nan)
    p = A_KM * np.cos(np.radians(lat)) / np.sqrt(1 - E2 * np.sin(np.radians(lat)) ** 2)
    active = slice(None)  # all parallels at first (views, no gathers), then an index array
    for _ in range(_MAX_ITER):
        if u.size == 0:
            break
        ua = u[active].copy()
        dlon = 2.0 * np.arcsin(np.sqrt(ua))
        _, az21, s = inverse(0.0, lat0[active], np.degrees(dlon), lat[active], engine=engine)
        s = s / 1000.0
        f = s - radius[active]
        # ds/du = p sin(alpha2) * dlon/du, alpha2 = az21 + 180 the azimuth at the point
        sin_dlon = np.sin(dlon)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = 2.0 * p[active] * -np.sin(np.radians(az21)) / sin_dlon
        dsdu[active] = slope
        lo[active] = np.where(f <= 0, ua, lo[active])
        hi[active] = np.where(f > 0, ua, hi[active])
        done = np.abs(f) <= _TOL_KM
        # Newton on hav(s): g'(u) = sin(s/R) / (2R) * ds/du
        gprime = np.sin(s / MEAN_RADIUS_KM) / (2 * MEAN_RADIUS_KM) * slope
        step = (_hav(s) - h_r[active]) / gprime
        new = ua - step
        bad = ~np.isfinite(new) | (new <= lo[active]) | (new >= hi[active])
        new = np.where(bad, 0.5 * (lo[active] + hi[active]), new)
        stuck = (hi[active] - lo[active]) < 1e-16
        u[active] = np.where(done | stuck, ua, new)
        # Newton converges quadratically: from within 10 m, one step lands within ~1 µm
        last = ~bad & (np.abs(f) <= _LAST_STEP_KM)
        going = ~(done | stuck | last)
        active = np.flatnonzero(going) if isinstance(active, slice) else active[going]
        if active.size == 0:
            break
    return u, np.degrees(2.0 * np.arcsin(np.sqrt(u))), dsdu


def half_widths_deg(lat0: ArrayLike, radius_km: ArrayLike, lat: ArrayLike, *,
                    engine: str = "auto") -> NDArray[np.float64]:
    """Return the longitude half-width of geodesic discs on parallels.

    A disc centred at ``(lon0, lat0)`` with radius ``radius_km`` meets the
    parallel ``lat`` in ``[lon0 - w, lon0 + w]``.

    Parameters
    ----------
    lat0 : float or array_like
        Latitude of the centre in degrees.
    radius_km : float or array_like
        Radius in km (ellipsoidal, WGS84).
    lat : float or array_like
        Latitudes of the parallels; broadcast against ``lat0`` and ``radius_km``.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Geodesic solver of the inverse problems (see :func:`geoinf.engine.resolve_engine`).

    Returns
    -------
    ndarray
        ``w`` in degrees: NaN where the parallel misses the disc, 180 where the
        whole parallel lies inside; elsewhere within 1 mm of the circle.

    Examples
    --------
    >>> w = half_widths_deg(44.08, 500, [44.08, 60.0, 89.0])
    >>> [f"{x:.4f}" for x in w]
    ['6.2438', 'nan', 'nan']
    >>> float(half_widths_deg(44.08, 5500, 89.0)[0])  # poleward of the contained pole
    180.0
    """
    lat0, radius, lat = (np.ascontiguousarray(a, dtype=float).ravel() for a in
                         np.broadcast_arrays(*(np.asarray(x, float)
                                               for x in (lat0, radius_km, lat))))
    engine = resolve_engine(engine)
    d0, dpi = _endpoints(meridian_km(lat0), meridian_km(lat))
    out = np.full(lat.size, np.nan)
    out[dpi <= radius] = 180.0
    part = np.flatnonzero((d0 <= radius) & (dpi > radius))
    if part.size:
        out[part] = _solve_half_widths(lat0[part], radius[part], lat[part], engine)[1]
    return out


def _wrap180(x: NDArray) -> NDArray:
    y = np.asarray(x, dtype=float) + 180.0
    out = (y < 0.0) | (y >= 360.0)  # elsewhere ``y % 360 == y`` exactly: skip the remainder
    if out.any():
        y[out] %= 360.0
    return y - 180.0


def _floats(x) -> NDArray[np.float64]:
    """Return ``x`` as a flat float64 array (itself when it already is one)."""
    if type(x) is np.ndarray and x.dtype == np.float64 and x.ndim == 1:
        return x
    return np.asarray(x, dtype=float).ravel()


def _discs(lon0, lat0, radius_km):
    """Return the discs' centres and radii as flat float64 arrays of one length."""
    arrays = [np.asarray(x, dtype=float) for x in (lon0, lat0, radius_km)]
    if arrays[0].shape == arrays[1].shape == arrays[2].shape:
        return [_floats(a) for a in arrays]
    return [np.ascontiguousarray(a).ravel() for a in np.broadcast_arrays(*arrays)]


def _per_row(x, n_rows: int, dtype) -> NDArray:
    """Return ``x`` (a scalar or one value per row) as one value per row."""
    a = np.asarray(x, dtype=dtype)
    return a.ravel() if a.size == n_rows and a.ndim == 1 else np.broadcast_to(a, (n_rows,))


def grid_intervals(lon0: ArrayLike, lat0: ArrayLike, radius_km: ArrayLike, *,
                   row_lat: ArrayLike, west: ArrayLike, dlon: ArrayLike, ncols: int,
                   row_meridian_km: ArrayLike | None = None,
                   col_range: tuple[ArrayLike, ArrayLike] | None = None,
                   engine: str = "auto"
                   ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp],
                              NDArray[np.intp]]:
    """Return, per disc and raster row, the columns whose centres lie in the disc.

    Cell ``(i, j)`` has its centre at ``(west + (j + 0.5) * dlon, row_lat[i])`` (``west``
    and ``dlon`` of row ``i`` when they are given per row, as on the rows of a
    pseudocylindrical projection, :mod:`geoinf.raster_crs`).
    A disc meets a row in at most two runs of columns (an arc of the parallel
    cut by the raster's edges; intervals are taken modulo 360°, so they wrap
    across ±180° on a global raster). The result is exactly the cell-centre rule
    (distance ≤ radius by :meth:`pyproj.Geod.inv`) on either engine.

    Parameters
    ----------
    lon0, lat0, radius_km : array_like
        Disc centres (degrees) and radii (km), one per disc.
    row_lat : array_like
        Latitude of the centres of the rows, monotonic (north to south for
        a north-up raster).
    west, dlon : float or array_like
        Longitude of the raster's western edge and the cell width (> 0), in degrees;
        scalars, or one value per row.
    ncols : int
        Number of columns.
    row_meridian_km : array_like, optional
        ``meridian_km(row_lat)``, if already known (saves one inverse per row and call).
    col_range : (array_like, array_like), optional
        Per row, the half-open range of columns that are on the globe (default: all);
        runs never leave it.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Geodesic solver of the inverse problems (see :func:`geoinf.engine.resolve_engine`);
        the cells are the same on both.

    Returns
    -------
    disc, row : ndarray of intp, shape (n,)
        One entry per disc and row that meet: index into the discs and into ``row_lat``.
    start, stop : ndarray of intp, shape (n, 2)
        Two slots of half-open column runs ``start:stop`` per entry (an empty slot
        is ``0:0``); the runs of one entry never overlap.

    Examples
    --------
    >>> lat = 89.975 - 0.05 * np.arange(3600)  # a global 0.05° grid
    >>> disc, row, start, stop = grid_intervals([179.9], [0.0], [100.0], row_lat=lat,
    ...                                         west=-180.0, dlon=0.05, ncols=7200)
    >>> i = np.argmin(np.abs(lat[row] - 0.025))  # the row just north of the equator
    >>> start[i].tolist(), stop[i].tolist()  # wraps: the west edge and the east edge
    ([0, 7180], [16, 7200])
    """
    table = row_table(row_lat=row_lat, west=west, dlon=dlon, ncols=ncols,
                      row_meridian_km=row_meridian_km, col_range=col_range)
    return table_intervals(table, lon0, lat0, radius_km, engine=engine)


class RowTable(NamedTuple):
    """A raster's rows prepared for :func:`table_intervals` (see :func:`row_table`).

    Per row: ``row_lat``, ``west``, ``dlon``, ``col_lo``, ``col_hi`` and ``m_row``
    (:func:`meridian_km`); ``order`` sorts the rows by ``m_row`` (``m_sorted``).
    """

    row_lat: NDArray
    west: NDArray
    dlon: NDArray
    col_lo: NDArray
    col_hi: NDArray
    m_row: NDArray
    order: NDArray
    m_sorted: NDArray


def row_table(*, row_lat: ArrayLike, west: ArrayLike, dlon: ArrayLike, ncols: int,
              row_meridian_km: ArrayLike | None = None,
              col_range: tuple[ArrayLike, ArrayLike] | None = None) -> RowTable:
    """Return the rows of a raster prepared once for many calls of :func:`table_intervals`.

    The arguments are those of :func:`grid_intervals`.
    """
    row_lat = _floats(row_lat)
    n_rows = row_lat.size
    west, dlon = (_per_row(x, n_rows, float) for x in (west, dlon))
    col_lo, col_hi = ((np.zeros(n_rows, np.intp), np.full(n_rows, ncols, np.intp))
                      if col_range is None else
                      (_per_row(c, n_rows, np.intp) for c in col_range))
    m_row = meridian_km(row_lat) if row_meridian_km is None else _floats(row_meridian_km)
    # rows with meridian distance <= r: a contiguous range of the monotonic m_row
    if n_rows > 1 and m_row[0] > m_row[-1] and (m_row[1:] < m_row[:-1]).all():
        order = np.arange(n_rows - 1, -1, -1)  # north-up: meridian distance falls row by row
    elif n_rows > 1 and m_row[0] < m_row[-1] and (m_row[1:] > m_row[:-1]).all():
        order = np.arange(n_rows)
    else:
        order = np.argsort(m_row, kind="stable")
    return RowTable(row_lat, west, dlon, col_lo, col_hi, m_row, order, m_row[order])


def table_intervals(table: RowTable, lon0: ArrayLike, lat0: ArrayLike, radius_km: ArrayLike,
                    *, engine: str = "auto"
                    ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp],
                               NDArray[np.intp]]:
    """Return :func:`grid_intervals` of discs on rows prepared by :func:`row_table`."""
    engine = resolve_engine(engine)
    lon0, lat0, radius = _discs(lon0, lat0, radius_km)
    row_lat, west, dlon, col_lo, col_hi, m_row, order, m_sorted = table
    m0 = np.array([_meridian_of(float(lat0[0]))]) if lat0.size == 1 else meridian_km(lat0)
    lo_pos = np.searchsorted(m_sorted, m0 - radius, side="left")
    hi_pos = np.searchsorted(m_sorted, m0 + radius, side="right")
    if engine == "numba":  # the same steps compiled, row by row (pyproj within 1 mm)
        return compiled_grid_intervals(lon0, lat0, radius, m0, row_lat, west, dlon, col_lo,
                                       col_hi, m_row, order, lo_pos, hi_pos,
                                       quarter_km=_QUARTER_KM)
    counts = hi_pos - lo_pos
    disc = np.repeat(np.arange(lon0.size), counts)
    first = np.repeat(lo_pos - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    row = order[np.arange(disc.size) + first]
    dpi = _endpoints(m0[disc], m_row[row])[1]
    radius_of = radius[disc]
    full = dpi <= radius_of - 1e-9
    start = np.zeros((disc.size, 2), dtype=np.intp)
    stop = np.zeros((disc.size, 2), dtype=np.intp)
    start[full, 0], stop[full, 0] = col_lo[row[full]], col_hi[row[full]]
    part = np.flatnonzero(~full)
    if part.size:
        r = row[part]
        start[part], stop[part] = _partial_rows(lon0[disc[part]], lat0[disc[part]],
                                                radius_of[part], row_lat[r], west[r],
                                                dlon[r], (col_lo[r], col_hi[r]), engine)
    keep = (stop > start).any(axis=1)
    if keep.all():
        return disc, row, start, stop
    return disc[keep], row[keep], start[keep], stop[keep]


def _partial_rows(lon0, lat0, radius, lat, west, dlon, cols, engine):
    """Column runs of the rows a disc meets in part: at most two per row (see grid_intervals).

    ``west``, ``dlon`` and the column range ``cols = (lo, hi)`` are given per row.
    """
    col_lo, col_hi = cols
    u, w_deg, dsdu = _solve_half_widths(lat0, radius, lat, engine)
    period = 360.0 / dlon
    # the centre, in columns, in the first period of the row's columns on the globe
    c0 = col_lo + ((lon0 - west - col_lo * dlon) % 360.0) / dlon - 0.5
    w = np.minimum(w_deg / dlon, period / 2.0 * (1 - 1e-12))
    pieces = []
    for k in (-1, 0, 1):
        centre = c0 + k * period
        lo = np.ceil(centre - w).astype(np.intp)
        hi = np.floor(centre + w).astype(np.intp)
        if ((hi + 1 < col_lo) | (lo - 1 > col_hi - 1)).all():  # this copy misses the raster
            continue
        # one batch of decisions: the estimated last column inside (hi, lo) and the
        # first outside (hi + 1, lo - 1); an edge moves by one column if either is wrong
        cand = np.stack([hi, hi + 1, lo, lo - 1])
        inside = _decide(cand, lon0, lat0, radius, lat, u, dsdu, west, dlon, engine)
        hi = np.where(inside[0], hi + inside[1], hi - 1)
        lo = np.where(inside[2], lo - inside[3], lo + 1)
        lo, hi = np.maximum(lo, col_lo), np.minimum(hi, col_hi - 1)
        pieces.append((lo, np.where(hi >= lo, hi + 1, lo)))
    if not pieces:
        zero = np.zeros((u.size, 2), dtype=np.intp)
        return zero, zero.copy()
    if len(pieces) == 1:  # the usual case: the one copy goes to the first slot
        zero = np.zeros(u.size, dtype=np.intp)
        return (np.stack([pieces[0][0], zero], axis=1),
                np.stack([pieces[0][1], zero], axis=1))
    start = np.stack([p[0] for p in pieces], axis=1)
    stop = np.stack([p[1] for p in pieces], axis=1)
    # at most two of the three copies meet the raster: move them into two slots
    nonempty = stop > start
    order = np.argsort(~nonempty, axis=1, kind="stable")[:, :2]
    start = np.take_along_axis(np.where(nonempty, start, 0), order, axis=1)
    stop = np.take_along_axis(np.where(nonempty, stop, 0), order, axis=1)
    return start, stop


def _decide(col, lon0, lat0, radius, lat, u, dsdu, west, dlon, engine):
    """Return whether the centre of column ``col`` is inside; exact where in doubt.

    ``col`` has shape (k, n), the other arrays (n,): k candidate columns per row.
    """
    t = _wrap180(west + (col + 0.5) * dlon - lon0)
    u_t = np.sin(np.radians(t) / 2.0) ** 2
    estimate = (u_t - u) * dsdu  # s - r, linearised at the solution
    inside = estimate <= 0
    doubt = np.flatnonzero(~np.isfinite(estimate) | (np.abs(estimate) <= _DOUBT_KM))
    if doubt.size:
        i = doubt % u.size  # the row of each doubtful candidate
        edge = radius[i] * 1000.0
        t_d = t.ravel()[doubt]
        if doubt.size > _FEW:
            s = inverse(0.0, lat0[i], t_d, lat[i], engine=engine, edge_m=edge)[2]
        else:  # a handful: pyproj directly (the same decisions, less overhead)
            s = np.asarray(WGS84.inv(np.zeros(doubt.size), lat0[i], t_d, lat[i])[2])
        np.put(inside, doubt, s <= edge)
    return inside


def annulus_runs(outer: tuple, inner: tuple | None, ncols: int
                 ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """Return the column runs of an annulus: an outer disc's runs minus an inner disc's.

    Parameters
    ----------
    outer, inner : tuple (row, start, stop)
        The entries of one disc from :func:`grid_intervals` (``inner`` None or
        empty for a whole disc); ``start`` and ``stop`` have two slots per row.
    ncols : int
        Number of columns of the grid.

    Returns
    -------
    row, start, stop : ndarray of intp, shape (m,)
        Non-empty, non-overlapping half-open runs.

    Examples
    --------
    >>> outer = (np.array([0]), np.array([[2, 0]]), np.array([[9, 0]]))
    >>> inner = (np.array([0]), np.array([[4, 0]]), np.array([[6, 0]]))
    >>> [a.tolist() for a in annulus_runs(outer, inner, 10)]
    [[0, 0], [2, 6], [4, 9]]
    """
    row, a_start, a_stop = outer
    n = row.size
    b_start = np.full((n, 2), ncols, dtype=np.intp)
    b_stop = np.full((n, 2), ncols, dtype=np.intp)
    if inner is not None and inner[0].size:
        pos = np.searchsorted(row, inner[0])  # inner rows are a subset of the outer rows
        empty = inner[2] <= inner[1]
        b_start[pos] = np.where(empty, ncols, inner[1])
        b_stop[pos] = np.where(empty, ncols, inner[2])
    order = np.argsort(b_start, axis=1, kind="stable")
    b_start, b_stop = (np.take_along_axis(x, order, axis=1) for x in (b_start, b_stop))
    # the complement of the inner runs within [0, ncols): three gaps
    gap_start = np.stack([np.zeros(n, np.intp), b_stop[:, 0], b_stop[:, 1]], axis=1)
    gap_stop = np.stack([b_start[:, 0], b_start[:, 1], np.full(n, ncols, np.intp)], axis=1)
    start = np.maximum(a_start[:, :, None], gap_start[:, None, :]).reshape(n, 6)
    stop = np.minimum(a_stop[:, :, None], gap_stop[:, None, :]).reshape(n, 6)
    keep = stop > start
    return np.repeat(row, 6).reshape(n, 6)[keep], start[keep], stop[keep]


def union_runs(group: ArrayLike, row: ArrayLike, start: ArrayLike, stop: ArrayLike
               ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp],
                          NDArray[np.intp]]:
    """Merge overlapping or touching runs of the same group and row (each cell once).

    Examples
    --------
    >>> [a.tolist() for a in union_runs([0, 0, 0], [5, 5, 6], [0, 3, 1], [4, 8, 2])]
    [[0, 0], [5, 6], [0, 1], [8, 2]]
    """
    group, row, start, stop = (np.asarray(a, dtype=np.int64).ravel()
                               for a in (group, row, start, stop))
    if group.size == 0:
        return group, row, start, stop
    order = np.lexsort((start, row, group))
    group, row, start, stop = group[order], row[order], start[order], stop[order]
    seg = np.concatenate([[True], (group[1:] != group[:-1]) | (row[1:] != row[:-1])])
    seg_id = np.cumsum(seg) - 1
    big = int(stop.max()) + 1
    reach = np.maximum.accumulate(stop + seg_id * big) - seg_id * big  # running max stop
    new_run = seg.copy()
    new_run[1:] |= start[1:] > reach[:-1]
    first = np.flatnonzero(new_run)
    last = np.concatenate([first[1:], [group.size]]) - 1
    return group[first], row[first], start[first], reach[last]
