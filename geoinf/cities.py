"""Cities in range: the places within a distance band of any of a set of sites.

Membership is decided by **exact ellipsoidal distance** (WGS84), never by polygons.
A cheap spherical distance (one matrix product of unit vectors,
:func:`geoinf.population_sums.spherical_km`) classifies most place x site pairs with a
proven margin; only pairs near a band edge, and the candidates for the nearest site, get
the exact solve. With the compiled engine, each place is reduced in one compiled pass
(:func:`geoinf.engine.compiled_place_summary`; beyond
:data:`~geoinf.constants.SUMMARY_SITES` sites, :func:`geoinf.engine.compiled_pair_distances`);
pyproj solves the places it declines.

Population from the embedded places is **indicative**: the table lists named places
only (complete down to 500 inhabitants in Europe and its neighbours, 15,000 elsewhere).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from . import _validate
from .constants import MEAN_RADIUS_KM, SUMMARY_SITES, WGS84
from .engine import (
    compiled_pair_distances,
    compiled_place_summary,
    resolve_engine,
    use_compiled,
)
from .errors import InputError
from .population_layers import is_population_layer, load_population_layer
from .population_sums import (
    SPHERE_EPS,
    SPHERE_SLACK_KM,
    places_frame,
    spherical_km,
    unit_vectors,
)
from .sites import area_sites

__all__ = ["CITY_COLUMNS", "cities_in_range", "site_arrays"]

CITY_COLUMNS = ("name", "country", "population", "lon", "lat", "nearest_site", "distance_km",
                "margin_km", "n_sites", "sites")
"""Columns of :func:`cities_in_range`."""

_CHUNK = 2_000_000  # place x site pairs per chunk
_BOUNDS = {"radius_km": MEAN_RADIUS_KM, "eps": SPHERE_EPS, "slack_km": SPHERE_SLACK_KM}


def site_arrays(sites: pd.DataFrame) -> tuple[NDArray, NDArray, NDArray]:
    """Return the labels (``id``, else ``site``, else ``name``), lon and lat of a sites frame.

    Raises
    ------
    InputError
        Not a frame, no rows, a missing column or a coordinate out of range.

    Examples
    --------
    >>> import pandas as pd
    >>> label, lon, lat = site_arrays(pd.DataFrame({"name": ["a"], "lon": [20.5], "lat": [54.7]}))
    >>> label.tolist(), lon.tolist(), lat.tolist()
    (['a'], [20.5], [54.7])
    """
    _validate.frame(sites, "sites", ("lon", "lat"), one_of=("id", "site", "name"))
    if len(sites) == 0:
        raise InputError("sites: no rows (expected at least one site)")
    label = next(c for c in ("id", "site", "name") if c in sites.columns)
    lon = _validate.frame_numbers(sites, "lon", "sites", lo=-180, hi=180)
    lat = _validate.frame_numbers(sites, "lat", "sites", lo=-90, hi=90)
    return sites[label].astype(str).to_numpy(), lon, lat


def _check_band(min_km, max_km, n: int) -> tuple[NDArray, NDArray]:
    """Return the band edges, one pair per site; InputError unless 0 <= min_km < max_km."""
    lo, hi = (_validate.numbers(v, name, lo=0, allow_inf=True)
              for v, name in ((min_km, "min_km"), (max_km, "max_km")))
    for value, name in ((lo, "min_km"), (hi, "max_km")):
        if value.ndim > 1 or value.size not in (1, n):
            raise InputError(f"{name} has {value.size} values for {n} sites; expected one "
                             "value or one per site")
    lo, hi = np.broadcast_to(lo.ravel(), (n,)), np.broadcast_to(hi.ravel(), (n,))
    bad = ~np.isfinite(lo) | ~np.isfinite(hi) | (lo >= hi)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"min_km={lo[i]:g}, max_km={hi[i]:g}: expected 0 <= min_km < max_km "
                         "(finite km)")
    return lo, hi


def _pyproj_km(lon1, lat1, lon2, lat2) -> NDArray[np.float64]:
    return np.asarray(WGS84.inv(lon1, lat1, lon2, lat2, return_back_azimuth=False)[2]) / 1000.0


def _pair_distances(p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest: bool, engine="auto"):
    """Distances of places x sites: exact where membership or ranking is in doubt.

    Returns (inside, dist, exact): ``inside`` is exact membership; ``dist`` is exact where
    ``exact`` and spherical elsewhere (for places not reached or sites surely farther).
    With the compiled engine, one compiled pass
    (:func:`geoinf.engine.compiled_pair_distances`); places with a pair it leaves to
    pyproj (within 1 mm of an edge, near-antipodal) are redone here.
    """
    if use_compiled(engine):
        inside, dist, exact, redo = compiled_pair_distances(
            p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest, **_BOUNDS)
        rows = np.flatnonzero(redo)
        if rows.size:
            inside[rows], dist[rows], exact[rows] = _pair_distances_pyproj(
                p_lon[rows], p_lat[rows], s_lon, s_lat, lo, hi, need_nearest)
        return inside, dist, exact
    return _pair_distances_pyproj(p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest)


def _pair_distances_pyproj(p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest: bool):
    """:func:`_pair_distances` in numpy, every exact distance by pyproj."""
    dist, lower, upper = spherical_km(unit_vectors(p_lon, p_lat), unit_vectors(s_lon, s_lat))
    sure_in = (lower >= lo) & (upper <= hi)
    doubt = ~sure_in & (upper >= lo) & (lower <= hi)
    exact = doubt.copy()
    i, j = np.nonzero(doubt)
    if i.size:
        dist[i, j] = _pyproj_km(s_lon[j], s_lat[j], p_lon[i], p_lat[i])
    inside = sure_in.copy()
    inside[i, j] = (dist[i, j] >= lo[j]) & (dist[i, j] <= hi[j])
    if need_nearest:
        # exact for every reaching site that could be the nearest or have the best margin
        lower = np.where(exact, dist, lower)
        upper = np.where(exact, dist, upper)
        best_upper = np.where(inside, upper, np.inf).min(axis=1, keepdims=True)
        m_lo = np.minimum(lower - lo, hi - upper)
        m_hi = np.minimum(upper - lo, hi - lower)
        best_m_lo = np.where(inside, m_lo, -np.inf).max(axis=1, keepdims=True)
        cand = inside & ~exact & ((lower <= best_upper) | (m_hi >= best_m_lo))
        i, j = np.nonzero(cand)
        if i.size:
            dist[i, j] = _pyproj_km(s_lon[j], s_lat[j], p_lon[i], p_lat[i])
        exact |= cand
    return inside, dist, exact


def cities_in_range(sites: pd.DataFrame, *, max_km: float | Sequence[float],
                    min_km: float | Sequence[float] = 0.0, places=None,
                    min_population: float = 0, progress=None,
                    engine: str = "auto") -> pd.DataFrame:
    """Return the places within a distance band of any site, by exact ellipsoidal distance.

    Parameters
    ----------
    sites : DataFrame
        Columns ``lon, lat`` and a label: ``id`` (else ``site``, else ``name``), e.g.
        :func:`geoinf.load_sites` or a scenario from :func:`geoinf.load_scenario`. A
        site may be an area (a line or polygon: :func:`geoinf.sites.area_sites`): its
        distance to a place is the exact :func:`geoinf.distance_to_km` (0 inside), and
        so are ``distance_km`` and ``margin_km``.
    max_km, min_km : float or sequence of float
        Band edges in km (``min_km <= d <= max_km``), one value or one per site.
    places : GeoDataFrame, DataFrame or path, optional
        Places with ``name, lon, lat, population`` (default: the embedded GeoNames table),
        or a vector population layer: a file that
        :func:`geoinf.population_layers.is_population_layer` recognises (census grid
        cells, H3 hexagons, polygons), or the frame of
        :func:`geoinf.population_layers.load_population_layer`: each cell is listed as a
        place at its centre point, named by its id.
    min_population : float, default 0
        Only places with at least this many inhabitants.
    progress : callable, optional
        Called as ``progress(done, total)`` with the places done after each chunk.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Geodesic engine (:func:`geoinf.engine.resolve_engine`); both give the same places.

    Returns
    -------
    DataFrame
        :data:`CITY_COLUMNS`: ``nearest_site`` and ``distance_km`` name the nearest
        site in the band; ``margin_km`` is ``min(d - min_km, max_km - d)`` for the site
        with the largest margin (how far inside the band the place is); ``n_sites``
        and ``sites`` (``;``-separated) list every site in the band. Sorted by
        population, descending (stable).

    Examples
    --------
    >>> import geoinf
    >>> sites = geoinf.load_sites().query("id == 'chernyakhovsk'")
    >>> c = cities_in_range(sites, max_km=700, min_population=1_000_000)
    >>> c[["name", "nearest_site", "distance_km", "margin_km"]].head(2).round(1)
         name   nearest_site  distance_km  margin_km
    0  Berlin  chernyakhovsk        603.5       96.5
    1   Minsk  chernyakhovsk        383.6      316.4
    """
    sites = area_sites(sites)
    label, s_lon, s_lat = site_arrays(sites)
    areas = sites["area"].to_numpy(object) if "area" in sites.columns else None
    lo, hi = _check_band(min_km, max_km, label.size)
    min_population = _validate.number(min_population, "min_population", lo=0)
    progress = _validate.optional_callable(progress, "progress")
    resolve_engine(engine)
    if isinstance(places, str | os.PathLike) and is_population_layer(places):
        places = load_population_layer(places)
    frame = places_frame(places, min_population)
    p_lon, p_lat = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
    step = max(1, _CHUNK // max(label.size, 1))
    parts = []
    for a in range(0, len(frame), step):
        if areas is not None:
            hit, *summary = _reach_areas(p_lon[a:a + step], p_lat[a:a + step], s_lon, s_lat,
                                         areas, lo, hi, engine)
        else:
            hit, *summary = _reach(p_lon[a:a + step], p_lat[a:a + step], s_lon, s_lat, lo,
                                   hi, engine)
        parts.append((hit + a, *summary))
        if progress is not None:
            progress(min(a + step, len(frame)), len(frame))
    if parts:
        hit, near, dist_near, margin, n_sites, pattern = (np.concatenate(c)
                                                          for c in zip(*parts, strict=True))
    else:
        hit = near = n_sites = np.zeros(0, np.intp)
        dist_near = margin = np.zeros(0)
        pattern = np.zeros(0 if label.size <= SUMMARY_SITES else (0, label.size), np.int64)
    pop = frame["population"].to_numpy(float)[hit]
    order = _by_population(pop)
    hit, pop, pattern = hit[order], pop[order], pattern[order]
    # one ";"-joined label per pattern of reaching sites
    if pattern.ndim == 1:  # int64 keys (bit j for site j): hashed, no sort
        which, keys = pd.factorize(pattern)
        bits = (keys[:, None] >> np.arange(label.size, dtype=np.int64)) & 1
        names = np.array([";".join(label[b.astype(bool)]) for b in bits], dtype=object)
    else:
        first, which = _patterns(pattern)
        names = np.array([";".join(label[pattern[i]]) for i in first], dtype=object)
    out = pd.DataFrame({
        "name": frame["name"].take(hit).reset_index(drop=True),
        "country": frame["country"].take(hit).reset_index(drop=True),
        "population": pop.astype(np.int64) if np.array_equal(pop, np.round(pop)) else pop,
        "lon": p_lon[hit], "lat": p_lat[hit],
        "nearest_site": _take_strings(label, near[order]),
        "distance_km": dist_near[order],
        "margin_km": margin[order],
        "n_sites": n_sites[order],
        "sites": _take_strings(names, which),
    }, columns=list(CITY_COLUMNS))
    return out


def _by_population(pop: NDArray[np.float64]) -> NDArray[np.intp]:
    """Return the order by population, descending; ties keep their order (a stable sort)."""
    n = pop.size
    if n and pop.min() >= 0 and pop.max() * n < 2.0**62 and np.array_equal(pop, np.round(pop)):
        # whole numbers: unique int64 keys (population, then row; below 2**62, no overflow),
        # so any sort is stable
        return np.argsort((-pop).astype(np.int64) * n + np.arange(n))
    return np.argsort(-pop, kind="stable")


def _take_strings(values: NDArray, codes: NDArray):
    """Return ``values[codes]`` as pandas would store it, taken in Arrow when it stores Arrow.

    No codes give an empty array of the dtype pandas stores text in (as when there are).
    """
    if not len(codes):
        return pd.array([], dtype=pd.Series([""]).dtype)
    dtype = pd.Series(values[:1]).dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa

        taken = pa.array(list(values), type=pa.large_string()).take(pa.array(codes))
        return pd.array(taken, dtype=dtype)
    return values[codes]


def _reach(p_lon, p_lat, s_lon, s_lat, lo, hi, engine):
    """Places in the band of a site: (rows, nearest site, its km, margin km, n_sites, pattern).

    ``pattern`` holds the sites in the band of each place: int64 keys (bit j for site j)
    up to :data:`~geoinf.constants.SUMMARY_SITES` sites, else a boolean places x sites
    matrix. With the compiled engine, one compiled pass reduces each place
    (:func:`geoinf.engine.compiled_place_summary`); the places it leaves to pyproj are
    redone here in numpy.
    """
    m = s_lon.size
    if m <= SUMMARY_SITES and use_compiled(engine):
        near, dist_near, margin, n_sites, key, redo = compiled_place_summary(
            p_lon, p_lat, s_lon, s_lat, lo, hi, **_BOUNDS)
        rows = np.flatnonzero(redo)
        if rows.size:
            inside, dist, _ = _pair_distances_pyproj(p_lon[rows], p_lat[rows], s_lon, s_lat,
                                                     lo, hi, True)
            (near[rows], dist_near[rows], margin[rows], n_sites[rows],
             key[rows]) = _reduce_rows(inside, dist, lo, hi)
        hit = np.flatnonzero(n_sites > 0)
        return hit, near[hit], dist_near[hit], margin[hit], n_sites[hit], key[hit]
    inside, dist, _ = _pair_distances(p_lon, p_lat, s_lon, s_lat, lo, hi, True, engine)
    hit = np.flatnonzero(inside.any(axis=1))
    inside, dist = inside[hit], dist[hit]
    near, dist_near, margin, n_sites, key = _reduce_rows(inside, dist, lo, hi)
    return hit, near, dist_near, margin, n_sites, key if m <= SUMMARY_SITES else inside


def _reach_areas(p_lon, p_lat, s_lon, s_lat, areas, lo, hi, engine):
    """:func:`_reach` with area sites: their columns by exact distance to the area.

    Point sites go through :func:`_pair_distances`; for an area site, every place its
    outer buffer may hold gets the exact :func:`geoinf.distance_to_km`
    (:func:`geoinf.area_sums.distances_within`), the others are farther than ``max_km``.
    """
    from .area_sums import distances_within  # builds on buffers, which import this module
    is_area = areas != None  # noqa: E711 (elementwise on an object array)
    inside = np.zeros((p_lon.size, s_lon.size), dtype=bool)
    dist = np.full((p_lon.size, s_lon.size), np.inf)
    pts = np.flatnonzero(~is_area)
    if pts.size:
        inside[:, pts], dist[:, pts], _ = _pair_distances(
            p_lon, p_lat, s_lon[pts], s_lat[pts], lo[pts], hi[pts], True, engine)
    for j in np.flatnonzero(is_area):
        dist[:, j] = distances_within(areas[j], hi[j], p_lon, p_lat, engine=engine)
        inside[:, j] = (dist[:, j] >= lo[j]) & (dist[:, j] <= hi[j])
    hit = np.flatnonzero(inside.any(axis=1))
    inside, dist = inside[hit], dist[hit]
    near, dist_near, margin, n_sites, key = _reduce_rows(inside, dist, lo, hi)
    return hit, near, dist_near, margin, n_sites, key if s_lon.size <= SUMMARY_SITES else inside


def _reduce_rows(inside, dist, lo, hi):
    """Per row: nearest site in the band, its distance, best margin, n_sites, int64 key."""
    d_in = np.where(inside, dist, np.inf)
    k = d_in.argmin(axis=1)
    m = np.where(inside, np.minimum(dist - lo, hi - dist), -np.inf).max(axis=1)
    n_sites = inside.sum(axis=1)
    if inside.shape[1] <= SUMMARY_SITES:  # one int64 bit per site
        key = inside.astype(np.int64) @ (np.int64(1) << np.arange(inside.shape[1],
                                                                 dtype=np.int64))
    else:
        key = None
    return k, d_in[np.arange(k.size), k], m, n_sites, key


def _patterns(inside: NDArray[np.bool_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Group the rows of a boolean matrix: (first row of each pattern, pattern of each row)."""
    if inside.shape[0] == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    packed = np.packbits(inside, axis=1)
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, which = np.unique(keys, return_index=True, return_inverse=True)
    return first, np.ravel(which)
