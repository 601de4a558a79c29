"""``geoinf map``: a self-contained HTML range map (and optionally a static PNG figure)."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import click

from .._io import atomic_write, check_writable, same_file
from ..catalog import DEFAULT_SCENARIO
from ..errors import InputError
from ..mapframes import map_frames
from . import main
from .options import area_opt, as_of_opt, float_list, non_negative, overwrite_opt, user_sites

__all__ = ["map_command"]


def _progress(message: str, started: float) -> None:
    click.echo(f"geoinf: {message} ({time.monotonic() - started:.1f} s)", err=True)


@main.command("map")
@click.option("--scenario", default=None, help=f"Scenario name or CSV [default: "
              f"{DEFAULT_SCENARIO}, unless both --site and --system are given].")
@click.option("--site", default=None, help="Catalog site id(s), comma-separated.")
@click.option("--system", default=None, help="Catalog system id(s), comma-separated.")
@click.option("--sites", "sites_path", type=click.Path(dir_okay=False), default=None,
              help="Your own sites table (CSV/GeoJSON/GPKG with id, name, lon, lat), drawn "
                   "with --system and/or --radius-km (--site picks some of its ids).")
@click.option("--radius-km", "radius_km", callback=float_list, default=None,
              help="With --sites: comma-separated ranges in km, each drawn like a system.")
@click.option("--online", is_flag=True, help="Load Leaflet from CDNs and show web tiles "
              "(the page then needs a network); default: self-contained, offline.")
@click.option("--no-cities", "no_cities", is_flag=True, help="Leave out the cities in range.")
@click.option("--min-population", type=float, callback=non_negative, default=100_000,
              show_default=True, help="Smallest place shown as a city.")
@click.option("--population", is_flag=True, help="Add the population density overlay "
              "(the embedded grid is INDICATIVE and labelled so).")
@click.option("--png", type=click.Path(dir_okay=False), default=None,
              help="Also draw a static north-polar figure to this .png/.pdf/.svg file "
              "(needs matplotlib: pip install 'geoinf[figure]').")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="HTML file to write [default: ./geoinf-SCENARIO.html].")
@click.option("--surface", "surface_path", type=click.Path(dir_okay=False), default=None,
              help="Add an exposure surface (a file from geoinf surface) as a layer.")
@click.option("--surface-band", type=click.IntRange(min=1), default=1, show_default=True,
              help="Band of --surface to show (one per --edges-km band).")
@area_opt
@as_of_opt
@overwrite_opt
def map_command(scenario, site, system, sites_path, radius_km, online, no_cities,
                min_population, population, png, output, surface_path, surface_band, areas,
                as_of, overwrite):
    """Write an interactive range map as one HTML file that opens offline.

    Bands per system coloured by INF class (dashed where only the high range claim
    reaches), sites with their sources, cities in range, a summary and provenance.
    Prints the path of the file written.

    Example: geoinf map --scenario euromissiles-1983 -o euromissiles.html
    (or: geoinf map --sites my_sites.csv --radius-km 500,2500;
    geoinf map --area BLR --radius-km 1000,5500: bands around anywhere in Belarus;
    geoinf map --as-of 1985-06-01: every catalog pair that stood on that date)
    """
    started = time.monotonic()
    if radius_km is not None and sites_path is None and not areas:
        raise InputError("--radius-km draws ranges around --sites FILE; for catalog sites "
                         "give --system")
    if sites_path is not None and scenario is not None:
        raise InputError("--sites takes the sites from the file; drop --scenario")
    if areas and scenario is not None:
        raise InputError("--area gives the sites; drop --scenario")
    if as_of is not None and (sites_path is not None or areas):
        raise InputError("--as-of selects catalog pairs; it does not apply to --sites/--area")
    if scenario is None and sites_path is None and not areas and not (site and system) \
            and as_of is None:
        scenario = DEFAULT_SCENARIO
    name = (Path(str(scenario)).stem if scenario is not None
            else Path(sites_path).stem if sites_path is not None
            else "-".join(a.replace(",", "-") for a in areas) if areas
            else f"as-of-{as_of}" if as_of is not None else "custom")
    if as_of is not None and scenario is not None:
        name = f"{name}-as-of-{as_of}"
    output = Path(output or f"geoinf-{name}.html")
    if output.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"{output}: a map is written as .html (got "
                         f"{output.suffix or 'no suffix'!r})")
    inputs = (scenario, sites_path, surface_path)
    check_writable(output, overwrite=overwrite, inputs=inputs)
    if png is not None:
        from ..figure import figure_format, require_matplotlib

        figure_format(png)
        if same_file(output, png):
            raise InputError(f"--png {png} is the -o file; give the figure another name")
        check_writable(png, overwrite=overwrite, inputs=inputs)
        require_matplotlib()
    overlay = None
    if surface_path is not None:
        from ..map_surface import surface_layer  # rasterio and folium: only when asked

        overlay = surface_layer(surface_path, band=surface_band)
    table = user_sites(sites_path, areas) if areas else sites_path
    frames = map_frames(scenario, site=site, system=system, sites=table,
                        radius_km=radius_km, cities=not no_cities,
                        min_population=min_population, population=population, as_of=as_of)
    _progress(f"computed {len(frames.bands)} bands"
              + ("" if frames.cities is None else f", {len(frames.cities):,} cities"), started)
    from ..render import map_html, range_map  # folium only when a map is drawn

    page = map_html(range_map(frames, offline=not online,
                              tiles="OpenStreetMap" if online else None,
                              cities=not no_cities, overlays=() if overlay is None
                              else (overlay,),
                              polar_href=None if png is None else
                              os.path.relpath(Path(png).resolve(), output.resolve().parent)))
    _write_outputs(page, frames if png is not None else None, output, png,
                   overwrite=overwrite, inputs=inputs)
    if png is not None:
        click.echo(str(png))
    _progress(f"wrote {output} ({output.stat().st_size / 1e6:.2f} MB)", started)
    click.echo(str(output))


def _write_outputs(page: str, frames, output: Path, png: str | None, *,
                   overwrite: bool, inputs: tuple = ()) -> None:
    """Write the page (and the figure of ``frames`` to ``png``): both files or neither.

    Both are written to temporaries first and renamed only when both are complete;
    a failure of either (e.g. while drawing the figure) removes both temporaries.
    """
    new_png = png is not None and not Path(png).exists()
    try:
        with contextlib.ExitStack() as stack:  # on exit: the figure is renamed, then the page
            tmp_html = stack.enter_context(atomic_write(output, overwrite=overwrite,
                                                        inputs=inputs))
            tmp_html.write_text(page, encoding="utf-8")
            if png is not None:
                from ..figure import figure_format, range_figure, save_figure

                tmp_png = stack.enter_context(atomic_write(png, overwrite=overwrite,
                                                           inputs=inputs))
                save_figure(range_figure(frames), tmp_png, fmt=figure_format(png))
    except BaseException:
        if new_png:  # the page could not be renamed after the figure was: take it back
            with contextlib.suppress(FileNotFoundError):
                Path(png).unlink()
        raise
