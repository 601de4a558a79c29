"""A seeded, smaller run of scripts/check_globe.py: every kind of defect must be zero."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "check_globe.py"


@pytest.fixture(scope="module")
def check_globe():
    spec = importlib.util.spec_from_file_location("check_globe", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_globe_sweep_has_no_defects(check_globe):
    totals = check_globe.sweep(2000, seed=12345, points=20, quiet=True)
    assert totals["discs"] == 2000 and totals["bands"] == 400
    defects = {k: v for k, v in totals.items() if k not in ("discs", "bands", "seconds") and v}
    assert defects == {}


def test_sweep_counts_defects_when_there_are_some(check_globe):
    """The checker itself must be able to fail: feed it the naive lon/lat polygon."""
    import numpy as np
    import shapely

    from geoinf.geodesic import ring_vertices

    v = ring_vertices(24.41, 44.08, 5500)[0]  # written straight into a lon/lat polygon
    naive = np.array([shapely.Polygon(v)], dtype=object)
    rng = np.random.default_rng(0)
    lon, lat, r = np.array([24.41]), np.array([44.08]), np.array([5500.0])
    assert check_globe.pole_defects(naive, lon, lat, r) + \
        check_globe.membership_defects(naive, lon, lat, r, 200, rng)[0] > 0
