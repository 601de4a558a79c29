"""The colours of geoinf's maps and figures, defined once (folium-free, matplotlib-free).

The INF classes' colours (:data:`INF_COLOURS`) and the basemap's sea, land, border and
site-marker colours are shared by the interactive map (:mod:`geoinf.map_layers`, the CSS
in ``geoinf/static/geoinf-map.css`` uses the same site colour) and the static figure
(:mod:`geoinf.figure`).
"""

from __future__ import annotations

from .treaty import INF_CLASSES

__all__ = ["INF_COLOURS", "SYSTEM_COLOURS", "CLASS_FILL", "CLASS_WEIGHT", "CLASS_TEXT",
           "system_colour", "SEA", "LAND", "BORDER", "SITE", "UNKNOWN"]

INF_COLOURS = dict(zip(INF_CLASSES, ("#6b7b8c", "#e08a00", "#c0392b", "#6c3483"), strict=True))
"""Fill and outline colour of each INF class (:data:`geoinf.treaty.INF_CLASSES`)."""

SEA, LAND, BORDER = "#d6e6f0", "#f7f5ef", "#b9b3a6"
"""Basemap colours: the sea (map background), land, and country borders."""

SITE = "#1b2a49"
"""Deployment-site marker colour."""

UNKNOWN = "#444"
"""Colour of a band whose INF class has no colour of its own."""

SYSTEM_COLOURS = ("#c0392b", "#1f5fa8", "#d97c00", "#6c3483", "#1e8a6e", "#8c564b",
                  "#c2185b", "#4d6b2f")
"""Colour family of each system on the interactive map, in the order systems appear."""

CLASS_FILL = dict(zip(INF_CLASSES, (0.05, 0.13, 0.22, 0.3), strict=True))
"""Fill opacity of each INF class within a system's colour: darker the farther the class."""

CLASS_WEIGHT = dict(zip(INF_CLASSES, (1.0, 1.6, 2.2, 2.6), strict=True))
"""Outline width (px) of each INF class on the interactive map."""

CLASS_TEXT = dict(zip(INF_CLASSES, ("under 500 km (outside the treaty)",
                                    "shorter-range (500\u20131,000 km)",
                                    "intermediate-range (1,000\u20135,500 km)",
                                    "beyond 5,500 km (outside the treaty)"), strict=True))
"""Plain words for each INF class, as maps write them."""


def system_colour(index: int) -> str:
    """Return the colour of the ``index``-th system of a map (cycling).

    Examples
    --------
    >>> system_colour(0), system_colour(len(SYSTEM_COLOURS))
    ('#c0392b', '#c0392b')
    """
    return SYSTEM_COLOURS[index % len(SYSTEM_COLOURS)]
