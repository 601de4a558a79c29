"""Static print figures of range bands in a north-polar azimuthal equidistant projection.

Web Mercator cannot show a range that contains the North Pole: the cap is cut at
85.05° and stretched across the top of the map. In a north-polar azimuthal
equidistant projection every meridian is a straight line from the pole, so the
lon/lat pieces that the engine splits at ±180° meet again and a pole-containing
band reads as the closed shape it is. Needs matplotlib (``pip install
'geoinf[figure]'``).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from ._io import atomic_write
from .errors import InputError
from .map_layers import claimant_short, short_names, system_colours
from .map_panels import headline
from .mapframes import MapFrames
from .palette import BORDER, CLASS_FILL, CLASS_TEXT, LAND, SEA, SITE, UNKNOWN
from .places import embedded_countries
from .version import __version__

__all__ = ["range_figure", "write_figure", "save_figure", "figure_format", "polar_crs",
           "require_matplotlib"]

# where the engine cuts polygons (the antimeridian, the poles): not part of any range edge
_SEAMS = shapely.MultiLineString([[(180, -90), (180, 90)], [(-180, -90), (-180, 90)],
                                  [(-180, 90), (180, 90)], [(-180, -90), (180, -90)]])
# text from files is drawn as written: no mathtext ("$...$") and no LaTeX
_LITERAL = {"parse_math": False, "usetex": False}
_FORMATS = (".png", ".pdf", ".svg")


def _halo() -> list:
    """Return a white outline for text over the bands (matplotlib is imported lazily)."""
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.2, foreground="white")]


def require_matplotlib() -> None:
    """Raise a one-line InputError naming the install command when matplotlib is absent."""
    _pyplot()


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("static figures need matplotlib: pip install 'geoinf[figure]'"
                         ) from None
    return plt


def polar_crs(lon_0: float) -> str:
    """Return the PROJ string of the north-polar azimuthal equidistant projection.

    The meridian ``lon_0`` points down the page; distances from the pole are true.

    Examples
    --------
    >>> polar_crs(30.0)
    '+proj=aeqd +lat_0=90 +lon_0=30 +datum=WGS84 +units=km +no_defs'
    """
    return f"+proj=aeqd +lat_0=90 +lon_0={lon_0:g} +datum=WGS84 +units=km +no_defs"


def range_figure(frames: MapFrames, *, width_in: float = 9.0, dpi: int = 150):
    """Return a matplotlib figure of the bands and sites, north-polar azimuthal equidistant.

    The figure has the scenario's title and subtitle, one colour per system (the INF
    class by fill, dashed where only the longer claim reaches, as on the interactive
    map), site names and range labels ("1,000 km"), a graticule, a mark on the North
    Pole where a range contains it, the legend below the map (never over it) and a
    caption with a scale note and the sources. Text from files is drawn as written:
    ``$...$`` is not mathtext and LaTeX is not used.

    Parameters
    ----------
    frames : MapFrames
        From :func:`geoinf.mapframes.map_frames`.
    width_in : float, default 9
        Figure width in inches (the height is 1.15 times the width).
    dpi : int, default 150
        Resolution when saved as PNG.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from geoinf.mapframes import map_frames
    >>> fig = range_figure(map_frames("kaliningrad", cities=False))
    >>> fig.texts[0].get_text()
    'Kaliningrad'
    """
    plt = _pyplot()
    sites = frames.sites.drop_duplicates("site")
    lon_0 = round(float(np.degrees(np.arctan2(np.sin(np.radians(sites["lon"])).mean(),
                                              np.cos(np.radians(sites["lon"])).mean()))))
    crs = polar_crs(lon_0)
    fig = plt.figure(figsize=(width_in, width_in * 1.15), dpi=dpi)
    ax = fig.add_axes(_MAP_BOX)
    ax.set_facecolor(SEA)
    _set_extent(ax, frames, sites, crs, fig)
    countries = embedded_countries()
    simple = shapely.simplify(countries.geometry.values, 0.05, preserve_topology=True)
    gpd.GeoSeries(shapely.clip_by_rect(simple, -180, -40, 180, 90), crs="EPSG:4326").to_crs(
        crs).plot(ax=ax, color=LAND, edgecolor=BORDER, linewidth=0.3)
    _graticule(ax, lon_0)
    colours = system_colours(frames.bands)
    _draw_bands(ax, frames.bands, crs, colours)
    _ring_labels(ax, frames.bands, crs)
    pole = _pole_mark(ax, frames.bands)
    sites.to_crs(crs).plot(ax=ax, color=SITE, markersize=14, edgecolor="white",
                           linewidth=0.6, zorder=5)
    _site_labels(ax, sites, crs)
    ax.set_axis_off()
    ax.add_patch(plt.Rectangle((0, 0), 1, 1, transform=ax.transAxes, facecolor=SEA,
                               zorder=-10))
    title, sub = headline(frames)
    fig.text(0.02, 0.975, textwrap.fill(title, 70), fontsize=14, fontweight="bold",
             va="top", gid="title", **_LITERAL)
    if sub:
        fig.text(0.02, 0.948, textwrap.fill(sub, 115), fontsize=8.5, va="top", color="#333",
                 gid="subtitle", **_LITERAL)
    legend = fig.legend(handles=_legend_handles(frames, colours, pole), loc="upper left",
                        bbox_to_anchor=(0.02, _MAP_BOX[1] - 0.01), ncol=2, fontsize=7,
                        frameon=False, borderaxespad=0)
    for text in legend.get_texts():
        text.set(**_LITERAL)
    fig.text(0.02, 0.012, _caption(frames, lon_0, pole), fontsize=6, va="bottom",
             color="#333", gid="credit", **_LITERAL)
    return fig


# the map's box in figure fractions (left, bottom, width, height): the title above it, the
# legend and the caption below it
_MAP_BOX = (0.02, 0.2, 0.96, 0.715)


def _set_extent(ax, frames: MapFrames, sites, crs: str, fig) -> None:
    """Fit the bands (or the sites) with a margin, in the map box's aspect ratio."""
    bounds = frames.bands.to_crs(crs).total_bounds if len(frames.bands) else (
        sites.to_crs(crs).total_bounds)
    x0, y0, x1, y1 = bounds
    pad = 0.05 * max(x1 - x0, y1 - y0, 500.0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    width, height = fig.get_size_inches()
    aspect = (_MAP_BOX[3] * height) / (_MAP_BOX[2] * width)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w = max(x1 - x0, (y1 - y0) / aspect) / 2
    ax.set_xlim(cx - half_w, cx + half_w)
    ax.set_ylim(cy - half_w * aspect, cy + half_w * aspect)
    ax.set_aspect("equal", adjustable="box")


def _project(lon, lat, crs: str):
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)


def _graticule(ax, lon_0: int) -> None:
    """Draw meridians every 30° and parallels every 10° (labelled on the central meridian)."""
    lat = np.linspace(0, 90, 91)
    for lon in range(-180, 180, 30):
        x, y = _project(np.full_like(lat, lon), lat, polar_crs(lon_0))
        ax.plot(x, y, color="#8aa", linewidth=0.35, zorder=1, gid="graticule")
    lon = np.linspace(-180, 180, 361)
    x_min, x_max = ax.get_xlim()
    y_min, y_max = ax.get_ylim()
    for par in range(0, 90, 10):
        x, y = _project(lon, np.full_like(lon, par), polar_crs(lon_0))
        ax.plot(x, y, color="#8aa", linewidth=0.35, zorder=1, gid="graticule")
        lx, ly = _project(lon_0, par, polar_crs(lon_0))
        if x_min < lx < x_max and y_min < ly < y_max:
            ax.text(lx, ly, f"{par}°N", fontsize=6, color="#577", ha="left", va="bottom",
                    zorder=1, gid="graticule-label", **_LITERAL)


def _draw_bands(ax, bands: gpd.GeoDataFrame, crs: str, colours: dict) -> None:
    """Fill each band in its system's colour (darker by INF class), outline its range edge."""
    projected = bands.to_crs(crs)
    for row, piece in sorted(zip(bands.itertuples(), projected.geometry, strict=True),
                             key=lambda p: -p[0].max_km):
        colour = colours.get(row.system, UNKNOWN)
        gpd.GeoSeries([piece], crs=crs).plot(ax=ax, color=colour, linewidth=0,
                                             alpha=CLASS_FILL.get(row.inf_class, 0.12))
        outline = gpd.GeoSeries([shapely.difference(row.geometry.boundary, _SEAMS)],
                                crs="EPSG:4326")
        outline.to_crs(crs).plot(ax=ax, color=colour, linewidth=0.9,
                                 linestyle="--" if row.estimate == "high" else "-")


def _ring_labels(ax, bands: gpd.GeoDataFrame, crs: str) -> None:
    """Label each range edge ("1,000 km") at its lowest point on the page."""
    placed = []
    span = np.diff(ax.get_xlim())[0]
    for _, group in bands.groupby("system", sort=False):
        group = group.sort_values("max_km")
        for i, km in enumerate(group["max_km"]):
            outer = shapely.union_all(group.geometry.iloc[:i + 1].to_numpy())
            ring = shapely.get_exterior_ring(max(shapely.get_parts(outer), key=shapely.area))
            xy = shapely.get_coordinates(gpd.GeoSeries([ring], crs="EPSG:4326").to_crs(crs)
                                         .iloc[0])
            if not len(xy):
                continue
            x, y = xy[np.argmin(xy[:, 1])]
            if any(abs(x - px) < 0.06 * span and abs(y - py) < 0.02 * span
                   for px, py in placed):
                continue
            placed.append((x, y))
            ax.text(x, y, f"{km:,.0f} km", fontsize=6.5, color="#222", ha="center",
                    va="bottom", zorder=6, gid="ring-label", path_effects=_halo(), **_LITERAL)


def _pole_mark(ax, bands: gpd.GeoDataFrame) -> bool:
    """Mark the North Pole (the projection's centre) if a band contains it; return whether."""
    if not len(bands) or not bands.intersects(shapely.Point(0.0, 90.0)).any():
        return False
    ax.plot(0, 0, marker="+", markersize=11, markeredgewidth=1.6, color="#111", zorder=7,
            gid="pole")
    ax.text(0, 0, "  North Pole", fontsize=7, ha="left", va="center", zorder=7,
            gid="pole-label", path_effects=_halo(), **_LITERAL)
    return True


_LABEL_OFFSETS = ((4, 3, "left", "bottom"), (4, -3, "left", "top"), (-4, 3, "right", "bottom"),
                  (-4, -3, "right", "top"), (0, 6, "center", "bottom"), (0, -6, "center", "top"))
"""Places tried for a site's name, in points from its marker (greedy, first free one)."""


def _site_labels(ax, sites: gpd.GeoDataFrame, crs: str) -> None:
    """Name each site (up to 30) beside its marker, where it overlaps no name placed before.

    Each site is named once (a site of several systems has one name); the first of
    :data:`_LABEL_OFFSETS` that overlaps no earlier name is used, and a name with no
    free place is left out (as the page's city names are).
    """
    points = sites.drop_duplicates("site") if "site" in sites.columns else sites
    if len(points) > 30:
        return
    renderer = ax.figure.canvas.get_renderer()
    placed = []
    for name, point in zip(points["site_name"], points.to_crs(crs).geometry, strict=True):
        for dx, dy, ha, va in _LABEL_OFFSETS:
            text = ax.annotate(str(name).split(" (")[0], (point.x, point.y), xytext=(dx, dy),
                               textcoords="offset points", fontsize=6.5, color=SITE,
                               zorder=8, ha=ha, va=va, gid="site-label",
                               path_effects=_halo(), **_LITERAL)
            box = text.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            text.remove()


def _legend_handles(frames: MapFrames, colours: dict, pole: bool) -> list:
    """Return a legend row per system (its claims and claimants), the classes and marks."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = []
    shorts = short_names(frames.sites["system_name"])
    for system, group in frames.sites.groupby("system", sort=False):
        r = group.iloc[0]
        claims = f"{r.range_km_low:,.0f} km ({claimant_short(r.low_claimant) or 'given'})"
        if r.range_km_high != r.range_km_low:
            claims += f" / {r.range_km_high:,.0f} km ({claimant_short(r.high_claimant)})"
        colour = colours.get(system, UNKNOWN)
        handles.append(Patch(facecolor=colour, edgecolor=colour, alpha=0.45,
                             label=textwrap.shorten(f"{shorts[r.system_name]}: {claims}",
                                                    80)))
    present = set(frames.bands["inf_class"]) if len(frames.bands) else set()
    handles += [Patch(facecolor="#3c3c3c", alpha=min(1.0, 2 * CLASS_FILL[c]), label=text)
                for c, text in CLASS_TEXT.items() if c in present]
    handles += [Line2D([], [], color="#555", label="solid: within every claim"),
                Line2D([], [], color="#555", linestyle="--",
                       label="dashed: only under the longer claim"),
                Line2D([], [], marker="o", color=SITE, linestyle="", label="launch site")]
    if pole:
        handles.append(Line2D([], [], marker="+", color="#111", linestyle="",
                              markersize=9, label="North Pole (inside a range)"))
    return handles


def _caption(frames: MapFrames, lon_0: int, pole: bool) -> str:
    """Return the scale note and the credit line (sources, geoinf version)."""
    meta = frames.meta
    note = (f"North-polar azimuthal equidistant projection, central meridian {lon_0:d}°: "
            "distances from the North Pole are true; elsewhere the map stretches east-west "
            "away from the pole, so a range circle looks wider than tall. "
            + ("A range that contains the pole is drawn closed around it (+). " if pole
               else "")
            + f"Geodesic distances on WGS84; band edges within {meta.get('tolerance_km', 0.1):g}"
            " km of the true circle.")
    credit = ("Sources: " + "; ".join(str(s) for s in meta.get("sources", []))
              + f". Made with geoinf {__version__}.")
    return "\n".join(textwrap.wrap(note, 170) + textwrap.wrap(credit, 170))


def figure_format(path: str | os.PathLike) -> str:
    """Return the format of a figure file from its suffix: ``png``, ``pdf`` or ``svg``.

    Examples
    --------
    >>> figure_format("out/Map.PNG")
    'png'
    >>> figure_format("map.jpg")
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: map.jpg: a figure is written as .png, .pdf or .svg (got '.jpg')
    """
    suffix = Path(path).suffix.lower()
    if suffix not in _FORMATS:
        raise InputError(f"{path}: a figure is written as .png, .pdf or .svg (got "
                         f"{suffix or 'no suffix'!r})")
    return suffix[1:]


def save_figure(fig, path: str | os.PathLike, *, fmt: str) -> None:
    """Save a figure to ``path`` in format ``fmt`` (no checks, not atomic), then close it.

    For callers that write several files together (``geoinf map --png``): they save
    to a temporary path of their own and rename it when every output is ready.
    """
    plt = _pyplot()
    try:
        fig.savefig(path, format=fmt)
    finally:
        plt.close(fig)


def write_figure(fig, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Save a figure (PNG, PDF or SVG by suffix) atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from geoinf.mapframes import map_frames
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "kaliningrad.png"
    >>> write_figure(range_figure(map_frames("kaliningrad", cities=False)), out).exists()
    True
    """
    fmt = figure_format(path)
    with atomic_write(path, overwrite=overwrite) as tmp:
        save_figure(fig, tmp, fmt=fmt)
    return Path(path)
