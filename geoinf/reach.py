"""The reverse question: which sites and systems reach a place, with distance and margin.

Distances are exact ellipsoidal distances (WGS84) from each site to the place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .engine import resolve_engine
from .errors import InputError
from .exposure import range_claims
from .gazetteer import resolve_place
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
        plain sites (no ranges) needs ``max_km``.
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
            site         system estimate  distance_km  margin_km
    0    postavy          ss-20   single        933.8     4066.2
    1  redzikowo  mk41-tomahawk     high        327.8     2172.2
    """
    resolve_engine(engine)
    items = range_claims(sites, max_km=max_km, split_single=False)  # bad tables fail fast
    if np.isinf(items["range_km"]).any():
        raise InputError("sites_reaching: a frame of plain sites (no range_km_low/"
                         "range_km_high) needs max_km")
    label, lon, lat = resolve_place(place, places=places)
    d = exact_km(items["lon"].to_numpy(float), items["lat"].to_numpy(float), lon, lat,
                 engine=engine)
    items = items.assign(distance_km=d, margin_km=items["range_km"] - d)
    items["inf_class"] = np.asarray(inf_class(items["range_km"].to_numpy(float)), dtype=object)
    out = items[items["margin_km"] >= 0].sort_values("margin_km", ascending=False, kind="stable")
    out = out[list(REACH_COLUMNS)].reset_index(drop=True)
    out.attrs["place"] = label
    return out
