"""Benchmark geodesic buffers of lines and areas against the usual recipes (one run).

geoinf.geodesic_buffer vs the geopandas AEQD recipe (project each geometry to an
azimuthal-equidistant CRS at its centroid, buffer, project back; "aeqd" as a first run
pays it, building one pyproj transformer per centroid, "aeqd warm" run again at once,
geopandas' cache of transformers holding them all), vs shapely's buffer
in degrees and vs PostGIS ``ST_Buffer(geography)`` (Debian's postgresql-15-postgis-3 in
a throw-away localhost cluster started and stopped here; skipped with a message when
absent), on random polylines (5-20 vertices, 100-1,000 km, lat 35-70) and country
polygons, at 500 / 1,000 / 5,500 km. For each: time, the ratio of the baseline's time
to geoinf's, invalid outputs, and grid points misclassified against exact
geoinf.distance_to_km (points within 0.1 km of the edge are not counted).

    python scripts/bench_buffers.py [--quick] [--lines 1000] [--countries 200] [--grid 2.0]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pg_cluster import PostGISCluster  # scripts/, beside this file

import geoinf
import geoinf.engine
from geoinf.constants import WGS84

RADII_KM = (500, 1000, 5500)


def random_lines(n: int, rng) -> np.ndarray:
    out = []
    for _ in range(n):
        k = int(rng.integers(5, 21))
        total = rng.uniform(100, 1000) * 1000
        lon, lat = rng.uniform(-180, 180), rng.uniform(35, 70)
        az = rng.uniform(0, 360)
        pts = [(lon, lat)]
        for _ in range(k - 1):
            az += rng.uniform(-60, 60)
            lon, lat, _ = WGS84.fwd(lon, lat, az, total / (k - 1))
            pts.append((lon, lat))
        out.append(shapely.LineString(pts))
    return np.array(out, dtype=object)


def aeqd_cold(geoms, r_km):
    """The recipe as a first run pays it: geopandas builds a transformer per new CRS."""
    gpd.array.TransformerFromCRS.cache_clear()  # geopandas' lru_cache of from_crs
    return aeqd(geoms, r_km)


def aeqd(geoms, r_km):
    out = []
    for g in geoms:
        c = g.centroid
        crs = f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +datum=WGS84 +units=m"
        s = gpd.GeoSeries([g], crs=4326).to_crs(crs).buffer(r_km * 1000).to_crs(4326)
        out.append(s.values[0])
    return np.array(out, dtype=object)


def degrees(geoms, r_km):
    return shapely.buffer(geoms, r_km / 111.32)


class PostGIS(PostGISCluster):
    """The cluster of pg_cluster.py with geographies to buffer."""

    def load(self, name: str, geoms) -> None:
        rows = "\n".join(f"{i}\t{w}" for i, w in enumerate(shapely.to_wkb(geoms, hex=True)))
        f = self.file(f"{name}.tsv", rows + "\n")
        self.sql(f"create table {name} (id int, g geography);\n"
                 f"\\copy {name} from '{f}'\n")

    def buffers(self, name: str, r_km: float) -> tuple[float, np.ndarray]:
        out = self.sql(f"drop table if exists buf;\n\\timing on\n"
                       f"create table buf as select id, ST_Buffer(g, {r_km * 1000}) b "
                       f"from {name};\n\\timing off\n"
                       "select encode(ST_AsBinary(b::geometry), 'hex') from buf order by id;")
        lines = out.splitlines()
        secs = [float(x.split()[1]) / 1e3 for x in lines if x.startswith("Time:")]
        wkb = [x for x in lines if x and not x.startswith("Time:")]
        return secs[0], shapely.from_wkb(wkb)



def grid(grid_deg: float):
    lon, lat = np.meshgrid(np.arange(-180 + grid_deg / 2, 180, grid_deg),
                           np.arange(-90 + grid_deg / 2, 90, grid_deg))
    return lon.ravel(), lat.ravel()


def wrong_points(bufs, d, r_km, lon, lat) -> int:
    """Grid points the buffers misclassify, against exact distances ``d`` (geoms x points)."""
    inside = np.stack([shapely.contains_xy(b, lon, lat) for b in bufs])
    return int(((inside != (d <= r_km)) & (np.abs(d - r_km) > 0.1)).sum())


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="50 lines, 10 countries, 5 deg grid")
    ap.add_argument("--lines", type=int, default=1000)
    ap.add_argument("--countries", type=int, default=200)
    ap.add_argument("--grid", type=float, default=2.0)
    args = ap.parse_args()
    if args.quick:
        args.lines, args.countries, args.grid = 50, 10, 5.0
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    rng = np.random.default_rng(17)
    countries = np.asarray(geoinf.load_countries().geometry.values[:args.countries], dtype=object)
    sets = {"polylines": random_lines(args.lines, rng), "countries": countries}
    if geoinf.engine.compiled_kernels() is not None:  # loaded once: "auto" then uses them
        geoinf.geodesic_buffer(sets["polylines"][:2], 100, engine="numba")
    aeqd(sets["polylines"][:2], 100)  # pyproj's first transformer costs about a second
    lon, lat = grid(args.grid)
    with tempfile.TemporaryDirectory() as tmp:
        pg = PostGIS(Path(tmp))
        try:
            for name, geoms in sets.items():
                if pg.ok:
                    pg.load(name, geoms)
                d = geoinf.distance_to_km(geoms[:, None], lon[None, :], lat[None, :])
                for r in RADII_KM:
                    _row(name, geoms, r, pg, d, lon, lat)
        finally:
            pg.stop()
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


def _row(name, geoms, r, pg, d, lon, lat) -> None:
    runs = {"geoinf": lambda: timed(lambda: geoinf.geodesic_buffer(geoms, r)),
            "aeqd": lambda: timed(lambda: aeqd_cold(geoms, r)),
            "aeqd warm": lambda: timed(lambda: aeqd(geoms, r)),
            "degrees": lambda: timed(lambda: degrees(geoms, r))}
    if pg.ok:
        runs["postgis"] = lambda: pg.buffers(name, r)
    times, cells = {}, []
    for label, run in runs.items():
        times[label], bufs = run()
        invalid = int((~shapely.is_valid(bufs)).sum())
        wrong = wrong_points(bufs, d, r, lon, lat)
        ratio = "" if label == "geoinf" else f" ({times[label] / times['geoinf']:.2f}x)"
        cells.append(f"{label} {times[label]:7.2f} s{ratio} invalid {invalid} wrong {wrong}")
    print(f"{name:9s} {r:5d} km | " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
