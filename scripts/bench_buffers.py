"""Benchmark geodesic buffers of lines and areas against the usual recipes (one run).

geoinf.geodesic_buffer vs the geopandas AEQD recipe (project each geometry to an
azimuthal-equidistant CRS at its centroid, buffer, project back) vs shapely's buffer
in degrees, on random polylines (5-20 vertices, 100-1,000 km, lat 35-70) and
country polygons, at 500 / 1,000 / 5,500 km. For each: time, invalid outputs, and
grid points misclassified against exact geoinf.distance_to_km (points within
0.1 km of the edge are not counted). PostGIS ST_Buffer(geography) is not run here
(see the report); it is skipped with a message.

    python scripts/bench_buffers.py [--lines 1000] [--countries 200] [--grid 2.0]
"""

from __future__ import annotations

import argparse
import shutil
import time

import geopandas as gpd
import numpy as np
import shapely

import geoinf
from geoinf.constants import WGS84


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


def wrong_points(geoms, bufs, r_km, grid_deg):
    lon, lat = np.meshgrid(np.arange(-180 + grid_deg / 2, 180, grid_deg),
                           np.arange(-90 + grid_deg / 2, 90, grid_deg))
    lon, lat = lon.ravel(), lat.ravel()
    d = geoinf.distance_to_km(geoms[:, None], lon[None, :], lat[None, :])
    inside = np.stack([shapely.contains_xy(b, lon, lat) for b in bufs])
    return int(((inside != (d <= r_km)) & (np.abs(d - r_km) > 0.1)).sum())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1000)
    ap.add_argument("--countries", type=int, default=200)
    ap.add_argument("--grid", type=float, default=2.0)
    args = ap.parse_args()
    rng = np.random.default_rng(17)
    countries = np.asarray(geoinf.load_countries().geometry.values[:args.countries], dtype=object)
    sets = {"polylines": random_lines(args.lines, rng), "countries": countries}
    if shutil.which("pg_ctl") is None and shutil.which("psql") is None:
        print("PostGIS: skipped (no PostgreSQL on PATH)")
    for name, geoms in sets.items():
        for r in (500, 1000, 5500):
            row = [f"{name:9s} {r:5d} km"]
            times = {}
            for label, fn in (("geoinf", lambda g, r=r: geoinf.geodesic_buffer(g, r)),
                              ("aeqd", lambda g, r=r: aeqd(g, r)),
                              ("degrees", lambda g, r=r: degrees(g, r))):
                t = time.perf_counter()
                bufs = fn(geoms)
                times[label] = time.perf_counter() - t
                invalid = int((~shapely.is_valid(bufs)).sum())
                wrong = wrong_points(geoms, bufs, r, args.grid)
                row.append(f"{label} {times[label]:7.2f} s invalid {invalid} wrong {wrong}")
            row.append(f"aeqd/geoinf {times['aeqd'] / times['geoinf']:.2f}x")
            print(" | ".join(row), flush=True)


if __name__ == "__main__":
    main()
