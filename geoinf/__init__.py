"""geoinf: who and what lies within reach of a missile deployed at a given site.

Geodesic range rings and INF bands on the WGS84 ellipsoid (correct across the
antimeridian and around the poles), population exposure, and offline HTML maps.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .catalog import (
    DEFAULT_SCENARIO,
    list_scenarios,
    load_pairs,
    load_scenario,
    load_sites,
    load_systems,
    scenario_rings,
    select_pairs,
)
from .densify import ring_boundaries
from .errors import DataError, GeoinfError, GeoinfWarning, InputError
from .exposure import cities_in_range, exposure_diff, exposure_table, sites_reaching
from .geodesic import distance_km, ring_vertices
from .mapdata import MapFrames, map_frames, reach_bands
from .population import load_countries, load_places, open_population
from .rings import disc_polygons, dissolve, range_bands, range_rings
from .treaty import INF_EDGES_KM, inf_class

_LAZY = {"range_map": "render", "write_map": "render", "map_fragment": "render",
         "render": None, "figure": None}
"""Names imported on first use: folium and matplotlib stay out of ``import geoinf``."""


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'geoinf' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(f".{_LAZY[name] or name}", __name__)
    return module if _LAZY[name] is None else getattr(module, name)


try:
    __version__ = version("geoinf")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__",
    "GeoinfError",
    "InputError",
    "DataError",
    "GeoinfWarning",
    "distance_km",
    "ring_vertices",
    "ring_boundaries",
    "disc_polygons",
    "range_rings",
    "range_bands",
    "dissolve",
    "INF_EDGES_KM",
    "inf_class",
    "DEFAULT_SCENARIO",
    "load_sites",
    "load_systems",
    "list_scenarios",
    "load_scenario",
    "load_pairs",
    "select_pairs",
    "scenario_rings",
    "load_places",
    "load_countries",
    "open_population",
    "cities_in_range",
    "sites_reaching",
    "exposure_table",
    "exposure_diff",
    "MapFrames",
    "map_frames",
    "reach_bands",
    "range_map",
    "write_map",
    "map_fragment",
]
