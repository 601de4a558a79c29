"""Bad input through every CLI command: exit code 2, one ``Error:`` line, no output file.

The matrix crosses every user-supplied file type (sites CSV/GeoJSON/GPKG, systems CSV,
scenarios CSV, places CSV/GeoJSON, population rasters) with the ways such files go
wrong, and feeds each to every command that reads that type; then bad command-line
values and unwritable outputs for every command that writes. Each case names what the
one error line must contain (file, row, field, value), and a control case runs the same
command on the good fixture, so a defect, not the command line, is what fails.
Fixtures are a few bytes each, written to the test's temporary directory.

Tests run as root here, so ``chmod`` cannot make a directory unwritable: an output
whose parent is a regular file, or a path under ``/proc``, stands in for one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from geoinf.cli import main

# --- fixtures: good tables and their defects ----------------------------------------------

SITES = ("id,name,lon,lat\ndeveselu,Deveselu,24.4134,44.0787\n"
         "chernyakhovsk,Chernyakhovsk,21.8119,54.6347\n")
SYSTEMS = ("id,name,range_km_low,range_km_high\n9m729,9M729,480,2500\n"
           "iskander-m,Iskander-M,500,500\n")
SCENARIOS = "scenario,site,system\nmine,chernyakhovsk,iskander-m\nmine,deveselu,9m729\n"
PLACES = ("name,lon,lat,population\nBerlin,13.4105,52.5244,3426354\n"
          "Warsaw,21.0118,52.2298,1702139\n")
BINARY = bytes(range(256)) * 4

# defect -> (transform of the good text, substrings the error must contain besides the file)
CSV_DEFECTS = {
    "sites": {
        "empty": (lambda t: "", ["empty"]),
        "header-only": (lambda t: t.splitlines()[0] + "\n", ["no rows"]),
        "semicolons": (lambda t: t.replace(",", ";"), ["';'"]),
        "missing-column": (lambda t: _drop_column(t, 3), ["missing column", "lat"]),
        "non-numeric": (lambda t: t.replace("54.6347", "54.6N"), ["row 3", "lat", "54.6N"]),
        "nan": (lambda t: t.replace("24.4134", "nan"), ["row 2", "lon", "nan"]),
        "inf": (lambda t: t.replace("54.6347", "inf"), ["row 3", "lat", "inf"]),
        "out-of-range": (lambda t: t.replace("44.0787", "95.5"), ["row 2", "lat", "95.5"]),
        "swapped": (lambda t: t.replace("24.4134,44.0787", "34.69,135.50"),
                    ["row 2", "lat", "135.5", "swapped"]),
        "duplicate-id": (lambda t: t.replace("chernyakhovsk,Ch", "deveselu,Ch"),
                         ["row 3", "id", "duplicate", "deveselu"]),
        "empty-id": (lambda t: t.replace("chernyakhovsk,Ch", ",Ch"), ["row 3", "id", "empty"]),
    },
    "systems": {
        "empty": (lambda t: "", ["empty"]),
        "header-only": (lambda t: t.splitlines()[0] + "\n", ["no rows"]),
        "semicolons": (lambda t: t.replace(",", ";"), ["';'"]),
        "missing-column": (lambda t: _drop_column(t, 3), ["missing column", "range_km_high"]),
        "non-numeric": (lambda t: t.replace("2500", "2,500 km"), ["row 2"]),
        "nan": (lambda t: t.replace(",480,", ",NaN,"), ["row 2", "range_km_low", "NaN"]),
        "inf": (lambda t: t.replace("2500", "inf"), ["row 2", "range_km_high", "inf"]),
        "out-of-range": (lambda t: t.replace(",480,", ",-480,"), ["row 2", "range_km_low",
                                                                    "-480"]),
        "low-above-high": (lambda t: t.replace(",480,2500", ",2500,480"),
                           ["row 2", "range_km_low", "2500"]),
        "duplicate-id": (lambda t: t.replace("iskander-m,I", "9m729,I"),
                         ["row 3", "id", "duplicate", "9m729"]),
        "typed-inf-class": (lambda t: _add_column(t, "inf_class", "intermediate-range"),
                            ["inf_class", "derived"]),
    },
    "scenarios": {
        "empty": (lambda t: "", ["empty"]),
        "header-only": (lambda t: t.splitlines()[0] + "\n", ["no rows"]),
        "semicolons": (lambda t: t.replace(",", ";"), ["';'"]),
        "missing-column": (lambda t: _drop_column(t, 2), ["missing column", "system"]),
        "unknown-site": (lambda t: t.replace("mine,deveselu", "mine,devesel"),
                         ["row 3", "site", "devesel", "deveselu"]),
        "unknown-system": (lambda t: t.replace("iskander-m", "iskander"),
                           ["row 2", "system", "iskander"]),
        "duplicate-pair": (lambda t: t + "mine,deveselu,9m729\n",
                           ["row 4", "duplicate", "deveselu"]),
        "empty-id": (lambda t: t.replace("mine,deveselu", "mine,"), ["row 3", "site", "empty"]),
        "bad-basis": (lambda t: _add_column(t, "basis", "rumoured"), ["row 2", "basis",
                                                                       "rumoured"]),
    },
    "places": {
        "empty": (lambda t: "", ["empty"]),
        "header-only": (lambda t: t.splitlines()[0] + "\n", ["no rows"]),
        "semicolons": (lambda t: t.replace(",", ";"), ["';'"]),
        "missing-column": (lambda t: _drop_column(t, 3), ["missing column", "population"]),
        "non-numeric": (lambda t: t.replace("1702139", "1.7M"), ["row 3", "population",
                                                                  "1.7M"]),
        "nan": (lambda t: t.replace("13.4105", "nan"), ["row 2", "lon", "nan"]),
        "inf": (lambda t: t.replace("52.2298", "-inf"), ["row 3", "lat", "-inf"]),
        "out-of-range": (lambda t: t.replace("13.4105", "213.4105"), ["row 2", "lon",
                                                                       "213.4105"]),
        "swapped": (lambda t: t.replace("13.4105,52.5244", "52.5244,113.4105"),
                    ["row 2", "lat", "113.4105", "swapped"]),
        "negative": (lambda t: t.replace("3426354", "-3426354"), ["row 2", "population",
                                                                   "-3426354"]),
    },
}
GOOD = {"sites": SITES, "systems": SYSTEMS, "scenarios": SCENARIOS, "places": PLACES}
for _table in CSV_DEFECTS.values():  # defects every table shares
    _table["binary"] = (lambda t: BINARY, [])
    _table["missing-file"] = (None, ["no such file"])


def _drop_column(text: str, k: int) -> str:
    return "".join(",".join(c for j, c in enumerate(line.split(",")) if j != k) + "\n"
                   for line in text.splitlines())


def _add_column(text: str, name: str, value: str) -> str:
    lines = text.splitlines()
    return "\n".join([f"{lines[0]},{name}", *(f"{x},{value}" for x in lines[1:])]) + "\n"


def _write(path: Path, content) -> Path:
    if content is None:
        return path  # does not exist
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- the commands that read each file type ---------------------------------------------
# {f}: the user file, {o}: the output file. Every consumer writes to {o} when it can.

CONSUMERS = {
    "sites": [
        ["sites", "--file", "{f}", "-o", "{o}.csv"],
        ["rings", "--sites", "{f}", "--radius-km", "500", "-o", "{o}.geojson"],
        ["scenarios", "kaliningrad", "--sites", "{f}", "-o", "{o}.csv"],
        ["map", "--sites", "{f}", "--system", "iskander-m", "--no-cities", "-o", "{o}.html"],
        ["cities", "--sites", "{f}", "--max-km", "300", "--min-population", "1000000",
         "-o", "{o}.csv"],
    ],
    "systems": [
        ["systems", "--file", "{f}", "-o", "{o}.csv"],
        ["scenarios", "kaliningrad", "--systems", "{f}", "-o", "{o}.csv"],
    ],
    "scenarios": [
        ["scenarios", "mine", "--file", "{f}", "-o", "{o}.csv"],
        ["sites", "--scenario", "{f}", "-o", "{o}.csv"],
        ["rings", "--scenario", "{f}", "-o", "{o}.geojson"],
        ["map", "--scenario", "{f}", "--no-cities", "-o", "{o}.html"],
        ["cities", "--scenario", "{f}", "--min-population", "1000000", "-o", "{o}.csv"],
        ["exposure", "--scenario", "{f}", "-o", "{o}.csv"],
        ["diff", "{f}", "kaliningrad", "-o", "{o}.csv"],
        ["reach", "Berlin", "--scenario", "{f}", "-o", "{o}.csv"],
    ],
    "places": [
        ["cities", "--scenario", "kaliningrad", "--max-km", "700", "--places", "{f}",
         "-o", "{o}.csv"],
    ],
}


def _fill(argv, f, o):
    return [a.replace("{f}", str(f)).replace("{o}", str(o)) for a in argv]


def _cmd_id(argv) -> str:
    return "-".join(a.lstrip("-") for a in argv[:2] if "{" not in a)


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def assert_one_line_error(res, tmp_path: Path, needles, *, output: Path | None = None):
    """Exit code 2, exactly one ``Error:`` line containing every needle, no traceback."""
    text = res.output  # stdout and stderr, interleaved
    assert res.exit_code == 2, f"exit {res.exit_code}: {text!r} {res.exception!r}"
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in text
    errors = [line for line in res.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, res.stderr
    other = [line for line in res.stderr.splitlines()
             if line.strip() and not line.startswith(("Error:", "geoinf:"))]
    assert other == [], res.stderr  # no usage dump, no warnings, no stack
    for needle in needles:
        assert needle.lower() in errors[0].lower(), (needle, errors[0])
    if output is not None:
        assert not output.exists()
    leftovers = [p.name for p in tmp_path.rglob("*") if ".tmp-" in p.name]
    assert leftovers == []


CSV_CASES = [(kind, defect, argv) for kind, argvs in CONSUMERS.items() for argv in argvs
             for defect in CSV_DEFECTS[kind]]


@pytest.mark.parametrize("kind, argv", [(k, a) for k, argvs in CONSUMERS.items() for a in argvs],
                         ids=[f"{k}-{_cmd_id(a)}" for k, argvs in CONSUMERS.items()
                              for a in argvs])
def test_good_fixture_is_accepted(runner, tmp_path, kind, argv):
    """The control: the same command line on the good file succeeds."""
    f = _write(tmp_path / f"good-{kind}.csv", GOOD[kind])
    res = runner.invoke(main, _fill(argv, f, tmp_path / "out"))
    assert res.exit_code == 0, res.output
    assert len(list(tmp_path.glob("out.*"))) == 1


@pytest.mark.parametrize("kind, defect, argv", CSV_CASES,
                         ids=[f"{k}-{d}-{_cmd_id(a)}" for k, d, a in CSV_CASES])
def test_bad_csv(runner, tmp_path, kind, defect, argv):
    transform, needles = CSV_DEFECTS[kind][defect]
    f = _write(tmp_path / f"{kind}-{defect}.csv",
               None if transform is None else transform(GOOD[kind]))
    out = tmp_path / "out"
    res = runner.invoke(main, _fill(argv, f, out))
    assert_one_line_error(res, tmp_path, [f.name, *needles])
    assert list(tmp_path.glob("out.*")) == []


# --- vector sites and places (GeoJSON, GeoPackage) -------------------------------------

def _features(rows, geometry=None):
    """A GeoJSON FeatureCollection of points (or ``geometry`` per row) from property rows."""
    feats = []
    for i, props in enumerate(rows):
        geom = (geometry or {}).get(i, {"type": "Point", "coordinates": [props.pop("x", 0.0),
                                                                       props.pop("y", 0.0)]})
        feats.append({"type": "Feature", "properties": props, "geometry": geom})
    return {"type": "FeatureCollection", "features": feats}


def _site_rows():
    return [{"id": "deveselu", "name": "Deveselu", "x": 24.4134, "y": 44.0787},
            {"id": "chernyakhovsk", "name": "Chernyakhovsk", "x": 21.8119, "y": 54.6347}]


def _place_rows():
    return [{"name": "Berlin", "population": 3426354, "x": 13.4105, "y": 52.5244},
            {"name": "Warsaw", "population": 1702139, "x": 21.0118, "y": 52.2298}]


def _edit(rows, i, **change):
    rows = [dict(r) for r in rows]
    for key, value in change.items():
        if value is None:
            rows[i].pop(key, None)
        else:
            rows[i][key] = value
    return rows


LINE = {"type": "LineString", "coordinates": [[20.0, 50.0], [21.0, 51.0]]}
COLLECTION = {"type": "GeometryCollection", "geometries": [LINE]}  # a line site is an area
VECTOR_DEFECTS = {  # name -> (collection or bytes/str, needles)
    "sites": {
        "good": (lambda: _features(_site_rows()), None),
        "empty": (lambda: "", []),
        "no-features": (lambda: _features([]), ["no features"]),
        "missing-column": (lambda: _features(_edit(_edit(_site_rows(), 0, id=None), 1, id=None)),
                           ["missing column", "id"]),
        "out-of-range": (lambda: _features(_edit(_site_rows(), 0, y=95.5)),
                         ["feature 1", "lat", "95.5"]),
        "collection": (lambda: _features(_site_rows(), {1: COLLECTION}),
                       ["feature 2", "geometry", "GeometryCollection"]),
        "duplicate-id": (lambda: _features(_edit(_site_rows(), 1, id="deveselu")),
                         ["feature 2", "id", "duplicate"]),
        "non-numeric": (lambda: _features([{"id": "a", "name": "A", "lon": "24.4E",
                                            "lat": 44.1}], {0: None}),
                        ["feature 1", "lon", "24.4E"]),
        "binary": (lambda: BINARY, []),
        "truncated": (lambda: json.dumps(_features(_site_rows()))[:150], []),
        "missing-file": (None, ["no such file"]),
    },
    "places": {
        "good": (lambda: _features(_place_rows()), None),
        "no-features": (lambda: _features([]), ["no rows"]),
        "missing-column": (lambda: _features(_edit(_edit(_place_rows(), 0, population=None), 1,
                                                   population=None)),
                           ["missing column", "population"]),
        "negative": (lambda: _features(_edit(_place_rows(), 1, population=-5)),
                     ["row 3", "population", "-5"]),
        "line": (lambda: _features(_place_rows(), {1: LINE}), ["LineString"]),
        "binary": (lambda: BINARY, []),
        "truncated": (lambda: json.dumps(_features(_place_rows()))[:120], []),
    },
}
VECTOR_CONSUMERS = {
    "sites": [a for a in CONSUMERS["sites"]],
    "places": CONSUMERS["places"],
}


def _vector(path: Path, content) -> Path:
    """Write a fixture as GeoJSON, or (for a .gpkg path) through pyogrio as a GeoPackage."""
    if content is None or isinstance(content, bytes | str):
        return _write(path, content)
    if path.suffix == ".geojson":
        return _write(path, json.dumps(content))
    import geopandas as gpd

    frame = gpd.GeoDataFrame.from_features(content["features"], crs="EPSG:4326") \
        if content["features"] else gpd.GeoDataFrame({"id": [], "name": []},
                                                      geometry=[], crs="EPSG:4326")
    frame.to_file(path, driver="GPKG")
    return path


def _truncated_gpkg(tmp_path: Path) -> bytes:
    full = _vector(tmp_path / "whole.gpkg", _features(_site_rows()))
    data = full.read_bytes()
    full.unlink()
    return data[:len(data) // 3]


VECTOR_CASES = [(kind, suffix, defect, argv)
                for kind, argvs in VECTOR_CONSUMERS.items() for argv in argvs
                for suffix in ((".geojson", ".gpkg") if kind == "sites" else (".geojson",))
                for defect in VECTOR_DEFECTS[kind]
                if not (suffix == ".gpkg" and defect in ("non-numeric", "empty"))]


@pytest.mark.parametrize("kind, suffix, defect, argv", VECTOR_CASES,
                         ids=[f"{k}{s}-{d}-{_cmd_id(a)}" for k, s, d, a in VECTOR_CASES])
def test_bad_vector_file(runner, tmp_path, kind, suffix, defect, argv):
    make, needles = VECTOR_DEFECTS[kind][defect]
    path = tmp_path / f"{kind}-{defect}{suffix}"
    if suffix == ".gpkg" and defect == "truncated":
        f = _write(path, _truncated_gpkg(tmp_path))
    else:
        f = _vector(path, None if make is None else make())
    res = runner.invoke(main, _fill(argv, f, tmp_path / "out"))
    if needles is None:  # the control
        assert res.exit_code == 0, res.output
        assert len(list(tmp_path.glob("out.*"))) == 1
        return
    if suffix == ".gpkg" and defect == "no-features":
        needles = ["no features"]
    assert_one_line_error(res, tmp_path, [f.name, *needles])
    assert list(tmp_path.glob("out.*")) == []


# --- population rasters ----------------------------------------------------------------

def _raster(path: Path, *, crs="EPSG:4326", units=None, transform=None) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    data = np.full((40, 60), 1000.0, dtype="float32")
    profile = {"driver": "GTiff", "width": 60, "height": 40, "count": 1, "dtype": "float32",
               "transform": transform or from_origin(10.0, 60.0, 0.25, 0.25)}
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        if units:
            dst.update_tags(1, units=units)
            dst.units = (units,)
    return path


def _truncated_tiff(path: Path) -> Path:
    data = _raster(path).read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return path


RASTER_DEFECTS = {  # name -> (make(path), extra argv, needles)
    "good": (_raster, [], None),
    "good-density": (lambda p: _raster(p, units="people per km²"), ["--kind", "density"], None),
    "empty": (lambda p: _write(p, b""), [], ["not a readable raster"]),
    "binary": (lambda p: _write(p, BINARY), [], ["not a readable raster"]),
    "truncated": (_truncated_tiff, [], ["cannot read"]),
    "no-crs": (lambda p: _raster(p, crs=None), [], ["no CRS", "EPSG:4326"]),
    # a degree-sized geotransform tagged EPSG:3035 (metres): 0.25 m cells of 1,000 people
    "degrees-in-metre-crs": (lambda p: _raster(p, crs="EPSG:3035"), [],
                             ["more than 1e+07 people per km²"]),
    "density-as-count": (lambda p: _raster(p, units="persons per square kilometer"), [],
                         ["persons per square kilometer", "--kind density"]),
    "density-as-count-km2": (lambda p: _raster(p, units="people/km2"), [],
                             ["people/km2", "--kind density"]),
    "rotated": (lambda p: _raster(p, transform=__import__("affine").Affine(
        0.25, 0.05, 10.0, 0.05, -0.25, 60.0)), [], ["north-up"]),
    "missing-file": (lambda p: p, [], ["no such file"]),
}


@pytest.mark.parametrize("defect", list(RASTER_DEFECTS))
def test_bad_raster(runner, tmp_path, defect):
    make, extra, needles = RASTER_DEFECTS[defect]
    f = make(tmp_path / f"pop-{defect}.tif")
    out = tmp_path / "out.csv"
    res = runner.invoke(main, ["exposure", "--scenario", "kaliningrad", "--raster", str(f),
                               *extra, "-o", str(out)])
    if needles is None:
        assert res.exit_code == 0, res.output
        assert out.exists()
        return
    assert_one_line_error(res, tmp_path, [f.name, *needles], output=out)


# --- bad values on the command line ------------------------------------------------------

ARG_CASES = {  # id -> (argv, needles); every command writes to {o} when it gets that far
    "rings-lon-nan": (["rings", "--lon", "nan", "--lat", "44"], ["lon", "nan"]),
    "rings-lat-inf": (["rings", "--lon", "24", "--lat", "inf"], ["lat", "inf"]),
    "rings-lat-out-of-range": (["rings", "--lon", "24", "--lat", "95"], ["lat", "95"]),
    "rings-lon-out-of-range": (["rings", "--lon", "200", "--lat", "44"], ["lon", "200"]),
    "rings-swapped": (["rings", "--lon", "44.08", "--lat", "124.41"], ["lat", "124.41"]),
    "rings-radius-zero": (["rings", "--lon", "24", "--lat", "44", "--radius-km", "0"],
                          ["radius", "0"]),
    "rings-radius-negative": (["rings", "--lon", "24", "--lat", "44", "--radius-km", "-5"],
                              ["radius", "-5"]),
    "rings-radius-nan": (["rings", "--lon", "24", "--lat", "44", "--radius-km", "500,nan"],
                         ["radius", "nan"]),
    "rings-radius-text": (["rings", "--lon", "24", "--lat", "44", "--radius-km", "500,x"],
                          ["radius", "'x'"]),
    "rings-radius-beyond-antipode": (["rings", "--lon", "24", "--lat", "44", "--radius-km",
                                      "25000"], ["radius", "25000"]),
    "rings-bands-one-edge": (["rings", "--lon", "24", "--lat", "44", "--radius-km", "500",
                              "--bands"], ["500"]),
    "rings-tolerance-zero": (["rings", "--lon", "24", "--lat", "44", "--tolerance-km", "0"],
                             ["tolerance", "0"]),
    "rings-tolerance-nan": (["rings", "--lon", "24", "--lat", "44", "--tolerance-km", "nan"],
                            ["tolerance", "nan"]),
    "rings-no-site": (["rings"], ["--lon"]),
    "rings-unknown-site": (["rings", "--site", "devesel", "--system", "9m729"],
                           ["devesel", "deveselu"]),
    "rings-unknown-system": (["rings", "--site", "deveselu", "--system", "9m72"],
                             ["9m72", "9m729"]),
    "rings-unknown-scenario": (["rings", "--scenario", "inf2019"], ["inf2019", "inf-2019"]),
    "sites-unknown-scenario": (["sites", "--scenario", "inf2019"], ["inf2019", "inf-2019"]),
    "scenarios-unknown-name": (["scenarios", "inf2019"], ["inf2019", "inf-2019"]),
    "map-unknown-scenario": (["map", "--scenario", "inf2019"], ["inf2019", "inf-2019"]),
    "map-unknown-site": (["map", "--site", "devesel", "--system", "9m729"], ["devesel"]),
    "map-site-not-in-scenario": (["map", "--scenario", "kaliningrad", "--site", "deveselu"],
                                 ["deveselu", "kaliningrad"]),
    "map-radius-without-sites": (["map", "--radius-km", "500"], ["--radius-km", "--sites"]),
    "map-min-population-negative": (["map", "--min-population", "-1"],
                                    ["min-population", "-1"]),
    "map-min-population-nan": (["map", "--min-population", "nan"], ["min-population", "nan"]),
    "cities-sites-without-range": (["cities", "--sites", "{s}"], ["--max-km"]),
    "cities-sites-unknown-id": (["cities", "--sites", "{s}", "--site", "devesel", "--max-km",
                                 "500"], ["devesel", "deveselu"]),
    "map-sites-without-range": (["map", "--sites", "{s}"], ["--system", "--radius-km"]),
    "map-sites-radius-nan": (["map", "--sites", "{s}", "--radius-km", "nan"], ["nan"]),
    "map-sites-unknown-system": (["map", "--sites", "{s}", "--system", "9m72"], ["9m72"]),
    "cities-unknown-scenario": (["cities", "--scenario", "inf2019"], ["inf2019"]),
    "cities-unknown-site": (["cities", "--site", "devesel"], ["devesel"]),
    "cities-max-km-nan": (["cities", "--max-km", "nan"], ["max_km", "nan"]),
    "cities-max-km-inf": (["cities", "--max-km", "inf"], ["max_km", "inf"]),
    "cities-max-km-negative": (["cities", "--max-km", "-100"], ["max_km", "-100"]),
    "cities-band-reversed": (["cities", "--min-km", "900", "--max-km", "500"], ["900"]),
    "cities-min-population-nan": (["cities", "--min-population", "nan"],
                                  ["min-population", "nan"]),
    "reach-unknown-place": (["reach", "Xqzzyville"], ["Xqzzyville"]),
    "reach-lonlat-nan": (["reach", "nan", "nan"], ["nan"]),
    "reach-lonlat-out-of-range": (["reach", "13.4", "95"], ["95"]),
    "reach-unknown-scenario": (["reach", "Berlin", "--scenario", "inf2019"], ["inf2019"]),
    "exposure-unknown-scenario": (["exposure", "--scenario", "inf2019"], ["inf2019"]),
    "exposure-edges-nan": (["exposure", "--edges-km", "500,nan"], ["edges", "nan"]),
    "exposure-edges-decreasing": (["exposure", "--edges-km", "1000,500"], ["edges",
                                                                         "1000"]),
    "exposure-edges-text": (["exposure", "--edges-km", "500,1e3km"], ["1e3km"]),
    "exposure-unknown-key": (["exposure", "--by", "city"], ["city"]),
    "diff-unknown-scenario": (["diff", "inf2019", "kaliningrad"], ["inf2019"]),
    "diff-site-key": (["diff", "inf-2019", "kaliningrad", "--by", "site"], ["site"]),
    "diff-min-population-nan": (["diff", "inf-2019", "kaliningrad", "--min-population",
                                 "nan"], ["min-population", "nan"]),
}


def _suffix(argv) -> str:
    return {"map": ".html", "rings": ".geojson"}.get(argv[0], ".csv")


@pytest.mark.parametrize("case", list(ARG_CASES))
def test_bad_value(runner, tmp_path, case):
    argv, needles = ARG_CASES[case]
    sites = _write(tmp_path / "in-sites.csv", SITES)
    argv = [a.replace("{s}", str(sites)) for a in argv]
    out = tmp_path / f"out{_suffix(argv)}"
    res = runner.invoke(main, [*argv, "-o", str(out)])
    assert_one_line_error(res, tmp_path, needles, output=out)


# --- outputs that cannot be written -------------------------------------------------------

WRITERS = {  # a quick successful job per command, output added by the test
    "rings": ["rings", "--lon", "24.41", "--lat", "44.08", "--radius-km", "500"],
    "rings-sites": ["rings", "--sites", "{f}", "--radius-km", "500"],
    "sites": ["sites"],
    "systems": ["systems"],
    "scenarios": ["scenarios"],
    "cities": ["cities", "--scenario", "kaliningrad", "--max-km", "300", "--places", "{p}"],
    "reach": ["reach", "13.4", "52.5", "--scenario", "kaliningrad"],
    "exposure": ["exposure", "--scenario", "kaliningrad", "--by", "band"],
    "diff": ["diff", "kaliningrad", "inf-2019", "--by", "band"],
    "map": ["map", "--scenario", "kaliningrad", "--no-cities"],
}
OUTPUTS = {  # id -> (output path under tmp_path, needles); {x}: the command's suffix
    "parent-is-a-file": ("afile/out{x}", ["afile"]),
    "parent-missing": ("no/such/dir/out{x}", ["no/such/dir", "does not exist"]),
    "under-proc": ("/proc/geoinf-test/out{x}", ["/proc/geoinf-test"]),
    "is-a-directory": ("adir{x}", ["adir", "directory"]),
    "exists": ("old{x}", ["old", "--overwrite"]),
}


def _writer_argv(name, tmp_path):
    f = _write(tmp_path / "in-sites.csv", SITES)
    p = _write(tmp_path / "in-places.csv", PLACES)
    return [a.replace("{f}", str(f)).replace("{p}", str(p)) for a in WRITERS[name]]


OUTPUT_CASES = [(w, o) for w in WRITERS for o in OUTPUTS]


@pytest.mark.parametrize("writer, where", OUTPUT_CASES,
                         ids=[f"{w}-{o}" for w, o in OUTPUT_CASES])
def test_unwritable_output(runner, tmp_path, writer, where):
    argv = _writer_argv(writer, tmp_path)
    suffix = _suffix(argv)
    template, needles = OUTPUTS[where]
    out = Path(template.replace("{x}", suffix))
    out = out if out.is_absolute() else tmp_path / out
    (tmp_path / "afile").write_text("a regular file")
    (tmp_path / f"adir{suffix}").mkdir()
    (tmp_path / f"old{suffix}").write_text("old")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    res = runner.invoke(main, [*argv, "-o", str(out)])
    assert_one_line_error(res, tmp_path, needles)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing new, nothing gone
    assert (tmp_path / f"old{suffix}").read_text() == "old"


@pytest.mark.parametrize("argv, needles", [
    (["rings", "--lon", "24", "--lat", "44", "-o", "{t}/out.txt"], ["out.txt", ".geojson"]),
    (["rings", "--lon", "24", "--lat", "44", "-o", "{t}/out"], ["out", "no suffix"]),
    (["map", "--scenario", "kaliningrad", "-o", "{t}/out.png"], ["out.png", ".html"]),
    (["map", "--scenario", "kaliningrad", "--no-cities", "--png", "{t}/afile/f.png",
      "-o", "{t}/out.html"], ["afile"]),
    (["diff", "kaliningrad", "inf-2019", "--cities", "{t}/afile/c.csv", "-o", "{t}/out.csv"],
     ["afile"]),
], ids=["rings-txt", "rings-no-suffix", "map-png-as-html", "map-png-parent-file",
        "diff-cities-parent-file"])
def test_bad_output_name(runner, tmp_path, argv, needles):
    (tmp_path / "afile").write_text("a regular file")
    res = runner.invoke(main, [a.replace("{t}", str(tmp_path)) for a in argv])
    assert_one_line_error(res, tmp_path, needles)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


@pytest.mark.parametrize("argv", [
    ["sites", "--file", "{d}"], ["rings", "--sites", "{d}"], ["systems", "--file", "{d}"],
    ["scenarios", "x", "--file", "{d}"], ["cities", "--places", "{d}"],
    ["exposure", "--raster", "{d}"], ["map", "--sites", "{d}", "--radius-km", "500"],
], ids=lambda a: "-".join(x.strip("-") for x in a[:2]))
def test_directory_given_as_input(runner, tmp_path, argv):
    d = tmp_path / "in.csv"
    d.mkdir()
    res = runner.invoke(main, [a.replace("{d}", str(d)) for a in argv])
    assert_one_line_error(res, tmp_path, ["in.csv", "directory"])
