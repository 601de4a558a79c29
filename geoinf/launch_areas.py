"""Launch-area statistics: how many people a launcher anywhere in an area holds in range.

A road-mobile launcher anywhere in its patrol area (a country, a garrison region) puts
between X and Y people in range. :func:`area_exposure` evaluates the exposure surface
(:func:`geoinf.exposure_surface`) on the candidate positions of a lon/lat grid that lie in
the area (cell centres inside it; the resolution is stated in the result) and summarises
it: minimum, median and maximum people in range and the positions that give the
extremes; and the people within range of *some* position of the area (the geodesic buffer
of the area: :func:`geoinf.exposure_table` with the area as a site).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _validate
from .errors import InputError
from .places import embedded_countries
from .surface import MAX_CANDIDATES, exposure_surface

__all__ = ["AREA_RESOLUTION_DEG", "area_geometry", "area_exposure"]

AREA_RESOLUTION_DEG = 0.25
"""Default spacing of the candidate launch positions, in degrees."""


def area_geometry(area) -> tuple[str, shapely.Geometry]:
    """Return a name and the (Multi)Polygon of an area: a shapely polygon or an ISO3 code.

    Examples
    --------
    >>> name, geom = area_geometry("BLR")
    >>> name, geom.geom_type in ("Polygon", "MultiPolygon")
    ('BLR', True)
    """
    if isinstance(area, str):
        countries = embedded_countries()
        code = area.strip().upper()
        hit = countries[countries["iso_a3"].astype(str) == code]
        if hit.empty:
            raise InputError(f"area={area!r} is not the ISO alpha-3 code of an embedded country "
                             "(e.g. BLR, POL, RUS; see geoinf.load_countries())")
        return code, hit.geometry.iloc[0]
    if isinstance(area, shapely.Polygon | shapely.MultiPolygon) and not area.is_empty:
        if not area.is_valid:
            raise InputError(f"area: the polygon is not valid ({shapely.is_valid_reason(area)})")
        return "area", area
    raise InputError(f"area={type(area).__name__}: expected a shapely Polygon or MultiPolygon "
                     "in lon/lat degrees, or an ISO alpha-3 country code")


def _grid_bounds(geom, res: float) -> tuple[float, float, float, float]:
    """Return the area's bounds widened to whole cells of the grid aligned on 0°."""
    west, south, east, north = geom.bounds
    return (math.floor(west / res) * res, max(-90.0, math.floor(south / res) * res),
            math.ceil(east / res) * res, min(90.0, math.ceil(north / res) * res))


def area_exposure(area, radius_km: float, *, resolution_deg: float = AREA_RESOLUTION_DEG,
                  layer=None, max_candidates: int | None = MAX_CANDIDATES,
                  engine: str = "auto") -> pd.DataFrame:
    """Return the people in range of launch positions anywhere in an area, summarised.

    Parameters
    ----------
    area : str or shapely Polygon / MultiPolygon
        An ISO alpha-3 code of an embedded country, or a polygon in lon/lat degrees.
    radius_km : float
        Range in km.
    resolution_deg : float, default :data:`AREA_RESOLUTION_DEG`
        Spacing of the candidate positions: the centres of the cells of a lon/lat grid
        aligned on 0° that lie in the area.
    layer : None, path or xarray.DataArray
        Population raster (:func:`geoinf.exposure_surface`; None: the embedded indicative
        grid).
    max_candidates, engine
        As for :func:`geoinf.exposure_surface`.

    Returns
    -------
    DataFrame
        One row: ``area, radius_km, resolution_deg, positions`` (candidates in the area),
        ``min, median, max`` (people in range of one position), ``min_lon, min_lat,
        max_lon, max_lat`` (where the extremes are), ``anywhere`` (people within range of
        some point of the area: the area's geodesic buffer, by exposure_table).
        ``attrs["layer"]`` names the layer.

    Examples
    --------
    >>> t = area_exposure("LUX", 100, resolution_deg=0.1)
    >>> int(t["positions"].iloc[0]) > 0, bool(t["min"].iloc[0] <= t["max"].iloc[0])
    (True, True)
    """
    name, geom = area_geometry(area)
    res = _validate.number(resolution_deg, "resolution_deg", lo=0, hi=10, lo_open=True)
    radius = _validate.number(radius_km, "radius_km", lo=0, lo_open=True)
    surface = exposure_surface(layer, radius, resolution_deg=res,
                               bounds=_grid_bounds(geom, res), max_candidates=max_candidates,
                               engine=engine)
    lon, lat = np.meshgrid(surface.lon.values, surface.lat.values)
    inside = shapely.contains_xy(geom, lon, lat)
    if not inside.any():
        raise InputError(f"area {name}: no candidate position of the {res:g}° grid lies in it; "
                         "give a finer resolution_deg")
    people = surface.values[inside]
    lo, hi = int(np.argmin(people)), int(np.argmax(people))
    row = {"area": name, "radius_km": radius, "resolution_deg": res,
           "positions": int(inside.sum()), "min": float(people[lo]),
           "median": float(np.median(people)), "max": float(people[hi]),
           "min_lon": float(lon[inside][lo]), "min_lat": float(lat[inside][lo]),
           "max_lon": float(lon[inside][hi]), "max_lat": float(lat[inside][hi]),
           "anywhere": _anywhere(name, geom, radius, layer, engine)}
    out = pd.DataFrame([row])
    out.attrs["layer"] = surface.attrs["layer"]
    return out


def _anywhere(name: str, geom, radius: float, layer, engine: str) -> float:
    """Return the people within ``radius`` of some point of the area (exposure_table)."""
    from .exposure import exposure_table

    site = gpd.GeoDataFrame({"id": [name], "name": [name]}, geometry=[geom], crs="EPSG:4326")
    table = exposure_table(site, edges_km=(0, radius), by=("site",),
                           layer="raster" if layer is None else layer, engine=engine)
    return float(table["population"].iloc[0])
