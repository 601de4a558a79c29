"""The ``geoinf`` command line: a click group with one module per command.

This package is the only part of geoinf that imports click. Library errors
(:class:`geoinf.errors.GeoinfError`) become one line ``Error: …`` and exit
code 2, converted in :class:`_Group`.
"""

from __future__ import annotations

import logging
import signal

import click

from .. import __version__
from ..errors import GeoinfError

__all__ = ["main"]


class _BadInput(click.ClickException):
    """A domain error shown as one ``Error:`` line, exit code 2."""

    exit_code = 2


class _Group(click.Group):
    """Click group that turns geoinf errors into one-line messages."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GeoinfError as err:
            raise _BadInput(_one_line(str(err)) or type(err).__name__) from None
        except click.BadParameter as err:  # includes missing options: one line, no usage dump
            raise _BadInput(_one_line(err.format_message())) from None
        except OSError as err:  # a file the system refused (disk full, permissions, …)
            where = f"{err.filename}: " if getattr(err, "filename", None) else ""
            raise _BadInput(_one_line(f"{where}{err.strerror or err}")) from None


def _terminate(signum, frame):
    """Turn SIGTERM into KeyboardInterrupt so that partial outputs are cleaned up."""
    raise KeyboardInterrupt(f"signal {signum}")


def _one_line(message: str) -> str:
    return " ".join(message.split())


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output on stderr (repeatable).")
@click.option("-q", "--quiet", count=True, help="Less log output on stderr (repeatable).")
@click.version_option(__version__, "--version", prog_name="geoinf")
def main(verbose: int, quiet: int) -> None:
    """Geodesic missile range rings, INF bands and who lies within reach.

    Distances are on the WGS84 ellipsoid; rings are valid lon/lat polygons, split
    at the antimeridian and closed over a pole when they contain one.
    """
    if hasattr(signal, "SIGTERM"):
        try:
            signal.signal(signal.SIGTERM, _terminate)
        except ValueError:  # not in the main thread (e.g. an embedding application)
            pass
    level = logging.WARNING - 10 * (verbose - quiet)
    logging.basicConfig(level=max(logging.DEBUG, min(level, logging.CRITICAL)),
                        format="geoinf: %(message)s")
    if not quiet:  # a first large job may compile the numba kernels: say why it waits
        logging.getLogger("geoinf.compile").setLevel(logging.INFO)


def _register() -> None:
    # each command module adds its commands to ``main`` when imported
    from . import catalog, exposure, map, rings, surface  # noqa: F401


_register()
