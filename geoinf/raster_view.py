"""People per km² of a raster over a lon/lat box, for display (the map's density overlay).

Any layout the sums read is shown: lon/lat grids north-up or south-up, in −180–180° or
0–360° (columns are gathered modulo 360° into a north-up grid running east from the
box's west edge), and projected grids in their own CRS (the window covering the box,
left for the warp to the map's projection).
"""

from __future__ import annotations

import numpy as np
from affine import Affine
from numpy.typing import NDArray
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds

__all__ = ["density_window"]


def density_window(pop, bounds: tuple[float, float, float, float]
                   ) -> tuple[NDArray[np.float64], Affine, object]:
    """Return people per km² covering a lon/lat box, with its geotransform and CRS.

    Parameters
    ----------
    pop : geoinf.raster.PopulationRaster
    bounds : (west, south, east, north)
        Degrees; ``east`` may exceed 180 (a box across the antimeridian).

    Returns
    -------
    density : ndarray
        People per km² (:meth:`~geoinf.raster.PopulationRaster.read` / cell area).
    transform : affine.Affine
        North-up for lon/lat grids.
    crs
        The CRS of ``transform`` (EPSG:4326 for lon/lat grids, else the raster's).
    """
    if pop.grid.kind == "lonlat":
        return _lonlat(pop, bounds)
    ds = pop.dataset
    try:
        box = transform_bounds("EPSG:4326", ds.crs, *bounds, densify_pts=51)
    except Exception:  # noqa: BLE001 - a box off the projection's domain: the whole raster
        box = tuple(ds.bounds)
    win = from_bounds(*box, ds.transform)
    c0, c1 = sorted([win.col_off, win.col_off + win.width])
    r0, r1 = sorted([win.row_off, win.row_off + win.height])
    c0, r0, c1, r1 = int(np.floor(c0)), int(np.floor(r0)), int(np.ceil(c1)), int(np.ceil(r1))
    c0, c1 = np.clip([c0, c1], 0, ds.width)
    r0, r1 = np.clip([r0, r1], 0, ds.height)
    win = Window(int(c0), int(r0), int(c1 - c0), int(r1 - r0))
    if win.width == 0 or win.height == 0:
        return np.zeros((1, 1)), ds.transform, ds.crs
    people = pop.read(win)
    density = people / pop.cell_area_km2(win)
    return density, ds.window_transform(win), ds.crs


def _lonlat(pop, bounds):
    """Return a lon/lat grid's box as a north-up array (rows flipped, columns mod 360°)."""
    from rasterio.crs import CRS
    ds, t = pop.dataset, pop.dataset.transform
    west, south, east, north = bounds
    dlat = abs(t.e)
    lat = t.f + t.e * (np.arange(ds.height) + 0.5)
    rows = np.flatnonzero((lat >= south - dlat) & (lat <= north + dlat))
    period = int(round(360.0 / t.a))
    first = int(np.floor((west - t.c) / t.a))
    n_cols = int(np.ceil((east - t.c) / t.a)) - first
    cols = first + np.arange(max(n_cols, 0))
    if ds.width >= period:  # a global grid: columns wrap
        cols = cols % period
    if rows.size == 0 or cols.size == 0:
        return np.zeros((1, 1)), Affine(t.a, 0, west, 0, -dlat, north), CRS.from_epsg(4326)
    r0, r1 = int(rows.min()), int(rows.max()) + 1
    out = np.zeros((r1 - r0, cols.size))
    on = (cols >= 0) & (cols < ds.width)
    # read each contiguous run of wanted columns once
    pos = np.flatnonzero(on)
    breaks = np.flatnonzero(np.diff(cols[pos]) != 1) + 1
    for run in np.split(pos, breaks):
        if run.size == 0:
            continue
        win = Window(int(cols[run[0]]), r0, run.size, r1 - r0)
        out[:, run] = pop.read(win) / pop.cell_area_km2(win)
    top = t.f + t.e * r0
    if t.e > 0:  # south-up: flip to north-up
        out, top = out[::-1], t.f + t.e * r1
    return out, Affine(t.a, 0, t.c + first * t.a, 0, -dlat, top), CRS.from_epsg(4326)
