"""The fast paths of the raster ring sums give what the general paths and brute force give.

No timings here (scripts/bench_exposure.py measures them): one disc per group takes a
short route through the row intervals (no deduplication, annulus difference or union),
lon/lat cell areas come from a per-raster table, and a window's values are checked with
whole-window reductions first, and what is learnt of a file is kept per version of it
(a rewritten file is read afresh). Each is compared with the general route, with pyproj,
with a fresh copy, or with the per-row rule it replaces.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.transform import from_origin
from rasterio.windows import Window

from geoinf import population_sums
from geoinf.constants import WGS84
from geoinf.errors import InputError
from geoinf.raster import MAX_DENSITY_KM2, MAX_POPULATION, cell_area_km2, open_population
from geoinf.raster_crs import raster_grid

DISCS = {  # lon, lat, radius km on a global 0.5 degree grid
    "deveselu-1000": (24.41, 44.08, 1000.0),
    "wraps-antimeridian": (179.9, 0.0, 1500.0),
    "contains-north-pole": (24.41, 44.08, 5500.0),
    "south-pole-centre": (45.0, -90.0, 300.0),
    "south": (-58.4, -34.6, 2500.0),
    "both-poles": (24.4, 44.1, 15000.0),
    "smaller-than-a-cell": (10.1, 50.1, 5.0),
}


def _grid(west=-180.0, north=90.0, step=0.5, shape=(360, 720), south_up=False):
    t = Affine(step, 0, west, 0, step, -north) if south_up else \
        from_origin(west, north, step, step)
    return raster_grid(CRS.from_epsg(4326), t, shape), t


def _annuli(discs):
    lon, lat, r = np.array(discs, dtype=float).T
    return pd.DataFrame({"lon": lon, "lat": lat, "inner_km": 0.0, "outer_km": r})


def _cells(runs):
    """The set of (group, row, column) cells of runs."""
    g, row, start, stop = runs
    return {(int(a), int(b), c) for a, b, s, e in zip(g, row, start, stop, strict=True)
            for c in range(int(s), int(e))}


@pytest.mark.parametrize("south_up", [False, True], ids=["north-up", "south-up"])
@pytest.mark.parametrize("engine", ["pyproj", "auto"])
def test_one_disc_per_group_equals_the_general_path(south_up, engine):
    grid, _ = _grid(south_up=south_up)
    for name, disc in DISCS.items():
        annuli = _annuli([disc])
        fast = population_sums._group_runs(annuli, [np.array([0])], grid, 720, engine)
        # the same disc twice in the group: the general route (dedup, difference, union)
        general = population_sums._group_runs(annuli, [np.array([0, 0])], grid, 720, engine)
        for a, b in zip(fast, general, strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b), name


@pytest.mark.parametrize("engine", ["pyproj", "auto"])
def test_several_discs_equal_the_general_path_and_brute_force(engine):
    grid, t = _grid()
    discs = list(DISCS.values())[:5]
    annuli = _annuli(discs)
    members = [np.array([i]) for i in range(len(discs))]
    fast = population_sums._group_runs(annuli, members, grid, 720, engine)
    general = population_sums._group_runs(annuli, [np.array([i, i]) for i in range(len(discs))],
                                          grid, 720, engine)
    for a, b in zip(fast, general, strict=True):
        assert np.array_equal(a, b)
    lon = t.c + (np.arange(720) + 0.5) * t.a
    lat = t.f + (np.arange(360) + 0.5) * t.e
    glon, glat = (x.ravel() for x in np.meshgrid(lon, lat))
    want = set()
    for g, (lon0, lat0, r) in enumerate(discs):  # the cell-centre rule, cell by cell
        _, _, s = WGS84.inv(np.full(glon.size, lon0), np.full(glon.size, lat0), glon, glat)
        row, col = np.divmod(np.flatnonzero(np.asarray(s) <= r * 1000.0), 720)
        want |= {(g, int(a), int(b)) for a, b in zip(row, col, strict=True)}
    assert _cells(fast) == want


def test_repeated_or_banded_groups_still_take_the_general_path():
    grid, _ = _grid()
    annuli = _annuli([DISCS["deveselu-1000"], DISCS["deveselu-1000"]])
    runs = population_sums._group_runs(annuli, [np.array([0]), np.array([1])], grid, 720,
                                       "pyproj")
    one = population_sums._group_runs(annuli.iloc[:1], [np.array([0])], grid, 720, "pyproj")
    cells = _cells(runs)
    assert {c[1:] for c in cells if c[0] == 0} == {c[1:] for c in cells if c[0] == 1} \
        == {c[1:] for c in _cells(one)}
    band = annuli.iloc[:1].assign(inner_km=400.0)
    ring = _cells(population_sums._group_runs(band, [np.array([0])], grid, 720, "pyproj"))
    inner = _cells(population_sums._group_runs(band.assign(outer_km=400.0, inner_km=0.0),
                                               [np.array([0])], grid, 720, "pyproj"))
    assert ring == _cells(one) - inner and ring


def _write(path, values, transform, crs="EPSG:4326", **kw):
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1],
                       height=values.shape[0], count=1, dtype=values.dtype, crs=crs,
                       transform=transform, **kw) as dst:
        dst.write(values, 1)
    return path


@pytest.mark.parametrize("south_up", [False, True], ids=["north-up", "south-up"])
def test_lonlat_cell_areas_are_the_exact_formula_per_window(tmp_path, south_up):
    t = Affine(0.25, 0, 10.0, 0, 0.25, -80.0) if south_up else from_origin(10.0, 80.0, 0.25, 0.25)
    path = _write(tmp_path / "a.tif", np.ones((40, 8), np.float32), t)
    with open_population(path) as pop:
        for win in (Window(0, 0, 8, 40), Window(2, 5, 3, 7), Window(0, 39, 8, 1)):
            edge = t.f + t.e * np.arange(win.row_off, win.row_off + win.height)
            want = cell_area_km2(edge + t.e, edge, 0.25)[:, None]
            assert np.array_equal(pop.cell_area_km2(win), want)


def test_window_check_refuses_a_cell_over_its_own_rows_bound(tmp_path):
    # 0.05 degree cells from 85 N to the equator: the polar rows hold less area, so their
    # bound (MAX_DENSITY_KM2 x area) is below the equatorial rows' bound
    t = from_origin(0.0, 85.0, 0.05, 0.05)
    edge = 85.0 - 0.05 * np.arange(1700)
    area = cell_area_km2(edge - 0.05, edge, 0.05)
    values = np.zeros((1700, 4), np.float32)
    between = float(np.float32((area[0] + area[-1]) / 2 * MAX_DENSITY_KM2))
    assert area[0] * MAX_DENSITY_KM2 < between < min(area[-1] * MAX_DENSITY_KM2, MAX_POPULATION)
    values[-1, 1] = between  # allowed on the equator's row
    good = _write(tmp_path / "good.tif", values, t)
    with open_population(good) as pop:
        assert float(pop.read().sum(dtype=np.float64)) == between
    values[0, 2] = between  # too many people for a polar cell
    bad = _write(tmp_path / "bad.tif", values, t)
    with open_population(bad) as pop, pytest.raises(InputError, match="1 cell holds"):
        pop.read()
    for v in (np.nan, -1.0):
        values[:] = 0
        values[3, 3] = v
        with open_population(_write(tmp_path / "v.tif", values, t)) as pop, \
                pytest.raises(InputError, match="1 cell holds"):
            pop.read(stored=True)


def _write_tiled(path, values, transform, crs="EPSG:4326", tiles=None):
    """A tiled GeoTIFF; with ``tiles`` only those (row block, column block) are written."""
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0],
                       count=1, dtype="float32", crs=crs, transform=transform, tiled=True,
                       blockxsize=64, blockysize=64, sparse_ok=tiles is not None) as dst:
        if tiles is None:
            dst.write(values, 1)
        for rb, cb in tiles or ():
            win = Window(cb * 64, rb * 64, 64, 64)
            dst.write(values[rb * 64:(rb + 1) * 64, cb * 64:(cb + 1) * 64], 1, window=win)


def _disc_sum(path, lon=10.0, lat=50.0, km=2500.0):
    ann = pd.DataFrame({"lon": [lon], "lat": [lat], "inner_km": 0.0, "outer_km": [km]})
    return float(population_sums.raster_sums(ann, [np.array([0])], path, "count", False)[0])


def test_a_rewritten_file_is_read_afresh(tmp_path):
    """What is kept of a file (grid, written tiles, bounds) is dropped when it changes."""
    rng = np.random.default_rng(4)
    values = rng.gamma(0.5, 100.0, (256, 512)).astype(np.float32)
    path, fresh = tmp_path / "layer.tif", tmp_path / "fresh.tif"
    _write_tiled(path, values, from_origin(-20.0, 80.0, 0.25, 0.25), tiles=[(1, 2)])  # 1 tile
    first = _disc_sum(path)
    np.testing.assert_allclose(first, values[64:128, 128:192].sum(dtype=np.float64), rtol=1e-9)
    for transform, tiles in ((from_origin(-20.0, 80.0, 0.25, 0.25), None),  # all tiles now
                             (from_origin(0.0, 70.0, 0.125, 0.125), [(0, 1), (3, 6)])):
        _write_tiled(path, values, transform, tiles=tiles)
        _write_tiled(fresh, values, transform, tiles=tiles)
        got = _disc_sum(path)
        np.testing.assert_allclose(got, _disc_sum(fresh), rtol=1e-12)
        assert got != first
        fresh.unlink()
