"""The colours of geoinf's maps and figures, defined once (folium-free, matplotlib-free).

The INF classes' colours (:data:`INF_COLOURS`) and the basemap's sea, land, border and
site-marker colours are shared by the interactive map (:mod:`geoinf.map_layers`, the CSS
in ``geoinf/static/geoinf-map.css`` uses the same site colour) and the static figure
(:mod:`geoinf.figure`).
"""

from __future__ import annotations

from .treaty import INF_CLASSES

__all__ = ["INF_COLOURS", "SEA", "LAND", "BORDER", "SITE", "UNKNOWN"]

INF_COLOURS = dict(zip(INF_CLASSES, ("#6b7b8c", "#e08a00", "#c0392b", "#6c3483"), strict=True))
"""Fill and outline colour of each INF class (:data:`geoinf.treaty.INF_CLASSES`)."""

SEA, LAND, BORDER = "#d6e6f0", "#f7f5ef", "#b9b3a6"
"""Basemap colours: the sea (map background), land, and country borders."""

SITE = "#1b2a49"
"""Deployment-site marker colour."""

UNKNOWN = "#444"
"""Colour of a band whose INF class has no colour of its own."""
