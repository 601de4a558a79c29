"""Compiled (numba) place x site distances: band membership, nearest site, margins.

The kernels behind :func:`geoinf.engine.compiled_pair_distances` and
:func:`geoinf.engine.compiled_place_summary` (cities in range): a spherical bound
decides the pairs far from a band edge, and the exact inverse of
:mod:`geoinf._kernels.inverse` the others.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..constants import SUMMARY_SITES
from .inverse import contiguous, reduced, solve_pair
from .series import _DEG
from .series import JIT as _JIT

__all__ = ["pair_distances", "place_summary"]


@njit(**_JIT)
def _exact_pair(p_lon, p_red, s_lon, s_red, lo, hi, r, j, dist, exact):
    """Exact distance (km) of a place to site j into dist[r, j]; False where pyproj must decide.

    ``p_red`` and ``s_red[j]`` are the reduced latitudes (see :func:`reduced`).
    """
    s = solve_pair(s_lon[j], s_red[j, 0], s_red[j, 1], s_red[j, 2], p_lon, p_red[0], p_red[1],
               p_red[2])
    d = s[0] / 1000.0
    dist[r, j] = d
    exact[r, j] = True
    return s[5] and abs(d - lo[j]) > 1e-6 and abs(d - hi[j]) > 1e-6


@njit(**_JIT)
def _place_row(i, r, p_lon, p_lat, s_lon, s_red, s_xyz, lo, hi, need_nearest,
               radius_km, eps, slack_km, inside, dist, exact, redo):
    """Place i against every site, into row r of inside, dist and exact (redo[i] if in doubt)."""
    lam, phi = p_lon[i] * _DEG, p_lat[i] * _DEG
    x, y, z = math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)
    p_red = reduced(p_lat[i])
    m = s_lon.size
    for j in range(m):
        dot = min(1.0, max(-1.0, x * s_xyz[j, 0] + y * s_xyz[j, 1] + z * s_xyz[j, 2]))
        d = radius_km * math.acos(dot)
        lower, upper = d * (1.0 - eps) - slack_km, d * (1.0 + eps) + slack_km
        dist[r, j] = d
        exact[r, j] = False
        inside[r, j] = lower >= lo[j] and upper <= hi[j]
        if not inside[r, j] and upper >= lo[j] and lower <= hi[j]:  # near a band edge
            if not _exact_pair(p_lon[i], p_red, s_lon, s_red, lo, hi, r, j, dist, exact):
                redo[i] = True
            inside[r, j] = lo[j] <= dist[r, j] <= hi[j]
    if not need_nearest:
        return
    # exact for every reaching site that could be the nearest or have the best margin:
    # first the likeliest of each (rules 0 and 1), then any other the bounds still allow
    rule = 0
    while rule < 3:
        j = _candidate(r, rule, lo, hi, eps, slack_km, inside, dist, exact)
        if j >= 0:
            _exact_pair(p_lon[i], p_red, s_lon, s_red, lo, hi, r, j, dist, exact)
            redo[i] |= math.isnan(dist[r, j])
        if rule < 2 or j < 0:
            rule += 1


@njit(**_JIT)
def _candidate(i, rule, lo, hi, eps, slack_km, inside, dist, exact):
    """Return the next reaching site of place i to solve exactly under ``rule``, or -1."""
    best_d, best_m = math.inf, -math.inf
    for j in range(lo.size):
        if inside[i, j] and exact[i, j]:
            best_d = min(best_d, dist[i, j])
            best_m = max(best_m, min(dist[i, j] - lo[j], hi[j] - dist[i, j]))
    pick, key = -1, math.inf
    for j in range(lo.size):
        if not inside[i, j] or exact[i, j]:
            continue
        d = dist[i, j]
        lower, upper = d * (1.0 - eps) - slack_km, d * (1.0 + eps) + slack_km
        m_hi = min(upper - lo[j], hi[j] - lower)
        if rule == 0 and lower < key and lower <= best_d:  # likely the nearest
            pick, key = j, lower
        elif rule == 1 and -m_hi < key and m_hi >= best_m:  # likely the best margin
            pick, key = j, -m_hi
        elif rule == 2 and (lower <= best_d or m_hi >= best_m):
            return j
    return pick


@njit(parallel=True, **_JIT)
def _pair_kernel(p_lon, p_lat, s_lon, s_red, s_xyz, lo, hi, need_nearest,
                 radius_km, eps, slack_km, inside, dist, exact, redo):  # pragma: no cover
    for i in prange(p_lon.size):
        _place_row(i, i, p_lon, p_lat, s_lon, s_red, s_xyz, lo, hi, need_nearest,
                   radius_km, eps, slack_km, inside, dist, exact, redo)


@njit(**_JIT)
def _reduced_table(lat):
    """Return :func:`reduced` of each latitude, shape (n, 3)."""
    out = np.empty((lat.size, 3))
    for i in range(lat.size):
        out[i, 0], out[i, 1], out[i, 2] = reduced(lat[i])
    return out


def _site_tables(s_lon, s_lat):
    """Return the unit vectors of the sites on the sphere and their reduced latitudes."""
    phi, lam = np.radians(s_lat), np.radians(s_lon)
    s_xyz = np.ascontiguousarray(np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam),
                                           np.sin(phi)], axis=1))
    return s_xyz, _reduced_table(s_lat)


def pair_distances(p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest, *, radius_km, eps,
                   slack_km):
    """Places x sites in one compiled pass (the compiled path of ``geoinf.cities``).

    The spherical distance on a sphere of ``radius_km`` bounds the ellipsoidal one
    within a factor ``1 +- eps`` (plus ``slack_km``); pairs whose bounds straddle a
    band edge are solved exactly and, with ``need_nearest``, so is every reaching
    site that could be the nearest or have the largest margin. Returns ``(inside,
    dist, exact, redo)``; ``redo`` marks places with a pair the kernel leaves to
    pyproj (within 1 mm of a band edge, no convergence, or non-finite input): the
    caller recomputes those rows.
    """
    p_lon, p_lat, s_lon, s_lat, lo, hi = (contiguous(a) for a in (p_lon, p_lat, s_lon, s_lat,
                                                                lo, hi))
    n, m = p_lon.size, s_lon.size
    s_xyz, s_red = _site_tables(s_lon, s_lat)
    inside = np.empty((n, m), dtype=np.bool_)
    exact = np.empty((n, m), dtype=np.bool_)
    dist = np.empty((n, m))
    redo = np.zeros(n, dtype=np.bool_)
    _pair_kernel(p_lon, p_lat, s_lon, s_red, s_xyz, lo, hi, bool(need_nearest),
                 float(radius_km), float(eps), float(slack_km), inside, dist, exact, redo)
    return inside, dist, exact, redo


@njit(**_JIT)
def _summary_range(p_lon, p_lat, s_lon, s_red, s_xyz, lo, hi, radius_km, eps,
                   slack_km, first, stop, inside, dist, exact, near, dist_near, margin,
                   n_sites, key, redo):
    m = s_lon.size
    for i in range(first, stop):
        _place_row(i, 0, p_lon, p_lat, s_lon, s_red, s_xyz, lo, hi, True,
                   radius_km, eps, slack_km, inside, dist, exact, redo)
        k, best, best_m, count, bits = -1, math.inf, -math.inf, 0, np.int64(0)
        for j in range(m):
            if inside[0, j]:
                d = dist[0, j]
                if d < best:  # the first of equals, as argmin
                    k, best = j, d
                best_m = max(best_m, min(d - lo[j], hi[j] - d))
                count += 1
                bits |= np.int64(1) << np.int64(j)
        near[i], dist_near[i], margin[i], n_sites[i], key[i] = k, best, best_m, count, bits


@njit(parallel=True, **_JIT)
def _summary_kernel(p_lon, p_lat, s_lon, s_red, s_xyz, lo, hi, radius_km, eps,
                    slack_km, near, dist_near, margin, n_sites, key, redo):  # pragma: no cover
    n, m = p_lon.size, s_lon.size
    chunk = 2048
    for c in prange((n + chunk - 1) // chunk):
        inside = np.empty((1, m), dtype=np.bool_)  # one row of scratch per chunk
        exact = np.empty((1, m), dtype=np.bool_)
        dist = np.empty((1, m))
        _summary_range(p_lon, p_lat, s_lon, s_red, s_xyz, lo, hi, radius_km, eps,
                       slack_km, c * chunk, min(n, (c + 1) * chunk), inside, dist, exact, near,
                       dist_near, margin, n_sites, key, redo)


def place_summary(p_lon, p_lat, s_lon, s_lat, lo, hi, *, radius_km, eps, slack_km):
    """Per place, the band summary over all sites in one compiled pass (no places x sites arrays).

    Decides membership and distances as :func:`pair_distances` with ``need_nearest``
    and reduces each place's row at once. Returns ``(near, dist_near, margin, n_sites,
    key, redo)``: the nearest site in the band (-1 if none, first of equals) and its
    distance (km, ``inf`` if none), the largest ``min(d - lo, hi - d)`` over sites in
    the band (``-inf`` if none), how many sites are in the band, and their pattern as
    int64 bits (bit j for site j); rows marked ``redo`` are left to the caller (pyproj).
    At most :data:`SUMMARY_SITES` sites.

    Examples
    --------
    >>> import numpy as np
    >>> near, d, margin, n, key, redo = place_summary(
    ...     np.array([13.405, 0.0]), np.array([52.52, 0.0]), np.array([24.4134, 21.0]),
    ...     np.array([44.0787, 52.2]), np.zeros(2), np.array([1500.0, 600.0]),
    ...     radius_km=6371.0088, eps=0.0075, slack_km=1e-3)
    >>> near.tolist(), round(float(d[0]), 3), n.tolist(), key.tolist(), redo.tolist()
    ([1, -1], 518.398, [2, 0], [3, 0], [False, False])
    """
    p_lon, p_lat, s_lon, s_lat, lo, hi = (contiguous(a) for a in (p_lon, p_lat, s_lon, s_lat,
                                                                lo, hi))
    n, m = p_lon.size, s_lon.size
    if m > SUMMARY_SITES:
        raise ValueError(f"{m} sites: place_summary takes at most {SUMMARY_SITES}")
    s_xyz, s_red = _site_tables(s_lon, s_lat)
    near, n_sites = np.empty(n, dtype=np.intp), np.empty(n, dtype=np.intp)
    dist_near, margin = np.empty(n), np.empty(n)
    key = np.empty(n, dtype=np.int64)
    redo = np.zeros(n, dtype=np.bool_)
    _summary_kernel(p_lon, p_lat, s_lon, s_red, s_xyz, lo, hi, float(radius_km),
                    float(eps), float(slack_km), near, dist_near, margin, n_sites, key, redo)
    return near, dist_near, margin, n_sites, key, redo
