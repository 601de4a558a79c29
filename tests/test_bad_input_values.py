"""Impossible values in well-formed files: rasters, places, point coordinates, long error lists.

Each case goes through the CLI (exit code 2, one ``Error:`` line naming the file, the value
and how many cells or rows hold it) and through the API (one-line ``InputError``); the
positive cases (a GDAL scale, a declared nodata, values at the bounds) are compared with
known values. Fixtures are tiny files written to the test's temporary directory.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin

from geoinf import InputError
from geoinf.cli import main
from geoinf.places import load_countries, load_places
from geoinf.raster import MAX_DENSITY_KM2, MAX_POPULATION, cell_area_km2, open_population
from geoinf.sites import load_sites
from geoinf.systems import load_systems
from geoinf.tables import MAX_LISTED

SHAPE = (40, 60)  # 0.25° cells over 10-25° E, 50-60° N: around the Kaliningrad sites
TRANSFORM = from_origin(10.0, 60.0, 0.25, 0.25)
EXPOSURE = ["exposure", "--scenario", "kaliningrad", "--by", "band"]


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def one_error_line(res) -> str:
    """Assert exit code 2, no traceback and exactly one stderr line, ``Error: …``; return it."""
    assert res.exit_code == 2, f"exit {res.exit_code}: {res.output!r} {res.exception!r}"
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    lines = [line for line in res.stderr.splitlines()
             if line.strip() and not line.startswith("geoinf:")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    return lines[0]


def _raster(path: Path, data, *, dtype="float32", nodata=None, scale=None, offset=None,
            units=None) -> Path:
    profile = {"driver": "GTiff", "width": SHAPE[1], "height": SHAPE[0], "count": 1,
               "dtype": dtype, "crs": "EPSG:4326", "transform": TRANSFORM, "nodata": nodata}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.asarray(data).astype(dtype), 1)
        if scale is not None or offset is not None:
            dst.scales, dst.offsets = (scale or 1.0,), (offset or 0.0,)
        if units:
            dst.units = (units,)
    return path


def _with(value, cells: int, base=1000.0) -> np.ndarray:
    """A constant grid of ``base`` with ``value`` in its first ``cells`` cells."""
    data = np.full(SHAPE, base, dtype=np.float64)
    data.flat[:cells] = value
    return data


def _cells(n: int) -> str:
    return "1 cell holds" if n == 1 else f"{n:,} cells hold"


def _exposure(runner, tmp_path: Path, raster: Path, *extra) -> pd.DataFrame:
    out = tmp_path / f"{raster.stem}.csv"
    res = runner.invoke(main, [*EXPOSURE, "--raster", str(raster), *extra, "-o", str(out)])
    assert res.exit_code == 0, res.output
    return pd.read_csv(out, comment="#")


# --- rasters: values that are not people --------------------------------------------------

F32_MIN = float(np.finfo(np.float32).min)  # -3.4028234663852886e+38, GDAL's float fill
RASTER_FILLS = {  # name -> (dtype, value in the file, cells, the value as the message prints it)
    "int16-min": ("int16", -32768, 7, "-32768"),
    "float32-min": ("float32", F32_MIN, 5, "-3.4028234663852886e+38"),
    "negative": ("float32", -9999, 3, "-9999"),
    "nan": ("float32", np.nan, 4, "nan"),
    "inf": ("float32", np.inf, 2, "inf"),
    "int32-max": ("int32", 2**31 - 1, 6, "2147483647"),
    "float-huge": ("float32", 1e20, 1, "1.0000000200408773e+20"),
}


@pytest.mark.parametrize("fill", list(RASTER_FILLS))
def test_undeclared_fill_value_is_one_error(runner, tmp_path, fill):
    dtype, value, cells, shown = RASTER_FILLS[fill]
    f = _raster(tmp_path / f"pop-{fill}.tif", _with(value, cells), dtype=dtype)
    out = tmp_path / "out.csv"
    res = runner.invoke(main, [*EXPOSURE, "--raster", str(f), "-o", str(out)])
    line = one_error_line(res)
    assert f"{f}: {_cells(cells)} {shown} " in line, line
    assert f"--nodata {shown}" in line and f"nodata={shown}" in line
    assert "the file declares no nodata" in line
    assert not out.exists()
    with pytest.raises(InputError) as err, open_population(f) as pop:
        pop.total()
    assert str(err.value) == line.removeprefix("Error: ")


def test_error_names_the_part_read(tmp_path):
    f = _raster(tmp_path / "pop.tif", _with(-32768, 7), dtype="int16")
    with open_population(f) as pop:
        assert pop.read(pop.window(15.0, 50.0, 20.0, 55.0)).sum() == 20 * 20 * 1000
        with pytest.raises(InputError, match=r": 7 cells hold -32768 \(negative\) in rows "
                                             r"0-0, columns 0-59 of 40 x 60; "):
            pop.read(pop.window(10.0, 59.9, 25.0, 60.0))


def test_several_bad_values_listed_by_count(tmp_path):
    data = _with(-32768, 7)
    data[-1, :3] = np.nan
    f = _raster(tmp_path / "pop.tif", data)
    with pytest.raises(InputError) as err, open_population(f) as pop:
        pop.total()
    msg = str(err.value)
    assert "\n" not in msg
    assert (f"{f}: 10 cells hold values that are not people in the whole raster: -32768 "
            "(negative) in 7 cells; nan (not a number) in 3 cells;") in msg
    assert "--nodata VALUE" in msg


def test_many_bad_values_are_bounded(runner, tmp_path):
    data = np.full(SHAPE, 10.0)
    data.flat[:500] = -1.0 - np.arange(500)  # 500 distinct negative values
    f = _raster(tmp_path / "pop.tif", data)
    line = one_error_line(runner.invoke(main, [*EXPOSURE, "--raster", str(f)]))
    assert "500 cells hold values" in line
    assert len(re.findall(r"\(negative\) in 1 cell;", line)) == MAX_LISTED
    assert f"and {500 - MAX_LISTED} more values" in line
    assert len(line) < 2000


def test_density_above_the_bound(tmp_path):
    # a density raster: people per km²; 2e7 per km² is above MAX_DENSITY_KM2
    f = _raster(tmp_path / "dens.tif", _with(2e7, 3, base=50.0), units="people per km²")
    with pytest.raises(InputError, match=r"3 cells hold 20000000 \(more than 1e\+07 people "
                                         r"per km² or 1e\+09 per cell\)"), \
            open_population(f, kind="density") as pop:
        pop.total()
    assert MAX_DENSITY_KM2 == 1e7 and MAX_POPULATION == 1e9


def test_count_bound_follows_cell_area(tmp_path):
    # a 0.25° cell at 59.875° N is ~388 km²: 3.8e9 people is above 1e9 per cell; a cell of
    # 9e8 people (2.3e6 per km², under 1e7) is a plausible count and is summed
    area = float(np.squeeze(cell_area_km2(59.75, 60.0, 0.25)))
    ok = _raster(tmp_path / "ok.tif", _with(9e8, 1))
    with open_population(ok) as pop:
        assert pop.total() == pytest.approx(9e8 + 1000.0 * (SHAPE[0] * SHAPE[1] - 1), rel=1e-6)
    bad = _raster(tmp_path / "bad.tif", _with(1.1e9, 1))
    with pytest.raises(InputError, match="1 cell holds 1100000000 "), open_population(bad) as p:
        p.total()
    assert 1.1e9 < MAX_DENSITY_KM2 * area  # the per-cell cap, not the density, refused it


# --- rasters: scale, offset and declared nodata --------------------------------------------

def test_gdal_scale_is_applied(runner, tmp_path):
    scaled = _raster(tmp_path / "scaled.tif", np.full(SHAPE, 437), dtype="int16", scale=1000)
    plain = _raster(tmp_path / "plain.tif", np.full(SHAPE, 437_000.0))
    with open_population(scaled) as pop:
        cells = pop.read()
        assert cells.min() == cells.max() == 437_000.0
        assert pop.total() == 437_000.0 * SHAPE[0] * SHAPE[1]
    a, b = _exposure(runner, tmp_path, scaled), _exposure(runner, tmp_path, plain)
    assert a["population"].sum() > 0
    pd.testing.assert_frame_equal(a, b)


def test_gdal_offset_is_applied(tmp_path):
    f = _raster(tmp_path / "offset.tif", np.full(SHAPE, 10), dtype="int16", scale=2, offset=5)
    with open_population(f) as pop:
        assert pop.total() == 25.0 * SHAPE[0] * SHAPE[1]


def test_negative_after_offset_names_scale(tmp_path):
    f = _raster(tmp_path / "offset.tif", _with(1, 4, base=10), dtype="int16", offset=-5)
    with pytest.raises(InputError, match=r"4 cells hold 1 \(negative after the file's scale "
                                         r"1 and offset -5\)"), open_population(f) as pop:
        pop.total()


def test_declared_nodata_is_zero_people(runner, tmp_path):
    # nodata cells are 0 people: neither scaled nor offset (-32768 * 1000 would be refused)
    tagged = _raster(tmp_path / "tagged.tif", _with(-32768, 7, base=437), dtype="int16",
                     nodata=-32768, scale=1000)
    zeros = _raster(tmp_path / "zeros.tif", _with(0, 7, base=437_000))
    with open_population(tagged) as pop:
        assert pop.total() == 437_000.0 * (SHAPE[0] * SHAPE[1] - 7)
    pd.testing.assert_frame_equal(_exposure(runner, tmp_path, tagged),
                                  _exposure(runner, tmp_path, zeros))


@pytest.mark.parametrize("fill", ["int16-min", "float32-min"])
def test_cli_nodata_option_declares_the_fill(runner, tmp_path, fill):
    # the option the error message names: the same table as a file with zeros there
    dtype, value, cells, shown = RASTER_FILLS[fill]
    filled = _raster(tmp_path / "filled.tif", _with(value, cells), dtype=dtype)
    zeros = _raster(tmp_path / "zeros.tif", _with(0, cells))
    res = runner.invoke(main, [*EXPOSURE, "--raster", str(filled)])
    assert f"--nodata {shown}" in one_error_line(res)
    pd.testing.assert_frame_equal(_exposure(runner, tmp_path, filled, "--nodata", shown),
                                  _exposure(runner, tmp_path, zeros))


@pytest.mark.parametrize("fill", ["int16-min", "float32-min", "nan"])
def test_nodata_keyword_declares_the_fill(tmp_path, fill):
    dtype, value, cells, _ = RASTER_FILLS[fill]
    f = _raster(tmp_path / "pop.tif", _with(value, cells), dtype=dtype)
    with open_population(f, nodata=value) as pop:
        assert pop.total() == 1000.0 * (SHAPE[0] * SHAPE[1] - cells)


def test_nodata_keyword_as_gdalinfo_prints_it(tmp_path):
    # gdalinfo and most tools print the float32 minimum rounded: it still matches the cells
    f = _raster(tmp_path / "pop.tif", _with(F32_MIN, 5))
    with open_population(f, nodata=-3.4028235e38) as pop:
        assert pop.total() == 1000.0 * (SHAPE[0] * SHAPE[1] - 5)


def test_nodata_keyword_adds_to_the_files_own(tmp_path):
    data = _with(-9999, 3)
    data.flat[3:5] = -1
    f = _raster(tmp_path / "pop.tif", data, nodata=-9999)
    with open_population(f, nodata=-1) as pop:
        assert pop.total() == 1000.0 * (SHAPE[0] * SHAPE[1] - 5)
    with pytest.raises(InputError, match=r"2 cells hold -1 \(negative\) .* the file declares "
                                         r"nodata -9999$"), open_population(f) as pop:
        pop.total()


@pytest.mark.parametrize("bad", ["none", "1,2", None], ids=["text", "list", "object"])
def test_nodata_keyword_must_be_a_number(tmp_path, bad):
    f = _raster(tmp_path / "pop.tif", np.ones(SHAPE))
    with pytest.raises(InputError, match=r"nodata=.* is not a number"):
        open_population(f, nodata=bad if bad is not None else object())


# --- places -----------------------------------------------------------------------------

PLACES = "name,lon,lat,population\nBerlin,13.4105,52.5244,3426354\nWarsaw,21.0118,52.2298,{p}\n"


@pytest.mark.parametrize("value", ["1e300", "1000000001", "2.5e9"])
def test_impossible_place_population(runner, tmp_path, value):
    f = tmp_path / "places.csv"
    f.write_text(PLACES.format(p=value))
    res = runner.invoke(main, ["cities", "--scenario", "kaliningrad", "--max-km", "700",
                               "--places", str(f)])
    line = one_error_line(res)
    assert line == (f"Error: {f}: row 3 column 'population': {value!r} is not a population "
                    "(a number in [0, 1e+09])")
    with pytest.raises(InputError) as err:
        load_places(f)
    assert str(err.value) == line.removeprefix("Error: ")


def test_place_population_bounds_are_inclusive(tmp_path):
    f = tmp_path / "places.csv"
    f.write_text(PLACES.format(p="1000000000"))
    assert load_places(f)["population"].tolist() == [3426354, 1e9]
    f.write_text(PLACES.format(p="1000000000.5"))
    with pytest.raises(InputError, match="row 3 column 'population': '1000000000.5'"):
        load_places(f)


def test_impossible_country_population(tmp_path):
    countries = load_countries().head(3).copy()
    countries.loc[countries.index[1], "pop_est"] = 1e300
    f = tmp_path / "countries.gpkg"
    countries.to_file(f)
    with pytest.raises(InputError, match=r"row 3 column 'pop_est': 1e\+300 is not a "
                                         r"population \(a number in \[0, 1e\+10\]\)"):
        load_countries(f)


# --- point geometry against lon/lat properties ----------------------------------------------

def _collection(props: list[dict], points: list[tuple[float, float]]) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": p, "geometry": {"type": "Point", "coordinates": xy}}
        for p, xy in zip(props, points, strict=True)]}


def _write_vector(path: Path, collection: dict) -> Path:
    if path.suffix == ".geojson":
        path.write_text(json.dumps(collection))
    else:
        import geopandas as gpd
        gpd.GeoDataFrame.from_features(collection["features"], crs="EPSG:4326").to_file(path)
    return path


SITE_PROPS = [{"id": "deveselu", "name": "Deveselu", "lon": 24.4134, "lat": 44.0787},
              {"id": "elsewhere", "name": "Elsewhere", "lon": 30.0, "lat": 50.0},
              {"id": "redzikowo", "name": "Redzikowo", "lon": 17.1075, "lat": 54.4789}]
SITE_POINTS = [(24.4134, 44.0787), (21.8119, 54.6347), (17.1075, 54.4789)]


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_lonlat_properties_disagreeing_with_geometry(runner, tmp_path, suffix):
    f = _write_vector(tmp_path / f"sites{suffix}", _collection(SITE_PROPS, SITE_POINTS))
    out = tmp_path / "out.csv"
    line = one_error_line(runner.invoke(main, ["sites", "--file", str(f), "-o", str(out)]))
    assert line == (f"Error: {f}: feature 2 field lon/lat: properties lon/lat (30.0, 50.0) "
                    "disagree with the point geometry (21.8119, 54.6347); expected the same point "
                    "(within 1e-06°) or no lon/lat properties")
    assert not out.exists()
    with pytest.raises(InputError) as err:
        load_sites(f)
    assert str(err.value) == line.removeprefix("Error: ")


def test_geometry_wins_over_agreeing_properties(tmp_path):
    props = [dict(p) for p in SITE_PROPS]
    props[1].update(lon=21.8119 + 4e-7, lat=54.6347 - 4e-7)  # within 1e-6°: the same point
    f = _write_vector(tmp_path / "sites.geojson", _collection(props, SITE_POINTS))
    sites = load_sites(f)
    assert sites["lon"].tolist() == [p[0] for p in SITE_POINTS]
    assert sites["lat"].tolist() == [p[1] for p in SITE_POINTS]


def test_place_properties_disagreeing_with_geometry(tmp_path):
    props = [{"name": "Berlin", "population": 3426354, "longitude": 13.4105, "lat": 52.5244},
             {"name": "Warsaw", "population": 1702139, "longitude": 2.0118, "lat": 52.2298}]
    f = _write_vector(tmp_path / "places.geojson",
                      _collection(props, [(13.4105, 52.5244), (21.0118, 52.2298)]))
    with pytest.raises(InputError) as err:
        load_places(f)
    assert str(err.value) == (f"{f}: row 3 columns 'longitude', 'lat': (2.0118, 52.2298) "
                              "disagree with the point geometry (21.0118, 52.2298); expected the "
                              "same point (within 1e-06°) or no lon/lat columns")


# --- bounded error lists ----------------------------------------------------------------------

N_BAD = 1000
BAD_TABLES = {  # name -> (header, one bad row of i, CLI argv, loader, first problem)
    "sites": ("id,name,lon,lat\n", lambda i: f"s{i},S,24.4,9{i % 10}.5\n",
              ["sites", "--file", "{f}"], load_sites, "row 2 field lat: 90.5 is outside"),
    "systems": ("id,name,range_km_low,range_km_high\n", lambda i: f"y{i},Y,abc,500\n",
                ["systems", "--file", "{f}"], load_systems,
                "row 2 field range_km_low: 'abc' is not a number"),
    "places": ("name,lon,lat,population\n", lambda i: f"P{i},24.4,44.1,-{i + 1}\n",
               ["cities", "--scenario", "kaliningrad", "--max-km", "700", "--places", "{f}"],
               load_places, "row 2 column 'population': '-1' is not a population"),
}


@pytest.mark.parametrize("table", list(BAD_TABLES))
def test_long_error_lists_are_bounded(runner, tmp_path, table):
    header, row, argv, loader, first = BAD_TABLES[table]
    f = tmp_path / f"{table}.csv"
    f.write_text(header + "".join(row(i) for i in range(N_BAD)))
    line = one_error_line(runner.invoke(main, [a.replace("{f}", str(f)) for a in argv]))
    assert line.startswith(f"Error: {f}: {N_BAD} problems: {first}"), line[:300]
    assert line.endswith(f"; and {N_BAD - MAX_LISTED} more")
    assert line.count("; ") == MAX_LISTED  # 20 problems and the tail
    assert len(line) < 200 * MAX_LISTED
    with pytest.raises(InputError) as err:
        loader(f)
    assert str(err.value) == line.removeprefix("Error: ")


def test_bounded_list_counts_every_column(tmp_path):
    # 30 bad lon, 30 bad lat, 30 bad populations in 30 rows: 90 problems, 20 listed by row
    f = tmp_path / "places.csv"
    f.write_text("name,lon,lat,population\n" + "".join(f"P{i},999,99,-1\n" for i in range(30)))
    with pytest.raises(InputError) as err:
        load_places(f)
    msg = str(err.value)
    assert msg.startswith(f"{f}: 90 problems: row 2 column 'lon': '999'")
    assert msg.endswith(f"; and {90 - MAX_LISTED} more")
    rows = [int(n) for n in re.findall(r"row (\d+) column", msg)]
    assert rows == sorted(rows) and len(rows) == MAX_LISTED and max(rows) == 8


LONG = "9" * 50_000 + "x"  # one cell of 50 kB


@pytest.mark.parametrize("table, text, needle", [
    ("sites", f"id,name,lon,lat\na,A,{LONG},44.1\n", "row 2 field lon: '999"),
    ("sites", f"id,name,lon,lat\n{'a b' * 20_000},A,24.4,44.1\n", "row 2 field id: 'a ba b"),
    ("places", f"name,lon,lat,population\nP,24.4,44.1,{LONG}\n",
     "row 2 column 'population': '999"),
    ("places", "name,lon," + ",".join(f"c{i}" for i in range(5000)) + "\nP,24.4\n",
     "missing column lat"),
], ids=["sites-cell", "sites-id", "places-cell", "places-header"])
def test_long_values_are_clipped(runner, tmp_path, table, text, needle):
    f = tmp_path / f"{table}.csv"
    f.write_text(text)
    argv = {"sites": ["sites", "--file", str(f)],
            "places": ["cities", "--scenario", "kaliningrad", "--max-km", "700",
                       "--places", str(f)]}[table]
    line = one_error_line(runner.invoke(main, argv))
    assert needle in line and len(line) < 1500, line[:300]
    assert re.search(r"… \([\d,]+ characters\)|and [\d,]+ more columns", line), line


# --- rasters in their own CRS: the same checks on every read ---------------------------------

PROJECTED = {  # name -> (CRS, geotransform of 40 km cells around the Kaliningrad sites)
    "mollweide": ("ESRI:54009", from_origin(3.5e5, 7.15e6, 40e3, 40e3)),
    "laea": ("EPSG:3035", from_origin(3.88e6, 4.36e6, 40e3, 40e3)),
}


def _projected(path: Path, data, crs, transform, *, dtype="float32", nodata=None) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=SHAPE[1], height=SHAPE[0], count=1,
                       dtype=dtype, crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(np.asarray(data).astype(dtype), 1)
    return path


@pytest.mark.parametrize("name", list(PROJECTED))
def test_fill_value_in_a_projected_raster_is_one_error(runner, tmp_path, name):
    # The fill sits in the cells a 2,500 km disc reaches: read, checked, refused once.
    crs, transform = PROJECTED[name]
    f = _projected(tmp_path / f"pop-{name}.tif", _with(-32768, 7), crs, transform,
                   dtype="int16")
    line = one_error_line(runner.invoke(main, [*EXPOSURE, "--raster", str(f)]))
    assert f"{f}: 7 cells hold -32768 (negative) in " in line
    assert "--nodata -32768" in line and "gdalwarp" not in line


@pytest.mark.parametrize("name", list(PROJECTED))
def test_declared_nodata_in_a_projected_raster_reads_as_nobody(runner, tmp_path, name):
    crs, transform = PROJECTED[name]
    filled = _projected(tmp_path / "filled.tif", _with(-9999, 7), crs, transform,
                        nodata=-9999)
    zeros = _projected(tmp_path / "zeros.tif", _with(0, 7), crs, transform)
    a, b = (_exposure(runner, tmp_path, f) for f in (filled, zeros))
    assert a["population"].tolist() == b["population"].tolist()
    assert a["population"].sum() > 0
