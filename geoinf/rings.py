"""Valid lon/lat polygons of geodesic discs and bands (annuli), built with shapely 2.

Every polygon is valid, its exterior counter-clockwise and holes clockwise
(RFC 7946), longitudes in [-180, 180]. A disc that crosses the antimeridian is
split there into a MultiPolygon; a disc that contains a pole contains it in
lon/lat too (closed along the ±90° parallel); a disc that contains both poles is
the world minus a hole around the antipode. Boundaries come from
:func:`geoinf.densify.ring_boundaries`, within ``tolerance_km`` of the true circle.

Membership ("is this city in range?") is decided by exact distance
(:func:`geoinf.geodesic.distance_km`), not by these polygons: they are for maps and export.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from . import _validate
from .constants import ANTIPODAL_KM
from .densify import (
    CUT_LOCUS_CHECK_KM,
    densify_rule,
    may_need_vertices,
    ring_boundaries,
    validate_tolerance,
)
from .engine import compiled_discs, resolve_engine
from .errors import InputError
from .geodesic import pole_distances_km, validate_circles, validate_points
from .treaty import INF_EDGES_KM, band_label

__all__ = ["disc_polygons", "range_rings", "range_bands", "dissolve", "validate_edges"]

_WORLD = shapely.box(-180.0, -90.0, 180.0, 90.0)
_CRS = "EPSG:4326"
_VERTICES = 360  # vertices of the uniform ring a disc's boundary starts from


def disc_polygons(lon: ArrayLike, lat: ArrayLike, radius_km: ArrayLike, *,
                  tolerance_km: float = 0.1, engine: str = "auto") -> NDArray[np.object_]:
    """Return geodesic discs as valid lon/lat Polygons or MultiPolygons.

    Parameters
    ----------
    lon, lat : float or array_like
        Centres in degrees; broadcast against ``radius_km``.
    radius_km : float or array_like
        Radii in km, greater than 0 and below the antipodal distance (~20,004 km).
    tolerance_km : float, default 0.1
        Largest distance between any point of the polygon boundary and the true circle.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Geodesic solver and assembler (see :func:`geoinf.engine.resolve_engine`); the
        compiled engine also builds the coordinate arrays of the polygons in compiled loops.

    Returns
    -------
    ndarray of shapely geometries
        One per broadcast (lon, lat, radius_km), flattened.

    Examples
    --------
    >>> disc = disc_polygons(24.41, 44.08, 5500)[0]  # Deveselu: contains the North Pole
    >>> disc.is_valid, disc.contains(shapely.Point(0, 89.99)), disc.bounds[::2]
    (True, True, (-180.0, 180.0))
    """
    lon, lat, radius = validate_circles(lon, lat, radius_km)
    engine = resolve_engine(engine, work=lon.size * _VERTICES)
    to_north, to_south = pole_distances_km(lat)
    north, south = to_north <= radius, to_south <= radius
    if engine == "numba" and (radius <= CUT_LOCUS_CHECK_KM).all():
        return _discs_compiled(lon, lat, radius, north, south, tolerance_km)
    coords, offsets = ring_boundaries(lon, lat, radius, tolerance_km=tolerance_km, engine=engine)
    out = np.empty(lon.size, dtype=object)
    one_pole = north != south
    if one_pole.any():
        out[one_pole] = _pole_caps(coords, offsets, np.flatnonzero(one_pole), north)
    no_pole = ~one_pole
    if no_pole.any():
        # a ring around no pole, or around both (then it bounds the hole at the antipode)
        polys = _polygons_around_no_pole(coords, offsets, np.flatnonzero(no_pole))
        both = north[no_pole] & south[no_pole]
        if both.any():
            holes = polys[both]
            polys[both] = shapely.orient_polygons(shapely.difference(_WORLD, holes))
        out[no_pole] = polys
    return out


def _ragged_index(offsets: NDArray[np.intp], rings: NDArray[np.intp]):
    """Return the flat vertex indices of ``rings``, their lengths and each one's ring slot."""
    lengths = offsets[rings + 1] - offsets[rings]
    slot = np.repeat(np.arange(rings.size), lengths)
    starts = np.repeat(offsets[rings], lengths)
    first = np.repeat(np.cumsum(lengths) - lengths, lengths)
    pos = np.arange(lengths.sum()) - first
    return starts + pos, lengths, slot, pos


def _unwrapped_lon(lon: NDArray, lengths: NDArray, first_of_slot: NDArray) -> NDArray:
    """Make longitudes continuous along each ring (steps wrapped into [-180, 180))."""
    step = (np.diff(lon, prepend=lon[:1]) + 180.0) % 360.0 - 180.0
    step[first_of_slot] = 0.0
    cum = np.cumsum(step)
    start_cum = np.repeat(cum[first_of_slot], lengths)
    return np.repeat(lon[first_of_slot], lengths) + cum - start_cum


def _polygons_around_no_pole(coords, offsets, rings) -> NDArray[np.object_]:
    """Polygons of rings that wind around no pole, split at ±180° where they cross it.

    The engine's rings are counter-clockwise; longitudes are unwrapped along each
    ring, so a ring that crosses ±180° is one polygon reaching past it, which is
    then cut at ±180° and its far part shifted by 360° onto the other side.
    """
    idx, lengths, slot, _ = _ragged_index(offsets, rings)
    first = np.cumsum(lengths) - lengths
    ulon = _unwrapped_lon(coords[idx, 0], lengths, first)
    xy = np.stack([ulon, coords[idx, 1]], axis=-1)
    polys = shapely.polygons(shapely.linearrings(xy, indices=slot))
    lo = np.minimum.reduceat(ulon, first)
    hi = np.maximum.reduceat(ulon, first)
    crossing = (lo < -180.0) | (hi > 180.0)
    if crossing.any():
        polys[crossing] = _split_antimeridian(polys[crossing], hi[crossing])
    return polys


def _split_antimeridian(part: NDArray[np.object_], hi: NDArray) -> NDArray[np.object_]:
    """Cut unwrapped polygons at ±180° and move the far part by 360° (shapely overlay)."""
    shift = np.repeat(np.where(hi > 180.0, -360.0, 360.0), shapely.get_num_coordinates(part))
    moved = shapely.transform(part, lambda c: c + np.stack([shift, np.zeros_like(shift)], -1))
    split = shapely.union(shapely.intersection(part, _WORLD), shapely.intersection(moved, _WORLD))
    return shapely.orient_polygons(split)


def _discs_compiled(lon, lat, radius, north, south, tolerance_km) -> NDArray[np.object_]:
    """:func:`disc_polygons` on the compiled engine (:func:`geoinf.engine.compiled_discs`).

    Rings that cross ±180° more than twice (or are wider than the world) are split
    here as in :func:`_polygons_around_no_pole`.
    """
    tolerance_km = validate_tolerance(tolerance_km, lon.size, _VERTICES)
    maybe = may_need_vertices(lat, radius, _VERTICES, tolerance_km)
    polys, unsplit, hi = compiled_discs(lon, lat, radius, north, south, maybe,
                                        densify_rule(tolerance_km), n_vertices=_VERTICES)
    if unsplit.any():
        polys[unsplit] = _split_antimeridian(polys[unsplit], hi[unsplit])
    both = north & south  # the ring bounds the hole around the antipode
    if both.any():
        polys[both] = shapely.orient_polygons(shapely.difference(_WORLD, polys[both]))
    return polys


def _pole_caps(coords, offsets, rings, north) -> NDArray[np.object_]:
    """Polygons of rings around exactly one pole, closed along the pole's parallel.

    Such a ring crosses every meridian once, so its longitude runs monotonically
    through 360°. It is rotated to start just east of ±180°, then closed by
    (180, φ*), (180, ±90), (-180, ±90), (-180, φ*) where φ* is its latitude at ±180°.
    """
    idx, lengths, slot, pos = _ragged_index(offsets, rings)
    first = np.cumsum(lengths) - lengths
    lon, lat = coords[idx, 0], coords[idx, 1]
    ulon = _unwrapped_lon(lon, lengths, first)
    last = first + lengths - 1
    winding = ulon[last] + (lon[first] - lon[last] + 180.0) % 360.0 - 180.0 - ulon[first]
    # order each ring by increasing longitude: reverse those that wind westward
    west = np.repeat(winding < 0, lengths)
    order = np.where(west, np.repeat(last, lengths) - pos, np.arange(idx.size))
    lon, lat = lon[order], lat[order]
    wrapped = (lon + 180.0) % 360.0 - 180.0
    # the one place per ring where the wrapped longitude drops is where it crosses ±180°
    nxt = np.where(pos == np.repeat(lengths - 1, lengths), np.repeat(first, lengths),
                   np.arange(idx.size) + 1)
    drop = wrapped[nxt] < wrapped
    drop_pos = np.zeros(rings.size, dtype=np.intp)
    drop_pos[slot[drop]] = pos[drop]  # the last drop wins if rounding made several
    start = (drop_pos + 1) % lengths
    rot = (np.repeat(first, lengths)
           + (pos + np.repeat(start, lengths)) % np.repeat(lengths, lengths))
    rlon, rlat = wrapped[rot], lat[rot]
    # the edge from the last vertex back to the first crosses 180°: its latitude there
    a_lon, a_lat = rlon[last], rlat[last]
    b_lon, b_lat = rlon[first] + 360.0, rlat[first]
    span = b_lon - a_lon
    frac = np.divide(180.0 - a_lon, span, out=np.zeros_like(span), where=span > 0)
    cross_lat = a_lat + frac * (b_lat - a_lat)
    pole_lat = np.where(north[rings], 90.0, -90.0)
    head = np.stack([np.full(rings.size, -180.0), cross_lat], axis=-1)
    tail = np.stack([[180.0, 180.0, -180.0, -180.0] * np.ones((rings.size, 1)),
                     np.stack([cross_lat, pole_lat, pole_lat, cross_lat], axis=-1)], axis=-1)
    body = np.stack([rlon, rlat], axis=-1)
    n_out = lengths + 5
    out = np.empty((n_out.sum(), 2))
    out_first = np.cumsum(n_out) - n_out
    out[out_first] = head
    body_at = np.repeat(out_first + 1, lengths) + pos
    out[body_at] = body
    tail_at = (out_first + 1 + lengths)[:, None] + np.arange(4)
    out[tail_at.ravel()] = tail.reshape(-1, 2)
    ring_offsets = np.concatenate([[0], np.cumsum(n_out)])
    polys = shapely.from_ragged_array(shapely.GeometryType.POLYGON, out,
                                      (ring_offsets, np.arange(rings.size + 1)))
    south_caps = ~north[rings]
    if south_caps.any():  # built eastward along the rim then west along -90: clockwise
        polys[south_caps] = shapely.orient_polygons(polys[south_caps])
    return polys


def _frame(geometry: NDArray[np.object_], columns: dict) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(columns), geometry=geometry, crs=_CRS)


def range_rings(lon: ArrayLike, lat: ArrayLike, radius_km: ArrayLike | None = None, *,
                tolerance_km: float = 0.1, engine: str = "auto") -> gpd.GeoDataFrame:
    """Return geodesic range discs around sites as a GeoDataFrame.

    Also called as ``range_rings(sites, radius_km)`` with a sites table (points, lines
    or polygons: see :func:`geoinf.sites.site_rings`).

    Parameters
    ----------
    lon, lat : float or array_like
        Sites in degrees; broadcast against ``radius_km``.
    radius_km : float or array_like
        Ranges in kilometres, greater than 0 and below the antipodal distance.
    tolerance_km : float, default 0.1
        Largest distance between any point of a boundary and the true geodesic circle.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Geodesic solver (see :func:`geoinf.engine.resolve_engine`); ``"auto"`` uses
        the compiled engine when numba is installed and the job is large.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326; columns ``lon, lat, radius_km, geometry``, one row per broadcast
        (lon, lat, radius_km). Use :func:`dissolve` to merge several sites.

    Examples
    --------
    >>> rings = range_rings(24.41, 44.08, [500, 1000, 5500])  # Deveselu
    >>> rings[["radius_km"]].assign(type=rings.geom_type, valid=rings.is_valid)
       radius_km     type  valid
    0      500.0  Polygon   True
    1     1000.0  Polygon   True
    2     5500.0  Polygon   True
    >>> range_rings(177.5, 64.7, 500).geom_type[0]  # Anadyr: split at the antimeridian
    'MultiPolygon'
    """
    if isinstance(lon, pd.DataFrame):
        from .sites import site_rings  # sites (and their buffers) build on this module
        return site_rings(lon, lat if radius_km is None else radius_km,
                          tolerance_km=tolerance_km, engine=engine)
    lon, lat, radius = validate_circles(lon, lat, radius_km)
    geometry = disc_polygons(lon, lat, radius, tolerance_km=tolerance_km, engine=engine)
    return _frame(geometry, {"lon": lon, "lat": lat, "radius_km": radius})


def validate_edges(edges_km: Sequence[float]) -> NDArray[np.float64]:
    """Check band edges: two or more increasing distances in km, from 0 to the antipode.

    Examples
    --------
    >>> validate_edges((500, 1000, 5500))
    array([ 500., 1000., 5500.])
    >>> validate_edges((1000, 500))
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: edges_km=[1000.0, 500.0] must be strictly increasing
    """
    if isinstance(edges_km, str | bytes) or edges_km is None:
        raise InputError(f"edges_km={edges_km!r} is not a list of numbers (e.g. 500, 1000)")
    try:
        edges = np.asarray(edges_km, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"edges_km={edges_km!r} is not a list of numbers") from None
    shown = f"edges_km={edges.tolist()}"
    if edges.size < 2:
        raise InputError(f"{shown} needs at least two edges (e.g. 500, 1000)")
    if not np.isfinite(edges).all() or (edges < 0).any():
        raise InputError(f"{shown} must be finite and not negative")
    if (np.diff(edges) <= 0).any():
        raise InputError(f"{shown} must be strictly increasing")
    if edges[-1] >= ANTIPODAL_KM:
        raise InputError(f"{shown}: {edges[-1]:g} km is not below the antipodal distance of "
                         f"{ANTIPODAL_KM:,.2f} km (the farthest any point is)")
    return edges


def range_bands(lon: ArrayLike, lat: ArrayLike | None = None,
                edges_km: Sequence[float] = INF_EDGES_KM, *,
                tolerance_km: float = 0.1, engine: str = "auto") -> gpd.GeoDataFrame:
    """Return geodesic bands (annuli) between consecutive range edges around sites.

    Also called as ``range_bands(sites, edges_km)`` with a sites table (points, lines
    or polygons: see :func:`geoinf.sites.site_rings`).

    Parameters
    ----------
    lon, lat : float or array_like
        Sites in degrees; broadcast together.
    edges_km : sequence of float, default (500, 1000, 5500)
        Increasing band edges in km. A first edge of 0 makes the first band a full
        disc, e.g. ``(0, 500, 1000, 5500)``.
    tolerance_km : float, default 0.1
        Largest distance between any point of a boundary and the true geodesic circle.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Geodesic solver (see :func:`geoinf.engine.resolve_engine`); ``"auto"`` uses
        the compiled engine when numba is installed and the job is large.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326; columns ``lon, lat, min_km, max_km, band, geometry``, one row per
        site and band (site-major). ``band`` names the INF classes
        ("shorter-range" for 500-1,000 km, "intermediate-range" for 1,000-5,500 km).

    Examples
    --------
    >>> bands = range_bands(24.41, 44.08)
    >>> bands[["min_km", "max_km", "band"]]
       min_km  max_km                band
    0   500.0  1000.0       shorter-range
    1  1000.0  5500.0  intermediate-range
    """
    if isinstance(lon, pd.DataFrame):
        from .sites import site_rings  # sites (and their buffers) build on this module
        return site_rings(lon, edges_km if lat is None else lat, bands=True,
                          tolerance_km=tolerance_km, engine=engine)
    edges = validate_edges(edges_km)
    (lon, lat), _ = validate_points(lon=lon, lat=lat)
    positive = edges[edges > 0]
    discs = disc_polygons(lon[:, None], lat[:, None], positive[None, :],
                          tolerance_km=tolerance_km,
                          engine=engine).reshape(lon.size, positive.size)
    if edges[0] == 0:
        inner = np.concatenate([np.full((lon.size, 1), None), discs[:, :-1]], axis=1)
        outer = discs
    else:
        inner, outer = discs[:, :-1], discs[:, 1:]
    geometry = outer.ravel().copy()
    has_inner = inner.ravel() != None  # noqa: E711 (elementwise on an object array)
    if has_inner.any():
        geometry[has_inner] = shapely.orient_polygons(
            shapely.difference(outer.ravel()[has_inner], inner.ravel()[has_inner]))
    n_bands = edges.size - 1
    labels = [band_label(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return _frame(geometry, {
        "lon": np.repeat(lon, n_bands), "lat": np.repeat(lat, n_bands),
        "min_km": np.tile(edges[:-1], lon.size), "max_km": np.tile(edges[1:], lon.size),
        "band": np.tile(labels, lon.size)})


def dissolve(frame: gpd.GeoDataFrame, by: str | Sequence[str] = "radius_km") -> gpd.GeoDataFrame:
    """Union the rings or bands of several sites into one geometry per group.

    The union is taken in lon/lat, where every input polygon is already split at
    ±180° and closed over its pole, so the coverage stays valid and pole-correct.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Output of :func:`range_rings` or :func:`range_bands` (or a subset).
    by : str or sequence of str, default "radius_km"
        Columns to group by, e.g. ``"radius_km"`` for rings or ``["min_km", "max_km",
        "band"]`` for bands.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per group with the grouping columns, ``n_sites`` and the union.

    Examples
    --------
    >>> rings = range_rings([24.41, 17.10], [44.08, 54.48], 1000)  # Deveselu, Redzikowo
    >>> cover = dissolve(rings)
    >>> len(cover), int(cover.n_sites[0]), bool(cover.is_valid[0])
    (1, 2, True)
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError("frame must be a GeoDataFrame (e.g. of range_rings or range_bands), "
                         f"not {type(frame).__name__}")
    keys = _validate.keys(by, "by")
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise InputError(f"cannot dissolve by {missing}: columns are {list(frame.columns)}")
    rows = []
    for key, group in frame.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        union = shapely.orient_polygons(shapely.union_all(group.geometry.values))
        rows.append((*key, len(group), union))
    columns = [*keys, "n_sites", "geometry"]
    out = pd.DataFrame(rows, columns=columns)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs or _CRS)
