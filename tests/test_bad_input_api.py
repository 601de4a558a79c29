"""Misuse of the public API: one InputError with a one-line message, never another error.

A table of (function, bad arguments, what the message must say) covers every public
function of ``geoinf.__all__`` that this module's owner checks (the map and population
readers have their own tests): wrong types, shapes that do not broadcast, NaN and
out-of-range values. Then ``distance_km`` gives the same answer, or the same error, on
both engines; and a band that no claim reaches is an answer (a table listing the bands
with nobody in them), not a crash, through the API and the CLI.
"""

from __future__ import annotations

import functools
import io
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import geoinf as g
from geoinf.cli import main
from geoinf.constants import WGS84
from geoinf.engine import resolve_engine
from geoinf.errors import InputError
from geoinf.scenario_diff import estimate_gap


@functools.lru_cache(maxsize=1)
def _site() -> gpd.GeoDataFrame:
    return g.load_sites().query("id == 'chernyakhovsk'")


def _places(**change) -> pd.DataFrame:
    row = {"name": "Vilnius", "lon": 25.28, "lat": 54.69, "population": 542_366}
    return pd.DataFrame([{**row, **change}])


def _rings() -> gpd.GeoDataFrame:
    return g.range_rings(24.41, 44.08, 500)


# (id, call, substring of the message)
CASES = [
    # geodesic
    ("distance-lat-95", lambda: g.distance_km(24, 95, 13, 52), "lat1=95 is outside [-90, 90]"),
    ("distance-lon-540", lambda: g.distance_km(540, 44, 13, 52), "lon1=540 is outside"),
    ("distance-nan", lambda: g.distance_km(24, 44, np.nan, 52), "lon2=nan is not finite"),
    ("distance-none", lambda: g.distance_km(None, 44, 13, 52), "lon1=None is not a number"),
    ("distance-text", lambda: g.distance_km("a", 44, 13, 52), "lon1='a' is not a number"),
    ("distance-shapes", lambda: g.distance_km([1, 2], [1, 2, 3], 13, 52),
     "do not broadcast together"),
    ("vertices-text", lambda: g.ring_vertices(24, 44, 500, n_vertices="a"),
     "n_vertices='a' is not a number"),
    ("vertices-nan", lambda: g.ring_vertices(24, 44, 500, n_vertices=np.nan),
     "n_vertices=nan is not finite"),
    ("vertices-fraction", lambda: g.ring_vertices(24, 44, 500, n_vertices=3.7),
     "n_vertices=3.7 is not a whole number"),
    ("vertices-huge", lambda: g.ring_vertices(24, 44, 500, n_vertices=10**12),
     "split the job"),
    ("boundaries-tolerance-text", lambda: g.ring_boundaries(24, 44, 500, tolerance_km="x"),
     "tolerance_km='x' is not a number"),
    ("boundaries-tolerance-none", lambda: g.ring_boundaries(24, 44, 500, tolerance_km=None),
     "tolerance_km=None"),
    ("boundaries-vertices-text", lambda: g.ring_boundaries(24, 44, 500, n_vertices="x"),
     "n_vertices='x'"),
    # rings
    ("disc-tolerance-text", lambda: g.disc_polygons(24, 44, 500, tolerance_km="x"),
     "tolerance_km='x'"),
    ("rings-tolerance-list", lambda: g.range_rings(24, 44, 500, tolerance_km=[1, 2]),
     "expected one number"),
    ("bands-lon-text", lambda: g.range_bands("x", 44), "lon='x' is not a number"),
    ("bands-shapes", lambda: g.range_bands([1, 2], [1, 2, 3]), "lon, lat do not broadcast"),
    ("bands-tolerance-text", lambda: g.range_bands(24, 44, tolerance_km="x"),
     "tolerance_km='x'"),
    ("bands-edges-none", lambda: g.range_bands(24, 44, None), "edges_km=None"),
    ("dissolve-none", lambda: g.dissolve(None), "frame must be a GeoDataFrame"),
    ("dissolve-plain-frame", lambda: g.dissolve(pd.DataFrame({"radius_km": [1.0]})),
     "frame must be a GeoDataFrame"),
    ("dissolve-by-int", lambda: g.dissolve(_rings(), by=5), "by=5"),
    # treaty
    ("inf-class-text", lambda: g.inf_class("x"), "range_km='x' is not a number"),
    ("inf-class-nan", lambda: g.inf_class(np.nan), "range_km=nan is not a number"),
    ("inf-class-negative", lambda: g.inf_class(-5), "range_km=-5 is outside"),
    # catalog
    ("sites-int", lambda: g.load_sites(5), "path=5: expected a name or a path"),
    ("systems-int", lambda: g.load_systems(5), "path=5"),
    ("scenarios-int", lambda: g.list_scenarios(5), "path=5"),
    ("scenario-none", lambda: g.load_scenario(None), "name_or_path=None"),
    ("scenario-sites-bare", lambda: g.load_scenario("inf-2019", sites=gpd.GeoDataFrame(
        {"x": [1]})), "sites: missing columns id, name, lon, lat"),
    ("scenario-systems-bare", lambda: g.load_scenario("inf-2019", systems=pd.DataFrame(
        {"x": [1]})), "systems: missing columns id, name, range_km_low, range_km_high"),
    ("scenario-sites-lat", lambda: g.load_scenario("kaliningrad", sites=g.load_sites().assign(
        lat=97.0)), "sites at index 0: lat=97 is outside [-90, 90]"),
    ("pairs-none", lambda: g.load_pairs(None, "9m729"), "site=None"),
    ("pairs-empty", lambda: g.load_pairs([], "9m729"), "expected at least one site id"),
    ("select-site-int", lambda: g.select_pairs("inf-2019", site=5), "site=5"),
    ("select-scenario-int", lambda: g.select_pairs(5), "scenario=5"),
    ("rings-bare-frame", lambda: g.scenario_rings(pd.DataFrame({"x": [1]})),
     "pairs: missing columns site, system, lon, lat"),
    ("rings-scenario-none", lambda: g.scenario_rings(None), "scenario=None"),
    ("rings-tolerance-text", lambda: g.scenario_rings("kaliningrad", tolerance_km="x"),
     "tolerance_km='x'"),
    ("rings-conservative-text", lambda: g.scenario_rings("kaliningrad", conservative="no"),
     "conservative='no'"),
    # exposure: cities
    ("cities-no-population", lambda: g.cities_in_range(
        _site(), max_km=700, places=_places().drop(columns="population")),
     "places: missing column population"),
    ("cities-lon-999", lambda: g.cities_in_range(_site(), max_km=700, places=_places(lon=999)),
     "places at index 0: lon=999 is outside [-180, 180]"),
    ("cities-population-nan", lambda: g.cities_in_range(
        _site(), max_km=700, places=_places(population=np.nan)), "population=nan"),
    ("cities-min-population-text", lambda: g.cities_in_range(
        _site(), max_km=700, min_population="x"), "min_population='x'"),
    ("cities-min-population-nan", lambda: g.cities_in_range(
        _site(), max_km=700, min_population=np.nan), "min_population=nan"),
    ("cities-min-population-negative", lambda: g.cities_in_range(
        _site(), max_km=700, min_population=-1), "min_population=-1"),
    ("cities-max-km-length", lambda: g.cities_in_range(_site(), max_km=[700, 800]),
     "max_km has 2 values for 1 sites"),
    ("cities-max-km-text", lambda: g.cities_in_range(_site(), max_km="x"), "max_km='x'"),
    ("cities-places-int", lambda: g.cities_in_range(_site(), max_km=700, places=5),
     "places must be a DataFrame"),
    ("cities-progress-int", lambda: g.cities_in_range(_site(), max_km=700, progress=5),
     "progress=5"),
    ("cities-no-sites", lambda: g.cities_in_range(_site().iloc[:0], max_km=700),
     "sites: no rows"),
    # exposure: reach
    ("reach-max-km-text", lambda: g.sites_reaching("Berlin", sites=_site(), max_km="x"),
     "max_km='x'"),
    ("reach-plain-sites-no-range", lambda: g.sites_reaching("Berlin", sites=_site()),
     "needs max_km"),
    ("reach-sites-int", lambda: g.sites_reaching("Berlin", sites=5), "sites=int"),
    ("reach-places-no-population", lambda: g.sites_reaching(
        "Vilnius", places=_places().drop(columns="population")), "missing column population"),
    # exposure: tables
    ("table-by-none", lambda: g.exposure_table("kaliningrad", by=None), "by=None"),
    ("table-edges-none", lambda: g.exposure_table("kaliningrad", edges_km=None),
     "edges_km=None"),
    ("table-edges-beyond-antipode", lambda: g.exposure_table("kaliningrad",
                                                             edges_km=(0, 1e9)),
     "not below the antipodal distance"),
    ("table-layer-int", lambda: g.exposure_table("kaliningrad", layer=5), "layer=5"),
    ("table-kind", lambda: g.exposure_table("kaliningrad", kind="x"), "kind='x'"),
    ("table-min-population-text", lambda: g.exposure_table("kaliningrad", min_population="x"),
     "min_population='x'"),
    ("table-min-population-nan", lambda: g.exposure_table("kaliningrad",
                                                          min_population=np.nan),
     "min_population=nan"),
    ("table-max-km-text", lambda: g.exposure_table(_site(), max_km="x"), "max_km='x'"),
    ("table-scenario-int", lambda: g.exposure_table(5), "sites=int"),
    ("table-pairs-nan-range", lambda: g.exposure_table(
        g.load_scenario("kaliningrad").assign(range_km_high=np.nan)), "range_km_high=nan"),
    ("table-pairs-missing-low", lambda: g.exposure_table(
        g.load_scenario("kaliningrad").drop(columns="range_km_low")),
     "missing column range_km_low"),
    ("table-progress-int", lambda: g.exposure_table("kaliningrad", progress=5), "progress=5"),
    ("diff-min-population-text", lambda: g.exposure_diff("kaliningrad", "inf-2019",
                                                         min_population="x"),
     "min_population='x'"),
    ("diff-none", lambda: g.exposure_diff(None, "inf-2019"), "a=None"),
    ("diff-int", lambda: g.exposure_diff("kaliningrad", 5), "b=5"),
    ("gap-none", lambda: estimate_gap(None), "table must be a DataFrame"),
    ("gap-no-population", lambda: estimate_gap(pd.DataFrame({"estimate": ["low"]})),
     "missing column population"),
    # population readers
    ("places-path-int", lambda: g.load_places(5), "path=5"),
    ("countries-path-int", lambda: g.load_countries(5), "path=5"),
    ("raster-path-int", lambda: g.open_population(5), "path=5"),
    ("places-min-population-text", lambda: g.load_places(min_population="x"),
     "min_population='x'"),
    ("places-min-population-nan", lambda: g.load_places(min_population=np.nan),
     "min_population=nan"),
]


@pytest.mark.parametrize(("call", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_misuse_is_one_input_error(call, message):
    with pytest.raises(InputError, match=re.escape(message)) as info:
        call()
    assert "\n" not in str(info.value)


# --- distance_km: the same answer or the same error on both engines ----------------------------

def _engines() -> list[str]:
    return ["pyproj"] + (["numba"] if _numba_available() else [])


def _numba_available() -> bool:
    try:
        return resolve_engine("numba") == "numba"
    except InputError:
        return False


GOOD = (np.array([24.41, 180.0, -180.0, 0.0, 13.4, 10.0]),
        np.array([44.08, 0.0, 90.0, -90.0, 52.52, 0.0]),
        np.array([13.40, -180.0, 30.0, 45.0, 13.4, -170.0]),
        np.array([52.52, 0.0, -90.0, 90.0, 52.52, 0.0]))
BAD = [((24, 95, 13, 52), "lat1=95 is outside [-90, 90]"),
       ((540, 44, 13, 52), "lon1=540 is outside [-180, 180]"),
       ((24, 44, 13, -90.5), "lat2=-90.5 is outside"),
       ((24, 44, np.inf, 52), "lon2=inf is not finite"),
       (([1.0, 2.0], [1.0, 2.0, 3.0], 0, 0), "do not broadcast together")]


def test_distance_is_the_same_on_both_engines():
    ref = np.asarray(WGS84.inv(*GOOD)[2]) / 1000.0
    for engine in _engines():
        np.testing.assert_allclose(g.distance_km(*GOOD, engine=engine), ref, rtol=0,
                                   atol=1e-9)
        for args, message in BAD:
            with pytest.raises(InputError, match=re.escape(message)):
                g.distance_km(*args, engine=engine)


# --- no band reached: an answer, not a crash ---------------------------------------------------

@pytest.mark.parametrize("by", [("site", "band"), ("band",), ("band", "country"),
                                ("site", "system", "estimate", "band")])
def test_no_band_reached_lists_the_bands_with_nobody(by):
    reached = g.exposure_table("kaliningrad", by=by)
    table = g.exposure_table("kaliningrad", edges_km=(3000, 4000), by=by)
    assert list(table.columns) == list(reached.columns)
    assert dict(table.dtypes) == dict(reached.dtypes)
    assert set(table["band"]) == {"3,000-4,000 km"}
    assert set(table["estimate"]) == {"low", "high"}  # the two claims of 9M729: 480, 2,500 km
    assert (table["population"] == 0).all() and (table["area_km2"] == 0).all()
    assert (table["min_km"] == 3000).all() and (table["max_km"] == 3000).all()


def test_no_band_reached_by_plain_sites_and_in_the_derived_tables():
    table = g.exposure_table(_site(), max_km=300)  # under the first INF edge (500 km)
    assert table["band"].tolist() == ["shorter-range", "intermediate-range"]
    assert table["population"].tolist() == [0, 0]
    gap = estimate_gap(g.exposure_table("kaliningrad", edges_km=(3000, 4000), by=("band",)))
    assert gap[["population_low", "population_high", "at_stake"]].values.tolist() == [[0, 0, 0]]
    diff = g.exposure_diff("kaliningrad", "euromissiles-1983", edges_km=(5500, 6000),
                           by=("band",))
    assert (diff.table["population_a"] == 0).all()


def test_no_city_reached_keeps_the_columns_and_their_types():
    found = g.cities_in_range(_site(), max_km=1000, min_population=1_000_000)
    none = g.cities_in_range(_site(), min_km=3000, max_km=3001, min_population=1_000_000)
    assert len(found) > 0 and len(none) == 0
    assert dict(none.dtypes) == dict(found.dtypes)


def test_cli_no_band_reached_is_a_table(runner):
    res = runner.invoke(main, ["exposure", "--scenario", "kaliningrad", "--edges-km",
                               "3000,4000", "--format", "csv"])
    assert res.exit_code == 0, res.output
    body = pd.read_csv(io.StringIO(res.stdout), comment="#")
    assert body["band"].tolist() == ["3,000-4,000 km"] * 2
    assert body["population"].tolist() == [0, 0]
    res = runner.invoke(main, ["exposure", "--scenario", "kaliningrad", "--edges-km",
                               "3000,4000", "--uncertainty", "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(io.StringIO(res.stdout), comment="#")["at_stake"].tolist() == [0]
