"""Sweep the whole globe through range_rings and range_bands and count every defect.

Sites are uniform on the sphere (with extra sites at |lat| > 89 deg, on lon = +/-180
exactly and at the poles); radii are log-uniform from 0.01 km to just below the
antipodal distance. For every disc and band it counts:

- invalid geometries (``shapely.is_valid``);
- exteriors that are not counter-clockwise, holes that are not clockwise;
- coordinates outside [-180, 180] x [-90, 90];
- wrong pole membership (a point 0.001 deg from each pole vs exact distance);
- on ``--points`` random points per ring plus points just inside and outside the
  circle, planar point-in-polygon disagreements with exact ellipsoidal distance
  farther than the tolerance from the circle.

Goal: all zero. Usage: python scripts/check_globe.py [--n 100000] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import shapely

from geoinf.constants import ANTIPODAL_KM, WGS84
from geoinf.geodesic import distance_km
from geoinf.rings import disc_polygons, range_bands

TOL_KM = 0.1


def random_circles(n: int, seed: int):
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-180, 180, n)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    k = max(n // 50, 1)  # special sites: near the poles, on the antimeridian, at the poles
    lat[:k] = rng.choice([-1, 1], k) * rng.uniform(89, 90, k)
    lon[k:2 * k] = rng.choice([-180.0, 180.0], k)
    lat[2 * k:2 * k + 4] = [90, -90, 90, -90]
    radius = np.exp(rng.uniform(np.log(0.01), np.log(ANTIPODAL_KM - 0.01), n))
    return lon, lat, radius


def orientation_defects(geoms) -> int:
    bad = 0
    for g in geoms:
        for p in getattr(g, "geoms", [g]):
            bad += (not shapely.is_ccw(p.exterior)) + sum(shapely.is_ccw(h) for h in p.interiors)
    return bad


def out_of_range(geoms) -> int:
    b = shapely.bounds(geoms)
    return int(((b[:, 0] < -180) | (b[:, 2] > 180) | (b[:, 1] < -90) | (b[:, 3] > 90)).sum())


def pole_defects(geoms, lon, lat, radius) -> int:
    bad = 0
    for pole_lat in (89.999, -89.999):
        d = distance_km(lon, lat, 0.0, pole_lat)
        sure = np.abs(d - radius) > TOL_KM
        inside = shapely.contains_xy(geoms, 0.0, pole_lat)
        bad += int((sure & (inside != (d < radius))).sum())
    return bad


def membership_defects(geoms, lon, lat, radius, points: int, rng) -> tuple[int, int]:
    """Disagreements (points, rings) between contains_xy and exact distance, off the circle."""
    n = geoms.size
    # random points on the sphere, plus points 2*TOL inside and outside the circle
    plon = rng.uniform(-180, 180, (n, points))
    plat = np.degrees(np.arcsin(rng.uniform(-1, 1, (n, points))))
    az = rng.uniform(-180, 180, (n, 2))
    near_r = np.stack([np.maximum(radius - 2 * TOL_KM, radius / 2),
                       np.minimum(radius + 2 * TOL_KM, ANTIPODAL_KM)], axis=-1)
    nlon, nlat, _ = WGS84.fwd(np.repeat(lon, 2), np.repeat(lat, 2), az.ravel(),
                              near_r.ravel() * 1000)
    plon = np.concatenate([plon, nlon.reshape(n, 2)], axis=1)
    plat = np.concatenate([plat, nlat.reshape(n, 2)], axis=1)
    d = distance_km(lon[:, None], lat[:, None], plon, plat)
    geom_idx = np.broadcast_to(np.arange(n)[:, None], plon.shape)
    inside = shapely.contains_xy(geoms[geom_idx.ravel()], plon.ravel(), plat.ravel())
    inside = inside.reshape(plon.shape)
    wrong = (inside != (d <= radius[:, None])) & (np.abs(d - radius[:, None]) > TOL_KM)
    return int(wrong.sum()), int(wrong.any(axis=1).sum())


def sweep(n: int, seed: int, points: int, batch: int = 2000, quiet: bool = False) -> dict:
    lon, lat, radius = random_circles(n, seed)
    rng = np.random.default_rng(seed + 1)
    totals = dict.fromkeys(["discs", "bands", "invalid", "orientation", "out_of_range",
                            "pole", "membership_points", "membership_rings"], 0)
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        s = slice(start, start + batch)
        geoms = disc_polygons(lon[s], lat[s], radius[s], tolerance_km=TOL_KM)
        # bands (half the radius to the radius) for every 5th circle: edges differ per circle
        sub = np.arange(start, min(start + batch, n))[::5]
        bands = _bands(lon[sub], lat[sub], radius[sub])
        for kind, g in (("discs", geoms), ("bands", bands)):
            totals[kind] += g.size
            totals["invalid"] += int((~shapely.is_valid(g)).sum())
            totals["orientation"] += orientation_defects(g)
            totals["out_of_range"] += out_of_range(g)
        totals["pole"] += pole_defects(geoms, lon[s], lat[s], radius[s])
        pts, rings = membership_defects(geoms, lon[s], lat[s], radius[s], points, rng)
        totals["membership_points"] += pts
        totals["membership_rings"] += rings
        if not quiet:
            done = min(start + batch, n)
            print(f"\r{done:,}/{n:,} circles, {time.perf_counter() - t0:.0f} s", end="",
                  file=sys.stderr, flush=True)
    if not quiet:
        print(file=sys.stderr)
    totals["seconds"] = round(time.perf_counter() - t0, 1)
    return totals


def _bands(lon, lat, radius):
    """One annulus per circle, from half the radius to the radius."""
    out = np.empty(lon.size, dtype=object)
    for i in range(lon.size):
        edges = (radius[i] / 2, radius[i])
        out[i] = range_bands(lon[i], lat[i], edges, tolerance_km=TOL_KM).geometry.values[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--points", type=int, default=20, help="random test points per ring")
    args = parser.parse_args()
    totals = sweep(args.n, args.seed, args.points)
    for key, value in totals.items():
        print(f"{key:>18}: {value:,}" if isinstance(value, int) else f"{key:>18}: {value}")
    defects = sum(v for k, v in totals.items() if k not in ("discs", "bands", "seconds"))
    print("all zero" if defects == 0 else f"{defects} defects")
    sys.exit(0 if defects == 0 else 1)


if __name__ == "__main__":
    main()
