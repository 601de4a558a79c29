"""The pieces a geodesic buffer of lines and areas is the union of, as rings on the globe.

For an edge ``A -> B`` (a geodesic) and distance ``r``, the *band* is the set of
points whose foot on the edge's geodesic lies between ``A`` and ``B`` at most ``r``
away: it is bounded by the two offset curves (points at ``r`` along the
perpendiculars, :mod:`geoinf.offset_curves`) and by the perpendiculars through
``A`` and ``B``. A point nearest to a vertex lies in the vertex's *join*: the
sector of the circle of radius ``r`` between the perpendiculars of its two edges
on the outer side of the turn, or a half-disc *cap* at the end of a line. Every
piece lies inside the true buffer and together they cover it, so their union is
the buffer. Each side of an edge is a *half-band* closed along the edge (a line's
edge sampled as a geodesic, shared by its two sides; a polygon's own straight
lon/lat edge, on its outer side only). Consecutive half-bands on one side that
meet straight on or through a join are one *strip* (:func:`_strips`), so a convex
run of a chain is one piece with rays at its two ends only. Pieces that meet
share their rays vertex for vertex (each ray is sampled once), so the union
leaves no slivers.

Pieces that hold no point of the boundary are left out before they are sampled:
joins and offset curves inside another vertex's disc (:func:`_covered_joins`,
:func:`_covered_offsets`, exact), and outer curves the distance bound says cannot
reach ``r`` (:func:`_reaches_boundary`).

Each piece is returned as a closed ring (interior on its left) for
:func:`geoinf.sphere_polygons.ring_pieces`. The outer curves (offset curves and
arcs) are sampled to the buffer's tolerance, the rays to :data:`RAY_TOLERANCE_KM` (up to
:data:`WIDE_RAY_TOLERANCE_KM` where their pieces are wide), as are a strip's joins that
were left out (seams too).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from .constants import MEAN_RADIUS_KM
from .engine import compiled_window_nearest, inverse
from .geometry_distance import parts_distance_km
from .geometry_parts import GeometryParts
from .offset_curves import Curves, coarse_points, curve_points, sample_curves, subset
from .population_sums import unit_vectors

__all__ = ["piece_rings", "RAY_TOLERANCE_KM", "WIDE_RAY_TOLERANCE_KM"]

RAY_TOLERANCE_KM = 2.0
"""Tolerance the rays are sampled to (or the buffer's, if larger): they are seams.

Up to :data:`WIDE_RAY_TOLERANCE_KM` where the nearest other ray of the pieces it
bounds is far: a quarter of the band's width (the edge's length, times ``cos(r/R)``
as perpendiculars converge), and the narrow joins' rays at the base tolerance.

A ray is shared, vertex for vertex, by the two pieces it separates, and every
point of it is strictly nearer the geometry than ``r`` but its end (a lateral
chord error ``d`` moves a point near the end by only ``d**2 / 2r`` radially), so
a ray is never part of the union's boundary, where a left-out neighbour's gap is
filled (:func:`geoinf.buffers.geodesic_buffer`): its accuracy does not enter the
tolerance, only the outer curves' does. Rays are most of the samples at large
distances.
"""

WIDE_RAY_TOLERANCE_KM = 10.0
"""Largest tolerance of a ray (see :data:`RAY_TOLERANCE_KM`)."""

_ARC_STEP_DEG = 15.0  # initial samples of arcs, then bisected to the tolerance
_OFFSET_STEP_M = 250_000.0
_RAY_SAMPLES = 4
_COVER_NEIGHBOURS = 16  # vertices either side tried as the disc that covers a curve
_COVER_MARGIN_DEG = 5.0  # the direction away from that vertex stays this far off the arc
_COVER_SPLIT_DEG = 3.0  # a join's arc is tested in sub-arcs of about this sweep …
_COVER_SPLITS = 8  # … and at most this many
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
    # a line's edge as a curve: the base its two half-bands share (a polygon's half-bands
    # are closed along its straight lon/lat edges, those of the polygon itself)
    edges = _curves(parts.lon[a], parts.lat[a], az_a, s1=length, n0=n_off)
    curves = _concat(rays, offsets, arcs, edges)
    n_rays, n_offsets = 4 * ne, 2 * ne
    e4 = 4 * np.arange(ne)
    right, left = np.arange(ne) + n_rays, np.arange(ne) + n_rays + ne
    arc = np.arange(v.size) + n_rays + n_offsets
    use_r, use_l = np.flatnonzero(parts.edge_side >= 0), np.flatnonzero(parts.edge_side <= 0)
    cover = _Cover.of(parts)
    open_arcs = np.flatnonzero(~_covered_joins(parts, cover, subset(curves, arc), v, r_v,
                                               start_deg, sweep_deg, tolerance_km, engine))
    side_edge = np.concatenate([use_r, use_l])
    side_curve = np.concatenate([right[use_r], left[use_l]])
    open_sides = np.flatnonzero(~_covered_offsets(parts, cover, subset(curves, side_curve),
                                                  side_edge, r[side_edge], tolerance_km,
                                                  engine))
    outer = np.concatenate([side_curve[open_sides], arc[open_arcs]])
    hit = _reaches_boundary(parts, subset(curves, outer), np.concatenate(
        [parts.edge_owner[side_edge[open_sides]], parts.vertex_owner[v[open_arcs]]]),
        tolerance_km, engine)
    # each side of an edge (a half-band, closed along the edge) is kept on its own
    slot = side_curve - n_rays  # a side's slot: right sides 0..ne-1, then left sides
    kept = np.zeros(2 * ne, dtype=bool)
    kept[slot[open_sides[hit[:open_sides.size]]]] = True
    joins = open_arcs[hit[open_sides.size:]]
    # a strip runs through every join between two kept half-bands, left out or not
    strips, absorbed = _strips(parts, kept, v, sweep_deg, on_left[outside], straight)
    separate = np.setdiff1d(joins, absorbed)
    run_e, run_side, run_first, run_last, run_arc = strips
    is_r = run_side == 0
    is_r_run = is_r[run_first]
    first_ray = np.where(is_r_run, e4[run_e[run_first]] + _SR, e4[run_e[run_first]] + _SL)
    last_ray = np.where(is_r_run, e4[run_e[run_last]] + _ER, e4[run_e[run_last]] + _EL)
    side_off = np.where(is_r, right[run_e], left[run_e])
    edge_curve = np.arange(ne) + n_rays + n_offsets + v.size
    line_base = edge_curve[np.unique(run_e[parts.edge_side[run_e] == 0])]
    need = np.unique(np.concatenate([
        side_off, arc[absorbed], first_ray, last_ray, line_base,
        arc[separate], ray_first[separate], ray_last[separate]]).astype(np.intp))
    tol = np.full(curves.lon.size, tolerance_km)
    tol[:n_rays] = _ray_tolerance(parts, length, r, straight, ray_first[separate],
                                  ray_last[separate], sweep_deg[separate], tolerance_km)
    # so is a line's edge, but it must not cross the offset curves r away
    tol[edge_curve] = np.minimum(max(tolerance_km, RAY_TOLERANCE_KM), r / 4000.0)
    # a strip's join left out (inside another disc, or short of r) holds no point of the
    # boundary either: a seam, whose sliver inside the buffer the gap filling adds back
    tol[arc[np.setdiff1d(absorbed, joins)]] = max(tolerance_km, RAY_TOLERANCE_KM)
    xy, off = _sample(curves, need, tol, engine)
    ray_end = off[1:n_rays + 1] - 1
    # every ray starts at its edge's vertex exactly: a half-band's base is the edge itself,
    # vertex for vertex, shared with the polygon and with the other side's half-band
    rays_used = need[need < n_rays]
    xy[off[rays_used]] = np.c_[parts.lon[base[rays_used]], parts.lat[base[rays_used]]]
    e_used = line_base - edge_curve[0]
    xy[off[line_base]] = np.c_[parts.lon[a[e_used]], parts.lat[a[e_used]]]
    xy[off[line_base + 1] - 1] = np.c_[parts.lon[b[e_used]], parts.lat[b[e_used]]]
    # snap the ends of offset curves and arcs onto the rays (or curves) they meet
    xy[off[side_off[run_first]]] = xy[ray_end[first_ray]]
    xy[off[side_off[run_last] + 1] - 1] = xy[ray_end[last_ray]]
    xy[off[arc[separate]]] = xy[ray_end[ray_first[separate]]]
    xy[off[arc[separate] + 1] - 1] = xy[ray_end[ray_last[separate]]]
    # inside a strip, offset curves meet straight on or through an arc: snap them together
    not_last = np.ones(run_e.size, dtype=bool)
    not_last[run_last] = False
    nxt = np.flatnonzero(not_last)  # positions followed by the next edge of their strip
    end_here, start_next = off[side_off[nxt] + 1] - 1, off[side_off[nxt + 1]]
    with_arc = run_arc[nxt] >= 0
    j_here = arc[run_arc[nxt[with_arc]]]
    r_here = is_r[nxt[with_arc]]
    # a right strip's arc runs from this offset's end to the next one's start; a left
    # strip's from the next one's start to this one's end
    xy[off[j_here]] = xy[np.where(r_here, end_here[with_arc], start_next[with_arc])]
    xy[off[j_here + 1] - 1] = xy[np.where(r_here, start_next[with_arc], end_here[with_arc])]
    xy[start_next[~with_arc]] = xy[end_here[~with_arc]]
    strip_seq = _strip_sequences(parts, strips, side_off, first_ray, last_ray, arc, edge_curve,
                                 curves.lon.size)
    join = [(ray_first[separate], False), (arc[separate], False), (ray_last[separate], True)]
    join_seq = _recipe_sequences(join, ring0=run_first.size)
    # a vertex's point is a curve of two equal samples after the sampled curves
    xy = np.concatenate([xy, np.repeat(np.c_[parts.lon, parts.lat], 2, axis=0)])
    off = np.concatenate([off, off[-1] + 2 * np.arange(1, parts.lon.size + 1)])
    ring_xy, ring_off = _stitch(xy, off, *(np.concatenate(x) for x in zip(strip_seq, join_seq,
                                                                          strict=True)))
    owner = np.concatenate([parts.edge_owner[run_e[run_first]], parts.vertex_owner[v[separate]]])
    pruned = np.zeros(parts.n, dtype=bool)
    pruned[parts.edge_owner[slot[~kept[slot]] % ne]] = True
    pruned[parts.vertex_owner[v[np.setdiff1d(np.arange(v.size), np.r_[joins, absorbed])]]] = True
    return ring_xy, ring_off, owner, pruned


def _ray_tolerance(parts, length_m, r_m, straight, ray_first, ray_last, sweep_deg,
                   tolerance_km) -> NDArray[np.float64]:
    """Tolerance of each ray (4 per edge): the seams inside the union, sampled loosely.

    A ray may deviate by a quarter of the distance to the other rays of its pieces
    without crossing them: those of its edge's half-band, ``L cos(r/R)`` away at
    the far end (a strip's other ray is farther), and, for a join narrower than
    90 degrees, the join's other ray (at the base tolerance). At a vertex the line
    goes straight through, the two edges' rays are one: they take the smaller.
    """
    base = max(tolerance_km, RAY_TOLERANCE_KM)
    width_km = length_m / 1000.0 * np.cos(np.minimum(r_m / 1000.0 / MEAN_RADIUS_KM, 1.5))
    tol = np.repeat(np.clip(width_km / 4.0, base, max(base, WIDE_RAY_TOLERANCE_KM)), 4)
    narrow = np.abs(sweep_deg) < 90.0
    tol[ray_first[narrow]] = tol[ray_last[narrow]] = base
    e_in, e_out = parts.edge_in[straight], parts.edge_out[straight]
    for side_in, side_out in ((_EL, _SL), (_ER, _SR)):
        both = np.minimum(tol[4 * e_in + side_in], tol[4 * e_out + side_out])
        tol[4 * e_in + side_in] = tol[4 * e_out + side_out] = both
    return tol


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
    finer) plus the tolerance. The distance to the edges alone is bound enough (a
    point inside a polygon is at distance 0, less than that).
    """
    lon, lat, k = coarse_points(outer, engine=engine)
    d = parts_distance_km(parts, owner[k], lon, lat, engine=engine, upper_only=True,
                          edges_only=True)
    same = k[1:] == k[:-1]
    _, _, chord = inverse(lon[:-1], lat[:-1], lon[1:], lat[1:], engine=engine)
    step = np.where(same, 1.05 * chord / 1000.0 + tolerance_km, 0.0)
    slack = np.maximum(np.r_[step, 0.0], np.r_[0.0, step])
    r_km = outer.t1[k] / 1000.0
    reach = np.zeros(outer.lon.size, dtype=bool)
    np.logical_or.at(reach, k, d + slack >= r_km - tolerance_km)
    return reach


def _covered_joins(parts, cover, arcs: Curves, v, r_m, start_deg, sweep_deg, tolerance_km,
                   engine) -> NDArray[np.bool_]:
    """Return whether each join's arc lies inside the disc of another vertex of its geometry.

    Such an arc is strictly inside the buffer, and so is its sector (discs below a
    hemisphere are geodesically convex): it holds no point of the boundary and is
    left out like the pieces :func:`_reaches_boundary` drops. The distance from a
    vertex ``w`` to the points of a circle around ``v`` has one minimum (towards
    ``w``) and one maximum (away from it); on an arc that does not hold the
    maximum's direction it is largest at an end. So the test is exact: both ends
    within ``r`` less the tolerance of ``w`` (:func:`_covering_vertex`), and the
    direction away from ``w`` off the arc by :data:`_COVER_MARGIN_DEG`. The arc is
    tested whole, then, where that fails and both its ends are inside some disc, in
    sub-arcs (:data:`_COVER_SPLIT_DEG`), each with its own ``w``: the discs of a
    vertex's neighbours on either side cover its arc together.
    """
    if v.size == 0:
        return np.zeros(0, dtype=bool)
    # whole arcs first (along a wiggly boundary one disc covers most joins), then the
    # others in sub-arcs, but not those with an end outside every nearby disc (most
    # joins where the chain turns outwards)
    covered = _covered_sub_arcs(parts, cover, arcs, v, r_m, start_deg, sweep_deg,
                                tolerance_km, engine, splits=1)
    rest = np.flatnonzero(~covered)
    n = rest.size
    lon, lat = curve_points(arcs, np.repeat(rest, 2), np.tile([0.0, 1.0], n), engine=engine)
    _, end_inside = _covering_vertex(parts, cover, np.c_[lon, lon], np.c_[lat, lat],
                                     np.repeat(v[rest], 2), np.repeat(r_m[rest], 2),
                                     tolerance_km, engine)
    test = rest[end_inside.reshape(n, 2).all(axis=1)]
    covered[test] = _covered_sub_arcs(parts, cover, subset(arcs, test), v[test], r_m[test],
                                      start_deg[test], sweep_deg[test], tolerance_km, engine)
    return covered


def _covered_sub_arcs(parts, cover, arcs: Curves, v, r_m, start_deg, sweep_deg, tolerance_km,
                      engine, splits=_COVER_SPLITS) -> NDArray[np.bool_]:
    """Return whether every sub-arc of each arc passes the test of :func:`_covered_joins`."""
    # each arc in up to `splits` sub-arcs, each covered by its own vertex
    m = np.clip(np.ceil(np.abs(sweep_deg) / _COVER_SPLIT_DEG), 1, splits).astype(np.intp)
    k = np.repeat(np.arange(v.size), m)
    part = np.arange(k.size) - np.repeat(np.cumsum(m) - m, m)
    sub_sweep = sweep_deg[k] / m[k]
    sub_start = start_deg[k] + part * sub_sweep
    # the ends of the sub-arcs: m + 1 points along each arc
    kk = np.repeat(np.arange(v.size), m + 1)
    uu = (np.arange(kk.size) - np.repeat(np.cumsum(m + 1) - (m + 1), m + 1)) / m[kk]
    lon, lat = curve_points(arcs, kk, uu, engine=engine)
    lo = np.flatnonzero(np.r_[kk[1:] == kk[:-1], False])
    w, inside = _covering_vertex(parts, cover, np.c_[lon[lo], lon[lo + 1]],
                                 np.c_[lat[lo], lat[lo + 1]], v[k], r_m[k], tolerance_km,
                                 engine)
    az_vw, _, _ = inverse(parts.lon[v[k]], parts.lat[v[k]], parts.lon[w], parts.lat[w],
                          engine=engine)
    # the arc runs from start_deg by sweep_deg (negative: azimuths decreasing)
    behind = (sub_start - (az_vw + 180.0)) % 360.0
    off_arc = (behind > -sub_sweep + _COVER_MARGIN_DEG) & (behind < 360.0 - _COVER_MARGIN_DEG)
    return np.bincount(k, weights=inside & off_arc, minlength=v.size) == m


def _covered_offsets(parts, cover, offsets: Curves, edge, r_m, tolerance_km, engine
                     ) -> NDArray[np.bool_]:
    """Return whether each edge's offset curve lies inside the disc of a vertex of its geometry.

    Then the band (or half-band) behind it holds no point of the boundary either.
    The offset curve bends away from the edge (on the sphere it is a small circle
    around the pole of the edge's geodesic), so for a vertex ``w`` on the edge's
    side of it the distance from ``w`` along the curve has no interior maximum and
    the test is exact as for joins: both ends within ``r`` less the tolerance of
    ``w``. ``w`` must lie less than ``r / 2`` beyond the edge's great circle on
    the curve's side, far inside that bound.
    """
    if edge.size == 0:
        return np.zeros(0, dtype=bool)
    a, b = parts.edge_a[edge], parts.edge_b[edge]
    n = edge.size
    lon, lat = curve_points(offsets, np.repeat(np.arange(n), 3), np.tile([0.0, 0.5, 1.0], n),
                            engine=engine)
    lon, lat = lon.reshape(n, 3), lat.reshape(n, 3)
    w, inside = _covering_vertex(parts, cover, lon[:, ::2], lat[:, ::2], a, r_m, tolerance_km,
                                 engine)
    va, vb = cover.vxyz[a], cover.vxyz[b]
    q0 = unit_vectors(lon[:, 1], lat[:, 1])
    nrm = np.cross(va, vb)
    side = np.sign(np.einsum("ij,ij->i", nrm, q0))
    norm = np.linalg.norm(nrm, axis=1)
    beyond = side * np.einsum("ij,ij->i", nrm, cover.vxyz[w])
    near_side = beyond < norm * np.sin(r_m / 2000.0 / MEAN_RADIUS_KM)
    return inside & near_side & (norm > 0)


def _covering_vertex(parts, cover, lon, lat, near, r_m, tolerance_km, engine):
    """Return a vertex near both ends of each curve and whether it is within r - tol of both.

    ``lon, lat`` (n x 2) are the ends. ``w`` is picked on the sphere: first the
    vertex nearest both ends among the :data:`_COVER_NEIGHBOURS` either side of
    vertex ``near`` (in the same geometry); where that one fails, the geometry's
    vertex nearest the middle of the ends, anywhere on it (``cover``'s k-d tree: at
    large distances the disc that covers a curve is often far along the boundary).
    The distances to the ends are exact (the geodesic inverse).
    """
    n = near.size
    ends = unit_vectors(lon.ravel(), lat.ravel()).reshape(n, 2, 3)
    if engine == "numba":
        w = compiled_window_nearest(ends, cover.vxyz, parts.vertex_owner, near,
                                    _COVER_NEIGHBOURS)
    else:
        w = _window_nearest(ends, cover.vxyz, parts.vertex_owner, near, _COVER_NEIGHBOURS)
    inner = r_m - 1000.0 * tolerance_km
    _, _, d = inverse(lon.ravel(), lat.ravel(), np.repeat(parts.lon[w], 2),
                      np.repeat(parts.lat[w], 2), engine=engine)
    inside = d.reshape(n, 2).max(axis=1) < inner
    # the others: the geometry's vertex nearest the middle of the ends, anywhere on it
    again = np.flatnonzero(~inside)
    if again.size:
        mid = ends[again].sum(axis=1)
        mid /= np.maximum(np.linalg.norm(mid, axis=1), 1e-300)[:, None]
        w2 = cover.nearest(mid, parts.vertex_owner[near[again]])
        _, _, d2 = inverse(lon[again].ravel(), lat[again].ravel(), np.repeat(parts.lon[w2], 2),
                           np.repeat(parts.lat[w2], 2), engine=engine)
        ok = d2.reshape(-1, 2).max(axis=1) < inner[again]
        w[again[ok]] = w2[ok]
        inside[again[ok]] = True
    return w, inside


class _Cover(NamedTuple):
    """The vertices as candidates for the disc that covers a curve.

    Their unit vectors, and a k-d tree of them with the owner as a fourth
    coordinate, 4 apart: farther than any chord, so the nearest is always the owner's.
    """

    vxyz: NDArray[np.float64]
    tree: object

    @classmethod
    def of(cls, parts: GeometryParts) -> _Cover:
        from scipy.spatial import cKDTree

        vxyz = unit_vectors(parts.lon, parts.lat)
        return cls(vxyz, cKDTree(np.c_[vxyz, 4.0 * parts.vertex_owner], balanced_tree=False,
                                 compact_nodes=False))

    def nearest(self, p: NDArray[np.float64], owner: NDArray[np.intp]) -> NDArray[np.intp]:
        """Return the vertex of geometry ``owner`` nearest each unit vector ``p``."""
        return self.tree.query(np.c_[p, 4.0 * owner], workers=-1)[1]


def _window_nearest(ends, vxyz, owner, near, k):
    """Per row: the vertex within ``k`` of ``near`` (same owner) nearest both ``ends``.

    Nearest both: the largest of the two ends' smaller cosines (the first on ties).
    The 2k + 1 vertices around each (itself too) are tried one offset at a time.
    """
    n, nv = near.size, vxyz.shape[0]
    best, w = np.full(n, -2.0), near.copy()
    for j in range(-k, k + 1):
        idx = np.clip(near + j, 0, nv - 1)
        vj = vxyz[idx]
        cos_far = np.minimum(np.einsum("ij,ij->i", ends[:, 0], vj),
                             np.einsum("ij,ij->i", ends[:, 1], vj))
        better = (cos_far > best) & (owner[idx] == owner[near]) & (idx == near + j)
        best[better] = cos_far[better]
        w[better] = idx[better]
    return w


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


_STRIP_TURN_DEG = 180.0  # largest turn of a strip's joins: its base is a convex arc


def _strips(parts: GeometryParts, kept, v, sweep_deg, on_left, straight):
    """Group the kept half-bands into strips: runs along a chain through their joins.

    Consecutive edges of a chain (``e`` and ``e + 1`` meeting at a vertex) whose
    half-bands on one side are both kept, meeting straight on or through a join on
    that side (kept or left out: its arc is inside the buffer), are one piece: the
    region between the chain and its offset curve, bounded by the rays at the run's
    two ends only. A run's joins turn by less than
    :data:`_STRIP_TURN_DEG` in all (it is broken at the join that would reach it), so
    its base is a convex arc and the piece is simple. Returns ``(strips, absorbed)``:
    ``strips = (edge, side, first, last, arc)`` lists each strip's half-bands in
    chain order (``side`` 0 right, 1 left), the positions of each strip's first and
    last, and the join (index into ``v``) after each position (-1: straight on, or
    the last); ``absorbed`` are the joins inside strips.
    """
    ne = parts.edge_a.size
    ein, eout = parts.edge_in[v], parts.edge_out[v]
    inner = (ein >= 0) & (eout == ein + 1)
    j, ein = np.flatnonzero(inner), ein[inner]
    slot_arc = np.full(2 * ne, -1, dtype=np.intp)
    slot_arc[ein + ne * on_left[j]] = j
    can = np.zeros(2 * ne, dtype=bool)
    can[ein + ne * on_left[j]] = True
    s_in = parts.edge_in[straight]
    s_in = s_in[parts.edge_out[straight] == s_in + 1]
    can[np.r_[s_in, s_in + ne]] = True
    link = can & kept & np.r_[kept[1:], False]
    link[ne - 1] = False  # the last right side does not run on into the first left side
    # break a run at the join that brings its turn to _STRIP_TURN_DEG
    w = np.where(link & (slot_arc >= 0), np.abs(sweep_deg[np.maximum(slot_arc, 0)]), 0.0)
    starts = kept & ~np.r_[False, link[:-1]]
    cum = np.cumsum(w) - w
    run_base = np.maximum.accumulate(np.where(starts, cum, 0.0))
    before = cum - run_base
    link &= (before + w) // _STRIP_TURN_DEG == before // _STRIP_TURN_DEG
    slots = np.flatnonzero(kept)
    first = np.flatnonzero(~np.r_[False, link[:-1]][slots])
    last = np.flatnonzero(~link[slots])
    arcs = np.where(link[slots], slot_arc[slots], -1)
    absorbed = arcs[arcs >= 0]
    return (slots % ne, slots // ne, first, last, arcs), absorbed


def _strip_sequences(parts, strips, side_off, first_ray, last_ray, arc, edge_curve, n_curves):
    """Curves of each strip's ring in order, as ``(curve, reversed, ring)``.

    A right strip: its offset curves (and arcs between) forward, the last ray back to
    the chain, the chain's vertices back to the first, the first ray out. A left
    strip: the chain's vertices forward, the last ray out, the offset curves (and
    arcs) back, the first ray in. A polygon's chain is its vertices (vertex ``i`` is
    curve ``n_curves + i``, a point), a line's its edges' curves ``edge_curve``.
    """
    run_e, run_side, first, last, arcs = strips
    n = run_e.size
    ring = np.repeat(np.arange(first.size), last - first + 1)
    rank = np.arange(n) - first[ring]
    size = (last - first + 1)[ring]
    is_r = run_side == 0
    # the chain: a polygon's vertices (straight lon/lat edges), a line's sampled edges
    pt = np.where(parts.edge_side[run_e] != 0,
                  n_curves + np.where(is_r, parts.edge_b[run_e], parts.edge_a[run_e]),
                  edge_curve[run_e])
    has_arc = arcs >= 0
    # sort keys within a ring; right: offsets 2k, arcs 2k+1, last ray, chain back, first ray
    # left: chain 0..size-1, last ray, offsets and arcs back, first ray
    k_off = np.where(is_r, 2 * rank, size + 1 + 2 * (size - 1 - rank))
    k_arc = np.where(is_r, 2 * rank + 1, size + 2 * (size - 1 - rank))
    k_pt = np.where(is_r, 2 * size + 1 + (size - 1 - rank), rank)
    is_r_ring = is_r[first]
    size_r = last - first + 1
    curve = np.concatenate([side_off, arc[arcs[has_arc]], pt, first_ray, last_ray])
    rev = np.concatenate([~is_r, np.zeros(has_arc.sum(), dtype=bool),
                          is_r & (parts.edge_side[run_e] == 0),
                          ~is_r_ring, is_r_ring])
    rings = np.concatenate([ring, ring[has_arc], ring, np.arange(first.size),
                            np.arange(first.size)])
    key = np.concatenate([k_off, k_arc[has_arc], k_pt,
                          np.where(is_r_ring, 3 * size_r + 1, 3 * size_r),
                          np.where(is_r_ring, 2 * size_r, size_r)])
    order = np.lexsort((key, rings))
    return curve[order], rev[order], rings[order]


def _recipe_sequences(recipe, ring0=0):
    """``(curve, reversed, ring)`` of rings given as a recipe: a list of (curves, reversed).

    Every array of the recipe has one entry per ring; the rings are numbered on from
    ``ring0``.
    """
    n = recipe[0][0].size
    curve = np.stack([c for c, _ in recipe], axis=1).ravel()
    rev = np.tile(np.array([r for _, r in recipe], dtype=bool), n)
    return curve, rev, np.repeat(np.arange(n), len(recipe)) + ring0


def _stitch(xy, off, curve, rev, ring) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Concatenate sampled curves into rings; each curve gives all its samples but the last.

    ``curve, rev, ring`` list the curves of every ring in order (rings numbered 0, 1, …
    in order); a reversed curve gives its samples from the last to the second.
    """
    if curve.size == 0:
        return np.zeros((0, 2)), np.zeros(1, dtype=np.intp)
    lo, hi = off[curve], off[curve + 1]
    cnt = hi - lo - 1
    pos = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    idx = np.where(np.repeat(rev, cnt), np.repeat(hi - 1, cnt) - pos, np.repeat(lo, cnt) + pos)
    sizes = np.bincount(ring, weights=cnt, minlength=int(ring.max()) + 1).astype(np.intp)
    ring_off = np.zeros(sizes.size + 1, dtype=np.intp)
    np.cumsum(sizes, out=ring_off[1:])
    return xy[idx], ring_off
