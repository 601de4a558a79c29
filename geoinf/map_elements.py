"""The page elements of a range map, each added to the page as finished text.

branca's ``MacroElement.render`` wraps what each macro returns in ``Element(output)``,
which compiles that output as a new (unsandboxed) Jinja template: any ``{{ }}``,
``{% %}`` or ``{#`` in a site name would run. Every element geoinf puts on a map
derives from :class:`Verbatim`, which adds its macros' output as :class:`Raw` text
instead, so text from input files is never template source. Text shown in the page
is HTML-escaped (:func:`escape_text`) wherever it is written into tooltips, popups,
layer names and panels.

The layers and panels are drawn in the browser by the ``geoinfMap`` helpers of
``geoinf/static/geoinf-map.js``, ``geoinf-table.js`` and ``geoinf-polar.js``
(:func:`helper_script`), styled by
``geoinf/static/geoinf-map.css`` (:func:`helper_style`).
"""

from __future__ import annotations

import functools
import html
import json
import math
import re
from importlib.resources import files

import folium
from branca.element import Element, Figure, MacroElement
from folium.map import Layer
from folium.template import Template

from .errors import InputError

__all__ = ["escape_text", "script_json", "helper_script", "helper_style", "Raw", "Verbatim",
           "VerbatimMap", "VerbatimTileLayer", "VerbatimImageOverlay", "EscapedLayerControl",
           "JsLayer", "Panels", "ClickReach", "PolarView"]


def escape_text(value) -> str:
    """Return a value as HTML-escaped text; ``None`` and NaN become empty text.

    Examples
    --------
    >>> escape_text("<b>Chernyakhovsk & co</b>"), escape_text(float("nan"))
    ('&lt;b&gt;Chernyakhovsk &amp; co&lt;/b&gt;', '')
    """
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    return html.escape("" if missing else str(value))


def script_json(value) -> str:
    r"""Return a value as compact JSON safe inside a ``<script>`` (as Jinja's ``tojson``).

    ``<``, ``>``, ``&`` and ``'`` are written as ``\\u`` escapes, so no text can end the
    script or open a comment; no spaces after separators (the layer data is most of
    the page).

    Examples
    --------
    >>> script_json({"b": ["</script>", 1.5], "a": None})
    '{"a":null,"b":["\\u003c/script\\u003e",1.5]}'
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("'", "\\u0027"))


@functools.cache
def _static(name: str) -> str:
    return files("geoinf").joinpath("static", name).read_text(encoding="utf-8")


def helper_script() -> str:
    """Return the JavaScript of the ``geoinfMap`` helpers.

    ``static/geoinf-map.js`` (layers, panels, click and search), then
    ``static/geoinf-table.js`` (the city table and its downloads) and
    ``static/geoinf-polar.js`` (the north-polar view).

    Examples
    --------
    >>> helper_script().startswith("window.geoinfMap = window.geoinfMap ||")
    True
    """
    return "\n".join(_static(f"geoinf-{n}.js") for n in ("map", "table", "polar"))


def helper_style() -> str:
    """Return the CSS of the panels and markers (``static/geoinf-map.css``).

    Examples
    --------
    >>> ".geoinf-panel" in helper_style()
    True
    """
    return _static("geoinf-map.css")


class Raw(Element):
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

    Children that use branca's plain render (``ElementAddToElement``, ``FitBounds``,
    ``CustomPane``) are rendered the same way.
    """
    figure = element.get_root()
    if not isinstance(figure, Figure):
        raise InputError(f"{type(element).__name__} must be added to a map before rendering")
    macros = element._template.module.__dict__
    for part in ("header", "html", "script"):
        if part in macros:
            getattr(figure, part).add_child(Raw(macros[part](element, kwargs)),
                                            name=element.get_name())
    for child in element._children.values():
        if type(child).render is MacroElement.render:
            _render_macros(child, kwargs)
        else:
            child.render(**kwargs)


class Verbatim(MacroElement):
    """Base of every element geoinf puts on a map: macros rendered once, as text.

    Listed after a folium class (``class VerbatimMap(folium.Map, Verbatim)``) it takes
    the place of branca's ``MacroElement.render`` at the end of that class's render chain.
    """

    def render(self, **kwargs) -> None:
        """Render the macros into the figure as verbatim :class:`Raw` text."""
        _render_macros(self, kwargs)


_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')


class VerbatimMap(folium.Map, Verbatim):
    """A folium map whose own and child elements are added to the page verbatim.

    folium's viewport ``<meta>`` forbids zooming the page (``user-scalable=no``,
    ``maximum-scale=1.0``); this map's allows pinch-zoom.
    """

    def render(self, **kwargs) -> None:
        """Render the map, then replace folium's viewport ``<meta>`` by one that zooms."""
        super().render(**kwargs)
        head = self.get_root().header._children.get(self.get_name())
        if isinstance(head, Raw):
            head.text = _VIEWPORT.sub('<meta name="viewport" content="width=device-width, '
                                      'initial-scale=1.0">', head.text)


class VerbatimTileLayer(folium.TileLayer, Verbatim):
    """Web tiles (online maps only)."""


class VerbatimImageOverlay(folium.raster_layers.ImageOverlay, Verbatim):
    """An image over the map (the population density)."""


class EscapedLayerControl(Verbatim):
    """Leaflet's layer control, with every layer name HTML-escaped.

    ``L.Control.Layers`` writes names with ``innerHTML``; folium passes them raw (and
    keys them in a dict, so two layers with one name lose an entry). Layers are added
    one by one, in map order, before the control is added to the map (which then lists
    them once, not once per layer).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control.layers({}, {}, {{ this.options|tojson }});
        {% for method, layer, label in this.entries() %}
        {{ this.get_name() }}.{{ method }}({{ layer }}, {{ label|tojson }});
        {% endfor %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
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


class JsLayer(Layer, Verbatim):
    """A Leaflet layer made by a ``geoinfMap`` helper from inline data; in the layer control.

    Parameters
    ----------
    helper : str
        The ``geoinfMap`` function that builds the layer: ``"band"`` and ``"basemap"``
        (paths in Web Mercator pixels, :func:`geoinf.map_layers.mercator_path`),
        ``"polygons"`` (GeoJSON: area outlines), ``"points"``, ``"cities"`` or
        ``"labels"``.
    kind : str
        What the layer shows (``"band"``, ``"site"``, ``"city"``, ``"label"``,
        ``"basemap"``); kept
        with ``count`` in ``geoinfMap.registry``.
    name : str
        Layer name shown (escaped) in the layer control.
    data : GeoJSON dict or list
        The helper's data, written into the page as JSON.
    options : dict
        The helper's options.
    count : int
        Number of features or markers.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = geoinfMap.register({{ this._parent.get_name() }},
            {{ this.kind|tojson }}, {{ this.layer_name|tojson }},
            geoinfMap.{{ this.helper }}({{ this.data_json }}, {{ this.options|tojson }}),
            {{ this.count|tojson }});
        {% endmacro %}
    """)

    def __init__(self, helper: str, kind: str, name: str, data, options: dict, count: int,
                 *, show: bool = True, control: bool = True):
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "geoinf_" + kind
        self.helper, self.kind, self.data, self.options, self.count = (
            helper, kind, data, options, count)

    @property
    def data_json(self) -> str:
        """The data as compact script-safe JSON (:func:`script_json`)."""
        return script_json(self.data)


class Panels(Verbatim):
    """The panels of one map, (html, position, class) each, and the first view.

    ``bounds`` ([[south, west], [north, east]]) is fitted after the panels are drawn,
    with the space they take at the top and bottom of the map left out.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        geoinfMap.popupOrder({{ this._parent.get_name() }});
        geoinfMap.printLayout({{ this._parent.get_name() }});
        {% for html, position, cls in this.panels %}
        geoinfMap.panel({{ this._parent.get_name() }}, {{ html|tojson }}, {{ position|tojson }},
                        {{ cls|tojson }});
        {% endfor %}
        geoinfMap.fitPanels({{ this._parent.get_name() }});
        {% if this.bounds %}
        geoinfMap.fit({{ this._parent.get_name() }}, {{ this.bounds|tojson }});
        {% endif %}
        {% endmacro %}
    """)

    def __init__(self, panels: list[tuple[str, str, str]], *, bounds=None):
        super().__init__()
        self._name = "geoinf_panels"
        self.panels = panels
        self.bounds = None if bounds is None else [[float(v) for v in p] for p in bounds]


class ClickReach(Verbatim):
    """A click anywhere on the map (or a search) lists what reaches that point.

    ``data`` is :func:`geoinf.map_layers.reach_data`: the page computes the ellipsoidal
    distance to each system's sites (``geoinfMap.distance``) and lists each claim that
    reaches; the drawn polygons play no part.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        geoinfMap.clickReach({{ this._parent.get_name() }}, {{ this.data|tojson }});
        {% endmacro %}
    """)

    def __init__(self, data: dict):
        super().__init__()
        self._name = "geoinf_click_reach"
        self.data = data


class PolarView(Verbatim):
    """A "Polar view" button: the bands, sites and countries in a north-polar projection.

    ``data`` is :func:`geoinf.map_panels.polar_data`. The page draws an azimuthal
    equidistant projection about the North Pole on a canvas (``geoinfMap.polar``); the
    sites and countries come from the map's own layers.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        geoinfMap.polar({{ this._parent.get_name() }}, {{ this.data_json }});
        {% endmacro %}
    """)

    def __init__(self, data: dict):
        super().__init__()
        self._name = "geoinf_polar"
        self.data = data

    @property
    def data_json(self) -> str:
        """The data as compact script-safe JSON (:func:`script_json`)."""
        return script_json(self.data)
