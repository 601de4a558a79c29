"""People and area per group of annuli: the population layers summed behind the exposure tables.

Places (points) are summed by exact ellipsoidal distance, after a spherical prefilter
(:func:`spherical_km`) that settles every place not near a band edge; rasters in their own
CRS (:mod:`geoinf.raster_crs`) by the cell-centre rule, exactly: by the row-interval
method of :mod:`geoinf.row_intervals` where rows are parallels, cell by cell near the
discs' edges elsewhere, reading only the tiles in range (:mod:`geoinf.raster_blocks`);
band areas and the share of each band that a layer covers are measured on a 0.1° grid.
:mod:`geoinf.exposure` defines the public tables and their column names.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import pandas as pd
from affine import Affine
from numpy.typing import ArrayLike, NDArray
from rasterio.crs import CRS

from . import _validate, raster_blocks, row_intervals
from .constants import MEAN_RADIUS_KM
from .engine import inverse
from .errors import InputError
from .places import PLACE_COLUMNS, country_at, embedded_countries, load_places
from .raster import cell_area_km2, open_population
from .raster_crs import lonlat_on_grid, raster_grid

__all__ = [
    "SPHERE_EPS",
    "SPHERE_SLACK_KM",
    "places_frame",
    "unit_vectors",
    "spherical_km",
    "exact_km",
    "point_hits",
    "places_sums",
    "raster_sums",
    "group_areas",
]

SPHERE_EPS = 0.0075
"""Bound on ``|spherical / ellipsoidal distance - 1|`` (< 0.0057 on WGS84: curvature radii)."""
SPHERE_SLACK_KM = 1e-3
"""Absolute slack, km: rounding of the spherical distance (arccos near 1) and of the bounds."""
_AREA_DEG = 0.1  # grid for band areas and coverage


@functools.lru_cache(maxsize=1)
def _embedded_places() -> pd.DataFrame:
    """Return the embedded places without geometry, read once per process (copy before use)."""
    return pd.DataFrame(load_places().drop(columns="geometry"))


def places_frame(places, min_population: float) -> pd.DataFrame:
    """Return a places layer as a plain frame of the places with ``min_population`` or more.

    Parameters
    ----------
    places : None, path or DataFrame
        None for the embedded GeoNames places, a path for :func:`geoinf.load_places`, or a
        frame with :data:`geoinf.places.PLACE_COLUMNS` (checked: coordinates in range,
        populations >= 0).
    min_population : float
        Smallest place kept.

    Returns
    -------
    DataFrame
        The places (no geometry, index 0..n-1) with a ``country`` column (``iso_a3``, else
        empty).

    Raises
    ------
    InputError
        A frame without the columns, or with a value out of range.
    """
    if places is None:
        frame = _embedded_places()
        frame = frame[frame["population"] >= min_population]
    elif isinstance(places, str | os.PathLike):
        frame = load_places(places, min_population=min_population)
    else:
        _validate.frame(places, "places", PLACE_COLUMNS)
        _validate.frame_numbers(places, "lon", "places", lo=-180, hi=180)
        _validate.frame_numbers(places, "lat", "places", lo=-90, hi=90)
        _validate.frame_numbers(places, "population", "places", lo=0)
        frame = places[places["population"] >= min_population]
    frame = pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).reset_index(drop=True)
    if "country" not in frame:
        frame["country"] = frame["iso_a3"] if "iso_a3" in frame else ""
    return frame


def unit_vectors(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
    """Return the unit vectors (n, 3) of points on the sphere, for :func:`spherical_km`."""
    lam, phi = np.radians(lon), np.radians(lat)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=1)


def spherical_km(a: NDArray, b: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Return spherical distances and bounds of the ellipsoidal ones, in km.

    Parameters
    ----------
    a, b : ndarray
        Unit vectors (:func:`unit_vectors`): ``a`` of shape (n, 3), ``b`` (m, 3) or (3,).

    Returns
    -------
    d, lower, upper : ndarray
        Distances on the mean-radius sphere, (n, m) or (n,), and bounds that hold the
        WGS84 distance: ``lower <= ellipsoidal <= upper`` (:data:`SPHERE_EPS`,
        :data:`SPHERE_SLACK_KM`).

    Examples
    --------
    >>> d, lower, upper = spherical_km(unit_vectors([13.4], [52.5]), unit_vectors([20.5], [54.7]))
    >>> print(f"{lower[0, 0]:.1f} <= {exact_km(13.4, 52.5, 20.5, 54.7)[()]:.1f} <= "
    ...       f"{upper[0, 0]:.1f}")
    524.2 <= 529.7 <= 532.1
    """
    d = MEAN_RADIUS_KM * np.arccos(np.clip(a @ b.T, -1.0, 1.0))
    return d, d * (1 - SPHERE_EPS) - SPHERE_SLACK_KM, d * (1 + SPHERE_EPS) + SPHERE_SLACK_KM


def exact_km(lon1, lat1, lon2, lat2, *, engine: str = "auto") -> NDArray[np.float64]:
    """Return ellipsoidal (WGS84) distances in km, broadcast over the four arguments.

    ``engine`` as for :func:`geoinf.engine.resolve_engine` (:func:`geoinf.engine.inverse`:
    the compiled inverse, with pyproj for the pairs it declines).

    Examples
    --------
    >>> print(f"{exact_km(13.405, 52.52, 21.01, 52.23)[()]:.3f}")
    518.684
    """
    shape = np.broadcast_shapes(*(np.shape(a) for a in (lon1, lat1, lon2, lat2)))
    return (inverse(lon1, lat1, lon2, lat2, engine=engine)[2] / 1000.0).reshape(shape)


# --- places layer ----------------------------------------------------------------------

def _iso_a3(frame: pd.DataFrame) -> NDArray:
    if "iso_a3" in frame:
        return frame["iso_a3"].astype(str).to_numpy()
    return country_at(frame["lon"], frame["lat"])


def point_hits(annuli: pd.DataFrame, members: list[NDArray], lon: NDArray, lat: NDArray, *,
               engine: str = "auto") -> NDArray[np.bool_]:
    """Return which points lie in each group's union of annuli, by exact distance.

    A point is in an annulus when ``inner_km < d <= outer_km`` (``d <= outer_km`` for a
    disc), ``d`` the ellipsoidal distance; the spherical bounds (:func:`spherical_km`)
    settle every point not near an edge, an exact inverse the others. Around an area
    site (an ``area`` geometry), ``d`` is the exact distance to the area
    (:func:`geoinf.area_sums.within`).

    Parameters
    ----------
    annuli, members
        As for :func:`places_sums`.
    lon, lat : ndarray
        The points, in degrees.
    engine : str, default "auto"
        Geodesic engine of the exact distances (:func:`exact_km`).

    Returns
    -------
    ndarray of bool, shape (len(members), len(lon))
    """
    is_area = _area_rows(annuli)
    sites, site_of = np.unique(annuli[["lon", "lat"]].to_numpy(float), axis=0,
                               return_inverse=True)
    site_of = np.where(is_area, -1, np.ravel(site_of))
    inside = np.zeros((len(annuli), lon.size), dtype=bool)
    inner, outer = annuli["inner_km"].to_numpy(float), annuli["outer_km"].to_numpy(float)
    p_unit, s_unit = unit_vectors(lon, lat), unit_vectors(sites[:, 0], sites[:, 1])
    if is_area.any():
        from .area_sums import within  # area_sums builds on buffers, which import this module
        for a in np.flatnonzero(is_area):
            radii = [outer[a], inner[a]] if inner[a] > 0 else [outer[a]]
            hit = within(annuli["area"].iloc[a], radii, lon, lat, engine=engine)
            inside[a] = hit[0] & ~hit[1] if inner[a] > 0 else hit[0]
    for s in np.unique(site_of[site_of >= 0]):  # one site at a time: a vector, not a matrix
        mine = np.flatnonzero(site_of == s)
        lo, hi = inner[mine], outer[mine]
        d, lower, upper = spherical_km(p_unit, s_unit[s])
        edges = np.concatenate([lo[lo > 0], hi])
        doubt = ((lower[:, None] <= edges) & (upper[:, None] >= edges)).any(axis=1)
        idx = np.flatnonzero(doubt)
        d[idx] = exact_km(np.full(idx.size, sites[s, 0]), np.full(idx.size, sites[s, 1]),
                          lon[idx], lat[idx], engine=engine)
        # outside the doubt zone the spherical distance is on the right side of every edge;
        # a band is its outer disc minus its inner disc (as on rasters): lo < d <= hi
        inside[mine] = ((d > lo[:, None]) | (lo[:, None] == 0)) & (d <= hi[:, None])
    if not members:
        return np.zeros((0, lon.size), bool)
    return np.stack([inside[m].any(axis=0) for m in members])


def places_sums(annuli: pd.DataFrame, members: list[NDArray], source, min_population: float,
                with_country: bool, *, engine: str = "auto"):
    """Return the people of a places layer in each group's union of annuli.

    Parameters
    ----------
    annuli : DataFrame
        One annulus per row: ``lon, lat`` of its centre, ``inner_km, outer_km``.
    members : list of ndarray
        Per group, the rows of ``annuli`` it unions (each place counted once).
    source : None or path
        The places layer (:func:`places_frame`).
    min_population : float
        Smallest place counted.
    with_country : bool
        Split each group's people by country.
    engine : str, default "auto"
        Geodesic engine of the exact distances (:func:`exact_km`).

    Returns
    -------
    ndarray or DataFrame
        People per group, or a frame of ``group, iso_a3, population`` (non-zero rows).
        A place is in an annulus when ``inner_km < d <= outer_km`` (``d <= outer_km``
        for a disc).
    """
    frame = places_frame(source, min_population)
    p_lon, p_lat = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
    people = frame["population"].to_numpy(float)
    hit = point_hits(annuli, members, p_lon, p_lat, engine=engine)
    if not with_country:
        return hit.astype(float) @ people
    iso = _iso_a3(frame)
    codes, code_of = np.unique(iso, return_inverse=True)
    g, p = np.nonzero(hit)
    sums = np.bincount(g * codes.size + np.ravel(code_of)[p], weights=people[p],
                       minlength=len(members) * codes.size).reshape(len(members), codes.size)
    g, c = np.nonzero(sums)
    return pd.DataFrame({"group": g, "iso_a3": codes[c], "population": sums[g, c]})


# --- raster layer ----------------------------------------------------------------------

def _group_runs(annuli, members, grid, ncols, engine):
    """Return merged runs (group, row, start, stop) of each group's union of annuli.

    ``grid`` has per-row ``row_lat, row_west, row_dlon, col_lo, col_hi``
    (:class:`geoinf.raster_crs.RasterGrid`); rows off the globe (NaN latitude) hold no run.
    """
    rows = grid.rows_on_globe
    is_area = _area_rows(annuli)
    if not is_area.any():
        fast = _disc_runs(annuli, members, grid, rows, ncols, engine)
        if fast is not None:
            return fast
    runs = [None] * len(annuli)
    if is_area.any():
        from .area_sums import annulus_runs  # builds on buffers, which import this module
        for a, r in zip(np.flatnonzero(is_area), annulus_runs(annuli[is_area], grid, rows,
                                                               engine=engine), strict=True):
            runs[a] = r
    points = annuli[~is_area]
    if len(points):
        for a, r in zip(np.flatnonzero(~is_area),
                        _point_runs(points, grid, rows, ncols, engine), strict=True):
            runs[a] = r
    parts = [(np.full(runs[a][0].size, g), *runs[a]) for g, m in enumerate(members)
             for a in m]
    if not parts:
        return (np.zeros(0, np.int64),) * 4
    return row_intervals.union_runs(*(np.concatenate(x) for x in zip(*parts, strict=True)))


def _disc_runs(annuli, members, grid, rows, ncols, engine):
    """Return :func:`_group_runs` when every group is one distinct disc, else None.

    The common case (one disc per site, inner radius 0): the discs' runs are the groups'
    runs, with no deduplication of discs, no annulus differences and no union of
    annuli; the result is the same arrays.
    """
    if not members or any(len(m) != 1 for m in members):
        return None
    lon, lat, inner, outer = _disc_columns(annuli)
    if len(members) == 1:
        which = members[0]
    else:
        which = np.array([m[0] for m in members], dtype=np.intp)
    if len(which) != lon.size or (which != np.arange(lon.size)).any():
        lon, lat, inner, outer = lon[which], lat[which], inner[which], outer[which]
    if (inner != 0).any():
        return None
    if lon.size > 1 and len(np.unique(np.stack([lon, lat, outer], axis=1), axis=0)) \
            < lon.size:
        return None  # repeated discs: the general path solves each once
    on = np.flatnonzero(outer > 0)
    if on.size != lon.size:
        lon, lat, outer = lon[on], lat[on], outer[on]
    # the rows on the globe, prepared once per grid (grid.row_table holds ``rows``)
    d, row, start, stop = row_intervals.table_intervals(grid.row_table, lon, lat, outer,
                                                        engine=engine)
    if rows.size != grid.row_lat.size:
        row = rows[row]
    if on.size == 1 and not stop[:, 1].any():
        # one disc meeting each row once (no ±180° wrap; every entry has its run in slot 0,
        # the other slot 0:0): rows already distinct; sorted here, the runs are
        # union_runs' result without its sort and merge
        start, stop = start[:, 0], stop[:, 0]
        if row.size > 1 and row[0] > row[-1]:
            row, start, stop = row[::-1], start[::-1], stop[::-1]
        if row.size < 2 or (row[1:] > row[:-1]).all():
            return (np.full(row.size, on[0], dtype=np.int64), row.astype(np.int64),
                    start.astype(np.int64), stop.astype(np.int64))
    keep = stop > start  # two slots per entry
    return row_intervals.union_runs(np.repeat(on[d], 2).reshape(-1, 2)[keep],
                                    np.repeat(row, 2).reshape(-1, 2)[keep], start[keep],
                                    stop[keep])


def _disc_columns(annuli: pd.DataFrame) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Return the ``lon, lat, inner_km, outer_km`` columns of annuli as float arrays."""
    names = ["lon", "lat", "inner_km", "outer_km"]
    if list(annuli.columns) == names:  # a frame of these four numbers: one conversion
        values = annuli.to_numpy(dtype=float)
        return values[:, 0], values[:, 1], values[:, 2], values[:, 3]
    return tuple(annuli[c].to_numpy(float) for c in names)


def _area_rows(annuli: pd.DataFrame) -> NDArray[np.bool_]:
    """Return which annuli are around an area site (a non-null ``area`` geometry)."""
    if "area" not in annuli:
        return np.zeros(len(annuli), dtype=bool)
    return annuli["area"].notna().to_numpy()


def _point_runs(annuli, grid, rows, ncols, engine) -> list[tuple]:
    """Return the column runs (row, start, stop) of each annulus around a point site."""
    lon = annuli["lon"].to_numpy(float)
    lat = annuli["lat"].to_numpy(float)
    radius = np.concatenate([annuli["outer_km"].to_numpy(float),
                             annuli["inner_km"].to_numpy(float)])
    discs, disc_of = np.unique(np.stack([np.tile(lon, 2), np.tile(lat, 2), radius], axis=1),
                               axis=0, return_inverse=True)
    disc_of = np.ravel(disc_of)
    positive = discs[:, 2] > 0
    d, row, start, stop = row_intervals.grid_intervals(
        discs[positive, 0], discs[positive, 1], discs[positive, 2],
        row_lat=grid.row_lat[rows], west=grid.row_west[rows], dlon=grid.row_dlon[rows],
        ncols=ncols, col_range=(grid.col_lo[rows], grid.col_hi[rows]),
        row_meridian_km=grid.row_meridian_km[rows], engine=engine)
    row = rows[row]
    d = np.flatnonzero(positive)[d]
    order = np.lexsort((row, d))
    d, row, start, stop = d[order], row[order], start[order], stop[order]
    bounds = np.searchsorted(d, np.arange(len(discs) + 1))

    def entries(k):
        sl = slice(bounds[k], bounds[k + 1])
        return row[sl], start[sl], stop[sl]

    n = len(annuli)
    return [row_intervals.annulus_runs(entries(disc_of[a]),
                                       entries(disc_of[n + a]) if positive[disc_of[n + a]]
                                       else None, ncols) for a in range(n)]


def raster_sums(annuli: pd.DataFrame, members: list[NDArray], source, kind: str,
                with_country: bool, progress=None, *, nodata: float | None = None,
                engine: str = "auto"):
    """Return the people of a raster in each group's union of annuli (cell-centre rule).

    The raster is read in its own CRS (:mod:`geoinf.raster_crs`), never reprojected.
    Where rows are parallels (lon/lat grids, cylindrical and pseudocylindrical
    projections) each disc meets a row in column runs (:mod:`geoinf.row_intervals`,
    O(rows)); in any other projected CRS, windows surely inside or outside a group are
    settled in bulk and the cells of the others are decided by exact distance
    (:func:`geoinf.raster_blocks.cell_sums`). Only the tiles that hold cells in range
    are read (:mod:`geoinf.raster_blocks`), in bounded memory. Every window read is
    checked (:meth:`~geoinf.raster.PopulationRaster.read`): a value that is not a
    population stops the sum with one InputError.

    Parameters
    ----------
    annuli, members, with_country
        As for :func:`places_sums`.
    source : None or path
        The raster (None: the embedded indicative grid).
    kind : {"count", "density"}
        People per cell or per km².
    progress : callable, optional
        Called with (done, total) windows read.
    nodata : float, optional
        The value the caller declares missing (see
        :func:`~geoinf.raster.open_population`).
    engine : str, default "auto"
        Geodesic engine of the row intervals and exact distances.

    Returns
    -------
    ndarray or DataFrame
        As for :func:`places_sums` (``iso_a3`` "" for cells outside every country).
    """
    with open_population(source, kind=kind, nodata=nodata) as pop:
        grid = pop.grid
        countries = raster_blocks.country_ids(pop, embedded_countries()) if with_country else None
        if grid.kind == "cells":
            if _area_rows(annuli).any():
                raise InputError(f"{pop.path}: area sites are summed on rasters whose rows are "
                                 "parallels (lon/lat, cylindrical, pseudocylindrical CRS); "
                                 f"this one is in {grid.crs.name}")
            sums = raster_blocks.cell_sums(
                pop, annuli, members, countries=countries, progress=progress,
                hits=functools.partial(point_hits, engine=engine))
        else:
            group, row, start, stop = _group_runs(annuli, members, grid, pop.dataset.width,
                                                  engine)
            sums = raster_blocks.run_sums(pop, group, row, start, stop, len(members),
                                          countries=countries, progress=progress,
                                          engine=engine)
    if not with_country:
        return sums
    codes = embedded_countries()["iso_a3"].astype(str).to_numpy()
    names = np.concatenate([[""], codes])
    g, c = np.nonzero(sums)
    return pd.DataFrame({"group": g, "iso_a3": names[c], "population": sums[g, c]})


# --- areas and coverage ----------------------------------------------------------------

def _area_grid():
    nrows, ncols = int(round(180 / _AREA_DEG)), int(round(360 / _AREA_DEG))
    row_lat = 90.0 - _AREA_DEG * (np.arange(nrows) + 0.5)
    cell = cell_area_km2(row_lat - _AREA_DEG / 2, row_lat + _AREA_DEG / 2, _AREA_DEG)
    return row_lat, ncols, cell


def group_areas(annuli: pd.DataFrame, members: list[NDArray], layer_kind: str, source,
                min_population: float, *, engine: str = "auto") -> tuple[NDArray, NDArray]:
    """Return each group's area (km² on WGS84) and the share of it the layer covers.

    Both are measured on a 0.1° grid by the cell-centre rule: the area is the sum of the
    ellipsoidal areas of the cells whose centre is in the union of annuli; coverage is
    the share of it inside the layer's extent (a raster's bounds; a places file's
    bounding box; for the embedded places, all but the land of the countries not listed
    down to ``min_population``), rounded to 4 digits, 1 for an empty group.

    Parameters
    ----------
    annuli, members
        As for :func:`places_sums`.
    layer_kind : {"places", "raster"}
        The kind of layer.
    source : None or path
        The layer (None: embedded).
    min_population : float
        Places layer: the smallest place counted.
    engine : str, default "auto"
        Geodesic engine of the row intervals.
    """
    row_lat, ncols, cell = _area_grid()
    grid = raster_grid(CRS.from_epsg(4326), Affine(_AREA_DEG, 0, -180, 0, -_AREA_DEG, 90),
                       (row_lat.size, ncols))
    group, row, start, stop = _group_runs(annuli, members, grid, ncols, engine)
    area = np.bincount(group, weights=(stop - start) * cell[row], minlength=len(members))
    prefix = _coverage_prefix(layer_kind, source, min_population)
    covered = np.bincount(group, weights=(prefix[row, stop] - prefix[row, start]) * cell[row],
                          minlength=len(members))
    with np.errstate(invalid="ignore", divide="ignore"):
        cover = np.where(area > 0, np.round(covered / area, 4), 1.0)
    return area, cover


def _box_mask(west, south, east, north) -> NDArray[np.bool_]:
    row_lat, ncols, _ = _area_grid()
    lon = -180.0 + _AREA_DEG * (np.arange(ncols) + 0.5)
    if east - west >= 360:
        cols = np.ones(ncols, bool)
    else:
        off = (lon - west) % 360.0
        cols = off <= (east - west)
    rows = (row_lat >= south) & (row_lat <= north)
    return rows[:, None] & cols[None, :]


def _footprint_mask(pop) -> NDArray[np.bool_]:
    """Return the area-grid cells whose centre falls on a cell of a projected raster."""
    row_lat, ncols, _ = _area_grid()
    lon = -180.0 + _AREA_DEG * (np.arange(ncols) + 0.5)
    t, shape = pop.dataset.transform, pop.dataset.shape
    step = 64  # parallels at a time: bounded memory
    return np.concatenate([
        lonlat_on_grid(pop.grid, t, shape, np.tile(lon, lat.size),
                       np.repeat(lat, ncols)).reshape(lat.size, ncols)
        for lat in (row_lat[i:i + step] for i in range(0, row_lat.size, step))])


@functools.lru_cache(maxsize=8)
def _coverage_prefix(layer_kind, source, min_population) -> NDArray[np.int32]:
    """Return the row prefix sums of :func:`_coverage_mask` (cached, read-only)."""
    mask = _coverage_mask(layer_kind, source, min_population)
    prefix = np.zeros((mask.shape[0], mask.shape[1] + 1), dtype=np.int32)
    np.cumsum(mask, axis=1, out=prefix[:, 1:])
    prefix.setflags(write=False)
    return prefix


def _coverage_mask(layer_kind, source, min_population) -> NDArray[np.bool_]:
    if layer_kind == "raster":
        # only the bounds are read: open as a density so that no unit check applies
        with open_population(source, kind="density") as pop:
            if pop.grid.kind == "lonlat":
                west, south, east, north = pop.bounds
                return _box_mask(west, min(south, north), east, max(south, north))
            return _footprint_mask(pop)
    frame = places_frame(source, min_population)
    if source is not None or "min_population" not in frame:
        return _box_mask(frame["lon"].min(), frame["lat"].min(), frame["lon"].max(),
                         frame["lat"].max())
    # the embedded table: covered, except the land of countries not listed down to the
    # threshold (the sea holds no places, so it is covered)
    threshold = max(float(min_population), 500.0)
    listed = frame.groupby("iso_a3")["min_population"].min()
    complete = set(listed.index[listed <= threshold])
    from rasterio import features
    countries = embedded_countries()
    shapes = [g for g, iso in zip(countries.geometry.values, countries["iso_a3"], strict=True)
              if iso not in complete]
    row_lat, ncols, _ = _area_grid()
    if not shapes:
        return np.ones((row_lat.size, ncols), bool)
    return features.rasterize(((g, 1) for g in shapes), out_shape=(row_lat.size, ncols),
                              transform=Affine(_AREA_DEG, 0, -180, 0, -_AREA_DEG, 90),
                              dtype="uint8") == 0
