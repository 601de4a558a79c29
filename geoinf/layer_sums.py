"""People and coverage of a vector population layer per group of annuli.

A layer (:func:`geoinf.population_layers.load_population_layer`) is one counted point per
cell or polygon; its people are summed as places are
(:func:`geoinf.population_sums.places_sums`: exact ellipsoidal distance after a proven
spherical prefilter). Its coverage is the share of each group's area inside the layer's
extent (the lon/lat box of its points), measured on the 0.1° grid of
:func:`geoinf.population_sums.group_areas` by the same cell-centre rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .population_sums import places_sums
from .raster import cell_area_km2

__all__ = ["COVERAGE_DEG", "layer_extent", "layer_sums", "layer_coverage"]

COVERAGE_DEG = 0.1
"""Step in degrees of the grid that coverage is measured on (that of ``group_areas``)."""


def layer_extent(layer: pd.DataFrame) -> tuple[float, float, float, float]:
    """Return the lon/lat box (west, south, east, north) of a layer's points.

    Examples
    --------
    >>> layer_extent(pd.DataFrame({"lon": [10.0, 12.5], "lat": [50.0, 48.0]}))
    (10.0, 48.0, 12.5, 50.0)
    """
    lon, lat = layer["lon"].to_numpy(float), layer["lat"].to_numpy(float)
    return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())


def layer_sums(annuli: pd.DataFrame, members: list[NDArray], layer: pd.DataFrame,
               with_country: bool, *, engine: str = "auto"):
    """Return the people of a layer in each group's union of annuli (exact distance).

    Parameters
    ----------
    annuli, members, with_country
        As for :func:`geoinf.population_sums.places_sums`.
    layer : DataFrame
        :func:`geoinf.population_layers.load_population_layer`; rows without people are
        skipped (they add nothing).
    engine : str, default "auto"
        Geodesic engine of the exact distances.

    Returns
    -------
    ndarray or DataFrame
        As for :func:`geoinf.population_sums.places_sums`.
    """
    people = layer[layer["population"].to_numpy(float) > 0]
    return places_sums(annuli, members, people, 0, with_country, engine=engine)


def layer_coverage(annuli: pd.DataFrame, members: list[NDArray],
                   extent: tuple[float, float, float, float], area: NDArray, *,
                   engine: str = "auto") -> NDArray[np.float64]:
    """Return the share of each group's area inside a layer's extent (4 digits; 1 if empty).

    The grid cells (:data:`COVERAGE_DEG`) whose centre is inside ``extent`` are weighed by
    their area on WGS84 and summed over each group by exact distance; ``area`` is each
    group's area on the same grid (:func:`geoinf.population_sums.group_areas`).
    """
    west, south, east, north = extent
    step = COVERAGE_DEG
    lat = np.arange(-90 + step / 2, 90, step)
    lon = np.arange(-180 + step / 2, 180, step)
    lat, lon = lat[(lat >= south) & (lat <= north)], lon[(lon >= west) & (lon <= east)]
    if lat.size == 180 / step and lon.size == 360 / step:
        return np.ones(len(members))
    weight = cell_area_km2(lat - step / 2, lat + step / 2, step)
    grid = pd.DataFrame({"name": "", "lon": np.tile(lon, lat.size),
                         "lat": np.repeat(lat, lon.size),
                         "population": np.repeat(weight, lon.size)})
    covered = places_sums(annuli, members, grid, 0, False, engine=engine)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(area > 0, np.round(np.minimum(covered / area, 1.0), 4), 1.0)
