"""Killing a long write leaves the old file untouched or no file, never a partial one."""

import signal
import subprocess
import sys
import time

import numpy as np
import pytest

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
              # large jobs run on the compiled engine: compile it before timing signals
              pytest.mark.usefixtures("compiled_kernels_on_disk")]


@pytest.fixture(scope="module")
def big_sites(tmp_path_factory):
    rng = np.random.default_rng(7)
    n = 1500
    path = tmp_path_factory.mktemp("sites") / "sites.csv"
    rows = [f"s{i},Site {i},{x:.4f},{y:.4f}"
            for i, (x, y) in enumerate(zip(rng.uniform(-180, 180, n), rng.uniform(-80, 80, n),
                                           strict=True))]
    path.write_text("id,name,lon,lat\n" + "\n".join(rows) + "\n")
    return path


def _run_and_kill(argv, directory, sig, old_name):
    """Start a job, send ``sig`` once its temporary output appears (or after 20 s)."""
    proc = subprocess.Popen([sys.executable, "-m", "geoinf.cli", *argv], cwd=directory,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        if any(".tmp-" in p.name for p in directory.iterdir()):
            break
        time.sleep(0.005)
    if proc.poll() is None:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_killed_write_keeps_the_old_file(tmp_path, big_sites, sig):
    out = tmp_path / "rings.geojson"
    out.write_text("old")
    argv = ["rings", "--sites", str(big_sites), "--radius-km", "500,1000,5500", "-o", str(out),
            "--overwrite"]
    code, err = _run_and_kill(argv, tmp_path, sig, out.name)
    assert "Traceback" not in err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["rings.geojson"], names  # no temporary file left behind
    text = out.read_text()
    if code != 0:
        assert text == "old"
    else:  # the signal came after the rename: then the file is whole
        assert text.startswith('{"type": "FeatureCollection"') and text.rstrip().endswith("}")


def test_killed_first_write_leaves_no_file(tmp_path, big_sites):
    out = tmp_path / "rings.geojson"
    argv = ["rings", "--sites", str(big_sites), "--radius-km", "500,1000,5500", "-o", str(out)]
    code, _ = _run_and_kill(argv, tmp_path, signal.SIGTERM, out.name)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names in ([], ["rings.geojson"])
    if code != 0:
        assert names == []


# A slow disk, for `geoinf map -o` and `geoinf exposure -o`: their pages and tables are
# written in one go, too fast to be caught mid-write by polling. This shim writes the first
# half of a page, then waits; a streamed table is written whole and waits before its
# rename. Either way the signal lands while the temporary file exists, every time.
SLOW_DISK = """
import os, pathlib, sys, time
_replace = os.replace
def replace(src, dst, *args, **kwargs):
    if ".tmp-" in os.fspath(src):
        time.sleep(60)
    return _replace(src, dst, *args, **kwargs)
os.replace = replace
_write_text = pathlib.Path.write_text
def write_text(self, data, *args, **kwargs):
    if ".tmp-" not in self.name:
        return _write_text(self, data, *args, **kwargs)
    with open(self, "w", encoding="utf-8") as handle:
        handle.write(data[:len(data) // 2])
        handle.flush()
        time.sleep(60)
        handle.write(data[len(data) // 2:])
    return len(data)
pathlib.Path.write_text = write_text
sys.argv[0] = "geoinf"
from geoinf.cli import main
main()
"""

SLOW_JOBS = {
    "map": (["map", "--scenario", "kaliningrad", "--no-cities"], "out.html"),
    "exposure": (["exposure", "--scenario", "kaliningrad", "--by", "band", "--layer",
                  "raster"], "out.csv"),
}


def _size(path):
    """Size of a file that may vanish between listing and stat (atomic_write's mkstemp
    creates the temporary name and removes it again before the writer creates it)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _kill_mid_write(argv, directory, sig):
    """Run under the slow disk; signal once the temporary file holds its first half."""
    proc = subprocess.Popen([sys.executable, "-c", SLOW_DISK, *argv], cwd=directory,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # a wait for a condition, not a timing: generous for a loaded machine (and a cold
    # numba cache in the child)
    deadline, caught = time.monotonic() + 240, False
    while time.monotonic() < deadline and proc.poll() is None and not caught:
        caught = any(".tmp-" in p.name and _size(p) > 0 for p in directory.iterdir())
        time.sleep(0.01)
    assert caught, "the temporary file never appeared"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("job", list(SLOW_JOBS))
def test_killed_mid_write_keeps_the_old_output(tmp_path, job, sig):
    argv, name = SLOW_JOBS[job]
    out = tmp_path / name
    out.write_text("old")
    code, err = _kill_mid_write([*argv, "-o", str(out), "--overwrite"], tmp_path, sig)
    assert code != 0
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # temporary file removed
    assert out.read_text() == "old"


@pytest.mark.parametrize("job", list(SLOW_JOBS))
def test_killed_first_write_leaves_nothing(tmp_path, job):
    argv, name = SLOW_JOBS[job]
    code, err = _kill_mid_write([*argv, "-o", str(tmp_path / name)], tmp_path, signal.SIGTERM)
    assert code != 0 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
