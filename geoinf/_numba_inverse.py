"""Compiled (numba) inverse geodesic problem on WGS84: distances and azimuths.

An optional engine, imported only when numba is installed (``pip install
"geoinf[speedups]"``) and :func:`geoinf.geodesic.resolve_engine` picks numba;
pyproj stays the reference and solves every pair this kernel declines.

Method. The longitude difference ``omega`` on the auxiliary sphere (reduced
latitudes) is found by fixed-point iteration ``omega = L + f sin(alpha0) A3
(sigma12 + B3)``: first with Vincenty's (1975) cheap truncated series, which
converges at a rate of about ``f`` per step to within ~1e-11 rad of the true
root, then polished with the order-6 series of C. F. F. Karney, "Algorithms for
geodesics", J. Geodesy 87, 43-55 (2013), https://doi.org/10.1007/s00190-012-0578-z
(the ``A3``/``C3`` longitude series and the ``A1``/``C1`` distance series of
GeographicLib, the algorithm inside PROJ's ``geod_inverse`` and so inside
:meth:`pyproj.Geod.inv`). The coefficients follow GeographicLib's Python
reference implementation (``geographiclib/geodesic.py`` 2.x, Copyright (c)
Charles Karney 2011-2022, MIT/X11 licence, https://geographiclib.sourceforge.io/).
Distances agree with pyproj to about 1e-7 m over the globe (tests assert 1e-6 m).

The fixed point does not exist or is not the shortest geodesic near the antipode
(Vincenty's known failure); such pairs (auxiliary arc beyond ``pi - 0.05``, no
convergence, a long equatorial line) are flagged ``ok = False`` and the callers
solve them with pyproj. Callers that decide membership re-solve, with pyproj, any
pair within 1 mm of a band edge, so that membership is exactly pyproj's.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

from ._karney import _A, _B, _DEG, _F, _F1
from ._karney import JIT as _JIT
from ._karney import a1m1_c1 as _a1m1_c1
from ._karney import a3_c3 as _a3_c3
from ._karney import ang_round as _ang_round
from ._karney import eps_of as _eps_of
from ._karney import norm as _norm
from ._karney import sin_series5 as _series5
from ._karney import sin_series6 as _series6

__all__ = ["inverse", "pair_distances", "place_summary", "PARALLEL_PAIRS", "SUMMARY_SITES"]

_KARNEY_TOL = 1e-11  # rad: a larger step takes one more; the rest is corrected to first order
_MAX_KARNEY = 12
_ANTIPODAL_SIGMA = math.pi - 0.05  # beyond this arc (~19,680 km) pyproj decides
PARALLEL_PAIRS = 20_000
"""Below this many pairs :func:`inverse` runs on one thread (waking threads costs more)."""



@njit(**_JIT)
def _reduced(lat):
    """Reduced latitude: (sin beta, cos beta), with tan beta = (1 - f) tan lat."""
    phi = _ang_round(lat) * _DEG
    return _norm(_F1 * math.sin(phi), math.cos(phi))


@njit(**_JIT)
def _lon_diff(lon1, lon2):
    """lon2 - lon1 reduced to [-180, 180], in radians."""
    d = np.fmod(lon2 - lon1, 360.0)
    if d > 180.0:
        d -= 360.0
    elif d < -180.0:
        d += 360.0
    return _ang_round(d) * _DEG


@njit(**_JIT)
def _vincenty(lam_l, lam, sb1, cb1, sb2, cb2):
    """One step of Vincenty's fixed-point iteration for omega; NaN where it breaks down."""
    sl, cl = math.sin(lam), math.cos(lam)
    x, y = cb2 * sl, cb1 * sb2 - sb1 * cb2 * cl
    ss = math.sqrt(x * x + y * y)
    if ss == 0.0:
        return math.nan
    cs = sb1 * sb2 + cb1 * cb2 * cl
    sig = math.atan2(ss, cs)
    sa = cb1 * cb2 * sl / ss
    c2a = 1.0 - sa * sa
    c2m = cs - 2.0 * sb1 * sb2 / c2a if c2a != 0.0 else 0.0
    c = _F / 16.0 * c2a * (4.0 + _F * (4.0 - 3.0 * c2a))
    new = lam_l + (1.0 - c) * _F * sa * (sig + c * ss * (c2m + c * cs * (2.0 * c2m * c2m - 1.0)))
    return new if abs(new) <= math.pi else math.nan


@njit(**_JIT)
def _start(lam_l, sb1, cb1, sb2, cb2):
    """Two Vincenty steps from L and Aitken's extrapolation: omega within ~1e-11 rad."""
    lam1 = _vincenty(lam_l, lam_l, sb1, cb1, sb2, cb2)
    lam2 = _vincenty(lam_l, lam1, sb1, cb1, sb2, cb2)
    h0, h1 = lam1 - lam_l, lam2 - lam1
    if abs(h1) < abs(h0):  # contracting, as it is away from the antipode
        return lam2 - h1 * h1 / (h1 - h0)
    return lam2


@njit(**_JIT)
def _karney(lam_l, omg, sb1, cb1, sb2, cb2):
    """One fixed-point step with Karney's series: new omega and the geodesic at omega.

    Returns (omega', sigma12, eps, ssig1, csig1, ssig2, csig2, salp1, calp1, salp2, calp2).
    """
    sw, cw = math.sin(omg), math.cos(omg)
    # cos(alpha) at both ends without cancellation on short lines (as InverseStart)
    if cw >= 0.0:
        sbet12, t = sb2 * cb1 - cb2 * sb1, sw * sw / (1.0 + cw)
        calp1, calp2 = sbet12 + cb2 * sb1 * t, sbet12 - cb1 * sb2 * t
    else:
        sbet12a, t = sb2 * cb1 + cb2 * sb1, sw * sw / (1.0 - cw)
        calp1, calp2 = sbet12a - cb2 * sb1 * t, cb1 * sb2 * t - sbet12a
    salp1 = cb2 * sw
    ssig12 = math.sqrt(salp1 * salp1 + calp1 * calp1)
    csig12 = sb1 * sb2 + cb1 * cb2 * cw
    salp1, calp1 = salp1 / ssig12, calp1 / ssig12
    salp2, calp2 = cb1 * sw / ssig12, calp2 / ssig12
    sig12 = math.atan2(ssig12, csig12)
    salp0 = salp1 * cb1
    calp0 = math.sqrt(calp1 * calp1 + (salp1 * sb1) ** 2)
    ssig1, csig1 = _norm(sb1, calp1 * cb1)
    ssig2, csig2 = _norm(sb2, calp2 * cb2)
    eps = _eps_of(calp0)
    a3, d1, d2, d3, d4, d5 = _a3_c3(eps)
    b312 = (_series5(ssig2, csig2, d1, d2, d3, d4, d5)
            - _series5(ssig1, csig1, d1, d2, d3, d4, d5))
    new = lam_l + _F * a3 * salp0 * (sig12 + b312)
    return (new, sig12, eps, ssig1, csig1, ssig2, csig2, salp1, calp1, salp2, calp2)


@njit(**_JIT)
def _distance(sig12, eps, ssig1, csig1, ssig2, csig2):
    """Karney's distance series (A1, C1, order 6) along the geodesic, in metres."""
    a1m1, c1, c2, c3, c4, c5, c6 = _a1m1_c1(eps)
    b12 = (_series6(ssig2, csig2, c1, c2, c3, c4, c5, c6)
           - _series6(ssig1, csig1, c1, c2, c3, c4, c5, c6))
    return _B * (1.0 + a1m1) * (sig12 + b12)


@njit(**_JIT)
def _solve(lon1, lat1, sb1, cb1, lon2, lat2):
    """Inverse problem from a point with reduced latitude (sb1, cb1) to (lon2, lat2).

    Returns (s12 metres, azi1, azi2 degrees, ok); azi2 is the forward azimuth at
    the second point. ``ok`` is False where pyproj must decide (see module doc).
    """
    lam_l = _lon_diff(lon1, lon2)
    sb2, cb2 = _reduced(lat2)
    if sb1 == 0.0 and sb2 == 0.0:  # both on the equator
        if abs(lam_l) <= _F1 * math.pi:
            az = math.copysign(90.0, lam_l) if lam_l != 0.0 else 90.0
            return _A * abs(lam_l), az, az, True
        return math.nan, math.nan, math.nan, False
    cs0 = sb1 * sb2 + cb1 * cb2 * math.cos(lam_l)
    x0, y0 = cb2 * math.sin(lam_l), cb1 * sb2 - sb1 * cb2 * math.cos(lam_l)
    if x0 == 0.0 and y0 == 0.0 and cs0 > 0.0:  # the same point
        return 0.0, 0.0, 0.0, True
    omg = _start(lam_l, sb1, cb1, sb2, cb2)
    if math.isnan(omg):
        return math.nan, math.nan, math.nan, False
    # each step shrinks the error ~300-fold, so the step is about the error of omega:
    # the start is ~1e-11 rad from Karney's root, and one step with Karney's series
    # usually suffices (its residual is removed to first order below)
    for _ in range(_MAX_KARNEY):
        (new, sig12, eps, ssig1, csig1, ssig2, csig2, salp1, calp1, salp2,
         calp2) = _karney(lam_l, omg, sb1, cb1, sb2, cb2)
        if abs(new - omg) <= _KARNEY_TOL:
            break
        omg = new
    else:
        return math.nan, math.nan, math.nan, False
    if not sig12 <= _ANTIPODAL_SIGMA:
        return math.nan, math.nan, math.nan, False
    # omega is off the root by about (new - omega): a first-order correction, with
    # d(sigma)/d(omega) = cos(beta2) sin(alpha2) on the auxiliary sphere, leaves
    # O(f (new - omega)) ~ 1e-13 rad, i.e. well under 1e-6 m
    s12 = _distance(sig12, eps, ssig1, csig1, ssig2, csig2) + _B * cb2 * salp2 * (new - omg)
    return s12, math.atan2(salp1, calp1) / _DEG, math.atan2(salp2, calp2) / _DEG, True


@njit(**_JIT)
def _inverse_range(lon1, lat1, lon2, lat2, s12, az12, az21, ok, first, stop):
    for i in range(first, stop):
        sb1, cb1 = _reduced(lat1[i])
        s, a1, a2, good = _solve(lon1[i], lat1[i], sb1, cb1, lon2[i], lat2[i])
        s12[i], az12[i], ok[i] = s, a1, good
        az21[i] = a2 - 180.0 if a2 > 0.0 else a2 + 180.0  # the back azimuth, as pyproj


@njit(parallel=True, **_JIT)
def _inverse_kernel(lon1, lat1, lon2, lat2, s12, az12, az21, ok):  # pragma: no cover
    n = lon1.size
    chunk = 4096
    for c in prange((n + chunk - 1) // chunk):
        _inverse_range(lon1, lat1, lon2, lat2, s12, az12, az21, ok, c * chunk,
                       min(n, (c + 1) * chunk))


def _plain(a) -> np.ndarray:
    """Return a C-contiguous, writeable float64 copy or view (one compiled signature)."""
    return np.require(np.ravel(a), dtype=np.float64, requirements=("C", "W"))


def inverse(lon1, lat1, lon2, lat2):
    """Solve the inverse problem for flat float64 arrays of equal length.

    Returns ``(az12, az21, s12, ok)`` like :meth:`pyproj.Geod.inv` (degrees, the
    back azimuth at the second point, metres) plus ``ok``: where it is False the
    other values are NaN and the caller must use pyproj.

    Examples
    --------
    >>> import numpy as np
    >>> az12, az21, s, ok = inverse(np.array([24.4134]), np.array([44.0787]),
    ...                             np.array([13.405]), np.array([52.52]))
    >>> f"{s[0] / 1000:.6f} km", bool(ok[0])
    ('1241.443761 km', True)
    """
    lon1, lat1, lon2, lat2 = (_plain(a) for a in (lon1, lat1, lon2, lat2))
    n = lon1.size
    s12, az12, az21 = np.empty(n), np.empty(n), np.empty(n)
    ok = np.empty(n, dtype=np.bool_)
    if n >= PARALLEL_PAIRS:
        _inverse_kernel(lon1, lat1, lon2, lat2, s12, az12, az21, ok)
        return az12, az21, s12, ok
    before = numba.get_num_threads()  # a per-thread setting: waking threads costs more
    numba.set_num_threads(1)
    try:
        _inverse_kernel(lon1, lat1, lon2, lat2, s12, az12, az21, ok)
    finally:
        numba.set_num_threads(before)
    return az12, az21, s12, ok


@njit(**_JIT)
def _exact_pair(p_lon, p_lat, s_lon, s_lat, s_sb, s_cb, lo, hi, i, r, j, dist, exact):
    """Exact distance (km) of place i to site j into dist[r, j]; False where pyproj must decide."""
    s, _, _, good = _solve(s_lon[j], s_lat[j], s_sb[j], s_cb[j], p_lon[i], p_lat[i])
    d = s / 1000.0
    dist[r, j] = d
    exact[r, j] = True
    return good and abs(d - lo[j]) > 1e-6 and abs(d - hi[j]) > 1e-6


@njit(**_JIT)
def _place_row(i, r, p_lon, p_lat, s_lon, s_lat, s_sb, s_cb, s_xyz, lo, hi, need_nearest,
               radius_km, eps, slack_km, inside, dist, exact, redo):
    """Place i against every site, into row r of inside, dist and exact (redo[i] if in doubt)."""
    lam, phi = p_lon[i] * _DEG, p_lat[i] * _DEG
    x, y, z = math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)
    m = s_lon.size
    for j in range(m):
        dot = min(1.0, max(-1.0, x * s_xyz[j, 0] + y * s_xyz[j, 1] + z * s_xyz[j, 2]))
        d = radius_km * math.acos(dot)
        lower, upper = d * (1.0 - eps) - slack_km, d * (1.0 + eps) + slack_km
        dist[r, j] = d
        exact[r, j] = False
        inside[r, j] = lower >= lo[j] and upper <= hi[j]
        if not inside[r, j] and upper >= lo[j] and lower <= hi[j]:  # near a band edge
            if not _exact_pair(p_lon, p_lat, s_lon, s_lat, s_sb, s_cb, lo, hi, i, r, j, dist,
                               exact):
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
            _exact_pair(p_lon, p_lat, s_lon, s_lat, s_sb, s_cb, lo, hi, i, r, j, dist, exact)
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
def _pair_kernel(p_lon, p_lat, s_lon, s_lat, s_sb, s_cb, s_xyz, lo, hi, need_nearest,
                 radius_km, eps, slack_km, inside, dist, exact, redo):  # pragma: no cover
    for i in prange(p_lon.size):
        _place_row(i, i, p_lon, p_lat, s_lon, s_lat, s_sb, s_cb, s_xyz, lo, hi, need_nearest,
                   radius_km, eps, slack_km, inside, dist, exact, redo)


def _site_tables(s_lon, s_lat):
    """Return the unit vectors and reduced latitudes (sin, cos) of the sites."""
    m = s_lon.size
    phi, lam = np.radians(s_lat), np.radians(s_lon)
    s_xyz = np.ascontiguousarray(np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam),
                                           np.sin(phi)], axis=1))
    s_sb, s_cb = np.empty(m), np.empty(m)
    for j in range(m):  # exactly as the kernel reduces latitudes
        s_sb[j], s_cb[j] = _reduced(s_lat[j])
    return s_xyz, s_sb, s_cb


def pair_distances(p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest, *, radius_km, eps,
                   slack_km):
    """Places x sites in one compiled pass (the kernel of ``exposure._pair_distances``).

    The spherical distance on a sphere of ``radius_km`` bounds the ellipsoidal one
    within a factor ``1 +- eps`` (plus ``slack_km``); pairs whose bounds straddle a
    band edge are solved exactly and, with ``need_nearest``, so is every reaching
    site that could be the nearest or have the largest margin. Returns ``(inside,
    dist, exact, redo)``; ``redo`` marks places with a pair the kernel leaves to
    pyproj (no convergence, near the antipode, or within 1 mm of a band edge): the
    caller recomputes those rows.
    """
    p_lon, p_lat, s_lon, s_lat, lo, hi = (_plain(a) for a in (p_lon, p_lat, s_lon, s_lat,
                                                                lo, hi))
    n, m = p_lon.size, s_lon.size
    s_xyz, s_sb, s_cb = _site_tables(s_lon, s_lat)
    inside = np.empty((n, m), dtype=np.bool_)
    exact = np.empty((n, m), dtype=np.bool_)
    dist = np.empty((n, m))
    redo = np.zeros(n, dtype=np.bool_)
    _pair_kernel(p_lon, p_lat, s_lon, s_lat, s_sb, s_cb, s_xyz, lo, hi, bool(need_nearest),
                 float(radius_km), float(eps), float(slack_km), inside, dist, exact, redo)
    return inside, dist, exact, redo


SUMMARY_SITES = 62
"""At most this many sites for :func:`place_summary` (one int64 bit per site)."""


@njit(**_JIT)
def _summary_range(p_lon, p_lat, s_lon, s_lat, s_sb, s_cb, s_xyz, lo, hi, radius_km, eps,
                   slack_km, first, stop, inside, dist, exact, near, dist_near, margin,
                   n_sites, key, redo):
    m = s_lon.size
    for i in range(first, stop):
        _place_row(i, 0, p_lon, p_lat, s_lon, s_lat, s_sb, s_cb, s_xyz, lo, hi, True,
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
def _summary_kernel(p_lon, p_lat, s_lon, s_lat, s_sb, s_cb, s_xyz, lo, hi, radius_km, eps,
                    slack_km, near, dist_near, margin, n_sites, key, redo):  # pragma: no cover
    n, m = p_lon.size, s_lon.size
    chunk = 2048
    for c in prange((n + chunk - 1) // chunk):
        inside = np.empty((1, m), dtype=np.bool_)  # one row of scratch per chunk
        exact = np.empty((1, m), dtype=np.bool_)
        dist = np.empty((1, m))
        _summary_range(p_lon, p_lat, s_lon, s_lat, s_sb, s_cb, s_xyz, lo, hi, radius_km, eps,
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
    p_lon, p_lat, s_lon, s_lat, lo, hi = (_plain(a) for a in (p_lon, p_lat, s_lon, s_lat,
                                                                lo, hi))
    n, m = p_lon.size, s_lon.size
    if m > SUMMARY_SITES:
        raise ValueError(f"{m} sites: place_summary takes at most {SUMMARY_SITES}")
    s_xyz, s_sb, s_cb = _site_tables(s_lon, s_lat)
    near, n_sites = np.empty(n, dtype=np.intp), np.empty(n, dtype=np.intp)
    dist_near, margin = np.empty(n), np.empty(n)
    key = np.empty(n, dtype=np.int64)
    redo = np.zeros(n, dtype=np.bool_)
    _summary_kernel(p_lon, p_lat, s_lon, s_lat, s_sb, s_cb, s_xyz, lo, hi, float(radius_km),
                    float(eps), float(slack_km), near, dist_near, margin, n_sites, key, redo)
    return near, dist_near, margin, n_sites, key, redo
