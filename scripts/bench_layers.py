"""Benchmark a GEOSTAT-sized vector population layer (issue 16 item 4c): time and peak RSS.

A synthetic Eurostat census grid is generated here (not committed): ``--cells`` 1 km cells
(default 2,000,000, about the populated cells of the 2021 grid) drawn at random from the
land cells of EPSG:3035 over Europe, as the 2021 CSV is published (``GRD_ID`` INSPIRE ids,
``T`` people, ``CNTR_ID`` two-letter codes, some cells shared by two countries). Each
measurement runs in a fresh process so that its peak RSS is its own:

- reading the layer (:func:`geoinf.population_layers.load_population_layer`);
- ``exposure_table("inf-2019", layer=FILE)`` by ``site,band`` and by ``band,country``.

Run: ``python scripts/bench_layers.py [--cells N] [--workdir DIR]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

RES = 1000
EAST0, EAST1, NORTH0, NORTH1 = 2_600_000, 6_600_000, 1_400_000, 5_400_000  # EPSG:3035 box

MEASURE = r"""
import json, sys, time
t0 = time.perf_counter()
import geoinf
from geoinf.exposure import exposure_table
from geoinf.population_layers import load_population_layer
t1 = time.perf_counter()
path, what = sys.argv[1], sys.argv[2]
if what == "read":
    rows = len(load_population_layer(path))
elif what == "import":
    rows = 0
else:
    by = tuple(what.split(","))
    rows = len(exposure_table("inf-2019", layer=path, by=by))
t2 = time.perf_counter()
# VmHWM: this process's own peak (ru_maxrss would carry the parent's across exec)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status")
           if line.startswith("VmHWM:"))
print(json.dumps({"import_s": t1 - t0, "run_s": t2 - t1, "rows": rows,
                  "peak_mib": hwm / 1024}))
"""


def make_layer(path: Path, cells: int, seed: int = 2021) -> None:
    """Write a GEOSTAT-style CSV of ``cells`` land cells (ids, people, country codes)."""
    from affine import Affine
    from rasterio import features

    from geoinf.places import load_countries

    countries = load_countries().to_crs("EPSG:3035")
    width, height = (EAST1 - EAST0) // RES, (NORTH1 - NORTH0) // RES
    transform = Affine(RES, 0, EAST0, 0, -RES, NORTH1)
    ids = features.rasterize(zip(countries.geometry.values, np.arange(1, len(countries) + 1),
                                 strict=True), out_shape=(height, width),
                             transform=transform, fill=0, dtype="uint16")
    land = np.flatnonzero(ids.ravel())
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(land, size=min(cells, land.size), replace=False))
    row, col = np.divmod(pick, width)
    east = EAST0 + col * RES
    north = NORTH1 - (row + 1) * RES
    a2 = countries["iso_a2"].astype(str).to_numpy()[ids.ravel()[pick] - 1]
    a2 = np.where(rng.random(pick.size) < 0.01, np.char.add(a2, "-XX"), a2)  # shared cells
    people = np.rint(rng.lognormal(2.0, 2.0, pick.size)).clip(0, 50_000).astype(np.int64)
    frame = pd.DataFrame({
        "GRD_ID": np.char.add(np.char.add(np.char.add("CRS3035RES1000mN", north.astype(str)),
                                          "E"), east.astype(str)),
        "T": people, "CNTR_ID": a2})
    frame.to_csv(path, index=False)
    print(f"wrote {len(frame):,} cells ({path.stat().st_size / 2**20:.0f} MiB) to {path}")


def measure(path: Path, what: str) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE, str(path), what], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=2_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.gettempdir()) / "geoinf_bench_layers"
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"geostat_{args.cells}.csv"
    if not path.exists():
        make_layer(path, args.cells)
    print(f"layer: {path} (synthetic GEOSTAT 2021 CSV, 1 km cells, EPSG:3035 ids)")
    print(f"{'step':<28}{'time s':>9}{'peak RSS MiB':>14}{'rows':>8}")
    for what in ("import", "read", "site,band", "band,country"):
        m = measure(path, what)
        label = {"import": "import geoinf", "read": "read layer"}.get(what,
                                                                       f"inf-2019 by {what}")
        run = m["import_s"] if what == "import" else m["run_s"]
        print(f"{label:<28}{run:>9.2f}{m['peak_mib']:>14.0f}{m['rows']:>8}")


if __name__ == "__main__":
    main()
