"""Uncertainty and change: the people between two range claims, and between two scenarios."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import _validate
from .cities import cities_in_range
from .engine import resolve_engine
from .errors import InputError
from .exposure import BY_KEYS, exposure_table, range_claims
from .treaty import INF_EDGES_KM

__all__ = ["estimate_gap", "exposure_diff", "ExposureDiff"]


def estimate_gap(table: pd.DataFrame) -> pd.DataFrame:
    """Return, per group, the people in reach under the low and the high claim and the gap.

    Parameters
    ----------
    table : DataFrame
        An :func:`geoinf.exposure.exposure_table` result with an ``estimate`` column.

    Returns
    -------
    DataFrame
        The keys (without ``estimate``), ``population_low``, ``population_high`` and
        ``at_stake`` (high - low: the people between the two estimates). A band the
        low claim does not reach counts 0.

    Examples
    --------
    >>> gap = estimate_gap(exposure_table("kaliningrad", by=("band",)))
    >>> gap.loc[0, "band"], int(gap.loc[0, "population_low"]), bool(gap.loc[0, "at_stake"] > 1e8)
    ('shorter-range', 0, True)
    """
    _validate.frame(table, "table", ("population",))
    if "estimate" not in table:
        raise InputError("the table has no estimate column (no system with two range claims)")
    keys = [c for c in BY_KEYS if c in table.columns and c not in ("estimate", "country")]
    keys += [c for c in ("iso_a3", "country_name") if c in table.columns]
    wide = table.pivot_table(index=keys, columns="estimate", values="population",
                             aggfunc="sum", fill_value=0, sort=False)
    low = wide["low"] if "low" in wide else 0
    high = wide["high"] if "high" in wide else 0
    out = pd.DataFrame({"population_low": low, "population_high": high}).reset_index()
    out["at_stake"] = out["population_high"] - out["population_low"]
    return out


class ExposureDiff(NamedTuple):
    """Result of :func:`exposure_diff`."""

    table: pd.DataFrame
    """Keys, ``population_a``, ``population_b`` and ``change`` (b - a)."""
    cities: pd.DataFrame
    """Places that enter (in reach under b only) or leave (under a only) range."""


def exposure_diff(a, b, *, edges_km: Sequence[float] = INF_EDGES_KM,
                  by: Sequence[str] = ("band", "country"), layer="places",
                  min_population: float = 100_000, engine: str = "auto") -> ExposureDiff:
    """Return the change in exposed people from scenario ``a`` to ``b``, and the cities.

    Parameters
    ----------
    a, b : scenario name, path or DataFrame
        As for :func:`geoinf.exposure.exposure_table`.
    edges_km, by, layer
        As for :func:`geoinf.exposure.exposure_table` (``site`` is not allowed: the
        sites may differ).
    min_population : float, default 100,000
        Smallest place listed among the cities entering or leaving range.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Geodesic engine (:func:`geoinf.engine.resolve_engine`); both give the same result.

    Returns
    -------
    ExposureDiff
        ``table``: population under a and b and the change, per group, largest
        change first; ``cities``:
        places within any system's highest range claim under one scenario only,
        ``status`` "enters" (b only) or "leaves" (a only).

    Examples
    --------
    >>> d = exposure_diff("kaliningrad", "inf-2019", by=("band",))
    >>> list(d.table.columns)
    ['estimate', 'band', 'population_a', 'population_b', 'change']
    """
    for value, name in ((a, "a"), (b, "b")):
        if not isinstance(value, str | os.PathLike | pd.DataFrame):
            raise InputError(f"{name}={value!r}: expected a scenario name, path or frame")
    by = _validate.keys(by, "by", BY_KEYS)
    min_population = _validate.number(min_population, "min_population", lo=0)
    if "site" in by:
        raise InputError("exposure_diff: 'site' cannot be a key (the scenarios' sites differ)")
    resolve_engine(engine)
    ta = exposure_table(a, edges_km=edges_km, by=by, layer=layer, engine=engine)
    tb = exposure_table(b, edges_km=edges_km, by=by, layer=layer, engine=engine)
    keys = [c for c in ta.columns if c in BY_KEYS or c in ("iso_a3", "country_name")]
    keys = [k for k in keys if k in tb.columns]
    table = ta[keys + ["population"]].merge(tb[keys + ["population"]], on=keys, how="outer",
                                            suffixes=("_a", "_b"))
    table[["population_a", "population_b"]] = table[["population_a", "population_b"]].fillna(
        0).astype(np.int64)
    table["change"] = table["population_b"] - table["population_a"]
    order = np.argsort(-np.abs(table["change"].to_numpy()), kind="stable")  # largest first
    table = table.iloc[order].reset_index(drop=True)
    ca, cb = (_reach_cities(x, min_population, engine) for x in (a, b))
    enters = cb[~cb["_key"].isin(ca["_key"])].assign(status="enters")
    leaves = ca[~ca["_key"].isin(cb["_key"])].assign(status="leaves")
    cities = pd.concat([enters, leaves], ignore_index=True).drop(columns="_key")
    cities = cities.sort_values("population", ascending=False, kind="stable")
    return ExposureDiff(table, cities.reset_index(drop=True))


def _reach_cities(scenario, min_population, engine) -> pd.DataFrame:
    """Return the places within each site's highest range claim, with a key per place."""
    items = range_claims(scenario, split_single=False)
    top = items.sort_values("range_km").drop_duplicates("site", keep="last")
    frame = cities_in_range(top, max_km=top["range_km"].to_numpy(float),
                            min_population=min_population, engine=engine)
    cols = ["name", "country", "population", "nearest_site", "distance_km"]
    out = frame[cols].copy()
    out["_key"] = frame["name"].astype(str) + "|" + frame["lon"].round(5).astype(str) + "|" + \
        frame["lat"].round(5).astype(str)
    return out
