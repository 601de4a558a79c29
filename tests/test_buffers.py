"""Geodesic buffers of lines and areas, and distance to them, against brute force."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import geoinf
import geoinf.engine
import geoinf.geometry_parts
from geoinf.constants import WGS84
from geoinf.errors import InputError

TOL = 0.1


def _dense_points(geom, k=2000):
    """Points densely sampled along every geodesic edge (and every point) of ``geom``."""
    pts = []
    for part in shapely.get_parts(geom):
        if part.geom_type == "Point":
            pts.append(np.array(part.coords))
            continue
        lines = [part.exterior, *part.interiors] if part.geom_type == "Polygon" else [part]
        for line in lines:
            c = np.array(line.coords)
            for (x1, y1), (x2, y2) in zip(c[:-1], c[1:], strict=True):
                az, _, s = WGS84.inv(x1, y1, x2, y2)
                f = np.linspace(0, 1, k)
                x, y, _ = WGS84.fwd(np.full(k, x1), np.full(k, y1), np.full(k, az), f * s)
                pts.append(np.c_[x, y])
    return np.concatenate(pts)


def _brute_km(geom, lon, lat):
    dense = _dense_points(geom)
    out = np.empty(len(lon))
    for i, (x, y) in enumerate(zip(lon, lat, strict=True)):
        _, _, d = WGS84.inv(np.full(len(dense), x), np.full(len(dense), y), dense[:, 0],
                            dense[:, 1])
        out[i] = d.min() / 1000
    return out


def _boundary(poly, per_edge=3):
    """Vertices and points along straight lon/lat edges, without the ±180° and pole cuts."""
    out = []
    for ring in shapely.get_rings(shapely.get_parts(poly)):
        c = np.array(ring.coords)
        a, b = c[:-1], c[1:]
        cut = (((np.abs(a[:, 0]) == 180) & (a[:, 0] == b[:, 0]))
               | ((np.abs(a[:, 1]) == 90) & (a[:, 1] == b[:, 1])))
        for f in np.linspace(0, 1, per_edge + 1)[:-1]:
            out.append((a + f * (b - a))[~cut])
    return np.concatenate(out)


def _check(geom, r, tol=TOL, grid=True, engine="auto"):
    buf = geoinf.geodesic_buffer(geom, r, tolerance_km=tol, engine=engine)[0]
    assert buf.is_valid and buf.geom_type in ("Polygon", "MultiPolygon")
    for part in shapely.get_parts(buf):
        assert shapely.is_ccw(part.exterior)
        assert not any(shapely.is_ccw(h) for h in part.interiors)
    assert -180 <= buf.bounds[0] and buf.bounds[2] <= 180
    pts = _boundary(buf)
    d = geoinf.distance_to_km(geom, pts[:, 0], pts[:, 1])
    assert np.abs(d - r).max() <= tol
    if grid:
        lon, lat = np.meshgrid(np.linspace(-179, 179, 180), np.linspace(-89, 89, 90))
        lon, lat = lon.ravel(), lat.ravel()
        dd = geoinf.distance_to_km(geom, lon, lat)
        wrong = (shapely.contains_xy(buf, lon, lat) != (dd <= r)) & (np.abs(dd - r) > tol)
        assert not wrong.any()
    return buf


@pytest.mark.parametrize("geom", [
    shapely.LineString([(175, 64), (-172, 66), (-165, 70)]),
    shapely.Polygon([(20, 50), (30, 50), (30, 56), (20, 56)],
                    [[(24, 52), (26, 52), (26, 53), (24, 53)]]),
    shapely.MultiPoint([(0, 0), (10, 10)]),
    shapely.LineString([(0, 80), (120, 80), (-120, 80), (0, 80)]),
])
def test_distance_matches_brute_force(geom):
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(-180, 180, 60), rng.uniform(-90, 90, 60)
    d = geoinf.distance_to_km(geom, lon, lat)
    brute = _brute_km(geom, lon, lat)
    outside = d > 0
    # never above the distance to a sampled point, and within the sampling error of it
    assert (d[outside] <= brute[outside] + 1e-9).all()
    assert (brute[outside] - d[outside]).max() < 0.01


def test_distance_zero_inside_and_inf_when_empty():
    d = geoinf.distance_to_km(np.array([shapely.box(0, 0, 10, 10), shapely.Polygon()]), 5, 5)
    assert d[0] == 0.0 and np.isinf(d[1])


@pytest.mark.parametrize("r", [500, 1000, 5500])
def test_line_across_the_antimeridian(r):
    buf = _check(shapely.LineString([(170, 65), (-170, 66)]), r)
    assert buf.bounds[0] == -180 and buf.bounds[2] == 180


@pytest.mark.parametrize("r", [500, 5500])
def test_polygon_around_the_north_pole(r):
    pole = shapely.Polygon([(-180, 80), (-90, 80), (0, 80), (90, 80), (180, 80), (180, 90),
                            (-180, 90)])
    buf = _check(pole, r)
    assert buf.contains(shapely.Point(0, 89.9))


def test_hole_smaller_than_twice_the_distance_fills():
    holed = shapely.Polygon([(20, 50), (30, 50), (30, 56), (20, 56)],
                            [[(24, 52), (26, 52), (26, 53), (24, 53)]])
    assert len(_check(holed, 50, grid=False).interiors) == 1  # 50 km: hole stays
    assert len(_check(holed, 500).interiors) == 0


def _short_edges_line():
    """Edges of 20 m, 300 m, 3 km and 30 km with sharp and slight turns, then a long one."""
    lon, lat, az = [30.0], [60.0], 10.0
    for length, turn in ((20, 50), (300, -80), (3_000, 0.5), (30_000, 120), (20, -1),
                         (400_000, 30)):
        az += turn
        x, y, _ = WGS84.fwd(lon[-1], lat[-1], az, length)
        lon.append(x)
        lat.append(y)
    return shapely.LineString(zip(lon, lat, strict=True))


@pytest.mark.parametrize("engine", ["pyproj", pytest.param("numba", marks=pytest.mark.skipif(
    geoinf.engine.compiled_kernels() is None, reason="numba not installed"))])
@pytest.mark.parametrize("r", [5, 1000, 5500])
def test_short_edges_stay_valid_within_tolerance(r, engine):
    # rays are sampled to RAY_TOLERANCE_KM (km), far more than these edges are long
    _check(_short_edges_line(), r, grid=r > 5, engine=engine)


def _winding_trail(index):
    """Line ``index`` of a seeded set: 30 edges of 0.3-3 km turning up to 40 degrees."""
    rng = np.random.default_rng(3)
    for _ in range(index + 1):
        lon, lat, az = rng.uniform(-180, 180), rng.uniform(35, 75), rng.uniform(0, 360)
        pts = [(lon, lat)]
        for _ in range(30):
            az += rng.uniform(-40, 40)
            lon, lat, _ = WGS84.fwd(lon, lat, az, rng.uniform(0.3, 3) * 1000)
            pts.append((lon, lat))
    return shapely.LineString(pts)


@pytest.mark.parametrize("engine", ["pyproj", pytest.param("numba", marks=pytest.mark.skipif(
    geoinf.engine.compiled_kernels() is None, reason="numba not installed"))])
@pytest.mark.parametrize(("index", "r", "tol"), [(11, 8000, TOL), (30, 5500, TOL),
                                                 (7, 5500, 20.0), (37, 8000, 50.0)])
def test_rays_of_short_edges_that_cross(index, r, tol, engine):
    # the rays of a 1 km edge at 5,500 km, each sampled to its own tolerance, cross:
    # the band is a bow tie (GEOS refused it; over the pole it read as "both poles")
    _check(_winding_trail(index), r, tol=tol, engine=engine)


@pytest.mark.parametrize("r", [100, 1000])
def test_polygon_rings_in_either_orientation(r):
    # an area's edges get half-bands on its outside only: which side that is comes from
    # each ring's orientation (a clockwise exterior, a counter-clockwise hole)
    ccw = shapely.Polygon([(20, 50), (30, 50), (31, 56), (25, 53.5), (20, 56)],
                          [[(24, 51.5), (24, 52.5), (26, 52.5), (26, 51.5)]])
    flipped = shapely.Polygon(ccw.exterior.coords[::-1], [ccw.interiors[0].coords[::-1]])
    parts = geoinf.geometry_parts.geometry_parts([ccw, flipped])
    assert set(parts.edge_side[parts.edge_owner == 0]) == {1}
    assert set(parts.edge_side[parts.edge_owner == 1]) == {-1}
    a = _check(ccw, r, grid=r > 100)
    b = _check(flipped, r, grid=r > 100)
    assert shapely.symmetric_difference(a, b).area < 1e-9 * a.area


def _winding_lines(seed, n=12):
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n):
        lon, lat, az = rng.uniform(-180, 180), rng.uniform(35, 80), rng.uniform(0, 360)
        pts = [(lon, lat)]
        for _ in range(12):
            az += rng.uniform(-70, 70)
            lon, lat, _ = WGS84.fwd(lon, lat, az, rng.uniform(20, 120) * 1000)
            pts.append((lon, lat))
        lines.append(shapely.LineString(pts))
    return np.array(lines, dtype=object)


@pytest.mark.parametrize("which", ["lines", "countries"])
@pytest.mark.parametrize("r", [500, 5500])
def test_pieces_left_out_as_covered_lie_inside_the_buffer(which, r, monkeypatch):
    # a join whose arc, or an edge whose offset curve, other vertices' discs cover is left
    # out: every point of that curve (sampled densely, not only the ends the test uses)
    # must be strictly within r
    import geoinf.buffer_pieces as pieces
    from geoinf.offset_curves import curve_points
    seen = {}

    def spy(name):
        real = getattr(pieces, name)

        def run(parts, cover, curves, near, *args):
            out = real(parts, cover, curves, near, *args)
            seen[name] = (parts, curves, near, out)
            return out
        monkeypatch.setattr(pieces, name, run)

    spy("_covered_joins")
    spy("_covered_offsets")
    if which == "lines":
        geoms = _winding_lines(11)
    else:
        countries = geoinf.load_countries()
        geoms = np.asarray(countries.geometry[countries.iso_a3.isin(["ARG", "NOR", "GRC"])].values,
                           dtype=object)
    geoinf.geodesic_buffer(geoms, r)
    for name, (parts, curves, near, covered) in seen.items():
        assert covered.sum() > 10, name  # the test says something
        some = np.random.default_rng(0).permutation(np.flatnonzero(covered))[:300]
        k = np.repeat(some, 64)
        u = np.tile(np.linspace(0, 1, 64), some.size)
        lon, lat = curve_points(curves, k, u)
        # joins are given by their vertex, offset curves by their edge
        owner = (parts.vertex_owner[near[k]] if name == "_covered_joins"
                 else parts.edge_owner[near[k]])
        for i in np.unique(owner):
            d = geoinf.distance_to_km(geoms[i], lon[owner == i], lat[owner == i])
            assert (d < r).all(), name


def test_self_touching_line():
    _check(shapely.LineString([(0, 0), (10, 0), (10, 10), (5, 0), (0, 5)]), 300)


def test_belarus_at_5500_km_contains_the_pole():
    countries = geoinf.load_countries()
    belarus = countries.geometry[countries.iso_a3 == "BLR"].values[0]
    buf = _check(belarus, 5500, grid=False)
    assert buf.contains(shapely.Point(0, 89.99))


def test_tiny_buffer_of_a_short_line():
    _check(shapely.LineString([(10, 50), (10.01, 50.003)]), 0.1, tol=0.01, grid=False)


def test_point_buffer_is_the_disc():
    buf = geoinf.geodesic_buffer([shapely.Point(24.41, 44.08), shapely.Point(177.5, 64.7)], 1000)
    discs = geoinf.disc_polygons([24.41, 177.5], [44.08, 64.7], 1000)
    assert all(shapely.equals_exact(buf, discs, tolerance=0))


def test_degenerate_input():
    repeated = shapely.LineString([(0, 0), (0, 0), (5, 0), (5, 0)])
    zero = shapely.LineString([(3, 3), (3, 3)])
    empty = shapely.LineString()
    out = geoinf.geodesic_buffer([repeated, zero, empty], 100)
    assert out[0].equals(geoinf.geodesic_buffer(shapely.LineString([(0, 0), (5, 0)]), 100)[0])
    assert out[1].equals(geoinf.disc_polygons(3, 3, 100)[0])
    assert out[2].is_empty and out[2].geom_type == "Polygon"
    with pytest.raises(InputError, match="not a shapely geometry"):
        geoinf.geodesic_buffer([None], 100)
    with pytest.raises(InputError, match="outside"):
        geoinf.geodesic_buffer(shapely.LineString([(0, 0), (200, 0)]), 100)
    with pytest.raises(InputError, match="largest buffer of an edge"):
        geoinf.geodesic_buffer(shapely.LineString([(0, 0), (5, 0)]), 15000)
    with pytest.raises(InputError, match="not a valid polygon"):
        geoinf.geodesic_buffer(shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]), 100)


@settings(max_examples=8, deadline=None)
@given(lon=st.floats(-180, 180), lat=st.floats(-75, 75), az=st.floats(0, 360),
       length=st.floats(10, 2000), turn=st.floats(-170, 170),
       r=st.sampled_from([100.0, 1000.0, 3000.0]))
def test_random_polylines(lon, lat, az, length, turn, r):
    lon2, lat2, back = WGS84.fwd(lon, lat, az, length * 1000)
    lon3, lat3, _ = WGS84.fwd(lon2, lat2, back + 180 + turn, length * 500)
    _check(shapely.LineString([(lon, lat), (lon2, lat2), (lon3, lat3)]), r, grid=False)


def test_gap_holes_inside_are_dropped_and_outside_kept():
    # the gap filler drops a hole of the union whose interior is within r of the geometry
    # (and unions a part that lay in it), and keeps a hole farther than r away
    from geoinf.buffers import _drop_inner_holes
    line = shapely.LineString([(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5)])
    parts = geoinf.geometry_parts.geometry_parts([line])
    near = [(-2, -2), (2, -2), (2, 2), (-2, 2)]  # around the line: inside a 500 km buffer
    far = [(30, -2), (34, -2), (34, 2), (30, 2)]  # about 3,000 km away
    shell = [(-40, -20), (40, -20), (40, 20), (-40, 20)]
    island = shapely.Polygon([(-1, -1), (1, -1), (1, 1), (-1, 1)])
    buf = shapely.MultiPolygon([shapely.Polygon(shell, [near[::-1], far[::-1]]), island])
    out = _drop_inner_holes(np.array([buf], dtype=object), np.array([0]), parts,
                            np.array([500.0]), TOL, "pyproj")[0]
    assert out.is_valid and out.geom_type == "Polygon"
    assert shapely.is_ccw(out.exterior) and len(out.interiors) == 1
    assert out.equals(shapely.Polygon(shell, [far[::-1]]))
