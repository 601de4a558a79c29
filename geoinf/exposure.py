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
from rasterio.windows import Window

from . import parallels
from .errors import InputError
from .geodesic import WGS84, resolve_engine, validate_circles
from .population import cell_area_km2, load_countries, load_places, open_population
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

_EPS = 0.0075  # |spherical / ellipsoidal distance - 1| < 0.0057 on WGS84 (curvature radii)
_SLACK_KM = 1e-3  # rounding of the spherical distance (arccos near 1) and of the bounds
_R_KM = 6371.0088
_CHUNK = 2_000_000  # place x site pairs per chunk
_AREA_DEG = 0.1  # grid for band areas and coverage
_BLOCK_BYTES = 1 << 27  # prefix table of one row block: 128 MiB


# --- sites and places ------------------------------------------------------------------

def _site_arrays(sites: pd.DataFrame) -> tuple[NDArray, NDArray, NDArray]:
    """Return labels (id, else site, else name), lon and lat of a sites frame."""
    if not isinstance(sites, pd.DataFrame):
        raise InputError(f"sites must be a DataFrame with lon, lat and id or name columns, "
                         f"not {type(sites).__name__}")
    label = next((c for c in ("id", "site", "name") if c in sites.columns), None)
    missing = [c for c in ("lon", "lat") if c not in sites.columns]
    if label is None or missing:
        raise InputError("sites need columns lon, lat and one of id, site, name; found "
                         f"{', '.join(map(str, sites.columns)) or 'none'}")
    lon, lat, _ = validate_circles(sites["lon"].to_numpy(float), sites["lat"].to_numpy(float),
                                   1.0)
    return sites[label].astype(str).to_numpy(), lon, lat


def _places(places, min_population: float) -> pd.DataFrame:
    if places is None or isinstance(places, str | os.PathLike):
        frame = load_places(places, min_population=min_population)
    else:
        frame = places[places["population"] >= min_population]
    frame = pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).reset_index(drop=True)
    if "country" not in frame:
        frame["country"] = frame["iso_a3"] if "iso_a3" in frame else ""
    return frame


def _unit(lon: NDArray, lat: NDArray) -> NDArray[np.float64]:
    lam, phi = np.radians(lon), np.radians(lat)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=1)


def _exact_km(lon1, lat1, lon2, lat2) -> NDArray[np.float64]:
    """Ellipsoidal distances in km: compiled when numba is on (~1e-8 m from pyproj)."""
    shape = np.broadcast_shapes(*(np.shape(a) for a in (lon1, lat1, lon2, lat2)))
    return (parallels._inverse(lon1, lat1, lon2, lat2)[2] / 1000.0).reshape(shape)


def _pyproj_km(lon1, lat1, lon2, lat2) -> NDArray[np.float64]:
    return np.asarray(WGS84.inv(lon1, lat1, lon2, lat2, return_back_azimuth=False)[2]) / 1000.0


def _check_band(min_km, max_km, n: int) -> tuple[NDArray, NDArray]:
    lo = np.broadcast_to(np.asarray(min_km, dtype=float), (n,))
    hi = np.broadcast_to(np.asarray(max_km, dtype=float), (n,))
    bad = ~np.isfinite(lo) | ~np.isfinite(hi) | (lo < 0) | (lo >= hi)
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
    frame = _places(places, min_population)
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
        "nearest_site": _take_strings(label, near[order]) if parts else [],
        "distance_km": dist_near[order],
        "margin_km": margin[order],
        "n_sites": n_sites[order],
        "sites": _take_strings(names, which) if len(hit) else [],
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
    """Return ``values[codes]`` as pandas would store it, taken in Arrow when it stores Arrow."""
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
        validate_circles(lon, lat, 1.0)
        return f"({lon:g}, {lat:g})", lon, lat
    frame = _places(places, 0)
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
    from .catalog import load_scenario
    if sites is None:
        return _all_pairs()
    if isinstance(sites, str | os.PathLike):
        return load_scenario(sites)
    if "range_km_high" in sites.columns:
        return sites
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
        rng = np.inf if max_km is None else float(max_km)
        if not rng > 0:
            raise InputError(f"max_km={max_km!r}: expected a range in km greater than 0")
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
    """Items x bands, each band capped at the item's range; empty ones dropped."""
    n_items, n_bands = len(items), edges.size - 1
    out = items.loc[np.repeat(np.arange(n_items), n_bands)].reset_index(drop=True)
    out["min_km"] = np.tile(edges[:-1], n_items)
    out["max_km"] = np.tile(edges[1:], n_items)
    labels = [band_label(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    out["band"] = np.tile(labels, n_items)
    out["inner_km"] = out["min_km"]
    out["outer_km"] = np.minimum(out["max_km"], out["range_km"])
    return out[out["outer_km"] > out["inner_km"]].reset_index(drop=True)


def _check_edges(edges_km) -> NDArray:
    try:
        edges = np.asarray(edges_km, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"edges_km={edges_km!r} is not a list of numbers") from None
    if edges.size < 2 or not np.isfinite(edges).all() or (edges < 0).any() or \
            (np.diff(edges) <= 0).any():
        raise InputError(f"edges_km={list(edges_km)}: expected at least two increasing "
                         "distances in km from 0, e.g. 500,1000,5500")
    return edges


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
                   max_km: float | None = None, progress=None) -> pd.DataFrame:
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

    Returns
    -------
    DataFrame
        The keys, ``min_km, max_km`` (the band, capped at the range), ``population``,
        ``area_km2`` (area of the region on WGS84, cell-centre rule on a 0.1° grid),
        ``coverage`` (share of that area inside the layer's extent: the raster's
        bounds, or for the embedded places the countries listed down to
        ``min_population``); with ``"country"``: ``iso_a3, country_name,
        country_population, share``. ``attrs["provenance"]`` describes the run.

    Examples
    --------
    >>> t = exposure_table("kaliningrad", by=("site", "system", "band"))
    >>> t[["system", "estimate", "band", "max_km"]]  # the 480 km claim reaches no INF band
      system estimate                band  max_km
    0  9m729     high       shorter-range  1000.0
    1  9m729     high  intermediate-range  2500.0
    """
    bad = [k for k in by if k not in BY_KEYS]
    if bad:
        raise InputError(f"by={list(by)}: unknown key {bad[0]!r}; expected some of "
                         f"{', '.join(BY_KEYS)}")
    edges = _check_edges(edges_km)
    items = _items("inf-2019" if scenario_or_sites is None else scenario_or_sites,
                   max_km=max_km)
    by = list(by)
    if items["estimate"].isin(["low", "high"]).any() and "estimate" not in by:
        by.append("estimate")
    annuli = _annuli(items, edges)
    groups, members = _groups(annuli, by)
    with_country = "country" in by
    kind_of_layer, source = _layer_kind(layer)
    if kind_of_layer == "raster":
        pop = _raster_sums(annuli, members, source, kind, with_country, progress)
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


def _layer_kind(layer) -> tuple[str, str | None]:
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


@functools.lru_cache(maxsize=1)
def _countries():
    return load_countries()


# --- places layer ----------------------------------------------------------------------

def _iso_a3(frame: pd.DataFrame) -> NDArray:
    if "iso_a3" in frame:
        return frame["iso_a3"].astype(str).to_numpy()
    import geopandas as gpd
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                           crs="EPSG:4326")
    joined = gpd.sjoin(pts, _countries()[["iso_a3", "geometry"]], how="left",
                       predicate="within")
    joined = joined[~joined.index.duplicated()]
    return joined["iso_a3"].fillna("").astype(str).to_numpy()


def _places_sums(annuli, members, source, min_population, with_country):
    frame = _places(source, min_population)
    p_lon, p_lat = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
    people = frame["population"].to_numpy(float)
    sites, site_of = np.unique(annuli[["lon", "lat"]].to_numpy(float), axis=0,
                               return_inverse=True)
    site_of = np.ravel(site_of)
    inside = np.zeros((len(annuli), len(frame)), dtype=bool)
    for s in range(len(sites)):
        mine = np.flatnonzero(site_of == s)
        lo = annuli["inner_km"].to_numpy(float)[mine]
        hi = annuli["outer_km"].to_numpy(float)[mine]
        x = _unit(p_lon, p_lat) @ _unit(sites[s:s + 1, 0], sites[s:s + 1, 1])[0]
        d = _R_KM * np.arccos(np.clip(x, -1.0, 1.0))
        lower, upper = d * (1 - _EPS) - _SLACK_KM, d * (1 + _EPS) + _SLACK_KM
        edges = np.concatenate([lo[lo > 0], hi])
        doubt = ((lower[:, None] <= edges) & (upper[:, None] >= edges)).any(axis=1)
        d = d.copy()
        idx = np.flatnonzero(doubt)
        d[idx] = _exact_km(np.full(idx.size, sites[s, 0]), np.full(idx.size, sites[s, 1]),
                           p_lon[idx], p_lat[idx])
        # outside the doubt zone the spherical distance is on the right side of every edge;
        # a band is its outer disc minus its inner disc (as on rasters): lo < d <= hi
        inside[mine] = ((d > lo[:, None]) | (lo[:, None] == 0)) & (d <= hi[:, None])
    hit = np.stack([inside[m].any(axis=0) for m in members]) if members else \
        np.zeros((0, len(frame)), bool)
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

def _group_runs(annuli, members, row_lat, west, dlon, ncols):
    """Return merged runs (group, row, start, stop) of each group's union of annuli."""
    lon = annuli["lon"].to_numpy(float)
    lat = annuli["lat"].to_numpy(float)
    radius = np.concatenate([annuli["outer_km"].to_numpy(float),
                             annuli["inner_km"].to_numpy(float)])
    discs, disc_of = np.unique(np.stack([np.tile(lon, 2), np.tile(lat, 2), radius], axis=1),
                               axis=0, return_inverse=True)
    disc_of = np.ravel(disc_of)
    positive = discs[:, 2] > 0
    d, row, start, stop = parallels.grid_intervals(
        discs[positive, 0], discs[positive, 1], discs[positive, 2], row_lat=row_lat,
        west=west, dlon=dlon, ncols=ncols)
    d = np.flatnonzero(positive)[d]
    order = np.lexsort((row, d))
    d, row, start, stop = d[order], row[order], start[order], stop[order]
    bounds = np.searchsorted(d, np.arange(len(discs) + 1))

    def entries(k):
        sl = slice(bounds[k], bounds[k + 1])
        return row[sl], start[sl], stop[sl]

    n = len(annuli)
    runs = [parallels.annulus_runs(entries(disc_of[a]),
                                   entries(disc_of[n + a]) if positive[disc_of[n + a]]
                                   else None, ncols) for a in range(n)]
    parts = [(np.full(runs[a][0].size, g), *runs[a]) for g, m in enumerate(members)
             for a in m]
    if not parts:
        return (np.zeros(0, np.int64),) * 4
    return parallels.union_runs(*(np.concatenate(x) for x in zip(*parts, strict=True)))


def _raster_sums(annuli, members, source, kind, with_country, progress):
    with open_population(source, kind=kind) as pop:
        t, (h, w) = pop.dataset.transform, pop.dataset.shape
        if t.b != 0 or t.d != 0 or t.e >= 0:
            raise InputError(f"{pop.path}: expected a north-up lon/lat grid (no rotation)")
        row_lat = t.f + t.e * (np.arange(h) + 0.5)
        group, row, start, stop = _group_runs(annuli, members, row_lat, t.c, t.a, w)
        n_rows = max(1, _BLOCK_BYTES // (8 * (w + 1)))
        blocks = np.unique(row // n_rows)
        sums = np.zeros(len(members))
        by_country = []
        for i, b in enumerate(blocks):
            r0 = int(b * n_rows)
            win = Window(0, r0, w, min(n_rows, h - r0))
            values = pop.read(win)
            sel = (row >= r0) & (row < r0 + win.height)
            g, r, a, z = group[sel], row[sel] - r0, start[sel], stop[sel]
            if with_country:
                by_country.append(_country_block(values, g, r, a, z, pop, win, len(members)))
            else:
                prefix = np.zeros((values.shape[0], w + 1))
                np.cumsum(values, axis=1, out=prefix[:, 1:])
                sums += np.bincount(g, weights=prefix[r, z] - prefix[r, a],
                                    minlength=len(members))
            if progress is not None:
                progress(i + 1, blocks.size)
    if not with_country:
        return sums
    codes = _countries()["iso_a3"].astype(str).to_numpy()
    total = sum(by_country) if by_country else np.zeros((len(members), codes.size + 1))
    g, c = np.nonzero(total)
    names = np.concatenate([[""], codes])
    return pd.DataFrame({"group": g, "iso_a3": names[c], "population": total[g, c]})


def _country_block(values, g, r, a, z, pop, win, n_groups):
    """People per (group, country) in one block: O(cells inside), via a country id grid."""
    from rasterio import features
    countries = _countries()
    shapes = zip(countries.geometry.values, np.arange(1, len(countries) + 1), strict=True)
    ids = features.rasterize(shapes,
                             out_shape=values.shape, transform=pop.dataset.window_transform(win),
                             fill=0, dtype="uint16")
    length = z - a
    cell = np.repeat(r * values.shape[1] + a - np.cumsum(np.concatenate([[0], length[:-1]])),
                     length) + np.arange(length.sum())
    grp = np.repeat(g, length)
    k = len(countries) + 1
    out = np.bincount(grp * k + ids.ravel()[cell], weights=values.ravel()[cell],
                      minlength=n_groups * k)
    return out.reshape(n_groups, k)


# --- areas and coverage ----------------------------------------------------------------

def _area_grid():
    nrows, ncols = int(round(180 / _AREA_DEG)), int(round(360 / _AREA_DEG))
    row_lat = 90.0 - _AREA_DEG * (np.arange(nrows) + 0.5)
    cell = cell_area_km2(row_lat - _AREA_DEG / 2, row_lat + _AREA_DEG / 2, _AREA_DEG)
    return row_lat, ncols, cell


def _areas(annuli, members, layer_kind, source, min_population):
    row_lat, ncols, cell = _area_grid()
    group, row, start, stop = _group_runs(annuli, members, row_lat, -180.0, _AREA_DEG, ncols)
    area = np.bincount(group, weights=(stop - start) * cell[row], minlength=len(members))
    mask = _coverage_mask(layer_kind, source, min_population)
    prefix = np.zeros((mask.shape[0], ncols + 1), dtype=np.int32)
    np.cumsum(mask, axis=1, out=prefix[:, 1:])
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


@functools.lru_cache(maxsize=8)
def _coverage_mask(layer_kind, source, min_population) -> NDArray[np.bool_]:
    if layer_kind == "raster":
        # only the bounds are read: open as a density so that no unit check applies
        with open_population(source, kind="density") as pop:
            return _box_mask(*pop.bounds)
    frame = _places(source, min_population)
    if source is not None or "min_population" not in frame:
        return _box_mask(frame["lon"].min(), frame["lat"].min(), frame["lon"].max(),
                         frame["lat"].max())
    # the embedded table: covered, except the land of countries not listed down to the
    # threshold (the sea holds no places, so it is covered)
    threshold = max(float(min_population), 500.0)
    listed = frame.groupby("iso_a3")["min_population"].min()
    complete = set(listed.index[listed <= threshold])
    from affine import Affine
    from rasterio import features
    countries = _countries()
    shapes = [g for g, iso in zip(countries.geometry.values, countries["iso_a3"], strict=True)
              if iso not in complete]
    row_lat, ncols, _ = _area_grid()
    if not shapes:
        return np.ones((row_lat.size, ncols), bool)
    return features.rasterize(((g, 1) for g in shapes), out_shape=(row_lat.size, ncols),
                              transform=Affine(_AREA_DEG, 0, -180, 0, -_AREA_DEG, 90),
                              dtype="uint8") == 0


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
        ``table``: population under a and b and the change, per group; ``cities``:
        places within any system's highest range claim under one scenario only,
        ``status`` "enters" (b only) or "leaves" (a only).

    Examples
    --------
    >>> d = exposure_diff("kaliningrad", "inf-2019", by=("band",))
    >>> list(d.table.columns)
    ['estimate', 'band', 'population_a', 'population_b', 'change']
    """
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
