"""``geoinf cities``, ``reach``, ``exposure``, ``diff``: who lies within reach."""

from __future__ import annotations

import logging
from pathlib import Path

import click
import pandas as pd

from .. import __version__
from .._io import atomic_write, comment_header, same_file, spreadsheet_safe
from ..catalog import DEFAULT_SCENARIO, select_pairs, unknown_name
from ..cities import cities_in_range
from ..errors import InputError
from ..exposure import exposure_table
from ..reach import sites_reaching
from ..scenario_diff import estimate_gap, exposure_diff
from ..treaty import EDGES_TEXT, INF_BANDS, INF_EDGES_KM
from . import main
from .options import (
    area_opt,
    as_of_opt,
    check_output,
    float_list,
    non_negative,
    output_opt,
    overwrite_opt,
    user_sites,
)

__all__ = ["cities", "reach", "exposure", "diff"]

log = logging.getLogger(__name__)



def _format_opt(*choices: str):
    return click.option("--format", "fmt", type=click.Choice(choices), default=None,
                        help="Output format (default: by the --output suffix, else table).")


def _provenance(**info) -> str:
    return comment_header({"geoinf": __version__, "ellipsoid": "WGS84 (GeographicLib via pyproj)",
                           "distance": "exact ellipsoidal distance (Geod.inv), never polygons",
                           **info})


def _emit(frame: pd.DataFrame, fmt: str | None, output: str | None, overwrite: bool,
          provenance: str, inputs: tuple = ()) -> None:
    if fmt is None:
        suffix = Path(output).suffix.lower() if output else ""
        fmt = {".csv": "csv", ".geojson": "geojson", ".json": "geojson"}.get(suffix, "table")
    if fmt == "geojson":
        if "lon" not in frame:
            raise InputError("--format geojson needs a table of places (cities, reach)")
        import geopandas as gpd
        text = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                                crs="EPSG:4326").to_json(drop_id=True) + "\n"
    elif fmt == "csv" and output is not None:  # streamed: no copy of a large table as text
        with atomic_write(output, overwrite=overwrite, inputs=inputs) as tmp:
            with open(tmp, "w", encoding="utf-8", newline="") as handle:
                handle.write(provenance)
                spreadsheet_safe(frame.round(6)).to_csv(handle, index=False)
        log.info("wrote %d rows to %s", len(frame), output)
        return
    elif fmt == "csv":
        text = provenance + spreadsheet_safe(frame.round(6)).to_csv(index=False)
    else:
        text = frame.to_string(index=False, float_format=lambda v: f"{v:,.1f}") + "\n" \
            if len(frame) else "(no rows)\n"
    if output is None:
        click.echo(text, nl=False)
        return
    with atomic_write(output, overwrite=overwrite, inputs=inputs) as tmp:
        tmp.write_text(text, encoding="utf-8")
    log.info("wrote %d rows to %s", len(frame), output)


@main.command("cities")
@click.option("--scenario", default=None, help=f"Catalog scenario (default {DEFAULT_SCENARIO}).")
@click.option("--site", default=None, help="Only these site ids (comma-separated).")
@click.option("--sites", "sites_path", type=click.Path(dir_okay=False), default=None,
              help="Your own sites table (CSV/GeoJSON/GPKG with id, name, lon, lat) instead "
                   "of a scenario; needs --max-km or --band.")
@click.option("--band", type=click.Choice(list(INF_BANDS)), default=None,
              help="An INF band (instead of --min-km/--max-km).")
@click.option("--min-km", type=float, default=None, help="Inner edge of the band in km.")
@click.option("--max-km", type=float, default=None,
              help="Outer edge in km (default: each site's highest range claim).")
@click.option("--min-population", type=float, default=0, show_default=True,
              callback=non_negative)
@click.option("--places", "places", type=click.Path(dir_okay=False), default=None,
              help="Your own places table instead of the embedded GeoNames places.")
@area_opt
@as_of_opt
@_format_opt("table", "csv", "geojson")
@output_opt
@overwrite_opt
def cities(scenario, site, sites_path, band, min_km, max_km, min_population, places, areas,
           as_of, fmt, output, overwrite):
    """Cities within a distance band of the sites of a scenario.

    Example: geoinf cities --scenario inf-2019 --band intermediate-range
    --min-population 100000 --format csv -o cities.csv
    (or: geoinf cities --sites my_sites.csv --max-km 1000 -o cities.csv;
    geoinf cities --area BLR --max-km 1000: within 1,000 km of anywhere in Belarus)
    """
    if band is not None and (min_km is not None or max_km is not None):
        raise InputError("give --band or --min-km/--max-km, not both")
    inputs = (scenario, sites_path, places)
    check_output(output, overwrite, *inputs)
    if sites_path is not None or areas:
        if as_of is not None:
            raise InputError("--as-of selects catalog pairs; it does not apply to --sites/--area")
        top = _user_sites(sites_path, scenario, site, band, max_km, areas)
    else:
        pairs = select_pairs(scenario or (None if as_of and not site else DEFAULT_SCENARIO),
                             site=site, as_of=as_of)
        top = pairs.sort_values("range_km_high").drop_duplicates("site", keep="last")
    lo, hi = INF_BANDS[band] if band else (min_km or 0.0, max_km)
    hi = top["range_km_high"].to_numpy(float) if hi is None else hi
    show = len(top) >= _PROGRESS_SITES
    with click.progressbar(length=1, label=f"geoinf: places x {len(top):,} sites",
                           file=click.get_text_stream("stderr") if show else None,
                           hidden=not show) as bar:
        def progress(done, total):
            bar.length = total
            bar.update(done - bar.pos)
        frame = cities_in_range(top, min_km=lo, max_km=hi, places=places,
                                min_population=min_population, progress=progress)
    band_text = band or f"{lo:g}-{'range' if max_km is None else f'{max_km:g}'} km"
    _emit(frame, fmt, output, overwrite, _provenance(
        dataset=places or "embedded GeoNames places (CC BY 4.0)",
        scenario=None if sites_path or areas else scenario or (
            None if as_of and not site else DEFAULT_SCENARIO),
        as_of=as_of, area=",".join(areas) or None, sites=sites_path, band=band_text,
        min_population=f"{min_population:g}"), inputs)


_PROGRESS_SITES = 1000


def _user_sites(path, scenario, site, band, max_km, areas=()):
    """Return the sites of a user's table and --area (or some ids), for ``cities --sites``."""
    given = "--sites" if path is not None else "--area"
    if scenario is not None:
        raise InputError(f"{given} takes the sites from the file; drop --scenario"
                         if path is not None else "--area gives the sites; drop --scenario")
    if band is None and max_km is None:
        raise InputError(f"{given} needs --max-km or --band (a sites table has no range "
                         "claims)")
    sites = user_sites(path, areas)
    if site:
        wanted = [s.strip() for s in site.split(",") if s.strip()]
        bad = [w for w in wanted if w not in set(sites["id"])]
        if bad:
            raise InputError(f"{path}: {unknown_name('site', bad[0], sites['id'])}")
        sites = sites[sites["id"].isin(wanted)]
    return sites


@main.command("reach")
@click.argument("place", nargs=-1, required=True)
@click.option("--scenario", default=None,
              help="Only this scenario's pairs (default: every embedded scenario).")
@_format_opt("table", "csv")
@output_opt
@overwrite_opt
def reach(place, scenario, fmt, output, overwrite):
    """Sites and systems that reach a PLACE (a name, or LON LAT).

    Example: geoinf reach Berlin; geoinf reach "Frankfurt am Main"; geoinf reach 13.4 52.5
    """
    check_output(output, overwrite, scenario)
    target = " ".join(place)
    if len(place) == 2:
        try:
            target = (float(place[0]), float(place[1]))
        except ValueError:
            pass
    frame = sites_reaching(target, sites=scenario)
    log.warning("place: %s", frame.attrs["place"])
    prov = _provenance(place=frame.attrs["place"], scenario=scenario or "every embedded scenario")
    _emit(frame, fmt, output, overwrite, prov, (scenario,))


@main.command("exposure")
@click.option("--scenario", default=None, help=f"Catalog scenario (default {DEFAULT_SCENARIO}).")
@click.option("--edges-km", callback=float_list, default=None,
              help=f"Band edges in km (default {EDGES_TEXT}; start at 0 for a whole disc).")
@click.option("--layer", default="places", show_default=True,
              metavar="places|raster|FILE",
              help="Embedded places, the embedded indicative grid, or a vector population "
                   "layer FILE (census grid with INSPIRE cell ids, H3 hexagons, polygons or "
                   "points with a population column; each counts at its centre).")
@click.option("--population-column", default=None, metavar="NAME",
              help="Population column of --layer FILE, when it is not a usual name "
                   "(population, pop, T, TOT_P...).")
@click.option("--raster", type=click.Path(dir_okay=False), default=None,
              help="Your own population raster (any CRS: EPSG:4326, Mollweide, EPSG:3035, ...) "
                   "instead.")
@click.option("--kind", type=click.Choice(["count", "density"]), default="count",
              show_default=True, help="Values of --raster: people per cell or per km².")
@click.option("--nodata", type=float, default=None,
              help="Value of --raster that marks cells without data (0 people), when the "
                   "file does not declare it (e.g. -32768).")
@click.option("--by", "by", default="site,band", show_default=True,
              help="Comma-separated keys: site, system, estimate, band, country.")
@click.option("--uncertainty", is_flag=True,
              help="Report people under the low and high claims and the difference.")
@click.option("--sites", "sites_path", type=click.Path(dir_okay=False), default=None,
              help="Your own sites table (points, lines or polygons) instead of a scenario: "
                   "bands as given by --edges-km.")
@area_opt
@click.option("--radius-km", "radius_km", type=float, default=None,
              help="With --area: launch positions anywhere in the area; min / median / max "
                   "people within this range of one position, and within range of some "
                   "position (indicative grid or --raster).")
@click.option("--resolution", type=float, default=None,
              help="With --area --radius-km: spacing of the launch positions in degrees "
                   "[default: 0.25].")
@as_of_opt
@_format_opt("table", "csv")
@output_opt
@overwrite_opt
def exposure(scenario, edges_km, layer, population_column, raster, kind, nodata, by,
             uncertainty, sites_path, areas, radius_km, resolution, as_of, fmt, output,
             overwrite):
    """People within each band per site (and all sites together), system, country.

    Example: geoinf exposure --scenario inf-2019 --by band,country --layer raster
    (or: geoinf exposure --layer ESTAT_Census_2021_V2.csv --by band,country;
    geoinf exposure --area BLR --edges-km 0,1000,5500 --layer raster;
    geoinf exposure --area BLR --radius-km 5500: over launch positions in Belarus;
    geoinf exposure --as-of 2026-06-01 --layer raster: what stood on that date)
    """
    if raster is not None and layer not in ("places", "raster"):
        raise InputError(f"give --raster {raster} or --layer {layer}, not both")
    if (sites_path is not None or areas) and scenario is not None:
        raise InputError("--sites/--area give the sites; drop --scenario")
    inputs = (scenario, raster, layer, sites_path)
    check_output(output, overwrite, *inputs)
    if radius_km is not None or resolution is not None:
        _launch_areas(areas, radius_km, resolution, raster, layer, sites_path, edges_km, fmt,
                      output, overwrite, inputs)
        return
    if as_of is not None and (sites_path is not None or areas):
        raise InputError("--as-of selects catalog pairs; it does not apply to --sites/--area")
    keys = tuple(k.strip() for k in by.split(",") if k.strip())
    table = user_sites(sites_path, areas)
    if as_of is not None:
        table = select_pairs(scenario, as_of=as_of)
    source = raster if raster is not None else layer
    show = source != "places" and not str(source).lower().endswith((".csv", ".geojson",
                                                                     ".gpkg", ".parquet"))
    with click.progressbar(length=1, label="geoinf: raster blocks" if show else "",
                           file=click.get_text_stream("stderr") if show else None,
                           hidden=not show) as bar:
        def progress(done, total):
            bar.length = total
            bar.update(done - bar.pos)
        frame = exposure_table(table if table is not None else scenario or DEFAULT_SCENARIO,
                               layer=source, by=keys,
                               edges_km=edges_km or INF_EDGES_KM, kind=kind,
                               progress=progress, nodata=nodata,
                               population_column=population_column)
    if uncertainty:
        frame = estimate_gap(frame)
    p = frame.attrs.get("provenance", {})
    _emit(frame, fmt, output, overwrite, _provenance(
        dataset=p.get("layer"),
        scenario=None if table is not None and as_of is None else scenario or (
            "all scenarios" if as_of else DEFAULT_SCENARIO),
        as_of=as_of, sites=sites_path, area=",".join(areas) or None,
        edges_km=p.get("edges_km"), rule=p.get("rule"),
        tolerance="exact (cell-centre and place-centre rule); areas on a 0.1° grid"), inputs)


def _launch_areas(areas, radius_km, resolution, raster, layer, sites_path, edges_km, fmt,
                  output, overwrite, inputs):
    """``exposure --area ISO3 --radius-km R``: people in range over launch positions."""
    from ..launch_areas import AREA_RESOLUTION_DEG, area_exposure

    if not areas or radius_km is None:
        raise InputError("--radius-km/--resolution summarise launch positions in an area: "
                         "give --area ISO3 and --radius-km")
    if sites_path is not None or edges_km is not None or layer not in ("places", "raster"):
        raise InputError("--area with --radius-km reads the indicative grid or --raster FILE; "
                         "drop --sites/--edges-km/--layer FILE")
    res = AREA_RESOLUTION_DEG if resolution is None else resolution
    codes = [c.strip() for a in areas for c in a.split(",") if c.strip()]
    frames = [area_exposure(code, radius_km, resolution_deg=res, layer=raster)
              for code in codes]
    frame = pd.concat(frames, ignore_index=True)
    _emit(frame, fmt, output, overwrite, _provenance(
        dataset=frames[0].attrs.get("layer"), area=",".join(codes),
        radius_km=f"{radius_km:g}",
        rule=f"min/median/max over launch positions in the area on a {res:g} degree grid "
             "(people within range of one position, cell-centre rule); anywhere = within "
             "range of some point of the area (its geodesic buffer)"), inputs)


@main.command("diff")
@click.argument("a")
@click.argument("b")
@click.option("--by", "by", default="band,country", show_default=True,
              help="Comma-separated keys: system, estimate, band, country.")
@click.option("--min-population", type=float, default=100_000, show_default=True,
              callback=non_negative, help="Smallest city listed as entering or leaving range.")
@_format_opt("table", "csv")
@click.option("--cities", "cities_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the cities that enter or leave range to this CSV.")
@output_opt
@overwrite_opt
def diff(a, b, by, min_population, fmt, cities_path, output, overwrite):
    """Change in exposed people from scenario A to B, and the cities entering/leaving range.

    Example: geoinf diff kaliningrad inf-2019 --by band --cities moved.csv
    """
    keys = tuple(k.strip() for k in by.split(",") if k.strip())
    if output is not None and cities_path is not None and same_file(output, cities_path):
        raise InputError(f"--cities {cities_path} is the -o file {output}; give two files")
    for path in (output, cities_path):  # both outputs, before either is written
        check_output(path, overwrite, a, b)
    result = exposure_diff(a, b, by=keys, min_population=min_population)
    prov = _provenance(dataset="embedded GeoNames places (CC BY 4.0)", scenario=f"{a} -> {b}")
    _emit(result.table, fmt, output, overwrite, prov, (a, b))
    if cities_path is not None:
        _emit(result.cities, "csv", cities_path, overwrite, prov, (a, b))
    elif output is None and fmt != "csv":
        click.echo("\ncities entering (+) or leaving (-) range:")
        _emit(result.cities.head(20), "table", None, overwrite, prov)
