"""Killing a long write leaves the old file untouched or no file, never a partial one."""

import signal
import subprocess
import sys
import time

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


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
