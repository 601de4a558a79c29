"""Options shared by several commands, defined once (as in ``rasterio.rio.options``)."""

from __future__ import annotations

import math

import click

from .._io import check_writable
from ..treaty import EDGES_TEXT

__all__ = ["output_opt", "overwrite_opt", "area_opt", "as_of_opt", "check_output",
           "float_list", "non_negative", "user_sites"]

output_opt = click.option(
    "-o", "--output", type=click.Path(dir_okay=False), default=None,
    help="Write to this file (format by suffix) instead of stdout.")

overwrite_opt = click.option(
    "--overwrite", is_flag=True, default=False, help="Replace an existing output file.")


area_opt = click.option(
    "--area", "areas", multiple=True, metavar="ISO3",
    help="An embedded country as an area site (\"anywhere in Belarus\"): its ISO 3166 "
         "alpha-3 code; repeat it or give a comma-separated list (--area BLR,RUS). "
         "Distances are to the country's nearest point (0 inside); with --sites, both.")


as_of_opt = click.option(
    "--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
    help="Only the (site, system) pairs that stood on this date, with their status then "
         "(data/deployments.csv); without --scenario, every scenario's pairs of that date.")


def user_sites(sites_path: str | None, areas: tuple[str, ...]):
    """Return the sites of ``--sites FILE`` and ``--area`` countries together (None: neither).

    The file may hold lines and polygons (area sites, :func:`geoinf.sites.load_sites`).

    Raises InputError for a bad file, an unknown code, or an id given twice.
    """
    import geopandas as gpd
    import pandas as pd

    from ..errors import InputError
    from ..sites import country_sites, load_sites

    parts = [load_sites(sites_path)] if sites_path is not None else []
    if areas:
        parts.append(country_sites(",".join(areas)))
    if not parts:
        return None
    sites = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry",
                             crs="EPSG:4326")
    twice = sites["id"][sites["id"].duplicated()]
    if len(twice):
        raise InputError(f"--area {twice.iloc[0]}: the id is also a site of {sites_path}; "
                         "give it once")
    return sites


def check_output(output: str | None, overwrite: bool, *inputs: object) -> None:
    """Refuse an ``-o`` path that cannot be written, before the job reads or computes.

    ``inputs`` are the paths (or names) the command reads; the output may be none of
    them (see :func:`geoinf._io.check_writable`). Nothing happens without ``-o``.
    """
    if output is not None:
        check_writable(output, overwrite=overwrite, inputs=inputs)


def non_negative(ctx: click.Context, param: click.Parameter, value: float | None):
    """Accept a finite number >= 0 (click's FloatRange lets NaN through)."""
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise click.BadParameter(f"{value!r} is not a number >= 0", ctx=ctx, param=param)
    return value


def float_list(ctx: click.Context, param: click.Parameter, value: str | None):
    """Parse a comma-separated list of numbers, naming the bad item on error."""
    if value is None:
        return None
    out = []
    for item in str(value).split(","):
        item = item.strip()
        try:
            out.append(float(item))
        except ValueError:
            raise click.BadParameter(
                f"{item!r} is not a number (expected a comma-separated list such as "
                f"{EDGES_TEXT})", ctx=ctx, param=param) from None
    return tuple(out)
