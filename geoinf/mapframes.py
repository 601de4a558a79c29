"""The finished frames a range map draws: reach bands, sites, cities, population per band.

:func:`map_frames` computes them from the public API: the bands of each system
(:func:`geoinf.bands.reach_bands`), the cities in range (:mod:`geoinf.cities`), the
population of each band (:mod:`geoinf.exposure`) and optionally a density image for an
overlay (:func:`population_image`). :mod:`geoinf.render` and :mod:`geoinf.figure` draw
them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.transform
import rasterio.warp
from pyproj import Transformer

from .bands import reach_bands
from .catalog import DEFAULT_SCENARIO, list_scenarios, load_pairs, scenario_rings, select_pairs
from .cities import cities_in_range
from .errors import InputError
from .exposure import exposure_table
from .geodesic import distance_km
from .geometry_distance import distance_to_km
from .raster import open_population
from .raster_view import density_window
from .sites import load_sites, site_areas
from .systems import SYSTEM_COLUMNS, load_systems
from .treaty import INF_EDGES_KM, inf_class

__all__ = ["MERCATOR_MAX_LAT", "SUMMARY_EDGES_KM", "MapFrames", "map_frames", "population_image"]

MERCATOR_MAX_LAT = float(np.degrees(2 * np.arctan(np.exp(np.pi)) - np.pi / 2))
"""Latitude where Web Mercator's square world ends (85.0511°): maps are clipped there."""


@dataclass
class MapFrames:
    """Everything a range map shows, computed; :func:`geoinf.render.range_map` draws it.

    Attributes
    ----------
    bands : geopandas.GeoDataFrame
        One row per system and piece of its reach (:func:`geoinf.bands.reach_bands`).
    sites : geopandas.GeoDataFrame
        One row per (site, system) pair (:func:`geoinf.catalog.load_scenario`
        columns plus the site's ``operator``, ``source`` and ``site_note``).
    cities : pandas.DataFrame or None
        Places in range (:func:`geoinf.cities.cities_in_range` columns plus
        ``systems``), largest first.
    summary : pandas.DataFrame or None
        Population per band (any columns; shown as a table).
    population : dict or None
        From :func:`population_image`: a Web Mercator density grid for an overlay.
    meta : dict
        Provenance: ``scenario``, ``description``, ``tolerance_km``, ``sources``,
        ``indicative`` (True when the indicative population grid is used), ``notes``.
    areas : geopandas.GeoDataFrame or None
        The area sites (lines, polygons): ``site, site_name`` and the area, drawn as
        outlines (also in ``bands.attrs["areas"]``, which
        :func:`geoinf.map_layers.band_layers` reads).
    """

    bands: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    cities: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    population: dict | None = None
    meta: dict = field(default_factory=dict)
    areas: gpd.GeoDataFrame | None = None


def _sites_frame(pairs: gpd.GeoDataFrame, table: gpd.GeoDataFrame | None = None
                 ) -> gpd.GeoDataFrame:
    table = load_sites() if table is None else table
    extra = table.reindex(columns=["id", "operator", "source", "note"]).rename(
        columns={"id": "site", "note": "site_note"})
    is_area = pairs["area"].notna().to_numpy() if "area" in pairs.columns else False
    out = pairs.drop(columns="area", errors="ignore").assign(is_area=is_area).merge(
        extra, on="site", how="left")
    return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out["lon"], out["lat"]),
                            crs="EPSG:4326")


def _cities(pairs: gpd.GeoDataFrame, min_population: float) -> pd.DataFrame:
    """Places within each system's highest range of that system's sites, merged.

    Sites are told apart by their id, never by their names: the sites reaching a place
    are gathered as sets of site ids over all systems (two sites may share a name, and
    a name may hold any separator). ``hits`` lists, for each place, every
    ``(system id, site id, distance_km)`` of a site that reaches it, by exact distance.
    """
    ids = pd.Index(pd.unique(pairs["site"]))
    names = pairs.drop_duplicates("site").set_index("site")["site_name"].reindex(ids)
    parts = []
    for system, group in pairs.groupby("system", sort=False):
        group = group.drop_duplicates("site")
        codes = ids.get_indexer(group["site"])
        lon, lat = group["lon"].to_numpy(float), group["lat"].to_numpy(float)
        sites = pd.DataFrame({"id": codes.astype(str), "lon": lon, "lat": lat})
        if "area" in group.columns:
            sites["area"] = group["area"].to_numpy(object)
        reach_km = float(group["range_km_high"].max())
        found = cities_in_range(sites, max_km=reach_km, min_population=min_population)
        # labels are our own site numbers, so the ";"-joined list splits back exactly
        reach = [frozenset(int(c) for c in s.split(";")) for s in found["sites"]]
        dist = _site_distances(found, sites)
        hits = [tuple((system, ids[c], float(d)) for c, d in zip(codes, row, strict=True)
                      if d <= reach_km) for row in dist]
        parts.append(found.assign(systems=group["system_name"].iloc[0], reach=reach,
                                  nearest=found["nearest_site"].astype(int), hits=hits))
    if not parts:
        return pd.DataFrame()
    both = pd.concat(parts, ignore_index=True).sort_values("distance_km", kind="stable")
    merged = both.groupby(["name", "lon", "lat"], sort=False).agg(
        country=("country", "first"), population=("population", "first"),
        nearest=("nearest", "first"), distance_km=("distance_km", "first"),
        margin_km=("margin_km", "max"), reach=("reach", lambda r: frozenset().union(*r)),
        systems=("systems", lambda s: ", ".join(dict.fromkeys(s))),
        hits=("hits", lambda h: [x for part in h for x in part])).reset_index()
    merged["nearest_site"] = names.to_numpy()[merged["nearest"].to_numpy(int)]
    merged["n_sites"] = [len(r) for r in merged["reach"]]
    merged["sites"] = ["; ".join(names.to_numpy()[sorted(r)]) for r in merged["reach"]]
    merged = merged.drop(columns=["nearest", "reach"])
    return merged.sort_values("population", ascending=False, kind="stable",
                              ignore_index=True)


def _site_distances(found: pd.DataFrame, sites: pd.DataFrame) -> np.ndarray:
    """Return places x sites exact distances (km): to the point, or to the area site."""
    p_lon, p_lat = found["lon"].to_numpy(float), found["lat"].to_numpy(float)
    s_lon, s_lat = sites["lon"].to_numpy(float), sites["lat"].to_numpy(float)
    dist = np.atleast_2d(distance_km(p_lon[:, None], p_lat[:, None], s_lon[None, :],
                                     s_lat[None, :])).reshape(p_lon.size, s_lon.size)
    if "area" in sites.columns and p_lon.size:
        for j in np.flatnonzero(sites["area"].notna().to_numpy()):
            dist[:, j] = distance_to_km(sites["area"].iloc[j], p_lon, p_lat)
    return dist


def _unreached(pairs: gpd.GeoDataFrame, edges_km: Sequence[float] = INF_EDGES_KM
               ) -> list[str]:
    """Return a note for each system whose range does not pass the inner band edge."""
    inner = float(edges_km[0])
    reach = pairs.groupby("system", sort=False).agg(
        name=("system_name", "first"), range_km=("range_km_high", "max"))
    return [f"{r.name}: its {r.range_km:,.0f} km range ends at or inside the inner INF "
            f"edge ({inner:,.0f} km), so it reaches no INF band (0 people in INF bands)"
            for r in reach.itertuples() if r.range_km <= inner]


SUMMARY_EDGES_KM = (0.0, *INF_EDGES_KM)
"""Band edges of the summary: under 500 km (outside the treaty), then the INF classes."""


def _band_populations(pairs: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the people within each distinct range claim of each system, per band.

    One row per system, distinct claim (``range_km``) and band from 0 km: a system
    with a single figure has one set of rows, not a low and a high copy.
    """
    cols = ["system", "estimate", "range_km", "band", "min_km", "max_km", "population",
            "coverage"]
    table = exposure_table(pairs, edges_km=SUMMARY_EDGES_KM, by=("system", "estimate",
                                                                 "band"))
    if not len(table):
        return pd.DataFrame(columns=cols)
    claims = pairs.drop_duplicates("system").set_index("system")
    low = claims["range_km_low"].reindex(table["system"]).to_numpy(float)
    high = claims["range_km_high"].reindex(table["system"]).to_numpy(float)
    table = table.assign(range_km=np.where(table["estimate"] == "low", low, high))
    table = table[(table["estimate"] != "high") | (low != high)]
    return table.drop_duplicates(["system", "range_km", "band"])[
        [c for c in cols if c in table.columns]].reset_index(drop=True)


def population_image(bounds: tuple[float, float, float, float], *,
                     path: str | os.PathLike | None = None, width: int = 1024) -> dict:
    """Return people per km² on a Web Mercator grid covering a lon/lat box, for display.

    Parameters
    ----------
    bounds : (west, south, east, north)
        Degrees; latitudes are clipped to ±85.05° (Web Mercator).
    path : str or os.PathLike, optional
        A population raster in any CRS and layout the sums read (default: the embedded
        indicative grid): lon/lat north-up or south-up, −180–180° or 0–360°, or
        projected (:func:`geoinf.raster_view.density_window`).
    width : int, default 1024
        Columns of the output grid.

    Returns
    -------
    dict
        ``density`` (2-D float array, people/km², row 0 north), ``bounds``
        (south, west, north, east) in degrees, ``indicative`` (bool), ``path``.
    """
    west, south, east, north = bounds
    south, north = max(south, -MERCATOR_MAX_LAT), min(north, MERCATOR_MAX_LAT)
    with open_population(path) as pop:
        density, src_transform, src_crs = density_window(pop, (west, south, east, north))
        indicative, src = pop.indicative, str(pop.path)
    to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    x0, y0 = to_merc.transform(west, south)
    x1, y1 = to_merc.transform(east, north)
    height = max(1, round(width * (y1 - y0) / (x1 - x0)))
    out = np.zeros((height, width), dtype=np.float64)
    rasterio.warp.reproject(
        density, out, src_transform=src_transform, src_crs=src_crs,
        dst_transform=rasterio.transform.from_bounds(x0, y0, x1, y1, width, height),
        dst_crs="EPSG:3857", resampling=rasterio.warp.Resampling.average)
    return {"density": out, "bounds": (south, west, north, east), "indicative": indicative,
            "path": src}


_SOURCES = (
    "Sites, systems and range claims: geoinf catalog (each figure cited in its popup; "
    "data/SOURCES.md)",
    "Places: GeoNames (CC BY 4.0)",
    "Countries: Natural Earth 5.1.1 admin-0 (public domain), simplified for display",
)


def map_frames(scenario: str | os.PathLike | None = DEFAULT_SCENARIO, *,
               site: str | None = None, system: str | None = None,
               sites: str | os.PathLike | gpd.GeoDataFrame | None = None,
               systems: str | os.PathLike | pd.DataFrame | None = None,
               radius_km: Sequence[float] | None = None, cities: bool = True,
               min_population: float = 100_000, population: bool | str | os.PathLike = False,
               tolerance_km: float = 0.1, as_of: str | None = None) -> MapFrames:
    """Compute everything a range map of a scenario (or of site x system pairs) shows.

    Parameters
    ----------
    scenario : str or os.PathLike, default "inf-2019"
        Scenario name or file; ``None`` with ``site`` and ``system`` forms every pair.
    site, system : str, optional
        Comma-separated ids selecting pairs (:func:`geoinf.catalog.select_pairs`).
    sites : path or GeoDataFrame, optional
        With ``scenario=None``: your own sites table (:func:`geoinf.sites.load_sites`);
        each of its sites (or those named by ``site``) is paired with each catalog
        ``system`` and with each of ``radius_km``. Area sites (lines, polygons, e.g.
        :func:`geoinf.sites.country_sites`, or ``load_sites(path, areas=True)``: give
        the frame) are drawn as outlines, their bands are
        buffers of the area and their cities are found by exact distance to the area.
    systems : path or DataFrame, optional
        With ``sites``: the systems table ``system`` ids are resolved against
        (:func:`geoinf.systems.load_systems`); default: the catalog.
    radius_km : sequence of float, optional
        With ``sites``: ranges drawn as systems of one claim each ("500 km range").
    cities : bool, default True
        Find the places in range (:func:`geoinf.cities.cities_in_range`).
    min_population : float, default 100,000
        Smallest place shown as a city.
    population : bool or path, default False
        Add a population density overlay: True for the embedded indicative grid,
        or the path of a population raster.
    tolerance_km : float, default 0.1
        Boundary tolerance of the bands.

    Returns
    -------
    MapFrames
        ``meta["notes"]`` names each system whose range does not pass the inner INF
        edge (500 km): it reaches no INF band, and the summary lists the bands with
        0 people.

    Examples
    --------
    >>> frames = map_frames("kaliningrad", cities=False)
    >>> len(frames.bands), sorted(set(frames.sites["site"])), frames.meta["scenario"]
    (5, ['chernyakhovsk'], 'kaliningrad')
    """
    table = None
    if sites is not None or radius_km is not None or systems is not None:
        if scenario is not None:
            raise InputError("a scenario brings its own sites and ranges; give either a "
                             "scenario or a sites table with systems/ranges")
        table = sites if isinstance(sites, gpd.GeoDataFrame) else load_sites(sites)
        catalog = systems if isinstance(systems, pd.DataFrame) else load_systems(systems)
        pairs = _user_pairs(table, site, system, radius_km, catalog)
    else:
        pairs = select_pairs(scenario, site=site, system=system, as_of=as_of)
    rings = scenario_rings(pairs, tolerance_km=tolerance_km)
    areas = _areas(pairs)
    bands = reach_bands(rings, tolerance_km=tolerance_km,
                        areas=None if areas is None else dict(zip(areas["site"],
                                                                  areas.geometry, strict=True)))
    bands.attrs["areas"] = areas
    name = str(pairs["scenario"].iloc[0]) if len(pairs) else str(scenario)
    if as_of is not None and scenario is None and not (site or system):
        name = f"as of {as_of}"
    meta = {"scenario": name if scenario is not None or as_of is not None else "custom",
            "description": _description(scenario, name),
            "tolerance_km": tolerance_km, "sources": _sources(sites, systems, radius_km),
            "indicative": False,
            "min_population": min_population, "notes": _unreached(pairs)}
    found = _cities(pairs, min_population) if cities else None
    summary = _band_populations(pairs) if cities else None
    image = None
    if population is not False and population is not None:
        path = None if population is True else population
        west, south, east, north = bands.total_bounds if len(bands) else (-180, -85, 180, 85)
        image = population_image((west, south, east, north), path=path)
        meta["indicative"] = image["indicative"]
    return MapFrames(bands=bands, sites=_sites_frame(pairs, table), cities=found,
                     summary=summary,
                     population=image, meta=meta, areas=areas)


def _areas(pairs: pd.DataFrame) -> gpd.GeoDataFrame | None:
    """Return the area sites of a map (site, site_name, geometry), None when it has none."""
    if "area" not in pairs.columns or not pairs["area"].notna().any():
        return None
    rows = pairs[pairs["area"].notna()].drop_duplicates("site")
    return gpd.GeoDataFrame({"site": rows["site"].to_numpy(),
                             "site_name": rows["site_name"].astype(str).to_numpy()},
                            geometry=list(rows["area"]), crs="EPSG:4326")


def _sources(sites, systems, radius_km) -> list[str]:
    """Return the data sources of a map; a user's own sites and systems are credited to them."""
    if sites is None and systems is None and radius_km is None:
        return list(_SOURCES)
    where = ("your sites table" if sites is None or isinstance(sites, gpd.GeoDataFrame)
             else f"your sites table {os.path.basename(os.fspath(sites))}")
    ranges = []
    if systems is not None:
        ranges.append("systems from your table" if isinstance(systems, pd.DataFrame) else
                      f"systems from your table {os.path.basename(os.fspath(systems))}")
    else:
        ranges.append("systems and range claims from the geoinf catalog (data/SOURCES.md)")
    if radius_km:
        ranges.append("ranges as given (" + ", ".join(f"{r:,.0f} km" for r in radius_km) + ")")
    return [f"Sites: {where}; " + "; ".join(ranges), *_SOURCES[1:]]


def _user_pairs(table: gpd.GeoDataFrame, site: str | None, system: str | None,
                radius_km: Sequence[float] | None, catalog: pd.DataFrame
                ) -> gpd.GeoDataFrame:
    """Every (site, system) pair of a user's sites with the systems and plain ranges."""
    ids = [s.strip() for s in site.split(",") if s.strip()] if site else list(table["id"])
    wanted = [s.strip() for s in system.split(",") if s.strip()] if system else []
    radii = [float(r) for r in (radius_km or ())]
    bad = [r for r in radii if not (np.isfinite(r) and 0 < r < 20_000)]
    if bad:
        raise InputError(f"radius_km={bad[0]!r}: expected a range in km in (0, 20000)")
    if not wanted and not radii:
        raise InputError("a sites table needs --system ID (catalog) or --radius-km R to "
                         "draw ranges")
    plain = pd.DataFrame({c: "" for c in SYSTEM_COLUMNS}, index=range(len(radii)))
    plain["id"] = [f"{r:g}-km" for r in radii]
    plain["name"] = [f"{r:,.0f} km range" for r in radii]
    plain["range_km_low"] = plain["range_km_high"] = radii
    plain["low_claimant"] = plain["high_claimant"] = "given range"
    plain["inf_class_low"] = plain["inf_class_high"] = [str(inf_class(r)) for r in radii]
    systems = pd.concat([catalog, plain], ignore_index=True).drop_duplicates("id", keep="last")
    pairs = load_pairs(ids, [*wanted, *plain["id"]], sites=table, systems=systems)
    areas = site_areas(table)
    if (areas != None).any():  # noqa: E711 (elementwise): area sites keep their area
        by_id = dict(zip(table["id"].astype(str), areas, strict=True))
        pairs["area"] = [by_id.get(str(s)) for s in pairs["site"]]
    return pairs.assign(scenario="custom")


def _description(scenario, name: str) -> str:
    """Return the description of a catalog scenario, or of ``name`` in a user's file."""
    if scenario is None:
        return ""
    is_file = os.path.isfile(os.fspath(scenario))
    table = list_scenarios(scenario if is_file else None).set_index("scenario")
    return str(table["description"].get(name if is_file else str(scenario), ""))
