"""The compiled inverse geodesic (geoinf._kernels.inverse, .pairs) against pyproj, and its wiring.

pyproj (GeographicLib) is the reference throughout. Everything here needs numba and
skips cleanly without it (CI also runs the suite with GEOINF_NO_NUMBA=1).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("numba")

from geoinf import cities, engine, row_intervals  # noqa: E402
from geoinf._kernels import inverse as ni  # noqa: E402
from geoinf._kernels import pairs  # noqa: E402
from geoinf.constants import MEAN_RADIUS_KM, WGS84  # noqa: E402
from geoinf.population_sums import SPHERE_EPS, SPHERE_SLACK_KM, exact_km  # noqa: E402

TOL_M = 2e-8  # agreement with pyproj in distance: each within GeographicLib's 15 nm
TOL_DEG = 1e-9  # and in azimuth, away from the poles (measured: 1.1e-10 degrees)

lons = st.floats(-180.0, 180.0, allow_nan=False)
lats = st.floats(-90.0, 90.0, allow_nan=False)


def _reference(lon1, lat1, lon2, lat2):
    az12, az21, s = WGS84.inv(*(np.asarray(a, float) for a in (lon1, lat1, lon2, lat2)))
    return np.asarray(az12), np.asarray(az21), np.asarray(s)


def _angle_diff(a, b):
    return np.abs((np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0)


def _check(lon1, lat1, lon2, lat2):
    lon1, lat1, lon2, lat2 = (np.atleast_1d(np.asarray(a, float)) for a in
                              (lon1, lat1, lon2, lat2))
    az12, az21, s, ok = ni.inverse(lon1, lat1, lon2, lat2)
    r12, r21, rs = _reference(lon1, lat1, lon2, lat2)
    assert ok.all()  # every pair solved, antipodal ones included (as GeographicLib)
    np.testing.assert_allclose(s, rs, rtol=0, atol=TOL_M)
    # azimuths are defined away from the poles and for distinct points
    well = (rs > 1.0) & (np.abs(lat1) < 89.9) & (np.abs(lat2) < 89.9)
    assert (_angle_diff(az12[well], r12[well]) <= TOL_DEG).all()
    assert (_angle_diff(az21[well], r21[well]) <= TOL_DEG).all()
    return ok


@settings(max_examples=300, deadline=None)
@given(lons, lats, lons, lats)
def test_agrees_with_pyproj_over_the_globe(lon1, lat1, lon2, lat2):
    _check(lon1, lat1, lon2, lat2)


@settings(max_examples=150, deadline=None)
@given(lons, lats, st.floats(-3.0, 3.0), st.floats(-3.0, 3.0))
def test_near_antipodal_pairs_are_solved(lon1, lat1, dlon, dlat):
    lon2 = (lon1 + 180.0 + dlon + 180.0) % 360.0 - 180.0
    lat2 = float(np.clip(-lat1 + dlat, -90.0, 90.0))
    _check(lon1, lat1, lon2, lat2)


@settings(max_examples=150, deadline=None)
@given(lons, lats, st.floats(-0.01, 0.01), st.floats(-0.01, 0.01))
def test_short_lines_down_to_coincident(lon1, lat1, dlon, dlat):
    lon2 = (lon1 + dlon + 180.0) % 360.0 - 180.0
    lat2 = float(np.clip(lat1 + dlat, -90.0, 90.0))
    _check(lon1, lat1, lon2, lat2)


def test_vectorised_random_pairs_and_the_bound():
    rng = np.random.default_rng(8)
    n = 200_000  # above PARALLEL_PAIRS: the threaded kernel
    lon1, lon2 = rng.uniform(-180, 180, (2, n))
    lat1, lat2 = np.degrees(np.arcsin(rng.uniform(-1, 1, (2, n))))
    _check(lon1, lat1, lon2, lat2)


def test_special_pairs():
    cases = [  # lon1, lat1, lon2, lat2
        (10.0, 50.0, 10.0, 50.0),  # coincident
        (0.0, 0.0, 0.0, 0.0),  # coincident on the equator
        (0.0, 90.0, 123.0, 90.0),  # the north pole, two longitudes
        (0.0, 90.0, 45.0, 60.0),  # from the pole
        (-60.0, 75.0, 0.0, -90.0),  # to the south pole
        (179.9, 10.0, -179.9, 10.0),  # across the antimeridian
        (-180.0, 0.0, 180.0, 0.0),  # the same meridian, written twice
        (170.0, -45.0, -170.0, -44.0),
        (0.0, 0.0, 10.0, 0.0),  # equatorial
        (30.0, -20.0, 30.0, 70.0),  # meridional
        (0.0, 0.0, 179.0, 0.0),  # equatorial, beyond (1 - f) 180: not the equator
        (0.0, 30.0, 180.0, -30.0),  # antipodal
        (0.0, 90.0, 0.0, -90.0),  # pole to pole
        (0.0, 0.5, 179.5, -0.5),  # nearly antipodal near the equator
    ]
    _check(*np.array(cases).T)
    az12, az21, s, _ = ni.inverse(*np.array(cases[:2]).T)
    assert (s == 0).all()
    # the antipodal pairs GeographicLib solves specially: the same as pyproj
    _, _, s, _ = ni.inverse(*np.array(cases[11:]).T)
    assert np.array_equal(s, _reference(*np.array(cases[11:]).T)[2])


def test_non_finite_input_gives_nan_as_pyproj():
    nan, inf = np.nan, np.inf
    lon1 = np.array([nan, inf, 0.0, 0.0, 0.0, 0.0, 0.0])
    lat1 = np.array([0.0, 0.0, nan, -inf, 95.0, 0.0, 0.0])
    lon2 = np.array([1.0, 1.0, 1.0, 1.0, 1.0, -inf, 1.0])
    lat2 = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, nan])
    az12, az21, s, ok = ni.inverse(lon1, lat1, lon2, lat2)
    for x in (az12, az21, s):
        assert np.isnan(x).all()
    assert ok.all()  # NaN is the answer: nothing left to pyproj
    assert all(np.isnan(x).all() for x in _reference(lon1, lat1, lon2, lat2))


def test_direct_kernel_gives_nan_for_non_finite_input():
    from geoinf.engine import forward

    lat = np.array([np.nan, np.inf, -np.inf, 0.0, 0.0, 0.0])
    azi = np.array([0.0, 0.0, 0.0, np.nan, 0.0, 0.0])
    dist = np.array([1e5, 1e5, 1e5, 1e5, np.nan, np.inf])
    lon, lat = forward(np.zeros(6), lat, azi, dist, engine="numba")
    assert np.isnan(lat).all() and np.isnan(lon).all()  # was lat -180 or 0


def test_engine_inverse_matches_pyproj_everywhere():
    lon1 = np.array([0.0, 0.0, 24.4, 179.9])
    lat1 = np.array([30.0, 90.0, 44.1, 10.0])
    lon2 = np.array([180.0, 0.0, 13.4, -179.9])
    lat2 = np.array([-30.0, -90.0, 52.5, 10.0])
    az12, az21, s = engine.inverse(lon1, lat1, lon2, lat2, engine="numba")
    r12, r21, rs = _reference(lon1, lat1, lon2, lat2)
    np.testing.assert_allclose(s, rs, rtol=0, atol=TOL_M)
    assert np.isfinite(az12).all() and np.isfinite(az21).all()


def test_edge_pairs_are_decided_by_pyproj():
    rng = np.random.default_rng(3)
    lon1, lat1 = rng.uniform(-180, 180, 500), rng.uniform(-80, 80, 500)
    az = rng.uniform(-180, 180, 500)
    radius_m = rng.uniform(1e3, 5e6, 500)
    lon2, lat2, _ = WGS84.fwd(lon1, lat1, az, radius_m)
    _, _, ref = _reference(lon1, lat1, lon2, lat2)
    _, _, s = engine.inverse(lon1, lat1, lon2, lat2, engine="numba", edge_m=ref)
    assert np.array_equal(s, ref)  # all within 1 mm of their edge: pyproj decided


def test_engine_switch_is_the_geodesic_one(hide_numba):
    lon = np.array([24.4134, 13.405])
    lat = np.array([44.0787, 52.52])
    with_numba = exact_km(lon[0], lat[0], lon[1:], lat[1:])
    hide_numba()  # as if numba were not installed
    assert engine.resolve_engine() == "pyproj"
    without = exact_km(lon[0], lat[0], lon[1:], lat[1:])
    assert without.shape == with_numba.shape == (1,)
    assert abs(with_numba[0] - without[0]) * 1e3 < TOL_M


def _places(n, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(-30, 70, n), rng.uniform(20, 75, n)


@pytest.mark.parametrize("need_nearest", [True, False])
def test_pair_distances_match_the_pyproj_path(need_nearest):
    p_lon, p_lat = _places(20_000, 1)
    rng = np.random.default_rng(2)
    s_lon, s_lat = rng.uniform(0, 40, 7), rng.uniform(40, 60, 7)
    s_lon[1], s_lat[1] = s_lon[0] + 0.2, s_lat[0]  # two close sites: nearest in doubt
    lo = np.array([0, 0, 500, 1000, 0, 300, 0], float)
    hi = np.array([2500, 1500, 2000, 5500, 800, 900, 2500], float)
    # places exactly on band edges (by pyproj): membership must be pyproj's
    az = rng.uniform(-180, 180, 40)
    e_lon, e_lat, _ = WGS84.fwd(np.full(40, s_lon[3]), np.full(40, s_lat[3]), az,
                                np.where(np.arange(40) % 2, lo[3], hi[3]) * 1e3)
    p_lon, p_lat = np.concatenate([p_lon, e_lon]), np.concatenate([p_lat, e_lat])
    got = cities._pair_distances(p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest, "numba")
    ref = cities._pair_distances_pyproj(p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest)
    inside, dist, exact = got
    assert np.array_equal(inside, ref[0])
    both = exact & ref[2]
    np.testing.assert_allclose(dist[both], ref[1][both], rtol=0, atol=TOL_M / 1e3)
    # exact where membership was in doubt, and for the nearest and best-margin sites
    assert not (ref[2] & ~exact & ~inside).any()
    if need_nearest:
        for d in (dist, ref[1]):
            d[~inside] = np.inf
        reached = inside.any(axis=1)
        k = dist.argmin(axis=1)
        assert np.array_equal(k[reached], ref[1].argmin(axis=1)[reached])
        assert exact[np.flatnonzero(reached), k[reached]].all()


def test_place_summary_is_the_reduced_pair_distances():
    p_lon, p_lat = _places(20_000, 3)
    rng = np.random.default_rng(4)
    s_lon, s_lat = rng.uniform(0, 40, 5), rng.uniform(40, 60, 5)
    s_lon[1], s_lat[1] = s_lon[0] + 0.2, s_lat[0]  # two close sites: nearest in doubt
    lo, hi = np.array([0, 0, 500, 1000, 300], float), np.array([2500, 1500, 2000, 5500, 900.0])
    az = rng.uniform(-180, 180, 40)  # places on band edges: left to pyproj (redo)
    e_lon, e_lat, _ = WGS84.fwd(np.full(40, s_lon[3]), np.full(40, s_lat[3]), az,
                                np.where(np.arange(40) % 2, lo[3], hi[3]) * 1e3)
    p_lon, p_lat = np.concatenate([p_lon, e_lon]), np.concatenate([p_lat, e_lat])
    kw = dict(radius_km=MEAN_RADIUS_KM, eps=SPHERE_EPS, slack_km=SPHERE_SLACK_KM)
    near, d, margin, n, key, redo = pairs.place_summary(p_lon, p_lat, s_lon, s_lat, lo, hi, **kw)
    inside, dist, _, redo_ref = pairs.pair_distances(p_lon, p_lat, s_lon, s_lat, lo, hi, True,
                                                  **kw)
    assert np.array_equal(redo, redo_ref) and redo[-40:].all()
    ref = cities._reduce_rows(inside, dist, lo, hi)
    ok = ~redo
    reached = ok & inside.any(axis=1)
    assert 1000 < reached.sum() < ok.sum()
    assert np.array_equal(n[ok], ref[3][ok]) and np.array_equal(key[ok], ref[4][ok])
    for got, want in zip((near, d, margin), ref[:3], strict=True):
        assert np.array_equal(got[reached], want[reached])  # bit for bit
    assert (near[ok & ~reached] == -1).all() and (key[ok & ~reached] == 0).all()
    with pytest.raises(ValueError, match="at most 62"):
        pairs.place_summary(p_lon[:2], p_lat[:2], *(np.zeros(63),) * 2, np.zeros(63),
                         np.ones(63), **kw)


def test_cities_in_range_beyond_62_sites_is_the_same_with_either_engine():
    import pandas as pd

    import geoinf

    rng = np.random.default_rng(5)
    sites = pd.DataFrame({"id": [f"s{i}" for i in range(64)], "lon": rng.uniform(-10, 40, 64),
                          "lat": rng.uniform(35, 65, 64)})
    places = geoinf.load_places(min_population=50_000)
    a = cities.cities_in_range(sites.head(62), min_km=100, max_km=600, places=places,
                               engine="numba")
    b = cities.cities_in_range(sites, min_km=100, max_km=600, places=places, engine="numba")
    for got, n in ((a, 62), (b, 64)):
        ref = cities.cities_in_range(sites.head(n), min_km=100, max_km=600, places=places,
                                     engine="pyproj")
        assert len(got) > 500
        cols = ["name", "nearest_site", "n_sites", "sites"]
        assert got[cols].equals(ref[cols])
        np.testing.assert_allclose(got["margin_km"], ref["margin_km"], rtol=0,
                                   atol=TOL_M / 1e3)


def test_cities_in_range_is_the_same_with_either_engine():
    import geoinf

    sites = geoinf.load_sites().head(6)
    places = geoinf.load_places(min_population=20_000)
    a = cities.cities_in_range(sites, min_km=300, max_km=1800, places=places, engine="numba")
    b = cities.cities_in_range(sites, min_km=300, max_km=1800, places=places, engine="pyproj")
    assert len(a) > 1000
    cols = ["name", "nearest_site", "n_sites", "sites"]
    assert a[cols].equals(b[cols])
    np.testing.assert_allclose(a["distance_km"], b["distance_km"], rtol=0, atol=TOL_M / 1e3)
    np.testing.assert_allclose(a["margin_km"], b["margin_km"], rtol=0, atol=TOL_M / 1e3)


def test_raster_row_intervals_are_the_same_with_either_engine():
    lat = 89.95 - 0.1 * np.arange(1800)  # a global 0.1 degree grid
    lon0 = np.array([179.9, 24.4, -70.0, 0.0, 10.0])
    lat0 = np.array([0.0, 44.1, -60.0, 88.0, 50.0])
    radius = np.array([1500.0, 1000.0, 3000.0, 800.0, 5500.0])
    kw = dict(row_lat=lat, west=-180.0, dlon=0.1, ncols=3600)
    got = row_intervals.grid_intervals(lon0, lat0, radius, **kw, engine="numba")
    ref = row_intervals.grid_intervals(lon0, lat0, radius, **kw, engine="pyproj")
    for a, b in zip(got, ref, strict=True):
        assert np.array_equal(a, b)
    # and the half-widths agree within the solver's 1 mm along the parallel
    w_ref = row_intervals.half_widths_deg(lat0[:, None], radius[:, None], lat[::50],
                                          engine="pyproj")
    w = row_intervals.half_widths_deg(lat0[:, None], radius[:, None], lat[::50], engine="numba")
    assert np.array_equal(np.isnan(w), np.isnan(w_ref))
    ok = np.isfinite(w)
    assert np.abs(w[ok] - w_ref[ok]).max() < 1e-7  # degrees: ~1 cm at the equator
