"""Hostile or unlucky outputs: devices, FIFOs, symlinks, modes, inputs as outputs, full disks, CSV.

Each case asserts the exact behaviour: exit code 2 and one ``Error:`` line naming the
path, the special file untouched, the old file's mode kept, the input unchanged, no
temporary file left; CSV text cells that a spreadsheet would evaluate written with a
leading ``'`` while numbers stay numbers; a provenance header of one line per key.
Tests run as root here (device nodes and a small tmpfs need it; they skip otherwise).
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import stat
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from geoinf import _io
from geoinf.cli import main

from .test_bad_input import PLACES, SITES, assert_one_line_error


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def _sites(tmp_path: Path, text: str = SITES, name: str = "in-sites.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# every command that writes -o, with a quick job; {f}: a sites CSV, {p}: a places CSV
WRITERS = {
    "rings-geojson": (["rings", "--lon", "24.41", "--lat", "44.08", "--radius-km", "500"],
                      ".geojson"),
    "rings-gpkg": (["rings", "--lon", "24.41", "--lat", "44.08", "--radius-km", "500"], ".gpkg"),
    "rings-csv": (["rings", "--sites", "{f}", "--radius-km", "500"], ".csv"),
    "sites": (["sites"], ".csv"),
    "cities": (["cities", "--scenario", "kaliningrad", "--max-km", "300", "--places", "{p}"],
               ".csv"),
    "exposure": (["exposure", "--scenario", "kaliningrad", "--by", "band"], ".csv"),
    "map": (["map", "--scenario", "kaliningrad", "--no-cities"], ".html"),
}


def _argv(name: str, tmp_path: Path, out: Path, *extra: str) -> list[str]:
    argv, _ = WRITERS[name]
    f, p = _sites(tmp_path), tmp_path / "in-places.csv"
    p.write_text(PLACES)
    return [a.replace("{f}", str(f)).replace("{p}", str(p)) for a in argv] + \
        ["-o", str(out), *extra]


# --- 1. only regular files are replaced -------------------------------------------------

def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _char_device(path: Path) -> Path:
    try:  # a copy of /dev/null (major 1, minor 3): harmless even if something wrote to it
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError) as err:
        pytest.skip(f"cannot create a character device here: {err}")
    return path


SPECIAL = {"fifo": (_fifo, stat.S_ISFIFO), "char-device": (_char_device, stat.S_ISCHR)}


@pytest.mark.parametrize("overwrite", [True, False], ids=["overwrite", "plain"])
@pytest.mark.parametrize("kind", list(SPECIAL))
@pytest.mark.parametrize("writer", list(WRITERS))
def test_special_file_is_never_replaced(runner, tmp_path, writer, kind, overwrite):
    make, is_kind = SPECIAL[kind]
    out = make(tmp_path / f"out{WRITERS[writer][1]}")
    res = runner.invoke(main, _argv(writer, tmp_path, out, *(["--overwrite"] * overwrite)))
    assert_one_line_error(res, tmp_path, [str(out), "not a regular file"])
    assert is_kind(os.lstat(out).st_mode)


@pytest.mark.parametrize("kind", list(SPECIAL))
def test_symlink_to_a_special_file_is_refused(runner, tmp_path, kind):
    make, is_kind = SPECIAL[kind]
    target = make(tmp_path / "device")
    link = tmp_path / "out.geojson"
    link.symlink_to(target)
    res = runner.invoke(main, _argv("rings-geojson", tmp_path, link, "--overwrite"))
    assert_one_line_error(res, tmp_path, [str(link), "symlink", "not a regular file"])
    assert link.is_symlink() and is_kind(os.stat(link).st_mode)


def test_dev_null_is_refused_before_it_is_touched():
    before = os.stat("/dev/null")
    with pytest.raises(_io.InputError, match="/dev/null is a character device"):
        _io.check_writable("/dev/null", overwrite=True)
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


@pytest.mark.parametrize("writer", ["rings-geojson", "rings-gpkg", "sites", "exposure", "map"])
def test_overwrite_through_a_symlink_writes_its_target(runner, tmp_path, writer):
    """A symlink stays a symlink; the file it points to (elsewhere) gets the new content."""
    suffix = WRITERS[writer][1]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / f"real{suffix}"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / f"out{suffix}"
    link.symlink_to(target)
    res = runner.invoke(main, _argv(writer, tmp_path, link, "--overwrite"))
    assert res.exit_code == 0, res.output
    assert link.is_symlink() and link.resolve() == target
    assert target.read_bytes() != b"old" and target.stat().st_size > 100
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in elsewhere.iterdir()) == [target.name]  # no temporary left


def test_symlink_to_an_existing_file_needs_overwrite(runner, tmp_path):
    target = tmp_path / "real.geojson"
    target.write_text("old")
    link = tmp_path / "out.geojson"
    link.symlink_to(target)
    res = runner.invoke(main, _argv("rings-geojson", tmp_path, link))
    assert_one_line_error(res, tmp_path, [str(link), "exists", "--overwrite"])
    assert link.is_symlink() and target.read_text() == "old"


def test_dangling_symlink_is_refused(runner, tmp_path):
    link = tmp_path / "out.geojson"
    link.symlink_to(tmp_path / "missing" / "x.geojson")
    res = runner.invoke(main, _argv("rings-geojson", tmp_path, link, "--overwrite"))
    assert_one_line_error(res, tmp_path, [str(link), "symlink", "does not exist"])
    assert link.is_symlink() and not (tmp_path / "missing").exists()


# --- 2. modes: the old file's on --overwrite, the umask's for a new file ------------------

@pytest.mark.parametrize("writer", list(WRITERS))
def test_overwrite_keeps_the_old_mode(runner, tmp_path, writer):
    out = tmp_path / f"out{WRITERS[writer][1]}"
    out.write_text("old")
    out.chmod(0o600)
    res = runner.invoke(main, _argv(writer, tmp_path, out, "--overwrite"))
    assert res.exit_code == 0, res.output
    assert out.read_bytes() != b"old"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


@pytest.fixture
def umask_002():
    old = os.umask(0o002)
    yield 0o664
    os.umask(old)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet", ".csv"])
def test_new_file_gets_the_umask_mode(tmp_path, umask_002, suffix):
    import geoinf

    out = _io.write_frame(geoinf.range_rings(24.41, 44.08, [500]), tmp_path / f"r{suffix}")
    assert stat.S_IMODE(out.stat().st_mode) == umask_002


# --- 3. an output that is one of the inputs -----------------------------------------------

def _tiny_raster(path: Path) -> Path:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(19, 56, 1, 1)) as dst:
        dst.write(np.full((1, 4, 4), 10.0, dtype="float32"))
    return path


SCENARIO = "scenario,site,system\nmine,chernyakhovsk,iskander-m\n"
SAME_FILE = {  # id -> (argv with {i} for the input, input text or a maker, output = input)
    "rings-sites": (["rings", "--sites", "{i}", "--radius-km", "500"], SITES),
    "rings-scenario": (["rings", "--scenario", "{i}"], SCENARIO),
    "cities-sites": (["cities", "--sites", "{i}", "--max-km", "300"], SITES),
    "cities-places": (["cities", "--scenario", "kaliningrad", "--max-km", "300",
                       "--places", "{i}"], PLACES),
    "sites-file": (["sites", "--file", "{i}", "--format", "csv"], SITES),
    "systems-file": (["systems", "--file", "{i}", "--format", "csv"],
                     "id,name,range_km_low,range_km_high\nx,X,480,2500\n"),
    "scenarios-sites": (["scenarios", "kaliningrad", "--sites", "{i}", "--format", "csv"],
                        SITES),
    "scenarios-name-is-a-file": (["scenarios", "{i}", "--format", "csv"], SCENARIO),
    "exposure-scenario": (["exposure", "--scenario", "{i}", "--by", "band"], SCENARIO),
    "exposure-raster": (["exposure", "--scenario", "kaliningrad", "--raster", "{i}"],
                        _tiny_raster),
}


def _input(tmp_path: Path, content, suffix: str) -> Path:
    path = tmp_path / f"data{suffix}"
    if callable(content):
        return content(path)
    path.write_text(content)
    return path


@pytest.mark.parametrize("how", ["same-path", "symlink", "hard-link", "relative"])
@pytest.mark.parametrize("case", list(SAME_FILE))
def test_output_equal_to_an_input_is_refused(runner, tmp_path, monkeypatch, case, how):
    argv, content = SAME_FILE[case]
    src = _input(tmp_path, content, ".tif" if callable(content) else ".csv")
    before = src.read_bytes()
    out = {"same-path": src, "relative": Path(src.name),
           "symlink": tmp_path / f"link{src.suffix}", "hard-link": tmp_path / f"hard{src.suffix}"
           }[how]
    if how == "symlink":
        out.symlink_to(src)
    elif how == "hard-link":
        os.link(src, out)
    monkeypatch.chdir(tmp_path)
    control = runner.invoke(main, [*[a.replace("{i}", str(src)) for a in argv], "-o",
                                   str(tmp_path / "control.csv")])
    assert control.exit_code == 0, control.output
    (tmp_path / "control.csv").unlink()
    before_names = sorted(p.name for p in tmp_path.iterdir())
    for extra in (["--overwrite"], []):  # refused as the input, not as an existing file
        res = runner.invoke(main, [*[a.replace("{i}", str(src)) for a in argv], "-o", str(out),
                                   *extra])
        assert_one_line_error(res, tmp_path, [str(out), "is the input file", src.name])
        assert "--overwrite" not in res.output
    assert src.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == before_names


def test_diff_cities_equal_to_output_is_refused(runner, tmp_path):
    out = tmp_path / "out.csv"
    res = runner.invoke(main, ["diff", "kaliningrad", "inf-2019", "--by", "band", "-o", str(out),
                               "--cities", str(tmp_path / "." / "out.csv")])
    assert_one_line_error(res, tmp_path, ["out.csv", "--cities"])
    assert list(tmp_path.iterdir()) == []


def test_check_writable_inputs_api(tmp_path):
    src = _sites(tmp_path)
    with pytest.raises(_io.InputError, match="is the input"):
        _io.check_writable(src, overwrite=True, inputs=[None, "kaliningrad", src])
    # a name that is not a file is no input file: a new output next to it is fine
    assert _io.check_writable(tmp_path / "kaliningrad", inputs=["kaliningrad"]).name \
        == "kaliningrad"


# --- 4. write failures: a full file system, a failing driver ---------------------------

@pytest.fixture
def full_disk(tmp_path):
    """A 16 KiB tmpfs (root only), removed after the test."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mnt)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs: {done.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


DISK_FULL_JOBS = {  # each writes well over 16 KiB
    "rings-gpkg": (["rings", "--lon", "24.41", "--lat", "44.08", "--radius-km", "500,1000,5500",
                    "--tolerance-km", "0.01"], ".gpkg"),
    "rings-geojson": (["rings", "--lon", "24.41", "--lat", "44.08", "--radius-km",
                       "500,1000,5500", "--tolerance-km", "0.01"], ".geojson"),
    "rings-parquet": (["rings", "--lon", "24.41", "--lat", "44.08", "--radius-km",
                       "500,1000,5500", "--tolerance-km", "0.01"], ".parquet"),
    "rings-csv": (["rings", "--lon", "24.41", "--lat", "44.08", "--radius-km", "500,1000,5500",
                   "--tolerance-km", "0.01"], ".csv"),
    "cities": (["cities", "--scenario", "inf-2019", "--band", "intermediate-range"], ".csv"),
    "map": (["map", "--scenario", "kaliningrad", "--no-cities"], ".html"),
}


@pytest.mark.parametrize("job", list(DISK_FULL_JOBS))
def test_full_disk_is_one_error_line(runner, tmp_path, full_disk, job):
    argv, suffix = DISK_FULL_JOBS[job]
    out = full_disk / f"out{suffix}"
    res = runner.invoke(main, [*argv, "-o", str(out)])
    assert_one_line_error(res, tmp_path, [str(out), "could not be written"])
    assert list(full_disk.iterdir()) == []  # neither the output nor a temporary or journal


def test_failing_gpkg_driver_is_one_error_line(runner, tmp_path, monkeypatch):
    """Wherever a tmpfs cannot be mounted: pyogrio's own error type, raised mid-write."""
    import geopandas as gpd
    import pyogrio.errors

    def failing(self, filename, *args, **kwargs):
        Path(filename).write_bytes(b"partial")
        Path(f"{filename}-journal").write_bytes(b"journal")
        raise pyogrio.errors.FeatureError("Could not add feature to layer at index 0: "
                                          "sqlite3_exec(INSERT ...) failed: disk I/O error")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", failing)
    out = tmp_path / "out.gpkg"
    res = runner.invoke(main, [*WRITERS["rings-gpkg"][0], "-o", str(out)])
    assert_one_line_error(res, tmp_path, [str(out), "could not be written", "disk I/O error"])
    assert list(tmp_path.iterdir()) == []


# --- 5. CSV cells a spreadsheet would evaluate ------------------------------------------

# (the table readers strip leading whitespace, so "\t=x" or " =x" arrive as "=x": those are
# checked on spreadsheet_safe itself)
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-cmd", "@SUM(A1)", "=1+1"]
def _csv(header, rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC).writerows([header, *rows])
    return buffer.getvalue()


HOSTILE_SITES = _csv(["id", "name", "lon", "lat"],
                     [*([f"s{i}", name, -12.5 - i, 44.0 + i] for i, name in enumerate(FORMULAS)),
                      ["plain", "Deveselu", 24.4134, 44.0787]])


def _cells(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO("".join(
        line for line in io.StringIO(text, newline="") if not line.startswith("#")))))


def _assert_guarded(rows, column):
    names = {row[column] for row in rows}
    assert names >= {"'" + f for f in FORMULAS}, names
    assert "Deveselu" in names  # ordinary text unchanged


@pytest.mark.parametrize("to", ["file", "stdout"])
def test_sites_csv_guards_formula_cells(runner, tmp_path, to):
    src = _sites(tmp_path, HOSTILE_SITES)
    out = tmp_path / "out.csv"
    argv = ["sites", "--file", str(src), "--format", "csv"] + (["-o", str(out)] * (to == "file"))
    res = runner.invoke(main, argv)
    assert res.exit_code == 0, res.output
    text = out.read_text() if to == "file" else res.stdout
    rows = _cells(text)
    _assert_guarded(rows, "name")
    assert [row["lon"] for row in rows[:3]] == ["-12.5", "-13.5", "-14.5"]  # numbers as numbers
    assert ",-12.5," in text and "'-12.5" not in text


def test_rings_csv_guards_site_names_not_numbers(runner, tmp_path):
    src = _sites(tmp_path, HOSTILE_SITES)
    out = tmp_path / "rings.csv"
    res = runner.invoke(main, ["rings", "--sites", str(src), "--radius-km", "500", "-o",
                               str(out)])
    assert res.exit_code == 0, res.output
    rows = _cells(out.read_text())
    _assert_guarded(rows, "site_name")
    assert all(row["geometry"].startswith(("POLYGON", "MULTIPOLYGON")) for row in rows)
    frame = pd.read_csv(out)
    assert pd.api.types.is_numeric_dtype(frame["radius_km"])


@pytest.mark.parametrize("to", ["file", "stdout"])
def test_cities_csv_guards_place_names(runner, tmp_path, to):
    places = tmp_path / "places.csv"
    places.write_text(_csv(["name", "lon", "lat", "population"],
                           [*([name, 20.5 + i / 10, 54.7, 1000 + i]
                              for i, name in enumerate(FORMULAS)),
                            ["Deveselu", 20.4, 54.7, 5000]]))
    out = tmp_path / "cities.csv"
    argv = ["cities", "--scenario", "kaliningrad", "--max-km", "300", "--places", str(places),
            "--format", "csv"] + (["-o", str(out)] * (to == "file"))
    res = runner.invoke(main, argv)
    assert res.exit_code == 0, res.output
    text = out.read_text() if to == "file" else res.stdout
    rows = _cells(text)
    _assert_guarded(rows, "name")
    assert {row["population"] for row in rows} >= {"1000", "5000"}


def test_spreadsheet_safe_keeps_numbers_and_other_text():
    frame = pd.DataFrame({"n": [-1.5, 2.0], "i": [-3, 4], "t": ["-x", "a-b"],
                          "ws": ["\tTab", "\rCR"], "sp": ["  =1+1", " x"],
                          "mixed": pd.Series([-7, "=1"], dtype=object), "@col": ["ok", None]})
    out = _io.spreadsheet_safe(frame)
    assert out["n"].tolist() == [-1.5, 2.0] and out["i"].tolist() == [-3, 4]
    assert out["t"].tolist() == ["'-x", "a-b"]
    assert out["ws"].tolist() == ["'\tTab", "'\rCR"]
    assert out["sp"].tolist() == ["'  =1+1", " x"]
    assert out["mixed"].tolist() == [-7, "'=1"]
    assert list(out.columns) == ["n", "i", "t", "ws", "sp", "mixed", "'@col"]
    assert frame["t"].tolist() == ["-x", "a-b"]  # the caller's frame is not changed


# --- 6. the provenance header: one line per key -------------------------------------------

def _header(text: str) -> list[str]:
    """The lines before the table's own header (split at every kind of line break)."""
    return list(itertools.takewhile(lambda line: line.startswith("#"),
                                    text.splitlines(keepends=True)))


@pytest.mark.parametrize("to", ["file", "stdout"])
def test_provenance_header_survives_a_newline_in_a_path(runner, tmp_path, to):
    folder = tmp_path / "a\nb\r# c,=1+1"
    folder.mkdir()
    src = _sites(folder)
    out = tmp_path / "cities.csv"
    argv = ["cities", "--sites", str(src), "--max-km", "300", "--format", "csv"] + \
        (["-o", str(out)] * (to == "file"))
    res = runner.invoke(main, argv)
    assert res.exit_code == 0, res.output
    text = out.open(newline="").read() if to == "file" else res.stdout
    header = _header(text)
    keys = [line.split(":", 1)[0] for line in header]
    assert keys == ["# geoinf", "# ellipsoid", "# distance", "# dataset", "# sites", "# band",
                    "# min_population"]
    sites_line = header[keys.index("# sites")]
    assert sites_line == f"# sites: {tmp_path}/a\\nb\\r# c,'=1+1/in-sites.csv\n"
    assert not any(part.lstrip().startswith("=") for line in header for part in line.split(","))
    frame = pd.read_csv(io.StringIO(text), comment="#")
    assert "name" in frame.columns


def test_comment_header_escapes_control_characters():
    text = _io.comment_header({"path": "x\ny\u2028z\x1b", "empty": "", "none": None, "n": 3})
    assert text == "# path: x\\ny\\u2028z\\x1b\n# n: 3\n"


@pytest.mark.parametrize("target", ["html", "png"])
def test_map_output_linked_to_its_input_is_refused(runner, tmp_path, target):
    # a map's -o (.html) or --png (.png) that is a link to the sites table it reads
    src = _input(tmp_path, SITES, ".csv")
    before = src.read_bytes()
    link = tmp_path / f"link.{target}"
    link.symlink_to(src)
    html = link if target == "html" else tmp_path / "map.html"
    argv = ["map", "--sites", str(src), "--radius-km", "500", "--no-cities", "-o", str(html),
            "--overwrite"]
    res = runner.invoke(main, argv + (["--png", str(link)] if target == "png" else []))
    assert_one_line_error(res, tmp_path, [str(link), "is the input file", src.name])
    assert src.read_bytes() == before and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, link.name])


def test_map_png_equal_to_the_page_is_refused(runner, tmp_path):
    page = tmp_path / "map.html"
    (tmp_path / "fig.png").symlink_to(page)  # dangling now; the same file once written
    res = runner.invoke(main, ["map", "--scenario", "kaliningrad", "--no-cities", "-o",
                               str(page), "--png", str(tmp_path / "fig.png")])
    assert_one_line_error(res, tmp_path, ["fig.png", "is the -o file"])
    assert not page.exists()
