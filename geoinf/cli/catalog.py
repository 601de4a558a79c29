"""``geoinf sites``, ``geoinf systems``, ``geoinf scenarios``: list the catalog or a user file."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from .. import catalog
from .._io import atomic_write, spreadsheet_safe
from ..claims import load_claims
from ..errors import InputError
from ..sites import load_sites
from ..systems import load_systems
from . import main
from .options import check_output, output_opt, overwrite_opt

__all__ = ["sites", "systems", "scenarios", "claims"]

_SITE_TABLE = ["id", "name", "country", "lon", "lat", "precision_km", "status", "period"]
_SYSTEM_TABLE = ["id", "name", "type", "range_km_low", "range_km_high", "inf_class_low",
                 "inf_class_high", "confidence"]
_PAIR_TABLE = ["scenario", "site", "system", "basis", "deployment_status", "status_since",
               "range_km_low", "range_km_high", "inf_class_low", "inf_class_high"]
_CLAIM_TABLE = ["system", "range_km", "kind", "claimant", "date", "strength", "checked", "drawn"]
_AS_OF_HELP = ("Only the pairs that stood on this date (YYYY-MM-DD), with their status then "
               "(data/deployments.csv).")


def _format_opt(*choices: str):
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=None,
        help="Output format (default: by the --output suffix, else table).")


def _file_opt(what: str):
    return click.option(
        "--file", "path", type=click.Path(dir_okay=False), default=None,
        help=f"Read your own {what} file (CSV; sites also GeoJSON/GPKG) instead of the "
             "embedded catalog.")


def _render(frame: pd.DataFrame, fmt: str | None, output: str | None, table: list[str]) -> str:
    if fmt is None:
        suffix = Path(output).suffix.lower() if output else ""
        fmt = {".csv": "csv", ".geojson": "geojson", ".json": "geojson"}.get(suffix, "table")
    if fmt == "geojson":
        return frame.to_json(drop_id=True) + "\n"
    if "geometry" in frame:
        frame = pd.DataFrame(frame.drop(columns="geometry"))
    if fmt == "csv":
        return spreadsheet_safe(frame).to_csv(index=False)
    return frame[[c for c in table if c in frame]].to_string(index=False) + "\n"


def _emit(text: str, output: str | None, overwrite: bool, *inputs) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    with atomic_write(output, overwrite=overwrite, inputs=inputs) as tmp:
        tmp.write_text(text, encoding="utf-8")


@main.command("sites")
@click.option("--scenario", default=None,
              help="Only the sites of this scenario (a name or a scenarios CSV).")
@click.option("--as-of", "as_of", default=None, help=_AS_OF_HELP + " Needs --scenario.")
@_file_opt("sites")
@_format_opt("table", "csv", "geojson")
@output_opt
@overwrite_opt
def sites(scenario, as_of, path, fmt, output, overwrite):
    """List deployment sites (embedded catalog or your own file).

    Example: geoinf sites --scenario inf-2019 --format geojson -o sites.geojson
    """
    check_output(output, overwrite, path, scenario)
    if as_of is not None and scenario is None:
        raise InputError("--as-of needs --scenario (or use: geoinf scenarios --as-of DATE)")
    frame = load_sites(path)
    if scenario is not None:
        pairs = catalog.load_scenario(scenario, sites=frame, as_of=as_of)
        frame = frame[frame["id"].isin(set(pairs["site"]))]
    _emit(_render(frame, fmt, output, _SITE_TABLE), output, overwrite, path, scenario)


@main.command("systems")
@_file_opt("systems")
@_format_opt("table", "csv")
@output_opt
@overwrite_opt
def systems(path, fmt, output, overwrite):
    """List missile systems with their range claims and derived INF classes.

    Example: geoinf systems --format csv
    """
    check_output(output, overwrite, path)
    _emit(_render(load_systems(path), fmt, output, _SYSTEM_TABLE), output, overwrite,
          path)


@main.command("scenarios")
@click.argument("name", required=False)
@_file_opt("scenarios")
@click.option("--sites", "sites_path", type=click.Path(dir_okay=False), default=None,
              help="Resolve site ids against your own sites file.")
@click.option("--systems", "systems_path", type=click.Path(dir_okay=False), default=None,
              help="Resolve system ids against your own systems file.")
@click.option("--as-of", "as_of", default=None,
              help=_AS_OF_HELP + " Without NAME: every scenario's pairs that stood then.")
@_format_opt("table", "csv")
@output_opt
@overwrite_opt
def scenarios(name, path, sites_path, systems_path, as_of, fmt, output, overwrite):
    """List scenarios, or the (site, system) pairs of one scenario NAME.

    Example: geoinf scenarios drill --file my_scenarios.csv --sites my_sites.geojson
    (or: geoinf scenarios --as-of 1985-06-01)
    """
    inputs = (name, path, sites_path, systems_path)
    check_output(output, overwrite, *inputs)
    if name is None and as_of is not None:
        frame, table = catalog.pairs_as_of(as_of, scenarios=path), _PAIR_TABLE
    elif name is None:
        frame = catalog.list_scenarios(path)
        table = ["scenario", "pairs", "sites", "systems"]
    else:
        frame = catalog.load_scenario(path if path is not None else name,
                                      sites=sites_path, systems=systems_path, as_of=as_of)
        if path is not None:
            if name not in set(frame["scenario"]):
                raise InputError(catalog.unknown_name("scenario", name, frame["scenario"]))
            frame = frame[frame["scenario"] == name]
        table = _PAIR_TABLE
    _emit(_render(frame, fmt, output, table), output, overwrite, *inputs)


@main.command("claims")
@click.option("--system", default=None, help="Only the claims of this system id.")
@_file_opt("claims")
@_format_opt("table", "csv")
@output_opt
@overwrite_opt
def claims(system, path, fmt, output, overwrite):
    """List the published range claims of each system, with claimant, date and strength.

    Example: geoinf claims --system oreshnik --format csv
    """
    check_output(output, overwrite, path)
    frame = load_claims(path).drop(columns="day")
    if system is not None:
        if system not in set(frame["system"]):
            raise InputError(catalog.unknown_name("system", system, frame["system"]))
        frame = frame[frame["system"] == system]
    _emit(_render(frame, fmt, output, _CLAIM_TABLE), output, overwrite, path)
