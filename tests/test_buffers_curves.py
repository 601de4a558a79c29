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
