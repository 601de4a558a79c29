"""Compiled (numba) row intervals: the column runs where geodesic discs meet raster rows.

The kernel behind :func:`geoinf.engine.compiled_grid_intervals`, the compiled twin of
:func:`geoinf.row_intervals.grid_intervals` (which stays the reference, on pyproj or
numpy): the same steps row by row in one pass instead of about two hundred small numpy
calls per disc. Per disc and row in its meridian range: a row wholly inside (over a
pole) is one run; otherwise the half-width ``u = sin²(dlon/2)`` is solved by Newton's
method from Lambert's long-line start with the compiled inverse (:mod:`.inverse`), and
each of the (up to three, ±360°) copies of the interval is settled by deciding four
candidate columns: the estimated last column inside and first outside at each end,
by the linearised distance, or by an exact inverse where it is within 1 m of the
radius. A candidate whose compiled distance is within 1 mm of the radius (or whose
inverse did not converge) is left undecided (``-1``) for the caller to decide with
pyproj, then :func:`assemble` is run again, so the cells are exactly pyproj's.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..constants import A_KM, E2, MEAN_RADIUS_KM, F
from .inverse import reduced as _reduced
from .inverse import solve_pair as _solve_pair
from .series import JIT as _JIT
from .series import atan2d_libm as _atan2d

__all__ = ["disc_rows", "disc_rows_parallel", "assemble", "window_sums", "tile_keys"]

_TOL_KM = 1e-6  # as geoinf.row_intervals
_DOUBT_KM = 1e-3
_MAX_ITER = 40
_LAST_STEP_KM = 1e-2
_EDGE_M = 1e-3  # as geoinf.engine: compiled distances this close to the radius go to pyproj
_DEG = math.pi / 180.0


@njit(**_JIT)
def _hav(d_km):
    return math.sin(min(d_km, math.pi * MEAN_RADIUS_KM) / (2.0 * MEAN_RADIUS_KM)) ** 2


@njit(**_JIT)
def _lambert_start(lat0, radius, lat):
    """``u`` where Lambert's long-line formula gives ``radius`` (row_intervals._lambert_start)."""
    f = F
    tb0 = (1 - f) * math.tan(lat0 * _DEG)
    tb = (1 - f) * math.tan(lat * _DEG)
    cb0, cb = 1.0 / math.sqrt(1.0 + tb0 * tb0), 1.0 / math.sqrt(1.0 + tb * tb)
    sb0, sb = tb0 * cb0, tb * cb
    sin2p = 0.5 * (1.0 - (cb0 * cb - sb0 * sb))
    sd = sb * cb0 - cb * sb0
    sin2q = sd * sd / (2.0 * (1.0 + cb0 * cb + sb0 * sb))
    kx = sin2p * (1.0 - sin2q)
    ky = (1.0 - sin2p) * sin2q
    sigma = min(max(radius / A_KM, 1e-12), math.pi - 1e-9)
    for _ in range(2):
        sh, ch = math.sin(sigma / 2), math.cos(sigma / 2)
        half_s, half_c = sh * sh, ch * ch
        sin_sigma = 2.0 * sh * ch
        x = (sigma - sin_sigma) * kx / max(half_c, 1e-300)
        y = (sigma + sin_sigma) * ky / max(half_s, 1e-300)
        s = A_KM * (sigma - f / 2 * (x + y))
        sigma = min(max(sigma - (s - radius) / A_KM, 1e-12), math.pi - 1e-9)
    u = (math.sin(sigma / 2) ** 2 - sin2q) / (cb0 * cb)
    if not math.isfinite(u):
        return 0.5
    return min(max(u, 0.0), 1.0)


@njit(**_JIT)
def _inverse_km(lat0, sb0, cb0, lon, lat, sb, cb):
    """Distance (km) from (0, lat0) to (lon, lat), az21 as pyproj (degrees), converged."""
    s, _, _, salp2, calp2, ok = _solve_pair(0.0, lat0, sb0, cb0, lon, lat, sb, cb)
    a2 = _atan2d(salp2, calp2)
    az21 = a2 - 180.0 if a2 > 0.0 else a2 + 180.0
    return s / 1000.0, az21, ok


@njit(**_JIT)
def _solve_half_width(lat0, sb0, cb0, radius, lat, sb, cb):
    """Return (u, ds/du) on one parallel (row_intervals._solve_half_widths, one row)."""
    h_r = _hav(radius)
    u = _lambert_start(lat0, radius, lat)
    lo, hi = 0.0, 1.0
    dsdu = math.nan
    slat = math.sin(lat * _DEG)
    p = A_KM * math.cos(lat * _DEG) / math.sqrt(1 - E2 * slat * slat)
    for _ in range(_MAX_ITER):
        ua = u
        dlon = 2.0 * math.asin(math.sqrt(ua))
        s, az21, _ = _inverse_km(lat0, sb0, cb0, dlon / _DEG, lat, sb, cb)
        f = s - radius
        slope = 2.0 * p * -math.sin(az21 * _DEG) / math.sin(dlon)
        dsdu = slope
        if f <= 0:
            lo = ua
        else:
            hi = ua
        done = abs(f) <= _TOL_KM
        gprime = math.sin(s / MEAN_RADIUS_KM) / (2 * MEAN_RADIUS_KM) * slope
        new = ua - (_hav(s) - h_r) / gprime
        bad = not math.isfinite(new) or new <= lo or new >= hi
        if bad:
            new = 0.5 * (lo + hi)
        stuck = (hi - lo) < 1e-16
        u = ua if (done or stuck) else new
        if done or stuck or (not bad and abs(f) <= _LAST_STEP_KM):
            break
    return u, dsdu


@njit(**_JIT)
def _wrap180(x):
    y = x + 180.0
    if y < 0.0 or y >= 360.0:
        y = y % 360.0
    return y - 180.0


@njit(**_JIT)
def _decide(col, lon0, lat0, sb0, cb0, radius, lat, sb, cb, u, dsdu, west, dlon):
    """1 inside, 0 outside, -1 for pyproj (within 1 mm); and the longitude offset t."""
    t = _wrap180(west + (col + 0.5) * dlon - lon0)
    u_t = math.sin(t * _DEG / 2.0) ** 2
    estimate = (u_t - u) * dsdu
    if math.isfinite(estimate) and abs(estimate) > _DOUBT_KM:
        return (1 if estimate <= 0 else 0), t
    s, _, ok = _inverse_km(lat0, sb0, cb0, t, lat, sb, cb)
    edge = radius * 1000.0
    s_m = s * 1000.0
    if not ok or abs(s_m - edge) <= _EDGE_M:
        return -1, t
    return (1 if s_m <= edge else 0), t


@njit(**_JIT)
def _fill(lon0, lat0, sb0, cb0, radius, m0, row_lat, west, dlon, col_lo, col_hi, m_row,
          quarter, out_disc, out_row, full, est, dec, tval, e_lo, e_hi):
    """Decide the entries ``e_lo..e_hi``; returns the number of candidates left to pyproj."""
    doubts = 0
    for e in range(e_lo, e_hi):
        d, r = out_disc[e], out_row[e]
        lat0d, r_d, lon0d = lat0[d], radius[d], lon0[d]
        m = m_row[r]
        dpi = min(2 * quarter - m0[d] - m, 2 * quarter + m0[d] + m)
        for c in range(3):
            est[e, c, 0] = 0
            est[e, c, 1] = -1  # empty until decided
        if dpi <= r_d - 1e-9:
            full[e] = True
            continue
        full[e] = False
        lat = row_lat[r]
        _, sb, cb = _reduced(lat)
        u, dsdu = _solve_half_width(lat0d, sb0[d], cb0[d], r_d, lat, sb, cb)
        w_deg = 2.0 * math.asin(math.sqrt(u)) / _DEG
        dl, lo_col, hi_col = dlon[r], col_lo[r], col_hi[r]
        period = 360.0 / dl
        c0 = lo_col + ((lon0d - west[r] - lo_col * dl) % 360.0) / dl - 0.5
        w = min(w_deg / dl, period / 2.0 * (1 - 1e-12))
        for c in range(3):
            centre = c0 + (c - 1) * period
            lo = math.ceil(centre - w)
            hi = math.floor(centre + w)
            if hi + 1 < lo_col or lo - 1 > hi_col - 1:  # this copy misses the row
                dec[e, c, 0] = 2
                continue
            est[e, c, 0], est[e, c, 1] = lo, hi
            for q, col in enumerate((hi, hi + 1, lo, lo - 1)):
                v, t = _decide(col, lon0d, lat0d, sb0[d], cb0[d], r_d, lat, sb, cb, u, dsdu,
                               west[r], dl)
                dec[e, c, q], tval[e, c, q] = v, t
                if v < 0:
                    doubts += 1
    return doubts


_CHUNK = 32  # entries (disc x row) per task of the threaded fill


@njit(parallel=True, **_JIT)
def _fill_parallel(lon0, lat0, sb0, cb0, radius, m0, row_lat, west, dlon, col_lo, col_hi,
                   m_row, quarter, out_disc, out_row, full, est, dec, tval):  # pragma: no cover
    n = out_disc.size
    tasks = (n + _CHUNK - 1) // _CHUNK
    counts = np.zeros(tasks, dtype=np.int64)
    for k in prange(tasks):
        counts[k] = _fill(lon0, lat0, sb0, cb0, radius, m0, row_lat, west, dlon, col_lo,
                          col_hi, m_row, quarter, out_disc, out_row, full, est, dec, tval,
                          k * _CHUNK, min(n, (k + 1) * _CHUNK))
    return counts.sum()


@njit(**_JIT)
def assemble(out_disc, out_row, full, est, dec, col_lo, col_hi):
    """Return (disc, row, start, stop) of the entries with a run, from the decisions.

    As :func:`geoinf.row_intervals._partial_rows`: an edge moves by one column where the
    estimate was wrong; the non-empty copies go to the two slots in order (an empty slot
    is ``0:0``); a row wholly inside is one run of the row's columns on the globe.
    """
    n = out_disc.size
    start = np.zeros((n, 2), dtype=np.int64)
    stop = np.zeros((n, 2), dtype=np.int64)
    keep = np.zeros(n, dtype=np.bool_)
    for e in range(n):
        r = out_row[e]
        lo_col, hi_col = col_lo[r], col_hi[r]
        if full[e]:
            start[e, 0], stop[e, 0] = lo_col, hi_col
            keep[e] = hi_col > lo_col
            continue
        slot = 0
        for c in range(3):
            if dec[e, c, 0] == 2 or slot == 2:
                continue
            lo, hi = est[e, c, 0], est[e, c, 1]
            hi = hi + dec[e, c, 1] if dec[e, c, 0] == 1 else hi - 1
            lo = lo - dec[e, c, 3] if dec[e, c, 2] == 1 else lo + 1
            lo, hi = max(lo, lo_col), min(hi, hi_col - 1)
            if hi >= lo:
                start[e, slot], stop[e, slot] = lo, hi + 1
                slot += 1
        keep[e] = slot > 0
    m = 0
    for e in range(n):
        if keep[e]:
            m += 1
    disc = np.empty(m, dtype=np.int64)
    row = np.empty(m, dtype=np.int64)
    s_out = np.empty((m, 2), dtype=np.int64)
    t_out = np.empty((m, 2), dtype=np.int64)
    k = 0
    for e in range(n):
        if keep[e]:
            disc[k], row[k] = out_disc[e], out_row[e]
            s_out[k, 0], s_out[k, 1] = start[e, 0], start[e, 1]
            t_out[k, 0], t_out[k, 1] = stop[e, 0], stop[e, 1]
            k += 1
    return disc, row, s_out, t_out


@njit(**_JIT)
def _allocate(lat0, order, lo_pos, hi_pos):
    """Return the entries (disc, row) in order, and the arrays the fill writes."""
    n_discs = lo_pos.size
    n = 0
    for d in range(n_discs):
        n += max(0, hi_pos[d] - lo_pos[d])
    out_disc = np.empty(n, dtype=np.int64)
    out_row = np.empty(n, dtype=np.int64)
    sb0, cb0 = np.empty(n_discs), np.empty(n_discs)
    e = 0
    for d in range(n_discs):
        _, sb0[d], cb0[d] = _reduced(lat0[d])
        for j in range(lo_pos[d], hi_pos[d]):
            out_disc[e], out_row[e] = d, order[j]
            e += 1
    return (sb0, cb0, out_disc, out_row, np.empty(n, dtype=np.bool_),
            np.empty((n, 3, 2), dtype=np.int64), np.zeros((n, 3, 4), dtype=np.int8),
            np.zeros((n, 3, 4)))


@njit(**_JIT)
def disc_rows(lon0, lat0, radius, m0, row_lat, west, dlon, col_lo, col_hi, m_row, order,
              lo_pos, hi_pos, quarter):
    """Decide the rows of every disc, on one thread; see :func:`disc_rows_parallel`."""
    sb0, cb0, out_disc, out_row, full, est, dec, tval = _allocate(lat0, order, lo_pos, hi_pos)
    doubts = _fill(lon0, lat0, sb0, cb0, radius, m0, row_lat, west, dlon, col_lo, col_hi,
                   m_row, quarter, out_disc, out_row, full, est, dec, tval, 0, out_disc.size)
    return (out_disc, out_row, full, est), dec, tval, doubts


def disc_rows_parallel(lon0, lat0, radius, m0, row_lat, west, dlon, col_lo, col_hi, m_row,
                       order, lo_pos, hi_pos, quarter):
    """Decide the rows of every disc (on numba's threads): ``(entries, dec, tval, doubts)``.

    Disc ``d`` meets the rows ``order[lo_pos[d]:hi_pos[d]]`` (its meridian range);
    ``entries = (disc, row, full, est)`` per disc and row, ``dec`` (n, 3, 4) the
    decisions of the four candidate columns of each copy (1 inside, 0 outside, -1 for
    pyproj, 2 in the first slot: the copy misses the row), ``tval`` their longitude
    offsets from the centre (degrees) and ``doubts`` how many are -1. All float64 and
    int64, C-contiguous; ``quarter`` is the quarter meridian in km. Then
    :func:`assemble` makes the runs.
    """
    sb0, cb0, out_disc, out_row, full, est, dec, tval = _allocate(lat0, order, lo_pos, hi_pos)
    doubts = _fill_parallel(lon0, lat0, sb0, cb0, radius, m0, row_lat, west, dlon, col_lo,
                            col_hi, m_row, quarter, out_disc, out_row, full, est, dec, tval)
    return (out_disc, out_row, full, est), dec, tval, int(doubts)


@njit(**_JIT)
def window_sums(values, group, row, start, stop, r0, c0, n_groups):
    """People per group of the runs that meet one window, in float64.

    ``values`` is the window, its first cell at raster row ``r0``, column ``c0``; the
    runs ``start[k]:stop[k]`` of raster rows ``row[k]`` (sorted) are clipped to it. Four
    running sums per run (no chain of one dependent addition per cell).
    """
    out = np.zeros(n_groups)
    h, w = values.shape
    first = np.searchsorted(row, r0)
    last = np.searchsorted(row, r0 + h)
    for k in range(first, last):
        lo = max(start[k], c0) - c0
        hi = min(stop[k], c0 + w) - c0
        if hi <= lo:
            continue
        cells = values[row[k] - r0]
        s0 = s1 = s2 = s3 = 0.0
        j = lo
        while j + 4 <= hi:
            s0 += cells[j]
            s1 += cells[j + 1]
            s2 += cells[j + 2]
            s3 += cells[j + 3]
            j += 4
        while j < hi:
            s0 += cells[j]
            j += 1
        out[group[k]] += (s0 + s1) + (s2 + s3)
    return out


@njit(**_JIT)
def tile_keys(row, start, stop, band_rows, bw, ncb):
    """Sorted distinct ``band * ncb + column block`` of the tiles the runs touch.

    Run ``k`` covers columns ``start[k]:stop[k]`` of raster row ``row[k]`` (empty runs
    touch nothing); a band is ``band_rows`` rows, a column block ``bw`` columns.
    """
    total = 0
    for k in range(row.size):
        if stop[k] > start[k]:
            total += (stop[k] - 1) // bw - start[k] // bw + 1
    keys = np.empty(total, dtype=np.int64)
    m = 0
    for k in range(row.size):
        if stop[k] > start[k]:
            base = (row[k] // band_rows) * ncb
            for cb in range(start[k] // bw, (stop[k] - 1) // bw + 1):
                keys[m] = base + cb
                m += 1
    keys.sort()
    n = 0
    for i in range(keys.size):
        if i == 0 or keys[i] != keys[n - 1]:
            keys[n] = keys[i]
            n += 1
    return keys[:n].copy()
