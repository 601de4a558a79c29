"""``geoinf rings``: geodesic range rings or INF bands as GeoJSON, GeoPackage or GeoParquet."""

from __future__ import annotations

import logging

import click
import geopandas as gpd
import numpy as np
import pandas as pd

from .._io import write_frame
from ..catalog import scenario_rings, select_pairs
from ..engine import resolve_engine
from ..errors import InputError
from ..rings import range_bands, range_rings
from ..sites import site_areas, site_rings
from ..treaty import EDGES_TEXT
from . import main
from .options import (
    area_opt,
    as_of_opt,
    check_output,
    float_list,
    output_opt,
    overwrite_opt,
    user_sites,
)

__all__ = ["rings"]

log = logging.getLogger(__name__)


@main.command("rings")
@click.option("--lon", type=float, default=None, help="Site longitude in degrees [-180, 180].")
@click.option("--lat", type=float, default=None, help="Site latitude in degrees [-90, 90].")
@click.option("--radius-km", "radius_km", callback=float_list, default=EDGES_TEXT,
              show_default=True, help="Comma-separated ranges in km (band edges with --bands).")
@click.option("--bands", is_flag=True, help="Write annuli between consecutive radii instead of "
              "discs (a first edge of 0 makes the first band a disc).")
@click.option("--tolerance-km", type=float, default=0.1, show_default=True,
              help="Largest distance between any boundary point and the true geodesic circle.")
@click.option("--scenario", default=None, help="Rings of a catalog scenario's (site, system) "
              "pairs, low and high range claims (name or CSV, e.g. inf-2019).")
@click.option("--site", default=None, help="Catalog site id(s), comma-separated, with --system.")
@click.option("--system", default=None, help="Catalog system id(s), comma-separated, with --site.")
@click.option("--sites", "sites_path", type=click.Path(dir_okay=False), default=None,
              help="Rings around every site of your own table (CSV/GeoJSON/GPKG with id, name, "
                   "lon, lat; or lines/polygons: features, or a wkt column), with "
                   "--radius-km and --bands.")
@click.option("--conservative", is_flag=True, help="With --scenario/--site: widen the outer and "
              "narrow the inner ring by the site's precision_km.")
@area_opt
@as_of_opt
@output_opt
@overwrite_opt
def rings(lon, lat, radius_km, bands, tolerance_km, scenario, site, system, sites_path,
          conservative, areas, as_of, output, overwrite):
    """Geodesic range rings (or INF bands) around a site.

    Rings are computed on the WGS84 ellipsoid, split at the antimeridian and closed
    over a pole when they contain one. GeoJSON goes to stdout unless -o names a
    .geojson, .gpkg or .parquet file.

    Example: geoinf rings --lon 24.41 --lat 44.08 --radius-km 500,1000,5500 --bands
    (or: geoinf rings --scenario inf-2019; geoinf rings --site deveselu --system mk41-tomahawk;
    geoinf rings --area BLR --radius-km 500,1000 --bands: buffers of Belarus)
    """
    inputs = (scenario, sites_path)
    check_output(output, overwrite, *inputs)
    if scenario is not None or site is not None or system is not None or as_of is not None:
        if areas:
            raise InputError("--area draws ranges given by --radius-km; drop "
                             "--scenario/--site/--system")
        if lon is not None or lat is not None or bands:
            raise InputError("--scenario/--site/--system take the ranges from the catalog; "
                             "drop --lon/--lat/--bands")
        frame = scenario_rings(select_pairs(scenario, site=site, system=system, as_of=as_of),
                               conservative=conservative, tolerance_km=tolerance_km)
    elif sites_path is not None or areas:
        if lon is not None or lat is not None:
            raise InputError("--sites takes the sites from the file; drop --lon/--lat"
                             if not areas else "--area gives the sites; drop --lon/--lat")
        table = user_sites(sites_path, areas)
        if (site_areas(table) != None).any():  # noqa: E711 (elementwise): buffers of areas
            frame = site_rings(table, radius_km, bands=bands, tolerance_km=tolerance_km)
        else:
            frame = _rings_of_table(table, radius_km, bands, tolerance_km)
    elif lon is None or lat is None:
        raise InputError("give --lon and --lat, --sites FILE, --area ISO3, --scenario NAME, "
                         "or --site ID --system ID")
    elif bands:
        frame = range_bands(lon, lat, radius_km, tolerance_km=tolerance_km)
    else:
        frame = range_rings(lon, lat, radius_km, tolerance_km=tolerance_km)
    if output is None:
        click.echo(frame.to_json(drop_id=True))
        return
    write_frame(frame, output, overwrite=overwrite, inputs=inputs)
    log.info("wrote %d features to %s", len(frame), output)


_BATCH_SITES = 500


def _rings_of_table(sites, radius_km, bands, tolerance_km):
    """Rings or bands around every site of a table, in batches with progress on stderr."""
    lon, lat = sites["lon"].to_numpy(float), sites["lat"].to_numpy(float)
    # the engine is chosen for the whole job, not per batch: a batch alone is too small
    # for "auto" to load the compiled engine, the job may well be worth it
    engine = resolve_engine("auto", work=len(sites) * len(radius_km) * 360)
    starts = range(0, len(sites), _BATCH_SITES)
    parts = []
    with click.progressbar(starts, label=f"rings around {len(sites):,} sites", file=None,
                           show_pos=True) if len(sites) > 2 * _BATCH_SITES else _plain(starts) \
            as batches:
        for start in batches:
            s = slice(start, start + _BATCH_SITES)
            if bands:
                part = range_bands(lon[s], lat[s], radius_km, tolerance_km=tolerance_km,
                                   engine=engine)
                per_site = len(radius_km) - 1
            else:
                part = range_rings(lon[s, None], lat[s, None], np.asarray(radius_km)[None, :],
                                   tolerance_km=tolerance_km, engine=engine)
                per_site = len(radius_km)
            ids = pd.DataFrame({"site": np.repeat(sites["id"].to_numpy()[s], per_site),
                                "site_name": np.repeat(sites["name"].to_numpy()[s], per_site)})
            parts.append(pd.concat([ids, pd.DataFrame(part)], axis=1))
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry",
                            crs="EPSG:4326")


class _plain:
    """A stand-in for click.progressbar when the job is too small to need one."""

    def __init__(self, items):
        self.items = items

    def __enter__(self):
        return self.items

    def __exit__(self, *exc):
        return False
