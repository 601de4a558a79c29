"""Reach bands: each system's reach cut at the INF edges and at its range claims.

A band of a system is the area whose nearest site of that system lies within a given
distance interval, cut at the INF edges (500, 1,000, 5,500 km) and at the system's
range estimates, so each piece has one INF class (the class a missile needs to reach
it) and one range claim (the colour each class is drawn in is
:data:`geoinf.palette.INF_COLOURS`).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely

from .site_discs import site_discs
from .treaty import INF_EDGES_KM, inf_class

__all__ = ["BAND_COLUMNS", "reach_bands"]

BAND_COLUMNS = ("system", "system_name", "estimate", "range_km", "claimant", "source",
                "min_km", "max_km", "inf_class", "n_sites", "sites")
"""Columns of :func:`reach_bands` besides ``geometry``."""


def reach_bands(rings: gpd.GeoDataFrame, *, edges_km: Sequence[float] = INF_EDGES_KM,
                tolerance_km: float = 0.1, areas: dict | None = None) -> gpd.GeoDataFrame:
    """Return each system's reach cut into INF bands and at its range estimates.

    A piece is the area whose nearest site of the system lies between ``min_km``
    and ``max_km``; pieces are cut at the band edges and at every range estimate,
    so each has one INF class and one ``estimate``: the smallest range claim that
    reaches it (``"low"``: both claims reach it; ``"high"``: only the high claim;
    ``"single"``: the system has one figure).

    Parameters
    ----------
    rings : geopandas.GeoDataFrame
        Output of :func:`geoinf.catalog.scenario_rings` (one ring per pair and estimate).
    edges_km : sequence of float, default (500, 1000, 5500)
        Band edges; those below a system's range cut its reach.
    tolerance_km : float, default 0.1
        Boundary tolerance of the discs (:func:`geoinf.rings.disc_polygons`).
    areas : dict, optional
        Site id -> line or polygon, for area sites: their "discs" are the geodesic
        buffers of the area (:func:`geoinf.geodesic_buffer`), so a piece is the area
        whose distance to the nearest site or area lies in the interval.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`BAND_COLUMNS` and the piece (EPSG:4326, valid, counter-clockwise),
        ordered by system, then distance.

    Examples
    --------
    >>> from geoinf.catalog import scenario_rings
    >>> bands = reach_bands(scenario_rings("kaliningrad"))
    >>> for b in bands.itertuples():
    ...     print(b.system, b.estimate, f"{b.min_km:g}-{b.max_km:g}", b.inf_class)
    iskander-m single 0-500 exempt
    9m729 low 0-480 exempt
    9m729 high 480-500 exempt
    9m729 high 500-1000 shorter-range
    9m729 high 1000-2500 intermediate-range
    """
    rows = []
    for system, group in rings.groupby("system", sort=False):
        claims = group.groupby("estimate", sort=False).agg(
            range_km=("range_km", "max"), claimant=("claimant", "first"),
            source=("source", "first")).sort_values("range_km")
        radius = float(claims["range_km"].max())
        edges = np.unique([e for e in edges_km if 0 < e < radius] + list(claims["range_km"]))
        sites = group.drop_duplicates("site")
        lon, lat = sites["lon"].to_numpy(float), sites["lat"].to_numpy(float)
        discs = _discs(sites, lon, lat, edges, tolerance_km, areas or {})
        unions = shapely.union_all(discs, axis=0)
        pieces = unions.copy()
        pieces[1:] = shapely.difference(unions[1:], unions[:-1])
        lows = np.concatenate([[0.0], edges[:-1]])
        for lo, hi, geom in zip(lows, edges, shapely.orient_polygons(pieces), strict=True):
            claim = claims[claims["range_km"] >= hi].iloc[0]
            rows.append({"system": system, "system_name": group["system_name"].iloc[0],
                         "estimate": claim.name, "range_km": float(claim["range_km"]),
                         "claimant": claim["claimant"], "source": claim["source"],
                         "min_km": float(lo), "max_km": float(hi),
                         "inf_class": str(inf_class((lo + hi) / 2)),
                         "n_sites": len(sites), "sites": ", ".join(sites["site_name"]),
                         "geometry": geom})
    if not rows:
        return gpd.GeoDataFrame(columns=[*BAND_COLUMNS, "geometry"], geometry="geometry",
                                crs="EPSG:4326")
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def _discs(sites, lon, lat, edges, tolerance_km, areas: dict):
    """Discs (sites x edges) around point sites; geodesic buffers around area sites."""
    area = np.array([areas.get(s) for s in sites["site"]] + [None], dtype=object)[:-1]
    return site_discs(lon, lat, area, np.broadcast_to(edges, (lon.size, edges.size)),
                      tolerance_km=tolerance_km)
