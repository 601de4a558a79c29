"""Exposure tables: the people (and area) within each band, per site, system and country.

Bands are annuli around each site, capped at each range claim of a scenario
(:func:`range_claims`); the people of a population layer are summed per group of keys,
each person once (:mod:`geoinf.population_sums`: places by exact ellipsoidal distance,
rasters by the cell-centre rule; :mod:`geoinf.layer_sums`: vector population layers, each
cell or polygon by its centre point, by exact distance).

Population from the embedded layers is **indicative**: the places table lists
named places only (complete down to 500 inhabitants in Europe and its
neighbours, 15,000 elsewhere) and the embedded grid is modelled. The
``coverage`` column says which share of each band's area the layer covers.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from . import _validate
from .catalog import DEFAULT_SCENARIO, list_scenarios, load_scenario, validate_pairs
from .cities import site_arrays
from .engine import resolve_engine
from .errors import InputError
from .layer_sums import layer_coverage, layer_extent, layer_sums
from .places import embedded_countries
from .population_layers import is_population_layer, load_population_layer
from .population_sums import group_areas, places_sums, raster_sums
from .raster_arrays import array_label, footprint, is_data_array
from .rings import validate_edges
from .sites import area_sites
from .treaty import INF_EDGES_KM, band_label

__all__ = [
    "EXPOSURE_VALUES",
    "BY_KEYS",
    "ALL_SITES",
    "range_claims",
    "exposure_table",
]

BY_KEYS = ("site", "system", "estimate", "band", "country")
"""Keys :func:`exposure_table` can group by; omitted keys are unioned (each person once)."""
COUNTRY_COLUMNS = ("iso_a3", "country_name", "country_population", "share")
EXPOSURE_VALUES = ("min_km", "max_km", "population", "area_km2", "coverage")
"""Value columns of :func:`exposure_table` (besides the keys and the country columns)."""
ALL_SITES = "(all sites)"
"""The ``site`` label of union rows: every site of the group, each person counted once."""


# --- range claims ----------------------------------------------------------------------

def _all_pairs() -> pd.DataFrame:
    """Return every (site, system) pair of the embedded scenarios, each once."""
    frames = [load_scenario(name) for name in list_scenarios()["scenario"]]
    pairs = pd.concat(frames, ignore_index=True)
    return pairs.drop_duplicates(["site", "system"]).reset_index(drop=True)


def _pairs(sites) -> pd.DataFrame | None:
    """Return a scenario's pairs (with ranges) from a name, path or frame; None for sites."""
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


def range_claims(sites, *, max_km: float | None = None,
                 split_single: bool = True) -> pd.DataFrame:
    """Return one row per (site, system, estimate) with its range claim.

    Parameters
    ----------
    sites : None, scenario name, path or DataFrame
        A scenario (None: every pair of the embedded scenarios; a name, a file, or the
        frame of :func:`geoinf.load_scenario`), or a frame of plain sites (``lon, lat``
        and ``id``/``site``/``name``).
    max_km : float, optional
        Range of plain sites (default ``inf``: not capped).
    split_single : bool, default True
        When any pair has two claims, give every pair ``low`` and ``high`` rows (equal
        ranges where the claims agree), so that each estimate is a complete scenario.

    Returns
    -------
    DataFrame
        ``site, site_name, system, estimate, range_km, lon, lat``; ``estimate`` is
        ``single`` (one claim, or plain sites), ``low`` or ``high``. With area sites
        (lines, polygons: :func:`geoinf.sites.area_sites`), ``area`` holds each one's
        geometry (None for point sites) and ``lon, lat`` its label point.

    Examples
    --------
    >>> range_claims("kaliningrad")[["system", "estimate", "range_km"]]
           system estimate  range_km
    0  iskander-m      low     500.0
    1       9m729      low     480.0
    2  iskander-m     high     500.0
    3       9m729     high    2500.0
    """
    pairs = _pairs(sites)
    if pairs is None:
        sites = area_sites(sites)
        label, lon, lat = site_arrays(sites)
        name = sites["name"].astype(str).to_numpy() if "name" in sites else label
        rng = np.inf if max_km is None else _validate.number(max_km, "max_km", lo=0,
                                                             lo_open=True)
        out = pd.DataFrame({"site": label, "site_name": name, "system": "",
                            "estimate": "single", "range_km": rng, "lon": lon, "lat": lat})
        return _with_areas(out, sites)
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
    cols = ["site", "site_name", "system", "estimate", "range_km", "lon", "lat"]
    if "area" in pairs.columns:
        base_area = pairs["area"].to_numpy(object)
        out["area"] = np.concatenate([base_area[~split], base_area[split], base_area[split]])
        if out["area"].notna().any():
            cols.append("area")
    return out[cols]


def _with_areas(items: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Add the ``area`` of area sites (lines, polygons) to their items; none for points."""
    if "area" not in sites.columns:
        return items
    return items.assign(area=sites["area"].to_numpy(object))


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
                   nodata: float | None = None, population_column: str | None = None,
                   engine: str = "auto") -> pd.DataFrame:
    """Return the people (and area) within each band, per site and for all sites together.

    Parameters
    ----------
    scenario_or_sites : str, path or DataFrame, default :data:`geoinf.DEFAULT_SCENARIO`
        A scenario (name, file, or the frame of :func:`geoinf.load_scenario`): each
        band is capped at the system's range, with one row per range claim
        (``estimate`` low/high) where claims differ. Or a frame of plain sites
        (``lon, lat`` and ``id``/``name``): bands as given (or capped at ``max_km``).
        A site may be an area (a line or polygon: :func:`geoinf.sites.area_sites`,
        e.g. :func:`geoinf.sites.country_sites`): its bands are distances to the area,
        exact (:func:`geoinf.distance_to_km`, 0 inside), by the same cell-centre and
        place-centre rules (:mod:`geoinf.area_sums`); ranges up to
        :data:`geoinf.area_sums.MAX_AREA_RANGE_KM`.
    edges_km : sequence of float, default (500, 1000, 5500)
        Increasing band edges; a first edge of 0 makes a whole disc.
    layer : {"places", "raster"}, path or xarray.DataArray
        ``places``: the embedded places (a person counts if their place's centre is in
        the band); ``raster``: the embedded indicative grid; a population raster in any
        CRS (read as it is, never reprojected; see ``kind``): a file, or a DataArray
        with a CRS (rioxarray; numpy- or dask-backed, read window by window:
        :mod:`geoinf.raster_arrays`); a path to a vector
        population layer (a census grid with INSPIRE cell ids such as Eurostat's
        GEOSTAT, H3 hexagons such as Kontur's, polygons or points with a population column: see
        :func:`geoinf.population_layers.is_population_layer`; each cell or polygon counts
        by its centre point, the rule in ``attrs["provenance"]["rule"]``), or a places
        table (CSV, GeoJSON...).
    by : sequence of {"site", "system", "estimate", "band", "country"}
        Keys. Keys left out are unioned: each person is counted once. With
        ``"site"``, rows for each site come with rows for the union of all sites
        (``site`` = :data:`ALL_SITES`). ``estimate`` is always a key when a system has
        two range claims (they are alternatives, not additions).
    kind : {"count", "density"}
        Values of a raster ``layer`` (file or DataArray).
    min_population : float
        Places layer only: smallest place counted.
    progress : callable, optional
        Called with (done, total) raster blocks.
    nodata : float, optional
        Raster ``layer`` only: a value of the file (or DataArray) that marks cells without data
        (0 people) when the file does not declare it (see
        :func:`geoinf.raster.open_population`).
    population_column : str, optional
        Vector population layer only: its population column, when the file's is not one
        of :data:`geoinf.population_layers.POPULATION_NAMES`.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Geodesic engine (:func:`geoinf.engine.resolve_engine`); both give the same table.

    Returns
    -------
    DataFrame
        The keys, ``min_km, max_km`` (the band, capped at the range), ``population``,
        ``area_km2`` (area of the region on WGS84, cell-centre rule on a 0.1° grid),
        ``coverage`` (share of that area inside the layer's extent: the raster's
        footprint on the globe, a places file's or vector population layer's lon/lat box, or for the
        embedded places the countries listed down to ``min_population``); with
        ``"country"``: ``iso_a3, country_name, country_population, share``.
        ``attrs["provenance"]`` describes the run.
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
    resolve_engine(engine)
    items = range_claims(DEFAULT_SCENARIO if scenario_or_sites is None else scenario_or_sites,
                         max_km=max_km)
    if items["estimate"].isin(["low", "high"]).any() and "estimate" not in by:
        by.append("estimate")
    annuli = _annuli(items, edges)
    groups, members = _groups(annuli, by)
    with_country = "country" in by
    kind_of_layer, source = _layer_kind(layer, population_column)
    cells = None
    if kind_of_layer == "layer":
        cells = load_population_layer(source, population_column=population_column)
    if not (annuli["outer_km"] > annuli["inner_km"]).any():  # no band reached: nobody
        pop, area, cover = _nobody(len(members), with_country)
    elif cells is not None:
        pop = layer_sums(annuli, members, cells, with_country, engine=engine)
        area, _ = group_areas(annuli, members, "places", None, 0, engine=engine)
        cover = layer_coverage(annuli, members, layer_extent(cells), area, engine=engine)
    else:
        if kind_of_layer == "raster":
            pop = raster_sums(annuli, members, source, kind, with_country, progress,
                              nodata=nodata, engine=engine)
        else:
            pop = places_sums(annuli, members, source, min_population, with_country,
                              engine=engine)
        # the coverage of a raster's extent is cached by layer: a DataArray by its grid
        key = footprint(source) if is_data_array(source) else source
        area, cover = group_areas(annuli, members, kind_of_layer, key, min_population,
                                  engine=engine)
    out = _assemble(groups, pop, area, cover, with_country)
    out.attrs["provenance"] = {
        "layer": array_label(source) if is_data_array(source) else
        str(source) if source is not None else
        ("embedded places (GeoNames)" if kind_of_layer == "places"
         else "embedded indicative population grid"),
        "edges_km": ",".join(f"{e:g}" for e in edges),
        "by": ",".join(by),
        "rule": "place centre or cell centre within the band by ellipsoidal distance"
        if cells is None else
        f"{cells.attrs['rule']}, within the band by exact ellipsoidal distance",
    }
    return out


def _nobody(n_groups: int, with_country: bool):
    """Return the sums of groups whose bands no item reaches: 0 people, area 0, covered."""
    area, cover = np.zeros(n_groups), np.ones(n_groups)
    if not with_country:
        return np.zeros(n_groups), area, cover
    return pd.DataFrame({"group": np.arange(n_groups), "iso_a3": "",
                         "population": np.zeros(n_groups)}), area, cover


def _layer_kind(layer, population_column=None) -> tuple[str, str | None]:
    """Return the kind of a layer argument and its path (None: embedded).

    The kind is ``places``, ``raster`` (a raster file or an xarray.DataArray, returned
    as it is) or ``layer`` (a vector population layer).
    """
    if population_column is not None and not isinstance(population_column, str):
        raise InputError(f"population_column={population_column!r}: expected a column name")
    if is_data_array(layer):
        kind, source = "raster", layer
    elif not isinstance(layer, str | os.PathLike):
        shown = repr(layer)
        shown = shown if len(shown) <= 60 and "\n" not in shown else type(layer).__name__
        raise InputError(f"layer={shown}: expected 'places', 'raster', a "
                         "path to a raster (.tif) or places (.csv, .geojson, .gpkg) file, "
                         "or an xarray.DataArray")
    else:
        kind, source = _path_kind(layer, population_column)
    if population_column is not None and kind != "layer":
        where = array_label(layer) if is_data_array(layer) else repr(os.fspath(layer))
        raise InputError(f"population_column={population_column!r} applies to a vector "
                         f"population layer file; layer={where} is a {kind} layer")
    return kind, source


def _path_kind(layer, population_column) -> tuple[str, str | None]:
    """Return the kind of a layer name or file (see :func:`_layer_kind`)."""
    if layer in ("places", "raster"):
        return str(layer), None
    suffix = os.path.splitext(os.fspath(layer))[1].lower()
    if suffix in (".tif", ".tiff", ".vrt", ".img", ".nc", ".asc"):
        return "raster", os.fspath(layer)
    if suffix in (".csv", ".txt", ".tsv", ".geojson", ".json", ".gpkg", ".parquet", ".fgb",
                  ".shp"):
        if is_population_layer(layer, population_column):
            return "layer", os.fspath(layer)
        return "places", os.fspath(layer)
    raise InputError(f"layer={layer!r}: expected 'places', 'raster', or a raster (.tif), "
                     "population layer or places (.csv, .geojson, .gpkg, .parquet) file")


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
    """Return the name and population of each country, by ``iso_a3``."""
    c = embedded_countries()
    return pd.DataFrame({"iso_a3": c["iso_a3"].astype(str), "country_name": c["name"],
                         "country_population": c["pop_est"].astype(float)})
