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
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ._io import atomic_write
from .errors import InputError
from .mapframes import MapFrames
from .palette import BORDER, INF_COLOURS, LAND, SEA, SITE, UNKNOWN
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

    Text (the scenario name in the title, the sources in the caption) is drawn as
    written: ``$...$`` is not mathtext and LaTeX is not used.

    Parameters
    ----------
    frames : MapFrames
        From :func:`geoinf.mapframes.map_frames`.
    width_in : float, default 9
        Figure width in inches (the height follows the extent, plus the caption).
    dpi : int, default 150
        Resolution when saved as PNG.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from geoinf.mapframes import map_frames
    >>> fig = range_figure(map_frames("kaliningrad", cities=False))
    >>> fig.axes[0].get_title(loc="left").startswith("kaliningrad")
    True
    """
    plt = _pyplot()
    sites = frames.sites.drop_duplicates("site")
    lon_0 = float(np.degrees(np.arctan2(np.sin(np.radians(sites["lon"])).mean(),
                                        np.cos(np.radians(sites["lon"])).mean())))
    crs = polar_crs(round(lon_0))
    bands = frames.bands.to_crs(crs)
    x0, y0, x1, y1 = bands.total_bounds if len(bands) else sites.to_crs(crs).total_bounds
    pad = 0.06 * max(x1 - x0, y1 - y0, 500.0)
    countries = embedded_countries()
    simple = shapely.simplify(countries.geometry.values, 0.05, preserve_topology=True)
    countries = gpd.GeoSeries(shapely.clip_by_rect(simple, -180, -40, 180, 90),
                              crs="EPSG:4326").to_crs(crs)
    fig, ax = plt.subplots(figsize=(width_in, width_in * 0.95), dpi=dpi)
    ax.set_facecolor(SEA)
    countries.plot(ax=ax, color=LAND, edgecolor=BORDER, linewidth=0.3)
    outlines = frames.bands.boundary.to_numpy()
    for row in bands.assign(boundary=outlines).sort_values(
            "max_km", ascending=False).itertuples():
        colour = INF_COLOURS.get(row.inf_class, UNKNOWN)
        piece = gpd.GeoSeries([row.geometry], crs=crs)
        piece.plot(ax=ax, color=colour, alpha=0.12, linewidth=0)
        outline = gpd.GeoSeries([shapely.difference(row.boundary, _SEAMS)], crs="EPSG:4326")
        outline.to_crs(crs).plot(ax=ax, color=colour, linewidth=0.9,
                            linestyle="--" if row.estimate == "high" else "-")
    sites.to_crs(crs).plot(ax=ax, color=SITE, markersize=14, edgecolor="white",
                           linewidth=0.6, zorder=5)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_axis_off()
    ax.add_patch(plt.Rectangle((0, 0), 1, 1, transform=ax.transAxes, facecolor=SEA,
                               zorder=-10))
    meta = frames.meta
    ax.set_title(f"{meta.get('scenario', '')}: range bands by INF class", fontsize=11,
                 loc="left", **_LITERAL)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    present = [c for c in INF_COLOURS if c in set(frames.bands["inf_class"])]
    handles = [Patch(facecolor=INF_COLOURS[c], edgecolor=INF_COLOURS[c], alpha=0.5,
                     label=c) for c in present]
    handles += [Line2D([], [], color="#555", label="reached under the low (or only) claim"),
                Line2D([], [], color="#555", linestyle="--",
                       label="reached under the high claim only"),
                Line2D([], [], marker="o", color=SITE, linestyle="", label="site")]
    legend = ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9)
    for text in legend.get_texts():
        text.set(**_LITERAL)
    caption = (f"North-polar azimuthal equidistant projection (central meridian "
               f"{round(lon_0):d}°). Geodesic distances on WGS84; band boundaries within "
               f"{meta.get('tolerance_km', 0.1):g} km. " + "; ".join(meta.get("sources", []))
               + f". geoinf {__version__}.")
    fig.text(0.01, 0.005, caption, fontsize=6, wrap=True, va="bottom", ha="left", **_LITERAL)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


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
