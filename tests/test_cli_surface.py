"""CLI: ``geoinf surface``, ``geoinf map --surface``, ``geoinf exposure --area --radius-km``."""

from __future__ import annotations

import html
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin

xr = pytest.importorskip("xarray")
pytest.importorskip("rioxarray")

from geoinf.cli import main  # noqa: E402
from geoinf.launch_areas import area_exposure  # noqa: E402
from geoinf.surface import exposure_surface  # noqa: E402

BOUNDS = (176, 80, 184, 90)  # across ±180°, discs around the North Pole


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data = np.random.default_rng(41).gamma(0.5, 100.0, (90, 180)).astype(np.float32)
    path = tmp_path_factory.mktemp("w") / "world.tif"
    with rasterio.open(path, "w", driver="GTiff", width=180, height=90, count=1,
                       dtype="float32", crs="EPSG:4326", transform=from_origin(-180, 90, 2, 2)
                       ) as dst:
        dst.write(data, 1)
    return path


def _surface_args(world, out, *extra):
    return ["surface", "--radius-km", "900", "--resolution", "2", "--bounds",
            ",".join(map(str, BOUNDS)), "--layer", str(world), "-o", str(out), *extra]


def _one_error(result) -> str:
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    return errors[0]


def test_surface_geotiff_with_bands_equals_the_api(world, runner, tmp_path):
    out = tmp_path / "bands.tif"
    result = runner.invoke(main, _surface_args(world, out, "--edges-km", "0,500,900"))
    assert result.exit_code == 0, result.output
    api = exposure_surface(world, 900, resolution_deg=2, bounds=BOUNDS, edges_km=(0, 500, 900))
    with rasterio.open(out) as src:
        assert src.crs.to_epsg() == 4326 and src.count == 2
        assert (src.width, src.height) == (4, 5)
        assert src.transform.c == 176 and src.transform.f == 90 and src.res == (2, 2)
        np.testing.assert_allclose(src.read(), api.values, rtol=1e-12)
    assert float(api.values.min()) > 0


def test_surface_netcdf_equals_the_api(world, runner, tmp_path):
    out = tmp_path / "s.nc"
    result = runner.invoke(main, _surface_args(world, out))
    assert result.exit_code == 0, result.output
    api = exposure_surface(world, 900, resolution_deg=2, bounds=BOUNDS)
    with xr.open_dataset(out) as ds:
        got = ds["population"]
        np.testing.assert_allclose(got.values, api.values, rtol=1e-12)
        np.testing.assert_array_equal(got.lat.values, api.lat.values)
        np.testing.assert_array_equal(got.lon.values, api.lon.values)
        assert got.attrs["radius_km"] == 900


@pytest.mark.parametrize("change, match", [
    (("--bounds", "184,80,176,90"), "west < east"),
    (("--bounds", "176,80,184"), "west,south,east,north"),
    (("--bounds", "176,80,185,90"), "whole number"),
    (("--resolution", "0.01"), "--force"),
    (("--radius-km", "-5"), "radius_km"),
    (("--layer", "missing.tif"), "no such file"),
])
def test_surface_bad_input_is_one_line_and_no_file(world, runner, tmp_path, change, match):
    out = tmp_path / "out" / "s.tif"
    out.parent.mkdir()
    args = _surface_args(world, out)
    value = change[1] if change[0] != "--layer" else str(tmp_path / change[1])
    args[args.index(change[0]) + 1] = value
    if change[0] == "--resolution":  # a whole-globe grid at 0.01°: 648 million candidates
        args[args.index("--bounds") + 1] = "-180,-90,180,90"
    assert match in _one_error(runner.invoke(main, args))
    assert list(out.parent.iterdir()) == []


def test_surface_existing_output_needs_overwrite(world, runner, tmp_path):
    out = tmp_path / "s.tif"
    out.write_bytes(b"keep me")
    assert "exists" in _one_error(runner.invoke(main, _surface_args(world, out)))
    assert out.read_bytes() == b"keep me" and list(tmp_path.iterdir()) == [out]
    result = runner.invoke(main, _surface_args(world, out, "--overwrite"))
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as src:
        assert src.count == 1


def test_surface_force_allows_many_candidates(world, runner, tmp_path, monkeypatch):
    import geoinf.cli.surface as cli_surface
    import geoinf.surface as surface_module

    monkeypatch.setattr(cli_surface, "MAX_CANDIDATES", 10)
    monkeypatch.setattr(surface_module, "MAX_CANDIDATES", 10)
    out = tmp_path / "s.tif"
    assert "more than 10" in _one_error(runner.invoke(main, _surface_args(world, out)))
    assert not out.exists()
    result = runner.invoke(main, _surface_args(world, out, "--force"))
    assert result.exit_code == 0, result.output


# --- geoinf map --surface -------------------------------------------------------------------

def _control_labels(page: str) -> list[str]:
    """Return the layer control's labels (JSON strings of escaped text) as shown."""
    found = re.findall(r"\.add(?:Overlay|BaseLayer)\(\w+, (\"(?:[^\"\\]|\\.)*\")\);", page)
    return [html.unescape(json.loads(label)) for label in found]


def test_map_surface_layer_name_is_escaped_once(world, runner, tmp_path):
    surface = tmp_path / "a<b>&c.tif"
    assert runner.invoke(main, _surface_args(world, surface)).exit_code == 0
    page = tmp_path / "m.html"
    result = runner.invoke(main, ["map", "--scenario", "kaliningrad", "--no-cities",
                                  "--surface", str(surface), "-o", str(page)])
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    # as the reader sees it: the file name, then the band's name
    assert "People in range: a<b>&c.tif (population)" in _control_labels(text)
    assert "a<b>" not in text  # never raw in the page


@pytest.mark.parametrize("case, match", [("missing", "no such file|not a readable"),
                                         ("text", "not a readable raster"),
                                         ("mollweide", "EPSG:4326"),
                                         ("band", "band 3 is not one of 1-1")])
def test_map_bad_surface_is_one_clear_error(world, runner, tmp_path, case, match):
    surface = tmp_path / "s.tif"
    band = "1"
    if case == "text":
        surface.write_text("not a raster")
    elif case == "mollweide":
        with rasterio.open(surface, "w", driver="GTiff", width=4, height=4, count=1,
                           dtype="float32", crs="ESRI:54009",
                           transform=from_origin(0, 0, 1e5, 1e5)) as dst:
            dst.write(np.ones((1, 4, 4), np.float32))
    elif case == "band":
        assert runner.invoke(main, _surface_args(world, surface)).exit_code == 0
        band = "3"
    page = tmp_path / "m.html"
    result = runner.invoke(main, ["map", "--scenario", "kaliningrad", "--no-cities",
                                  "--surface", str(surface), "--surface-band", band,
                                  "-o", str(page)])
    assert re.search(match, _one_error(result))
    assert not page.exists()


# --- geoinf exposure --area --radius-km ----------------------------------------------------

def test_exposure_area_radius_equals_area_exposure(runner):
    result = runner.invoke(main, ["exposure", "--area", "LUX", "--radius-km", "300",
                                  "--resolution", "0.5", "--format", "csv"])
    assert result.exit_code == 0, result.output
    got = pd.read_csv(io.StringIO(result.stdout), comment="#")
    api = area_exposure("LUX", 300, resolution_deg=0.5)
    assert list(got.columns) == list(api.columns)
    for col in ("positions", "min", "median", "max", "min_lon", "min_lat", "max_lon",
                "max_lat", "anywhere"):
        assert got[col].iloc[0] == pytest.approx(api[col].iloc[0], rel=1e-6, abs=1e-6), col
    assert got["area"].iloc[0] == "LUX" and got["resolution_deg"].iloc[0] == 0.5
    assert 0 < api["min"].iloc[0] <= api["max"].iloc[0] <= api["anywhere"].iloc[0] + 0.5


@pytest.mark.parametrize("args, match", [
    (["--radius-km", "300"], "give --area ISO3 and --radius-km"),
    (["--area", "LUX", "--resolution", "0.5"], "give --area ISO3 and --radius-km"),
    (["--area", "XXX", "--radius-km", "300"], "ISO alpha-3"),
])
def test_exposure_radius_without_area_is_one_clear_error(runner, args, match):
    assert match in _one_error(runner.invoke(main, ["exposure", *args]))
