"""The pieces a geodesic buffer of lines and areas is the union of, as rings on the globe.

For an edge ``A -> B`` (a geodesic) and distance ``r``, the *band* is the set of
points whose foot on the edge's geodesic lies between ``A`` and ``B`` at most ``r``
away: it is bounded by the two offset curves (points at ``r`` along the
perpendiculars, :mod:`geoinf.offset_curves`) and by the perpendiculars through
``A`` and ``B``. A point nearest to a vertex lies in the vertex's *join*: the
sector of the circle of radius ``r`` between the perpendiculars of its two edges
on the outer side of the turn, or a half-disc *cap* at the end of a line. Every
piece lies inside the true buffer and together they cover it, so their union is
the buffer. Pieces that meet share their perpendicular rays vertex for vertex
(each ray is sampled once), so the union leaves no slivers.

Each piece is returned as a closed ring (interior on its left) for
:func:`geoinf.sphere_polygons.ring_pieces`. The outer curves (offset curves and
arcs) are sampled to the buffer's tolerance, the rays to :data:`RAY_TOLERANCE_KM`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .engine import inverse
from .geometry_distance import parts_distance_km
from .geometry_parts import GeometryParts
from .offset_curves import Curves, coarse_points, curve_points, sample_curves, subset
from .population_sums import unit_vectors

__all__ = ["piece_rings", "RAY_TOLERANCE_KM"]

RAY_TOLERANCE_KM = 2.0
"""Tolerance the rays are sampled to (or the buffer's, if larger): they are seams.

A ray is shared, vertex for vertex, by the two pieces it separates, and every
point of it is strictly nearer the geometry than ``r`` but its end (a lateral
chord error ``d`` moves a point near the end by only ``d**2 / 2r`` radially), so
a ray is never part of the union's boundary, where a left-out neighbour's gap is
filled (:func:`geoinf.buffers.geodesic_buffer`): its accuracy does not enter the
tolerance, only the outer curves' does. Rays are most of the samples at large
distances.
"""

_ARC_STEP_DEG = 15.0  # initial samples of arcs, then bisected to the tolerance
_OFFSET_STEP_M = 250_000.0
_RAY_SAMPLES = 4
_COVER_NEIGHBOURS = 16  # vertices either side tried as the disc that covers a join
_COVER_MARGIN_DEG = 5.0  # the direction away from that vertex stays this far off the arc
_STRAIGHT_DEG = 1e-6  # turns below this are no turn (0.1 m at 5,500 km)
# ray slots per edge: start-left, start-right, end-left, end-right
_SL, _SR, _EL, _ER = range(4)


def _curves(lon, lat, az, *, s1=0.0, phi0=0.0, phi1=0.0, t0=0.0, t1=0.0, n0=2) -> Curves:
    n = lon.size

    def full(v):
        return np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()

    return Curves(lon=lon.astype(float), lat=lat.astype(float), az=full(az), s0=np.zeros(n),
                  s1=full(s1), phi0=full(phi0), phi1=full(phi1), t0=full(t0), t1=full(t1),
                  n0=np.broadcast_to(np.asarray(n0, dtype=np.intp), (n,)).copy())


def _concat(*curves: Curves) -> Curves:
    return Curves(*(np.concatenate(f) for f in zip(*curves, strict=True)))


def piece_rings(parts: GeometryParts, radius_m: NDArray[np.float64], tolerance_km: float,
                engine: str) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.intp]]:
    """Rings of every band, join and cap of ``parts`` buffered by ``radius_m`` (per geometry).

    Pieces whose outer curve cannot reach the boundary (:func:`_reaches_boundary`)
    are left out. Returns ``(xy, offsets, owner, pruned)``: ring ``i`` is
    ``xy[offsets[i]:offsets[i + 1]]`` (not closed), a piece of the buffer of geometry
    ``owner[i]``; ``pruned`` marks the geometries that lost a piece, whose union
    may miss regions inside the buffer (the caller fills them).
    """
    a, b = parts.edge_a, parts.edge_b
    ne = a.size
    if ne == 0:
        return (np.zeros((0, 2)), np.zeros(1, dtype=np.intp), np.zeros(0, dtype=np.intp),
                np.zeros(parts.n, dtype=bool))
    az_a, az_back, length = inverse(parts.lon[a], parts.lat[a], parts.lon[b], parts.lat[b],
                                    engine=engine)
    az_b = (az_back + 360.0) % 360.0 - 180.0  # forward azimuth at B
    # a vertex where the line goes straight on (to rounding) gets one set of rays, so
    # that the two bands share them instead of leaving a hairline crack
    through = np.flatnonzero((parts.edge_in >= 0) & (parts.edge_out >= 0))
    turn = (az_a[parts.edge_out[through]] - az_b[parts.edge_in[through]] + 180.0) % 360.0 - 180.0
    straight = through[np.abs(turn) < _STRAIGHT_DEG]
    az_a[parts.edge_out[straight]] = az_b[parts.edge_in[straight]]
    r = radius_m[parts.edge_owner]
    base = np.stack([a, a, b, b], axis=1).ravel()
    ray_az = np.stack([az_a - 90.0, az_a + 90.0, az_b - 90.0, az_b + 90.0], axis=1).ravel()
    rays = _curves(parts.lon[base], parts.lat[base], ray_az, t1=np.repeat(r, 4),
                   n0=_RAY_SAMPLES)
    n_off = 1 + np.ceil(length / _OFFSET_STEP_M).astype(np.intp)
    offsets = _curves(np.tile(parts.lon[a], 2), np.tile(parts.lat[a], 2), np.tile(az_a, 2),
                      s1=np.tile(length, 2), phi0=np.repeat([90.0, -90.0], ne),
                      phi1=np.repeat([90.0, -90.0], ne), t0=np.tile(r, 2),
                      t1=np.tile(r, 2), n0=np.tile(n_off, 2))
    v, start_deg, sweep_deg, ray_first, ray_last, on_left = _joins(parts, az_a, az_b)
    # a polygon's buffer is the polygon and its edges' buffers outside it: every point
    # outside it within r lies on a perpendicular from its nearest edge point, on the
    # outer side; so an edge of a polygon has a half-band, and a join inside is dropped
    v_side = np.where(parts.edge_out[v] >= 0, parts.edge_side[parts.edge_out[v]], 0)
    outside = (v_side == 0) | (on_left == (v_side < 0))
    v, start_deg, sweep_deg, ray_first, ray_last = (x[outside] for x in (
        v, start_deg, sweep_deg, ray_first, ray_last))
    r_v = radius_m[parts.vertex_owner[v]]
    arcs = _curves(parts.lon[v], parts.lat[v], start_deg, phi1=sweep_deg, t0=r_v, t1=r_v,
                   n0=1 + np.ceil(np.abs(sweep_deg) / _ARC_STEP_DEG).astype(np.intp))
    # the polygon's own vertex each half-band's base starts from: B (right), A (left)
    half = np.flatnonzero(parts.edge_side != 0)
    base_v = np.where(parts.edge_side[half] > 0, b[half], a[half])
    points = _curves(parts.lon[base_v], parts.lat[base_v], 0.0, n0=1)
    curves = _concat(rays, offsets, arcs, points)
    n_rays, n_offsets = 4 * ne, 2 * ne
    e4 = 4 * np.arange(ne)
    right, left = np.arange(ne) + n_rays, np.arange(ne) + n_rays + ne
    arc = np.arange(v.size) + n_rays + n_offsets
    point = np.full(ne, -1, dtype=np.intp)
    point[half] = np.arange(half.size) + n_rays + n_offsets + v.size
    use_r, use_l = np.flatnonzero(parts.edge_side >= 0), np.flatnonzero(parts.edge_side <= 0)
    open_arcs = np.flatnonzero(~_covered_joins(parts, subset(curves, arc), v, r_v, start_deg,
                                               sweep_deg, tolerance_km, engine))
    outer = np.concatenate([right[use_r], left[use_l], arc[open_arcs]])
    hit = _reaches_boundary(parts, subset(curves, outer), np.concatenate(
        [parts.edge_owner[use_r], parts.edge_owner[use_l], parts.vertex_owner[v[open_arcs]]]),
        tolerance_km, engine)
    reach = np.zeros(ne, dtype=bool)
    reach[use_r] |= hit[:use_r.size]
    reach[use_l] |= hit[use_r.size:use_r.size + use_l.size]
    joins = open_arcs[hit[use_r.size + use_l.size:]]
    bands = np.flatnonzero(reach & (parts.edge_side == 0))
    halves_r = np.flatnonzero(reach & (parts.edge_side > 0))
    halves_l = np.flatnonzero(reach & (parts.edge_side < 0))
    hr, hl = e4[halves_r], e4[halves_l]
    need = np.unique(np.concatenate([
        4 * bands[:, None] + np.arange(4), right[bands, None], left[bands, None],
        (hr + _SR)[:, None], (hr + _ER)[:, None], right[halves_r, None], point[halves_r, None],
        (hl + _SL)[:, None], (hl + _EL)[:, None], left[halves_l, None], point[halves_l, None],
        arc[joins, None], ray_first[joins, None], ray_last[joins, None]],
        axis=None).astype(np.intp))
    tol = np.full(curves.lon.size, tolerance_km)
    tol[:n_rays] = max(tolerance_km, RAY_TOLERANCE_KM)  # seams inside the union
    xy, off = _sample(curves, need, tol, engine)
    ray_end = off[1:n_rays + 1] - 1
    # a half-band's base is the polygon's own edge, vertex for vertex: its rays and its
    # base point start at the polygon's vertices exactly
    for edge, curve, vtx in ((halves_r, hr + _SR, a), (halves_r, hr + _ER, b),
                             (halves_r, point[halves_r], b), (halves_l, hl + _SL, a),
                             (halves_l, hl + _EL, b), (halves_l, point[halves_l], a)):
        xy[off[curve]] = np.c_[parts.lon[vtx[edge]], parts.lat[vtx[edge]]]
    # snap the ends of offset curves and arcs onto the rays they meet
    with_r, with_l = np.r_[bands, halves_r], np.r_[bands, halves_l]
    for curve, ray in ((right[with_r], e4[with_r] + _SR), (left[with_l], e4[with_l] + _SL)):
        xy[off[curve]] = xy[ray_end[ray]]
    for curve, ray in ((right[with_r], e4[with_r] + _ER), (left[with_l], e4[with_l] + _EL)):
        xy[off[curve + 1] - 1] = xy[ray_end[ray]]
    xy[off[arc[joins]]] = xy[ray_end[ray_first[joins]]]
    xy[off[arc[joins] + 1] - 1] = xy[ray_end[ray_last[joins]]]
    eb = e4[bands]
    # band: right offset, ray end-right back, ray end-left, left offset back,
    # ray start-left back, ray start-right
    band = [(right[bands], False), (eb + _ER, True), (eb + _EL, False), (left[bands], True),
            (eb + _SL, True), (eb + _SR, False)]
    # half-bands: the outer offset and its rays, closed along the polygon's edge
    band_r = [(right[halves_r], False), (hr + _ER, True), (point[halves_r], False),
              (hr + _SR, False)]
    band_l = [(point[halves_l], False), (hl + _EL, False), (left[halves_l], True),
              (hl + _SL, True)]
    join = [(ray_first[joins], False), (arc[joins], False), (ray_last[joins], True)]
    ring_xy, ring_off = _stitch(xy, off, [band, band_r, band_l, join])
    owner = np.concatenate([parts.edge_owner[e] for e in (bands, halves_r, halves_l)]
                           + [parts.vertex_owner[v[joins]]])
    pruned = np.zeros(parts.n, dtype=bool)
    pruned[parts.edge_owner[~reach]] = True
    pruned[parts.vertex_owner[v[np.setdiff1d(np.arange(v.size), joins)]]] = True
    return ring_xy, ring_off, owner, pruned


def _sample(curves: Curves, need: NDArray[np.intp], tolerance_km: NDArray, engine: str):
    """Sample the curves ``need``; the others get no samples (empty slots in ``off``)."""
    xy, sub_off = sample_curves(subset(curves, need), tolerance_km[need], engine=engine)
    counts = np.zeros(curves.lon.size, dtype=np.intp)
    counts[need] = np.diff(sub_off)
    off = np.zeros(curves.lon.size + 1, dtype=np.intp)
    np.cumsum(counts, out=off[1:])
    return xy, off


def _reaches_boundary(parts, outer: Curves, owner, tolerance_km, engine) -> NDArray[np.bool_]:
    """Return whether each outer curve (offset or arc) can touch the buffer's boundary.

    Distance to the geometry is 1-Lipschitz: if a point of the curve between two
    coarse samples is at distance ``r``, each of the two is at least at ``r`` minus
    the length between them (an upper bound of the distance keeps this safe). The
    length is bounded by 1.05 x the chord (arcs are sampled every 15 degrees or
    finer) plus the tolerance.
    """
    lon, lat, k = coarse_points(outer, engine=engine)
    d = parts_distance_km(parts, owner[k], lon, lat, engine=engine, upper_only=True)
    same = k[1:] == k[:-1]
    _, _, chord = inverse(lon[:-1], lat[:-1], lon[1:], lat[1:], engine=engine)
    step = np.where(same, 1.05 * chord / 1000.0 + tolerance_km, 0.0)
    slack = np.maximum(np.r_[step, 0.0], np.r_[0.0, step])
    r_km = outer.t1[k] / 1000.0
    reach = np.zeros(outer.lon.size, dtype=bool)
    np.logical_or.at(reach, k, d + slack >= r_km - tolerance_km)
    return reach


def _covered_joins(parts, arcs: Curves, v, r_m, start_deg, sweep_deg, tolerance_km, engine
                   ) -> NDArray[np.bool_]:
    """Return whether each join's arc lies inside the disc of another vertex of its geometry.

    Such an arc is strictly inside the buffer, and so is its sector (discs below a
    hemisphere are geodesically convex): it holds no point of the boundary and is
    left out like the pieces :func:`_reaches_boundary` drops. The distance from a
    vertex ``w`` to the points of a circle around ``v`` has one minimum (towards
    ``w``) and one maximum (away from it); on an arc that does not hold the
    maximum's direction it is largest at an end. So the test is exact: both ends
    within ``r`` less the tolerance of ``w`` (by the geodesic inverse), and the
    direction away from ``w`` off the arc by :data:`_COVER_MARGIN_DEG`. ``w`` is
    picked on the sphere among the :data:`_COVER_NEIGHBOURS` vertices either side.
    """
    n = v.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    ends = curve_points(arcs, np.repeat(np.arange(n), 2), np.tile([0.0, 1.0], n),
                        engine=engine)
    lon, lat = ends[0].reshape(n, 2), ends[1].reshape(n, 2)
    step = np.r_[-_COVER_NEIGHBOURS:0, 1:_COVER_NEIGHBOURS + 1]
    cand = v[:, None] + step[None, :]
    ok = (cand >= 0) & (cand < parts.lon.size)
    cand = np.clip(cand, 0, parts.lon.size - 1)
    ok &= parts.vertex_owner[cand] == parts.vertex_owner[v][:, None]
    w_xyz = unit_vectors(parts.lon[cand].ravel(), parts.lat[cand].ravel()).reshape(
        *cand.shape, 3)
    ends_xyz = unit_vectors(lon.ravel(), lat.ravel()).reshape(n, 2, 3)
    cos_far = np.einsum("nej,nkj->nek", ends_xyz, w_xyz).min(axis=1)
    cos_far[~ok] = -2.0
    w = cand[np.arange(n), np.argmax(cos_far, axis=1)]
    has = ok.any(axis=1) & ((parts.lon[w] != parts.lon[v]) | (parts.lat[w] != parts.lat[v]))
    _, _, d0 = inverse(lon[:, 0], lat[:, 0], parts.lon[w], parts.lat[w], engine=engine)
    _, _, d1 = inverse(lon[:, 1], lat[:, 1], parts.lon[w], parts.lat[w], engine=engine)
    az_vw, _, _ = inverse(parts.lon[v], parts.lat[v], parts.lon[w], parts.lat[w],
                          engine=engine)
    # the arc runs from start_deg by sweep_deg (negative: azimuths decreasing)
    behind = (start_deg - (az_vw + 180.0)) % 360.0
    off_arc = (behind > -sweep_deg + _COVER_MARGIN_DEG) & (behind < 360.0 - _COVER_MARGIN_DEG)
    inner = r_m - 1000.0 * tolerance_km
    return has & off_arc & (d0 < inner) & (d1 < inner)


def _joins(parts: GeometryParts, az_a, az_b):
    """Return the joins and caps: vertex, arc start azimuth and sweep, rays, side.

    The sweep is negative (counter-clockwise); the rays (indices into the
    4-per-edge table) are those the arc starts and ends on; a join is on the left
    of the line where it turns right (caps are on neither side: ``False``).
    """
    ein, eout = parts.edge_in, parts.edge_out
    has_in, has_out = ein >= 0, eout >= 0
    both = np.flatnonzero(has_in & has_out)
    alpha_in = az_b[ein[both]]
    alpha_out = az_a[eout[both]]
    turn = (alpha_out - alpha_in + 180.0) % 360.0 - 180.0
    right = turn > 0
    keep = turn != 0
    both, alpha_in, alpha_out, turn, right = (x[keep] for x in
                                              (both, alpha_in, alpha_out, turn, right))
    j_start = np.where(right, alpha_out - 90.0, alpha_in + 90.0)
    j_first = np.where(right, 4 * eout[both] + _SL, 4 * ein[both] + _ER)
    j_last = np.where(right, 4 * ein[both] + _EL, 4 * eout[both] + _SR)
    j_sweep = -np.abs(turn)
    end = np.flatnonzero(has_in & ~has_out)
    start = np.flatnonzero(~has_in & has_out)
    v = np.concatenate([both, end, start])
    start_deg = np.concatenate([j_start, az_b[ein[end]] + 90.0, az_a[eout[start]] - 90.0])
    sweep = np.concatenate([j_sweep, np.full(end.size + start.size, -180.0)])
    first = np.concatenate([j_first, 4 * ein[end] + _ER, 4 * eout[start] + _SL])
    last = np.concatenate([j_last, 4 * ein[end] + _EL, 4 * eout[start] + _SR])
    on_left = np.concatenate([right, np.zeros(end.size + start.size, dtype=bool)])
    return v, start_deg, sweep, first, last, on_left


def _stitch(xy, off, recipes) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Concatenate sampled curves into rings; each curve gives all its samples but the last.

    ``recipes`` is a list of ring kinds, each a list of ``(curve index array, reversed)``
    in ring order (all arrays of a kind have one entry per ring).
    """
    idx_parts, ring_sizes = [], []
    for recipe in recipes:
        n = recipe[0][0].size
        if n == 0:
            continue
        segs = []
        for curve, rev in recipe:
            lo, hi = off[curve], off[curve + 1]
            cnt = hi - lo - 1
            pos = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            idx = np.where(rev, np.repeat(hi - 1, cnt) - pos, np.repeat(lo, cnt) + pos)
            segs.append((idx, cnt))
        sizes = sum(c for _, c in segs)
        ring_of = [np.repeat(np.arange(n), c) for _, c in segs]
        seq = [np.repeat(np.arange(len(segs))[k], s[0].size) for k, s in enumerate(segs)]
        allidx = np.concatenate([s[0] for s in segs])
        order = np.lexsort((np.concatenate(seq), np.concatenate(ring_of)))
        idx_parts.append(allidx[order])
        ring_sizes.append(sizes)
    if not idx_parts:
        return np.zeros((0, 2)), np.zeros(1, dtype=np.intp)
    sizes = np.concatenate(ring_sizes)
    ring_off = np.zeros(sizes.size + 1, dtype=np.intp)
    np.cumsum(sizes, out=ring_off[1:])
    return xy[np.concatenate(idx_parts)], ring_off
