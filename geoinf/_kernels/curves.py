"""Compiled (numba) sampling of the curves a buffer's boundary is made of.

The kernels behind :func:`geoinf.engine.compiled_curve_samples` and
:func:`geoinf.engine.compiled_curve_points`, the compiled twins of
:func:`geoinf.offset_curves.sample_curves` and :func:`geoinf.offset_curves.curve_points`
(same family of curves, same rule): a point of curve ``k`` at ``u`` is one direct
problem along the base geodesic (set up once per curve, with the azimuth at its end)
and one along the turned direction (:mod:`geoinf._kernels.direct`). An interval is
bisected while the distance from the curve's middle point to the middle of the
straight lon/lat chord exceeds the limit, measured on the sphere of radius ``a^2 / b``
over geodetic latitude and longitude: both radii of curvature of the ellipsoid (``M``,
``N``) are at most ``a^2 / b``, so every path, and so the distance, is at least as long
there as on WGS84 (within 1.02 %): the test never accepts an interval the exact
distance would bisect. Each curve is bisected depth-first, left half first, so that
its samples come out in order and are written once, into a slot of the output; a
curve that overflows its slot is redone by the caller with a larger one.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .direct import endpoint, line_end, line_from
from .series import _A, _B
from .series import JIT as _JIT

__all__ = ["curve_points", "sample_curves", "window_nearest"]

_R_KM = _A * _A / _B / 1000.0  # the largest radius of curvature of WGS84 (at the poles)


@njit(**_JIT)
def _at(c, k, base, u):
    """Lon, lat of curve ``k`` at parameter ``u``; ``base`` is its line from ``line_from``."""
    lon, lat, az, s0, s1, phi0, phi1, t0, t1 = c
    s = s0[k] + u * (s1[k] - s0[k])
    x, y, a = lon[k], lat[k], az[k]
    if s != 0.0:
        x, y, a = line_end(base, x, s)
    t = t0[k] + u * (t1[k] - t0[k])
    if t != 0.0:
        x, y, _ = endpoint(x, y, a + phi0[k] + u * (phi1[k] - phi0[k]), t)
    return x, y


@njit(**_JIT)
def _miss_km(ax, ay, bx, by, mx, my):
    """Upper bound (km) of the distance from the curve's middle ``m`` to the chord's middle."""
    step = (bx - ax + 180.0) % 360.0 - 180.0
    cx = ax + step / 2.0
    cy = (ay + by) / 2.0
    h = math.sin(math.radians(my - cy) / 2.0) ** 2 + math.cos(math.radians(my)) \
        * math.cos(math.radians(cy)) * math.sin(math.radians(mx - cx) / 2.0) ** 2
    return 2.0 * _R_KM * math.asin(min(1.0, math.sqrt(h)))


@njit(**_JIT)
def _sample_one(c, k, n0, limit_km, max_levels, out, lo, cap):
    """Write the samples of curve ``k`` to ``out[lo:lo + cap]``; return how many, or -1."""
    stack = np.empty((max_levels + 2, 7))
    m = 0
    base = line_from(c[1][k], c[2][k])
    bx, by = _at(c, k, base, 0.0)
    for j in range(n0):
        ax, ay = bx, by
        bx, by = _at(c, k, base, (j + 1) / n0)
        stack[0, 0], stack[0, 1], stack[0, 2] = j / n0, ax, ay
        stack[0, 3], stack[0, 4], stack[0, 5], stack[0, 6] = (j + 1) / n0, bx, by, 0.0
        top = 1
        while top > 0:
            top -= 1
            ua, xa, ya, ub, xb, yb, depth = stack[top]
            if depth < max_levels:
                um = (ua + ub) / 2.0
                xm, ym = _at(c, k, base, um)
                if _miss_km(xa, ya, xb, yb, xm, ym) > limit_km:
                    stack[top, 0], stack[top, 1], stack[top, 2] = um, xm, ym
                    stack[top, 6] = depth + 1.0
                    top += 1
                    stack[top, 0], stack[top, 1], stack[top, 2] = ua, xa, ya
                    stack[top, 3], stack[top, 4], stack[top, 5] = um, xm, ym
                    stack[top, 6] = depth + 1.0
                    top += 1
                    continue
            if m == cap - 1:  # room for the end point is kept
                return -1
            out[lo + m, 0], out[lo + m, 1] = xa, ya
            m += 1
    out[lo + m, 0], out[lo + m, 1] = bx, by
    return m + 1


@njit(parallel=True, **_JIT)
def _sample_kernel(c, which, n0, limit_km, max_levels, slots, out, count):
    for i in prange(which.size):
        lo = slots[i]
        k = which[i]
        count[i] = _sample_one(c, k, n0[k], limit_km[k], max_levels, out, lo, slots[i + 1] - lo)


@njit(parallel=True, **_JIT)
def _points_kernel(c, k, u, out_lon, out_lat):
    for i in prange(k.size):
        base = line_from(c[1][k[i]], c[2][k[i]])
        out_lon[i], out_lat[i] = _at(c, k[i], base, u[i])


def _fields(c):
    return tuple(np.ascontiguousarray(f, dtype=np.float64) for f in c[:9])


def curve_points(c, k, u):
    """Return lon, lat of curves ``k`` of ``c`` (a :class:`Curves`) at parameters ``u``."""
    out_lon, out_lat = np.empty(k.size), np.empty(k.size)
    _points_kernel(_fields(c), k.astype(np.int64), u.astype(np.float64), out_lon, out_lat)
    return out_lon, out_lat


def sample_curves(c, limit_km, max_levels):
    """Sample every curve of ``c``; return ``(xy, offsets)`` as ``offset_curves`` does.

    An interval of curve ``k`` is bisected while its middle misses the chord's middle
    by more than ``limit_km[k]``, at most ``max_levels`` times. Slots start at 24 samples per
    initial interval; curves that overflow are redone in slots 8 times larger.
    """
    fields = _fields(c)
    n0 = np.asarray(c.n0, dtype=np.int64)
    n = n0.size
    limit_km = np.ascontiguousarray(np.broadcast_to(limit_km, (n,)), dtype=np.float64)
    count = np.zeros(n, dtype=np.int64)
    parts = []
    # in a fixed shuffled order: prange gives each thread one run of the curves, and
    # the caller's curves come grouped by kind (rays, offset curves, arcs: unequal work)
    which = np.random.default_rng(0).permutation(n).astype(np.int64)
    per = 24
    while which.size:
        cap = per * n0[which] + 2
        slots = np.zeros(which.size + 1, dtype=np.int64)
        np.cumsum(cap, out=slots[1:])
        out = np.empty((slots[-1], 2))
        got = np.empty(which.size, dtype=np.int64)
        _sample_kernel(fields, which, n0, limit_km, int(max_levels), slots, out, got)
        done = got >= 0
        count[which[done]] = got[done]
        parts.append((which[done], slots[:-1][done], got[done], out))
        which = which[~done]
        per *= 8
    offsets = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(count, out=offsets[1:])
    xy = np.empty((offsets[-1], 2))
    for curves, starts, got, out in parts:
        src = np.repeat(starts - np.cumsum(got) + got, got) + np.arange(got.sum())
        dst = np.repeat(offsets[curves] - np.cumsum(got) + got, got) + np.arange(got.sum())
        xy[dst] = out[src]
    return xy, offsets


@njit(parallel=True, **_JIT)
def window_nearest(ends, vxyz, owner, near, k, out):
    """Per row ``i``: the vertex within ``k`` of ``near[i]`` (same owner) nearest both ends.

    ``ends`` (n, 2, 3) and ``vxyz`` are unit vectors; "nearest both" is the largest
    smaller cosine, the first such vertex on ties (the rule of
    :func:`geoinf.buffer_pieces._covering_vertex`, whose numpy loop is the reference).
    """
    nv = vxyz.shape[0]
    for i in prange(near.size):
        c = near[i]
        best, w = -2.0, c
        for j in range(max(c - k, 0), min(c + k + 1, nv)):
            if owner[j] != owner[c]:
                continue
            d0 = ends[i, 0, 0] * vxyz[j, 0] + ends[i, 0, 1] * vxyz[j, 1] \
                + ends[i, 0, 2] * vxyz[j, 2]
            d1 = ends[i, 1, 0] * vxyz[j, 0] + ends[i, 1, 1] * vxyz[j, 1] \
                + ends[i, 1, 2] * vxyz[j, 2]
            d = min(d0, d1)
            if d > best:
                best, w = d, j
        out[i] = w
