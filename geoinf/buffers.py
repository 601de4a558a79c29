"""Geodesic buffers of any lon/lat geometry on WGS84: valid polygons within a tolerance.

The buffer of a geometry ``G`` by ``r`` is ``{p : distance(p, G) <= r}`` on the
ellipsoid. A point's buffer is its geodesic disc (:func:`geoinf.rings.disc_polygons`,
the same polygon). A line's or an area's is the union of the bands, joins and caps
of :mod:`geoinf.buffer_pieces` (and of the area itself), each closed over its pole
and split at ±180° by :mod:`geoinf.sphere_polygons` before the union, which is taken
in lon/lat in one vectorised GEOS call for all geometries. Edges are geodesics
between vertices (:mod:`geoinf.geometry_parts`).

Membership ("is this point within r of the area?") is decided by
:func:`geoinf.geometry_distance.distance_to_km`, not by these polygons.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from . import _validate
from .buffer_pieces import piece_rings
from .constants import ANTIPODAL_KM
from .densify import validate_tolerance
from .engine import resolve_engine
from .errors import InputError
from .geometry_distance import parts_distance_km
from .geometry_parts import as_geometries, geometry_parts
from .rings import disc_polygons
from .sphere_polygons import WORLD, polygonal, repaired, ring_pieces

__all__ = ["geodesic_buffer", "MAX_EDGE_BUFFER_KM"]

MAX_EDGE_BUFFER_KM = 9_000.0
"""Largest buffer of a line or area: beyond it the perpendiculars of an edge can meet
(they all meet near 10,000 km, at the poles of its geodesic). Points go to the antipode."""


def _radii(distance_km: ArrayLike, n: int) -> NDArray[np.float64]:
    r = _validate.numbers(distance_km, "distance_km", lo=0, lo_open=True, hi=ANTIPODAL_KM,
                          hi_open=True)
    try:
        return np.broadcast_to(r, (n,)).astype(float)
    except ValueError:
        raise InputError(f"distance_km has shape {r.shape}; expected one number or one per "
                         f"geometry ({n})") from None


def geodesic_buffer(geometries: ArrayLike, distance_km: ArrayLike, *,
                    tolerance_km: float = 0.1, engine: str = "auto") -> NDArray[np.object_]:
    """Return geodesic buffers of lon/lat geometries as valid lon/lat (Multi)Polygons.

    Parameters
    ----------
    geometries : shapely geometry or array_like of them
        Points, LineStrings, Polygons (holes too), their Multi types and collections in
        lon/lat degrees (WGS84). Edges are the shortest geodesics between consecutive
        vertices, so a line may cross ±180° directly; a polygon is read as RFC 7946
        gives it (split at ±180°, closed along ±90° around a pole: those cut edges are
        not buffered). Densify a polygon first if its edges are meant as straight
        lon/lat lines. Repeated vertices are ignored; a line of one repeated vertex is
        a point; an empty geometry has an empty buffer.
    distance_km : float or array_like
        Buffer distance in km, one or one per geometry: greater than 0, below the
        antipodal distance for points and at most :data:`MAX_EDGE_BUFFER_KM` for
        lines and areas.
    tolerance_km : float, default 0.1
        Largest distance between any point of the boundary, read as straight lon/lat
        edges, and the true boundary ``{p : distance(p, G) = r}``.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Solver of the inverse problems (see :func:`geoinf.engine.resolve_engine`).

    Returns
    -------
    ndarray of shapely geometries
        One valid Polygon or MultiPolygon per geometry: exteriors counter-clockwise,
        holes clockwise, longitudes in [-180, 180], split at ±180°, closed along ±90°
        where the buffer contains a pole.

    Raises
    ------
    InputError
        For a non-geometry, a vertex outside lon/lat ranges, an invalid polygon, or a
        distance out of range.

    Examples
    --------
    >>> line = shapely.LineString([(170, 65), (-170, 66)])  # across the Bering Strait
    >>> buf = geodesic_buffer(line, 500)[0]
    >>> buf.geom_type, buf.is_valid, buf.bounds[::2]
    ('MultiPolygon', True, (-180.0, 180.0))
    >>> geodesic_buffer(shapely.Point(24.41, 44.08), 500)[0].equals(
    ...     disc_polygons(24.41, 44.08, 500)[0])
    True
    """
    geoms = as_geometries(geometries)
    radius = _radii(distance_km, geoms.size)
    tolerance_km = validate_tolerance(tolerance_km)
    parts = geometry_parts(geoms)
    _check_polygons(parts.polygons)
    _check_radius(radius, parts)
    engine = resolve_engine(engine, work=parts.lon.size * 200)
    pieces, owner = [], []
    iso = np.flatnonzero(parts.isolated)
    if iso.size:
        who = parts.vertex_owner[iso]
        pieces.append(disc_polygons(parts.lon[iso], parts.lat[iso], radius[who],
                                    tolerance_km=tolerance_km, engine=engine))
        owner.append(who)
    xy, offsets, ring_owner, pruned = piece_rings(parts, radius * 1000.0, tolerance_km, engine)
    if ring_owner.size:
        ring_polys, ring_of = _threaded_ring_pieces(xy, offsets)
        pieces.append(ring_polys)
        owner.append(ring_owner[ring_of])
    has_area = np.flatnonzero(parts.polygons != None)  # noqa: E711 (elementwise)
    pieces.append(parts.polygons[has_area])
    owner.append(has_area)
    out = _union_by_owner(np.concatenate(pieces), np.concatenate(owner), geoms.size)
    has_edges = np.zeros(geoms.size, dtype=bool)
    has_edges[parts.edge_owner] = True
    if (pruned | has_edges).any():  # left-out pieces, or a crack where rounding split pieces
        out = _fill_gaps(out, pruned | has_edges, parts, radius, tolerance_km, engine)
    return out


def _fill_gaps(buffers, pruned, parts, radius, tolerance_km, engine) -> NDArray[np.object_]:
    """Add back the regions inside the buffer that only left-out pieces covered (or cracks).

    Every point of the true boundary lies on a kept piece, so each region of the
    world outside the union is wholly inside the buffer or wholly outside it: one
    interior point of each, measured exactly, tells which (a hole within the
    tolerance of ``r`` is filled: it is a crack, or smaller than the tolerance).
    The probes lie outside the union, so outside the geometry's polygons: their
    distance to its edges is the distance. Such a region is a hole of the union
    (dropped where it is inside), or, where the union meets ±180° or a pole, a
    region of the world outside it (added by a union).
    """
    idx = np.flatnonzero(pruned)
    out = buffers.copy()
    out[idx] = _drop_inner_holes(buffers[idx], idx, parts, radius, tolerance_km, engine)
    x0, y0, x1, y1 = shapely.bounds(out[idx]).T
    framed = idx[(x0 <= -180.0) | (x1 >= 180.0) | (y0 <= -90.0) | (y1 >= 90.0)]
    if framed.size == 0:
        return out
    outside = _threaded(lambda rows: shapely.difference(WORLD, out[framed[rows]]), framed.size)
    gaps, which = shapely.get_parts(outside, return_index=True)
    probe = shapely.point_on_surface(gaps)
    real = ~shapely.is_empty(probe)  # a collapsed sliver has no interior point
    gaps, which, probe = gaps[real], which[real], probe[real]
    if gaps.size == 0:
        return out
    owner = framed[which]
    d = parts_distance_km(parts, owner, shapely.get_x(probe), shapely.get_y(probe),
                          engine=engine, edges_only=True)
    inside = d <= radius[owner] + tolerance_km  # a crack along shared rays probes at r
    if not inside.any():
        return out
    pieces = np.concatenate([out[framed], gaps[inside]])
    owners = np.concatenate([framed, owner[inside]])
    filled = _union_by_owner(pieces, owners, buffers.size)
    out[np.unique(owner[inside])] = filled[np.unique(owner[inside])]
    return out


def _drop_inner_holes(buffers, idx, parts, radius, tolerance_km, engine
                      ) -> NDArray[np.object_]:
    """Drop each hole of ``buffers`` (of geometries ``idx``) whose interior point is inside."""
    polys, part_of = shapely.get_parts(buffers, return_index=True)
    rings, ring_of = shapely.get_rings(polys, return_index=True)
    hole = np.r_[False, ring_of[1:] == ring_of[:-1]]
    if not hole.any():
        return buffers
    h = np.flatnonzero(hole)
    probe = shapely.point_on_surface(shapely.polygons(rings[h]))
    owner = idx[part_of[ring_of[h]]]
    d = parts_distance_km(parts, owner, shapely.get_x(probe), shapely.get_y(probe),
                          engine=engine, edges_only=True)
    drop = np.zeros(rings.size, dtype=bool)
    drop[h[d <= radius[owner] + tolerance_km]] = True
    if not drop.any():
        return buffers
    changed = np.unique(part_of[ring_of[drop]])
    out = buffers.copy()
    keep = ~drop & np.isin(part_of[ring_of], changed)
    kept_polys, dense = np.unique(ring_of[keep], return_inverse=True)
    rebuilt = polys.copy()
    rebuilt[kept_polys] = shapely.polygons(rings[keep], indices=dense)  # shells come first
    which = np.isin(part_of, changed)
    out[changed] = shapely.multipolygons(rebuilt[which], indices=np.unique(
        part_of[which], return_inverse=True)[1])
    # a part inside a filled hole now overlaps its polygon: union those
    bad = changed[~shapely.is_valid(out[changed])]
    if bad.size:
        sub, row = shapely.get_parts(out[bad], return_index=True)
        out[bad] = _union_by_owner(sub, row, bad.size)
    one = shapely.get_num_geometries(out[changed]) == 1
    out[changed[one]] = shapely.get_geometry(out[changed[one]], 0)
    return out


def _check_polygons(polygons: NDArray[np.object_]) -> None:
    has = np.flatnonzero(polygons != None)  # noqa: E711
    valid = shapely.is_valid(polygons[has])
    if not valid.all():
        i = has[np.argmin(valid)]
        reason = shapely.is_valid_reason(polygons[i])
        raise InputError(f"geometries[{i}] is not a valid polygon ({reason}); "
                         "repair it first, e.g. with shapely.make_valid")


def _check_radius(radius: NDArray, parts) -> None:
    has_edges = np.zeros(parts.n, dtype=bool)
    has_edges[parts.edge_owner] = True
    bad = has_edges & (radius > MAX_EDGE_BUFFER_KM)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"distance_km={radius[i]:g} for geometries[{i}] (a line or area) is "
                         f"above {MAX_EDGE_BUFFER_KM:,.0f} km, the largest buffer of an edge")


_THREAD_ROWS = 8  # geometries (or rings) per thread below which one thread does them all


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover (macOS, Windows)


def _threaded(fn, n: int, weight: NDArray | None = None) -> NDArray[np.object_]:
    """``fn(rows)`` for shares of ``range(n)`` on the machine's cores, results in row order.

    ``fn`` maps an index array to one result per index; shapely's vectorised calls
    release the GIL in GEOS, so independent rows run in parallel. With ``weight``
    the rows are dealt out heaviest first, so the threads finish together.
    """
    threads = min(_cores(), n // _THREAD_ROWS)
    if threads <= 1:
        return fn(np.arange(n))
    order = np.arange(n) if weight is None else np.argsort(-weight, kind="stable")
    shares = [order[i::threads] for i in range(threads)]
    out = np.empty(n, dtype=object)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for rows, res in zip(shares, pool.map(fn, shares), strict=True):
            out[rows] = res
    return out


def _threaded_union(grid: NDArray[np.object_]) -> NDArray[np.object_]:
    """``shapely.union_all(grid, axis=1)`` with the rows shared among the machine's cores."""
    return _threaded(lambda rows: shapely.union_all(grid[rows], axis=1), grid.shape[0],
                     (grid != None).sum(axis=1))  # noqa: E711 (elementwise)


def _threaded_ring_pieces(xy: NDArray[np.float64], offsets: NDArray[np.intp]):
    """:func:`geoinf.sphere_polygons.ring_pieces` on contiguous runs of rings, one per core."""
    n = offsets.size - 1
    threads = min(_cores(), n // (_THREAD_ROWS * 16))
    if threads <= 1:
        return ring_pieces(xy, offsets)
    cuts = np.searchsorted(offsets, np.linspace(0, offsets[-1], threads + 1)[1:-1])
    edges = [0, *np.unique(np.clip(cuts, 1, n - 1)).tolist(), n]

    def run(a, b):
        lo = offsets[a]
        polys, ring_of = ring_pieces(xy[lo:offsets[b]], offsets[a:b + 1] - lo)
        return polys, ring_of + a

    with ThreadPoolExecutor(max_workers=len(edges) - 1) as pool:
        done = list(pool.map(run, edges[:-1], edges[1:]))
    return np.concatenate([d[0] for d in done]), np.concatenate([d[1] for d in done])


def _union_by_owner(pieces: NDArray[np.object_], owner: NDArray[np.intp], n: int
                    ) -> NDArray[np.object_]:
    """Union the pieces of each geometry in one vectorised call; keep the polygonal part."""
    out = np.array([shapely.Polygon() for _ in range(n)], dtype=object) if n else \
        np.empty(0, dtype=object)
    if pieces.size == 0:
        return out
    count = np.bincount(owner, minlength=n)
    single = count == 1
    order = np.argsort(owner, kind="stable")
    pieces, owner = pieces[order], owner[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
    many = np.flatnonzero(count > 1)
    if many.size:
        rows = np.full(n, -1)
        rows[many] = np.arange(many.size)
        grid = np.full((many.size, int(count.max())), None, dtype=object)
        sel = rows[owner] >= 0
        grid[rows[owner[sel]], rank[sel]] = pieces[sel]
        try:
            out[many] = _threaded_union(grid)
        except shapely.errors.GEOSException:  # a piece crosses itself: repair, once
            out[many] = _threaded_union(np.reshape(repaired(grid.ravel()), grid.shape))
    one = single[owner]
    out[owner[one]] = pieces[one]
    out = polygonal(out)
    changed = ~single | (shapely.get_type_id(out) != shapely.GeometryType.POLYGON)
    out[changed] = shapely.orient_polygons(out[changed])
    return out
