"""Compiled (numba) polygon assembly: densified rings closed in place for shapely.

Each ring has been written into a slot of one array with room for its closing
vertices; :func:`assemble_discs` closes it there (unwrapped, or as a pole cap) and
:func:`split_at_meridian` cuts the rings that cross ±180° twice, so that
``shapely.from_ragged_array`` gets the polygons' coordinates as they are. Imported
by :mod:`geoinf.engine` (numba installed).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .direct import _wrap180_near
from .series import JIT as _JIT

__all__ = ["PLAIN", "NORTH_CAP", "SOUTH_CAP", "assemble_discs", "split_at_meridian"]

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
