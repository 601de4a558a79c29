"""The panels of a range map: title, legend, summary and about, as finished HTML.

Every text from an input file or a frame is HTML-escaped here, where it is written;
:class:`geoinf.map_elements.Panels` puts the HTML into the page as data. The legend,
summary and about panels are ``<details>`` elements: open on a wide map, closed on
a phone (``static/geoinf-map.js`` decides in the browser).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import shapely

from ._offline import ASSET_VERSIONS
from .map_claims import claim_label, pair_status, system_claims
from .map_elements import escape_text
from .map_layers import (
    DENSITY_RGB,
    badge,
    band_style,
    compact_rings,
    short_names,
    system_colours,
)
from .mapframes import MERCATOR_MAX_LAT, MapFrames
from .palette import CLASS_FILL, CLASS_TEXT, SITE
from .treaty import INF_CLASSES
from .version import __version__

__all__ = ["title_panel", "legend_panel", "summary_panel", "about_panel", "html_table",
           "headline", "polar_data"]


def headline(frames: MapFrames) -> tuple[str, str]:
    """Return the map's title and subtitle (plain text, not escaped).

    Examples
    --------
    >>> headline(MapFrames(bands=None, sites=None, meta={"description": "A: b c"}))
    ('A', 'b c')
    """
    meta = frames.meta
    text = str(meta.get("description") or "")
    if not text:
        name = str(meta.get("scenario") or "custom")
        return (("Your sites" if name == "custom" else name) + ": range map", "")
    title, _, rest = text.partition(": ")
    return (title, rest) if rest else (text, "")


def title_panel(frames: MapFrames) -> str:
    """Return the headline: the scenario's title and what the shading means."""
    title, sub = headline(frames)
    sub = f"{escape_text(sub)}. " if sub else ""
    return (f"<h1>{escape_text(title)}</h1><p>{sub}<span class='geoinf-explain'>Shaded: "
            "where each missile could reach from its sites under each published range claim "
            "(distances on the Earth's ellipsoid).</span></p>")


def _claims_text(claims: pd.DataFrame) -> str:
    """Return each drawn claim of a system (figure, claimant, year, strength), then a note.

    The claimant in full shows on hover; the note counts the published figures not drawn.
    """
    drawn = claims[claims["drawn"]]
    out = [f"<span class='geoinf-claim' title='{escape_text(c.claimant)}'>"
           f"{claim_label(c, details=True)}</span>" for _, c in drawn.iterrows()]
    text = " &middot; ".join(out)
    rest = len(claims) - len(drawn)
    if rest:
        text += (f" <small>(and {rest} published figure{'s' if rest > 1 else ''} not drawn: "
                 "see a city's popup)</small>")
    return text


def _system_rows(frames: MapFrames) -> list[str]:
    colours = system_colours(frames.bands)
    claims = system_claims(frames.sites)
    shorts = short_names(frames.sites["system_name"])
    rows = []
    for system, group in frames.sites.groupby("system", sort=False):
        first = group.iloc[0]
        col = colours.get(system, "#444")
        status = [pair_status(r)[0] for _, r in group.iterrows()]
        kinds = list(dict.fromkeys(status))
        tags = badge(kinds[0]) if len(kinds) == 1 else "".join(
            f"{badge(b)}<small> ({status.count(b)} of {len(group)} sites)</small>"
            for b in kinds if badge(b))
        tags = f" {tags}" if tags else ""
        rows.append(f"<div style='margin:2px 0'><span class='geoinf-swatch' "
                    f"style='border-color:{col};background:{col}55'></span><b>"
                    f"{escape_text(shorts[first.system_name])}</b>{tags}: "
                    f"{_claims_text(claims[system])}</div>")
    return rows


def _pole_note(frames: MapFrames, polar_href: str | None) -> str:
    bands = frames.bands
    if not len(bands) or bands.total_bounds[3] < MERCATOR_MAX_LAT - 1:
        return ""
    link = (f" <a href='{escape_text(polar_href)}' target='_blank' rel='noopener'>"
            "Undistorted polar view</a>." if polar_href else "")
    button = (" The <b>Polar view</b> button (top right) draws it round the pole."
              if polar_data(frames) is not None else "")
    return ("<div class='geoinf-note' style='color:#444'>A range that reaches the North "
            "Pole cannot close on this (Web Mercator) map: it is cut at "
            f"{MERCATOR_MAX_LAT:.0f}&deg;N and stretched along the top edge.{button}{link}"
            "</div>")


def legend_panel(frames: MapFrames, *, polar_href: str | None = None) -> str:
    """Return the legend: a row per system (each claim, its claimant), the INF classes.

    Then the solid/dashed claims, the markers, the density ramp and the notes.
    """
    lines = ["<details open><summary>Legend</summary>", *_system_rows(frames)]
    classes = [c for c in INF_CLASSES if c in set(frames.bands.get("inf_class", []))]
    for c in classes:
        lines.append(f"<div><span class='geoinf-swatch' style='border-color:#555;"
                     f"background:rgba(60,60,60,{CLASS_FILL[c] * 2:.2f})'></span>"
                     f"{CLASS_TEXT[c]}</div>")
    if (frames.bands.get("estimate", pd.Series(dtype=str)) == "high").any():
        lines.append("<div><span class='geoinf-swatch' style='border-color:#555;"
                     "border-width:2px 0 0 0;height:2px'></span>solid: within every drawn claim"
                     "</div><div><span class='geoinf-swatch' style='border-color:#555;"
                     "border-style:dashed;border-width:2px 0 0 0;height:2px'></span>dashed: "
                     "only under the longer claims</div>")
    lines.append("<div><span class='geoinf-site' style='display:inline-block;width:12px;"
                 "height:12px;margin:0 8px 0 4px;vertical-align:middle'></span>launch site "
                 "(click for sources)</div>")
    if frames.areas is not None and len(frames.areas):
        lines.append(f"<div><span class='geoinf-swatch' style='border-color:{SITE};"
                     "border-style:dashed;border-width:2px 0 0 0;height:2px'></span>area site "
                     "(a line or area: distances are to its nearest point)</div>")
    if frames.cities is not None:
        lines.append("<div><span class='geoinf-city' style='display:inline-block;width:9px;"
                     "height:9px;margin:0 9px 0 6px;vertical-align:middle'></span>city in "
                     f"range (&ge; {frames.meta.get('min_population', 0):,.0f} people; "
                     "numbers: cities grouped)</div>")
    if frames.population is not None:
        stops = ", ".join(f"rgb({int(r)},{int(g)},{int(b)}) {i * 25}%"
                          for i, (r, g, b) in enumerate(DENSITY_RGB))
        tag = (" <span class='geoinf-indicative'>INDICATIVE</span>"
               if frames.population.get("indicative") else "")
        lines.append(f"<div style='margin-top:4px'>people per km²{tag}<br>"
                     f"<span class='geoinf-ramp' style='background:linear-gradient(to right,"
                     f"{stops})'></span><br><small>1 &nbsp; 10 &nbsp; 100 &nbsp; 1,000 &nbsp;"
                     " 10,000</small></div>")
    lines.append("<div style='margin-top:3px'>Click anywhere (or search) to list every "
                 "system reaching that point, by exact distance.</div>")
    lines.append(_pole_note(frames, polar_href))
    lines += [f"<div class='geoinf-note'>{escape_text(note)}</div>"
              for note in frames.meta.get("notes", [])]
    return "".join(lines) + "</details>"


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


def people_text(value: float) -> str:
    """Return a rounded head count in words.

    Examples
    --------
    >>> people_text(804163481), people_text(26024964), people_text(4_321_000), people_text(8765)
    ('800 million', '26 million', '4.3 million', '9,000')
    """
    if value >= 1e6:
        rounded = float(f"{value / 1e6:.2g}")
        return f"{rounded:,.{1 if rounded < 10 else 0}f} million".replace(".0 ", " ")
    if value <= 0:
        return "0"
    return f"{float(f'{value:.1g}'):,.0f}"


_SUMMARY_BANDS = (("under 500 km", "0&ndash;500 km"), ("shorter-range", "500&ndash;1,000"),
                  ("intermediate-range", "1,000&ndash;5,500"))


def _claims_table(frames: MapFrames) -> str:
    """One row per system and distinct range claim: people in each band it reaches."""
    s = frames.summary
    names = frames.sites.drop_duplicates("system").set_index("system")
    shorts = short_names(frames.sites["system_name"])
    head = "".join(f"<th class='num'>{t}</th>" for _, t in _SUMMARY_BANDS)
    rows, partial = [], False
    for (system, range_km), group in s.groupby(["system", "range_km"], sort=False):
        row = names.loc[system] if system in names.index else None
        claimant = (row.low_claimant if row is not None and range_km == row.range_km_low
                    else row.high_claimant if row is not None else "")
        label = escape_text(shorts[row.system_name] if row is not None else system)
        cells = []
        for band, _ in _SUMMARY_BANDS:
            hit = group[group["band"] == band]
            if not len(hit):
                cells.append("<td class='num'>&ndash;</td>")
                continue
            mark = "*" if float(hit["coverage"].iloc[0]) < 0.995 else ""
            partial = partial or bool(mark)
            cells.append(f"<td class='num'>{people_text(float(hit['population'].iloc[0]))}"
                         f"{mark}</td>")
        rows.append(f"<tr><td title='{escape_text(claimant)}'><b>{label}</b> "
                    f"{range_km:,.0f} km</td>{''.join(cells)}</tr>")
    note = ("<small>* part of this band lies outside the places data (open sea or "
            "unlisted countries): the figure counts the part inside.</small>"
            if partial else "")
    return (f"<table><tr><th>range claim</th>{head}</tr>{''.join(rows)}</table>{note}")


def _file_stem(frames: MapFrames) -> str:
    """Return the scenario's name as a safe file name stem (letters, digits, - and _).

    Examples
    --------
    >>> _file_stem(MapFrames(bands=None, sites=None, meta={"scenario": "../a b/<x>"}))
    'a-b-x'
    """
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", str(frames.meta.get("scenario") or "")).strip("-")
    return stem or "geoinf"


def summary_panel(frames: MapFrames) -> str | None:
    """Return the people within each range claim and the largest cities; None if neither.

    With cities, a button opens the table of every city in range
    (``geoinfMap.cityTable``: sortable, downloadable as CSV and GeoJSON).
    """
    parts = []
    if frames.summary is not None and len(frames.summary):
        if {"system", "range_km", "band", "coverage"} <= set(frames.summary.columns):
            parts.append("People living within each range claim, by distance from the "
                         "nearest site (<span class='geoinf-indicative'>indicative</span>: "
                         "named places, rounded; not a census)" + _claims_table(frames))
        else:
            parts.append(f"<b>Population per band</b>{html_table(frames.summary, 20)}")
    if frames.cities is not None and len(frames.cities):
        top = frames.cities.head(10)
        lines = ", ".join(f"{escape_text(c.name)} ({people_text(c.population)}, "
                          f"{c.distance_km:,.0f} km)" for c in top.itertuples())
        parts.append(f"<details><summary>Largest cities in range ({len(frames.cities):,} "
                     f"in all)</summary>{lines} (distance to the nearest site)</details>"
                     f"<button type='button' class='geoinf-table-open' data-file="
                     f"'{_file_stem(frames)}-cities'>Table of all {len(frames.cities):,} "
                     "cities (sort, download CSV or GeoJSON)</button>")
    if not parts:
        return None
    return ("<details open><summary>Summary: people in range</summary>"
            + "".join(parts) + "</details>")


def about_panel(frames: MapFrames, offline: bool) -> str:
    """Return the provenance: scenario, method and tolerance, data sources, geoinf version."""
    meta = frames.meta
    sources = "; ".join(escape_text(s) for s in meta.get("sources", []))
    indicative = (" <span class='geoinf-indicative'>Population overlay: INDICATIVE grid "
                  "modelled from places and country totals, not a census.</span>"
                  if meta.get("indicative") else "")
    libs = ", ".join(f"{k} {v}" for k, v in ASSET_VERSIONS.items())
    desc = f" &mdash; {escape_text(meta['description'])}" if meta.get("description") else ""
    scenario = escape_text(meta.get("scenario", ""))
    return (f"<details><summary>About this map &amp; sources</summary><b>Scenario "
            f"{scenario}</b>{desc}"
            f"<br>Distances on the WGS84 ellipsoid (geodesic; band boundaries within "
            f"{meta.get('tolerance_km', 0.1):g} km of the true circle; display clipped at "
            f"±{MERCATOR_MAX_LAT:.2f}° and rounded to ~10 m). A city is in range by its "
            f"exact distance to the sites, never by the drawn shapes.{indicative}<br>"
            f"Data: {sources}.<br>geoinf {escape_text(__version__)}; "
            f"{'self-contained page (' + libs + ' inlined)' if offline else 'online page'}."
            "</details>")


def polar_data(frames: MapFrames, *, tolerance_deg: float = 0.02) -> dict | None:
    """Return the bands for the page's north-polar view, or None if no band holds the pole.

    The bands (widest first, as on the map) keep their whole geometry, also north of
    Web Mercator's 85.05°, simplified by ``tolerance_deg`` (~2 km) and written as
    compact rings (:func:`geoinf.map_layers.compact_rings`); names are HTML-escaped.
    ``lon_0`` (the mean site longitude) points down the page; ``south`` is the view's
    edge, the multiple of 10° at least 2° south of the bands (60°S at most).

    Examples
    --------
    >>> from geoinf.mapframes import map_frames
    >>> polar_data(map_frames("kaliningrad", cities=False)) is None
    True
    >>> data = polar_data(map_frames("post-inf-2026", cities=False))
    >>> data["south"], data["bands"][0]["name"]
    (-10.0, 'Oreshnik 5,000–5,500 km')
    """
    bands = frames.bands
    if bands is None or not len(bands) or bands.total_bounds[3] < 90 - 1e-6:
        return None
    colours, shorts = system_colours(bands), short_names(bands["system_name"])
    out = []
    for row in bands.sort_values("max_km", ascending=False, kind="stable").itertuples():
        geom = shapely.simplify(row.geometry, tolerance_deg, preserve_topology=True)
        out.append({"style": band_style(row, colours.get(row.system, "#444")),
                    "name": escape_text(f"{shorts[row.system_name]} {row.min_km:,.0f}–"
                                        f"{row.max_km:,.0f} km"),
                    "rings": compact_rings([geom], decimals=2)})
    first = bands.drop_duplicates("system")
    systems = [[colours[r.system], escape_text(shorts[r.system_name])]
               for r in first.itertuples()]
    lon_0 = float(frames.sites["lon"].mean()) if len(frames.sites) else 0.0
    south = max(-60.0, np.floor((bands.total_bounds[1] - 2) / 10) * 10)
    return {"lon_0": round(lon_0, 2), "south": float(south), "bands": out, "systems": systems}
