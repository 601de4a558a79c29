"""Benchmark exposure surfaces: Europe at 0.25° x 1,000 km on a synthetic 30" Europe raster.

In process (``geoinf.exposure_surface``), then the same job on a dask ``LocalCluster`` of 1
and 2 worker processes on loopback (speed-up printed), and a per-candidate brute force
(``Geod.inv`` to every cell of the disc's box) on a sample of candidates for exactness.
The raster is the one of ``scripts/bench_exposure.py`` (-25..45 E, 34..72 N, 30", gamma
values), written here (not committed). Run: ``python scripts/bench_surface.py [--workdir DIR]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

from geoinf import exposure_surface
from geoinf.constants import WGS84

RES = 1 / 120
WEST, NORTH, EAST, SOUTH = -25.0, 72.0, 45.0, 34.0
BOUNDS, STEP, RADIUS = (-25, 30, 70, 75), 0.25, 1000.0


def make_raster(path: Path) -> np.ndarray:
    ncols, nrows = round((EAST - WEST) / RES), round((NORTH - SOUTH) / RES)
    values = np.random.default_rng(0).gamma(0.3, 300.0, size=(nrows, ncols)).astype(np.float32)
    transform = from_origin(WEST, NORTH, RES, RES)
    with rasterio.open(path, "w", driver="GTiff", width=ncols, height=nrows, count=1,
                       dtype="float32", crs="EPSG:4326", transform=transform, tiled=True,
                       blockxsize=512, blockysize=512) as dst:
        dst.write(values, 1)
    return values


def brute(values, lon0, lat0, radius_km):
    total = 0.0
    dlat = radius_km / 110.0 + 0.5
    dlon = radius_km / (111.0 * max(np.cos(np.radians(min(abs(lat0) + dlat, 89.0))), 0.01)) + 0.5
    lat = NORTH - (np.arange(values.shape[0]) + 0.5) * RES
    lon = WEST + (np.arange(values.shape[1]) + 0.5) * RES
    cols = np.flatnonzero(np.abs(lon - lon0) <= dlon)
    for r in np.flatnonzero(np.abs(lat - lat0) <= dlat):
        s = np.asarray(WGS84.inv(np.full(cols.size, lon0), np.full(cols.size, lat0), lon[cols],
                                 np.full(cols.size, lat[r]))[2])
        total += float(values[r, cols][s <= radius_km * 1000].sum(dtype=np.float64))
    return total


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--samples", type=int, default=3)
    args = ap.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench_surface_"))
    print(f"load: {os.getloadavg()}")
    path = workdir / "bench_europe_30s.tif"
    values = make_raster(path)
    print(f"raster: {values.shape[1]} x {values.shape[0]} cells (30\"), {path}")

    def job():
        return exposure_surface(path, RADIUS, resolution_deg=STEP, bounds=BOUNDS)
    t_cold, _ = timed(job)
    t_warm, surface = timed(job)
    n = surface.size
    print(f"in process: {n:,} candidates x {RADIUS:g} km: {t_warm:.2f} s "
          f"(first call {t_cold:.2f} s, with loading the compiled kernels)")
    from distributed import Client, LocalCluster
    times = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                          dashboard_address=None, host="127.0.0.1") as cluster, \
                Client(cluster):
            timed(lambda: exposure_surface(path, RADIUS, resolution_deg=1.0,
                                           bounds=(0, 40, 2, 42)))  # workers load the kernels
            times[workers], on = timed(lambda: exposure_surface(
                path, RADIUS, resolution_deg=STEP, bounds=BOUNDS, chunk_rows=128))
        same = np.allclose(on.values, surface.values, rtol=1e-9, atol=1e-6)
        print(f"LocalCluster {workers} worker(s): {times[workers]:.2f} s, same numbers: {same}")
    print(f"speed-up 2 vs 1 workers: {times[1] / times[2]:.2f}x")
    rng = np.random.default_rng(1)
    worst = 0.0
    for _ in range(args.samples):
        i, j = rng.integers(surface.sizes["lat"]), rng.integers(surface.sizes["lon"])
        lon0, lat0 = float(surface.lon[j]), float(surface.lat[i])
        ref = brute(values, lon0, lat0, RADIUS)
        got = float(surface.values[i, j])
        worst = max(worst, abs(got - ref) / max(ref, 1.0))
        print(f"  brute force at ({lon0:.3f}, {lat0:.3f}): {ref:.6e} vs {got:.6e}")
    print(f"worst relative difference vs brute force: {worst:.2e}")
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
