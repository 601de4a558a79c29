"""The compiled (numba) engine against the pyproj reference.

Vertices must agree within 1e-6 m; rings, discs and bands must have the same
vertex counts, validity, geometry types, pole and antimeridian handling. Tests
that need numba skip cleanly when it is not installed; the engine-selection
tests run either way.
"""

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geoinf import engine, geodesic
from geoinf.constants import WGS84
from geoinf.densify import ring_boundaries
from geoinf.engine import resolve_engine
from geoinf.errors import InputError
from geoinf.geodesic import ring_vertices
from geoinf.rings import disc_polygons, range_bands, range_rings

from .common import CASES

try:
    import numba  # noqa: F401
except ImportError:
    HAVE_NUMBA = False
else:
    HAVE_NUMBA = True
needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")

# centres: anywhere, with the poles, the antimeridian and the equator drawn often
LON = st.one_of(st.floats(-180, 180), st.sampled_from([-180.0, 180.0, 0.0, 179.999, -179.9]))
LAT = st.one_of(st.floats(-90, 90), st.sampled_from([-90.0, 90.0, 0.0, 89.99, -89.9]))


def _gap_m(lon1, lat1, lon2, lat2):
    """Ellipsoidal distance in metres between matching points (pyproj)."""
    return np.asarray(WGS84.inv(lon1, lat1, lon2, lat2)[2])


# --- engine selection (runs with and without numba) ------------------------------------

def test_unknown_engine_is_an_input_error():
    with pytest.raises(InputError, match="engine='gpu' is not one of 'auto', 'pyproj', 'numba'"):
        resolve_engine("gpu")
    with pytest.raises(InputError, match="engine='gpu'"):
        range_rings(24.4, 44.1, 500, engine="gpu")


def test_without_numba_auto_falls_back_and_numba_asks_for_the_extra(hide_numba):
    hide_numba()  # as if numba were not installed
    assert resolve_engine("auto") == "pyproj"
    assert resolve_engine("pyproj") == "pyproj"
    with pytest.raises(InputError, match=r'pip install "geoinf\[speedups\]"'):
        resolve_engine("numba")
    rings = range_rings(24.41, 44.08, [500, 5500])  # auto still works, on pyproj
    assert rings.is_valid.all()


def test_auto_picks_numba_when_installed():
    assert resolve_engine("auto") == ("numba" if HAVE_NUMBA else "pyproj")
    assert resolve_engine("auto", work=10**7) == ("numba" if HAVE_NUMBA else "pyproj")


def test_auto_does_not_load_numba_for_a_small_job(fresh_engine):
    assert resolve_engine("auto", work=360) == "pyproj"
    assert engine.compiled_kernels.cache_info().currsize == 0  # nothing was imported
    assert resolve_engine("auto", work=10**7) == ("numba" if HAVE_NUMBA else "pyproj")


# --- the direct problem -------------------------------------------------------------------

@needs_numba
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(LON, LAT, st.floats(-180, 180), st.floats(0, 19_990_000)),
                min_size=1, max_size=50))
def test_direct_matches_pyproj_within_a_micrometre(points):
    lon, lat, azi, dist = (np.array(c, dtype=float) for c in zip(*points, strict=True))
    from geoinf._kernels import direct as kernel

    out_lon, out_lat = np.empty_like(lon), np.empty_like(lat)
    kernel.direct(lon, lat, azi, dist, out_lon, out_lat)
    ref_lon, ref_lat, _ = WGS84.fwd(lon, lat, azi, dist)
    assert (np.abs(out_lon) <= 180).all()
    assert _gap_m(ref_lon, ref_lat, out_lon, out_lat).max() < 1e-6


@needs_numba
def test_direct_in_place_like_pyproj():
    lon, lat = np.array([24.41, 0.0]), np.array([44.08, 90.0])
    ref_lon, ref_lat, _ = WGS84.fwd(lon, lat, [-30.0, 0.0], [5.5e6, 1e6])
    geodesic.forward_km(lon, lat, np.array([30.0, 0.0]), np.array([5500.0, 1000.0]), "numba")
    assert _gap_m(ref_lon, ref_lat, lon, lat).max() < 1e-6


# --- rings ----------------------------------------------------------------------------------

@needs_numba
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_ring_vertices_and_boundaries_agree(case):
    a = ring_vertices(case.lon, case.lat, case.radius_km, n_vertices=90, engine="numba")
    b = ring_vertices(case.lon, case.lat, case.radius_km, n_vertices=90, engine="pyproj")
    assert _gap_m(a[..., 0], a[..., 1], b[..., 0], b[..., 1]).max() < 1e-6
    (ca, oa), (cb, ob) = (ring_boundaries(case.lon, case.lat, case.radius_km, engine=e)
                          for e in ("numba", "pyproj"))
    np.testing.assert_array_equal(oa, ob)
    assert _gap_m(ca[:, 0], ca[:, 1], cb[:, 0], cb[:, 1]).max() < 1e-6


@needs_numba
def test_shared_centres_give_the_same_vertices_as_single_circles():
    # consecutive circles with one centre share each geodesic line in the kernel
    lon, lat, r = [24.41, 24.41, 24.41, 17.1], [44.08, 44.08, 44.08, 54.48], [500, 1000, 5500, 500]
    together = ring_vertices(lon, lat, r, engine="numba")
    alone = np.concatenate([ring_vertices(*c, engine="numba")
                            for c in zip(lon, lat, r, strict=True)])
    np.testing.assert_array_equal(together, alone)


def _assert_same_discs(a, b):
    assert shapely.is_valid(a).all() and shapely.is_valid(b).all()
    np.testing.assert_array_equal(shapely.get_type_id(a), shapely.get_type_id(b))
    np.testing.assert_array_equal(shapely.get_num_geometries(a), shapely.get_num_geometries(b))
    sym = shapely.area(shapely.symmetric_difference(a, b))
    assert (sym <= 1e-9 * np.maximum(shapely.area(b), 1e-6)).all()
    exteriors = shapely.get_exterior_ring(shapely.get_parts(a))
    assert shapely.is_ccw(exteriors).all()
    for pole in (90.0, -90.0):  # pole closure: the same poles are covered
        p = shapely.points(0.0, pole * (1 - 1e-9))
        np.testing.assert_array_equal(shapely.covers(a, p), shapely.covers(b, p))


@needs_numba
def test_discs_agree_on_the_named_cases():
    lon, lat, r = (np.array([getattr(c, f) for c in CASES.values()], dtype=float)
                   for f in ("lon", "lat", "radius_km"))
    a, b = (disc_polygons(lon, lat, r, engine=e) for e in ("numba", "pyproj"))
    _assert_same_discs(a, b)
    crosses = np.array([c.crosses for c in CASES.values()])
    assert (shapely.get_type_id(a[crosses]) == shapely.GeometryType.MULTIPOLYGON).all()
    assert (shapely.bounds(a)[:, [0, 2]] >= [-180, -180]).all()
    assert (shapely.bounds(a)[:, [0, 2]] <= [180, 180]).all()


@needs_numba
@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(LON, LAT, st.sampled_from([1.0, 500.0, 2500.0, 5500.0, 12_000.0,
                                                     19_990.0])),
                min_size=1, max_size=6))
def test_discs_agree_over_the_globe(circles):
    lon, lat, r = (np.array(c, dtype=float) for c in zip(*circles, strict=True))
    a, b = (disc_polygons(lon, lat, r, engine=e) for e in ("numba", "pyproj"))
    _assert_same_discs(a, b)


@needs_numba
def test_the_benchmarked_job_agrees_vertex_for_vertex():
    # scripts/bench_rings.py's sites (lat 35-70, lon -10-70) and radii, on a sample:
    # most 5,500 km rings contain the North Pole and are densified and bisected there
    rng = np.random.default_rng(20190802)
    lon, lat = rng.uniform(-10, 70, 150), rng.uniform(35, 70, 150)
    lon, lat, r = np.repeat(lon, 3), np.repeat(lat, 3), np.tile([500.0, 1000.0, 5500.0], 150)
    a, b = (disc_polygons(lon, lat, r, engine=e) for e in ("numba", "pyproj"))
    _assert_same_discs(a, b)
    np.testing.assert_array_equal(shapely.get_num_coordinates(a),
                                  shapely.get_num_coordinates(b))
    ca, cb = shapely.get_coordinates(a), shapely.get_coordinates(b)
    assert _gap_m(ca[:, 0], ca[:, 1], cb[:, 0], cb[:, 1]).max() < 1e-6


@needs_numba
def test_bands_agree():
    lon, lat = [24.41, 177.5, 166.67], [44.08, 64.73, -77.85]
    a, b = (range_bands(lon, lat, (0, 500, 1000, 5500), engine=e) for e in ("numba", "pyproj"))
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    _assert_same_discs(a.geometry.values, b.geometry.values)


@needs_numba
@pytest.mark.parametrize("tolerance_km", [0.0, -1.0, float("nan")])
def test_compiled_discs_check_the_tolerance(tolerance_km):
    with pytest.raises(InputError, match="tolerance_km=.* is not greater than 0 km"):
        disc_polygons(24.41, 44.08, 500, tolerance_km=tolerance_km, engine="numba")


@needs_numba
def test_small_and_large_jobs_agree():
    # small jobs run the kernels on one thread, large ones on all: the same rings
    lon = np.linspace(-180, 180, 400)
    lat = np.linspace(-89, 89, 400)
    big = ring_boundaries(lon, lat, 3000.0, engine="numba")
    small = ring_boundaries(lon[:5], lat[:5], 3000.0, engine="numba")
    np.testing.assert_array_equal(big[0][: small[1][-1]], small[0])


@needs_numba
@pytest.mark.parametrize("n_vertices", [3, 7, 90, 361])
def test_any_vertex_count_and_the_cut_locus_agree(n_vertices):
    # odd counts have no mirrored plan; radii past 19,800 km are closed at the cut locus
    lon, lat = [24.41, 177.5, 0.0, -60.0], [44.08, 64.73, -90.0, 10.0]
    r = [5500.0, 19_990.0, 12_000.0, 19_900.0]
    (ca, oa), (cb, ob) = (ring_boundaries(lon, lat, r, n_vertices=n_vertices, engine=e)
                          for e in ("numba", "pyproj"))
    np.testing.assert_array_equal(oa, ob)
    assert _gap_m(ca[:, 0], ca[:, 1], cb[:, 0], cb[:, 1]).max() < 1e-6


@needs_numba
@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(LON, LAT, LON, LAT), min_size=1, max_size=40))
def test_distances_agree(pairs):
    lon1, lat1, lon2, lat2 = (np.array(c, dtype=float) for c in zip(*pairs, strict=True))
    lon2[:1], lat2[:1] = lon1[:1] + 180.0 - 360.0 * (lon1[:1] > 0), -lat1[:1]  # an antipode
    a = geodesic.distance_km(lon1, lat1, lon2, lat2, engine="numba")
    b = geodesic.distance_km(lon1, lat1, lon2, lat2, engine="pyproj")
    assert np.abs(a - b).max() * 1000 < 1e-6


# --- branch-free helpers of the vectorized kernels ---------------------------------------

def _apply2(fn):
    """A compiled loop applying a two-argument inline kernel helper elementwise."""
    from numba import njit
    from numba.core.registry import CPUDispatcher

    fn = fn if isinstance(fn, CPUDispatcher) else njit(fn)

    @njit
    def run(a, b):
        out = np.empty(a.size)
        for i in range(a.size):
            out[i] = fn(a[i], b[i])
        return out

    return run


@needs_numba
def test_branch_free_atan2_is_within_two_ulp_of_libm():
    from geoinf._kernels import series as _karney

    rng = np.random.default_rng(20190802)
    n = 200_000
    y = rng.normal(size=n) * 10.0 ** rng.uniform(-8, 8, n)
    x = rng.normal(size=n) * 10.0 ** rng.uniform(-8, 8, n)
    special = np.array([0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300, 5e-324, 3.0, -3.0])
    sy, sx = (g.ravel() for g in np.meshgrid(special, special))
    y, x = np.concatenate([y, sy]), np.concatenate([x, sx])
    out, ref = _apply2(_karney.atan2)(y, x), np.arctan2(y, x)
    np.testing.assert_array_equal(np.signbit(out), np.signbit(ref))
    assert (np.abs(out - ref) <= 2 * np.spacing(np.abs(ref))).all()
    deg = _apply2(_karney.atan2d)(y, x)  # degrees, and exact on the axes and diagonals
    assert np.abs(deg - np.degrees(ref)).max() < 1e-13
    axes = np.array([[1, 1, 45], [1, 0, 90], [0, -1, 180], [-0.0, -1, -180], [-1, -1, -135],
                     [2, -2, 135], [-5, 0, -90], [0, 5, 0]], dtype=float)
    np.testing.assert_array_equal(_apply2(_karney.atan2d)(axes[:, 0], axes[:, 1]), axes[:, 2])


@needs_numba
def test_small_angle_and_latitude_series_match_libm():
    from geoinf._kernels import densify as kernel_densify
    from geoinf._kernels import direct as kernel
    from geoinf._kernels import series as _karney

    d = np.linspace(-0.02, 0.02, 100_001)
    s = _apply2(lambda a, b: kernel._sincos_small(a)[0])(d, d)
    c = _apply2(lambda a, b: kernel._sincos_small(a)[1])(d, d)
    assert np.abs(s - np.sin(d)).max() <= 2 * np.spacing(0.02)
    assert np.abs(c - np.cos(d)).max() <= 2 * np.spacing(1.0)
    lat = np.linspace(-90, 90, 100_001)
    assert np.abs(_apply2(lambda a, b: kernel_densify._cos_deg(a))(lat, lat)
                  - np.cos(np.radians(lat))).max() < 1e-12
    x = np.concatenate([np.linspace(-539.9, 539.9, 100_001), [-180.0, 180.0, 540.0 - 1e-9]])
    norm = _apply2(lambda a, b: _karney.ang_normalize_near(a))(x, x)
    ref = np.where(np.abs(np.remainder(x + 180, 360) - 180) == 180, np.copysign(180, x),
                   np.remainder(x + 180, 360) - 180)
    np.testing.assert_allclose(norm, ref, rtol=0, atol=1e-12)


@needs_numba
def test_a_cold_kernel_cache_is_announced(monkeypatch, caplog, compiled_kernels_on_disk,
                                          fresh_engine):
    import logging

    from geoinf._kernels import densify as kernel

    assert engine._on_disk(kernel.ring_fill)  # compiled and cached by the fixture
    assert engine._on_disk(object())  # unsure (numba's private layout): say nothing
    monkeypatch.setattr(engine, "_on_disk", lambda dispatcher: False)  # ... cold cache
    engine.compiled_kernels.cache_clear()  # as in a fresh process ...
    with caplog.at_level(logging.INFO, logger="geoinf.compile"):
        assert engine.compiled_kernels().densify.ring_fill is kernel.ring_fill
    assert "compiling the numba kernels: once per installation" in caplog.text


# --- row intervals and window sums (geoinf._kernels.intervals) against the reference ---

def _grids():
    """Row tables of grids: lon/lat (north-up, south-up, 0-360, shuffled rows), Mollweide."""
    from rasterio.crs import CRS
    from rasterio.transform import from_origin

    from geoinf.raster_crs import raster_grid

    out = {}
    lat = 89.75 - 0.5 * np.arange(360)
    out["global-0.5"] = dict(row_lat=lat, west=-180.0, dlon=0.5, ncols=720)
    out["south-up"] = dict(row_lat=lat[::-1].copy(), west=-180.0, dlon=0.5, ncols=720)
    out["regional-0-360"] = dict(row_lat=70.1 - 0.2 * np.arange(300), west=100.0, dlon=0.2,
                                 ncols=900)
    order = np.random.default_rng(5).permutation(360)
    out["shuffled"] = dict(row_lat=lat[order], west=-180.0, dlon=0.5, ncols=720)
    g = raster_grid(CRS.from_string("ESRI:54009"), from_origin(-18e6, 9e6, 5e4, 5e4),
                    (360, 720))
    ok = np.flatnonzero(np.isfinite(g.row_lat))
    out["mollweide"] = dict(row_lat=g.row_lat[ok], west=g.row_west[ok], dlon=g.row_dlon[ok],
                            ncols=720, col_range=(g.col_lo[ok], g.col_hi[ok]),
                            row_meridian_km=g.row_meridian_km[ok])
    return out


GRID_TABLES = _grids()


def _same_intervals(lon0, lat0, radius, kw):
    from geoinf import row_intervals
    got = row_intervals.grid_intervals(lon0, lat0, radius, **kw, engine="numba")
    ref = row_intervals.grid_intervals(lon0, lat0, radius, **kw, engine="pyproj")
    for a, b in zip(got, ref, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    return got


@needs_numba
@pytest.mark.parametrize("name", GRID_TABLES)
@settings(max_examples=25, deadline=None)
@given(lon=LON, lat=LAT, radius=st.one_of(st.floats(0.5, 19_000), st.sampled_from(
    [1000.0, 5500.0, 10_001.9657, 15_000.0, 20_003.0])))
def test_compiled_row_intervals_equal_the_reference(name, lon, lat, radius):
    _same_intervals([lon], [lat], [radius], GRID_TABLES[name])


@needs_numba
@pytest.mark.parametrize("name", GRID_TABLES)
def test_compiled_row_intervals_of_many_discs_equal_the_reference(name):
    """Discs on numba's threads (more than engine.PARALLEL_WORK) as on one."""
    rng = np.random.default_rng(11)
    n = 400
    lon, lat = rng.uniform(-180, 180, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    radius = rng.uniform(10, 12_000, n)
    disc, *_ = _same_intervals(lon, lat, radius, GRID_TABLES[name])
    assert disc.size * 5 >= engine.PARALLEL_WORK


@needs_numba
def test_cells_on_the_radius_are_decided_by_pyproj(monkeypatch):
    """A cell centre 1 µm inside the radius is inside, 0.1 mm beyond it outside."""
    kernel = engine.compiled_kernels().intervals
    doubts, solve = [], kernel.disc_rows

    def counted(*args):
        out = solve(*args)
        doubts.append(out[3])
        return out
    monkeypatch.setattr(kernel, "disc_rows", counted)
    kw = GRID_TABLES["global-0.5"]
    lon0, lat0 = 24.41, 44.08
    cells = [(30.25, 52.25), (-10.25, 40.75), (24.25, 33.75), (179.75, 60.25)]
    for lon, lat in cells:
        s_km = float(WGS84.inv(lon0, lat0, lon, lat)[2]) / 1000.0
        col = int(round((lon + 180.0) / 0.5 - 0.5))
        row = int(round((89.75 - lat) / 0.5))
        for radius, inside in ((s_km + 1e-9, True), (s_km - 1e-7, False)):
            _, rows, start, stop = _same_intervals([lon0], [lat0], [radius], kw)
            hit = any(a <= col < b for r, aa, bb in zip(rows, start, stop, strict=True)
                      if r == row for a, b in zip(aa, bb, strict=True))
            assert hit is inside
    assert min(doubts) > 0  # every case left a candidate to pyproj


@needs_numba
@pytest.mark.parametrize("dtype", ["float32", "float64", "int16", "uint8", "int32"])
def test_compiled_window_sums_equal_numpy(dtype):
    from geoinf.raster_blocks import _window_sums
    rng = np.random.default_rng(3)
    values = rng.integers(0, 120, (300, 500)).astype(dtype)
    n = 900
    row = np.sort(rng.integers(0, 700, n))  # raster rows: some above, some below the window
    start = rng.integers(0, 1400, n)
    stop = start + rng.integers(0, 400, n)
    group = rng.integers(0, 7, n)
    r0, c0 = 200, 600
    got = engine.compiled_window_sums(values, group, row, start, stop, r0, c0, 7)
    # the reference: the runs clipped to the window, summed by numpy
    a, z = np.maximum(start, c0) - c0, np.minimum(stop, c0 + 500) - c0
    keep = (row >= r0) & (row < r0 + 300) & (z > a)
    ref = _window_sums(values, group[keep], row[keep] - r0, a[keep], z[keep], 7)
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert got.sum() > 0
    assert engine.compiled_window_sums(values.astype("float16"), group, row, start, stop, r0,
                                       c0, 7) is None  # numpy sums those


@needs_numba
def test_raster_sums_are_the_same_with_either_engine():
    import pandas as pd

    from geoinf.population_sums import raster_sums
    ann = pd.DataFrame({"lon": [24.4134, 179.9, 10.0, -70.0], "lat": [44.0787, 0.0, 88.0, -60],
                        "inner_km": 0.0, "outer_km": [1000.0, 1500.0, 800.0, 3000.0]})
    members = [np.array([i]) for i in range(len(ann))]
    got = raster_sums(ann, members, None, "count", False, engine="numba")
    ref = raster_sums(ann, members, None, "count", False, engine="pyproj")
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    one = raster_sums(ann.iloc[:1], members[:1], None, "count", False, engine="numba")
    np.testing.assert_allclose(one, ref[:1], rtol=1e-12)
    assert got.min() > 0


@needs_numba
def test_compiled_tile_windows_equal_numpy(monkeypatch):
    from geoinf import raster_blocks
    from geoinf.raster import open_population
    rng = np.random.default_rng(9)
    with open_population() as pop:
        for max_cells in (raster_blocks.MAX_WINDOW_CELLS, 3 * 256 * 256):  # long rows cut too
            monkeypatch.setattr(raster_blocks, "MAX_WINDOW_CELLS", max_cells)
            for _ in range(40):
                n = int(rng.integers(0, 300))
                row = np.sort(rng.integers(0, pop.dataset.height, n))
                start = rng.integers(0, pop.dataset.width, n)
                stop = np.minimum(start + rng.integers(-5, 7200, n), pop.dataset.width)
                got = raster_blocks.tile_windows(pop.dataset, row, start, stop, engine="numba")
                ref = raster_blocks.tile_windows(pop.dataset, row, start, stop,
                                                 engine="pyproj")
                assert got == ref
                covered = np.zeros(pop.dataset.shape, bool)  # every run cell read once
                for w in got:
                    part = covered[w.row_off:w.row_off + w.height, w.col_off:w.col_off + w.width]
                    assert not part.any()
                    part[:] = True
                assert all(covered[r, a:b].all() for r, a, b in zip(row, start, stop,
                                                                    strict=True))
