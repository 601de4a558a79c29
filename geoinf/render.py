"""Interactive range maps (folium / Leaflet) from finished frames; offline by default.

:func:`range_map` draws a :class:`geoinf.mapdata.MapFrames` (or computes one for a
scenario name with :func:`geoinf.mapdata.map_frames`): one layer per system and INF
band, coloured by INF class, solid where the low range claim reaches and dashed where
only the high claim does; the sites with their sources; the cities in range in a
marker cluster; a legend, a summary panel, a provenance footer and a scale bar. With
``offline=True`` (the default) the page inlines Leaflet, Leaflet.markercluster and
jQuery (:mod:`geoinf._offline`) and draws Natural Earth countries as its basemap, so
it opens with no network. Polygons are clipped to ±85.05° (Web Mercator's limit) and
rounded to 1e-4° (~11 m) for display only; exported geometry stays whole.

:func:`write_map` saves a page atomically; :func:`map_fragment` returns HTML that
drops into a larger report or notebook without touching the host page.

Text from input files is data: it is HTML-escaped wherever the page shows it (tooltips,
popups, layer names, panels) and reaches the page only as JSON inside scripts, with
``<``, ``>``, ``&`` and ``'`` escaped. Every element is added to the page as finished
text (``_Raw``): branca would otherwise compile each element's rendered script as a
second Jinja template, so that ``{{ ... }}`` in a site name would run.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.map import Layer
from folium.template import Template

from ._io import atomic_write
from ._offline import ASSET_VERSIONS, guarded_scripts, inline_head
from .errors import InputError
from .mapdata import MapFrames, map_frames

__all__ = ["INF_COLOURS", "range_map", "write_map", "map_fragment", "map_html"]

INF_COLOURS = {"exempt": "#6b7b8c", "shorter-range": "#e08a00",
               "intermediate-range": "#c0392b", "beyond": "#6c3483"}
"""Fill and outline colour of each INF class."""

_MERCATOR_LAT = 85.0511287798066
_CSS_SIZE = re.compile(r"\d+(\.\d+)?(px|%|vh|vw|em|rem)")
_SEA, _LAND, _BORDER = "#d6e6f0", "#f7f5ef", "#b9b3a6"
_DASH = {"low": None, "single": None, "high": "7 5"}
_POP_STOPS = (1, 10, 100, 1000, 10000)  # people per km², legend of the overlay
_POP_RGB = np.array([[255, 245, 200], [254, 204, 92], [253, 141, 60], [227, 26, 28],
                     [128, 0, 38]], dtype=float)

_JS = """
window.geoinfMap = window.geoinfMap || {
  registry: [],
  register: function (map, kind, name, layer, count) {
    this.registry.push({map: map, kind: kind, name: name, layer: layer, count: count});
    return layer;
  },
  polygons: function (data, o) {
    return L.geoJSON(data, {pane: o.pane || 'overlayPane', interactive: o.interactive,
      style: function (f) { return f.properties.style || o.style; },
      onEachFeature: function (f, layer) {
        if (f.properties.tooltip) { layer.bindTooltip(f.properties.tooltip, {sticky: true}); }
        if (f.properties.popup) { layer.bindPopup(f.properties.popup, {maxWidth: 420}); }
      }});
  },
  points: function (rows, o) {
    var icon = L.divIcon({className: o.className, iconSize: [o.size, o.size]});
    var markers = rows.map(function (r) {
      var m = L.marker([r[1], r[0]], {icon: icon, keyboard: false});
      if (r[2]) { m.bindTooltip(r[2]); }
      if (r[3]) { m.bindPopup(r[3], {maxWidth: 420}); }
      return m;
    });
    if (o.cluster) {
      var group = L.markerClusterGroup(o.cluster);
      group.addLayers(markers);
      return group;
    }
    return L.featureGroup(markers);
  },
  panel: function (map, html, position, className) {
    var Panel = L.Control.extend({onAdd: function () {
      var div = L.DomUtil.create('div', 'geoinf-panel ' + className);
      div.innerHTML = html;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    }});
    return new Panel({position: position}).addTo(map);
  }
};
"""

_CSS = """
.geoinf-panel { background: rgba(255,255,255,0.93); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); font: 12px/1.35 system-ui, -apple-system,
  'Segoe UI', Roboto, Arial, sans-serif; color: #222; max-width: 340px; }
.geoinf-panel h4 { margin: 0 0 4px; font-size: 13px; }
.geoinf-panel table { border-collapse: collapse; }
.geoinf-panel td, .geoinf-panel th { padding: 1px 5px 1px 0; text-align: left;
  vertical-align: top; font-weight: normal; }
.geoinf-panel td.num { text-align: right; font-variant-numeric: tabular-nums; }
.geoinf-panel details summary { cursor: pointer; font-weight: 600; }
.geoinf-summary { max-height: 45vh; overflow: auto; max-width: 470px; }
.geoinf-footer { max-width: 560px; font-size: 10.5px; color: #444; }
.geoinf-swatch { display: inline-block; width: 22px; height: 11px; margin-right: 5px;
  vertical-align: middle; border: 2px solid; box-sizing: border-box; }
.geoinf-site { background: #1b2a49; border: 2px solid #fff; border-radius: 50%;
  box-shadow: 0 0 2px #000; box-sizing: border-box; }
.geoinf-city { background: #ffffff; border: 2px solid #1b2a49; border-radius: 50%;
  box-sizing: border-box; }
.geoinf-indicative { color: #a33; font-weight: 600; }
.geoinf-note { margin-top: 4px; color: #a33; }
.geoinf-ramp { display: inline-block; width: 150px; height: 10px; vertical-align: middle; }
"""


class _Raw(Element):
    """Finished HTML or JavaScript, put into a page as it is: never parsed as a template."""

    def __init__(self, text: str):
        super().__init__()
        self._name = "Raw"
        self.text = str(text)

    def render(self, **kwargs) -> str:
        """Return the text verbatim."""
        return self.text


def _render_macros(element: MacroElement, kwargs: dict) -> None:
    """Add an element's rendered ``header``/``html``/``script`` macros to its figure as text.

    branca's ``MacroElement.render`` wraps each macro's output in ``Element(output)``,
    which compiles that output as a new (unsandboxed) Jinja template: any ``{{ }}``,
    ``{% %}`` or ``{#`` in the data becomes template source. Here the output is added
    as :class:`_Raw` text instead. Children that use branca's plain render
    (``ElementAddToElement``, ``FitBounds``, ``CustomPane``) are rendered the same way.
    """
    figure = element.get_root()
    if not isinstance(figure, Figure):
        raise InputError(f"{type(element).__name__} must be added to a map before rendering")
    macros = element._template.module.__dict__
    for part in ("header", "html", "script"):
        if part in macros:
            getattr(figure, part).add_child(_Raw(macros[part](element, kwargs)),
                                            name=element.get_name())
    for child in element._children.values():
        if type(child).render is MacroElement.render:
            _render_macros(child, kwargs)
        else:
            child.render(**kwargs)


class _Verbatim(MacroElement):
    """Base of every element geoinf puts on a map: macros rendered once, as text.

    Listed after a folium class (``class _Map(folium.Map, _Verbatim)``) it takes the
    place of branca's ``MacroElement.render`` at the end of that class's render chain.
    """

    def render(self, **kwargs) -> None:
        """Render the macros into the figure as verbatim text (:func:`_render_macros`)."""
        _render_macros(self, kwargs)


class _Map(folium.Map, _Verbatim):
    """A folium map whose own and child elements are added to the page verbatim."""


class _TileLayer(folium.TileLayer, _Verbatim):
    """Web tiles (online maps only)."""


class _ImageOverlay(folium.raster_layers.ImageOverlay, _Verbatim):
    """The population density image."""


class _LayerControl(_Verbatim):
    """Leaflet's layer control, with every layer name HTML-escaped.

    ``L.Control.Layers`` writes names with ``innerHTML``; folium passes them raw (and
    keys them in a dict, so two layers with one name lose an entry). Layers are added
    one by one, in map order.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control.layers({}, {}, {{ this.options|tojson }})
            .addTo({{ this._parent.get_name() }});
        {% for method, layer, label in this.entries() %}
        {{ this.get_name() }}.{{ method }}({{ layer }}, {{ label|tojson }});
        {% endfor %}
        {% endmacro %}
    """)

    def __init__(self, *, position: str = "topright", collapsed: bool = True):
        super().__init__()
        self._name = "LayerControl"
        self.options = {"position": position, "collapsed": collapsed, "autoZIndex": True}

    def entries(self) -> list[tuple[str, str, str]]:
        """Return (method, layer variable, escaped label) for each controlled layer."""
        return [("addOverlay" if item.overlay else "addBaseLayer", item.get_name(),
                 html.escape(str(item.layer_name)))
                for item in self._parent._children.values()
                if isinstance(item, Layer) and item.control]


class _JsLayer(Layer, _Verbatim):
    """A Leaflet layer made by a ``geoinfMap`` helper from inline data; in the LayerControl."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = geoinfMap.register({{ this._parent.get_name() }},
            {{ this.kind|tojson }}, {{ this.layer_name|tojson }},
            geoinfMap.{{ this.helper }}({{ this.data|tojson }}, {{ this.options|tojson }}),
            {{ this.count|tojson }});
        {% endmacro %}
    """)

    def __init__(self, helper: str, kind: str, name: str, data, options: dict, count: int,
                 *, show: bool = True, control: bool = True):
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "geoinf_" + kind
        self.helper, self.kind, self.data, self.options, self.count = (
            helper, kind, data, options, count)


class _Panels(_Verbatim):
    """Legend, summary and footer controls of one map."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {% for html, position, cls in this.panels %}
        geoinfMap.panel({{ this._parent.get_name() }}, {{ html|tojson }}, {{ position|tojson }},
                        {{ cls|tojson }});
        {% endfor %}
        {% endmacro %}
    """)

    def __init__(self, panels: list[tuple[str, str, str]]):
        super().__init__()
        self._name = "geoinf_panels"
        self.panels = panels


def _version() -> str:
    from . import __version__  # imported late: geoinf/__init__.py imports this module

    return __version__


def _e(value) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and np.isnan(value))
                       else str(value))


def _km(value: float) -> str:
    return f"{value:,.0f} km"


def _link(text: str) -> str:
    """Escape a source text and turn its http(s) URLs into links."""
    out = []
    for word in str(text).split(" "):
        bare = word.rstrip(").,;")
        if bare.startswith(("http://", "https://")):
            tail = word[len(bare):]
            out.append(f'<a href="{_e(bare)}" target="_blank" rel="noopener">{_e(bare)}</a>'
                       f"{_e(tail)}")
        else:
            out.append(_e(word))
    return " ".join(out)


def _display_geojson(geometry, properties: list[dict]) -> dict:
    """Clip to Web Mercator's latitudes and round to 1e-4° (display only)."""
    geoms = shapely.clip_by_rect(np.asarray(geometry, dtype=object), -180.0, -_MERCATOR_LAT,
                                 180.0, _MERCATOR_LAT)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, 4))
    features = [{"type": "Feature", "properties": props,
                 "geometry": json.loads(shapely.to_geojson(g))}
                for g, props in zip(geoms, properties, strict=True) if not shapely.is_empty(g)]
    return {"type": "FeatureCollection", "features": features}


def _band_layers(bands: gpd.GeoDataFrame) -> list[_JsLayer]:
    layers = []
    # widest pieces first, so that inner pieces (drawn later) stay clickable on top
    for row in bands.sort_values("max_km", ascending=False, kind="stable").itertuples():
        colour = INF_COLOURS.get(row.inf_class, "#444")
        claim = ("both range claims" if row.estimate == "low" else
                 "the high range claim only" if row.estimate == "high" else "its range")
        tooltip = (f"<b>{_e(row.system_name)}</b><br>{_e(row.inf_class)} zone "
                   f"{row.min_km:,.0f}&ndash;{_km(row.max_km)} from the nearest of "
                   f"{row.n_sites} site{'s' if row.n_sites != 1 else ''}<br>reached under "
                   f"{claim} ({_e(row.estimate)} estimate {_km(row.range_km)})")
        popup = (f"{tooltip}<br><b>Claim:</b> {_e(row.claimant)}<br><b>Source:</b> "
                 f"{_link(row.source)}<br><b>Sites:</b> {_e(row.sites)}")
        style = {"color": colour, "weight": 1.6, "fillColor": colour, "fillOpacity": 0.12,
                 "dashArray": _DASH.get(row.estimate)}
        data = _display_geojson([row.geometry], [{"style": style, "tooltip": tooltip,
                                                  "popup": popup}])
        name = (f"{row.system_name.split(' ')[0]} · {row.inf_class} "
                f"{row.min_km:,.0f}–{_km(row.max_km)}"
                f"{' (high claim)' if row.estimate == 'high' else ''}")
        layers.append(_JsLayer("polygons", "band", name, data,
                               {"interactive": True, "pane": "overlayPane"}, 1))
    return layers


def _site_popup(rows: pd.DataFrame) -> str:
    first = rows.iloc[0]
    parts = [f"<b>{_e(first.site_name)}</b> ({_e(first.country)})",
             f"<br>{_e(first.operator)}" if first.get("operator") else "",
             f"<br>Status: {_e(first.status)}, {_e(first.period)}",
             f"<br>Location precision: ±{first.precision_km:g} km"]
    for r in rows.itertuples():
        ranges = (_km(r.range_km_low) if r.range_km_low == r.range_km_high else
                  f"{r.range_km_low:,.0f}&ndash;{_km(r.range_km_high)}")
        parts.append(f"<hr style='margin:4px 0'><b>{_e(r.system_name)}</b> ({_e(r.basis)}): "
                     f"{ranges}<br>low: {_e(r.low_claimant)} &mdash; {_link(r.low_source)}")
        if r.range_km_low != r.range_km_high:
            parts.append(f"<br>high: {_e(r.high_claimant)} &mdash; {_link(r.high_source)}")
        if r.note:
            parts.append(f"<br><i>{_e(r.note)}</i>")
    if first.get("source"):
        parts.append(f"<hr style='margin:4px 0'><small>Site: {_link(first.source)}</small>")
    return "".join(parts)


def _site_layer(sites: gpd.GeoDataFrame) -> _JsLayer:
    rows = []
    for _, group in sites.groupby("site", sort=False):
        first = group.iloc[0]
        tip = f"{_e(first.site_name)}: {_e(', '.join(dict.fromkeys(group.system_name)))}"
        rows.append([round(float(first.lon), 5), round(float(first.lat), 5), tip,
                     _site_popup(group)])
    return _JsLayer("points", "site", f"Sites ({len(rows)})", rows,
                    {"className": "geoinf-site", "size": 14}, len(rows))


def _city_layer(cities: pd.DataFrame) -> _JsLayer:
    rows = []
    for c in cities.itertuples():
        tip = (f"<b>{_e(c.name)}</b> ({_e(c.country)})<br>population {c.population:,.0f}<br>"
               f"{_km(c.distance_km)} from {_e(c.nearest_site)} (margin {_km(c.margin_km)})"
               f"<br>reached from {c.n_sites} site{'s' if c.n_sites != 1 else ''}: "
               f"{_e(c.sites)}")
        if "systems" in cities.columns:
            tip += f"<br>by: {_e(c.systems)}"
        rows.append([round(float(c.lon), 4), round(float(c.lat), 4), tip, None])
    cluster = {"maxClusterRadius": 45, "disableClusteringAtZoom": 8,
               "spiderfyOnMaxZoom": False, "chunkedLoading": True}
    return _JsLayer("points", "city", f"Cities in range ({len(rows):,})", rows,
                    {"className": "geoinf-city", "size": 9, "cluster": cluster}, len(rows))


@functools.lru_cache(maxsize=2)
def _basemap_data(tolerance_deg: float = 0.1, min_area_deg2: float = 0.1) -> str:
    """Countries for display: parts over ~1,000 km², simplified, rounded to 0.01°."""
    from .population import load_countries

    parts = shapely.get_parts(load_countries().geometry.values)
    parts = parts[shapely.area(parts) > min_area_deg2]
    parts = shapely.simplify(parts, tolerance_deg, preserve_topology=True)
    parts = shapely.clip_by_rect(parts, -180.0, -_MERCATOR_LAT, 180.0, _MERCATOR_LAT)
    parts = shapely.transform(parts, lambda xy: np.round(xy, 2))
    features = ",".join('{"type":"Feature","properties":{},"geometry":' + shapely.to_geojson(g)
                        + "}" for g in parts if not shapely.is_empty(g))
    return '{"type":"FeatureCollection","features":[' + features + "]}"


def _basemap_layer() -> _JsLayer:
    data = json.loads(_basemap_data())
    style = {"color": _BORDER, "weight": 0.6, "fillColor": _LAND, "fillOpacity": 1}
    return _JsLayer("polygons", "basemap", "Countries (Natural Earth)", data,
                    {"interactive": False, "pane": "geoinfBasemap", "style": style},
                    len(data["features"]))


def _population_layer(image: dict) -> _ImageOverlay:
    density = np.asarray(image["density"], dtype=float)
    level = np.log10(np.clip(density, _POP_STOPS[0], _POP_STOPS[-1]))
    stops = np.log10(_POP_STOPS)
    rgb = np.stack([np.interp(level, stops, _POP_RGB[:, k]) for k in range(3)], axis=-1)
    alpha = np.where(density >= _POP_STOPS[0], 170, 0)
    rgba = np.concatenate([rgb, alpha[..., None]], axis=-1).astype(np.uint8)
    south, west, north, east = image["bounds"]
    label = "Population density" + (" (INDICATIVE)" if image.get("indicative") else "")
    return _ImageOverlay(rgba, bounds=[[south, west], [north, east]], name=label,
                         mercator_project=False, opacity=0.8, show=True, zindex=1)


def _legend(frames: MapFrames) -> str:
    classes = [c for c in INF_COLOURS if c in set(frames.bands.get("inf_class", []))]
    lines = ["<h4>Range bands (INF Treaty classes)</h4>"]
    edges = {"exempt": "under 500 km", "shorter-range": "500&ndash;1,000 km",
             "intermediate-range": "1,000&ndash;5,500 km", "beyond": "over 5,500 km"}
    for c in classes:
        col = INF_COLOURS[c]
        lines.append(f"<div><span class='geoinf-swatch' style='border-color:{col};"
                     f"background:{col}33'></span>{c} ({edges[c]} from the nearest site)</div>")
    lines.append("<div><span class='geoinf-swatch' style='border-color:#555;border-style:"
                 "solid;border-width:2px 0 0 0;height:2px'></span>solid: reached under the "
                 "low (or only) range claim</div><div><span class='geoinf-swatch' "
                 "style='border-color:#555;border-style:dashed;border-width:2px 0 0 0;"
                 "height:2px'></span>dashed: reached under the high claim only</div>")
    lines.append("<div><span class='geoinf-site' style='display:inline-block;width:12px;"
                 "height:12px;margin:0 8px 0 4px;vertical-align:middle'></span>deployment site"
                 " (click: sources)</div>")
    if frames.cities is not None:
        lines.append("<div><span class='geoinf-city' style='display:inline-block;width:9px;"
                     "height:9px;margin:0 9px 0 6px;vertical-align:middle'></span>city in "
                     f"range (&ge; {frames.meta.get('min_population', 0):,.0f} people)</div>")
    if frames.population is not None:
        stops = ", ".join(f"rgb({int(r)},{int(g)},{int(b)}) {i * 25}%"
                          for i, (r, g, b) in enumerate(_POP_RGB))
        tag = (" <span class='geoinf-indicative'>INDICATIVE</span>"
               if frames.population.get("indicative") else "")
        lines.append(f"<div style='margin-top:4px'>people per km²{tag}<br>"
                     f"<span class='geoinf-ramp' style='background:linear-gradient(to right,"
                     f"{stops})'></span><br><small>1 &nbsp; 10 &nbsp; 100 &nbsp; 1,000 &nbsp;"
                     " 10,000</small></div>")
    lines += [f"<div class='geoinf-note'>{_e(note)}</div>" for note in frames.meta.get(
        "notes", [])]
    return "".join(lines)


def _fmt(value) -> str:
    if isinstance(value, (int, np.integer)) or (isinstance(value, (float, np.floating))
                                                and float(value).is_integer()):
        return f"{value:,.0f}"
    if isinstance(value, (float, np.floating)):
        return f"{value:,.2f}"
    return _e(value)


def _table(frame: pd.DataFrame, max_rows: int) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.head(max_rows).itertuples(index=False):
        cells = "".join(f"<td class='num'>{_fmt(v)}</td>" if isinstance(v, (int, float,
                        np.number)) else f"<td>{_e(v)}</td>" for v in row)
        body.append(f"<tr>{cells}</tr>")
    more = (f"<tr><td colspan='{len(frame.columns)}'>&hellip; {len(frame) - max_rows} more"
            "</td></tr>" if len(frame) > max_rows else "")
    return f"<table><tr>{head}</tr>{''.join(body)}{more}</table>"


def _summary(frames: MapFrames) -> str | None:
    parts = []
    if frames.summary is not None and len(frames.summary):
        parts.append(f"<b>Population per band</b>{_table(frames.summary, 20)}")
    if frames.cities is not None and len(frames.cities):
        top = frames.cities.head(10)
        top = pd.DataFrame({"city": top["name"], "population": top["population"],
                            "km": top["distance_km"].round(), "nearest site": top[
                                "nearest_site"]})
        parts.append(f"<b>Largest cities in range</b> ({len(frames.cities):,} in all)"
                     f"{_table(top, 10)}")
    if not parts:
        return None
    title = _e(frames.meta.get("scenario", ""))
    return (f"<details open><summary>Summary: {title}</summary>"
            + "<br>".join(parts) + "</details>")


def _footer(frames: MapFrames, offline: bool) -> str:
    meta = frames.meta
    sources = "; ".join(_e(s) for s in meta.get("sources", []))
    indicative = (" <span class='geoinf-indicative'>Population overlay: INDICATIVE grid "
                  "modelled from places and country totals, not a census.</span>"
                  if meta.get("indicative") else "")
    libs = ", ".join(f"{k} {v}" for k, v in ASSET_VERSIONS.items())
    desc = f" &mdash; {_e(meta['description'])}" if meta.get("description") else ""
    return (f"<b>Scenario {_e(meta.get('scenario', ''))}</b>{desc}<br>Distances on the WGS84 "
            f"ellipsoid (geodesic; band boundaries within {meta.get('tolerance_km', 0.1):g} km "
            "of the true circle; display clipped at ±85.05° and rounded to ~11 m). Cities "
            f"in range by exact distance, not by polygon.{indicative}<br>Data: {sources}."
            f"<br>geoinf {_e(_version())}; "
            f"{'self-contained page (' + libs + ' inlined)' if offline else 'online page'}.")


def range_map(frames: MapFrames | str | os.PathLike | None = None, *, offline: bool = True,
              tiles: str | None = None, cities: bool = True, population: bool = False,
              height: str = "100%") -> folium.Map:
    """Return a folium map of range bands, sites and cities in range.

    Parameters
    ----------
    frames : MapFrames, str or os.PathLike, optional
        Finished frames (:func:`geoinf.mapdata.map_frames`), or a scenario name or
        file to compute them for. Default: the default scenario (inf-2019).
    offline : bool, default True
        Inline the JavaScript/CSS libraries and draw the embedded countries as the
        basemap: the page makes no network request. False keeps folium's CDN links.
    tiles : str, optional
        A folium tile layer name (e.g. ``"OpenStreetMap"``); only with ``offline=False``.
    cities : bool, default True
        Show the cities in range (when computing frames, also find them).
    population : bool, default False
        When computing frames, add the (indicative) population density overlay.
    height : str, default "100%"
        CSS height of the map element.

    Returns
    -------
    folium.Map
        Save it with :func:`write_map`; embed it with :func:`map_fragment`.

    Examples
    --------
    >>> from geoinf.mapdata import map_frames
    >>> m = range_map(map_frames("kaliningrad", cities=False))
    >>> page = map_html(m)
    >>> "cdn.jsdelivr" in page, "L.version" in page or "1.9.3" in page
    (False, True)
    """
    if frames is None or isinstance(frames, (str, os.PathLike)):
        frames = map_frames(frames or "inf-2019", cities=cities, population=population)
    if not isinstance(frames, MapFrames):
        raise InputError(f"range_map needs MapFrames or a scenario name, got "
                         f"{type(frames).__name__}")
    if tiles is not None and offline:
        raise InputError(f"tiles={tiles!r} loads web tiles: pass offline=False (--online)")
    m = _Map(location=_centre(frames), zoom_start=4, tiles=None, max_zoom=12,
             min_zoom=2, control_scale=True, height=height, world_copy_jump=False)
    m.options.update(maxZoom=12, minZoom=2)  # folium puts these on tile layers only
    if tiles is not None:
        _TileLayer(tiles, max_zoom=12, min_zoom=2).add_to(m)
    if offline:
        m.default_js, m.default_css = [], []
        m.get_root().header.add_child(_Raw(inline_head()), name="geoinf_assets")
    else:
        m.add_css_link("markercluster_css", "https://cdnjs.cloudflare.com/ajax/libs/"
                       "leaflet.markercluster/1.4.1/MarkerCluster.css")
        m.add_css_link("markercluster_default_css", "https://cdnjs.cloudflare.com/ajax/"
                       "libs/leaflet.markercluster/1.4.1/MarkerCluster.Default.css")
        m.add_js_link("markercluster", "https://cdnjs.cloudflare.com/ajax/libs/"
                      "leaflet.markercluster/1.4.1/leaflet.markercluster.js")
    m.get_root().header.add_child(_Raw(
        f"<style>{_CSS}\n#{m.get_name()}.leaflet-container {{ background: {_SEA}; }}</style>"
        f"<script>{_JS}</script>"), name="geoinf_helpers")
    folium.map.CustomPane("geoinfBasemap", z_index=200, pointer_events=False).add_to(m)
    if tiles is None:
        _basemap_layer().add_to(m)
    if frames.population is not None:
        _population_layer(frames.population).add_to(m)
    for layer in _band_layers(frames.bands):
        layer.add_to(m)
    if cities and frames.cities is not None:
        _city_layer(frames.cities).add_to(m)
    _site_layer(frames.sites).add_to(m)
    _LayerControl(collapsed=True, position="topright").add_to(m)
    panels = [(_legend(frames), "bottomleft", "geoinf-legend"),
              (_footer(frames, offline), "bottomright", "geoinf-footer")]
    summary = _summary(frames)
    if summary:
        panels.insert(0, (summary, "topright", "geoinf-summary"))
    _Panels(panels).add_to(m)
    if len(frames.bands):
        west, south, east, north = frames.bands.total_bounds
        m.fit_bounds([[max(south, -70), max(west, -170)], [min(north, 75), min(east, 170)]])
    return m


def _centre(frames: MapFrames) -> list[float]:
    if len(frames.sites):
        return [float(frames.sites["lat"].mean()), float(frames.sites["lon"].mean())]
    return [50.0, 20.0]


def map_html(m: folium.Map) -> str:
    """Return the complete HTML page of a map.

    Examples
    --------
    >>> map_html(folium.Map(tiles=None)).startswith("<!DOCTYPE html>")
    True
    """
    return m.get_root().render()


def write_map(m: folium.Map, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a map as one HTML file, atomically.

    Parameters
    ----------
    m : folium.Map
        From :func:`range_map`.
    path : str or os.PathLike
        Output file (``.html`` or ``.htm``).
    overwrite : bool, default False
        Replace an existing file; otherwise an existing file raises ``InputError``.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "map.html"
    >>> write_map(folium.Map(tiles=None), out).stat().st_size > 0
    True
    """
    if Path(path).suffix.lower() not in (".html", ".htm"):
        raise InputError(f"{path}: a map is written as .html (got "
                         f"{Path(path).suffix or 'no suffix'!r})")
    page = map_html(m)
    with atomic_write(path, overwrite=overwrite) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return Path(path)


def map_fragment(m: folium.Map, *, height: str = "600px", isolated: bool = False) -> str:
    r"""Return HTML for one map that drops into a larger page (report, notebook cell).

    The fragment is a ``<div>`` with the map's own styles and scripts; it sets no
    rule on ``html``/``body`` or any element outside the map, and several
    fragments may share one page. Offline maps load their libraries only if the
    host page has none (``window.L``, ``L.MarkerClusterGroup``, ``window.jQuery``).
    ``isolated=True`` returns an ``<iframe srcdoc>`` holding the whole page instead
    (nothing can leak either way; needs a host that allows iframes).

    Parameters
    ----------
    m : folium.Map
        From :func:`range_map`.
    height : str, default "600px"
        CSS height of the map box: a number with ``px``, ``%``, ``vh``, ``vw``,
        ``em`` or ``rem``.
    isolated : bool, default False
        Wrap the full page in an iframe instead of inlining the map.

    Returns
    -------
    str
        HTML to insert anywhere in a ``<body>``.

    Examples
    --------
    >>> from geoinf.mapdata import map_frames
    >>> frag = map_fragment(range_map(map_frames("kaliningrad", cities=False)))
    >>> frag.startswith('<div class="geoinf-fragment"'), "<body" in frag, "html, body" in frag
    (True, False, False)
    """
    if not _CSS_SIZE.fullmatch(str(height)):
        raise InputError(f"height={height!r}: expected a CSS length such as '600px', "
                         "'80vh' or '100%'")
    if isolated:
        page = html.escape(map_html(m), quote=True)
        return (f'<iframe class="geoinf-fragment" srcdoc="{page}" style="width:100%;'
                f'height:{_e(height)};border:0" loading="lazy"></iframe>')
    root = m.get_root()
    root.render()
    offline = not m.default_js
    styles, scripts = [], []
    for name, child in root.header._children.items():
        if name == "geoinf_assets":
            scripts.append(guarded_scripts())
        elif name == "geoinf_helpers":
            styles.append(child.render())
        elif isinstance(child, (folium.elements.JavascriptLink, folium.elements.CssLink)):
            styles.append(child.render())
    mapid = m.get_name()
    box = (f"<style>#{mapid} {{ position: relative; width: 100%; height: 100%; }}</style>")
    body = root.html.render()
    script = root.script.render()
    assets = "\n".join(scripts if offline else []) + "\n".join(styles)
    return (f'<div class="geoinf-fragment" style="position:relative;width:100%;'
            f'height:{_e(height)}">\n{assets}\n{box}\n{body}\n<script>\n{script}\n</script>\n'
            "</div>")
