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
from collections import Counter

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .map_claims import (
    BADGES,
    band_claims,
    claim_label,
    claim_ref,
    claimant_short,
    latest_statuses,
    pair_status,
    system_claims,
)
from .map_elements import JsLayer, VerbatimImageOverlay, escape_text
from .mapframes import MERCATOR_MAX_LAT
from .palette import (
    BORDER,
    CLASS_FILL,
    CLASS_TEXT,
    CLASS_WEIGHT,
    LAND,
    SITE,
    UNKNOWN,
    system_colour,
)
from .places import embedded_countries

__all__ = ["DENSITY_STOPS", "DENSITY_RGB", "BADGES", "BAND_SCALE", "display_geojson",
           "display_path", "system_colours",
           "short_name", "short_names", "badge", "claimant_short", "reach_data", "band_style",
           "band_layers", "area_layer", "ring_labels", "site_layer", "city_layer",
           "compact_rings", "mercator_pixels", "mercator_path", "basemap_layer", "population_layer"]

DENSITY_STOPS = (1, 10, 100, 1000, 10000)
"""People per km² at each colour stop of the population overlay."""

DENSITY_RGB = np.array([[255, 245, 200], [254, 204, 92], [253, 141, 60], [227, 26, 28],
                        [128, 0, 38]], dtype=float)
"""Colour of each of :data:`DENSITY_STOPS` (interpolated in log density between them)."""

_DASH = {"low": None, "single": None, "high": "7 5"}

def badge(basis) -> str:
    """Return the HTML badge of a pair's basis ('' when it has none).

    Examples
    --------
    >>> badge("claimed"), badge("deployed")
    ("<span class='geoinf-badge claimed'>ALLEGED</span>", '')
    """
    word = BADGES.get(str(basis))
    return f"<span class='geoinf-badge {basis}'>{word}</span>" if word else ""


def short_name(name) -> str:
    """Return a system's short name: its words up to the first lower-case word.

    Examples
    --------
    >>> short_name("Pershing II ballistic missile"), short_name("500 km range")
    ('Pershing II', '500 km range')
    """
    text = str(name)
    if text.endswith(" km range"):
        return text
    words = text.split(" ")
    keep = [w for w in words[1:] if w[:1].islower()]
    return " ".join(words[:words.index(keep[0])]) if keep else text


def short_names(names) -> dict[str, str]:
    """Return each system name's short name (:func:`short_name`), unique among ``names``.

    Names that would share a short name keep their missile, the words after their last
    " with ", or else their whole name.

    Examples
    --------
    >>> short_names(["Typhon (Mid-Range Capability) launcher with SM-6",
    ...              "Typhon (Mid-Range Capability) launcher with Tomahawk",
    ...              "Pershing II ballistic missile"])  # doctest: +NORMALIZE_WHITESPACE
    {'Typhon (Mid-Range Capability) launcher with SM-6': 'Typhon (Mid-Range Capability) with SM-6',
     'Typhon (Mid-Range Capability) launcher with Tomahawk':
     'Typhon (Mid-Range Capability) with Tomahawk',
     'Pershing II ballistic missile': 'Pershing II'}
    """
    out = {n: short_name(n) for n in dict.fromkeys(names)}
    for step in ("missile", "whole"):
        counts = Counter(out.values())
        for name, short in out.items():
            text = str(name)
            if counts[short] > 1:
                out[name] = (f"{short_name(text)} with {text.rsplit(' with ', 1)[1]}"
                             if step == "missile" and " with " in text else text)
    return out


def system_colours(bands: gpd.GeoDataFrame) -> dict[str, str]:
    """Return the colour of each system of a map, in order of appearance."""
    systems = dict.fromkeys(bands["system"]) if len(bands) else {}
    return {s: system_colour(i) for i, s in enumerate(systems)}


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


BAND_SCALE = 2 ** 14
"""Band paths' units per Web Mercator pixel at zoom 0: 1/16384 px, 9.5 m at the equator."""


def display_path(geometry, *, scale: int = BAND_SCALE) -> dict | None:
    """Return a band for display: clipped to ±85.05°, one Mercator path (``geoinfMap.band``).

    :func:`mercator_path` (``scale``, ``d``), with the bounds ([[south, west], [north,
    east]], degrees) and a point inside (``at``, [lat, lon]: where a tooltip opened
    without a pointer shows). None when nothing is left after the clip.

    Examples
    --------
    >>> out = display_path(shapely.box(10, 80, 11, 89), scale=1)
    >>> out["d"], out["bounds"], out["at"]
    ('M135 29l0-29 1 0 0 29z', [[80.0, 10.0], [85.0511, 11.0]], [82.5256, 10.5])
    >>> display_path(shapely.box(10, 86, 11, 89)) is None
    True
    """
    geom = shapely.clip_by_rect(geometry, -180.0, -MERCATOR_MAX_LAT, 180.0, MERCATOR_MAX_LAT)
    if shapely.is_empty(geom) or shapely.area(geom) == 0:
        return None
    west, south, east, north = (round(float(v), 4) for v in shapely.bounds(geom))
    at = shapely.point_on_surface(geom)
    out = mercator_path([geom], scale=scale)
    out.update(bounds=[[south, west], [north, east]],
               at=[round(float(at.y), 4), round(float(at.x), 4)])
    return out


def band_style(row, colour: str) -> dict:
    """Return a band's Leaflet path style: line width and fill by INF class, dashed if high."""
    return {"color": colour, "weight": CLASS_WEIGHT.get(row.inf_class, 1.6),
            "fillColor": colour, "fillOpacity": CLASS_FILL.get(row.inf_class, 0.12),
            "dashArray": _DASH.get(row.estimate)}


def band_layers(bands: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None = None, *,
                claims: dict[str, pd.DataFrame] | None = None) -> list[JsLayer]:
    """Return one layer per band piece in its system's colour, dashed for the longer claim only.

    The fill and the line width grow with the INF class. Area sites (``areas``, default
    ``bands.attrs["areas"]``: :attr:`geoinf.mapframes.MapFrames.areas`) come last, as
    one layer of outlines (:func:`area_layer`). With ``claims`` (:func:`system_claims`),
    each band's tooltip says which drawn claims reach all of it, part of it, or none.
    """
    areas = bands.attrs.get("areas") if areas is None else areas
    layers = []
    colours = system_colours(bands)
    shorts = short_names(bands["system_name"])
    claims = claims or {}
    # widest pieces first, so that inner pieces (drawn later) stay clickable on top
    for row in bands.sort_values("max_km", ascending=False, kind="stable").itertuples():
        colour = colours.get(row.system, UNKNOWN)
        claim = ("every range claim" if row.estimate == "low" else
                 "only the longer claim" if row.estimate == "high" else "its range")
        cls = CLASS_TEXT.get(row.inf_class, escape_text(row.inf_class))
        tooltip = (f"<b>{escape_text(shorts[row.system_name])}</b>: "
                   f"{row.min_km:,.0f}&ndash;{_km(row.max_km)} from the nearest of "
                   f"{row.n_sites} site{'s' if row.n_sites != 1 else ''}, {cls}<br>"
                   + (band_claims(claims[row.system], row.min_km, row.max_km)
                      if row.system in claims else
                      f"reached under {claim} ({_km(row.range_km)}: "
                      f"{escape_text(row.claimant)})"))
        data = display_path(row.geometry)
        if data is None:
            continue
        data.update(style=band_style(row, colour), tooltip=tooltip)
        short = {"exempt": "outside the treaty"}.get(row.inf_class, row.inf_class)
        name = (f"{shorts[row.system_name]} {row.min_km:,.0f}–{_km(row.max_km)} · "
                f"{short}{' (longer claim only)' if row.estimate == 'high' else ''}")
        layers.append(JsLayer("band", "band", name, data,
                              {"interactive": True, "pane": "overlayPane"}, 1))
    if areas is not None and len(areas):
        layers.append(area_layer(areas))
    return layers


def area_layer(areas: gpd.GeoDataFrame) -> JsLayer:
    """Return the outlines of area sites (lines and polygons), each with its escaped name.

    Examples
    --------
    >>> areas = gpd.GeoDataFrame({"site": ["a"], "site_name": ["<b>x</b>"]},
    ...                          geometry=[shapely.box(20, 50, 21, 51)], crs="EPSG:4326")
    >>> area_layer(areas).data["features"][0]["properties"]["tooltip"]
    '<b>&lt;b&gt;x&lt;/b&gt;</b> (area site: distances are to its nearest point)'
    """
    # the site markers' colour, dashed: not to be read as a country border
    style = {"color": SITE, "weight": 2.6, "opacity": 0.9, "fill": False, "dashArray": "7 4"}
    props = [{"style": style,
              "tooltip": f"<b>{escape_text(r.site_name)}</b> (area site: distances are to its "
                         "nearest point)"} for r in areas.itertuples()]
    data = display_geojson(areas.geometry.values, props)
    return JsLayer("polygons", "band", f"Area sites ({len(areas)})", data,
                   {"interactive": True, "pane": "overlayPane"}, len(areas))


def reach_data(sites: gpd.GeoDataFrame) -> dict:
    """Return each system's claims and sites, for the page's "what reaches here" answer.

    A click on the map lists, per system, the ellipsoidal distance to its nearest site
    (computed in the page, Vincenty's inverse on WGS84) and each drawn claim that
    reaches it (figure, who, year).
    Texts are HTML-escaped; claimants are shortened (:func:`claimant_short`).
    """
    systems = []
    if "is_area" in sites.columns:  # the page measures to points: area sites are left out
        sites = sites[~sites["is_area"].astype(bool)]
    every = system_claims(sites)
    shorts = short_names(sites["system_name"])
    for system, group in sites.groupby("system", sort=False):
        first = group.iloc[0]
        claims = [[float(c.range_km), escape_text(c.who), escape_text(c.year)]
                  for _, c in every[system].iterrows() if c.drawn]
        places = group.drop_duplicates("site")
        systems.append({"name": escape_text(shorts[first.system_name]), "claims": claims,
                        "sites": [[float(r.lon), float(r.lat), escape_text(r.site_name)]
                                  for r in places.itertuples()]})
    return {"systems": systems}


def ring_labels(bands: gpd.GeoDataFrame) -> JsLayer | None:
    """Return a label ("1,000 km") at the southernmost point of each range edge drawn."""
    rows, seen = [], set()
    for _, group in bands.groupby("system", sort=False):
        group = group.sort_values("max_km")
        for i, row in enumerate(group.itertuples()):
            outer = shapely.union_all(group.geometry.iloc[:i + 1].to_numpy())
            xy = shapely.get_coordinates(shapely.get_exterior_ring(
                max(shapely.get_parts(outer), key=shapely.area)))
            if not len(xy) or row.max_km in seen and len(bands["system"].unique()) > 3:
                continue
            lon, lat = xy[np.argmin(xy[:, 1])]
            if lat > -MERCATOR_MAX_LAT + 1:
                seen.add(row.max_km)
                rows.append([round(float(lon), 3), round(float(lat), 3), _km(row.max_km)])
    if not rows:
        return None
    return JsLayer("labels", "label", "Distance labels", rows, {}, len(rows))


def _given(value) -> bool:
    """Return whether a table cell holds something to show (not empty, not NaN)."""
    return escape_text(value).strip() != ""


def _status_text(pair) -> str:
    """Return "reported since 2019-02-10 (source; strength)" for a pair, escaped."""
    status, since = pair_status(pair)
    if not status:
        return ""
    text = escape_text(status) + (f" since {escape_text(since)}" if since else "")
    source, strength = pair.get("status_source"), pair.get("status_strength")
    if not _given(source) and "deployment_status" not in pair.index:
        latest = latest_statuses()
        key = (pair.get("site"), pair.get("system"))
        if key in latest.index:
            source, strength = latest.loc[key, "source"], latest.loc[key, "strength"]
    if _given(strength):
        text += f" ({escape_text(strength)})"
    if _given(source):
        text += f"<br><small>Status source: {_link(source)}</small>"
    return text


def _site_popup(rows: pd.DataFrame, claims: dict | None = None) -> str:
    """Return a site's popup: only the fields its table fills, then each system's claims."""
    first = rows.iloc[0]
    country = f" ({escape_text(first.country)})" if _given(first.get("country")) else ""
    parts = [f"<b>{escape_text(first.site_name)}</b>{country}"]
    if _given(first.get("operator")):
        parts.append(f"<br>{escape_text(first.operator)}")
    status = ", ".join(escape_text(first.get(k)) for k in ("status", "period")
                       if _given(first.get(k)))
    if status:
        parts.append(f"<br>Status: {status}")
    precision = first.get("precision_km")
    if precision is not None and np.isfinite(precision) and precision > 0:
        parts.append(f"<br>Location precision: ±{precision:g} km")
    for _, pair in rows.iterrows():
        r = pair
        ranges = (_km(r.range_km_low) if r.range_km_low == r.range_km_high else
                  f"{r.range_km_low:,.0f}&ndash;{_km(r.range_km_high)}")
        status = _status_text(pair)
        parts.append(f"<hr style='margin:4px 0'>{badge(pair_status(pair)[0])} <b>"
                     f"{escape_text(r.system_name)}</b>: {ranges}"
                     + (f"<br>{status}" if status else ""))
        mine = (claims or {}).get(r.system)
        if mine is not None and "date" in mine and (mine["date"] != "").any():
            for _, c in mine.iterrows():
                parts.append(f"<br>{claim_label(c, details=True)}: {escape_text(c.claimant)}"
                             + (f" &mdash; {_link(c.source)}" if _given(c.source) else ""))
            if _given(r.note):
                parts.append(f"<br><i>{escape_text(r.note)}</i>")
            continue
        for which in ("low", "high") if r.range_km_low != r.range_km_high else ("low",):
            claimant, source = r[f"{which}_claimant"], r[f"{which}_source"]
            if _given(claimant) or _given(source):
                km = _km(r[f"range_km_{which}"])
                parts.append(f"<br>{km}: {escape_text(claimant)}"
                             + (f" &mdash; {_link(source)}" if _given(source) else ""))
        if _given(r.note):
            parts.append(f"<br><i>{escape_text(r.note)}</i>")
    if _given(first.get("source")):
        parts.append(f"<hr style='margin:4px 0'><small>Site: {_link(first.source)}</small>")
    return "".join(parts)


def site_layer(sites: gpd.GeoDataFrame) -> JsLayer:
    """Return the site markers: one per site, its popup listing every system and source.

    Up to 30 sites are labelled with their names on the map; more keep the names in
    tooltips.
    """
    rows = []
    groups = list(sites.groupby("site", sort=False))
    label = len(groups) <= 30
    claims = system_claims(sites)
    shorts = short_names(sites["system_name"])
    for _, group in groups:
        first = group.iloc[0]
        systems = ", ".join(dict.fromkeys(shorts[n] for n in group.system_name))
        name = str(first.site_name)
        tags = "".join(dict.fromkeys(badge(pair_status(p)[0]) for _, p in group.iterrows()))
        tip = (escape_text(name.split(" (")[0]) + (f" {tags}" if tags else "") if label else
               f"{escape_text(name)}: {escape_text(systems)}")
        rows.append([round(float(first.lon), 5), round(float(first.lat), 5), tip,
                     _site_popup(group, claims)])
    return JsLayer("points", "site", f"Sites ({len(rows)})", rows,
                   {"className": "geoinf-site", "size": 14, "label": label}, len(rows))


def city_layer(cities: pd.DataFrame, sites: gpd.GeoDataFrame) -> JsLayer:
    """Return the cities in range as clustered markers.

    Each city is written as numbers and its escaped name; the site and system names
    and range claims are written once (``ref``) and the page composes each tooltip
    (distance to each reaching site, how far inside each claim) from them. The page
    makes and clusters the markers after its first frame, in slices that keep it
    answering input (``geoinfMap.clusterLater``; ``geoinfMap.settled()`` once done).
    """
    systems = sites.drop_duplicates("system")
    sys_index = {s: i for i, s in enumerate(systems["system"])}
    site_ids = list(dict.fromkeys(sites["site"]))
    site_index = {s: i for i, s in enumerate(site_ids)}
    names = sites.drop_duplicates("site").set_index("site")["site_name"]
    claims = system_claims(sites)
    shorts = short_names(sites["system_name"])
    ref = {"sites": [escape_text(names[s]) for s in site_ids],
           "systems": [{"name": escape_text(shorts[r.system_name]),
                        "claims": claim_ref(claims[r.system])}
                       for r in systems.itertuples()]}
    rows = []
    hits_of = cities["hits"] if "hits" in cities.columns else [()] * len(cities)
    for c, hits in zip(cities.itertuples(), hits_of, strict=True):
        rows.append([round(float(c.lon), 4), round(float(c.lat), 4), escape_text(c.name),
                     escape_text(c.country), int(c.population),
                     [[sys_index[h[0]], site_index[h[1]], round(h[2])] for h in hits
                      if h[0] in sys_index and h[1] in site_index]])
    # the page makes and clusters the markers after its first frame, in short slices
    # (geoinfMap.clusterLater): it answers input meanwhile
    cluster = {"maxClusterRadius": 40, "disableClusteringAtZoom": 7,
               "spiderfyOnMaxZoom": False, "showCoverageOnHover": False}
    return JsLayer("cities", "city", f"Cities in range ({len(rows):,})",
                   {"rows": rows, "ref": ref},
                   {"className": "geoinf-city", "size": 9, "cluster": cluster}, len(rows))


def compact_rings(geometry, *, decimals: int = 2) -> dict:
    """Return polygons as compact integer rings (``geoinfMap.polarRings``'s data).

    Each polygon is a list of rings, each ring a flat list ``[lon0, lat0, dlon1, dlat1,
    ...]`` of integers (degrees x ``10**decimals``), every vertex after the first as the
    difference from the one before (the closing vertex left out). About a third of the
    size of GeoJSON, and read as plain numbers.

    Examples
    --------
    >>> compact_rings([shapely.box(10, 50, 10.5, 51)], decimals=1)
    {'scale': 10, 'parts': [[[105, 500, 0, 10, -5, 0, 0, -10]]]}
    """
    scale = 10 ** decimals
    return {"scale": scale, "parts": _delta_rings(geometry, lambda xy: xy * scale)}


def _delta_rings(geometry, to_units) -> list:
    """Return each polygon's rings as flat integer deltas of ``to_units(lon/lat array)``."""
    parts = []
    for polygon in shapely.get_parts(np.asarray(geometry, dtype=object)):
        if shapely.get_type_id(polygon) != shapely.GeometryType.POLYGON \
                or shapely.is_empty(polygon):  # polygons only
            continue
        rings = [shapely.get_exterior_ring(polygon),
                 *shapely.get_interior_ring(polygon, range(shapely.get_num_interior_rings(
                     polygon)))]
        flat = []
        for ring in rings:
            xy = np.round(to_units(shapely.get_coordinates(ring)[:-1])).astype(np.int64)
            if len(xy) >= 3:
                flat.append(np.diff(xy, axis=0, prepend=0).ravel().tolist())
        if flat:
            parts.append(flat)
    return parts


def mercator_pixels(lonlat: np.ndarray) -> np.ndarray:
    """Return lon/lat (degrees) as Web Mercator pixels at zoom 0 (the world: 256 x 256).

    Leaflet's ``L.CRS.EPSG3857`` at zoom 0: x grows east from the antimeridian, y south
    from 85.05°N; latitudes are clamped to ±85.0511°.

    Examples
    --------
    >>> mercator_pixels(np.array([[0.0, 0.0], [-180.0, 90.0], [90.0, -85.0511287798]]))
    array([[128., 128.],
           [  0.,   0.],
           [192., 256.]])
    """
    lonlat = np.asarray(lonlat, dtype=float)
    lat = np.radians(np.clip(lonlat[:, 1], -MERCATOR_MAX_LAT, MERCATOR_MAX_LAT))
    x = (lonlat[:, 0] + 180.0) / 360.0 * 256.0
    y = (0.5 - np.log(np.tan(np.pi / 4 + lat / 2)) / (2 * np.pi)) * 256.0
    return np.round(np.c_[x, y], 9) + 0.0  # no -0.0


def mercator_path(geometry, *, scale: int = 128, cell: float | None = None) -> dict:
    """Return polygons as SVG path data in Web Mercator pixels (``geoinfMap.mercatorPath``).

    Each ring is ``M x0 y0 l dx1 dy1 ... z`` in integers: :func:`mercator_pixels` x
    ``scale`` (128: 1/128 px at zoom 0, 0.011° of longitude), every vertex after the first
    as the difference from the one before (the closing vertex left out). Projected once
    here, the page draws the path at any zoom by one scale and shift: no projection per
    vertex. ``parts`` is the polygon count. With ``cell`` (pixels at zoom 0), ``d`` is a
    list of paths, the polygons grouped by the grid cell holding their bounding box's
    centre: a browser rasterizes a map in tiles and draws in each tile every path that
    touches it, so paths of one region each are cheaper to draw than one of the world.

    Examples
    --------
    >>> mercator_path([shapely.box(0, 0, 90, 10)], scale=1)
    {'scale': 1, 'd': 'M192 128l0-7-64 0 0 7z', 'parts': 1}
    >>> mercator_path([shapely.box(0, 0, 1, 1), shapely.box(90, 0, 91, 1),
    ...                shapely.box(2, 0, 3, 1)], scale=1, cell=32)["d"]
    ['M129 128l0-1-1 0 0 1zM130 128l0-1-1 0 0 1z', 'M193 128l0-1-1 0 0 1z']
    """
    parts = _delta_rings(geometry, lambda xy: mercator_pixels(xy) * scale)
    groups: dict = {}
    for part in parts:
        rings = "".join(f"M{flat[0]} {flat[1]}l" + " ".join(map(str, flat[2:])) + "z"
                        for flat in part)
        key = None
        if cell is not None:
            xy = np.cumsum(np.reshape(part[0], (-1, 2)), axis=0) / scale
            centre = (xy.min(axis=0) + xy.max(axis=0)) / 2
            key = tuple(np.floor(centre / cell).astype(int).tolist())
        groups.setdefault(key, []).append(rings.replace(" -", "-"))
    paths = ["".join(groups[k]) for k in sorted(groups, key=lambda k: k or ())]
    return {"scale": scale, "d": paths if cell is not None else "".join(paths),
            "parts": len(parts)}


@functools.lru_cache(maxsize=2)
def _basemap_data(tolerance_deg: float = 0.1, min_area_deg2: float = 0.1) -> str:
    """Countries for display: parts over ~1,000 km², simplified, in Mercator pixels."""
    parts = shapely.get_parts(embedded_countries().geometry.values)
    parts = parts[shapely.area(parts) > min_area_deg2]
    parts = shapely.simplify(parts, tolerance_deg, preserve_topology=True)
    parts = shapely.clip_by_rect(parts, -180.0, -MERCATOR_MAX_LAT, 180.0, MERCATOR_MAX_LAT)
    return json.dumps(mercator_path(parts, cell=BASEMAP_CELL), separators=(",", ":"))


BASEMAP_CELL = 32.0
"""The basemap's grid (Web Mercator pixels at zoom 0: 45° of longitude), a path per cell."""


def basemap_layer() -> JsLayer:
    """Return the Natural Earth countries as a non-interactive basemap (offline maps).

    Written as paths in Web Mercator pixels, one per region (:func:`mercator_path`,
    :data:`BASEMAP_CELL`), drawn by the page in SVG, scaled to the zoom
    (``geoinfMap.basemap``).
    """
    data = json.loads(_basemap_data())
    style = {"color": BORDER, "weight": 0.6, "fillColor": LAND, "fillOpacity": 1}
    return JsLayer("basemap", "basemap", "Countries (Natural Earth)", data,
                   {"pane": "geoinfBasemap", "style": style}, data["parts"])


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
