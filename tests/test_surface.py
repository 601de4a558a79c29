"""Exposure surfaces: every candidate's people against a pyproj brute force on every cell."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import shapely
from pyproj import Geod
from rasterio.transform import from_origin

pytest.importorskip("xarray")
pytest.importorskip("rioxarray")

from geoinf import InputError, distance_to_km, exposure_table  # noqa: E402
from geoinf.launch_areas import area_exposure  # noqa: E402
from geoinf.surface import candidate_grid, exposure_surface  # noqa: E402
from geoinf.treaty import band_label  # noqa: E402

GEOD = Geod(ellps="WGS84")
ENGINES = ["pyproj", "auto"]


def _write(path, data, transform, crs="EPSG:4326"):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=data.dtype, crs=crs, transform=transform, tiled=True,
                       blockxsize=64, blockysize=64) as dst:
        dst.write(data, 1)
    return path


def brute(data, transform, lon0, lat0, inner, outer, crs="EPSG:4326"):
    """People of every cell whose centre is in (inner, outer] km of the site, by Geod.inv."""
    h, w = data.shape
    cols, rows = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    x, y = (transform.c + transform.a * cols).ravel(), (transform.f + transform.e * rows).ravel()
    if crs == "EPSG:4326":
        lon, lat = x, y
    else:
        lon, lat = (np.asarray(v) for v in pyproj.Transformer.from_crs(
            crs, "EPSG:4326", always_xy=True).transform(x, y))
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90)
    if crs != "EPSG:4326":  # off the projection's domain: no place (the round trip moves)
        xb, yb = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
            np.where(ok, lon, 0), np.where(ok, lat, 0))
        ok &= (np.abs(np.asarray(xb) - x) <= 1e-3 * abs(transform.a)) & \
            (np.abs(np.asarray(yb) - y) <= 1e-3 * abs(transform.e))
    d = np.full(lon.size, np.inf)
    d[ok] = np.asarray(GEOD.inv(np.full(ok.sum(), lon0), np.full(ok.sum(), lat0), lon[ok],
                                lat[ok])[2]) / 1000.0
    return float(data.ravel()[((d > inner) | (inner == 0)) & (d <= outer)].sum())


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A global 1° raster (cells centred on half degrees) and its values."""
    data = np.random.default_rng(19).gamma(0.5, 100.0, (180, 360))
    transform = from_origin(-180, 90, 1.0, 1.0)
    return _write(tmp_path_factory.mktemp("w") / "world.tif", data, transform), data, transform


def _check(surface, data, transform, samples, edges, crs="EPSG:4326"):
    bands = list(zip(edges[:-1], edges[1:], strict=True))
    for lat_i, lon_j in samples:
        lon0, lat0 = float(surface.lon[lon_j]), float(surface.lat[lat_i])
        for b, (inner, outer) in enumerate(bands):
            got = float(surface.values[b, lat_i, lon_j] if surface.ndim == 3
                        else surface.values[lat_i, lon_j])
            ref = brute(data, transform, lon0, lat0, inner, outer, crs)
            assert got == pytest.approx(ref, rel=1e-9, abs=1e-6), (lon0, lat0, inner, outer)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("bounds, resolution", [
    ((176, 86, 184, 90), 2.0),       # across ±180°, discs around the North Pole
    ((-10, -90, 10, -84), 2.0),      # around the South Pole
    ((20.3, 40.1, 24.5, 41.5), 0.7),  # spacing not a whole number of columns
], ids=["antimeridian-north-pole", "south-pole", "incommensurate"])
def test_surface_cells_equal_brute_force(world, bounds, resolution, engine):
    path, data, transform = world
    edges = (0, 700, 2500)
    s = exposure_surface(path, 2500, resolution_deg=resolution, bounds=bounds, edges_km=edges,
                         engine=engine)
    assert s.dims == ("band", "lat", "lon")
    ni, nj = s.shape[1:]
    samples = {(0, 0), (ni - 1, nj - 1), (0, nj - 1), (ni // 2, nj // 2)}
    _check(s, data, transform, sorted(samples), edges)


def test_regional_raster_and_disc_over_its_edges(tmp_path):
    """A raster smaller than the discs: cells beyond its edges count nowhere."""
    data = np.random.default_rng(5).gamma(0.5, 100.0, (60, 80))
    transform = from_origin(10, 70, 0.5, 0.5)
    path = _write(tmp_path / "r.tif", data, transform)
    s = exposure_surface(path, 900, resolution_deg=1.5, bounds=(4, 36, 52.0, 75))
    _check(s, data, transform, [(0, 0), (5, 10), (12, 31), (25, 2)], (0, 900))


def test_mollweide_rows_equal_brute_force(tmp_path):
    crs = "ESRI:54009"
    data = np.random.default_rng(7).gamma(0.5, 100.0, (182, 362))
    transform = from_origin(-18.1e6, 9.1e6, 100e3, 100e3)
    path = _write(tmp_path / "moll.tif", data, transform, crs)
    s = exposure_surface(path, 1500, resolution_deg=5, bounds=(170, 60, 190, 90))
    _check(s, data, transform, [(0, 0), (5, 3), (2, 2)], (0, 1500), crs)


def test_equals_exposure_table_on_the_embedded_grid():
    s = exposure_surface(radius_km=600, resolution_deg=0.5, bounds=(20, 44, 21, 45))
    sites = pd.DataFrame({"id": ["a", "b"], "lon": [float(s.lon[0]), float(s.lon[1])],
                          "lat": [float(s.lat[0]), float(s.lat[1])]})
    t = exposure_table(sites, edges_km=(0, 600), layer="raster", by=("site",))
    t = t.set_index("site")["population"]
    assert t["a"] == pytest.approx(float(s.values[0, 0]), abs=0.5)
    assert t["b"] == pytest.approx(float(s.values[1, 1]), abs=0.5)


def test_projected_raster_is_refused(tmp_path):
    data = np.ones((20, 20))
    path = _write(tmp_path / "laea.tif", data, from_origin(4e6, 3e6, 1e4, 1e4), "EPSG:3035")
    with pytest.raises(InputError, match="not parallels of latitude") as err:
        exposure_surface(path, 100, resolution_deg=1, bounds=(10, 50, 11, 51))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("bounds, resolution, match", [
    ((10, 50, 10, 51), 1, "west < east"),
    ((10, 51, 11, 50), 1, "south < north"),
    ((10, 50, 11.3, 51), 0.5, "whole number"),
    ((10, 50, 11, 51), 0, "resolution_deg"),
    ((-180, -90, 180, 90), 0.01, "more than 1,000,000"),
    ((1, 2, 3), 1, "four numbers"),
])
def test_bad_grids_are_one_clear_error(bounds, resolution, match):
    with pytest.raises(InputError, match=match) as err:
        candidate_grid(bounds, resolution)
    assert "\n" not in str(err.value)


def test_too_many_candidates_pass_when_forced():
    assert candidate_grid((-180, -90, 180, 90), 0.1, max_candidates=None).size == 6_480_000


def test_bands_beyond_the_radius_are_left_out(world):
    path = world[0]
    s = exposure_surface(path, 800, resolution_deg=1, bounds=(0, 0, 1, 1),
                         edges_km=(0, 500, 1000, 5500))
    assert list(s.band.values) == [band_label(0, 500), band_label(500, 1000)]
    whole = exposure_surface(path, 800, resolution_deg=1, bounds=(0, 0, 1, 1))
    assert float(s.sum()) == pytest.approx(float(whole.sum()), rel=1e-12)


def test_import_geoinf_does_not_import_dask_or_xarray():
    code = ("import sys, geoinf; print([m for m in ('dask', 'distributed', 'xarray', "
            "'rioxarray') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


# --- launch areas ------------------------------------------------------------------------

AREA = shapely.Polygon([(20, 50), (27, 50), (27, 56), (23, 54), (20, 56)])


def test_area_statistics_equal_brute_force_over_its_positions(world):
    path, data, transform = world
    t = area_exposure(AREA, 900, resolution_deg=1.0, layer=path).iloc[0]
    lon, lat = np.meshgrid(np.arange(20.5, 27), np.arange(55.5, 49, -1))
    inside = shapely.contains_xy(AREA, lon, lat)
    people = [brute(data, transform, x, y, 0, 900) for x, y in zip(lon[inside], lat[inside],
                                                                   strict=True)]
    assert t["positions"] == inside.sum() == len(people)
    assert t["min"] == pytest.approx(min(people), rel=1e-9)
    assert t["max"] == pytest.approx(max(people), rel=1e-9)
    assert t["median"] == pytest.approx(float(np.median(people)), rel=1e-9)
    k = int(np.argmax(people))
    assert (t["max_lon"], t["max_lat"]) == (lon[inside][k], lat[inside][k])
    assert t["resolution_deg"] == 1.0


def test_area_anywhere_equals_brute_force_on_the_buffer(world):
    path, data, transform = world
    t = area_exposure(AREA, 900, resolution_deg=1.0, layer=path).iloc[0]
    cols, rows = np.meshgrid(np.arange(360) + 0.5, np.arange(180) + 0.5)
    lon, lat = transform.c + cols * transform.a, transform.f + rows * transform.e
    near = (np.abs(lat - 53) < 16) & (np.abs(lon - 23) < 40)  # the buffer lies in this box
    d = distance_to_km(AREA, lon[near], lat[near], engine="pyproj")
    ref = float(data[near][d <= 900].sum())
    assert t["anywhere"] == pytest.approx(ref, abs=0.5)  # exposure_table rounds to people
    assert t["anywhere"] >= t["max"] - 0.5


@pytest.mark.parametrize("area, match", [("XXX", "ISO alpha-3"), (42, "expected a shapely"),
                                         (shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]),
                                          "not valid")])
def test_bad_areas_are_one_clear_error(area, match):
    with pytest.raises(InputError, match=match):
        area_exposure(area, 500)


def test_an_area_smaller_than_a_cell_says_so(world):
    tiny = shapely.box(20.1, 50.1, 20.2, 50.2)
    with pytest.raises(InputError, match="finer resolution_deg"):
        area_exposure(tiny, 500, resolution_deg=1.0, layer=world[0])


# --- CLI ---------------------------------------------------------------------------------

def test_cli_writes_the_surface_as_a_geotiff(world, runner, tmp_path):
    from geoinf.cli import main
    out = tmp_path / "s.tif"
    args = ["surface", "--radius-km", "900", "--resolution", "2", "--bounds", "176,80,184,90",
            "--layer", str(world[0]), "-o", str(out)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    api = exposure_surface(world[0], 900, resolution_deg=2, bounds=(176, 80, 184, 90))
    with rasterio.open(out) as src:
        assert src.crs.to_epsg() == 4326 and (src.width, src.height) == (4, 5)
        np.testing.assert_allclose(src.read(1), api.values, rtol=1e-12)
    again = runner.invoke(main, args)
    assert again.exit_code == 2 and "exists" in again.output


@pytest.mark.parametrize("extra, match", [
    (["--bounds", "10,50,10,51"], "west < east"),
    (["--bounds", "10,50,11"], "west,south,east,north"),
    (["--bounds", "-180,-90,180,90", "--resolution", "0.1"], "--force"),
    (["-o", "x.zarr"], "Zarr"),
])
def test_cli_bad_input_is_one_line_exit_2(runner, tmp_path, extra, match):
    from geoinf.cli import main
    args = ["surface", "--radius-km", "500", "--resolution", "1", "--bounds", "10,50,12,52",
            "-o", str(tmp_path / "s.tif")]
    for k in range(0, len(extra), 2):
        i = args.index(extra[k])
        args[i + 1] = extra[k + 1] if extra[k] != "-o" else str(tmp_path / extra[k + 1])
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and match in errors[0]
    assert list(tmp_path.iterdir()) == []
