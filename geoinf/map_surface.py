"""A map layer for an exposure surface file (``geoinf surface -o FILE``): a coloured overlay.

The surface (people within range of each candidate position, on a lon/lat grid) is drawn
as an image overlay, coloured from dark blue (fewest people) to yellow (most) on a linear
scale between the surface's minimum and maximum, and projected to Web Mercator by folium
(``mercator_project``; latitudes beyond ±85.05° are clipped). The layer is a
:class:`geoinf.map_elements.VerbatimImageOverlay`: its name, which comes from the file
name, is plain text, never template source, escaped once where the page shows it (the
layer control, :class:`geoinf.map_elements.EscapedLayerControl`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import rasterio
from numpy.typing import NDArray

from .errors import DataError, InputError
from .map_elements import VerbatimImageOverlay
from .mapframes import MERCATOR_MAX_LAT

__all__ = ["SURFACE_RGB", "surface_image", "surface_layer"]

SURFACE_RGB = np.array([[13, 8, 135], [84, 2, 163], [139, 10, 165], [185, 50, 137],
                        [219, 92, 104], [244, 136, 73], [254, 188, 43], [240, 249, 33]], float)
"""Colour stops from the fewest people to the most (plasma)."""


def surface_image(path: str | os.PathLike, *, band: int = 1) -> dict:
    """Return a surface file's values, bounds and name for :func:`surface_layer`.

    Returns
    -------
    dict
        ``values`` (2-D, row 0 north), ``bounds`` (south, west, north, east) in degrees,
        ``name`` (the file name), ``band`` (its description, or "").

    Raises
    ------
    DataError
        The file is missing or not a raster.
    InputError
        Not a lon/lat (EPSG:4326) surface, or no such band.
    """
    src = Path(path)
    try:
        with rasterio.open(src) as ds:
            if ds.crs is None or ds.crs.to_epsg() != 4326:
                raise InputError(f"{src}: expected an exposure surface in EPSG:4326 (geoinf "
                                 f"surface -o FILE), found CRS {ds.crs}")
            if not 1 <= band <= ds.count:
                raise InputError(f"{src}: band {band} is not one of 1-{ds.count}")
            values = ds.read(band, masked=True).filled(np.nan).astype(float)
            west, south, east, north = ds.bounds
            t = ds.transform
            label = (ds.descriptions[band - 1] or "") if ds.descriptions else ""
    except rasterio.errors.RasterioIOError as err:
        raise DataError(f"{src}: not a readable raster ({err})".splitlines()[0]) from None
    if t.e > 0:  # south-up: flip to north-up
        values = values[::-1]
    return {"values": values, "bounds": (south, west, north, east), "name": src.name,
            "band": label}


def _colours(values: NDArray) -> NDArray[np.uint8]:
    finite = np.isfinite(values) & (values > 0)
    lo, hi = (float(values[finite].min()), float(values[finite].max())) if finite.any() \
        else (0.0, 1.0)
    level = np.clip((np.where(finite, values, lo) - lo) / max(hi - lo, 1e-300), 0, 1)
    stops = np.linspace(0, 1, len(SURFACE_RGB))
    rgb = np.stack([np.interp(level, stops, SURFACE_RGB[:, k]) for k in range(3)], axis=-1)
    alpha = np.where(finite, 190, 0)
    return np.concatenate([rgb, alpha[..., None]], axis=-1).astype(np.uint8)


def surface_layer(path: str | os.PathLike, *, band: int = 1, opacity: float = 0.75
                  ) -> VerbatimImageOverlay:
    """Return an exposure surface file as a map overlay (see the module docstring).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from geoinf import exposure_surface
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "s.tif"
    >>> s = exposure_surface(radius_km=300, resolution_deg=1, bounds=(20, 50, 22, 51))
    >>> s.rename({"lat": "y", "lon": "x"}).rio.to_raster(out)
    >>> surface_layer(out).layer_name
    'People in range: s.tif (population)'
    """
    image = surface_image(path, band=band)
    south, west, north, east = image["bounds"]
    values = image["values"]
    if south < -MERCATOR_MAX_LAT or north > MERCATOR_MAX_LAT:  # keep the rows Mercator shows
        h = values.shape[0]
        lat = north - (np.arange(h) + 0.5) * (north - south) / h
        keep = np.abs(lat) <= MERCATOR_MAX_LAT
        if not keep.any():
            raise InputError(f"{path}: the surface lies beyond ±{MERCATOR_MAX_LAT}° latitude, "
                             "outside a web map")
        step = (north - south) / h
        values = values[keep]
        north, south = lat[keep][0] + step / 2, lat[keep][-1] - step / 2
    name = f"People in range: {image['name']}" + (f" ({image['band']})" if image["band"]
                                                   else "")
    return VerbatimImageOverlay(_colours(values), bounds=[[south, west], [north, east]],
                                name=name, mercator_project=True, opacity=opacity, show=True,
                                zindex=2)
