"""The layers of a range map: bands, sites, cities, the countries basemap, population.

Each builder turns a finished frame into a :class:`geoinf.map_elements.JsLayer` (or an
image overlay) whose data is written into the page as JSON; every text from an input
file is HTML-escaped here, where it is put into a tooltip or popup. Polygons are
clipped to Web Mercator's latitudes (±85.05°) and rounded to 1e-4° (~11 m) for
display only; the frames keep the whole geometry.
"""

from __future__ import annotations

import functools
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .map_elements import JsLayer, VerbatimImageOverlay, escape_text
from .mapframes import MERCATOR_MAX_LAT
from .palette import BORDER, INF_COLOURS, LAND, UNKNOWN
from .places import load_countries

__all__ = ["DENSITY_STOPS", "DENSITY_RGB", "display_geojson",
           "band_layers", "site_layer", "city_layer", "basemap_layer", "population_layer"]

"""Colours of the sea, the land and the country borders of the offline basemap."""

DENSITY_STOPS = (1, 10, 100, 1000, 10000)
"""People per km² at each colour stop of the population overlay."""

DENSITY_RGB = np.array([[255, 245, 200], [254, 204, 92], [253, 141, 60], [227, 26, 28],
                        [128, 0, 38]], dtype=float)
"""Colour of each of :data:`DENSITY_STOPS` (interpolated in log density between them)."""

_DASH = {"low": None, "single": None, "high": "7 5"}


def _km(value: float) -> str:
    return f"{value:,.0f} km"


def _link(text: str) -> str:
    """Escape a source text and turn its http(s) URLs into links."""
    out = []
    for word in str(text).split(" "):
        bare = word.rstrip(").,;")
        if bare.startswith(("http://", "https://")):
            tail = word[len(bare):]
            url = escape_text(bare)
            out.append(f'<a href="{url}" target="_blank" rel="noopener">{url}</a>'
                       f"{escape_text(tail)}")
        else:
            out.append(escape_text(word))
    return " ".join(out)


def display_geojson(geometry, properties: list[dict]) -> dict:
    """Return a GeoJSON FeatureCollection for display: clipped to ±85.05°, rounded to 1e-4°.

    Examples
    --------
    >>> fc = display_geojson([shapely.box(10.123456, 80, 11, 89)], [{"tooltip": "x"}])
    >>> ring = fc["features"][0]["geometry"]["coordinates"][0]
    >>> min(x for x, _ in ring), max(y for _, y in ring), fc["features"][0]["properties"]
    (10.1235, 85.0511, {'tooltip': 'x'})
    """
    geoms = shapely.clip_by_rect(np.asarray(geometry, dtype=object), -180.0, -MERCATOR_MAX_LAT,
                                 180.0, MERCATOR_MAX_LAT)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, 4))
    features = [{"type": "Feature", "properties": props,
                 "geometry": json.loads(shapely.to_geojson(g))}
                for g, props in zip(geoms, properties, strict=True) if not shapely.is_empty(g)]
    return {"type": "FeatureCollection", "features": features}


def band_layers(bands: gpd.GeoDataFrame) -> list[JsLayer]:
    """Return one layer per band piece, coloured by INF class, dashed for the high claim only."""
    layers = []
    # widest pieces first, so that inner pieces (drawn later) stay clickable on top
    for row in bands.sort_values("max_km", ascending=False, kind="stable").itertuples():
        colour = INF_COLOURS.get(row.inf_class, UNKNOWN)
        claim = ("both range claims" if row.estimate == "low" else
                 "the high range claim only" if row.estimate == "high" else "its range")
        tooltip = (f"<b>{escape_text(row.system_name)}</b><br>{escape_text(row.inf_class)} zone "
                   f"{row.min_km:,.0f}&ndash;{_km(row.max_km)} from the nearest of "
                   f"{row.n_sites} site{'s' if row.n_sites != 1 else ''}<br>reached under "
                   f"{claim} ({escape_text(row.estimate)} estimate {_km(row.range_km)})")
        popup = (f"{tooltip}<br><b>Claim:</b> {escape_text(row.claimant)}<br><b>Source:</b> "
                 f"{_link(row.source)}<br><b>Sites:</b> {escape_text(row.sites)}")
        style = {"color": colour, "weight": 1.6, "fillColor": colour, "fillOpacity": 0.12,
                 "dashArray": _DASH.get(row.estimate)}
        data = display_geojson([row.geometry], [{"style": style, "tooltip": tooltip,
                                                 "popup": popup}])
        name = (f"{row.system_name.split(' ')[0]} · {row.inf_class} "
                f"{row.min_km:,.0f}–{_km(row.max_km)}"
                f"{' (high claim)' if row.estimate == 'high' else ''}")
        layers.append(JsLayer("polygons", "band", name, data,
                              {"interactive": True, "pane": "overlayPane"}, 1))
    return layers


def _site_popup(rows: pd.DataFrame) -> str:
    first = rows.iloc[0]
    parts = [f"<b>{escape_text(first.site_name)}</b> ({escape_text(first.country)})",
             f"<br>{escape_text(first.operator)}" if first.get("operator") else "",
             f"<br>Status: {escape_text(first.status)}, {escape_text(first.period)}",
             f"<br>Location precision: ±{first.precision_km:g} km"]
    for r in rows.itertuples():
        ranges = (_km(r.range_km_low) if r.range_km_low == r.range_km_high else
                  f"{r.range_km_low:,.0f}&ndash;{_km(r.range_km_high)}")
        parts.append(f"<hr style='margin:4px 0'><b>{escape_text(r.system_name)}</b> "
                     f"({escape_text(r.basis)}): {ranges}<br>low: "
                     f"{escape_text(r.low_claimant)} &mdash; {_link(r.low_source)}")
        if r.range_km_low != r.range_km_high:
            parts.append(f"<br>high: {escape_text(r.high_claimant)} &mdash; "
                         f"{_link(r.high_source)}")
        if r.note:
            parts.append(f"<br><i>{escape_text(r.note)}</i>")
    if first.get("source"):
        parts.append(f"<hr style='margin:4px 0'><small>Site: {_link(first.source)}</small>")
    return "".join(parts)


def site_layer(sites: gpd.GeoDataFrame) -> JsLayer:
    """Return the site markers: one per site, its popup listing every system and source."""
    rows = []
    for _, group in sites.groupby("site", sort=False):
        first = group.iloc[0]
        systems = ", ".join(dict.fromkeys(group.system_name))
        tip = f"{escape_text(first.site_name)}: {escape_text(systems)}"
        rows.append([round(float(first.lon), 5), round(float(first.lat), 5), tip,
                     _site_popup(group)])
    return JsLayer("points", "site", f"Sites ({len(rows)})", rows,
                   {"className": "geoinf-site", "size": 14}, len(rows))


def city_layer(cities: pd.DataFrame) -> JsLayer:
    """Return the cities in range as clustered markers with their distances in tooltips."""
    rows = []
    for c in cities.itertuples():
        tip = (f"<b>{escape_text(c.name)}</b> ({escape_text(c.country)})<br>population "
               f"{c.population:,.0f}<br>{_km(c.distance_km)} from "
               f"{escape_text(c.nearest_site)} (margin {_km(c.margin_km)})"
               f"<br>reached from {c.n_sites} site{'s' if c.n_sites != 1 else ''}: "
               f"{escape_text(c.sites)}")
        if "systems" in cities.columns:
            tip += f"<br>by: {escape_text(c.systems)}"
        rows.append([round(float(c.lon), 4), round(float(c.lat), 4), tip, None])
    cluster = {"maxClusterRadius": 45, "disableClusteringAtZoom": 8,
               "spiderfyOnMaxZoom": False, "chunkedLoading": True}
    return JsLayer("points", "city", f"Cities in range ({len(rows):,})", rows,
                   {"className": "geoinf-city", "size": 9, "cluster": cluster}, len(rows))


@functools.lru_cache(maxsize=2)
def _basemap_data(tolerance_deg: float = 0.1, min_area_deg2: float = 0.1) -> str:
    """Countries for display: parts over ~1,000 km², simplified, rounded to 0.01°."""
    parts = shapely.get_parts(load_countries().geometry.values)
    parts = parts[shapely.area(parts) > min_area_deg2]
    parts = shapely.simplify(parts, tolerance_deg, preserve_topology=True)
    parts = shapely.clip_by_rect(parts, -180.0, -MERCATOR_MAX_LAT, 180.0, MERCATOR_MAX_LAT)
    parts = shapely.transform(parts, lambda xy: np.round(xy, 2))
    features = ",".join('{"type":"Feature","properties":{},"geometry":' + shapely.to_geojson(g)
                        + "}" for g in parts if not shapely.is_empty(g))
    return '{"type":"FeatureCollection","features":[' + features + "]}"


def basemap_layer() -> JsLayer:
    """Return the Natural Earth countries as a non-interactive basemap (offline maps)."""
    data = json.loads(_basemap_data())
    style = {"color": BORDER, "weight": 0.6, "fillColor": LAND, "fillOpacity": 1}
    return JsLayer("polygons", "basemap", "Countries (Natural Earth)", data,
                   {"interactive": False, "pane": "geoinfBasemap", "style": style},
                   len(data["features"]))


def population_layer(image: dict) -> VerbatimImageOverlay:
    """Return the density image (:func:`geoinf.mapframes.population_image`) as an overlay."""
    density = np.asarray(image["density"], dtype=float)
    level = np.log10(np.clip(density, DENSITY_STOPS[0], DENSITY_STOPS[-1]))
    stops = np.log10(DENSITY_STOPS)
    rgb = np.stack([np.interp(level, stops, DENSITY_RGB[:, k]) for k in range(3)], axis=-1)
    alpha = np.where(density >= DENSITY_STOPS[0], 170, 0)
    rgba = np.concatenate([rgb, alpha[..., None]], axis=-1).astype(np.uint8)
    south, west, north, east = image["bounds"]
    label = "Population density" + (" (INDICATIVE)" if image.get("indicative") else "")
    return VerbatimImageOverlay(rgba, bounds=[[south, west], [north, east]], name=label,
                         mercator_project=False, opacity=0.8, show=True, zindex=1)
