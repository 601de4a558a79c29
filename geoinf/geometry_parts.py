"""Lon/lat geometries taken apart into geodesic edges, vertices and polygon interiors.

Every LineString, polygon ring and point of a geometry (collections and Multi
types included) becomes vertices and edges; an edge is the shortest geodesic
between two consecutive vertices (so a LineString may cross ±180° directly,
e.g. from 179°E to 179°W). Polygons follow RFC 7946: given in lon/lat, split at
±180° and closed along ±90° when they contain a pole. Their edges along ±180° and
along a pole's parallel are the cuts of that convention, not boundary, and are
dropped. Repeated consecutive vertices are dropped; a line whose vertices all
coincide is a point. Numpy arrays in and out, no loop per geometry or vertex.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from .errors import InputError

__all__ = ["GeometryParts", "geometry_parts", "as_geometries"]

_MULTI = (shapely.GeometryType.MULTIPOINT, shapely.GeometryType.MULTILINESTRING,
          shapely.GeometryType.MULTIPOLYGON, shapely.GeometryType.GEOMETRYCOLLECTION)


class GeometryParts(NamedTuple):
    """Vertices and geodesic edges of ``n`` geometries.

    ``lon, lat`` are the vertices; ``edge_in``/``edge_out`` the edge arriving at and
    leaving each vertex (-1 for none); ``vertex_owner`` the geometry of each vertex;
    ``isolated`` marks vertices that are points of their own (no edge, not a
    polygon's). ``edge_a``/``edge_b`` are each edge's vertices, ``edge_owner`` its
    geometry (edges sorted by owner). ``edge_side`` says on which side of a polygon's
    edge, walking from ``a`` to ``b``, the polygon's outside lies: +1 right, -1 left,
    0 for an edge of a line. ``polygons`` holds each geometry's polygonal part in
    lon/lat (or None).
    """

    n: int
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    vertex_owner: NDArray[np.intp]
    edge_in: NDArray[np.intp]
    edge_out: NDArray[np.intp]
    isolated: NDArray[np.bool_]
    edge_a: NDArray[np.intp]
    edge_b: NDArray[np.intp]
    edge_owner: NDArray[np.intp]
    edge_side: NDArray[np.int8]
    polygons: NDArray[np.object_]


def as_geometries(geometries: ArrayLike, name: str = "geometries") -> NDArray[np.object_]:
    """Return ``geometries`` (one shapely geometry, a sequence, a GeoSeries) as a 1-d array.

    Examples
    --------
    >>> as_geometries(shapely.Point(1, 2)).shape
    (1,)
    >>> as_geometries([None])
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: geometries[0] is None, not a shapely geometry
    """
    values = getattr(geometries, "values", geometries)
    arr = np.empty(1, dtype=object)
    if isinstance(values, shapely.Geometry):
        arr[0] = values
    else:
        try:
            arr = np.asarray(values, dtype=object).ravel()
        except (TypeError, ValueError):
            raise InputError(f"{name} must be shapely geometries, not "
                             f"{type(geometries).__name__}") from None
    ok = shapely.is_geometry(arr) if arr.size else np.zeros(0, dtype=bool)
    if not ok.all():
        i = int(np.argmin(ok))
        raise InputError(f"{name}[{i}] is {arr[i]!r}, not a shapely geometry")
    return arr


def _flat_parts(geoms: NDArray[np.object_]) -> tuple[NDArray[np.object_], NDArray[np.intp]]:
    """Explode Multi types and collections (nested too) into single parts with their owner."""
    parts, owner = geoms, np.arange(geoms.size)
    while parts.size:
        multi = np.isin(shapely.get_type_id(parts), _MULTI)
        if not multi.any():
            break
        sub, idx = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        owner = np.concatenate([owner[~multi], owner[multi][idx]])
    keep = ~shapely.is_empty(parts)
    return parts[keep], owner[keep]


def _check_coords(xy: NDArray, owner: NDArray, name: str) -> None:
    bad_lon = ~(np.abs(xy[:, 0]) <= 180.0)
    bad_lat = ~(np.abs(xy[:, 1]) <= 90.0)
    for bad, col, what in ((bad_lon, 0, "lon"), (bad_lat, 1, "lat")):
        if bad.any():
            i = int(np.argmax(bad))
            limit = "[-180, 180]" if col == 0 else "[-90, 90]"
            raise InputError(f"{name}[{owner[i]}]: vertex {what}={xy[i, col]:g} is outside "
                             f"{limit} (lon/lat degrees, WGS84)")


def geometry_parts(geometries: ArrayLike, name: str = "geometries") -> GeometryParts:
    """Take lon/lat geometries apart into vertices and geodesic edges (see module docstring).

    Examples
    --------
    >>> p = geometry_parts([shapely.LineString([(0, 0), (1, 0), (1, 0), (2, 1)])])
    >>> p.lon.tolist(), p.edge_a.tolist(), p.edge_b.tolist()
    ([0.0, 1.0, 2.0], [0, 1], [1, 2])
    """
    geoms = as_geometries(geometries, name)
    parts, owner = _flat_parts(geoms)
    kind = shapely.get_type_id(parts)
    polys = kind == shapely.GeometryType.POLYGON
    rings, ring_idx = shapely.get_rings(parts[polys], return_index=True)
    chains = np.concatenate([parts[~polys], rings])
    chain_owner = np.concatenate([owner[~polys], owner[polys][ring_idx]])
    chain_poly = np.concatenate([np.zeros((~polys).sum(), bool), np.ones(rings.size, bool)])
    # the outside of a polygon is right of a counter-clockwise exterior and of a clockwise
    # hole (lon/lat keeps the orientation of the globe: RFC 7946 rings are planar there)
    exterior = np.r_[True, ring_idx[1:] != ring_idx[:-1]][:rings.size]
    chain_side = np.concatenate([np.zeros((~polys).sum(), np.int8),
                                 np.where(shapely.is_ccw(rings) == exterior, 1, -1)
                                 .astype(np.int8)])
    xy, chain = shapely.get_coordinates(chains, return_index=True)
    _check_coords(xy, chain_owner[chain], name)
    first = np.r_[True, chain[1:] != chain[:-1]]
    keep = first | np.r_[True, (xy[1:] != xy[:-1]).any(axis=1)]
    xy, chain, first = xy[keep], chain[keep], first[keep]
    last = np.r_[chain[1:] != chain[:-1], True]
    start = np.flatnonzero(first)
    count = np.diff(np.r_[start, chain.size])
    ends_equal = (xy[start] == xy[start + count - 1]).all(axis=1)
    closed_chain = np.zeros(chains.size, dtype=bool)
    closed_chain[chain[start]] = ends_equal & (count >= 4)  # 3+ distinct vertices, closed
    drop_closing = last & np.repeat(ends_equal & (count > 1), count)
    xy, chain = xy[~drop_closing], chain[~drop_closing]
    start = np.flatnonzero(np.r_[True, chain[1:] != chain[:-1]]) if chain.size else start[:0]
    count = np.diff(np.r_[start, chain.size])
    closed = closed_chain[chain[start]]
    return _edges(geoms.size, xy, chain, start, count, closed, chain_owner, chain_poly,
                  chain_side, _polygonal(geoms, parts, owner, polys))


def _edges(n, xy, chain, start, count, closed, chain_owner, chain_poly, chain_side, polygons):
    """Edges between consecutive vertices of each chain (closing edge for closed chains)."""
    nv = xy.shape[0]
    idx = np.arange(nv)
    pos = idx - np.repeat(start, count)
    nxt = np.where(pos == np.repeat(count - 1, count), np.repeat(start, count), idx + 1)
    has_next = (pos < np.repeat(count - 1, count)) | np.repeat(closed & (count >= 3), count)
    a = idx[has_next]
    b = nxt[has_next]
    artifact = np.zeros(a.size, dtype=bool)
    on_poly = chain_poly[chain[a]]
    if on_poly.any():
        lon_a, lon_b, lat_a, lat_b = xy[a, 0], xy[b, 0], xy[a, 1], xy[b, 1]
        cut = (np.abs(lon_a) == 180.0) & (lon_a == lon_b)
        pole = (np.abs(lat_a) == 90.0) & (lat_a == lat_b)
        artifact = on_poly & (cut | pole)
    a, b = a[~artifact], b[~artifact]
    owner = chain_owner[chain]
    order = np.argsort(owner[a], kind="stable")
    a, b = a[order], b[order]
    edge_in = np.full(nv, -1, dtype=np.intp)
    edge_out = np.full(nv, -1, dtype=np.intp)
    edge_out[a] = np.arange(a.size)
    edge_in[b] = np.arange(a.size)
    isolated = (edge_in < 0) & (edge_out < 0) & ~chain_poly[chain]
    return GeometryParts(n=n, lon=xy[:, 0].copy(), lat=xy[:, 1].copy(), vertex_owner=owner,
                         edge_in=edge_in, edge_out=edge_out, isolated=isolated, edge_a=a,
                         edge_b=b, edge_owner=owner[a], edge_side=chain_side[chain[a]],
                         polygons=polygons)


def _polygonal(geoms, parts, owner, polys) -> NDArray[np.object_]:
    """Each geometry's polygons as one (Multi)Polygon, or None."""
    out = np.full(geoms.size, None, dtype=object)
    if polys.any():
        order = np.argsort(owner[polys], kind="stable")
        who, dense = np.unique(owner[polys][order], return_inverse=True)
        out[who] = shapely.multipolygons(parts[polys][order], indices=dense)
    return out
