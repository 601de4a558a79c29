"""Closed rings on the globe -> valid lon/lat polygon pieces (poles closed, ±180° split).

A ring is given by its vertices in order with its interior on the left (counter-
clockwise seen from outside the globe), each step shorter than 180° of longitude.
Its longitudes are unwrapped along the ring; the total change tells what it
encloses: 0 (no pole, or both when the unwrapped ring is clockwise), +360° (the
North Pole), -360° (the South Pole). A ring around a pole is started at its vertex
nearest the pole and closed along the pole's parallel, as
:func:`geoinf.rings.disc_polygons` closes its caps. Each unwrapped polygon is then
cut into the [-180, 180] window: copies shifted by multiples of 360° are
intersected with it. The pieces of one ring are not unioned here: the caller
unions all the pieces of a buffer at once.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = ["ring_pieces", "polygonal", "repaired", "WORLD"]

WORLD = shapely.box(-180.0, -90.0, 180.0, 90.0)


def _unwrap(lon: NDArray, ring: NDArray, first: NDArray) -> NDArray:
    step = (np.diff(lon, prepend=lon[:1]) + 180.0) % 360.0 - 180.0
    step[first] = 0.0
    cum = np.cumsum(step)
    counts = np.diff(np.r_[first, lon.size])
    return np.repeat(lon[first] - cum[first], counts) + cum


def ring_pieces(xy: NDArray[np.float64], offsets: NDArray[np.intp]
                ) -> tuple[NDArray[np.object_], NDArray[np.intp]]:
    """Return the lon/lat polygon pieces of closed rings and the ring each belongs to.

    Ring ``i`` is ``xy[offsets[i]:offsets[i + 1]]`` (not repeated at the end).
    Rings that contain both poles come back as ``WORLD`` minus the hole they bound.
    Unwrapped longitudes are kept as the given longitude plus a whole number of
    turns, so that pieces meeting along a ray share its vertices bit for bit.
    """
    n = offsets.size - 1
    counts = np.diff(offsets)
    ring = np.repeat(np.arange(n), counts)
    first, last = offsets[:-1], offsets[1:] - 1
    lon, lat = xy[:, 0], xy[:, 1]
    ulon = _unwrap(lon, ring, first)
    closing = (lon[first] - lon[last] + 180.0) % 360.0 - 180.0
    winding = np.rint((ulon[last] + closing - ulon[first]) / 360.0).astype(np.int64)
    north, south = winding > 0, winding < 0
    pole = north | south
    p = np.flatnonzero(pole)
    rlon, rlat = lon, lat
    turns = np.rint((ulon - lon) / 360.0).astype(np.int64)
    if p.size:  # rings around a pole start at the vertex nearest it (the first such)
        pc = counts[p]
        pts = np.repeat(first[p] - np.cumsum(pc) + pc, pc) + np.arange(pc.sum())
        p_first = np.cumsum(pc) - pc
        key = np.where(np.repeat(north[p], pc), -lat[pts], lat[pts])
        at_min = np.flatnonzero(key == np.repeat(np.minimum.reduceat(key, p_first), pc))
        seg = np.searchsorted(p_first, at_min, side="right") - 1
        start = at_min[np.r_[True, seg[1:] != seg[:-1]]] - p_first
        pos = np.arange(pts.size) - np.repeat(p_first, pc)
        src = pts[np.repeat(p_first, pc) + (pos + np.repeat(start, pc)) % np.repeat(pc, pc)]
        rlon, rlat = lon.copy(), lat.copy()
        rlon[pts], rlat[pts] = lon[src], lat[src]
        p_ring = np.repeat(np.arange(p.size), pc)
        turns[pts] = np.rint((_unwrap(rlon[pts], p_ring, p_first) - rlon[pts]) / 360.0)
    # closed rings: body, closing vertex (+ two pole corners), first vertex again
    extra = np.where(pole, 4, 2)
    out_n = counts + extra
    out_first = np.cumsum(out_n) - out_n
    base = np.empty(out_n.sum())
    turn = np.empty(out_n.sum(), dtype=np.int64)
    y = np.empty(out_n.sum())
    body = np.repeat(out_first - first, counts) + np.arange(xy.shape[0])
    base[body], turn[body], y[body] = rlon, turns, rlat
    tail = out_first + counts
    base[tail], turn[tail], y[tail] = rlon[first], turns[first] + winding, rlat[first]
    pole_lat = np.where(north[p], 90.0, -90.0)
    base[tail[p] + 1], turn[tail[p] + 1], y[tail[p] + 1] = rlon[first[p]], turn[tail[p]], pole_lat
    base[tail[p] + 2], turn[tail[p] + 2], y[tail[p] + 2] = rlon[first[p]], turns[first[p]], \
        pole_lat
    close = out_first + out_n - 1
    base[close], turn[close], y[close] = rlon[first], turns[first], rlat[first]
    return _windowed(base, turn, y, out_n, winding)


def _signed_area(x, y, starts) -> NDArray[np.float64]:
    """Shoelace area of closed rings (positive counter-clockwise) stored one after another."""
    cross = np.zeros(x.size)
    cross[:-1] = x[:-1] * y[1:] - x[1:] * y[:-1]
    cross[starts[1:] - 1] = 0.0  # from one ring's last vertex to the next ring's first
    return np.add.reduceat(cross, starts) / 2


def repaired(pieces: NDArray[np.object_]) -> NDArray[np.object_]:
    """Return the pieces with those whose sampled ring crosses itself made valid.

    Two rays a few kilometres apart, each sampled to its own tolerance, can cross
    (a band of a 1 km edge at 5,500 km); the crossing leaves the piece a bow tie.
    Repaired, it loses at most a sliver along its rays, inside the buffer, which
    the caller's gap filling restores (:func:`geoinf.buffers.geodesic_buffer`). Only
    called when GEOS refuses a piece: checking every piece costs 5 % of a buffer.
    """
    out = pieces.copy()
    bad = np.flatnonzero((pieces != None) & ~shapely.is_valid(pieces))  # noqa: E711
    out[bad] = polygonal(shapely.make_valid(pieces[bad]))
    return out


def polygonal(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
    """Drop the lines and points an overlay (or a repair) may leave next to the polygons."""
    mixed = shapely.get_type_id(geoms) == shapely.GeometryType.GEOMETRYCOLLECTION
    if mixed.any():
        parts, idx = shapely.get_parts(geoms[mixed], return_index=True)
        area = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
        fixed = np.array([shapely.Polygon() for _ in range(mixed.sum())], dtype=object)
        if area.any():
            fixed_idx, dense = np.unique(idx[area], return_inverse=True)
            fixed[fixed_idx] = shapely.multipolygons(parts[area], indices=dense)
            fixed = shapely.union_all(fixed[:, None], axis=1)  # one part: a Polygon
        geoms = geoms.copy()
        geoms[mixed] = fixed
    return geoms


def _windowed(base, turn, y, out_n, winding) -> tuple[NDArray[np.object_], NDArray[np.intp]]:
    """Return copies of the unwrapped polygons shifted by whole turns, cut into [-180, 180]."""
    starts = np.cumsum(out_n) - out_n
    ux = base + 360.0 * turn
    lo, hi = np.minimum.reduceat(ux, starts), np.maximum.reduceat(ux, starts)
    k_lo = np.ceil((-180.0 - hi) / 360.0).astype(np.int64)
    k_hi = np.floor((180.0 - lo) / 360.0).astype(np.int64)
    inside = (lo >= -180.0) & (hi <= 180.0)
    # rings inside the window as they are, then the shifted copies of the others
    flat = np.flatnonzero(~inside)
    reps = np.maximum(k_hi[flat] - k_lo[flat] + 1, 0)
    copy_of = np.repeat(flat, reps)
    k = np.repeat(k_lo[flat], reps) + np.arange(copy_of.size) - np.repeat(np.cumsum(reps) - reps,
                                                                          reps)
    sizes = out_n[copy_of]
    idx = np.repeat(starts[copy_of], sizes) + np.arange(sizes.sum()) \
        - np.repeat(np.cumsum(sizes) - sizes, sizes)
    keep = np.repeat(inside, out_n)
    coords = np.empty((int(keep.sum()) + idx.size, 2))
    m = coords.shape[0] - idx.size
    coords[:m, 0], coords[:m, 1] = ux[keep], y[keep]
    coords[m:, 0] = base[idx] + 360.0 * (turn[idx] + np.repeat(k, sizes))
    coords[m:, 1] = y[idx]
    owner = np.r_[np.flatnonzero(inside), copy_of]
    sizes = out_n[owner]
    ring_ends = np.r_[0, np.cumsum(sizes)]
    pieces = shapely.from_ragged_array(shapely.GeometryType.POLYGON, coords,
                                       (ring_ends, np.arange(owner.size + 1)))
    cut = np.flatnonzero(~inside[owner])
    both = (winding == 0) & (_signed_area(ux, y, starts) < 0)
    if both.any():  # a ring that crosses itself has no orientation: never "both poles"
        check = np.flatnonzero(both[owner])
        both[owner[check[~shapely.is_valid(pieces[check])]]] = False
    if cut.size:
        try:
            pieces[cut] = shapely.intersection(pieces[cut], WORLD)
        except shapely.errors.GEOSException:  # a piece crosses itself (see repaired)
            pieces = repaired(pieces)
            pieces[cut] = shapely.intersection(pieces[cut], WORLD)
    if both.any():  # rare: a ring around both poles bounds the hole at the antipode
        for i in np.flatnonzero(both):
            mine = np.flatnonzero(owner == i)
            hole = shapely.union_all(shapely.orient_polygons(pieces[mine]))
            pieces[mine[0]] = shapely.difference(WORLD, hole)
            pieces[mine[1:]] = shapely.Polygon()
    return pieces, owner
