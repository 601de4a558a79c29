"""Interactive range maps (folium / Leaflet) of finished frames; offline by default.

:func:`range_map` draws a :class:`geoinf.mapframes.MapFrames`; given a scenario name
or file instead, it first computes the frames with :func:`geoinf.mapframes.map_frames`.
The map has one layer per system and INF band, in one colour per system with the fill
and line width by INF class, solid where every range claim reaches and dashed where
only the longer one does; distance labels; the sites with their sources; the cities in
range in a marker cluster; a title, and a legend, summary and about panel that fold
away (closed on a phone), and a scale bar (:mod:`geoinf.map_layers`,
:mod:`geoinf.map_panels`). The first view fits the bands between the panels. Where a
band holds the North Pole, a "Polar view" button draws the bands, sites and countries
in a north-polar azimuthal equidistant projection, in the page
(:func:`geoinf.map_panels.polar_data`).
With ``offline=True`` (the default) the page inlines Leaflet and Leaflet.markercluster
(:mod:`geoinf._offline`) and draws Natural Earth countries as its basemap, so
it opens with no network.

:func:`map_html` returns the page, :func:`write_map` saves it atomically and
:func:`map_fragment` returns HTML that drops into a larger report or notebook without
touching the host page (:func:`fragment_libraries` carries the libraries once for a
page of several maps).

Text from input files is data: it is HTML-escaped wherever the page shows it and
reaches the page only as JSON inside scripts, with ``<``, ``>``, ``&`` and ``'``
escaped. Every element is added to the page as finished text
(:mod:`geoinf.map_elements`), never compiled as a template.
"""

from __future__ import annotations

import html
import os
import re
import uuid
from collections.abc import Sequence
from pathlib import Path

import folium

from ._io import atomic_write
from ._offline import ASSET_VERSIONS, guarded_scripts, inline_head
from .catalog import DEFAULT_SCENARIO
from .errors import InputError
from .map_claims import system_claims
from .map_elements import (
    ClickReach,
    EscapedLayerControl,
    Panels,
    PolarView,
    Raw,
    VerbatimMap,
    VerbatimTileLayer,
    escape_text,
    helper_script,
    helper_style,
)
from .map_layers import (
    band_layers,
    basemap_layer,
    city_layer,
    population_layer,
    reach_data,
    ring_labels,
    site_layer,
)
from .map_panels import (
    about_panel,
    headline,
    legend_panel,
    polar_data,
    summary_panel,
    title_panel,
)
from .mapframes import MapFrames, map_frames
from .palette import INF_COLOURS, SEA

__all__ = ["INF_COLOURS", "range_map", "write_map", "map_fragment", "fragment_libraries",
           "map_html"]

_CSS_SIZE = re.compile(r"\d+(\.\d+)?(px|%|vh|vw|em|rem)")
_CLUSTER_CDN = ("https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/"
                f"{ASSET_VERSIONS['leaflet.markercluster']}/")


def range_map(frames: MapFrames | str | os.PathLike | None = None, *, offline: bool = True,
              tiles: str | None = None, cities: bool = True, population: bool = False,
              height: str = "100%", polar_href: str | None = None,
              overlays: Sequence = ()) -> folium.Map:
    """Return a folium map of range bands, sites and cities in range.

    Parameters
    ----------
    frames : MapFrames, str or os.PathLike, optional
        Finished frames (:func:`geoinf.mapframes.map_frames`), or a scenario name or
        file to compute them for. Default: the default scenario
        (:data:`geoinf.catalog.DEFAULT_SCENARIO`).
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
    polar_href : str, optional
        Link (e.g. the file name of :func:`geoinf.figure.range_figure`'s PNG) to an
        undistorted north-polar view, given in the legend's note on pole-containing
        ranges.
    overlays : sequence of folium layers, optional
        Extra layers drawn under the bands, listed in the layer control (e.g.
        :func:`geoinf.map_surface.surface_layer`).

    Returns
    -------
    folium.Map
        Save it with :func:`write_map`; embed it with :func:`map_fragment`.

    Examples
    --------
    >>> from geoinf.mapframes import map_frames
    >>> m = range_map(map_frames("kaliningrad", cities=False))
    >>> page = map_html(m)
    >>> "cdn.jsdelivr" in page, "L.version" in page or "1.9.3" in page
    (False, True)
    """
    if frames is None or isinstance(frames, (str, os.PathLike)):
        frames = map_frames(frames or DEFAULT_SCENARIO, cities=cities, population=population)
    if not isinstance(frames, MapFrames):
        raise InputError(f"range_map needs MapFrames or a scenario name, got "
                         f"{type(frames).__name__}")
    if tiles is not None and offline:
        raise InputError(f"tiles={tiles!r} loads web tiles: pass offline=False (--online)")
    m = VerbatimMap(location=_centre(frames), zoom_start=4, tiles=None, max_zoom=12,
                    min_zoom=2, control_scale=True, height=height, world_copy_jump=False)
    m.options.update(maxZoom=12, minZoom=2, zoomSnap=0.25)  # folium: on tile layers only
    if tiles is not None:
        VerbatimTileLayer(tiles, max_zoom=12, min_zoom=2).add_to(m)
    _add_scripts(m, offline=offline)
    m.get_root().header.add_child(Raw(f"<title>{escape_text(headline(frames)[0])}</title>"),
                                  name="geoinf_title")
    folium.map.CustomPane("geoinfBasemap", z_index=200, pointer_events=False).add_to(m)
    _panels(frames, offline=offline, polar_href=polar_href).add_to(m)  # the view first:
    # the layers are then drawn once, at the fitted zoom
    if tiles is None:
        basemap_layer().add_to(m)
    if frames.population is not None:
        population_layer(frames.population).add_to(m)
    for layer in overlays:
        layer.add_to(m)
    for layer in band_layers(frames.bands, claims=system_claims(frames.sites)):
        layer.add_to(m)
    labels = ring_labels(frames.bands) if len(frames.bands) else None
    if labels is not None:
        labels.add_to(m)
    if cities and frames.cities is not None:
        city_layer(frames.cities, frames.sites).add_to(m)
    site_layer(frames.sites).add_to(m)
    EscapedLayerControl(collapsed=True, position="topright").add_to(m)
    ClickReach(reach_data(frames.sites)).add_to(m)
    polar = polar_data(frames)
    if polar is not None:
        PolarView(polar).add_to(m)
    return m


def _panels(frames: MapFrames, *, offline: bool, polar_href: str | None) -> Panels:
    """Return the title, legend, summary and about panels, and the bands' bounds to fit."""
    panels = [(title_panel(frames), "topleft", "geoinf-title"),
              (legend_panel(frames, polar_href=polar_href), "bottomleft", "geoinf-legend")]
    summary = summary_panel(frames)
    if summary:
        panels.append((summary, "bottomright", "geoinf-summary"))
    panels.append((about_panel(frames, offline), "bottomright", "geoinf-about"))
    bounds = None
    if len(frames.bands):
        west, south, east, north = frames.bands.total_bounds
        bounds = [[max(south, -70), max(west, -170)], [min(north, 75), min(east, 170)]]
    return Panels(panels, bounds=bounds)


def _add_scripts(m: folium.Map, *, offline: bool) -> None:
    """Put the libraries (inlined, or CDN links) and the geoinf helpers into the page head.

    :func:`map_fragment` finds them again by their names, ``geoinf_assets`` and
    ``geoinf_helpers``.
    """
    if offline:
        m.default_js, m.default_css = [], []
        m.get_root().header.add_child(Raw(inline_head()), name="geoinf_assets")
    else:
        m.add_css_link("markercluster_css", _CLUSTER_CDN + "MarkerCluster.css")
        m.add_css_link("markercluster_default_css", _CLUSTER_CDN + "MarkerCluster.Default.css")
        m.add_js_link("markercluster", _CLUSTER_CDN + "leaflet.markercluster.js")
    m.get_root().header.add_child(Raw(
        f"<style>\n{helper_style()}#{m.get_name()}.leaflet-container {{ background: {SEA}; }}"
        f"</style><script>\n{helper_script()}</script>"), name="geoinf_helpers")


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


def fragment_libraries() -> str:
    """Return the inlined libraries once, for a host page holding several fragments.

    Put it once before the fragments and pass ``libraries=False`` to
    :func:`map_fragment`: a report of four maps then carries Leaflet once, not four
    times. Each library loads only if the host page has none.

    Examples
    --------
    >>> fragment_libraries().startswith("<style>"), "if (!window.L)" in fragment_libraries()
    (True, True)
    """
    return guarded_scripts()


def map_fragment(m: folium.Map, *, height: str = "600px", isolated: bool = False,
                 libraries: bool = True) -> str:
    r"""Return HTML for one map that drops into a larger page (report, notebook cell).

    The fragment is a ``<div>`` with the map's own styles and scripts; it sets no
    rule on ``html``/``body`` or any element outside the map, its panels set their
    own fonts, colours and heading styles (a host's ``h1``/``th`` rules do not show
    through), and several fragments may share one page: each call gives the map a
    new element id and runs its script in its own scope, so the same map may be
    inserted twice. Offline maps load their libraries only if the host page has none
    (``window.L``, ``L.MarkerClusterGroup``); with ``libraries=False`` they are left
    out, for a page that includes :func:`fragment_libraries` once.
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
    libraries : bool, default True
        Include the (guarded) inlined libraries of an offline map.

    Returns
    -------
    str
        HTML to insert anywhere in a ``<body>``.

    Examples
    --------
    >>> from geoinf.mapframes import map_frames
    >>> m = range_map(map_frames("kaliningrad", cities=False))
    >>> frag = map_fragment(m)
    >>> frag.startswith('<div class="geoinf-fragment"'), "<body" in frag, "html, body" in frag
    (True, False, False)
    >>> map_fragment(m) == frag  # a new map id each time
    False
    """
    if not _CSS_SIZE.fullmatch(str(height)):
        raise InputError(f"height={height!r}: expected a CSS length such as '600px', "
                         "'80vh' or '100%'")
    if isolated:
        page = html.escape(map_html(m), quote=True)
        return (f'<iframe class="geoinf-fragment" srcdoc="{page}" style="width:100%;'
                f'height:{escape_text(height)};border:0" loading="lazy"></iframe>')
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
    mapid, fresh = m.get_name(), f"{m.get_name()}_{uuid.uuid4().hex[:12]}"
    box = f"<style>#{fresh} {{ position: relative; width: 100%; height: 100%; }}</style>"
    body = root.html.render().replace(mapid, fresh)
    script = root.script.render().replace(mapid, fresh)
    helpers = "\n".join(styles).replace(f"#{mapid}.", f"#{fresh}.")
    assets = ("\n".join(scripts) if offline and libraries else "") + helpers
    return (f'<div class="geoinf-fragment" style="position:relative;width:100%;'
            f'height:{escape_text(height)}">\n{assets}\n{box}\n{body}\n<script>\n'
            f"(function () {{\n{script}\n}})();\n</script>\n</div>")
