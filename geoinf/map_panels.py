"""The panels of a range map: legend, summary and footer, as finished HTML.

Every text from an input file or a frame is HTML-escaped here, where it is written;
:class:`geoinf.map_elements.Panels` puts the HTML into the page as data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._offline import ASSET_VERSIONS
from .map_elements import escape_text
from .map_layers import DENSITY_RGB
from .mapframes import MERCATOR_MAX_LAT, MapFrames
from .palette import INF_COLOURS
from .treaty import INF_CLASSES, INF_EDGES_KM
from .version import __version__

__all__ = ["legend_panel", "summary_panel", "footer_panel", "html_table"]


def _class_ranges() -> dict[str, str]:
    """Return the distances of each INF class, as the legend writes them."""
    a, b, c = (f"{e:,.0f}" for e in INF_EDGES_KM)
    return dict(zip(INF_CLASSES, (f"under {a} km", f"{a}&ndash;{b} km",
                                  f"{b}&ndash;{c} km", f"over {c} km"), strict=True))


def legend_panel(frames: MapFrames) -> str:
    """Return the legend: the INF classes drawn, line styles, markers, density ramp, notes."""
    classes = [c for c in INF_COLOURS if c in set(frames.bands.get("inf_class", []))]
    lines = ["<h4>Range bands (INF Treaty classes)</h4>"]
    edges = _class_ranges()
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
                          for i, (r, g, b) in enumerate(DENSITY_RGB))
        tag = (" <span class='geoinf-indicative'>INDICATIVE</span>"
               if frames.population.get("indicative") else "")
        lines.append(f"<div style='margin-top:4px'>people per km²{tag}<br>"
                     f"<span class='geoinf-ramp' style='background:linear-gradient(to right,"
                     f"{stops})'></span><br><small>1 &nbsp; 10 &nbsp; 100 &nbsp; 1,000 &nbsp;"
                     " 10,000</small></div>")
    lines += [f"<div class='geoinf-note'>{escape_text(note)}</div>"
              for note in frames.meta.get("notes", [])]
    return "".join(lines)


def _number_text(value) -> str:
    """Return a number with thousands separators (2 decimals unless whole), else escaped text."""
    if isinstance(value, (int, np.integer)) or (isinstance(value, (float, np.floating))
                                                and float(value).is_integer()):
        return f"{value:,.0f}"
    if isinstance(value, (float, np.floating)):
        return f"{value:,.2f}"
    return escape_text(value)


def html_table(frame: pd.DataFrame, max_rows: int) -> str:
    """Return a frame as an HTML table of at most ``max_rows`` rows, every cell escaped.

    Examples
    --------
    >>> t = html_table(pd.DataFrame({"band": ["<i>x</i>", "y"], "people": [1234.0, 0.5]}), 1)
    >>> "<td>&lt;i&gt;x&lt;/i&gt;</td>" in t, "<td class='num'>1,234</td>" in t, "1 more" in t
    (True, True, True)
    """
    head = "".join(f"<th>{escape_text(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.head(max_rows).itertuples(index=False):
        cells = "".join(f"<td class='num'>{_number_text(v)}</td>"
                        if isinstance(v, (int, float, np.number))
                        else f"<td>{escape_text(v)}</td>" for v in row)
        body.append(f"<tr>{cells}</tr>")
    more = (f"<tr><td colspan='{len(frame.columns)}'>&hellip; {len(frame) - max_rows} more"
            "</td></tr>" if len(frame) > max_rows else "")
    return f"<table><tr>{head}</tr>{''.join(body)}{more}</table>"


def summary_panel(frames: MapFrames) -> str | None:
    """Return the population per band and the largest cities in range; None if neither."""
    parts = []
    if frames.summary is not None and len(frames.summary):
        parts.append(f"<b>Population per band</b>{html_table(frames.summary, 20)}")
    if frames.cities is not None and len(frames.cities):
        top = frames.cities.head(10)
        top = pd.DataFrame({"city": top["name"], "population": top["population"],
                            "km": top["distance_km"].round(), "nearest site": top[
                                "nearest_site"]})
        parts.append(f"<b>Largest cities in range</b> ({len(frames.cities):,} in all)"
                     f"{html_table(top, 10)}")
    if not parts:
        return None
    title = escape_text(frames.meta.get("scenario", ""))
    return (f"<details open><summary>Summary: {title}</summary>"
            + "<br>".join(parts) + "</details>")


def footer_panel(frames: MapFrames, offline: bool) -> str:
    """Return the provenance: scenario, method and tolerance, data sources, geoinf version."""
    meta = frames.meta
    sources = "; ".join(escape_text(s) for s in meta.get("sources", []))
    indicative = (" <span class='geoinf-indicative'>Population overlay: INDICATIVE grid "
                  "modelled from places and country totals, not a census.</span>"
                  if meta.get("indicative") else "")
    libs = ", ".join(f"{k} {v}" for k, v in ASSET_VERSIONS.items())
    desc = f" &mdash; {escape_text(meta['description'])}" if meta.get("description") else ""
    scenario = escape_text(meta.get("scenario", ""))
    return (f"<b>Scenario {scenario}</b>{desc}<br>Distances on the WGS84 "
            f"ellipsoid (geodesic; band boundaries within {meta.get('tolerance_km', 0.1):g} km "
            f"of the true circle; display clipped at ±{MERCATOR_MAX_LAT:.2f}° and rounded to "
            "~11 m). Cities "
            f"in range by exact distance, not by polygon.{indicative}<br>Data: {sources}."
            f"<br>geoinf {escape_text(__version__)}; "
            f"{'self-contained page (' + libs + ' inlined)' if offline else 'online page'}.")
