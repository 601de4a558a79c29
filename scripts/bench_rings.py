"""Benchmark geoinf's ring engine against what a user would otherwise write.

Sites: N random points (lat 35-70, lon -10-70, fixed seed) x radii 500/1,000/5,500 km
x 360 vertices. In the same run, for each N:

- geoinf ``range_rings`` (valid, densified to 0.1 km, pole- and antimeridian-correct, in a
  GeoDataFrame) on each engine: ``numba`` (compiled, ``pip install "geoinf[speedups]"``;
  skipped when numba is missing) and ``pyproj`` (the reference);
- pyproj ``Geod.fwd`` per ring + ``shapely.Polygon`` (a loop, as in most scripts);
- pyproj ``Geod.fwd`` on flat arrays + one ``shapely.polygons`` call (the fast baseline);
- the geopandas recipe: per site, buffer a point in a site-centred AEQD projection and
  reproject to EPSG:4326 (up to 1,000 sites; it is slow).

Prints the median time of ``--repeat`` runs, the ratio to the fast baseline (and its
inverse, the speed-up), the uniform-vertex rate (sites x radii x 360 / s, in millions;
geoinf adds densification vertices on top), and how
many polygons are invalid or wrong: on a sample of rings, planar point-in-polygon
(``shapely.contains_xy``) on a global 1-degree grid is compared with exact
ellipsoidal distance; a ring is wrong if any grid point more than 1 km from its
circle is misclassified.

Then the compiled engine's first-call cost in fresh processes: numba import, and the
first ``range_rings`` call with an empty on-disk cache (compilation) and with a warm one
(``cache=True``: the machine code is loaded, not compiled).

Usage: python scripts/bench_rings.py [--sizes 10,100,1000,10000] [--repeat 3] [--no-compile]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod

import geoinf
from geoinf.engine import resolve_engine
from geoinf.geodesic import distance_km

RADII_KM = (500.0, 1000.0, 5500.0)
K = 360
G = Geod(ellps="WGS84")


def sites(n: int, seed: int = 20190802):
    rng = np.random.default_rng(seed)
    return rng.uniform(-10, 70, n), rng.uniform(35, 70, n)


def broadcast(lon, lat):
    return np.repeat(lon, len(RADII_KM)), np.repeat(lat, len(RADII_KM)), np.tile(RADII_KM, lon.size)


def run_geoinf(lon, lat, r, engine="pyproj"):
    return geoinf.range_rings(lon, lat, r, engine=engine).geometry.values


def run_numba(lon, lat, r):
    return run_geoinf(lon, lat, r, engine="numba")


def run_per_ring(lon, lat, r):
    az = np.linspace(0, 360, K, endpoint=False)
    out = []
    for x0, y0, r0 in zip(lon, lat, r, strict=True):
        x, y, _ = G.fwd(np.full(K, x0), np.full(K, y0), az, np.full(K, r0 * 1000))
        out.append(shapely.Polygon(np.column_stack([x, y])))
    return np.array(out, dtype=object)


def run_flat(lon, lat, r):
    az = np.tile(np.linspace(0, 360, K, endpoint=False), lon.size)
    x, y, _ = G.fwd(np.repeat(lon, K), np.repeat(lat, K), az, np.repeat(r * 1000, K))
    return shapely.polygons(np.stack([x, y], axis=-1).reshape(lon.size, K, 2))


def run_aeqd(lon, lat, r):
    out = []
    for x0, y0, r0 in zip(lon, lat, r, strict=True):
        crs = f"+proj=aeqd +lat_0={y0} +lon_0={x0} +datum=WGS84 +units=m"
        ring = gpd.GeoSeries([shapely.Point(0, 0)], crs=crs).buffer(r0 * 1000, quad_segs=K // 4)
        out.append(ring.to_crs(4326).iloc[0])
    return np.array(out, dtype=object)


HAVE_NUMBA = resolve_engine("auto") == "numba"
METHODS = {
    **({"geoinf range_rings, numba": (run_numba, None)} if HAVE_NUMBA else {}),
    "geoinf range_rings, pyproj": (run_geoinf, None),
    "pyproj per ring + Polygon": (run_per_ring, None),
    "pyproj flat + shapely.polygons": (run_flat, None),
    "geopandas AEQD buffer": (run_aeqd, 1000),
}
BASELINE = "pyproj flat + shapely.polygons"


def wrong_count(geoms, lon, lat, r, sample=60, margin_km=1.0):
    """Invalid polygons, and sampled polygons that misclassify grid points off their circle."""
    invalid = int((~shapely.is_valid(geoms)).sum())
    gx, gy = np.meshgrid(np.arange(-179.5, 180, 1.0), np.arange(-89.5, 90, 1.0))
    gx, gy = gx.ravel(), gy.ravel()
    idx = np.linspace(0, geoms.size - 1, min(sample, geoms.size)).astype(int)
    wrong = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in idx:
            d = distance_km(lon[i], lat[i], gx, gy)
            inside = shapely.contains_xy(geoms[i], gx, gy)
            off = np.abs(d - r[i]) > margin_km
            wrong += bool(((inside != (d <= r[i])) & off).any())
    return invalid, wrong, idx.size


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


_FIRST_CALL = """
import time
t0 = time.perf_counter()
import numba  # noqa: F401
t1 = time.perf_counter()
import geoinf
t2 = time.perf_counter()
geoinf.range_rings([24.41, 177.5], [44.08, 64.73], [500, 5500], engine="numba")
t3 = time.perf_counter()
geoinf.range_rings([24.41, 177.5], [44.08, 64.73], [500, 5500], engine="numba")
t4 = time.perf_counter()
print(t1 - t0, t3 - t2, t4 - t3)
"""


def first_call_costs() -> None:
    """Time numba's import and the first compiled call, cold and warm cache, in fresh processes."""
    print("\ncompiled engine, first call in a fresh process (s): "
          "numba import | first range_rings | second call")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("empty cache (compiles)", "warm cache (cache=True)", "warm cache, again"):
            out = subprocess.run([sys.executable, "-c", _FIRST_CALL], env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            imp, first, second = (float(x) for x in out)
            print(f"  {label:26} {imp:6.2f} | {first:6.2f} | {second:6.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-compile", action="store_true",
                        help="skip the first-call (compile) timings")
    args = parser.parse_args()
    run_geoinf(*broadcast(*sites(3)))  # warm up imports
    if HAVE_NUMBA:
        run_numba(*broadcast(*sites(3)))  # and load the compiled kernels
    print(f"geoinf {geoinf.__version__}; {K} vertices; radii {RADII_KM} km; "
          f"median of {args.repeat} interleaved runs; compiled engine: "
          f"{'numba' if HAVE_NUMBA else 'not installed'}")
    header = f"{'sites':>6} {'method':32} {'median s':>9} {'x baseline':>10} {'speed-up':>8} " \
             f"{'Mvert/s':>8} {'rings/s':>9} {'invalid':>8} {'wrong (sample)':>15}"
    print(header)
    for n in (int(s) for s in args.sizes.split(",")):
        lon, lat, r = broadcast(*sites(n))
        times = {name: [] for name in METHODS}
        results = {}
        for _ in range(args.repeat):  # interleave methods so load drifts hit all alike
            for name, (fn, limit) in METHODS.items():
                if limit is not None and n > limit:
                    continue
                if not name.startswith(("geoinf", BASELINE)) and times[name] and n >= 1000:
                    continue  # slow loops: one run is enough at large sizes
                dt, results[name] = timed(fn, lon, lat, r)
                times[name].append(dt)
        base = statistics.median(times[BASELINE])
        for name, t in times.items():
            if not t:
                print(f"{n:>6} {name:32} {'skipped (too slow at this size)':>9}")
                continue
            med = statistics.median(t)
            invalid, wrong, sampled = wrong_count(results[name], lon, lat, r)
            print(f"{n:>6} {name:32} {med:9.3f} {med / base:10.2f} {base / med:8.2f} "
                  f"{r.size * K / med / 1e6:8.2f} {r.size / med:9.0f} "
                  f"{invalid:>8} {wrong:>7}/{sampled}")
    if HAVE_NUMBA and not args.no_compile:
        first_call_costs()


if __name__ == "__main__":
    main()
