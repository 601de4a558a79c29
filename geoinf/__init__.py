"""geoinf: who and what lies within reach of a missile deployed at a given site.

Geodesic range rings and INF bands on the WGS84 ellipsoid (correct across the
antimeridian and around the poles), population exposure, and offline HTML maps.
"""

from __future__ import annotations

from .bands import reach_bands
from .buffers import geodesic_buffer
from .catalog import (
    DEFAULT_SCENARIO,
    list_scenarios,
    load_pairs,
    load_scenario,
    pairs_as_of,
    scenario_rings,
    select_pairs,
)
from .cities import cities_in_range
from .claims import claim_support, load_claims, load_deployments
from .densify import ring_boundaries
from .errors import DataError, GeoinfError, GeoinfWarning, InputError
from .exposure import exposure_table
from .geodesic import distance_km, ring_vertices
from .geometry_distance import distance_to_km
from .launch_areas import area_exposure
from .mapframes import MapFrames, map_frames
from .places import load_countries, load_places
from .population_layers import load_population_layer
from .raster import open_population
from .reach import sites_reaching
from .rings import disc_polygons, dissolve, range_bands, range_rings
from .scenario_diff import exposure_diff
from .sites import country_sites, load_sites, site_rings
from .surface import exposure_surface
from .systems import load_systems
from .treaty import INF_EDGES_KM, inf_class
from .version import __version__

_LAZY = {"range_map": "render", "write_map": "render", "map_fragment": "render",
         "fragment_libraries": "render",
         "render": None, "figure": None}
"""Names imported on first use: folium and matplotlib stay out of ``import geoinf``."""


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'geoinf' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(f".{_LAZY[name] or name}", __name__)
    return module if _LAZY[name] is None else getattr(module, name)



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
    "load_population_layer",
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
    "fragment_libraries",
    "geodesic_buffer",
    "distance_to_km",
    "exposure_surface",
    "area_exposure",
    "country_sites",
    "site_rings",
    "pairs_as_of",
    "load_claims",
    "load_deployments",
    "claim_support",
]
