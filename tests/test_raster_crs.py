"""Rasters in their own CRS: sums by the cell-centre rule against a pyproj brute force."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
from pyproj import Geod
from rasterio.transform import from_origin

from geoinf import InputError
from geoinf.cli import main
from geoinf.mapframes import population_image
from geoinf.population_sums import raster_sums
from geoinf.raster import PopulationRaster, open_population

GEOD = Geod(ellps="WGS84")
ENGINES = ["pyproj", "auto"]

# CRS -> (geotransform, shape): small synthetic rasters (cells 10-50 km) made by the tests
RASTERS = {
    "mollweide": ("ESRI:54009", from_origin(-18.1e6, 9.1e6, 50e3, 50e3), (364, 724)),
    "sinusoidal": ("ESRI:54008", from_origin(-20.1e6, 10.1e6, 50e3, 50e3), (404, 804)),
    "ease-grid-2": ("EPSG:6933", from_origin(-17367530, 7314540, 40e3, 40e3), (366, 869)),
    "laea-europe": ("EPSG:3035", from_origin(-2e6, 1.2e7, 50e3, 50e3), (320, 260)),
    "utm-33n": ("EPSG:32633", from_origin(-5e5, 8e6, 10e3, 10e3), (200, 200)),
    "utm-33s": ("EPSG:32733", from_origin(-5e5, 8e6, 10e3, 10e3), (200, 200)),
}
# (lon, lat, inner_km, outer_km): across ±180, around each pole, in the south, an annulus
DISCS = {
    "antimeridian": (179.0, 10.0, 0.0, 2000.0),
    "north-pole": (30.0, 80.0, 0.0, 2500.0),
    "south-annulus": (150.0, -35.0, 500.0, 3000.0),
    "south-pole": (-60.0, -75.0, 0.0, 1800.0),
    "europe-annulus": (15.0, 50.0, 300.0, 900.0),
    "utm-south": (15.0, -20.0, 0.0, 600.0),
    "small": (18.0, 45.0, 0.0, 400.0),
}


def _write(path, data, transform, crs, **profile):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=data.dtype, crs=crs, transform=transform, tiled=True,
                       blockxsize=64, blockysize=64, **profile) as dst:
        dst.write(data, 1)
    return path


def _brute(data, transform, crs, lon0, lat0, inner, outer):
    """Every cell centre through pyproj, decided by Geod.inv (off the domain: no place)."""
    h, w = data.shape
    cols, rows = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    x, y = (transform.c + transform.a * cols).ravel(), (transform.f + transform.e * rows).ravel()
    lon, lat = (np.asarray(v) for v in pyproj.Transformer.from_crs(
        crs, "EPSG:4326", always_xy=True).transform(x, y))
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90)
    xb, yb = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        np.where(ok, lon, 0), np.where(ok, lat, 0))
    ok &= (np.abs(np.asarray(xb) - x) <= 1e-3 * abs(transform.a)) & \
        (np.abs(np.asarray(yb) - y) <= 1e-3 * abs(transform.e))
    d = np.full(lon.size, np.inf)
    d[ok] = np.asarray(GEOD.inv(np.full(ok.sum(), lon0), np.full(ok.sum(), lat0), lon[ok],
                                lat[ok])[2]) / 1000.0
    inside = ((d > inner) | (inner == 0)) & (d <= outer)
    return float(data.ravel()[inside].sum())


def _annuli(*discs):
    return pd.DataFrame(list(discs), columns=["lon", "lat", "inner_km", "outer_km"])


@pytest.fixture(scope="module")
def rasters(tmp_path_factory):
    rng = np.random.default_rng(16)
    out = {}
    for name, (crs, transform, shape) in RASTERS.items():
        data = rng.gamma(0.5, 100.0, shape)
        path = _write(tmp_path_factory.mktemp(name) / f"{name}.tif", data, transform, crs)
        out[name] = (path, data, transform, crs)
    return out


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("disc", list(DISCS), ids=list(DISCS))
@pytest.mark.parametrize("name", list(RASTERS), ids=list(RASTERS))
def test_sums_equal_brute_force(rasters, name, disc, engine):
    path, data, transform, crs = rasters[name]
    want = _brute(data, transform, crs, *DISCS[disc])
    got = raster_sums(_annuli(DISCS[disc]), [np.array([0])], path, "count", False,
                      engine=engine)[0]
    assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_rows_are_parallels_where_the_projection_says_so(rasters):
    kinds = {}
    for name, (path, *_) in rasters.items():
        with open_population(path) as pop:
            kinds[name] = pop.grid.kind
    assert kinds == {"mollweide": "parallels", "sinusoidal": "parallels",
                     "ease-grid-2": "parallels", "laea-europe": "cells", "utm-33n": "cells",
                     "utm-33s": "cells"}


@pytest.mark.parametrize("name", ["mollweide", "laea-europe"])
def test_unions_and_countries_equal_brute_force(rasters, name):
    # Two sites unioned (each cell once) and split by country: the parts add up.
    path, data, transform, crs = rasters[name]
    discs = [DISCS["europe-annulus"], DISCS["small"]]
    apart = _brute(data, transform, crs, *discs[0]) + _brute(data, transform, crs, *discs[1])
    got = raster_sums(_annuli(*discs), [np.array([0, 1])], path, "count", False)[0]
    # the annulus 300-900 km from (15, 50) and the disc of 400 km around (18, 45) overlap
    h, w = data.shape
    cols, rows = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    lon, lat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(
        (transform.c + transform.a * cols).ravel(), (transform.f + transform.e * rows).ravel())
    n = lon.size
    d1 = GEOD.inv(np.full(n, 15.0), np.full(n, 50.0), lon, lat)[2] / 1000
    d2 = GEOD.inv(np.full(n, 18.0), np.full(n, 45.0), lon, lat)[2] / 1000
    union = float(data.ravel()[((d1 > 300) & (d1 <= 900)) | (d2 <= 400)].sum())
    assert got == pytest.approx(union, rel=1e-9) and got < apart
    split = raster_sums(_annuli(*discs), [np.array([0, 1])], path, "count", True)
    assert split["population"].sum() == pytest.approx(union, rel=1e-9)
    # Czechia lies inside the annulus' hole (within 300 km of 15 E, 50 N) and beyond 400
    # km of (18 E, 45 N)
    assert {"DEU", "AUT", "HUN", "POL", "ITA"} <= set(split["iso_a3"])
    assert "CZE" not in set(split["iso_a3"])


def test_density_raster_in_an_equal_area_projection(tmp_path, rasters):
    # people per km² x cell area (areal scale 1 in Mollweide) = the count raster's people
    path, data, transform, crs = rasters["mollweide"]
    dens = _write(tmp_path / "dens.tif", data / (abs(transform.a * transform.e) / 1e6),
                  transform, crs)
    disc = DISCS["europe-annulus"]
    want = raster_sums(_annuli(disc), [np.array([0])], path, "count", False)[0]
    got = raster_sums(_annuli(disc), [np.array([0])], dens, "density", False)[0]
    assert got == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("layout", ["0-360", "south-up"])
def test_lonlat_grids_0_360_and_south_up(tmp_path, layout):
    rng = np.random.default_rng(3)
    data = rng.gamma(0.5, 100.0, (180, 360))
    if layout == "0-360":
        transform = from_origin(0.0, 90.0, 1.0, 1.0)
        lon = 0.5 + np.arange(360)
        lat = 89.5 - np.arange(180)
    else:
        transform = rasterio.Affine(1.0, 0, -180.0, 0, 1.0, -90.0)
        lon = -179.5 + np.arange(360)
        lat = -89.5 + np.arange(180)
    path = _write(tmp_path / f"{layout}.tif", data, transform, "EPSG:4326")
    lon, lat = np.meshgrid(lon, lat)
    for disc in (DISCS["antimeridian"], DISCS["south-pole"], DISCS["europe-annulus"]):
        d = GEOD.inv(np.full(lon.size, disc[0]), np.full(lon.size, disc[1]), lon.ravel(),
                     lat.ravel())[2] / 1000
        want = data.ravel()[((d > disc[2]) | (disc[2] == 0)) & (d <= disc[3])].sum()
        got = raster_sums(_annuli(disc), [np.array([0])], path, "count", False)[0]
        assert got == pytest.approx(want, rel=1e-9)


def test_many_overlapping_groups_equal_brute_force(rasters):
    # 12 groups over nearly the same cells (their runs cover each window many times over,
    # so the window's prefix sums are used), and one group alone (runs summed directly)
    path, data, transform, crs = rasters["mollweide"]
    discs = [(15.0 + k / 10, 50.0, 0.0, 1500.0 + 10 * k) for k in range(12)]
    want = [_brute(data, transform, crs, *d) for d in discs]
    many = raster_sums(_annuli(*discs), [np.array([k]) for k in range(12)], path, "count",
                       False)
    alone = raster_sums(_annuli(discs[3]), [np.array([0])], path, "count", False)
    np.testing.assert_allclose(many, want, rtol=1e-9)
    assert alone[0] == pytest.approx(want[3], rel=1e-9)


def test_reads_only_the_tiles_a_disc_touches(monkeypatch):
    # The embedded grid is 7,200 columns wide in 256 x 256 tiles: a 1,000 km disc around
    # Deveselu reads windows of whole tiles around the disc, never full-width strips.
    seen = []
    read = PopulationRaster.read

    def spy(self, window=None, **kw):
        seen.append(window)
        return read(self, window, **kw)
    monkeypatch.setattr(PopulationRaster, "read", spy)
    raster_sums(_annuli((24.41, 44.08, 0.0, 1000.0)), [np.array([0])], None, "count", False)
    assert seen and all(w is not None and w.width < 7200 / 4 for w in seen)
    cells = sum(w.width * w.height for w in seen)
    # the disc's bounding box is ~26° x 18° (520 x 360 cells): at most one tile around it
    assert cells <= (520 + 2 * 256) * (360 + 2 * 256)


_MEMORY_PROBE = textwrap.dedent("""
    import json, sys
    import numpy as np, pandas as pd
    from geoinf.population_sums import raster_sums

    def peak_mib():  # this process's own high-water mark (ru_maxrss survives exec)
        with open("/proc/self/status") as f:
            return next(int(x.split()[1]) for x in f if x.startswith("VmHWM")) / 1024

    before = peak_mib()
    ann = pd.DataFrame({"lon": [62.71], "lat": [56.85], "inner_km": [0.0],
                        "outer_km": [5500.0]})
    got = raster_sums(ann, [np.array([0])], sys.argv[1], "count", False)[0]
    print(json.dumps({"sum": got, "before_mib": before, "rise_mib": peak_mib() - before}))
""")


def test_memory_is_bounded_on_a_large_sparse_raster(tmp_path):
    # A global 30" raster (933 M cells, 3.7 GB as float32) with one tile written: the
    # 5,500 km Kamyshlov disc reads that tile only, well under 1 GB (the old full-width
    # strips peaked at 2.06 GB).
    path = tmp_path / "sparse.tif"
    with rasterio.open(path, "w", driver="GTiff", width=43200, height=21600, count=1,
                       dtype="float32", crs="EPSG:4326", transform=from_origin(
                           -180, 90, 1 / 120, 1 / 120), tiled=True, blockxsize=512,
                       blockysize=512, sparse_ok=True, nodata=0) as dst:
        dst.write(np.full((512, 512), 2.0, np.float32), 1,
                  window=rasterio.windows.Window(57 * 512, 8 * 512, 512, 512))
    res = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(path)], capture_output=True,
                         text=True, check=True, env=dict(os.environ))
    out = json.loads(res.stdout)
    # the tile at columns 29184-29695, rows 4096-4607: 63.2-67.5 E, 51.6-55.9 N, in range
    assert out["sum"] == 2.0 * 512 * 512
    assert out["before_mib"] < 1024 and out["rise_mib"] < 400


def test_no_crs_is_one_clear_error(tmp_path, runner):
    path = _write(tmp_path / "nocrs.tif", np.ones((4, 4)), from_origin(0, 4, 1, 1), None)
    with pytest.raises(InputError) as err:
        open_population(path)
    msg = str(err.value)
    assert "\n" not in msg and "nocrs.tif" in msg and "no CRS" in msg
    assert "gdalwarp" not in msg
    res = runner.invoke(main, ["exposure", "--scenario", "kaliningrad", "--raster", str(path)])
    assert res.exit_code == 2 and res.output.count("Error:") == 1 and "no CRS" in res.output


def test_projected_rasters_are_never_sent_to_gdalwarp(rasters, runner, tmp_path):
    path = rasters["laea-europe"][0]
    out = tmp_path / "out.csv"
    res = runner.invoke(main, ["exposure", "--scenario", "kaliningrad", "--raster", str(path),
                               "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "gdalwarp" not in res.output and out.exists()


@pytest.mark.parametrize("layout", ["0-360", "south-up", "mollweide"])
def test_population_image_of_any_layout(tmp_path, rasters, layout):
    # Two populated cells, near Bucharest and near Lisbon (west of 0°, so at 350.9° on a
    # 0-360° grid): both land where they are on the Web Mercator overlay, whatever the
    # raster's layout, and nothing else is drawn.
    towns = [(26.1, 44.4), (-9.1, 38.7)]
    if layout == "mollweide":
        _, _, transform, crs = rasters["mollweide"]
        data = np.zeros(RASTERS["mollweide"][2])
        fwd = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        for lon, lat in towns:
            x, y = fwd.transform(lon, lat)
            data[int((y - transform.f) / transform.e), int((x - transform.c) / transform.a)] = 1e5
    else:
        crs = "EPSG:4326"
        data = np.zeros((180, 360))
        if layout == "0-360":
            transform = from_origin(0.0, 90.0, 1.0, 1.0)
        else:
            transform = rasterio.Affine(1.0, 0, -180.0, 0, 1.0, -90.0)
        for lon, lat in towns:
            col = int(((lon - transform.c) % 360) / transform.a)
            data[int((lat - transform.f) / transform.e), col] = 1e5
    path = _write(tmp_path / f"{layout}.tif", data, transform, crs)
    image = population_image((-20.0, 30.0, 40.0, 60.0), path=path, width=240)
    dens = image["density"]
    assert np.isfinite(dens).all()
    merc = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    x0, y0 = merc.transform(-20.0, 30.0)
    x1, y1 = merc.transform(40.0, 60.0)
    seen = np.zeros(dens.shape, bool)
    for lon, lat in towns:
        x, y = merc.transform(lon, lat)
        col = int((x - x0) / (x1 - x0) * dens.shape[1])
        row = int((y1 - y) / (y1 - y0) * dens.shape[0])
        near = (slice(max(row - 8, 0), row + 9), slice(max(col - 8, 0), col + 9))
        assert dens[near].max() > 0, (lon, lat)
        seen[near] = True
    assert dens[~seen].max() == 0
