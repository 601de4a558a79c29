import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geoinf.constants import WGS84
from geoinf.errors import InputError
from geoinf.geodesic import distance_km
from geoinf.rings import disc_polygons, dissolve, range_bands, range_rings

from .common import CASES, DEVESELU, REDZIKOWO

TOL = 0.1
EARTH_KM2 = abs(WGS84.polygon_area_perimeter([0, 90, 180, -90], [0, 0, 0, 0])[0]) * 2 / 1e6


def _ring_area_km2(ring):
    x, y = np.asarray(ring.coords).T
    return WGS84.polygon_area_perimeter(x, y)[0] / 1e6


def geodesic_area_km2(geom):
    """Area on WGS84 of a lon/lat (Multi)Polygon; a world-box exterior is the whole Earth."""
    total = 0.0
    for poly in getattr(geom, "geoms", [geom]):
        if poly.exterior.bounds == (-180.0, -90.0, 180.0, 90.0) and len(poly.exterior.coords) == 5:
            total += EARTH_KM2
        else:
            total += _ring_area_km2(poly.exterior) % EARTH_KM2
        total -= sum(abs(_ring_area_km2(h)) for h in poly.interiors)
    return total


def exact_disc_area_km2(lon, lat, radius_km, n=20_000):
    az = np.linspace(0, -360, n, endpoint=False)  # counter-clockwise: the disc is on the left
    x, y, _ = WGS84.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, radius_km * 1e3))
    return (WGS84.polygon_area_perimeter(x, y)[0] / 1e6) % EARTH_KM2


def exteriors_ccw_holes_cw(geom):
    parts = getattr(geom, "geoms", [geom])
    return all(
        shapely.is_ccw(p.exterior) and all(not shapely.is_ccw(h) for h in p.interiors)
        for p in parts
    )


def assert_matches_exact_distance(geom, lon, lat, radius_km, step=0.5):
    """Planar point-in-polygon on a global grid agrees with exact distance off the boundary."""
    gx, gy = np.meshgrid(np.arange(-180 + step / 2, 180, step), np.arange(-90 + step / 2, 90, step))
    gx, gy = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(geom, gx, gy)
    d = distance_km(lon, lat, gx, gy)
    wrong = inside != (d <= radius_km)
    far = np.abs(d - radius_km)
    assert not (wrong & (far > TOL)).any(), (
        f"{int(wrong.sum())} grid points disagree, worst off by {far[wrong].max():.3f} km")


@pytest.fixture(scope="module")
def discs():
    c = list(CASES.values())
    geoms = disc_polygons([x.lon for x in c], [x.lat for x in c], [x.radius_km for x in c])
    return dict(zip(CASES, geoms, strict=True))


@pytest.mark.parametrize("name", CASES)
def test_disc_is_valid_ccw_and_in_range(discs, name):
    geom, case = discs[name], CASES[name]
    assert geom.is_valid
    assert exteriors_ccw_holes_cw(geom)
    xmin, ymin, xmax, ymax = geom.bounds
    assert -180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90
    assert geom.covers(shapely.Point(case.lon, case.lat))


@pytest.mark.parametrize("name", CASES)
def test_disc_matches_exact_distance_on_a_global_grid(discs, name):
    case = CASES[name]
    assert_matches_exact_distance(discs[name], case.lon, case.lat, case.radius_km)


@pytest.mark.parametrize("name", CASES)
def test_poles_and_antimeridian(discs, name):
    geom, case = discs[name], CASES[name]
    near_north = shapely.points([[-179.5, 89.999], [0, 89.999], [90, 89.999]])
    near_south = shapely.points([[-179.5, -89.999], [0, -89.999], [90, -89.999]])
    assert shapely.contains(geom, near_north).all() == case.north
    assert shapely.contains(geom, near_south).all() == case.south
    assert (geom.geom_type == "MultiPolygon") == case.crosses


@pytest.mark.parametrize("name", CASES)
def test_disc_area_matches_geodesic_area(discs, name):
    case = CASES[name]
    exact = exact_disc_area_km2(case.lon, case.lat, case.radius_km)
    assert geodesic_area_km2(discs[name]) == pytest.approx(exact, rel=1e-3)


def test_pole_cap_covers_the_arctic_unlike_the_naive_polygon():
    lon, lat = DEVESELU
    az = np.linspace(0, 360, 360, endpoint=False)
    x, y, _ = WGS84.fwd(np.full(360, lon), np.full(360, lat), az, np.full(360, 5.5e6))
    naive = shapely.Polygon(np.c_[x, y])
    ours = range_rings(lon, lat, 5500).geometry[0]
    svalbard = shapely.Point(15.6, 78.2)
    assert distance_km(lon, lat, 15.6, 78.2) < 5500
    assert ours.contains(svalbard)
    assert not (naive.is_valid and naive.contains(svalbard))


def test_range_rings_frame():
    rings = range_rings([DEVESELU[0], REDZIKOWO[0]], [DEVESELU[1], REDZIKOWO[1]], [[500], [5500]])
    assert list(rings.columns) == ["lon", "lat", "radius_km", "geometry"]
    assert rings.crs.to_epsg() == 4326
    assert len(rings) == 4
    np.testing.assert_array_equal(rings.radius_km, [500, 500, 5500, 5500])
    assert rings.is_valid.all()


def test_scalar_and_array_give_the_same_geometry():
    one = range_rings(*DEVESELU, 5500).geometry[0]
    many = range_rings([DEVESELU[0], 0.0], [DEVESELU[1], 0.0], 5500).geometry[0]
    assert one.equals_exact(many, 0.0)


def test_bands_are_annuli_with_inf_names():
    bands = range_bands(*DEVESELU)
    assert list(bands.band) == ["shorter-range", "intermediate-range"]
    assert list(bands.columns) == ["lon", "lat", "min_km", "max_km", "band", "geometry"]
    assert bands.is_valid.all()
    outer = {r: exact_disc_area_km2(*DEVESELU, r) for r in (500, 1000, 5500)}
    for row in bands.itertuples():
        assert exteriors_ccw_holes_cw(row.geometry)
        expected = outer[row.max_km] - outer[row.min_km]
        assert geodesic_area_km2(row.geometry) == pytest.approx(expected, rel=1e-3)
    # a city at 700 km is in the shorter-range band only
    budapest = shapely.Point(19.04, 47.50)
    assert 500 < distance_km(*DEVESELU, 19.04, 47.50) < 1000
    assert list(bands.contains(budapest)) == [True, False]


def test_first_edge_zero_gives_a_disc():
    bands = range_bands(*DEVESELU, (0, 500, 1000, 5500))
    assert list(bands.band) == ["under 500 km", "shorter-range", "intermediate-range"]
    assert bands.geometry[0].equals(range_rings(*DEVESELU, 500).geometry[0])
    assert len(bands.geometry[0].interiors) == 0


def test_band_of_pole_disc_keeps_the_pole():
    bands = range_bands(0.0, 80.0, (500, 2000))
    assert bands.geometry[0].contains(shapely.Point(10, 89.9))
    assert not bands.geometry[0].contains(shapely.Point(0, 80.0))


@pytest.mark.parametrize(
    ("edges", "message"),
    [((500,), "at least two edges"), ((1000, 500), "strictly increasing"),
     ((-1, 500), "not negative"), (("a", 500), "not a list of numbers")],
)
def test_bad_edges(edges, message):
    with pytest.raises(InputError, match=message):
        range_bands(*DEVESELU, edges)


def test_dissolve_unions_sites_per_radius():
    rings = range_rings([DEVESELU[0], REDZIKOWO[0], 177.5], [DEVESELU[1], REDZIKOWO[1], 64.73],
                        [[1000], [5500]])
    cover = dissolve(rings)
    assert list(cover.radius_km) == [1000, 5500]
    assert list(cover.n_sites) == [3, 3]
    assert cover.is_valid.all()
    big = cover.geometry[1]
    assert big.contains(shapely.Point(0, 89.99))
    for lon, lat in [DEVESELU, REDZIKOWO, (177.5, 64.73)]:
        assert big.contains(shapely.Point(lon, lat))
    with pytest.raises(InputError, match="cannot dissolve by"):
        dissolve(rings, by="nope")


@settings(max_examples=40, deadline=None)
@given(lon=st.floats(-180, 180), lat=st.floats(-90, 90), radius=st.floats(1, 19_000))
def test_any_disc_is_valid_and_exact(lon, lat, radius):
    geom = disc_polygons(lon, lat, radius)[0]
    assert geom.is_valid
    assert exteriors_ccw_holes_cw(geom)
    assert geom.covers(shapely.Point(lon, lat))
    for pole_lat in (89.999, -89.999):
        d = distance_km(lon, lat, 0.0, pole_lat)
        if abs(d - radius) > TOL:
            assert geom.contains(shapely.Point(0.0, pole_lat)) == (d < radius)
    exact = exact_disc_area_km2(lon, lat, radius)
    assert geodesic_area_km2(geom) == pytest.approx(exact, rel=1e-3)


@settings(max_examples=15, deadline=None)
@given(lon=st.floats(-180, 180), lat=st.floats(-90, 90), radius=st.floats(1, 19_000))
def test_any_disc_matches_exact_distance(lon, lat, radius):
    geom = disc_polygons(lon, lat, radius)[0]
    assert_matches_exact_distance(geom, lon, lat, radius, step=2.0)


@settings(max_examples=25, deadline=None)
@given(lon=st.floats(-180, 180), lat=st.floats(-89, 89), inner=st.floats(1, 9_000),
       extra=st.floats(1, 9_000))
def test_band_area_is_outer_minus_inner(lon, lat, inner, extra):
    band = range_bands(lon, lat, (inner, inner + extra)).geometry[0]
    assert band.is_valid
    expected = exact_disc_area_km2(lon, lat, inner + extra) - exact_disc_area_km2(lon, lat, inner)
    assert geodesic_area_km2(band) == pytest.approx(expected, rel=1e-3, abs=1.0)
