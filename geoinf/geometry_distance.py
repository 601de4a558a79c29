"""Exact ellipsoidal distance from points to lines and areas: what decides membership.

:func:`distance_to_km` takes any lon/lat geometry (see :mod:`geoinf.geometry_parts`
for how edges are read: geodesics between vertices, polygons as RFC 7946 gives
them) and returns the WGS84 distance to its nearest point, 0 inside a polygon.
Each point is compared with every edge of its geometry through spherical bounds
(:func:`geoinf.population_sums.spherical_km`'s factor ``1 +- SPHERE_EPS``, widened
by how far a geodesic strays from its great circle); the edges that can be the
nearest are solved exactly (:func:`geoinf.segment_distance.segment_distance_km`).
Inside a polygon is decided in lon/lat on the polygon densified so that its
straight edges stay within 1 m of the geodesic ones.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from .constants import MEAN_RADIUS_KM, WGS84
from .engine import compiled_near_edges, resolve_engine
from .errors import InputError
from .geodesic import validate_points
from .geometry_parts import GeometryParts, as_geometries, geometry_parts
from .population_sums import SPHERE_EPS, SPHERE_SLACK_KM, unit_vectors
from .segment_distance import segment_distance_km

__all__ = ["distance_to_km", "parts_distance_km", "dense_polygons"]

_PAIRS = 2_000_000  # point x edge pairs bounded per chunk (memory)
_INSIDE_DEV_KM = 1e-3  # polygon edges densified for the inside test to within 1 m
_MAX_PIECES = 4096
_BLOCK = 32  # consecutive edges bounded by one spherical cap
_UPPER_BLOCKS = 4  # blocks searched for an upper bound


def distance_to_km(geometries: ArrayLike, lon: ArrayLike, lat: ArrayLike, *,
                   engine: str = "auto") -> NDArray[np.float64] | float:
    """Return the ellipsoidal (WGS84) distance in km from points to lon/lat geometries.

    Parameters
    ----------
    geometries : shapely geometry or array_like of them
        Points, lines, polygons (with holes), their Multi types and collections, in
        lon/lat degrees. Edges are geodesics between consecutive vertices; polygons
        are as RFC 7946 gives them (split at ±180°, closed along ±90° around a pole).
        Broadcast against ``lon, lat`` as shapely broadcasts.
    lon, lat : float or array_like
        Points in degrees.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Solver of the inverse problems (see :func:`geoinf.engine.resolve_engine`).

    Returns
    -------
    float or ndarray
        Distance to the nearest point of each geometry (0 inside a polygon, ``inf``
        for an empty geometry), exact to well under a millimetre.

    Examples
    --------
    >>> line = shapely.LineString([(0, 0), (10, 0)])
    >>> print(f"{distance_to_km(line, 5, 1):.3f}")  # a meridian degree north of the equator
    110.574
    >>> float(distance_to_km(shapely.box(0, 0, 1, 1), 0.5, 0.5))
    0.0
    """
    geoms = as_geometries(geometries)
    values = getattr(geometries, "values", geometries)
    g_shape = () if isinstance(values, shapely.Geometry) else np.shape(
        np.asarray(values, dtype=object))
    (q_lon, q_lat), p_shape = validate_points(lon=lon, lat=lat)
    try:
        g_idx, p_idx = np.broadcast_arrays(np.arange(geoms.size).reshape(g_shape),
                                           np.arange(q_lon.size).reshape(p_shape))
    except ValueError:
        raise InputError(f"{geoms.size} geometries and points of shape {p_shape} do not "
                         "broadcast") from None
    parts = geometry_parts(geoms)
    engine = resolve_engine(engine, work=g_idx.size)
    out = parts_distance_km(parts, g_idx.ravel(), q_lon[p_idx.ravel()], q_lat[p_idx.ravel()],
                            engine=engine).reshape(g_idx.shape)
    return float(out) if out.ndim == 0 else out


def parts_distance_km(parts: GeometryParts, owner: NDArray[np.intp], lon: NDArray,
                      lat: NDArray, *, engine: str = "pyproj", upper_only: bool = False,
                      edges_only: bool = False) -> NDArray[np.float64]:
    """Distance (km) from points ``lon, lat`` to geometry ``owner`` of ``parts`` (flat arrays).

    ``engine`` is a resolved engine name. With ``upper_only`` an upper bound: the exact
    distance to an edge near the nearest (see :func:`_nearest_edges`). With
    ``edges_only`` the distance to the edges and points alone, with no test for
    being inside a polygon: exact for points outside the polygons, an upper bound
    for any point (it saves densifying the polygons).
    """
    out = np.full(lon.size, np.inf)
    a, b, e_owner = _segments(parts)
    if a.size:
        frames = _edge_frames(parts, a, b)
        blocks = _edge_blocks(frames, e_owner)
        counts = np.bincount(blocks.owner, minlength=parts.n)
        starts = np.cumsum(counts) - counts
        for sl in _chunks(counts[owner], _PAIRS):
            out[sl] = _nearest_edges(parts, a, b, blocks, frames, starts[owner[sl]],
                                     counts[owner[sl]], lon[sl], lat[sl], engine, upper_only)
    if not edges_only:
        out[_inside(dense_polygons(parts.polygons), owner, lon, lat)] = 0.0
    return out


def _chunks(count: NDArray[np.intp], limit: int) -> list[slice]:
    """Cut a run of items with ``count`` pairs each into slices of about ``limit`` pairs."""
    bounds = np.cumsum(count)
    total = int(bounds[-1]) if bounds.size else 0
    cuts = np.searchsorted(bounds, np.arange(limit, total, limit))
    return [slice(lo, hi) for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, count.size],
                                            strict=True) if hi > lo]


def _segments(parts: GeometryParts):
    """Vertex indices (a, b) of every edge and isolated point (a == b), sorted by owner."""
    iso = np.flatnonzero(parts.isolated)
    a = np.concatenate([parts.edge_a, iso])
    b = np.concatenate([parts.edge_b, iso])
    owner = np.concatenate([parts.edge_owner, parts.vertex_owner[iso]])
    order = np.argsort(owner, kind="stable")
    return a[order], b[order], owner[order]


def _deviation_km(length_km: NDArray) -> NDArray:
    """How far (km) a geodesic of this length strays from its great circle on the sphere.

    Measured on WGS84: below 0.00084 x length up to 10,000 km, 0.0105 x length at 19,000 km.
    """
    return length_km * np.where(length_km > 9_000.0, 0.02, 0.002)


class _Blocks(NamedTuple):
    """Runs of up to :data:`_BLOCK` consecutive edges of one geometry, each in a spherical cap.

    Every point of every edge's great-circle arc is within ``radius`` (radians) of
    ``centre``; ``dev_km`` is the largest geodesic deviation of the block's edges and
    ``first`` the unit vector of a vertex of the block.
    """

    start: NDArray[np.intp]
    size: NDArray[np.intp]
    owner: NDArray[np.intp]
    centre: NDArray[np.float64]
    radius: NDArray[np.float64]
    dev_km: NDArray[np.float64]
    first: NDArray[np.float64]


def _edge_blocks(frames, e_owner) -> _Blocks:
    """Cut the edges (sorted by owner) into blocks of consecutive edges of one owner.

    ``frames`` are the edges' :func:`_edge_frames` (their end unit vectors and lengths).
    """
    va, vb, length = frames[0], frames[1], frames[-1]
    n = va.shape[0]
    new_owner = np.r_[True, e_owner[1:] != e_owner[:-1]]
    owner_start = np.maximum.accumulate(np.where(new_owner, np.arange(n), 0))
    rank = np.arange(n) - owner_start
    block_of = np.cumsum(new_owner | (rank % _BLOCK == 0)) - 1
    start = np.flatnonzero(np.r_[True, block_of[1:] != block_of[:-1]])
    size = np.diff(np.r_[start, n])
    total = np.add.reduceat(va + vb, start, axis=0)
    norm = np.linalg.norm(total, axis=1)
    centre = np.where(norm[:, None] > 1e-9, total / np.maximum(norm, 1e-300)[:, None], va[start])
    half = length / MEAN_RADIUS_KM / 2.0
    c = centre[block_of]
    far = np.maximum(np.arccos(np.clip((va * c).sum(1), -1.0, 1.0)),
                     np.arccos(np.clip((vb * c).sum(1), -1.0, 1.0))) + half
    radius = np.maximum.reduceat(far, start) + 1e-12
    dev = np.maximum.reduceat(_deviation_km(2.0 * half * MEAN_RADIUS_KM), start)
    return _Blocks(start=start, size=size, owner=e_owner[start], centre=centre,
                   radius=radius, dev_km=dev, first=va[start])


def _edge_frames(parts, a, b):
    """Per edge: end unit vectors, great-circle normal, the two half-plane normals, length."""
    va = unit_vectors(parts.lon[a], parts.lat[a])
    vb = unit_vectors(parts.lon[b], parts.lat[b])
    n = np.cross(va, vb)
    norm = np.linalg.norm(n, axis=1)
    ok = norm > 1e-12
    n[ok] /= norm[ok, None]
    n[~ok] = 0.0
    length = np.arccos(np.clip((va * vb).sum(1), -1.0, 1.0)) * MEAN_RADIUS_KM
    return va, vb, n, np.cross(n, va), np.cross(vb, n), ok, length


def _sphere_km(p, frames, e):
    """Spherical distances (km) from unit vectors ``p`` to the first ends and arcs of ``e``."""
    va, vb, n, c1, c2, ok, _ = frames
    to_a = np.arccos(np.clip(np.einsum("ij,ij->i", p, va[e]), -1.0, 1.0)) * MEAN_RADIUS_KM
    to_b = np.arccos(np.clip(np.einsum("ij,ij->i", p, vb[e]), -1.0, 1.0)) * MEAN_RADIUS_KM
    ends = np.minimum(to_a, to_b)
    between = ok[e] & (np.einsum("ij,ij->i", p, c1[e]) >= 0) \
        & (np.einsum("ij,ij->i", p, c2[e]) >= 0)
    sin_xt = np.clip(np.einsum("ij,ij->i", p, n[e]), -1.0, 1.0)
    cross = np.abs(np.arcsin(sin_xt)) * MEAN_RADIUS_KM
    return to_a, np.where(between, np.minimum(cross, ends), ends)


def _near_blocks(p, blocks: _Blocks, start, count):
    """Point x block pairs that can hold the nearest edge, and each point's upper bound (km).

    A block's lower bound is the distance to its cap (less the geodesic deviation,
    through the sphere's factor); the upper bound is the distance to a vertex.
    """
    q = np.repeat(np.arange(start.size), count)
    k = np.repeat(start - np.cumsum(count) + count, count) + np.arange(count.sum())
    to_c = np.arccos(np.clip(np.einsum("ij,ij->i", p[q], blocks.centre[k]), -1.0, 1.0))
    lower = ((np.maximum(to_c - blocks.radius[k], 0.0) * MEAN_RADIUS_KM - blocks.dev_km[k])
             * (1 - SPHERE_EPS) - SPHERE_SLACK_KM)
    to_v = np.arccos(np.clip(np.einsum("ij,ij->i", p[q], blocks.first[k]), -1.0, 1.0))
    best_upper = np.full(start.size, np.inf)
    np.minimum.at(best_upper, q, to_v * MEAN_RADIUS_KM * (1 + SPHERE_EPS) + SPHERE_SLACK_KM)
    keep = lower <= best_upper[q]
    return q[keep], k[keep], best_upper, lower[keep]


def _nearest_edges(parts, a, b, blocks, frames, start, count, lon, lat, engine,
                   upper_only=False):
    """Exact distance from each point to the nearest edge of its ``count`` blocks from ``start``.

    With ``upper_only``, the exact distance to the edge nearest on the sphere among
    the edges of the few blocks with the lowest bounds: an upper bound of the distance.
    The candidate pairs come from :func:`_candidates` (numpy) or, with the compiled
    engine, from :func:`geoinf.engine.compiled_near_edges` (the same rules).
    """
    p = unit_vectors(lon, lat)
    out = np.full(lon.size, np.inf)
    if engine == "numba":
        pairs = [compiled_near_edges(p, start, count, blocks, frames, upper_only=upper_only,
                                     n_upper=_UPPER_BLOCKS, eps=SPHERE_EPS,
                                     slack_km=SPHERE_SLACK_KM, radius_km=MEAN_RADIUS_KM)]
    else:
        pairs = _candidates(p, blocks, frames, start, count, upper_only)
    for q, e in pairs:
        ea, eb = a[e], b[e]
        d = segment_distance_km(lon[q], lat[q], parts.lon[ea], parts.lat[ea],
                                parts.lon[eb], parts.lat[eb], engine=engine)
        np.minimum.at(out, q, d)
    return out


def _candidates(p, blocks, frames, start, count, upper_only):
    """Yield ``(q, e)`` point x edge pairs that can hold each point's nearest edge (numpy)."""
    n = start.size
    qb, kb, best_upper, lower = _near_blocks(p, blocks, start, count)
    if upper_only:  # the edges of the few blocks with the lowest bounds are enough
        order = np.lexsort((lower, qb))
        rank = np.arange(qb.size) - np.searchsorted(qb[order], qb[order])
        pick = np.sort(order[rank < _UPPER_BLOCKS])
        qb, kb = qb[pick], kb[pick]
    per_point = np.bincount(qb, weights=blocks.size[kb], minlength=n).astype(np.intp)
    first_pair = np.r_[0, np.cumsum(np.bincount(qb, minlength=n))]
    for sl in _chunks(per_point, _PAIRS):
        lo, hi = first_pair[sl.start], first_pair[sl.stop]
        size = blocks.size[kb[lo:hi]]
        q = np.repeat(qb[lo:hi], size)
        e = np.repeat(blocks.start[kb[lo:hi]] - np.cumsum(size) + size, size) \
            + np.arange(size.sum())
        to_a, arc = _sphere_km(p[q], frames, e)
        if upper_only:
            order = np.lexsort((arc, q))
            keep = order[np.r_[True, q[order][1:] != q[order][:-1]]]
        else:
            lower = (arc - _deviation_km(frames[-1][e])) * (1 - SPHERE_EPS) - SPHERE_SLACK_KM
            upper = to_a * (1 + SPHERE_EPS) + SPHERE_SLACK_KM
            np.minimum.at(best_upper, q, upper)
            keep = np.flatnonzero(lower <= best_upper[q])
        yield q[keep], e[keep]


def _inside(polygons: NDArray[np.object_], owner, lon, lat) -> NDArray[np.bool_]:
    has = np.flatnonzero(polygons[owner] != None)  # noqa: E711 (elementwise)
    inside = np.zeros(lon.size, dtype=bool)
    if has.size:
        shapely.prepare(polygons[owner[has]])
        inside[has] = shapely.contains_xy(polygons[owner[has]], lon[has], lat[has])
    return inside


def dense_polygons(polygons: NDArray[np.object_], dev_km: float = _INSIDE_DEV_KM
                   ) -> NDArray[np.object_]:
    """Return the polygons with vertices added until their edges follow the geodesics.

    Each straight edge ends within ``dev_km`` of its geodesic (edges along a meridian
    or a pole's parallel stay).
    """
    has = np.flatnonzero(polygons != None)  # noqa: E711
    out = polygons.copy()
    if has.size == 0:
        return out
    parts, owner = shapely.get_parts(polygons[has], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    nxt = np.r_[ring[1:] == ring[:-1], False]
    a = np.flatnonzero(nxt)
    lon1, lat1, lon2, lat2 = xy[a, 0], xy[a, 1], xy[a + 1, 0], xy[a + 1, 1]
    az, _, s = WGS84.inv(lon1, lat1, lon2, lat2)
    m_lon, m_lat, _ = WGS84.fwd(lon1, lat1, az, np.asarray(s) / 2)
    _, _, dev = WGS84.inv(m_lon, m_lat, (lon1 + lon2) / 2, (lat1 + lat2) / 2)
    pieces = np.ones(xy.shape[0], dtype=np.intp)
    straight = (lon1 == lon2) | ((np.abs(lat1) == 90) & (lat1 == lat2))
    n = np.where(straight, 1, np.ceil(np.sqrt(np.asarray(dev) / 1000 / dev_km)))
    pieces[a] = np.clip(n, 1, _MAX_PIECES).astype(np.intp)
    if (pieces == 1).all():
        return out
    src = np.repeat(np.arange(xy.shape[0]), pieces)
    frac = np.arange(src.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    frac = frac / pieces[src]
    edge_of = np.full(xy.shape[0], -1)
    edge_of[a] = np.arange(a.size)
    k = edge_of[src]
    mid = np.flatnonzero(frac > 0)
    dense = xy[src].copy()
    dense[mid, 0], dense[mid, 1], _ = WGS84.fwd(lon1[k[mid]], lat1[k[mid]], az[k[mid]],
                                                np.asarray(s)[k[mid]] * frac[mid])
    new_rings = shapely.linearrings(dense, indices=ring[src])
    polys = shapely.polygons(new_rings, indices=ring_part)  # first ring of each: the shell
    who, dense_owner = np.unique(owner, return_inverse=True)
    out[has[who]] = shapely.multipolygons(polys, indices=dense_owner)
    return out
