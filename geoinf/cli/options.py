"""Options shared by several commands, defined once (as in ``rasterio.rio.options``)."""

from __future__ import annotations

import math

import click

from .._io import check_writable
from ..treaty import EDGES_TEXT

__all__ = ["output_opt", "overwrite_opt", "check_output", "float_list", "non_negative"]

output_opt = click.option(
    "-o", "--output", type=click.Path(dir_okay=False), default=None,
    help="Write to this file (format by suffix) instead of stdout.")

overwrite_opt = click.option(
    "--overwrite", is_flag=True, default=False, help="Replace an existing output file.")


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
