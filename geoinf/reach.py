"""The reverse question: which sites and systems reach a place, with distance and margin.

Distances are exact ellipsoidal distances (WGS84) from each site to the place; from an
area site (a line or polygon), to the nearest point of the area (0 inside).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .engine import resolve_engine
from .errors import InputError
from .exposure import range_claims
from .gazetteer import resolve_place
from .geometry_distance import distance_to_km
from .population_sums import exact_km
from .treaty import inf_class

__all__ = ["REACH_COLUMNS", "sites_reaching"]

REACH_COLUMNS = ("site", "site_name", "system", "estimate", "range_km", "distance_km",
                 "margin_km", "inf_class")
"""Columns of :func:`sites_reaching`."""


def sites_reaching(place, *, sites=None, max_km: float | None = None,
                   places=None, engine: str = "auto") -> pd.DataFrame:
    """Return every site and system that reaches a place, with distance and margin.

    Parameters
    ----------
    place : str or (lon, lat)
        A place name (see :func:`geoinf.gazetteer.resolve_place`) or coordinates in degrees.
    sites : scenario name, path or DataFrame, optional
        Default: every (site, system) pair of the embedded scenarios. A frame of
        plain sites (no ranges) needs ``max_km``; its sites may be areas
        (:func:`geoinf.sites.area_sites`).
    max_km : float, optional
        Range of plain sites.
    places : optional
        Places table used to look up the name.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Geodesic engine of the distances (:func:`geoinf.engine.resolve_engine`).

    Returns
    -------
    DataFrame
        :data:`REACH_COLUMNS`, one row per (site, system, estimate) that reaches
        the place; ``margin_km = range_km - distance_km``. Sorted by margin,
        largest first. ``attrs["place"]`` names the place resolved.

    Examples
    --------
    >>> r = sites_reaching("Berlin")
    >>> r.attrs["place"]
    'Berlin (DE, 3,426,354)'
    >>> r[["site", "system", "estimate", "distance_km", "margin_km"]].head(2).round(1)
                   site    system estimate  distance_km  margin_km
    0  belarus-area  oreshnik     high        663.9     4836.1
    1  belarus-area  oreshnik      low        663.9     4336.1
    """
    resolve_engine(engine)
    items = range_claims(sites, max_km=max_km, split_single=False)  # bad tables fail fast
    if np.isinf(items["range_km"]).any():
        raise InputError("sites_reaching: a frame of plain sites (no range_km_low/"
                         "range_km_high) needs max_km")
    label, lon, lat = resolve_place(place, places=places)
    d = exact_km(items["lon"].to_numpy(float), items["lat"].to_numpy(float), lon, lat,
                 engine=engine)
    if "area" in items.columns:  # area sites: the exact distance to the area (0 inside)
        is_area = items["area"].notna().to_numpy()
        d[is_area] = distance_to_km(items["area"].to_numpy(object)[is_area], lon, lat,
                                    engine=engine)
    items = items.assign(distance_km=d, margin_km=items["range_km"] - d)
    items["inf_class"] = np.asarray(inf_class(items["range_km"].to_numpy(float)), dtype=object)
    out = items[items["margin_km"] >= 0].sort_values("margin_km", ascending=False, kind="stable")
    out = out[list(REACH_COLUMNS)].reset_index(drop=True)
    out.attrs["place"] = label
    return out
