"""Compiled (numba) direct geodesic solution on WGS84 and the ring kernels built on it.

This is an optional engine: it is imported only by :mod:`geoinf.engine`, when numba
is installed (``pip install "geoinf[speedups]"``) and ``engine="auto"`` or
``engine="numba"`` selects it. pyproj stays the reference.

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

Three things make the kernels fast (``scripts/bench_rings.py`` measures the whole engine):

- the small helpers are inlined (numba calls across compiled functions through a
  generic convention that doubled the cost of a solution);
- no sine or cosine is evaluated per vertex: the arc ``t = s12 / b`` of a circle is
  shared by all its azimuths, and ``tau12`` and ``sigma12`` differ from it by
  corrections of the order of the flattening, applied by angle addition with a
  short Taylor series (:func:`_sincos_small`); ``atan2`` is a branch-free rational
  approximation (:func:`geoinf._kernels.series.atan2`, within 2 ulp of libm);
- lines are set up into arrays and evaluated in loops without branches or library
  calls, which LLVM vectorizes (several azimuths per instruction).

Vertices agree with pyproj within 2e-8 m (measured on a million random solutions
and 3,000 random rings; the tests require 1e-6 m).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .series import _B, _DEG, _F, _F1, _quadrant
from .series import INLINE as _INLINE
from .series import JIT as _JIT
from .series import a1m1_c1 as _a1m1_c1
from .series import a3_c3 as _a3_c3
from .series import ang_normalize_near as _ang_normalize_near
from .series import ang_round as _ang_round
from .series import atan2 as _atan2
from .series import atan2d as _atan2d_fast
from .series import eps_of as _eps_of
from .series import norm as _sum_norm
from .series import sin_series5 as _sin_series5
from .series import sin_series6 as _sin_series6
from .series import sincos_small as _sincos_small

__all__ = ["direct", "endpoint", "line_from", "line_end", "ring_vertices"]

_TINY = math.sqrt(np.finfo(float).tiny)


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
    return _quadrant(q, math.sin(r), math.cos(r), x)


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
    return salp0, calp0, ssig1, csig1, somg1, comg1, _eps_of(calp0)


@njit(**_INLINE)
def _line_series(salp0, ssig1, csig1, eps):
    """Return the line's series coefficients (order 6) and their values at its start."""
    # C1 (distance -> arc) and C1' (its reversion), order 6
    a1m1, c11, c12, c13, c14, c15, c16 = _a1m1_c1(eps)
    e2 = eps * eps
    e3, e4 = e2 * eps, e2 * e2
    e5, e6 = e4 * eps, e4 * e2
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
    a3, d1, d2, d3, d4, d5 = _a3_c3(eps)
    a3c = -_F * salp0 * a3
    b31 = _sin_series5(ssig1, csig1, d1, d2, d3, d4, d5)
    return (a1m1 / (1.0 + a1m1), b11, stau1, ctau1, p1, p2, p3, p4, p5, p6, d1, d2, d3, d4,
            d5, a3c, b31)


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
    """End point (lon2, lat2) at arc ``t`` (see :func:`_arc`) along a line from :func:`_line`."""
    lon2, lat2, _, _ = _end_at(ln, lon1, t, st, ct)
    return lon2, lat2


@njit(**_INLINE)
def _end_at(ln, lon1, t, st, ct):
    """End point and azimuth there: (lon2, lat2, sin alpha2, cos alpha2) (unnormalised).

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
    return lon2, lat2, salp0, calp0 * csig2


@njit(**_JIT)
def _position(sbet1, cbet1, salp1, calp1, lon1, t, st, ct):
    """One direct problem from a centre (see :func:`_centre`) at arc ``t`` (see :func:`_arc`).

    Not inlined: the scalar paths (bisection, :func:`direct`) call this one compiled
    copy, which keeps the compile time of the kernels down.
    """
    return _position_at(_line(sbet1, cbet1, salp1, calp1), lon1, t, st, ct)


@njit(**_INLINE)
def line_from(lat1, azi1):
    """Set up the geodesic line leaving latitude ``lat1`` along ``azi1`` (degrees)."""
    sbet1, cbet1 = _centre(lat1)
    salp1, calp1 = _azimuth(azi1)
    return _line(sbet1, cbet1, salp1, calp1)


@njit(**_INLINE)
def line_end(ln, lon1, s12):
    """End of ``s12`` metres along a line from :func:`line_from` at ``lon1``: lon2, lat2, azi2."""
    t, st, ct = _arc(s12)
    lon2, lat2, salp2, calp2 = _end_at(ln, _ang_normalize(lon1), t, st, ct)
    return lon2, lat2, _atan2d_fast(salp2, calp2)


@njit(**_JIT)
def endpoint(lon1, lat1, azi1, s12):
    """One direct problem: end point and forward azimuth there, (lon2, lat2, azi2) degrees."""
    return line_end(line_from(lat1, azi1), lon1, s12)


@njit(parallel=True, **_JIT)
def direct(lon, lat, azi, dist_m, out_lon, out_lat):  # pragma: no cover - compiled
    """Solve the direct problem for flat arrays; results go to ``out_lon``/``out_lat``.

    The outputs may be the input arrays themselves (in-place, as :meth:`pyproj.Geod.fwd`).
    """
    for i in prange(lon.size):
        sbet1, cbet1 = _centre(lat[i])
        salp1, calp1 = _azimuth(azi[i])
        t, st, ct = _arc(dist_m[i])
        x, y = _position(sbet1, cbet1, salp1, calp1, _ang_normalize(lon[i]), t, st, ct)
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
def _wrap180_near(x):
    """Wrap to [-180, 180) as ``(x + 180) % 360 - 180``, for |x| <= 540, branch-free."""
    y = x - 360.0 if x >= 180.0 else x
    y = y - 360.0 if y >= 180.0 else y
    y = y + 360.0 if y < -180.0 else y
    return y + 360.0 if y < -180.0 else y
