"""Compiled (numba) direct geodesic solution on WGS84 and the ring kernels built on it.

This is an optional engine: it is imported only when numba is installed
(``pip install "geoinf[speedups]"``) and :mod:`geoinf.geodesic` selects it with
``engine="auto"`` or ``engine="numba"``. pyproj stays the reference.

The direct problem is solved as in GeographicLib, with the order-6 series of
C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87, 43-55 (2013),
https://doi.org/10.1007/s00190-012-0578-z -- the algorithm inside PROJ's
``geod_direct`` and so inside :meth:`pyproj.Geod.fwd`. The series coefficients
and the structure of the line set-up and position steps follow GeographicLib's
Python reference implementation (``geographiclib/geodesic.py``,
``geodesicline.py`` and ``geomath.py`` 2.x, Copyright (c) Charles Karney
2011-2022, MIT/X11 licence, https://geographiclib.sourceforge.io/), transcribed
into numba with the angle helpers of the C library (``sincosdx``, ``atan2dx``).

Two things are specific to geodesic circles. A circle's vertices share their
centre, so the centre's reduced latitude is solved once per centre; and the
circles of one centre at several radii share every azimuth, so the geodesic
*line* (everything that does not depend on distance) is set up once per centre
and azimuth and then evaluated at each radius.

Three things make the kernels fast (the uniform vertices of 10,000 sites x 3 radii:
0.28 s -> 0.07 s on 2 cores; ``scripts/bench_rings.py`` measures the whole engine):

- the small helpers are inlined (numba calls across compiled functions through a
  generic convention that doubled the cost of a solution);
- no sine or cosine is evaluated per vertex: the arc ``t = s12 / b`` of a circle is
  shared by all its azimuths, and ``tau12`` and ``sigma12`` differ from it by
  corrections of the order of the flattening, applied by angle addition with a
  short Taylor series (:func:`_sincos_small`); ``atan2`` is a branch-free rational
  approximation (:func:`geoinf._karney.atan2`, within 2 ulp of libm);
- lines are set up into arrays and evaluated in loops without branches or library
  calls, which LLVM vectorizes (several azimuths per instruction).

Vertices agree with pyproj within 2e-8 m (measured on a million random solutions
and 3,000 random rings; the tests require 1e-6 m).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numba
import numpy as np
from numba import njit, prange

from ._karney import _B, _DEG, _EP2, _F, _F1, A3X, C3X
from ._karney import INLINE as _INLINE
from ._karney import JIT as _JIT
from ._karney import ang_normalize_near as _ang_normalize_near
from ._karney import ang_round as _ang_round
from ._karney import atan2 as _atan2
from ._karney import atan2d as _atan2d_fast
from ._karney import norm as _sum_norm
from ._karney import sin_series5 as _sin_series5
from ._karney import sin_series6 as _sin_series6

__all__ = ["direct", "ring_vertices", "ring_plan", "ring_fill", "assemble_discs",
           "split_at_meridian", "num_threads", "threads_for", "PLAIN", "NORTH_CAP", "SOUTH_CAP"]

_TINY = math.sqrt(np.finfo(float).tiny)
_KM_PER_DEG = math.pi / 180.0 * 6371.0088  # mean sphere, as geodesic.MEAN_KM_PER_DEG
_PARALLEL_WORK = 100_000  # below this many vertices one thread is faster than waking others


def num_threads() -> int:
    """Return how many threads the compiled kernels use (``numba.get_num_threads``)."""
    return numba.get_num_threads()


@contextmanager
def threads_for(work: int) -> Iterator[None]:
    """Run the kernels on one thread for small jobs (numba's setting is per thread).

    Waking the worker threads costs more than a few hundred rings take, and much
    more on a busy machine, where a woken thread may wait a scheduler tick.
    """
    if work >= _PARALLEL_WORK:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


(_A3X0, _A3X1, _A3X2, _A3X3, _A3X4, _A3X5) = A3X
(_C3X0, _C3X1, _C3X2, _C3X3, _C3X4, _C3X5, _C3X6, _C3X7, _C3X8, _C3X9, _C3X10, _C3X11,
 _C3X12, _C3X13, _C3X14) = C3X



@njit(**_INLINE)
def _ang_normalize(x):
    """Reduce an angle in degrees to [-180, 180] (GeographicLib's AngNormalize)."""
    y = x if abs(x) < 720.0 else np.fmod(x, 360.0)  # fmod is exact and x is exact here
    if y < -180.0:
        y += 360.0
    elif y > 180.0:
        y -= 360.0
    if y < -180.0:
        y += 360.0
    elif y > 180.0:
        y -= 360.0
    if abs(y) == 180.0:
        return math.copysign(180.0, x)
    return y


@njit(**_INLINE)
def _sincosd(x):
    """Sine and cosine of an angle in degrees, exact at multiples of 90 (sincosdx)."""
    r = np.fmod(x, 360.0)
    q = int(math.floor(r / 90.0 + 0.5))
    r = (r - 90.0 * q) * _DEG
    s, c = math.sin(r), math.cos(r)
    q &= 3
    if q == 1:
        s, c = c, -s
    elif q == 2:
        s, c = -s, -c
    elif q == 3:
        s, c = -c, s
    c += 0.0
    if s == 0.0:
        s = math.copysign(s, x)
    return s, c


@njit(**_INLINE)
def _centre(lat1):
    """Reduced latitude of a centre: (sin beta1, cos beta1)."""
    sbet1, cbet1 = _sincosd(_ang_round(lat1))
    sbet1 *= _F1
    sbet1, cbet1 = _sum_norm(sbet1, cbet1)
    return sbet1, max(_TINY, cbet1)


@njit(**_INLINE)
def _azimuth(azi1):
    return _sincosd(_ang_round(_ang_normalize(azi1)))


@njit(**_INLINE)
def _line(sbet1, cbet1, salp1, calp1):
    """Set up the geodesic line from a centre along an azimuth (no distance yet)."""
    salp0, calp0, ssig1, csig1, somg1, comg1, eps = _line_geometry(sbet1, cbet1, salp1, calp1)
    return (salp0, calp0, ssig1, csig1, somg1, comg1) + _line_series(salp0, ssig1, csig1, eps)


@njit(**_INLINE)
def _line_geometry(sbet1, cbet1, salp1, calp1):
    """Return the line's equatorial azimuth, first arc on the auxiliary sphere and ``eps``."""
    salp0 = salp1 * cbet1
    calp0 = math.sqrt(calp1 * calp1 + (salp1 * sbet1) * (salp1 * sbet1))
    ssig1 = sbet1
    somg1 = salp0 * sbet1
    csig1 = cbet1 * calp1 if (sbet1 != 0.0 or calp1 != 0.0) else 1.0
    comg1 = csig1
    ssig1, csig1 = _sum_norm(ssig1, csig1)
    k2 = calp0 * calp0 * _EP2
    eps = k2 / (2.0 * (1.0 + math.sqrt(1.0 + k2)) + k2)
    return salp0, calp0, ssig1, csig1, somg1, comg1, eps


@njit(**_INLINE)
def _line_series(salp0, ssig1, csig1, eps):
    """Return the line's series coefficients (order 6) and their values at its start."""
    e2 = eps * eps
    a1m1 = ((((e2 + 4.0) * e2 + 64.0) * e2) / 256.0 + eps) / (1.0 - eps)
    # C1 (distance -> arc) and C1' (its reversion), order 6
    e3, e4 = e2 * eps, e2 * e2
    e5, e6 = e4 * eps, e4 * e2
    c11 = eps * ((-e2 + 6.0) * e2 - 16.0) / 32.0
    c12 = e2 * ((-9.0 * e2 + 64.0) * e2 - 128.0) / 2048.0
    c13 = e3 * (9.0 * e2 - 16.0) / 768.0
    c14 = e4 * (3.0 * e2 - 5.0) / 512.0
    c15 = e5 * -7.0 / 1280.0
    c16 = e6 * -7.0 / 2048.0
    p1 = eps * ((205.0 * e2 - 432.0) * e2 + 768.0) / 1536.0
    p2 = e2 * ((4005.0 * e2 - 4736.0) * e2 + 3840.0) / 12288.0
    p3 = e3 * (-225.0 * e2 + 116.0) / 384.0
    p4 = e4 * (-7173.0 * e2 + 2695.0) / 7680.0
    p5 = e5 * 3467.0 / 7680.0
    p6 = e6 * 38081.0 / 61440.0
    b11 = _sin_series6(ssig1, csig1, c11, c12, c13, c14, c15, c16)
    s, c = _sincos_small(b11)
    stau1 = ssig1 * c + csig1 * s
    ctau1 = csig1 * c - ssig1 * s
    # C3 (longitude) and A3, order 6
    d1 = eps * ((((_C3X0 * eps + _C3X1) * eps + _C3X2) * eps + _C3X3) * eps + _C3X4)
    d2 = e2 * (((_C3X5 * eps + _C3X6) * eps + _C3X7) * eps + _C3X8)
    d3 = e3 * ((_C3X9 * eps + _C3X10) * eps + _C3X11)
    d4 = e4 * (_C3X12 * eps + _C3X13)
    d5 = e5 * _C3X14
    a3 = ((((_A3X0 * eps + _A3X1) * eps + _A3X2) * eps + _A3X3) * eps + _A3X4) * eps + _A3X5
    a3c = -_F * salp0 * a3
    b31 = _sin_series5(ssig1, csig1, d1, d2, d3, d4, d5)
    return (a1m1 / (1.0 + a1m1), b11, stau1, ctau1, p1, p2, p3, p4, p5, p6, d1, d2, d3, d4,
            d5, a3c, b31)


@njit(**_INLINE)
def _sincos_small(d):
    """Sine and cosine of a small angle (radians, |d| < 0.02) by their Taylor series.

    The truncation error is below 1e-24 for |d| < 0.02; the angles this engine
    gives it (series corrections of order the flattening) stay below 0.006.
    """
    d2 = d * d
    s = d + d * d2 * (-1.0 / 6.0 + d2 * (1.0 / 120.0 + d2 * (-1.0 / 5040.0
                                                              + d2 * (1.0 / 362880.0))))
    c = 1.0 + d2 * (-0.5 + d2 * (1.0 / 24.0 + d2 * (-1.0 / 720.0 + d2 * (
        1.0 / 40320.0 + d2 * (-1.0 / 3628800.0)))))
    return s, c


@njit(**_INLINE)
def _arc(s12):
    """Return a distance in metres as an arc ``t = s12 / b``, with its sine and cosine.

    The spherical arc of a geodesic of length ``s12`` differs from ``t`` by a
    small correction (of order the flattening) that :func:`_position_at` applies
    by angle addition, so the sine and cosine of ``t`` serve every azimuth of a
    circle: the only trigonometric calls per vertex are two ``atan2``.
    """
    t = s12 / _B
    return t, math.sin(t), math.cos(t)


@njit(**_INLINE)
def _rotate(s, c, sd, cd):
    """Return the sine and cosine of (x + d) from those of x and d."""
    return s * cd + c * sd, c * cd - s * sd


@njit(**_INLINE)
def _position_at(ln, lon1, t, st, ct):
    """End point (lon2, lat2) at arc ``t`` (see :func:`_arc`) along a line from :func:`_line`.

    GeographicLib's direct step: ``tau12 = s12 / (b A1)`` is ``t`` plus a small
    correction, ``sigma12`` is ``tau12`` plus the small C1' series difference;
    both sines and cosines come by angle addition with :func:`_sincos_small`.
    Branch-free, so that loops over azimuths are vectorized; ``lon1`` must be in
    [-180, 180].
    """
    (salp0, calp0, ssig1, csig1, somg1, comg1, a1r, b11, stau1, ctau1,
     p1, p2, p3, p4, p5, p6, d1, d2, d3, d4, d5, a3c, b31) = ln
    dt = -t * a1r  # tau12 - t, with a1r = (A1 - 1) / A1
    tau12 = t + dt
    sd, cd = _sincos_small(dt)
    s, c = _rotate(st, ct, sd, cd)  # sin, cos tau12
    b12 = -_sin_series6(stau1 * c + ctau1 * s, ctau1 * c - stau1 * s, p1, p2, p3, p4, p5, p6)
    ds = b11 - b12  # sigma12 - tau12
    sig12 = tau12 + ds
    sd, cd = _sincos_small(ds)
    ssig12, csig12 = _rotate(s, c, sd, cd)
    ssig2 = ssig1 * csig12 + csig1 * ssig12
    csig2 = csig1 * csig12 - ssig1 * ssig12
    sbet2 = calp0 * ssig2
    cbet2 = math.sqrt(salp0 * salp0 + (calp0 * csig2) * (calp0 * csig2))
    at_pole = cbet2 == 0.0
    cbet2 = _TINY if at_pole else cbet2
    csig2 = _TINY if at_pole else csig2
    somg2 = salp0 * ssig2
    comg2 = csig2
    omg12 = _atan2(somg2 * comg1 - comg2 * somg1, comg2 * comg1 + somg2 * somg1)
    lam12 = omg12 + a3c * (sig12 + (_sin_series5(ssig2, csig2, d1, d2, d3, d4, d5) - b31))
    lon2 = _ang_normalize_near(lon1 + _ang_normalize_near(lam12 / _DEG))
    lat2 = _atan2d_fast(sbet2, _F1 * cbet2)
    return lon2, lat2


@njit(**_JIT)
def _solve(sbet1, cbet1, salp1, calp1, lon1, t, st, ct):
    """One direct problem from a centre (see :func:`_centre`) at arc ``t`` (see :func:`_arc`).

    Not inlined: the scalar paths (bisection, :func:`direct`) call this one compiled
    copy, which keeps the compile time of the kernels down.
    """
    return _position_at(_line(sbet1, cbet1, salp1, calp1), lon1, t, st, ct)


@njit(parallel=True, **_JIT)
def direct(lon, lat, azi, dist_m, out_lon, out_lat):  # pragma: no cover - compiled
    """Solve the direct problem for flat arrays; results go to ``out_lon``/``out_lat``.

    The outputs may be the input arrays themselves (in-place, as :meth:`pyproj.Geod.fwd`).
    """
    for i in prange(lon.size):
        sbet1, cbet1 = _centre(lat[i])
        salp1, calp1 = _azimuth(azi[i])
        t, st, ct = _arc(dist_m[i])
        x, y = _solve(sbet1, cbet1, salp1, calp1, _ang_normalize(lon[i]), t, st, ct)
        out_lon[i] = x
        out_lat[i] = y


@njit(parallel=True, **_JIT)
def ring_vertices(lon, lat, dist_m, groups, n_vertices, flat, start, scratch,
                  scratch_row, scratch_east_only):  # pragma: no cover - compiled
    """Write the vertices of geodesic circles, each where it is wanted.

    Vertex ``j`` is at azimuth ``-j * 360 / n_vertices`` (counter-clockwise in lon/lat).
    Circle ``i`` goes to ``scratch[scratch_row[i]]`` (n_vertices, 2) when that row is
    not negative, else to ``flat[start[i]:start[i] + n_vertices]``: rings that need no
    densification are written once, straight into their final place. With
    ``scratch_east_only`` the scratch rows get vertices ``0..n_vertices // 2`` only
    (all that :func:`ring_plan` and :func:`ring_fill` read of a symmetric ring).
    Circles ``groups[g]:groups[g + 1]`` share a centre: each line is set up once and
    evaluated at every radius. Angles 0..180 degrees are solved and the rest mirrored
    across the centre's meridian (vertex ``n - j`` mirrors vertex ``j``).
    """
    half = n_vertices // 2 + 1
    step = 360.0 / n_vertices
    sa = np.empty(half)
    ca = np.empty(half)
    for j in range(half):
        sa[j], ca[j] = _azimuth(-(j * step))
    for g in prange(groups.size - 1):
        first, stop = groups[g], groups[g + 1]
        sbet1, cbet1 = _centre(lat[first])
        lines = np.empty((_LINE_FIELDS + 1, half))
        _lines_into(sbet1, cbet1, sa, ca, half, lines)
        out = np.empty((2, half))
        for i in range(first, stop):
            t, st, ct = _arc(dist_m[i])
            _positions_into(lines, half, lon[i], t, st, ct, out)
            s = scratch_row[i]
            ring = scratch[s] if s >= 0 else flat[start[i]:start[i] + n_vertices]
            for j in range(half):
                ring[j, 0], ring[j, 1] = out[0, j], out[1, j]
            if s >= 0 and scratch_east_only:
                continue
            for j in range(half, n_vertices):
                m = n_vertices - j
                ring[j, 0], ring[j, 1] = _wrap180_near(2.0 * lon[i] - out[0, m]), out[1, m]


_LINE_FIELDS = 23  # the values of a line from :func:`_line`


@njit(**_JIT)
def _lines_into(sbet1, cbet1, salp, calp, n, lines):
    """Set up ``n`` lines from one centre, ``lines[:, j]`` along azimuth (salp[j], calp[j]).

    ``lines`` has ``_LINE_FIELDS + 1`` rows: the values of :func:`_line`, then ``eps``.

    The loops here and in :func:`_positions_into` are free of branches and library
    calls, so LLVM vectorizes them (several azimuths per instruction).
    """
    # LLVM vectorizes a loop with a few store streams but not one with 23: the set-up
    # is split into loops that store a few fields each (the series are cheap to redo)
    for j in range(n):
        g = _line_geometry(sbet1, cbet1, salp[j], calp[j])
        lines[0, j], lines[1, j], lines[2, j], lines[3, j] = g[0], g[1], g[2], g[3]
        lines[4, j], lines[5, j], lines[_LINE_FIELDS, j] = g[4], g[5], g[6]
    for j in range(n):
        c = _line_series(lines[0, j], lines[2, j], lines[3, j], lines[_LINE_FIELDS, j])
        lines[6, j], lines[7, j], lines[8, j], lines[9, j] = c[0], c[1], c[2], c[3]
        lines[10, j], lines[11, j], lines[12, j] = c[4], c[5], c[6]
    for j in range(n):
        c = _line_series(lines[0, j], lines[2, j], lines[3, j], lines[_LINE_FIELDS, j])
        lines[13, j], lines[14, j], lines[15, j], lines[16, j] = c[7], c[8], c[9], c[10]
        lines[17, j], lines[18, j], lines[19, j] = c[11], c[12], c[13]
    for j in range(n):
        c = _line_series(lines[0, j], lines[2, j], lines[3, j], lines[_LINE_FIELDS, j])
        lines[20, j], lines[21, j], lines[22, j] = c[14], c[15], c[16]


@njit(**_INLINE)
def _line_at(lines, j):
    return (lines[0, j], lines[1, j], lines[2, j], lines[3, j], lines[4, j], lines[5, j],
            lines[6, j], lines[7, j], lines[8, j], lines[9, j], lines[10, j], lines[11, j],
            lines[12, j], lines[13, j], lines[14, j], lines[15, j], lines[16, j],
            lines[17, j], lines[18, j], lines[19, j], lines[20, j], lines[21, j],
            lines[22, j])


@njit(**_JIT)
def _positions_into(lines, n, lon1, t, st, ct, out):
    """Evaluate lines ``0..n-1`` at arc ``t`` (see :func:`_arc`): lon to out[0], lat to out[1]."""
    for j in range(n):
        out[0, j], out[1, j] = _position_at(_line_at(lines, j), lon1, t, st, ct)


@njit(**_JIT)
def _direct_into(sbet1, cbet1, salp, calp, n, lon1, t, st, ct, out):
    """Solve ``n`` direct problems from one centre at one arc, azimuths (salp, calp)."""
    for j in range(n):
        out[0, j], out[1, j] = _position_at(_line(sbet1, cbet1, salp[j], calp[j]), lon1,
                                            t, st, ct)


@njit(**_INLINE)
def _wrap_step(d):
    return d - 360.0 * np.rint(d * (1.0 / 360.0))


@njit(**_INLINE)
def _wrap180_near(x):
    """``_wrap180`` for |x| <= 540, branch-free (loops over it are vectorized)."""
    y = x - 360.0 if x >= 180.0 else x
    y = y - 360.0 if y >= 180.0 else y
    y = y + 360.0 if y < -180.0 else y
    return y + 360.0 if y < -180.0 else y


@njit(**_INLINE)
def _wrap180(x):
    """Wrap to [-180, 180) as ``(x + 180) % 360 - 180``, without a division when |x| < 540."""
    if -180.0 <= x < 180.0:
        return x
    if 180.0 <= x < 540.0:
        return x - 360.0
    if -540.0 <= x < -180.0:
        return x + 360.0
    return (x + 180.0) % 360.0 - 180.0


@njit(**_JIT)
def _edge_estimates(v, r, limit_km, unreliable_km, max_pieces, pieces, unreliable):
    """Per-edge piece counts of ring ``r`` from second differences of its vertices.

    The compiled form of ``densify._edge_sagitta_estimate_km`` followed by the piece
    rule of :func:`densify.ring_boundaries`: an edge whose estimated chord error
    exceeds ``limit_km`` is cut into ``ceil(sqrt(est / limit_km))`` pieces (at most
    ``max_pieces``); it is unreliable when the estimate exceeds ``unreliable_km``.
    """
    k = v.shape[1]
    at = np.empty(k)  # the estimate at each vertex
    at[0] = _vertex_estimate(v, r, k - 1, 0, 1)
    for i in range(1, k - 1):  # free of branches and calls: vectorized
        at[i] = _vertex_estimate(v, r, i - 1, i, i + 1)
    at[k - 1] = _vertex_estimate(v, r, k - 2, k - 1, 0)
    for i in range(k):  # edge i joins vertices i and i + 1: the larger of their estimates
        est = max(at[i], at[i + 1 if i + 1 < k else 0])
        if est > limit_km:
            pieces[r, i] = min(math.ceil(math.sqrt(est / limit_km)), max_pieces)
        unreliable[i] = est > unreliable_km


@njit(**_INLINE)
def _vertex_estimate(v, r, a, i, b):
    """Chord error estimate (km) at vertex ``i`` of ring ``r`` from its neighbours ``a``, ``b``."""
    return _estimate_at(v[r, a, 0], v[r, a, 1], v[r, i, 0], v[r, i, 1], v[r, b, 0], v[r, b, 1])


@njit(**_INLINE)
def _estimate_at(xa, ya, xi, yi, xb, yb):
    """Chord error estimate (km) at (xi, yi) from its neighbours (xa, ya) and (xb, yb)."""
    s0 = _wrap_step(xi - xa)
    s1 = _wrap_step(xb - xi)
    dlon = (s1 - s0) * _cos_deg(yi)
    dlat = (yb - yi) - (yi - ya)
    return math.sqrt(dlon * dlon + dlat * dlat) * (_KM_PER_DEG / 8.0)


@njit(**_JIT)
def _edge_estimates_east(v, r, lon1, limit_km, unreliable_km, max_pieces, pieces,
                         unreliable):
    """:func:`_edge_estimates` for a ring symmetric about its centre's meridian (even k).

    Reads only vertices ``0..k/2`` (the neighbours beyond them are mirror images) and
    gives edge ``k - 1 - i`` the decision of edge ``i``: the plan is symmetric.
    """
    k = v.shape[1]
    h = k // 2
    at = np.empty(h + 1)
    at[0] = _estimate_at(2.0 * lon1 - v[r, 1, 0], v[r, 1, 1], v[r, 0, 0], v[r, 0, 1],
                         v[r, 1, 0], v[r, 1, 1])
    for i in range(1, h):  # free of branches and calls: vectorized
        at[i] = _vertex_estimate(v, r, i - 1, i, i + 1)
    at[h] = _estimate_at(v[r, h - 1, 0], v[r, h - 1, 1], v[r, h, 0], v[r, h, 1],
                         2.0 * lon1 - v[r, h - 1, 0], v[r, h - 1, 1])
    for i in range(h):
        est = max(at[i], at[i + 1])
        if est > limit_km:
            pieces[r, i] = pieces[r, k - 1 - i] = min(math.ceil(math.sqrt(est / limit_km)),
                                                      max_pieces)
        unreliable[i] = unreliable[k - 1 - i] = est > unreliable_km


@njit(**_INLINE)
def _cos_deg(x):
    """Return the cosine of an angle in [-90, 90] degrees by its Taylor series (error < 1e-12)."""
    z = x * _DEG
    z *= z
    return 1.0 + z * (-1.0 / 2.0 + z * (1.0 / 24.0 + z * (-1.0 / 720.0 + z * (
        1.0 / 40320.0 + z * (-1.0 / 3628800.0 + z * (1.0 / 479001600.0 + z * (
            -1.0 / 87178291200.0 + z * (1.0 / 20922789888000.0))))))))


@njit(**_INLINE)
def _deviates(xa, ya, xb, yb, xm, ym, limit_km):
    """Whether the point (xm, ym) strays more than ``limit_km`` from the chord's midpoint."""
    cx = xa + 0.5 * _wrap180(xb - xa)
    cy = 0.5 * (ya + yb)
    dx = _wrap180(xm - cx) * math.cos(math.radians(ym))
    return math.hypot(dx, ym - cy) * _KM_PER_DEG > limit_km


@njit(**_JIT)
def _bisect_piece(sbet1, cbet1, lon1, t, st, ct, a0, b0, alon, alat, blon, blat, limit_km,
                  max_levels, level0, stack, rows, row0):
    """Bisect one chord until its mid-azimuth deviation is within ``limit_km``.

    The chord spans angles ``a0..b0`` at bisection level ``level0``. Returns how many
    vertices the bisection inserts; when ``rows`` has rows they get the inserted
    (angle, lon, lat) from row ``row0`` on, in no particular order.
    """
    stack[0, 0], stack[0, 1], stack[0, 2], stack[0, 3] = a0, b0, alon, alat
    stack[0, 4], stack[0, 5], stack[0, 6] = blon, blat, level0
    top, count = 1, 0
    write = rows.shape[0] > 0
    while top > 0:
        top -= 1
        a, b, xa, ya = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
        xb, yb, level = stack[top, 4], stack[top, 5], stack[top, 6]
        if level >= max_levels:
            continue
        mid = 0.5 * (a + b)
        salp1, calp1 = _azimuth(-mid)
        mx, my = _solve(sbet1, cbet1, salp1, calp1, lon1, t, st, ct)
        if _deviates(xa, ya, xb, yb, mx, my, limit_km):
            if write:
                w = row0 + count
                rows[w, 0], rows[w, 1], rows[w, 2] = mid, mx, my
            count += 1
            for u, (p, q, px, py, qx, qy) in enumerate(((a, mid, xa, ya, mx, my),
                                                       (mid, b, mx, my, xb, yb))):
                stack[top + u, 0], stack[top + u, 1] = p, q
                stack[top + u, 2], stack[top + u, 3] = px, py
                stack[top + u, 4], stack[top + u, 5] = qx, qy
                stack[top + u, 6] = level + 1.0
            top += 2
    return count


@njit(**_INLINE)
def _piece_direction(sa, ca, i, q, p, step):
    """Angle and azimuth (sin, cos) of the point ``q / p`` of the way along uniform edge ``i``.

    The azimuth is edge ``i``'s start (tabulated in ``sa``, ``ca``) turned by a fraction
    of a step: by angle addition with :func:`_sincos_small` when steps are at most a
    degree, else by :func:`_azimuth`.
    """
    b = (i + q / p) * step
    if step > 1.0:
        salp1, calp1 = _azimuth(-b)
        return b, salp1, calp1
    sd, cd = _sincos_small(-(q / p) * step * _DEG)
    salp1, calp1 = _rotate(sa[i], ca[i], sd, cd)
    return b, salp1, calp1


@njit(**_JIT)
def _azimuth_table(k):
    """Return the sines and cosines of the uniform azimuths ``-i * 360 / k``, i = 0..k-1."""
    sa, ca = np.empty(k), np.empty(k)
    for i in range(k):
        sa[i], ca[i] = _azimuth(-(i * (360.0 / k)))
    return sa, ca


@njit(**_JIT)
def _ring_batch(r, pieces, measured, all_ends, east, step, sa, ca, sbet1, cbet1, lon1, t,
                st, ct):
    """Solve the new points of ring ``r``'s first ``east`` edges in one vectorized pass.

    For each edge ``i`` with ``measured[i]`` or ``all_ends``: the ends of its pieces
    (q = 1..p-1 of p = ``pieces[r, i]``); for measured edges then also the midpoints of
    its pieces (q - 1/2). Returns ``xy`` (2, m), ``angle`` (m) and ``first`` (east + 1):
    edge ``i``'s points start at ``first[i]``, ends before mids. :func:`ring_plan` and
    :func:`ring_fill` both build their points here, so that they take the same decisions.
    """
    first = np.empty(east + 1, dtype=np.int64)
    m = 0
    for i in range(east):
        first[i] = m
        p = pieces[r, i]
        if measured[i]:
            m += 2 * p - 1
        elif all_ends:
            m += p - 1
    first[east] = m
    angle, salp, calp = np.empty(m), np.empty(m), np.empty(m)
    for i in range(east):
        o, p = first[i], pieces[r, i]
        if not (measured[i] or all_ends):
            continue
        for q in range(1, p):
            angle[o], salp[o], calp[o] = _piece_direction(sa, ca, i, q, p, step)
            o += 1
        if measured[i]:
            for q in range(1, p + 1):
                angle[o], salp[o], calp[o] = _piece_direction(sa, ca, i, q - 0.5, p, step)
                o += 1
    xy = np.empty((2, m))
    if m > 0:
        _direct_into(sbet1, cbet1, salp, calp, m, lon1, t, st, ct, xy)
    return xy, angle, first


@njit(**_JIT)
def _piece_insertions(v, r, i, q, p, step, xy, angle, o, sbet1, cbet1, lon1, t, st, ct,
                      limit_km, max_levels, stack, rows):
    """Vertices that measurement inserts into piece ``q`` (1..p) of a measured edge ``i``.

    None if the piece's midpoint (from :func:`_ring_batch`, edge data at ``o``) is
    within ``limit_km`` of the chord; else the midpoint and the bisection of both
    halves. Returns their number; when ``rows`` has rows they get (angle, lon, lat).
    """
    k = v.shape[1]
    if q == 1:
        a, xa, ya = i * step, v[r, i, 0], v[r, i, 1]
    else:
        a, xa, ya = angle[o + q - 2], xy[0, o + q - 2], xy[1, o + q - 2]
    if q < p:
        b, xb, yb = angle[o + q - 1], xy[0, o + q - 1], xy[1, o + q - 1]
    else:
        j = (i + 1) % k
        b, xb, yb = (360.0 if j == 0 else (i + 1) * step), v[r, j, 0], v[r, j, 1]
    mo = o + p - 1 + q - 1
    mid, xm, ym = angle[mo], xy[0, mo], xy[1, mo]
    if not _deviates(xa, ya, xb, yb, xm, ym, limit_km):
        return 0
    write = rows.shape[0] > 0
    if write:
        rows[0, 0], rows[0, 1], rows[0, 2] = mid, xm, ym
    c = 1
    c += _bisect_piece(sbet1, cbet1, lon1, t, st, ct, a, mid, xa, ya, xm, ym, limit_km,
                       max_levels, 1.0, stack, rows, c)
    c += _bisect_piece(sbet1, cbet1, lon1, t, st, ct, mid, b, xm, ym, xb, yb, limit_km,
                       max_levels, 1.0, stack, rows, c)
    return c


@njit(**_JIT)
def _plan_ring(v, r, lon1, lat1, dist_m, limit_km, unreliable_km, measured_km, max_pieces,
               max_levels, sa, ca, pieces, bisected):
    """Plan ring ``r`` (see :func:`ring_plan`); return its number of vertices."""
    k = v.shape[1]
    step = 360.0 / k
    mirror = k % 2 == 0
    east = k // 2 if mirror else k
    count = k
    unreliable = np.zeros(k, dtype=np.bool_)
    if mirror:  # only the eastern half of the ring is read (or written: ring_vertices)
        _edge_estimates_east(v, r, lon1, limit_km, unreliable_km, max_pieces, pieces,
                             unreliable)
    else:
        _edge_estimates(v, r, limit_km, unreliable_km, max_pieces, pieces, unreliable)
    for i in range(east):
        count += (pieces[r, i] - 1) * (2 if mirror else 1)
    if not unreliable[:east].any():
        return count
    sbet1, cbet1 = _centre(lat1)
    t, st, ct = _arc(dist_m)
    xy, angle, first = _ring_batch(r, pieces, unreliable, False, east, step, sa, ca,
                                   sbet1, cbet1, lon1, t, st, ct)
    stack = np.empty((2 * max_levels + 2, 7))
    no_rows = np.empty((0, 3))
    for i in range(east):
        if not unreliable[i]:
            continue
        p = pieces[r, i]
        for q in range(1, p + 1):
            bisected[r, i] += _piece_insertions(v, r, i, q, p, step, xy, angle, first[i],
                                                sbet1, cbet1, lon1, t, st, ct, measured_km,
                                                max_levels, stack, no_rows)
        if mirror:
            bisected[r, k - 1 - i] = bisected[r, i]
        count += bisected[r, i] * (2 if mirror else 1)
    return count


@njit(parallel=True, **_JIT)
def ring_plan(v, check, lon, lat, dist_m, limit_km, unreliable_km, measured_km, max_pieces,
              max_levels, pieces, bisected):  # pragma: no cover - compiled
    """Decide the densification of uniform rings ``v`` (n, k, 2) without writing it.

    Writes ``pieces`` (n, k, all ones on entry): equal angle steps per uniform edge
    (only rings with ``check[r]`` are estimated) and ``bisected`` (n, k, zeros on
    entry): vertices that measurement adds to the pieces of unreliable edges (as
    ``densify._bisect``: a piece whose midpoint strays more than ``measured_km`` from
    its chord is bisected until none does). Returns the number of vertices of each
    densified ring. The caller allocates ``pieces`` and ``bisected`` (see
    :func:`ring_fill` on huge pages).

    With an even ``k`` the plan is made symmetric about the centre's meridian (edge
    ``k - 1 - i`` mirrors edge ``i``; each pair gets the finer of the two piece counts)
    so that :func:`ring_fill` solves only the eastern half and mirrors the rest.
    """
    n, k = v.shape[0], v.shape[1]
    sa, ca = _azimuth_table(k)
    total = np.empty(n, dtype=np.int64)
    for r in prange(n):  # one call per ring: a small parallel body compiles fast
        total[r] = k
        if check[r]:
            total[r] = _plan_ring(v, r, lon[r], lat[r], dist_m[r], limit_km, unreliable_km,
                                  measured_km, max_pieces, max_levels, sa, ca, pieces,
                                  bisected)
    return total


@njit(**_JIT)
def _sort_rows(rows, c):
    """Sort the first ``c`` rows by their first column (insertion sort: c is small)."""
    for u in range(1, c):
        a, x, y = rows[u, 0], rows[u, 1], rows[u, 2]
        w = u - 1
        while w >= 0 and rows[w, 0] > a:
            rows[w + 1, 0], rows[w + 1, 1], rows[w + 1, 2] = rows[w, 0], rows[w, 1], rows[w, 2]
            w -= 1
        rows[w + 1, 0], rows[w + 1, 1], rows[w + 1, 2] = a, x, y


@njit(**_JIT)
def _fill_ring(v, r, lon1, lat1, dist_m, start, pieces, bisected, measured_km, max_levels,
               sa, ca, coords, angle):
    """Write ring ``r`` from ``coords[start]`` on (see :func:`ring_fill`)."""
    k = v.shape[1]
    step = 360.0 / k
    mirror = k % 2 == 0
    east = k // 2 if mirror else k
    want_angle = angle.shape[0] > 0
    first_at = at = start
    sbet1, cbet1 = _centre(lat1)
    t, st, ct = _arc(dist_m)
    measured = bisected[r, :east] > 0
    xy, new_angle, first = _ring_batch(r, pieces, measured, True, east, step, sa, ca,
                                       sbet1, cbet1, lon1, t, st, ct)
    stack = np.empty((2 * max_levels + 2 if measured.any() else 0, 7))
    for i in range(east):
        coords[at, 0], coords[at, 1] = v[r, i, 0], v[r, i, 1]
        if want_angle:
            angle[at] = i * step
        at += 1
        o, p = first[i], pieces[r, i]
        if not measured[i]:
            for e in range(o, o + p - 1):
                coords[at, 0], coords[at, 1] = xy[0, e], xy[1, e]
                if want_angle:
                    angle[at] = new_angle[e]
                at += 1
            continue
        rows = np.empty((bisected[r, i], 3))
        for q in range(1, p + 1):  # each piece: what the plan inserted, then its end
            c = _piece_insertions(v, r, i, q, p, step, xy, new_angle, o, sbet1, cbet1,
                                  lon1, t, st, ct, measured_km, max_levels, stack, rows)
            _sort_rows(rows, c)
            for u in range(c):
                coords[at, 0], coords[at, 1] = rows[u, 1], rows[u, 2]
                if want_angle:
                    angle[at] = rows[u, 0] % 360.0
                at += 1
            if q < p:
                coords[at, 0], coords[at, 1] = xy[0, o + q - 1], xy[1, o + q - 1]
                if want_angle:
                    angle[at] = new_angle[o + q - 1]
                at += 1
    if mirror:  # the vertex at 180 degrees, then the western half, mirrored
        h = k // 2
        coords[at, 0], coords[at, 1] = v[r, h, 0], v[r, h, 1]
        if want_angle:
            angle[at] = h * step
        for u in range(at - 1, first_at, -1):
            at += 1
            coords[at, 0] = _wrap180_near(2.0 * lon1 - coords[u, 0])
            coords[at, 1] = coords[u, 1]
            if want_angle:
                angle[at] = 360.0 - angle[u]


@njit(parallel=True, **_JIT)
def ring_fill(v, pieces, bisected, slots, pad_before, lon, lat, dist_m, measured_km,
              max_levels, coords, angle):  # pragma: no cover - compiled
    """Write the densified rings planned by :func:`ring_plan` into ``coords`` (m, 2).

    Ring ``r`` goes to ``coords[slots[r] + pad_before[r]:]`` in order of increasing
    angle (counter-clockwise from north); the padding is left for the caller. When
    ``angle`` has room (m,), it gets the angle of each vertex (degrees, [0, 360)).
    With an even ``k`` (a symmetric plan) angles 0..180 are solved and the rest mirrored.
    The caller allocates the outputs: numpy's large arrays come with transparent huge
    pages, which halves the cost of first touching them (measured: 40 -> 21 ms for 112 MB).
    """
    n, k = v.shape[0], v.shape[1]
    sa, ca = _azimuth_table(k)
    for r in prange(n):  # one call per ring: a small parallel body compiles fast
        _fill_ring(v, r, lon[r], lat[r], dist_m[r], slots[r] + pad_before[r], pieces,
                   bisected, measured_km, max_levels, sa, ca, coords, angle)


# --- polygon assembly (in place, for shapely.from_ragged_array) ---------------------------

PLAIN, NORTH_CAP, SOUTH_CAP = 0, 1, 2


@njit(**_JIT)
def _close_cap(xy, o, end, north):
    """Order, rotate and close the cap ring in ``xy[o:end]`` (see :func:`assemble_discs`).

    The body (rows ``o + 1 .. end - 5``) is read once into a buffer and written back
    once in its final order: eastward from just east of ±180 (reversed as a whole for
    a south cap), between the closing vertices.
    """
    a, nb = o + 1, end - o - 5
    body = np.empty((nb, 2))
    for i in range(nb):
        body[i, 0], body[i, 1] = _wrap180_near(xy[a + i, 0]), xy[a + i, 1]
    winding = 0.0
    for i in range(nb):
        j = i + 1 if i + 1 < nb else 0
        winding += _wrap180_near(body[j, 0] - body[i, 0])
    east = winding >= 0.0  # else the eastward order is the body reversed
    drop = 0
    for p in range(nb):  # the eastward step that falls back across ±180 (the last, if several)
        q = p + 1 if p + 1 < nb else 0
        ep, eq = (p, q) if east else (nb - 1 - p, nb - 1 - q)
        if body[eq, 0] < body[ep, 0]:
            drop = p
    start = (drop + 1) % nb
    first = start if east else nb - 1 - start
    last_p = (start + nb - 1) % nb
    last = last_p if east else nb - 1 - last_p
    a_lon, a_lat = body[last, 0], body[last, 1]
    b_lon, b_lat = body[first, 0] + 360.0, body[first, 1]
    span = b_lon - a_lon
    frac = (180.0 - a_lon) / span if span > 0 else 0.0
    cross = a_lat + frac * (b_lat - a_lat)
    pole = 90.0 if north else -90.0
    # rows of the closed ring in its northern (eastward) order; a south cap is reversed
    m = end - o
    for t in range(nb):
        e = start + t if start + t < nb else start + t - nb
        src = e if east else nb - 1 - e
        w = o + (1 + t if north else m - 2 - t)
        xy[w, 0], xy[w, 1] = body[src, 0], body[src, 1]
    for u in (0, nb + 1, nb + 2, nb + 3, nb + 4):  # (-180, lat*) and the closing rows
        w = o + (u if north else m - 1 - u)
        x = -180.0 if u == 0 or u >= nb + 3 else 180.0
        xy[w, 0], xy[w, 1] = x, (pole if u == nb + 2 or u == nb + 3 else cross)


@njit(parallel=True, **_JIT)
def assemble_discs(xy, slots, kind):  # pragma: no cover - compiled
    """Turn densified rings into closed counter-clockwise polygon rings, in place.

    ``slots`` delimit each ring's room in ``xy``: a PLAIN ring fills all but the last
    row, which gets the closing vertex, and its longitudes are unwrapped along the
    ring; a cap (around exactly one pole) starts one row in and leaves four rows at
    the end. As ``rings._pole_caps``, a cap is ordered eastward, rotated to start just
    east of ±180 and closed by (180, lat*), (180, ±90), (-180, ±90), (-180, lat*),
    lat* being its latitude at ±180; south caps are then reversed (counter-clockwise).
    Returns the least and greatest unwrapped longitude of each ring.
    """
    n = slots.size - 1
    lo = np.zeros(n)
    hi = np.zeros(n)
    for r in prange(n):
        o, end = slots[r], slots[r + 1]
        if kind[r] == PLAIN:
            x = xy[o, 0]
            lo_r, hi_r = x, x
            prev = x
            for i in range(o + 1, end - 1):
                cur = xy[i, 0]
                x += _wrap180_near(cur - prev)
                prev = cur
                xy[i, 0] = x
                lo_r, hi_r = min(lo_r, x), max(hi_r, x)
            xy[end - 1, 0], xy[end - 1, 1] = xy[o, 0], xy[o, 1]
            lo[r], hi[r] = lo_r, hi_r
            continue
        _close_cap(xy, o, end, kind[r] == NORTH_CAP)
    return lo, hi


@njit(**_JIT)
def _clip_counts(xy, a, b, cut):
    """Vertices on each side of the line lon = cut, and the number of crossings."""
    n_left = n_right = crossings = 0
    for i in range(a, b - 1):
        left_i = xy[i, 0] <= cut
        left_j = xy[i + 1, 0] <= cut
        if left_i:
            n_left += 1
        else:
            n_right += 1
        if left_i != left_j:
            crossings += 1
    return n_left, n_right, crossings


@njit(parallel=True, **_JIT)
def split_at_meridian(xy, ring_offsets, picks, cut):  # pragma: no cover - compiled
    """Split closed counter-clockwise rings that cross lon = ``cut`` (±180) in two.

    For each picked ring (unwrapped, crossing the line exactly twice) return two
    closed rings: the part on the inner side of the cut and the outer part shifted
    by 360 degrees back into [-180, 180]. ``ok[s]`` is False for rings that cross
    more than twice; those are left for the caller. Returns ``(out, part_offsets, ok)``
    where picked ring ``s`` owns parts ``2s`` and ``2s + 1``.
    """
    n = picks.size
    sizes = np.zeros(2 * n, dtype=np.int64)
    ok = np.zeros(n, dtype=np.bool_)
    for s in prange(n):
        r = picks[s]
        nl, nr, crossings = _clip_counts(xy, ring_offsets[r], ring_offsets[r + 1], cut)
        if crossings == 2:
            ok[s] = True
            n_inner, n_outer = (nl, nr) if cut > 0 else (nr, nl)
            sizes[2 * s] = n_inner + 3  # two cut points and the closing vertex
            sizes[2 * s + 1] = n_outer + 3
    part_offsets = np.zeros(2 * n + 1, dtype=np.int64)
    for p in range(2 * n):
        part_offsets[p + 1] = part_offsets[p] + sizes[p]
    out = np.empty((part_offsets[2 * n], 2))
    shift = -360.0 if cut > 0 else 360.0
    for s in prange(n):
        if not ok[s]:
            continue
        r = picks[s]
        a, b = ring_offsets[r], ring_offsets[r + 1]
        inner, outer = part_offsets[2 * s], part_offsets[2 * s + 1]
        ni = no = 0
        for i in range(a, b - 1):
            x0, y0, x1, y1 = xy[i, 0], xy[i, 1], xy[i + 1, 0], xy[i + 1, 1]
            side0 = (x0 <= cut) == (cut > 0)  # on the inner side ([-180, 180]) of the cut
            side1 = (x1 <= cut) == (cut > 0)
            if side0:
                out[inner + ni, 0], out[inner + ni, 1] = x0, y0
                ni += 1
            else:
                out[outer + no, 0], out[outer + no, 1] = x0 + shift, y0
                no += 1
            if side0 != side1:
                y = y0 + (cut - x0) / (x1 - x0) * (y1 - y0)
                out[inner + ni, 0], out[inner + ni, 1] = cut, y
                out[outer + no, 0], out[outer + no, 1] = cut + shift, y
                ni += 1
                no += 1
        # the parts start anywhere along their ring: close each on its first vertex
        out[inner + ni] = out[inner]
        out[outer + no] = out[outer]
    return out, part_offsets, ok


