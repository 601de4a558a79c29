"""Who lies within reach: cities in range, sites reaching a place, people per band.

Membership is decided by **exact ellipsoidal distance** (WGS84, ``Geod.inv``),
never by polygons. Cities: a cheap spherical distance (one matrix product of unit
vectors) classifies most place x site pairs with a proven margin; only pairs near
a band edge, and the candidates for the nearest site, get the exact solve.
Rasters: the row-interval method of :mod:`geoinf.parallels` with row prefix sums,
exactly the cell-centre rule, streamed in row blocks.

Population from the embedded layers is **indicative**: the places table lists
named places only (complete down to 500 inhabitants in Europe and its
neighbours, 15,000 elsewhere) and the embedded grid is modelled. The
``coverage`` column says which share of each band's area the layer covers.
"""

from __future__ import annotations

import difflib
import functools
import logging
import os
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from . import _validate
from .errors import InputError
from .geodesic import resolve_engine, validate_points
from .layers import (
    _EPS,
    _R_KM,
    _SLACK_KM,
    _areas,
    _exact_km,
    _places,
    _places_sums,
    _pyproj_km,
    _raster_sums,
    _unit,
)
from .population import load_countries
from .rings import validate_edges
from .treaty import INF_EDGES_KM, band_label, inf_class

__all__ = [
    "CITY_COLUMNS",
    "REACH_COLUMNS",
    "EXPOSURE_VALUES",
    "BY_KEYS",
    "ALL_SITES",
    "cities_in_range",
    "resolve_place",
    "sites_reaching",
    "exposure_table",
    "estimate_gap",
    "exposure_diff",
    "ExposureDiff",
]

log = logging.getLogger(__name__)

CITY_COLUMNS = ("name", "country", "population", "lon", "lat", "nearest_site", "distance_km",
                "margin_km", "n_sites", "sites")
"""Columns of :func:`cities_in_range`."""
REACH_COLUMNS = ("site", "site_name", "system", "estimate", "range_km", "distance_km",
                 "margin_km", "inf_class")
"""Columns of :func:`sites_reaching`."""
BY_KEYS = ("site", "system", "estimate", "band", "country")
"""Keys :func:`exposure_table` can group by; omitted keys are unioned (each person once)."""
COUNTRY_COLUMNS = ("iso_a3", "country_name", "country_population", "share")
EXPOSURE_VALUES = ("min_km", "max_km", "population", "area_km2", "coverage")
"""Value columns of :func:`exposure_table` (besides the keys and the country columns)."""
ALL_SITES = "(all sites)"
"""The ``site`` label of union rows: every site of the group, each person counted once."""

_CHUNK = 2_000_000  # place x site pairs per chunk


# --- sites and places ------------------------------------------------------------------

def _site_arrays(sites: pd.DataFrame) -> tuple[NDArray, NDArray, NDArray]:
    """Return labels (id, else site, else name), lon and lat of a sites frame."""
    _validate.frame(sites, "sites", ("lon", "lat"), one_of=("id", "site", "name"))
    if len(sites) == 0:
        raise InputError("sites: no rows (expected at least one site)")
    label = next(c for c in ("id", "site", "name") if c in sites.columns)
    lon = _validate.frame_numbers(sites, "lon", "sites", lo=-180, hi=180)
    lat = _validate.frame_numbers(sites, "lat", "sites", lo=-90, hi=90)
    return sites[label].astype(str).to_numpy(), lon, lat


_PLACE_COLUMNS = ("name", "lon", "lat", "population")


def _check_places(places):
    """Check a places argument: None (embedded), a path (read and checked later) or a frame."""
    if places is None or isinstance(places, str | os.PathLike):
        return places
    _validate.frame(places, "places", _PLACE_COLUMNS)
    _validate.frame_numbers(places, "lon", "places", lo=-180, hi=180)
    _validate.frame_numbers(places, "lat", "places", lo=-90, hi=90)
    _validate.frame_numbers(places, "population", "places", lo=0)
    return places


def _check_band(min_km, max_km, n: int) -> tuple[NDArray, NDArray]:
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


def _pair_distances(p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest: bool):
    """Distances of places x sites: exact where membership or ranking is in doubt.

    Returns (inside, dist, exact): ``inside`` is exact membership; ``dist`` is exact where
    ``exact`` and spherical elsewhere (for places not reached or sites surely farther).
    With numba, one compiled pass (:func:`geoinf._numba_inverse.pair_distances`); places
    with a pair it leaves to pyproj (within 1 mm of an edge, near-antipodal) are redone here.
    """
    if resolve_engine("auto") == "numba":
        from . import _numba_inverse
        inside, dist, exact, redo = _numba_inverse.pair_distances(
            p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest, radius_km=_R_KM, eps=_EPS,
            slack_km=_SLACK_KM)
        rows = np.flatnonzero(redo)
        if rows.size:
            inside[rows], dist[rows], exact[rows] = _pair_distances_pyproj(
                p_lon[rows], p_lat[rows], s_lon, s_lat, lo, hi, need_nearest)
        return inside, dist, exact
    return _pair_distances_pyproj(p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest)


def _pair_distances_pyproj(p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest: bool):
    """:func:`_pair_distances` in numpy, every exact distance by pyproj."""
    x, y = _unit(p_lon, p_lat), _unit(s_lon, s_lat)
    dist = _R_KM * np.arccos(np.clip(x @ y.T, -1.0, 1.0))
    lower, upper = dist * (1 - _EPS) - _SLACK_KM, dist * (1 + _EPS) + _SLACK_KM
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
                    min_population: float = 0, progress=None) -> pd.DataFrame:
    """Return the places within a distance band of any site, by exact ellipsoidal distance.

    Parameters
    ----------
    sites : DataFrame
        Columns ``lon, lat`` and a label: ``id`` (else ``site``, else ``name``), e.g.
        :func:`geoinf.load_sites` or a scenario from :func:`geoinf.load_scenario`.
    max_km, min_km : float or sequence of float
        Band edges in km (``min_km <= d <= max_km``), one value or one per site.
    places : GeoDataFrame, DataFrame or path, optional
        Places with ``name, lon, lat, population`` (default: the embedded GeoNames table).
    min_population : float, default 0
        Only places with at least this many inhabitants.
    progress : callable, optional
        Called as ``progress(done, total)`` with the places done after each chunk.

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
    label, s_lon, s_lat = _site_arrays(sites)
    lo, hi = _check_band(min_km, max_km, label.size)
    min_population = _validate.number(min_population, "min_population", lo=0)
    progress = _validate.optional_callable(progress, "progress")
    frame = _places(_check_places(places), min_population)
    p_lon, p_lat = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
    step = max(1, _CHUNK // max(label.size, 1))
    parts = []
    for a in range(0, len(frame), step):
        hit, *summary = _reach(p_lon[a:a + step], p_lat[a:a + step], s_lon, s_lat, lo, hi)
        parts.append((hit + a, *summary))
        if progress is not None:
            progress(min(a + step, len(frame)), len(frame))
    if parts:
        hit, near, dist_near, margin, n_sites, pattern = (np.concatenate(c)
                                                          for c in zip(*parts, strict=True))
    else:
        hit = near = n_sites = np.zeros(0, np.intp)
        dist_near = margin = np.zeros(0)
        pattern = np.zeros(0 if label.size <= 62 else (0, label.size), np.int64)
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
        # whole numbers: unique int64 keys (population, then row), so any sort is stable
        return np.argsort((-pop).astype(np.int64) * n + np.arange(n))
    return np.argsort(-pop, kind="stable")


def _take_strings(values: NDArray, codes: NDArray):
    """Return ``values[codes]`` as pandas would store it, taken in Arrow when it stores Arrow.

    No codes give an empty array of the dtype pandas stores text in (as when there are).
    """
    if not len(codes):
        return pd.array([], dtype=pd.Series([""]).dtype)
    dtype = pd.Series(values[:1]).dtype
    if len(codes) and isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa

        taken = pa.array(list(values), type=pa.large_string()).take(pa.array(codes))
        return pd.array(taken, dtype=dtype)
    return values[codes]


def _reach(p_lon, p_lat, s_lon, s_lat, lo, hi):
    """Places in the band of a site: (rows, nearest site, its km, margin km, n_sites, pattern).

    ``pattern`` holds the sites in the band of each place: int64 keys (bit j for site j)
    up to 62 sites, else a boolean places x sites matrix. With numba, one compiled pass
    reduces each place (:func:`geoinf._numba_inverse.place_summary`); the places it
    leaves to pyproj are redone here in numpy.
    """
    m = s_lon.size
    if m <= 62 and resolve_engine("auto") == "numba":
        from . import _numba_inverse
        near, dist_near, margin, n_sites, key, redo = _numba_inverse.place_summary(
            p_lon, p_lat, s_lon, s_lat, lo, hi, radius_km=_R_KM, eps=_EPS, slack_km=_SLACK_KM)
        rows = np.flatnonzero(redo)
        if rows.size:
            inside, dist, _ = _pair_distances_pyproj(p_lon[rows], p_lat[rows], s_lon, s_lat,
                                                     lo, hi, True)
            (near[rows], dist_near[rows], margin[rows], n_sites[rows],
             key[rows]) = _reduce_rows(inside, dist, lo, hi)
        hit = np.flatnonzero(n_sites > 0)
        return hit, near[hit], dist_near[hit], margin[hit], n_sites[hit], key[hit]
    inside, dist, _ = _pair_distances(p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest=True)
    hit = np.flatnonzero(inside.any(axis=1))
    inside, dist = inside[hit], dist[hit]
    near, dist_near, margin, n_sites, key = _reduce_rows(inside, dist, lo, hi)
    return hit, near, dist_near, margin, n_sites, key if m <= 62 else inside


def _reduce_rows(inside, dist, lo, hi):
    """Per row: nearest site in the band, its distance, best margin, n_sites, int64 key."""
    d_in = np.where(inside, dist, np.inf)
    k = d_in.argmin(axis=1)
    m = np.where(inside, np.minimum(dist - lo, hi - dist), -np.inf).max(axis=1)
    n_sites = inside.sum(axis=1)
    if inside.shape[1] <= 62:  # one int64 bit per site
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


# --- the reverse question --------------------------------------------------------------

def resolve_place(place, *, places=None) -> tuple[str, float, float]:
    """Return ``(label, lon, lat)`` of a place name (optionally ``"Name, CC"``) or (lon, lat).

    A name matches ``name`` or ``asciiname`` (case-insensitive), else names that
    start with it ("Frankfurt" -> "Frankfurt am Main", "Frankfurt (Oder)"). Of
    several exact matches the most populous is taken if it has at least 10 times the
    people of the next ("Berlin": not the hamlet of 613); otherwise, and for several
    prefix matches, the candidates are listed.

    Raises
    ------
    InputError
        Unknown (with close matches) or ambiguous names.

    Examples
    --------
    >>> resolve_place("Berlin")[0]
    'Berlin (DE, 3,426,354)'
    >>> resolve_place("Frankfurt")
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: place 'Frankfurt' is ambiguous: Frankfurt am Main (DE, ...
    """
    if not isinstance(place, str):
        try:
            lon, lat = (float(v) for v in place)
        except (TypeError, ValueError):
            raise InputError(f"place={place!r}: expected a name or (lon, lat)") from None
        validate_points(lon=lon, lat=lat)
        return f"({lon:g}, {lat:g})", lon, lat
    frame = _places(_check_places(places), 0)
    text, _, country = (part.strip() for part in place.partition(","))
    if country:
        code = country.upper()
        keep = (frame["country"].astype(str).str.upper() == code)
        if "iso_a3" in frame:
            keep |= frame["iso_a3"].astype(str).str.upper() == code
        frame = frame[keep]
    names = frame["name"].astype(str).str.casefold()
    ascii_ = frame["asciiname"].astype(str).str.casefold() if "asciiname" in frame else names
    key = text.casefold()
    hits = frame[(names == key) | (ascii_ == key)]
    exact = not hits.empty
    if hits.empty:
        hits = frame[names.str.startswith(key + " ") | names.str.startswith(key + "(")
                     | ascii_.str.startswith(key + " ")]
    if hits.empty:
        close = difflib.get_close_matches(text, frame["name"].astype(str).unique(), n=5,
                                          cutoff=0.75)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else \
            "; give (lon, lat) instead"
        raise InputError(f"unknown place {place!r}{hint}")
    hits = hits.sort_values("population", ascending=False, kind="stable")
    pops = hits["population"].to_numpy(float)
    if len(hits) > 1 and (not exact or pops[0] < 10 * pops[1]):
        shown = ", ".join(_place_label(r) for r in hits.head(6).itertuples())
        raise InputError(f"place {place!r} is ambiguous: {shown}; give the full name, "
                         "'Name, CC' or (lon, lat)")
    best = next(hits.itertuples())
    return _place_label(best), float(best.lon), float(best.lat)


def _place_label(row) -> str:
    return f"{row.name} ({row.country}, {int(row.population):,})"


def _all_pairs() -> pd.DataFrame:
    from .catalog import list_scenarios, load_scenario
    frames = [load_scenario(name) for name in list_scenarios()["scenario"]]
    pairs = pd.concat(frames, ignore_index=True)
    return pairs.drop_duplicates(["site", "system"]).reset_index(drop=True)


def _pairs(sites) -> pd.DataFrame | None:
    """Return a scenario's pairs (with ranges) from a name, path or frame; None for sites."""
    from .catalog import load_scenario, validate_pairs
    if sites is None:
        return _all_pairs()
    if isinstance(sites, str | os.PathLike):
        return load_scenario(_validate.path(sites, "scenario"))
    if not isinstance(sites, pd.DataFrame):
        raise InputError(f"sites={type(sites).__name__}: expected a scenario name or path, a "
                         "scenario frame (load_scenario) or a frame of sites (lon, lat, id)")
    if "range_km_high" in sites.columns or "range_km_low" in sites.columns:
        return validate_pairs(sites)
    return None


def sites_reaching(place, *, sites=None, max_km: float | None = None,
                   places=None) -> pd.DataFrame:
    """Return every site and system that reaches a place, with distance and margin.

    Parameters
    ----------
    place : str or (lon, lat)
        A place name (see :func:`resolve_place`) or coordinates in degrees.
    sites : scenario name, path or DataFrame, optional
        Default: every (site, system) pair of the embedded scenarios. A frame of
        plain sites (no ranges) needs ``max_km``.
    max_km : float, optional
        Range of plain sites.
    places : optional
        Places table used to look up the name.

    Returns
    -------
    DataFrame
        :data:`REACH_COLUMNS`, one row per (site, system, estimate) that reaches
        the place; ``margin_km = range_km - distance_km``. Sorted by margin,
        largest first. ``attrs["place"]`` names the place resolved.

    Examples
    --------
    >>> r = sites_reaching("Berlin")
    >>> r.attrs["place"]
    'Berlin (DE, 3,426,354)'
    >>> r[["site", "system", "estimate", "distance_km", "margin_km"]].head(2).round(1)
            site         system estimate  distance_km  margin_km
    0    postavy          ss-20   single        933.8     4066.2
    1  redzikowo  mk41-tomahawk     high        327.8     2172.2
    """
    items = _items(sites, max_km=max_km, split_single=False)  # bad tables fail fast
    if np.isinf(items["range_km"]).any():
        raise InputError("sites_reaching: a frame of plain sites (no range_km_low/"
                         "range_km_high) needs max_km")
    label, lon, lat = resolve_place(place, places=places)
    d = _exact_km(items["lon"].to_numpy(float), items["lat"].to_numpy(float),
                  np.full(len(items), lon), np.full(len(items), lat))
    items = items.assign(distance_km=d, margin_km=items["range_km"] - d)
    items["inf_class"] = np.asarray(inf_class(items["range_km"].to_numpy(float)), dtype=object)
    out = items[items["margin_km"] >= 0].sort_values("margin_km", ascending=False, kind="stable")
    out = out[list(REACH_COLUMNS)].reset_index(drop=True)
    out.attrs["place"] = label
    return out


# --- exposure tables -------------------------------------------------------------------

def _items(sites, *, max_km: float | None = None, split_single: bool = True) -> pd.DataFrame:
    """One row per (site, system, estimate) with its range (inf for plain sites)."""
    pairs = _pairs(sites)
    if pairs is None:
        label, lon, lat = _site_arrays(sites)
        name = sites["name"].astype(str).to_numpy() if "name" in sites else label
        rng = np.inf if max_km is None else _validate.number(max_km, "max_km", lo=0,
                                                             lo_open=True)
        return pd.DataFrame({"site": label, "site_name": name, "system": "",
                             "estimate": "single", "range_km": rng, "lon": lon, "lat": lat})
    low = pairs["range_km_low"].to_numpy(float)
    high = pairs["range_km_high"].to_numpy(float)
    two = low != high
    base = pd.DataFrame({"site": pairs["site"].astype(str).to_numpy(),
                         "site_name": pairs["site_name"].astype(str).to_numpy(),
                         "system": pairs["system"].astype(str).to_numpy(),
                         "lon": pairs["lon"].to_numpy(float),
                         "lat": pairs["lat"].to_numpy(float)})
    split = two | (split_single and two.any())
    parts = [base[~split].assign(estimate="single", range_km=high[~split]),
             base[split].assign(estimate="low", range_km=low[split]),
             base[split].assign(estimate="high", range_km=high[split])]
    out = pd.concat(parts, ignore_index=True)
    return out[["site", "site_name", "system", "estimate", "range_km", "lon", "lat"]]


def _annuli(items: pd.DataFrame, edges: NDArray) -> pd.DataFrame:
    """Items x bands, each band capped at the item's range; empty ones dropped.

    When no item reaches any band, every (item, band) is kept with an empty annulus
    (``outer_km == inner_km``, the band's inner edge) so that the table still lists
    the bands, with nobody in them.
    """
    n_items, n_bands = len(items), edges.size - 1
    out = items.loc[np.repeat(np.arange(n_items), n_bands)].reset_index(drop=True)
    out["min_km"] = np.tile(edges[:-1], n_items)
    out["max_km"] = np.tile(edges[1:], n_items)
    labels = [band_label(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    out["band"] = np.tile(labels, n_items)
    out["inner_km"] = out["min_km"]
    out["outer_km"] = np.minimum(out["max_km"], out["range_km"])
    reached = out["outer_km"] > out["inner_km"]
    if not reached.any():
        return out.assign(outer_km=out["inner_km"])
    return out[reached].reset_index(drop=True)


def _groups(annuli: pd.DataFrame, by: Sequence[str]) -> tuple[pd.DataFrame, list[NDArray]]:
    """Output groups (key rows) and, per group, the annuli it unions."""
    keys = [k for k in ("site", "system", "estimate", "band") if k in by]
    frames = [annuli]
    if "site" in keys and annuli["site"].nunique() > 1:
        frames.append(annuli.assign(site=ALL_SITES))
    both = pd.concat(frames, keys=range(len(frames)), names=["part", "idx"]).reset_index()
    rank = {"low": 0, "high": 1, "single": 2}
    both = both.assign(_site=pd.factorize(both["site"])[0], _est=both["estimate"].map(rank),
                       _band=both["min_km"])
    order = ["part", "_site"] + (["system"] if "system" in keys else []) + ["_est", "_band"]
    both = both.sort_values(order, kind="stable")
    grouped = both.groupby(keys, sort=False) if keys else [((), both)]
    rows, members = [], []
    for key, g in grouped:
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(keys, key, strict=True))
        row["min_km"] = float(g["inner_km"].min())
        row["max_km"] = float(g["outer_km"].max())
        rows.append(row)
        members.append(g["idx"].to_numpy())
    return pd.DataFrame(rows), members


def exposure_table(scenario_or_sites=None, *, edges_km: Sequence[float] = INF_EDGES_KM,
                   layer: str | os.PathLike = "places", by: Sequence[str] = ("site", "band"),
                   kind: str = "count", min_population: float = 0,
                   max_km: float | None = None, progress=None,
                   nodata: float | None = None) -> pd.DataFrame:
    """Return the people (and area) within each band, per site and for all sites together.

    Parameters
    ----------
    scenario_or_sites : str, path or DataFrame, default the ``inf-2019`` scenario
        A scenario (name, file, or the frame of :func:`geoinf.load_scenario`): each
        band is capped at the system's range, with one row per range claim
        (``estimate`` low/high) where claims differ. Or a frame of plain sites
        (``lon, lat`` and ``id``/``name``): bands as given (or capped at ``max_km``).
    edges_km : sequence of float, default (500, 1000, 5500)
        Increasing band edges; a first edge of 0 makes a whole disc.
    layer : {"places", "raster"} or path
        ``places``: the embedded places (a person counts if their place's centre is in
        the band); ``raster``: the embedded indicative grid; a path: a population
        raster (GeoTIFF in EPSG:4326, see ``kind``) or a places table (CSV, GeoJSON...).
    by : sequence of {"site", "system", "estimate", "band", "country"}
        Keys. Keys left out are unioned: each person is counted once. With
        ``"site"``, rows for each site come with rows for the union of all sites
        (``site`` = :data:`ALL_SITES`). ``estimate`` is always a key when a system has
        two range claims (they are alternatives, not additions).
    kind : {"count", "density"}
        Values of a raster ``layer`` path.
    min_population : float
        Places layer only: smallest place counted.
    progress : callable, optional
        Called with (done, total) raster blocks.
    nodata : float, optional
        Raster ``layer`` path only: a value of the file that marks cells without data
        (0 people) when the file does not declare it (see
        :func:`geoinf.population.open_population`).

    Returns
    -------
    DataFrame
        The keys, ``min_km, max_km`` (the band, capped at the range), ``population``,
        ``area_km2`` (area of the region on WGS84, cell-centre rule on a 0.1° grid),
        ``coverage`` (share of that area inside the layer's extent: the raster's
        bounds, or for the embedded places the countries listed down to
        ``min_population``); with ``"country"``: ``iso_a3, country_name,
        country_population, share``. ``attrs["provenance"]`` describes the run.
        A band a claim does not reach has no row; when no claim reaches any band,
        every band is listed, with ``max_km == min_km`` (the band capped at a
        range below it is empty), ``population`` and ``area_km2`` 0 (with
        ``"country"``: ``country_name`` "(no country)").

    Examples
    --------
    >>> t = exposure_table("kaliningrad", by=("site", "system", "band"))
    >>> t[["system", "estimate", "band", "max_km"]]  # the 480 km claim reaches no INF band
      system estimate                band  max_km
    0  9m729     high       shorter-range  1000.0
    1  9m729     high  intermediate-range  2500.0
    >>> exposure_table("kaliningrad", edges_km=(3000, 4000), by=("band",))[
    ...     ["estimate", "band", "min_km", "max_km", "population"]]  # no claim reaches 3,000 km
      estimate            band  min_km  max_km  population
    0      low  3,000-4,000 km  3000.0  3000.0           0
    1     high  3,000-4,000 km  3000.0  3000.0           0
    """
    by = _validate.keys(by, "by", BY_KEYS)
    edges = validate_edges(edges_km)
    kind = _validate.choice(kind, "kind", ("count", "density"))
    min_population = _validate.number(min_population, "min_population", lo=0)
    progress = _validate.optional_callable(progress, "progress")
    items = _items("inf-2019" if scenario_or_sites is None else scenario_or_sites,
                   max_km=max_km)
    if items["estimate"].isin(["low", "high"]).any() and "estimate" not in by:
        by.append("estimate")
    annuli = _annuli(items, edges)
    groups, members = _groups(annuli, by)
    with_country = "country" in by
    kind_of_layer, source = _layer_kind(layer)
    if not (annuli["outer_km"] > annuli["inner_km"]).any():  # no band reached: nobody
        pop, area, cover = _nobody(len(members), with_country)
    else:
        if kind_of_layer == "raster":
            pop = _raster_sums(annuli, members, source, kind, with_country, progress,
                               nodata=nodata)
        else:
            pop = _places_sums(annuli, members, source, min_population, with_country)
        area, cover = _areas(annuli, members, kind_of_layer, source, min_population)
    out = _assemble(groups, pop, area, cover, with_country)
    out.attrs["provenance"] = {
        "layer": str(source) if source is not None else
        ("embedded places (GeoNames)" if kind_of_layer == "places"
         else "embedded indicative population grid"),
        "edges_km": ",".join(f"{e:g}" for e in edges),
        "by": ",".join(by),
        "rule": "place centre or cell centre within the band by ellipsoidal distance",
    }
    return out


def _nobody(n_groups: int, with_country: bool):
    """Return the sums of groups whose bands no item reaches: 0 people, area 0, covered."""
    area, cover = np.zeros(n_groups), np.ones(n_groups)
    if not with_country:
        return np.zeros(n_groups), area, cover
    return pd.DataFrame({"group": np.arange(n_groups), "iso_a3": "",
                         "population": np.zeros(n_groups)}), area, cover


def _layer_kind(layer) -> tuple[str, str | None]:
    if not isinstance(layer, str | os.PathLike):
        raise InputError(f"layer={layer!r}: expected 'places', 'raster', or a "
                         "path to a raster (.tif) or places (.csv, .geojson, .gpkg) file")
    if layer in ("places", "raster"):
        return str(layer), None
    suffix = os.path.splitext(os.fspath(layer))[1].lower()
    if suffix in (".tif", ".tiff", ".vrt", ".img", ".nc", ".asc"):
        return "raster", os.fspath(layer)
    if suffix in (".csv", ".txt", ".tsv", ".geojson", ".json", ".gpkg", ".parquet"):
        return "places", os.fspath(layer)
    raise InputError(f"layer={layer!r}: expected 'places', 'raster', or a raster (.tif) or "
                     "places (.csv, .geojson, .gpkg, .parquet) file")


def _assemble(groups, pop, area, cover, with_country) -> pd.DataFrame:
    """Join group keys with sums; pop is (n_groups,) or a (group, iso_a3, people) frame."""
    base = groups.assign(area_km2=area, coverage=cover)
    if not with_country:
        out = base.assign(population=np.rint(pop).astype(np.int64))
    else:
        countries = _country_info()
        pop = pop.merge(countries, on="iso_a3", how="left")
        pop["country_name"] = pop["country_name"].fillna("(no country)")
        out = base.reset_index(names="group").merge(pop, on="group").drop(columns="group")
        out["population"] = np.rint(out["population"]).astype(np.int64)
        out["share"] = out["population"] / out["country_population"]
    keys = [c for c in BY_KEYS if c in out.columns and c != "country"]
    cols = keys + [c for c in COUNTRY_COLUMNS if c in out.columns] + list(EXPOSURE_VALUES)
    return out[cols].reset_index(drop=True)


@functools.lru_cache(maxsize=1)
def _country_info() -> pd.DataFrame:
    c = load_countries()
    return pd.DataFrame({"iso_a3": c["iso_a3"].astype(str), "country_name": c["name"],
                         "country_population": c["pop_est"].astype(float)})


# --- uncertainty and scenario differences ------------------------------------------------

def estimate_gap(table: pd.DataFrame) -> pd.DataFrame:
    """Return, per group, the people in reach under the low and the high claim and the gap.

    Parameters
    ----------
    table : DataFrame
        An :func:`exposure_table` result with an ``estimate`` column.

    Returns
    -------
    DataFrame
        The keys (without ``estimate``), ``population_low``, ``population_high`` and
        ``at_stake`` (high - low: the people between the two estimates). A band the
        low claim does not reach counts 0.

    Examples
    --------
    >>> gap = estimate_gap(exposure_table("kaliningrad", by=("band",)))
    >>> gap.loc[0, "band"], int(gap.loc[0, "population_low"]), bool(gap.loc[0, "at_stake"] > 1e8)
    ('shorter-range', 0, True)
    """
    _validate.frame(table, "table", ("population",))
    if "estimate" not in table:
        raise InputError("the table has no estimate column (no system with two range claims)")
    keys = [c for c in BY_KEYS if c in table.columns and c not in ("estimate", "country")]
    keys += [c for c in ("iso_a3", "country_name") if c in table.columns]
    wide = table.pivot_table(index=keys, columns="estimate", values="population",
                             aggfunc="sum", fill_value=0, sort=False)
    low = wide["low"] if "low" in wide else 0
    high = wide["high"] if "high" in wide else 0
    out = pd.DataFrame({"population_low": low, "population_high": high}).reset_index()
    out["at_stake"] = out["population_high"] - out["population_low"]
    return out


class ExposureDiff(NamedTuple):
    """Result of :func:`exposure_diff`."""

    table: pd.DataFrame
    """Keys, ``population_a``, ``population_b`` and ``change`` (b - a)."""
    cities: pd.DataFrame
    """Places that enter (in reach under b only) or leave (under a only) range."""


def exposure_diff(a, b, *, edges_km: Sequence[float] = INF_EDGES_KM,
                  by: Sequence[str] = ("band", "country"), layer="places",
                  min_population: float = 100_000) -> ExposureDiff:
    """Return the change in exposed people from scenario ``a`` to ``b``, and the cities.

    Parameters
    ----------
    a, b : scenario name, path or DataFrame
        As for :func:`exposure_table`.
    edges_km, by, layer
        As for :func:`exposure_table` (``site`` is not allowed: the sites may differ).
    min_population : float, default 100,000
        Smallest place listed among the cities entering or leaving range.

    Returns
    -------
    ExposureDiff
        ``table``: population under a and b and the change, per group, largest
        change first; ``cities``:
        places within any system's highest range claim under one scenario only,
        ``status`` "enters" (b only) or "leaves" (a only).

    Examples
    --------
    >>> d = exposure_diff("kaliningrad", "inf-2019", by=("band",))
    >>> list(d.table.columns)
    ['estimate', 'band', 'population_a', 'population_b', 'change']
    """
    for value, name in ((a, "a"), (b, "b")):
        if not isinstance(value, str | os.PathLike | pd.DataFrame):
            raise InputError(f"{name}={value!r}: expected a scenario name, path or frame")
    by = _validate.keys(by, "by", BY_KEYS)
    min_population = _validate.number(min_population, "min_population", lo=0)
    if "site" in by:
        raise InputError("exposure_diff: 'site' cannot be a key (the scenarios' sites differ)")
    ta = exposure_table(a, edges_km=edges_km, by=by, layer=layer)
    tb = exposure_table(b, edges_km=edges_km, by=by, layer=layer)
    keys = [c for c in ta.columns if c in BY_KEYS or c in ("iso_a3", "country_name")]
    keys = [k for k in keys if k in tb.columns]
    table = ta[keys + ["population"]].merge(tb[keys + ["population"]], on=keys, how="outer",
                                            suffixes=("_a", "_b"))
    table[["population_a", "population_b"]] = table[["population_a", "population_b"]].fillna(
        0).astype(np.int64)
    table["change"] = table["population_b"] - table["population_a"]
    order = np.argsort(-np.abs(table["change"].to_numpy()), kind="stable")  # largest first
    table = table.iloc[order].reset_index(drop=True)
    ca, cb = (_reach_cities(x, min_population) for x in (a, b))
    enters = cb[~cb["_key"].isin(ca["_key"])].assign(status="enters")
    leaves = ca[~ca["_key"].isin(cb["_key"])].assign(status="leaves")
    cities = pd.concat([enters, leaves], ignore_index=True).drop(columns="_key")
    cities = cities.sort_values("population", ascending=False, kind="stable")
    return ExposureDiff(table, cities.reset_index(drop=True))


def _reach_cities(scenario, min_population) -> pd.DataFrame:
    items = _items(scenario, split_single=False)
    top = items.sort_values("range_km").drop_duplicates("site", keep="last")
    frame = cities_in_range(top, max_km=top["range_km"].to_numpy(float),
                            min_population=min_population)
    cols = ["name", "country", "population", "nearest_site", "distance_km"]
    out = frame[cols].copy()
    out["_key"] = frame["name"].astype(str) + "|" + frame["lon"].round(5).astype(str) + "|" + \
        frame["lat"].round(5).astype(str)
    return out
