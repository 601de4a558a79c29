"""Exposure: cities by exact distance, row-interval raster sums vs brute force."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin

from geoinf import engine as engine_module
from geoinf import exposure as ex
from geoinf import load_places, row_intervals
from geoinf.cities import cities_in_range
from geoinf.constants import MEAN_RADIUS_KM, WGS84
from geoinf.engine import resolve_engine
from geoinf.errors import InputError
from geoinf.gazetteer import resolve_place
from geoinf.population_sums import SPHERE_EPS, unit_vectors
from geoinf.reach import sites_reaching
from geoinf.scenario_diff import estimate_gap, exposure_diff

DATA = Path(__file__).parent / "data"
PLACES = DATA / "exposure_places.csv"


def _exact_km(lon0, lat0, lon, lat):
    lon = np.asarray(lon, float)
    _, _, s = WGS84.inv(np.full(lon.size, lon0), np.full(lon.size, lat0), lon,
                        np.asarray(lat, float))
    return np.asarray(s) / 1000.0


def _sites(*rows):
    return pd.DataFrame(rows, columns=["id", "lon", "lat"])


# --- grid intervals vs brute force -----------------------------------------------------

GRIDS = {  # (lon0, lat0, radius_km, west, north, dlon, ncols, nrows)
    "deveselu-1000": (24.41, 44.08, 1000, -180.0, 90.0, 0.5, 720, 360),
    "wraps-antimeridian": (179.9, 0.0, 1500, -180.0, 90.0, 0.25, 1440, 720),
    "contains-north-pole": (24.41, 44.08, 5500, -180.0, 90.0, 0.5, 720, 360),
    "south-pole-centre": (45.0, -90.0, 300, -180.0, 90.0, 0.5, 720, 360),
    "regional-0-360": (-179.9, -17.8, 1000, 0.0, 90.0, 0.2, 1800, 900),
    "both-poles": (24.4, 44.1, 15000, -180.0, 90.0, 1.0, 360, 180),
}


def _brute_mask(lon0, lat0, r, west, north, dlon, ncols, nrows):
    lon = west + (np.arange(ncols) + 0.5) * dlon
    lat = north - (np.arange(nrows) + 0.5) * dlon
    glon, glat = np.meshgrid(lon, lat)
    d = _exact_km(lon0, lat0, glon.ravel(), glat.ravel()).reshape(glon.shape)
    return d <= r


@pytest.mark.parametrize("case", GRIDS.values(), ids=GRIDS.keys())
def test_grid_intervals_equal_brute_force(case):
    lon0, lat0, r, west, north, dlon, ncols, nrows = case
    row_lat = north - (np.arange(nrows) + 0.5) * dlon
    _, row, start, stop = row_intervals.grid_intervals([lon0], [lat0], [r], row_lat=row_lat,
                                                   west=west, dlon=dlon, ncols=ncols)
    mask = np.zeros((nrows, ncols), bool)
    for i, a, b in zip(row, start, stop, strict=True):
        for x, y in zip(a, b, strict=True):
            assert not mask[i, x:y].any()  # slots never overlap
            mask[i, x:y] = True
    np.testing.assert_array_equal(mask, _brute_mask(*case))


def test_half_widths_on_the_circle():
    lat = np.linspace(40.0, 52.0, 25)
    w = row_intervals.half_widths_deg(44.08, 900.0, lat)
    ok = np.isfinite(w) & (w < 180)
    d = _exact_km(0.0, 44.08, w[ok], lat[ok])
    np.testing.assert_allclose(d, 900.0, atol=2e-6)


def test_spherical_prefilter_bound():
    rng = np.random.default_rng(3)
    lon1, lat1 = rng.uniform(-180, 180, 20000), np.degrees(np.arcsin(rng.uniform(-1, 1, 20000)))
    lon2, lat2 = rng.uniform(-180, 180, 20000), np.degrees(np.arcsin(rng.uniform(-1, 1, 20000)))
    near = rng.uniform(size=20000) < 0.5  # half the pairs short, to probe local curvature
    lon2[near], lat2[near] = lon1[near] + rng.normal(0, 0.5, near.sum()), np.clip(
        lat1[near] + rng.normal(0, 0.5, near.sum()), -90, 90)
    _, _, s = WGS84.inv(lon1, lat1, lon2, lat2)
    cos = np.clip((unit_vectors(lon1, lat1) * unit_vectors(lon2, lat2)).sum(axis=1), -1, 1)
    sph = MEAN_RADIUS_KM * np.arccos(cos)
    ok = s > 1000  # beyond 1 km the relative bound applies (the slack covers the rest)
    ratio = sph[ok] / (np.asarray(s)[ok] / 1000.0)
    assert np.abs(ratio - 1).max() < 0.0058 < SPHERE_EPS


# --- raster sums -----------------------------------------------------------------------

def _write_raster(path, values, west, north, res):
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1],
                       height=values.shape[0], count=1, dtype="float64", crs="EPSG:4326",
                       transform=from_origin(west, north, res, res)) as dst:
        dst.write(values, 1)


@pytest.fixture(scope="module")
def global_raster(tmp_path_factory):
    rng = np.random.default_rng(7)
    values = rng.gamma(0.5, 1000.0, size=(180, 360))
    path = tmp_path_factory.mktemp("exposure") / "exposure_global.tif"
    _write_raster(path, values, -180.0, 90.0, 1.0)
    return path, values


def _brute_people(values, sites, lo, hi, west=-180.0, north=90.0, res=1.0):
    nrows, ncols = values.shape
    lon = west + (np.arange(ncols) + 0.5) * res
    lat = north - (np.arange(nrows) + 0.5) * res
    glon, glat = (a.ravel() for a in np.meshgrid(lon, lat))
    inside = np.zeros(glon.size, bool)
    for lon0, lat0 in sites:
        d = _exact_km(lon0, lat0, glon, glat)
        inside |= (d >= lo) & (d <= hi)  # the cell-centre rule
    return values.ravel()[inside].sum()


def test_raster_union_equals_brute_force(global_raster):
    path, values = global_raster
    sites = _sites(("anadyr", 177.5, 64.73), ("fiji", -179.9, -17.8), ("devese", 24.41, 44.08))
    t = ex.exposure_table(sites, layer=path, edges_km=(0, 1000, 5500), by=("site", "band"))
    for site, lon0, lat0 in sites.itertuples(index=False):  # noqa: B007 (used in query)
        for lo, hi in ((0, 1000), (1000, 5500)):
            got = t.query("site == @site and min_km == @lo")["population"].item()
            want = _brute_people(values, [(lon0, lat0)], lo if lo else -1, hi)
            assert got == pytest.approx(want, rel=1e-9, abs=1)
    union = t.query("site == @ex.ALL_SITES and min_km == 0")["population"].item()
    want = _brute_people(values, [(s.lon, s.lat) for s in sites.itertuples()], -1, 1000)
    assert union == pytest.approx(want, rel=1e-9, abs=1)


def test_raster_totals_equal_sum_over_countries(global_raster):
    path, _ = global_raster
    sites = _sites(("devese", 24.41, 44.08))
    a = ex.exposure_table(sites, layer=path, edges_km=(0, 2000), by=("band",))
    b = ex.exposure_table(sites, layer=path, edges_km=(0, 2000), by=("band", "country"))
    assert b["population"].sum() == pytest.approx(a["population"].item(), abs=len(b))
    assert {"ROU", "BGR"} <= set(b["iso_a3"])


def test_coverage_of_a_regional_raster(tmp_path):
    path = tmp_path / "exposure_europe.tif"
    _write_raster(path, np.ones((40, 60)), -10.0, 70.0, 1.0)  # 10W-50E, 30-70N
    sites = _sites(("deveselu", 24.41, 44.08))
    t = ex.exposure_table(sites, layer=path, edges_km=(0, 500, 5500), by=("band",))
    cover = t.set_index("band")["coverage"]
    assert cover["under 500 km"] == 1.0
    assert 0.2 < cover["500-5,500 km"] < 0.6  # the 5,500 km disc reaches the Pole and Africa


# --- places ----------------------------------------------------------------------------

def test_cities_equal_brute_force():
    from geoinf import load_places
    places = load_places(min_population=20000)
    sites = _sites(("deveselu", 24.41, 44.08), ("kamyshlov", 62.72, 56.85),
                   ("anadyr", 177.5, 64.73))
    got = cities_in_range(sites, min_km=500, max_km=2500, places=places)
    d = np.stack([_exact_km(s.lon, s.lat, places["lon"], places["lat"])
                  for s in sites.itertuples()], axis=1)
    inside = (d >= 500) & (d <= 2500)
    want = places[inside.any(axis=1)]
    assert len(got) == len(want)
    assert (np.diff(got["population"].to_numpy()) <= 0).all()
    dd = np.where(inside, d, np.inf)[inside.any(axis=1)]
    key = want["name"] + want["lon"].astype(str)
    by_key = got.set_index(got["name"] + got["lon"].astype(str))
    np.testing.assert_allclose(by_key.loc[key, "distance_km"], dd.min(axis=1), atol=1e-9)
    margin = np.where(inside, np.minimum(d - 500, 2500 - d), -np.inf)[inside.any(axis=1)]
    np.testing.assert_allclose(by_key.loc[key, "margin_km"], margin.max(axis=1), atol=1e-9)
    np.testing.assert_array_equal(by_key.loc[key, "n_sites"], inside.sum(axis=1)[
        inside.any(axis=1)])


def test_margin_at_a_known_pair():
    kaliningrad = _sites(("kaliningrad", 20.5072, 54.7065))
    got = cities_in_range(kaliningrad, max_km=600, places=PLACES).set_index("name")
    assert got.loc["Berlin", "distance_km"] == pytest.approx(529, abs=2)
    assert got.loc["Berlin", "margin_km"] == pytest.approx(600 - got.loc["Berlin",
                                                                         "distance_km"])
    inside_out = cities_in_range(kaliningrad, max_km=500, places=PLACES)
    assert "Berlin" not in set(inside_out["name"])


def test_union_counts_each_place_once():
    sites = _sites(("a", 20.5, 54.7), ("b", 21.0, 54.8))  # two sites 35 km apart
    t = ex.exposure_table(sites, layer=PLACES, edges_km=(0, 1000), by=("site", "band"))
    per_site = t.set_index("site")["population"]
    places = pd.read_csv(PLACES)
    d = np.stack([_exact_km(lon, lat, places["lon"], places["lat"])
                  for lon, lat in ((20.5, 54.7), (21.0, 54.8))], axis=1)
    want = places["population"][(d <= 1000).any(axis=1)].sum()
    assert per_site[ex.ALL_SITES] == want
    assert per_site["a"] + per_site["b"] > want


def test_places_totals_equal_sum_over_countries():
    a = ex.exposure_table("kaliningrad", by=("band",))
    b = ex.exposure_table("kaliningrad", by=("band", "country"))
    sums = b.groupby(["estimate", "band"])["population"].sum()
    assert dict(sums) == dict(a.set_index(["estimate", "band"])["population"])
    np.testing.assert_allclose(b["share"], b["population"] / b["country_population"])


def test_places_across_the_antimeridian():
    got = cities_in_range(_sites(("anadyr", 177.5, 64.73)), max_km=1000, places=PLACES)
    assert set(got["name"]) == {"Anadyr", "Nome"}


def test_sites_reaching_and_place_names():
    r = sites_reaching((13.4105, 52.5244), sites="kaliningrad")
    assert set(r["estimate"]) == {"high"}  # 480 km and 500 km do not reach Berlin
    assert (r["margin_km"] == r["range_km"] - r["distance_km"]).all()
    with pytest.raises(InputError, match="ambiguous: Frankfurt am Main.*Frankfurt \\(Oder\\)"):
        resolve_place("Frankfurt")
    with pytest.raises(InputError, match="did you mean 'Berlin'"):
        resolve_place("Berln")
    assert resolve_place("Frankfurt (Oder)")[0].startswith("Frankfurt (Oder)")


def test_estimate_gap_and_diff():
    gap = estimate_gap(ex.exposure_table("inf-2019", by=("band",)))
    assert (gap["at_stake"] == gap["population_high"] - gap["population_low"]).all()
    assert (gap["at_stake"] >= 0).all()
    d = exposure_diff("kaliningrad", "inf-2019", by=("band",))
    assert (d.table["change"] == d.table["population_b"] - d.table["population_a"]).all()
    assert set(d.cities["status"]) <= {"enters", "leaves"}


@pytest.mark.parametrize("kwargs, match", [
    ({"min_km": 900, "max_km": 500}, "min_km=900, max_km=500"),
    ({"min_km": -1, "max_km": 500}, "min_km=-1"),
])
def test_bad_bands(kwargs, match):
    with pytest.raises(InputError, match=match):
        cities_in_range(_sites(("a", 20.5, 54.7)), places=PLACES, **kwargs)


def test_bad_keys_and_layers():
    with pytest.raises(InputError, match="unknown key 'city'"):
        ex.exposure_table("kaliningrad", by=("city",))
    with pytest.raises(InputError, match="layer="):
        ex.exposure_table("kaliningrad", layer="rastr")


# --- engine= on every function that computes geodesics ---------------------------------

def _numba_or_skip():
    try:
        resolve_engine("numba")
    except InputError:
        pytest.skip("numba is not installed")


def _no_compiled_kernels(monkeypatch):
    """Make any call into the compiled kernels fail: engine='pyproj' must not make one."""
    def refuse():
        raise AssertionError("engine='pyproj' called the compiled kernels")
    monkeypatch.setattr(engine_module, "compiled_kernels", refuse)


def _cities(engine):
    sites = _sites(("deveselu", 24.41, 44.08), ("kamyshlov", 62.72, 56.85),
                   ("anadyr", 177.5, 64.73))
    places = load_places(min_population=20_000)
    return cities_in_range(sites, min_km=500, max_km=2500, places=places, engine=engine)


def test_cities_in_range_engines_agree(monkeypatch):
    _numba_or_skip()
    a = _cities("numba")
    with monkeypatch.context() as m:
        _no_compiled_kernels(m)
        b = _cities("pyproj")
    assert len(a) > 1000
    cols = ["name", "nearest_site", "n_sites", "sites"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    for col in ("distance_km", "margin_km"):
        np.testing.assert_allclose(a[col], b[col], rtol=0, atol=1e-9)  # 1 µm


def test_sites_reaching_engines_agree(monkeypatch):
    _numba_or_skip()
    a = sites_reaching("Berlin", engine="numba")
    with monkeypatch.context() as m:
        _no_compiled_kernels(m)
        b = sites_reaching("Berlin", engine="pyproj")
    assert len(a) > 5
    pd.testing.assert_frame_equal(a.drop(columns=["distance_km", "margin_km"]),
                                  b.drop(columns=["distance_km", "margin_km"]))
    np.testing.assert_allclose(a["distance_km"], b["distance_km"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("layer", ["places", "raster-file"])
def test_exposure_table_engines_agree(monkeypatch, global_raster, layer):
    _numba_or_skip()
    sites = _sites(("anadyr", 177.5, 64.73), ("devese", 24.41, 44.08))
    source = global_raster[0] if layer == "raster-file" else "places"
    kw = dict(layer=source, edges_km=(0, 1000, 5500), by=("site", "band", "country"))
    a = ex.exposure_table(sites, engine="numba", **kw)
    with monkeypatch.context() as m:
        _no_compiled_kernels(m)
        b = ex.exposure_table(sites, engine="pyproj", **kw)
    assert a["population"].sum() > 0
    pd.testing.assert_frame_equal(a, b)


def test_exposure_diff_engines_agree(monkeypatch):
    _numba_or_skip()
    a = exposure_diff("kaliningrad", "inf-2019", by=("band",), engine="numba")
    with monkeypatch.context() as m:
        _no_compiled_kernels(m)
        b = exposure_diff("kaliningrad", "inf-2019", by=("band",), engine="pyproj")
    pd.testing.assert_frame_equal(a.table, b.table)
    cols = ["name", "country", "population", "nearest_site", "status"]
    pd.testing.assert_frame_equal(a.cities[cols], b.cities[cols])
    np.testing.assert_allclose(a.cities["distance_km"], b.cities["distance_km"], rtol=0,
                               atol=1e-9)


@pytest.mark.parametrize("call", [
    lambda: cities_in_range(_sites(("a", 20.5, 54.7)), max_km=500, places=PLACES,
                            engine="bogus"),
    lambda: sites_reaching("Berlin", engine="bogus"),
    lambda: ex.exposure_table("kaliningrad", engine="bogus"),
    lambda: exposure_diff("kaliningrad", "inf-2019", engine="bogus"),
], ids=["cities_in_range", "sites_reaching", "exposure_table", "exposure_diff"])
def test_unknown_engine_is_an_input_error(call):
    with pytest.raises(InputError, match="engine='bogus' is not one of 'auto', 'pyproj'"):
        call()
