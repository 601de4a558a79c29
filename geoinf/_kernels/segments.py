"""Compiled (numba) search for the edges that can be nearest to each point.

The kernel behind :func:`geoinf.engine.compiled_near_edges`, the compiled twin of
:func:`geoinf.geometry_distance._near_blocks` and the edge filter of
``_nearest_edges``: spherical bounds on blocks of consecutive edges, then on the
edges of the blocks kept, without building the point x edge pairs in memory.
The exact distances of the pairs it returns are solved by the caller.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .series import JIT as _JIT

__all__ = ["near_edges"]


@njit(**_JIT)
def _angle(p, v, i):
    dot = p[0] * v[i, 0] + p[1] * v[i, 1] + p[2] * v[i, 2]
    return math.acos(min(1.0, max(-1.0, dot)))


@njit(**_JIT)
def _arc_km(p, e, va, vb, nrm, c1, c2, ok, earth_km):
    """Spherical distance (km) from ``p`` to vertex a of edge e, and to its arc."""
    to_a = _angle(p, va, e) * earth_km
    to_b = _angle(p, vb, e) * earth_km
    ends = min(to_a, to_b)
    if ok[e] and (p[0] * c1[e, 0] + p[1] * c1[e, 1] + p[2] * c1[e, 2] >= 0) \
            and (p[0] * c2[e, 0] + p[1] * c2[e, 1] + p[2] * c2[e, 2] >= 0):
        s = p[0] * nrm[e, 0] + p[1] * nrm[e, 1] + p[2] * nrm[e, 2]
        cross = abs(math.asin(min(1.0, max(-1.0, s)))) * earth_km
        return to_a, min(cross, ends)
    return to_a, ends


@njit(**_JIT)
def _point(i, p, start, count, blk, edg, rule, out_e, fill, lo):
    """Candidates of point i: written to ``out_e[lo:]`` when ``fill``; returns how many."""
    b_start, b_size, centre, radius, cos_r, sin_r, dev_km, first = blk
    va, vb, nrm, c1, c2, ok, length_km = edg
    upper_only, n_upper, eps, slack, earth_km = rule
    nb = count[i]
    best_dot, dev_max = -1.0, 0.0
    for j in range(nb):
        k = start[i] + j
        best_dot = max(best_dot, p[0] * first[k, 0] + p[1] * first[k, 1] + p[2] * first[k, 2])
        dev_max = max(dev_max, dev_km[k])
    best = math.acos(min(1.0, best_dot)) * earth_km * (1 + eps) + slack
    # a block can only pass when the angle to its centre is below radius + x
    x = ((best + slack) / (1 - eps) + dev_max) / earth_km + 1e-9
    cos_x, sin_x = math.cos(x), math.sin(x)
    lower = np.empty(nb)
    kept = np.empty(nb, dtype=np.int64)
    m = 0
    for j in range(nb):
        k = start[i] + j
        if radius[k] + x < math.pi:
            dot = p[0] * centre[k, 0] + p[1] * centre[k, 1] + p[2] * centre[k, 2]
            if dot < cos_r[k] * cos_x - sin_r[k] * sin_x:
                continue
        to_c = _angle(p, centre, k)
        low = (max(to_c - radius[k], 0.0) * earth_km - dev_km[k]) * (1 - eps) - slack
        if low <= best:
            lower[m] = low
            kept[m] = j
            m += 1
    if upper_only:  # the n_upper kept blocks of lowest bound (ties: first), nearest arc
        order = np.argsort(lower[:m], kind="mergesort")
        use = min(m, n_upper)
        pick = np.sort(kept[:m][order[:use]])
        arg, arg_arc = -1, np.inf
        for j in pick:
            k = start[i] + j
            for e in range(b_start[k], b_start[k] + b_size[k]):
                _, arc = _arc_km(p, e, va, vb, nrm, c1, c2, ok, earth_km)
                if arc < arg_arc:
                    arg, arg_arc = e, arc
        if fill and arg >= 0:
            out_e[lo] = arg
        return 1 if arg >= 0 else 0
    for t in range(m):  # the best upper bound over every kept edge first
        k = start[i] + kept[t]
        for e in range(b_start[k], b_start[k] + b_size[k]):
            to_a, _ = _arc_km(p, e, va, vb, nrm, c1, c2, ok, earth_km)
            best = min(best, to_a * (1 + eps) + slack)
    n = 0
    for t in range(m):
        k = start[i] + kept[t]
        for e in range(b_start[k], b_start[k] + b_size[k]):
            _, arc = _arc_km(p, e, va, vb, nrm, c1, c2, ok, earth_km)
            dev = length_km[e] * (0.02 if length_km[e] > 9_000.0 else 0.002)
            if (arc - dev) * (1 - eps) - slack <= best:
                if fill:
                    out_e[lo + n] = e
                n += 1
    return n


@njit(parallel=True, **_JIT)
def _count(p, start, count, blk, edg, rule):
    n = p.shape[0]
    out = np.zeros(n, dtype=np.int64)
    dummy = np.zeros(0, dtype=np.int64)
    for i in prange(n):
        out[i] = _point(i, p[i], start, count, blk, edg, rule, dummy, False, 0)
    return out


@njit(parallel=True, **_JIT)
def _fill(p, start, count, blk, edg, rule, offsets, out_e):
    for i in prange(p.shape[0]):
        _point(i, p[i], start, count, blk, edg, rule, out_e, True, offsets[i])


def near_edges(p, start, count, blocks, frames, upper_only, n_upper, eps, slack, earth_km):
    """Return ``(q, e)``: the point x edge pairs whose exact distance the caller solves.

    Point ``i`` (unit vector ``p[i]``) is checked against blocks ``start[i]`` to
    ``start[i] + count[i] - 1``; ``blocks`` is ``(start, size, centre, radius, dev_km,
    first)`` and ``frames`` ``(va, vb, normal, c1, c2, ok, length_km)`` of
    ``geometry_distance``, whose rules these are.
    """
    b_start, b_size, centre, radius, dev_km, first = blocks
    blk = (b_start.astype(np.int64), b_size.astype(np.int64), centre, radius, np.cos(radius),
           np.sin(radius), dev_km, first)
    rule = (bool(upper_only), int(n_upper), float(eps), float(slack), float(earth_km))
    args = (p, start.astype(np.int64), count.astype(np.int64), blk, tuple(frames), rule)
    n = _count(*args)
    offsets = np.zeros(n.size + 1, dtype=np.int64)
    np.cumsum(n, out=offsets[1:])
    out_e = np.empty(offsets[-1], dtype=np.int64)
    _fill(*args, offsets[:-1], out_e)
    return np.repeat(np.arange(n.size), n), out_e
