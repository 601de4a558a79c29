"""``geoinf surface``: people within range of every candidate position on a grid, to a raster."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from .._io import atomic_write
from ..errors import InputError
from ..surface import MAX_CANDIDATES, candidate_grid, exposure_surface
from . import main
from .options import check_output, float_list, overwrite_opt

__all__ = ["surface", "write_surface", "SURFACE_SUFFIXES"]

SURFACE_SUFFIXES = {".tif": "GeoTIFF", ".tiff": "GeoTIFF", ".nc": "NetCDF"}
"""Output formats by suffix (NetCDF needs netCDF4, h5netcdf or scipy)."""


def _netcdf_engine() -> str:
    for module, engine in (("netCDF4", "netcdf4"), ("h5netcdf", "h5netcdf"), ("scipy", "scipy")):
        if importlib.util.find_spec(module) is not None:
            return engine
    raise InputError("writing .nc needs netCDF4, h5netcdf or scipy: pip install netCDF4 "
                     "(or write a .tif)")


def _check_suffix(output: str) -> str:
    suffix = Path(output).suffix.lower()
    if suffix == ".zarr":
        raise InputError(f"-o {output}: Zarr output is not supported yet; write a .tif or .nc")
    if suffix not in SURFACE_SUFFIXES:
        raise InputError(f"-o {output}: unknown suffix {suffix or '(none)'!r}; expected "
                         f"{', '.join(SURFACE_SUFFIXES)}")
    if suffix == ".nc":
        _netcdf_engine()
    return suffix


def write_surface(surface, output: str, *, overwrite: bool = False, inputs=()) -> None:
    """Write a surface (:func:`geoinf.exposure_surface`) atomically, format by suffix."""
    suffix = _check_suffix(output)
    with atomic_write(output, overwrite=overwrite, inputs=inputs) as tmp:
        if suffix == ".nc":
            surface.to_netcdf(tmp, engine=_netcdf_engine())
        else:
            out = surface.astype("float64").rename({"lat": "y", "lon": "x"})
            if out.ndim == 3:
                out.attrs["band_names"] = ",".join(map(str, out.band.values))
                out = out.assign_coords(band=range(1, out.sizes["band"] + 1))
            out.attrs = {k: (str(v) if not isinstance(v, int | float) else v)
                         for k, v in out.attrs.items()}
            out.rio.write_crs("EPSG:4326").rio.to_raster(tmp, driver="GTiff", compress="deflate",
                                                         tiled=True)


def _bounds(ctx, param, value):
    numbers = float_list(ctx, param, value)
    if numbers is not None and len(numbers) != 4:
        raise click.BadParameter(f"{value!r}: expected west,south,east,north", ctx=ctx,
                                 param=param)
    return numbers


@main.command("surface")
@click.option("--radius-km", type=float, required=True, help="Range in km.")
@click.option("--resolution", type=float, required=True,
              help="Spacing of the candidate positions in degrees.")
@click.option("--bounds", callback=_bounds, required=True, metavar="W,S,E,N",
              help="Candidate grid bounds in degrees, e.g. -25,30,70,75.")
@click.option("--layer", type=click.Path(dir_okay=False), default=None,
              help="Population raster (default: the embedded indicative grid).")
@click.option("--kind", type=click.Choice(["count", "density"]), default="count",
              show_default=True, help="Raster values: people per cell, or per km².")
@click.option("--nodata", type=float, default=None, help="Raster value that marks no data.")
@click.option("--edges-km", callback=float_list, default=None,
              help="Band edges in km (a band dimension; bands capped at --radius-km).")
@click.option("--force", is_flag=True,
              help=f"Allow more than {MAX_CANDIDATES:,} candidate positions.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="Output raster: .tif (GeoTIFF) or .nc (NetCDF).")
@overwrite_opt
def surface(radius_km, resolution, bounds, layer, kind, nodata, edges_km, force, output,
            overwrite):
    """People within range of every candidate launch position on a lon/lat grid.

    Example: geoinf surface --radius-km 1000 --resolution 0.25 --bounds -25,30,70,75
    -o surface.tif (on an active dask cluster when DASK_SCHEDULER_ADDRESS is set).
    """
    _check_suffix(output)
    check_output(output, overwrite, layer)
    candidate_grid(bounds, resolution, max_candidates=None if force else MAX_CANDIDATES)
    with click.progressbar(length=1, label="geoinf: surface tasks",
                           file=click.get_text_stream("stderr")) as bar:
        def progress(done, total):
            bar.length = total
            bar.update(done - bar.pos)
        result = exposure_surface(layer, radius_km, resolution_deg=resolution, bounds=bounds,
                                  edges_km=edges_km, kind=kind, nodata=nodata,
                                  max_candidates=None if force else MAX_CANDIDATES,
                                  progress=progress)
    write_surface(result, output, overwrite=overwrite, inputs=(layer,))
    click.echo(f"geoinf: wrote {output} ({result.sizes['lon']} x {result.sizes['lat']} "
               f"candidates, max {float(result.max()):,.0f} people)", err=True)
