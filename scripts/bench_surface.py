"""Benchmark exposure surfaces: Europe at 0.25° x 1,000 km on a synthetic 30" Europe raster.

In process (``geoinf.exposure_surface``), then the same call (same chunking rule, same
numbers) on a dask ``LocalCluster`` of 1 and 2 worker processes (one thread each) on
loopback, and a per-candidate brute force (``Geod.inv`` to every cell of the disc's box) on
a sample of candidates for exactness. A cluster's start-up (the worker processes, and on
each worker the imports and the cached compiled kernels) is timed apart from the job; so
is each worker's CPU time during the job: the busiest worker's CPU time bounds the job on
an idle machine, so ``cpu speed-up`` (1 worker's CPU / the busiest of 2) is the speed-up
without other processes' load, while the wall-clock one is what this run saw (compare
``uptime`` printed before and after). dask's nanny sets ``MALLOC_TRIM_THRESHOLD_=65536``
in its workers, which fixes glibc's mmap threshold at 128 KiB: each large temporary array
of the surface kernel is then a fresh mmap and its pages fault in again (about twice the
CPU time of the same tasks in process); ``--malloc glibc`` starts the workers without it
(glibc's adaptive thresholds, as in process). The raster is the one of
``scripts/bench_exposure.py`` (-25..45 E, 34..72 N, 30", gamma values), written here (not
committed). Run: ``python scripts/bench_surface.py [--workdir DIR]``.
"""

from __future__ import annotations

import argparse
import subprocess
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


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def warm(path: str) -> None:
    """On a worker: import geoinf, load the compiled kernels, read one row of the raster."""
    from geoinf import dask_layers, engine
    from geoinf.surface_rows import chunk_surface

    kind = engine.resolve_engine("auto")
    source = dask_layers.row_source(path, chunk_rows=1)
    row = source.items[0](0, 1)
    grid = source.grid
    chunk_surface(row, grid.row_lat[:1], grid.row_west[:1], grid.row_dlon[:1],
                  np.array([0.0, 0.25]), np.array([grid.row_lat[0]]), np.array([1000.0]),
                  engine=kind)


def on_cluster(workers: int, path: Path, malloc: str = "dask"):
    """Return (start-up s, job s, CPU s per worker, surface) on a LocalCluster."""
    import dask
    from distributed import Client, LocalCluster

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    if malloc == "glibc":
        environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    t0 = time.perf_counter()
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}), \
            LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                         dashboard_address=None, host="127.0.0.1") as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(workers)
        client.run(warm, str(path))  # on every worker
        startup = time.perf_counter() - t0
        cpu0 = client.run(time.process_time)
        t_job, surface = timed(lambda: exposure_surface(path, RADIUS, resolution_deg=STEP,
                                                        bounds=BOUNDS))
        cpu1 = client.run(time.process_time)
    return startup, t_job, [cpu1[w] - cpu0[w] for w in cpu0], surface


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--malloc", choices=("dask", "glibc"), default="dask",
                    help="workers with dask's MALLOC_TRIM_THRESHOLD_ (default) or without")
    args = ap.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench_surface_"))
    print(f"uptime before: {uptime()}")
    path = workdir / "bench_europe_30s.tif"
    values = make_raster(path)
    print(f"raster: {values.shape[1]} x {values.shape[0]} cells (30\"), {path}")

    def job():
        return exposure_surface(path, RADIUS, resolution_deg=STEP, bounds=BOUNDS)
    t_cold, _ = timed(job)
    cpu = time.process_time()
    t_warm, surface = timed(job)
    cpu = time.process_time() - cpu
    n = surface.size
    print(f"in process: {n:,} candidates x {RADIUS:g} km: {t_warm:.2f} s (CPU {cpu:.2f} s; "
          f"first call {t_cold:.2f} s, with loading the compiled kernels)")
    runs = {}
    for workers in (1, 2):
        startup, t_job, cpus, on = on_cluster(workers, path, args.malloc)
        runs[workers] = (t_job, cpus)
        same = np.allclose(on.values, surface.values, rtol=1e-9, atol=1e-6)
        print(f"LocalCluster {workers} worker(s), {args.malloc} malloc: start-up "
              f"{startup:.2f} s (processes, imports, kernels; not in the job), job "
              f"{t_job:.2f} s, worker CPU {', '.join(f'{c:.2f}' for c in cpus)} s, "
              f"same numbers: {same}")
    (t1, c1), (t2, c2) = runs[1], runs[2]
    print(f"speed-up 2 vs 1 workers: {t1 / t2:.2f}x wall clock, {max(c1) / max(c2):.2f}x "
          "cpu (1 worker's CPU / the busiest of 2: the wall-clock speed-up on an idle machine, "
          "scheduling aside)")
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
    print(f"uptime after: {uptime()}")


if __name__ == "__main__":
    main()
