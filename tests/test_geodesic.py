import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoinf.densify import ring_boundaries
from geoinf.errors import InputError
from geoinf.geodesic import (
    ANTIPODAL_KM,
    WGS84,
    distance_km,
    pole_distances_km,
    ring_vertices,
)

from .common import CASES


def _boundary_errors_km(lon, lat, radius, coords, offsets, samples=16):
    """|distance - radius| at points along every straight lon/lat edge of every ring."""
    counts = np.diff(offsets)
    ring = np.repeat(np.arange(counts.size), counts)
    nxt = np.arange(coords.shape[0]) + 1
    ends = nxt == np.repeat(offsets[1:], counts)
    nxt[ends] = np.repeat(offsets[:-1], counts)[ends]
    t = np.linspace(0.0, 1.0, samples, endpoint=False)[:, None]
    dlon = (coords[nxt, 0] - coords[:, 0] + 180) % 360 - 180
    px = (coords[:, 0] + t * dlon + 180) % 360 - 180
    py = coords[:, 1] + t * (coords[nxt, 1] - coords[:, 1])
    r = np.broadcast_to(ring, px.shape)
    d = distance_km(np.asarray(lon)[r], np.asarray(lat)[r], px, py)
    return np.abs(d - np.asarray(radius)[r])


def test_distance_matches_pyproj_and_broadcasts():
    lon2 = np.array([13.40, 2.35, -0.13])
    lat2 = np.array([52.52, 48.86, 51.51])
    d = distance_km(24.41, 44.08, lon2, lat2)
    ref = [WGS84.inv(24.41, 44.08, a, b)[2] / 1000 for a, b in zip(lon2, lat2, strict=True)]
    assert d.shape == (3,)
    np.testing.assert_allclose(d, ref, rtol=0, atol=1e-9)
    assert isinstance(distance_km(0, 0, 1, 0), float)


def test_antipodal_distance_is_half_a_meridian():
    assert ANTIPODAL_KM == pytest.approx(20003.931, abs=1e-3)


def test_pole_distances():
    north, south = pole_distances_km([0.0, 90.0, -90.0])
    np.testing.assert_allclose(north, [10001.9657, 0.0, 20003.9315], atol=1e-3)
    np.testing.assert_allclose(south, [10001.9657, 20003.9315, 0.0], atol=1e-3)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_vertices_sit_on_the_circle(case):
    v = ring_vertices(case.lon, case.lat, case.radius_km, n_vertices=90)[0]
    d = distance_km(case.lon, case.lat, v[:, 0], v[:, 1])
    assert np.abs(d - case.radius_km).max() * 1000 < 1e-6  # metres
    assert (np.abs(v[:, 0]) <= 180).all()


def test_vertices_are_counter_clockwise_azimuths():
    v = ring_vertices(24.41, 44.08, 500, n_vertices=4)[0]
    for i, az in enumerate([0.0, -90.0, 180.0, 90.0]):
        lon, lat, _ = WGS84.fwd(24.41, 44.08, az, 500e3)
        np.testing.assert_allclose(v[i], [lon, lat], atol=1e-9)


def test_scalar_and_array_inputs_agree():
    one = ring_vertices(24.41, 44.08, 1000)
    many = ring_vertices([24.41, 17.11], [44.08, 54.48], [1000, 1000])
    assert one.shape == (1, 360, 2) and many.shape == (2, 360, 2)
    np.testing.assert_array_equal(one[0], many[0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 97, 500), "lat=97 is outside [-90, 90]"),
        ((181, 0, 500), "lon=181 is outside [-180, 180]"),
        ((0, 0, -5), "radius_km=-5 is not greater than 0 km"),
        ((0, 0, 0), "radius_km=0 is not greater than 0 km"),
        ((0, 0, np.nan), "radius_km=nan is not a finite number of kilometres"),
        ((0, 0, 20004), "radius_km=20004 is not below the antipodal distance"),
        ((0, 0, [500, np.inf]), "radius_km=inf is not a finite number"),
    ],
)
def test_bad_input_names_the_value(args, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ring_vertices(*args)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_every_boundary_point_within_tolerance(case):
    coords, offsets = ring_boundaries(case.lon, case.lat, case.radius_km)
    err = _boundary_errors_km([case.lon], [case.lat], [case.radius_km], coords, offsets)
    assert err.max() <= 0.1


def test_tolerance_is_honoured_when_tighter():
    coords, offsets = ring_boundaries(24.41, 44.08, 5500, tolerance_km=0.01)
    assert np.diff(offsets)[0] > 1000
    err = _boundary_errors_km([24.41], [44.08], [5500.0], coords, offsets)
    assert err.max() <= 0.01


def test_vertices_added_only_where_needed():
    _, offsets = ring_boundaries([24.41, 24.41, 24.41], [44.08] * 3, [500, 1000, 5500])
    counts = np.diff(offsets)
    assert counts[0] == counts[1] == 360  # small rings need nothing more
    assert 360 < counts[2] < 1000  # the ring that passes near the pole does


def test_rings_near_the_antipode_stop_at_the_cut_locus():
    # beyond ~19,950 km some geodesics of that length are no longer shortest
    lon, lat, r = [0.0, 10.0], [0.0, 30.0], [19999.0, 19995.0]
    coords, offsets = ring_boundaries(lon, lat, r)
    err = _boundary_errors_km(lon, lat, r, coords, offsets)
    assert err.max() <= 0.1


@settings(max_examples=60, deadline=None)
@given(
    lon=st.floats(-180, 180),
    lat=st.floats(-90, 90),
    radius=st.floats(1, 19_000),
)
def test_boundary_within_tolerance_anywhere(lon, lat, radius):
    coords, offsets = ring_boundaries(lon, lat, radius)
    err = _boundary_errors_km([lon], [lat], [radius], coords, offsets, samples=8)
    assert err.max() <= 0.1
