"""Sampling of a buffer's curves: the compiled sampler against pyproj's direct problem."""

from __future__ import annotations

import numpy as np
import pytest

from geoinf.constants import WGS84
from geoinf.engine import compiled_kernels
from geoinf.offset_curves import Curves, curve_points, sample_curves

needs_numba = pytest.mark.skipif(compiled_kernels() is None, reason="numba not installed")


def _curves(n=120, seed=1):
    """Random arcs, offset curves and rays, from 1 km to 8,000 km, near the poles too."""
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-180, 180, n), rng.uniform(-89.5, 89.5, n)
    kind = np.arange(n) % 3  # 0 arc, 1 offset curve, 2 ray
    r = rng.uniform(1e3, 8e6, n)
    z = np.zeros(n)
    s1 = np.where(kind == 1, rng.uniform(1e3, 1e6, n), 0.0)
    side = np.where(rng.uniform(size=n) < 0.5, 90.0, -90.0)
    phi0 = np.where(kind == 1, side, 0.0)
    phi1 = np.where(kind == 1, side, np.where(kind == 0, -rng.uniform(1, 180, n), 0.0))
    return Curves(lon, lat, rng.uniform(-180, 360, n), z, s1, phi0, phi1,
                  np.where(kind == 2, 0.0, r), r, np.full(n, 3, dtype=np.intp))


@needs_numba
def test_compiled_curve_points_match_pyproj():
    c = _curves()
    rng = np.random.default_rng(2)
    k, u = rng.integers(0, c.lon.size, 3000), rng.uniform(0, 1, 3000)
    ref = curve_points(c, k, u)
    got = curve_points(c, k, u, engine="numba")
    _, _, d = WGS84.inv(ref[0], ref[1], got[0], got[1])
    assert d.max() < 1e-6  # metres


@needs_numba
@pytest.mark.parametrize("tol", [0.1, 2.0])
def test_compiled_samples_refine_the_reference(tol):
    """The compiled miss bounds the exact one from above: where pyproj bisects, so does it.

    So its samples include every sample of the reference (same dyadic parameters),
    and only a few more (the bound is within 1.02 % of the exact distance).
    """
    c = _curves()
    xy, off = sample_curves(c, tol, engine="numba")
    ref_xy, ref_off = sample_curves(c, tol)
    assert np.diff(off).sum() <= 1.05 * np.diff(ref_off).sum()
    for k in range(c.lon.size):
        mine, ref = xy[off[k]:off[k + 1]], ref_xy[ref_off[k]:ref_off[k + 1]]
        assert len(mine) >= len(ref)
        _, _, d = WGS84.inv(np.repeat(ref[:, 0], len(mine)), np.repeat(ref[:, 1], len(mine)),
                            np.tile(mine[:, 0], len(ref)), np.tile(mine[:, 1], len(ref)))
        assert d.reshape(len(ref), len(mine)).min(axis=1).max() < 1e-6  # metres


@needs_numba
def test_compiled_window_nearest_matches_numpy():
    from geoinf.buffer_pieces import _window_nearest
    from geoinf.engine import compiled_window_nearest
    from geoinf.population_sums import unit_vectors
    rng = np.random.default_rng(3)
    n = 3000
    lon, lat = rng.uniform(-180, 180, n), rng.uniform(-89, 89, n)
    vxyz, owner = unit_vectors(lon, lat), np.sort(rng.integers(0, 40, n))
    near = rng.integers(0, n, 2000)
    ends = unit_vectors((lon[near][:, None] + rng.normal(0, 3, (2000, 2))).ravel(),
                        np.clip(lat[near][:, None] + rng.normal(0, 3, (2000, 2)), -90, 90)
                        .ravel()).reshape(2000, 2, 3)
    for k in (0, 3, 16):
        want = _window_nearest(ends, vxyz, owner, near, k)
        assert (np.abs(want - near) <= k).all() and (owner[want] == owner[near]).all()
        assert (compiled_window_nearest(ends, vxyz, owner, near, k) == want).all()
    # brute force for k = 16: no vertex of the window is nearer both ends
    w = _window_nearest(ends, vxyz, owner, near, 16)
    best = np.minimum(*(np.einsum("ij,ij->i", ends[:, e], vxyz[w]) for e in (0, 1)))
    for j in range(-16, 17):
        idx = np.clip(near + j, 0, n - 1)
        ok = (idx == near + j) & (owner[idx] == owner[near])
        c = np.minimum(*(np.einsum("ij,ij->i", ends[:, e], vxyz[idx]) for e in (0, 1)))
        assert (c[ok] <= best[ok]).all()


def test_cover_nearest_is_the_nearest_vertex_of_its_geometry():
    import shapely

    from geoinf.buffer_pieces import _Cover
    from geoinf.geometry_parts import as_geometries, geometry_parts
    from geoinf.population_sums import unit_vectors
    rng = np.random.default_rng(4)
    lines = [shapely.LineString(np.c_[rng.uniform(-180, 180, 30), rng.uniform(-85, 85, 30)])
             for _ in range(6)]
    parts = geometry_parts(as_geometries(np.array(lines, dtype=object)))
    cover = _Cover.of(parts)
    p = unit_vectors(rng.uniform(-180, 180, 500), rng.uniform(-90, 90, 500))
    owner = rng.integers(0, 6, 500)
    got = cover.nearest(p, owner)
    assert (parts.vertex_owner[got] == owner).all()
    cos = p @ cover.vxyz.T
    cos[parts.vertex_owner[None, :] != owner[:, None]] = -2
    assert np.allclose(cos[np.arange(500), got], cos.max(axis=1), atol=1e-12)
