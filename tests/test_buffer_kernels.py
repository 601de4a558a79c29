"""The point x edge search of distances to lines and areas: blocks, compiled kernel, reference."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

import geoinf
from geoinf.constants import WGS84
from geoinf.engine import compiled_kernels
from geoinf.geometry_distance import parts_distance_km
from geoinf.geometry_parts import geometry_parts

needs_numba = pytest.mark.skipif(compiled_kernels() is None, reason="numba not installed")


def _geometries():
    rng = np.random.default_rng(5)
    lines = []
    for lon0 in (-179.5, 179.5, 0.0):  # start on either side of ±180° and far from it
        lon, lat = [lon0], [rng.uniform(-60, 60)]
        az = rng.uniform(0, 360)
        for _ in range(40):  # 41 vertices: more than one block of edges
            az += rng.uniform(-40, 40)
            x, y, _ = WGS84.fwd(lon[-1], lat[-1], az, 60_000.0)
            lon.append(x)
            lat.append(y)
        lines.append(shapely.LineString(zip(lon, lat, strict=True)))
    ring = [(float(x), 88.5) for x in np.linspace(-180, 180, 200)] + [(180, 90), (-180, 90)]
    countries = geoinf.load_countries()
    russia = countries.geometry[countries.iso_a3 == "RUS"].values[0]  # ±180° and the Arctic
    return np.array([*lines, shapely.Polygon(ring), russia,
                     shapely.LineString([(0, 89.9), (90, 89.9), (180, 89.9)]),
                     shapely.MultiPoint([(179.9, -10), (-179.9, 10)])], dtype=object)


def _points(n, rng):
    lon = rng.uniform(-180, 180, n)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lon[: n // 4] = rng.choice([-180.0, 180.0, 179.99, -179.99], n // 4)
    lat[n // 4: n // 2] = rng.uniform(85, 90, n // 2 - n // 4)
    return lon, lat


def _brute_km(parts, owner, lon, lat):
    """Exact distance to every edge of the owner (no pruning), as the reference solves it."""
    from geoinf.segment_distance import segment_distance_km

    out = np.full(lon.size, np.inf)
    a = np.r_[parts.edge_a, np.flatnonzero(parts.isolated)]
    b = np.r_[parts.edge_b, np.flatnonzero(parts.isolated)]
    e_owner = np.r_[parts.edge_owner, parts.vertex_owner[np.flatnonzero(parts.isolated)]]
    for i in range(lon.size):
        e = np.flatnonzero(e_owner == owner[i])
        d = segment_distance_km(np.full(e.size, lon[i]), np.full(e.size, lat[i]),
                                parts.lon[a[e]], parts.lat[a[e]], parts.lon[b[e]],
                                parts.lat[b[e]])
        out[i] = d.min()
    return out


def test_block_search_finds_the_nearest_edge():
    geoms = _geometries()
    parts = geometry_parts(geoms)
    rng = np.random.default_rng(11)
    owner = np.repeat(np.arange(geoms.size), 12)
    lon, lat = _points(owner.size, rng)
    got = parts_distance_km(parts, owner, lon, lat, engine="pyproj")
    brute = _brute_km(parts, owner, lon, lat)
    inside = got == 0.0
    assert np.array_equal(got[~inside], brute[~inside])


@needs_numba
@pytest.mark.parametrize("upper_only", [False, True])
def test_compiled_search_matches_the_reference(upper_only):
    geoms = _geometries()
    parts = geometry_parts(geoms)
    rng = np.random.default_rng(7)
    owner = np.repeat(np.arange(geoms.size), 300)
    lon, lat = _points(owner.size, rng)
    ref = parts_distance_km(parts, owner, lon, lat, engine="pyproj", upper_only=upper_only)
    got = parts_distance_km(parts, owner, lon, lat, engine="numba", upper_only=upper_only)
    assert np.allclose(got, ref, rtol=0, atol=1e-6)  # km: the inverse engines differ by < 1 µm


@pytest.mark.parametrize("engine", ["pyproj", pytest.param("numba", marks=needs_numba)])
def test_upper_bound_is_never_below_the_distance(engine):
    geoms = _geometries()
    parts = geometry_parts(geoms)
    rng = np.random.default_rng(9)
    owner = np.repeat(np.arange(geoms.size), 200)
    lon, lat = _points(owner.size, rng)
    exact = parts_distance_km(parts, owner, lon, lat, engine=engine)
    upper = parts_distance_km(parts, owner, lon, lat, engine=engine, upper_only=True)
    assert (upper >= exact - 1e-9).all()
