"""Scenarios: named sets of (site, system) pairs, resolved against the sites and systems.

The embedded scenarios (``data/scenarios.csv``; sources in ``data/SOURCES.md``) and
user files in the same shape go through the same checks as the sites and systems
(:mod:`geoinf.sites`, :mod:`geoinf.systems`): every problem of a file is reported at
once, in one :class:`~geoinf.errors.InputError` naming the file, the row (numbered as
in a spreadsheet: the header is row 1), the field, the value and what was expected. A
scenario's pairs give the range rings (:func:`scenario_rings`) that the maps and the
exposure tables use.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import _validate
from .claims import load_deployments, standing_pairs
from .errors import InputError
from .sites import site_areas, site_table
from .systems import system_table
from .tables import TABLE_SUFFIXES, Problems, check_text, read_table, table_file
from .treaty import inf_class

__all__ = [
    "DEFAULT_SCENARIO",
    "SCENARIO_COLUMNS",
    "SCENARIO_BASES",
    "list_scenarios",
    "load_scenario",
    "load_pairs",
    "select_pairs",
    "pairs_as_of",
    "scenario_rings",
    "validate_pairs",
    "unknown_name",
]

DEFAULT_SCENARIO = "inf-2019"
"""The scenario used when none is named (also the default of ``geoinf map``)."""

SCENARIO_COLUMNS = ("scenario", "site", "system", "basis", "description", "note")
"""Columns of a scenarios file (``scenario`` defaults to the file's stem)."""
SCENARIO_BASES = ("deployed", "reported", "claimed", "announced", "planned", "hypothetical")
"""Values of the ``basis`` column: how a pair is known."""

_SCENARIO_REQUIRED = ("site", "system")
_PathLike = str | os.PathLike


def _read_scenarios(path: Path, label: str) -> tuple[pd.DataFrame, Problems]:
    df, probs = read_table(path, label)
    probs.require(df, _SCENARIO_REQUIRED)
    if "scenario" not in df:
        df = df.assign(scenario=path.stem)
    for col in ("site", "system", "scenario"):
        if col in df:
            for i in np.flatnonzero(df[col].astype(str).str.strip() == ""):
                probs.add_row(i, col, f"empty (expected a {col} id)")
    check_text(df, "basis", probs, choices=SCENARIO_BASES)
    df = pd.DataFrame({c: df[c].astype(str).str.strip() if c in df else ""
                       for c in SCENARIO_COLUMNS})
    return df, probs


def _is_path(name_or_path: _PathLike) -> bool:
    text = os.fspath(name_or_path)
    return (isinstance(name_or_path, os.PathLike) or os.sep in text or "/" in text
            or Path(text).suffix.lower() in TABLE_SUFFIXES)


def unknown_name(kind: str, name: str, valid: Sequence[str]) -> str:
    """Return a one-line message for a bad name, with the closest match and the valid ones.

    Examples
    --------
    >>> unknown_name("site", "devesel", ["deveselu", "redzikowo"])
    "unknown site 'devesel'; did you mean 'deveselu'? valid: deveselu, redzikowo"
    """
    valid = sorted(set(valid))
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ";"
    shown = ", ".join(valid[:25]) + (f", ... ({len(valid)} in all)" if len(valid) > 25 else "")
    return f"unknown {kind} {name!r}{hint} valid: {shown}"


def list_scenarios(path: _PathLike | None = None) -> pd.DataFrame:
    """Return one row per scenario: name, pairs, sites, systems, description.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A scenarios CSV (``scenario, site, system`` and optional ``basis``,
        ``description``, ``note``). Default: the embedded ``scenarios.csv``.

    Examples
    --------
    >>> list_scenarios()["scenario"].tolist()
    ['inf-2019', 'euromissiles-1983', 'kaliningrad', 'post-inf-2026']
    """
    df, probs = _read_scenarios(*table_file(path, "scenarios.csv"))
    probs.raise_if_any()
    groups = df.groupby("scenario", sort=False)
    return pd.DataFrame({
        "scenario": list(groups.groups),
        "pairs": groups.size().to_numpy(),
        "sites": groups["site"].agg(lambda s: ", ".join(dict.fromkeys(s))).to_numpy(),
        "systems": groups["system"].agg(lambda s: ", ".join(dict.fromkeys(s))).to_numpy(),
        "description": groups["description"].agg(
            lambda s: next((d for d in s if d), "")).to_numpy(),
    })


def load_scenario(name_or_path: _PathLike = DEFAULT_SCENARIO, *,
                  sites: _PathLike | gpd.GeoDataFrame | None = None,
                  systems: _PathLike | pd.DataFrame | None = None,
                  as_of: str | None = None,
                  deployments: _PathLike | pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Load a scenario: its (site, system) pairs joined with both tables.

    Parameters
    ----------
    name_or_path : str or os.PathLike, default :data:`DEFAULT_SCENARIO`
        The name of an embedded scenario (see :func:`list_scenarios`) or a
        scenarios CSV of your own; all rows of a file are used (a file
        without a ``scenario`` column is named after its stem).
    sites, systems : path or frame, optional
        Tables to resolve the ids against; default: the embedded catalog.
    as_of : str, optional
        A date ``YYYY-MM-DD``: keep only the pairs that stood then (see
        :func:`geoinf.claims.standing_pairs`; a hypothetical pair of the scenario is
        kept, labelled) and add ``deployment_status, status_since, status_source,
        status_strength``. Default: every pair, columns as below.
    deployments : path or frame, optional
        The status changes for ``as_of`` (:func:`geoinf.claims.load_deployments`);
        default: the embedded ``deployments.csv``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per pair: ``scenario, site, system, basis, note``, the site's
        ``name, country, lon, lat, precision_km, status, period`` (``name``
        as ``site_name``), the system's ``system_name, type, range_km_low,
        range_km_high, inf_class_low, inf_class_high, low_claimant,
        low_source, high_claimant, high_source``, and the site point.

    Raises
    ------
    InputError
        For an unknown scenario name (with the closest match and the valid
        names) or, all at once, for rows naming unknown sites or systems; for
        an ``as_of`` that is not a date or precedes every status change.

    Examples
    --------
    >>> scen = load_scenario("inf-2019")
    >>> len(scen), sorted(set(scen["system"]))
    (6, ['9m729', 'mk41-tomahawk'])
    >>> load_scenario("inf2019")
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: unknown scenario 'inf2019'; did you mean 'inf-2019'? valid: ...
    """
    _validate.path(name_or_path, "name_or_path")
    sites, systems = site_table(sites), system_table(systems)
    if _is_path(name_or_path):
        df, probs = _read_scenarios(*table_file(name_or_path, "scenarios.csv"))
    else:
        df, probs = _read_scenarios(*table_file(None, "scenarios.csv"))
        probs.raise_if_any()
        name = str(name_or_path)
        names = list(dict.fromkeys(df["scenario"]))
        if name not in names:
            raise InputError(unknown_name("scenario", name, names))
        keep = (df["scenario"] == name).to_numpy()
        probs.rows = np.flatnonzero(keep)  # messages keep the file's row numbers
        df = df[keep].reset_index(drop=True)
    _check_pairs(df, probs, set(sites["id"]), set(systems["id"]))
    probs.raise_if_any()
    return _standing(_join(df, sites, systems), as_of, deployments)


def _standing(pairs: gpd.GeoDataFrame, as_of, deployments, keep_hypothetical: bool = True
              ) -> gpd.GeoDataFrame:
    if as_of is None:
        return pairs
    table = deployments if isinstance(deployments, pd.DataFrame) else \
        load_deployments(deployments)
    return standing_pairs(pairs, as_of, deployments=table,
                          keep_hypothetical=keep_hypothetical)


def pairs_as_of(as_of: str, *, scenarios: _PathLike | None = None,
                deployments: _PathLike | pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Return every pair of every scenario that stood on a date, once each.

    Parameters
    ----------
    as_of : str
        A date ``YYYY-MM-DD``.
    scenarios : path, optional
        A scenarios file; default: the embedded ``scenarios.csv``.
    deployments : path or frame, optional
        The status changes (default: the embedded ``deployments.csv``).

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of :func:`load_scenario` with ``as_of``; ``scenario`` is the first
        scenario listing the pair. Hypothetical pairs are left out: they never stood.

    Examples
    --------
    >>> sorted(set(pairs_as_of("1985-06-01")["system"]))
    ['bgm-109g', 'pershing-2', 'ss-20']
    >>> pairs_as_of("1960-01-01")
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: as_of='1960-01-01' is before the first status change ...
    """
    df, probs = _read_scenarios(*table_file(scenarios, "scenarios.csv"))
    sites, systems = site_table(None), system_table(None)
    _check_pairs(df, probs, set(sites["id"]), set(systems["id"]))
    probs.raise_if_any()
    first = df.drop_duplicates(["site", "system"]).reset_index(drop=True)
    return _standing(_join(first, sites, systems), as_of, deployments,
                     keep_hypothetical=False)


def _check_pairs(df: pd.DataFrame, probs: Problems, site_ids: set, system_ids: set) -> None:
    seen: dict[tuple[str, str, str], int] = {}
    triples = zip(df["scenario"], df["site"], df["system"], strict=True)
    for i, (scen, site, system) in enumerate(triples):
        if site and site not in site_ids:
            probs.add_row(i, "site", unknown_name("site", site, site_ids))
        if system and system not in system_ids:
            probs.add_row(i, "system", unknown_name("system", system, system_ids))
        key = (scen, site, system)
        if site and system and key in seen:
            probs.add_row(i, "site", f"duplicate pair ({site}, {system}) in scenario "
                          f"{scen!r} (first at {probs.where(seen[key])})")
        seen.setdefault(key, i)


def _join(pairs: pd.DataFrame, sites: gpd.GeoDataFrame, systems: pd.DataFrame
          ) -> gpd.GeoDataFrame:
    site_cols = sites[["id", "name", "country", "lon", "lat", "precision_km", "status",
                       "period"]].rename(columns={"id": "site", "name": "site_name"})
    sys_cols = systems[["id", "name", "type", "range_km_low", "range_km_high",
                        "inf_class_low", "inf_class_high", "low_claimant", "low_source",
                        "high_claimant", "high_source"]].rename(
        columns={"id": "system", "name": "system_name"})
    out = (pairs[["scenario", "site", "system", "basis", "note"]]
           .merge(site_cols, on="site", how="left", validate="many_to_one")
           .merge(sys_cols, on="system", how="left", validate="many_to_one"))
    out = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out["lon"], out["lat"]),
                           crs="EPSG:4326")
    areas = site_areas(sites)
    if (areas != None).any():  # noqa: E711 (elementwise): area sites keep their area
        by_id = dict(zip(sites["id"], areas, strict=True))
        out["area"] = [by_id.get(s) for s in out["site"]]
    return out


def load_pairs(site: str | Sequence[str], system: str | Sequence[str], *,
               sites: _PathLike | gpd.GeoDataFrame | None = None,
               systems: _PathLike | pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Return every (site, system) combination of the given ids, as a scenario.

    Parameters
    ----------
    site, system : str or sequence of str
        Site and system ids; all combinations are formed.
    sites, systems : path or frame, optional
        Tables to resolve the ids against; default: the embedded catalog.

    Returns
    -------
    geopandas.GeoDataFrame
        Same columns as :func:`load_scenario`, scenario ``"custom"``.

    Examples
    --------
    >>> load_pairs("kapustin-yar", "9m729")[["site", "system", "range_km_high"]].values.tolist()
    [['kapustin-yar', '9m729', 2500.0]]
    >>> load_pairs("devesel", "9m729")
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: unknown site 'devesel'; did you mean 'deveselu'? valid: ...
    """
    site_list, system_list = (_ids(value, name) for value, name in ((site, "site"),
                                                                    (system, "system")))
    sites, systems = site_table(sites), system_table(systems)
    bad = [unknown_name("site", s, sites["id"]) for s in site_list if s not in set(sites["id"])]
    bad += [unknown_name("system", s, systems["id"]) for s in system_list
            if s not in set(systems["id"])]
    if bad:
        raise InputError("; ".join(bad))
    pairs = pd.DataFrame([(s, y) for s in site_list for y in system_list],
                         columns=["site", "system"])
    pairs = pairs.assign(scenario="custom", basis="", note="")
    return _join(pairs, sites, systems)


def _ids(value, name: str) -> list[str]:
    """Return one id or a non-empty sequence of ids as a list of str."""
    ids = _validate.keys(value, name, what=f"{name} id")
    if not ids:
        raise InputError(f"{name}=[]: expected at least one {name} id")
    return ids


def select_pairs(scenario: _PathLike | None = None, *, site: str | None = None,
                 system: str | None = None, as_of: str | None = None) -> gpd.GeoDataFrame:
    """Return the pairs named on a command line: a scenario, site x system, or both.

    Parameters
    ----------
    scenario : str or os.PathLike, optional
        A scenario name or file; with ``site``/``system`` its pairs are filtered.
    site, system : str, optional
        Comma-separated ids. Without ``scenario`` both are needed and every
        combination is formed (:func:`load_pairs`).
    as_of : str, optional
        A date ``YYYY-MM-DD``: only the pairs that stood then, with their status
        (:func:`load_scenario`). Alone (no scenario, site or system): every scenario's
        pairs that stood then (:func:`pairs_as_of`).

    Examples
    --------
    >>> select_pairs("inf-2019", system="mk41-tomahawk")["site"].tolist()
    ['deveselu', 'redzikowo']
    >>> select_pairs(site="shuya")
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: --site needs --system (or --scenario); got site 'shuya' only
    """
    for value, name in ((site, "site"), (system, "system")):
        if value is not None and not isinstance(value, str):
            raise InputError(f"{name}={value!r}: expected comma-separated ids (a str) or None")
    if scenario is not None:
        _validate.path(scenario, "scenario")
    sites = [s.strip() for s in site.split(",") if s.strip()] if site else []
    systems = [s.strip() for s in system.split(",") if s.strip()] if system else []
    if scenario is None and as_of is not None and not sites and not systems:
        return pairs_as_of(as_of)
    if scenario is None:
        if not sites or not systems:
            given = f"site {site!r}" if sites else f"system {system!r}" if systems else "neither"
            raise InputError(f"--site needs --system (or --scenario); got {given} only")
        return _standing(load_pairs(sites, systems), as_of, None)
    pairs = load_scenario(scenario, as_of=as_of)
    for col, wanted in (("site", sites), ("system", systems)):
        for ident in wanted:
            if ident not in set(pairs[col]):
                raise InputError(f"{col} {ident!r} is not in scenario {scenario!s}; its "
                                 f"{col}s: {', '.join(sorted(set(pairs[col])))}")
        if wanted:
            pairs = pairs[pairs[col].isin(wanted)]
    return pairs.reset_index(drop=True)


_PAIR_REQUIRED = ("site", "system", "lon", "lat", "range_km_low", "range_km_high")
_PAIR_DEFAULTS = {"scenario": "custom", "basis": "", "note": "", "precision_km": 0.0,
                  "low_claimant": "", "low_source": "", "high_claimant": "", "high_source": ""}


def validate_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Check a frame of (site, system) pairs with ranges, as :func:`load_scenario` returns.

    Parameters
    ----------
    pairs : DataFrame
        At least ``site, system, lon, lat, range_km_low, range_km_high``; the other
        columns of :func:`load_scenario` are optional (text empty, ``precision_km`` 0,
        ``site_name``/``system_name`` the ids, ``scenario`` "custom").

    Returns
    -------
    DataFrame
        A copy with the optional columns filled in.

    Raises
    ------
    InputError
        For a missing column, or the first bad coordinate, range or precision (by index).

    Examples
    --------
    >>> validate_pairs(pd.DataFrame({"site": ["a"], "system": ["b"], "lon": [1.0],
    ...                              "lat": [2.0], "range_km_low": [600.0],
    ...                              "range_km_high": [500.0]}))
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: pairs at index 0: range_km_low=600 is greater than ...
    """
    _validate.frame(pairs, "pairs", _PAIR_REQUIRED)
    _validate.frame_numbers(pairs, "lon", "pairs", lo=-180, hi=180)
    _validate.frame_numbers(pairs, "lat", "pairs", lo=-90, hi=90)
    low, high = _validate.range_claims(pairs, "pairs")
    out = pairs.assign(**{c: v for c, v in _PAIR_DEFAULTS.items() if c not in pairs.columns})
    if "precision_km" in pairs.columns:
        _validate.frame_numbers(out, "precision_km", "pairs", lo=0)
    for name, ident in (("site_name", "site"), ("system_name", "system")):
        if name not in out.columns:
            out[name] = out[ident]
    return out


def scenario_rings(scenario: _PathLike | pd.DataFrame = DEFAULT_SCENARIO, *,
                   conservative: bool = False, tolerance_km: float = 0.1
                   ) -> gpd.GeoDataFrame:
    """Return the geodesic range rings of every (site, system) pair of a scenario.

    A pair whose system has two range claims (low != high) gets two rings,
    ``estimate`` ``"low"`` and ``"high"``, so that exposure can count who lies
    between them; a single claim gives one ring, ``estimate`` ``"single"``.

    Parameters
    ----------
    scenario : str, os.PathLike or DataFrame, default :data:`DEFAULT_SCENARIO`
        A scenario name or file (see :func:`load_scenario`) or the frame it
        (or :func:`load_pairs`) returns.
    conservative : bool, default False
        Widen the outer ring by the site's ``precision_km`` and narrow the
        inner ring by the same (never below 1 km), so that the ``"high"`` ring
        holds every place any position of the site could reach and the ``"low"``
        ring only places every position reaches. A single claim with a
        positive precision then gives two rings. Stated in the ``conservative``
        and ``adjustment_km`` columns.
    tolerance_km : float, default 0.1
        Largest distance between the polygon boundary and the true geodesic
        circle (or buffer of an area site), passed to :func:`geoinf.site_discs.site_discs`.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``scenario, site, system, estimate, range_km`` (ring radius),
        ``claimed_km`` (the cited figure), ``adjustment_km``, ``conservative``,
        ``inf_class`` (of ``claimed_km``), ``claimant, source, basis,
        site_name, system_name, lon, lat, precision_km`` and the ring polygon
        (EPSG:4326).

    Examples
    --------
    >>> rings = scenario_rings("kaliningrad")
    >>> for r in rings.itertuples():
    ...     print(r.system, r.estimate, f"{r.range_km:g}", r.inf_class)
    iskander-m single 500 shorter-range
    9m729 low 480 exempt
    9m729 high 2500 intermediate-range
    """
    from .site_discs import site_discs  # the engine; imported here to keep catalog light

    conservative = _validate.flag(conservative, "conservative")
    tolerance_km = _validate.number(tolerance_km, "tolerance_km", lo=0, lo_open=True)
    pairs = validate_pairs(scenario) if isinstance(scenario, pd.DataFrame) else \
        load_scenario(_validate.path(scenario, "scenario"))
    rows = []
    for p in pairs.itertuples(index=False):
        area = getattr(p, "area", None)
        is_area = area is not None and not (isinstance(area, float) and np.isnan(area))
        # an area site's area already holds its uncertainty: no widening by precision
        prec = float(p.precision_km) if conservative and not is_area else 0.0
        two = p.range_km_low != p.range_km_high or prec > 0
        estimates = (("low", p.range_km_low, p.low_claimant, p.low_source, -prec),
                     ("high", p.range_km_high, p.high_claimant, p.high_source, prec))
        for est, claimed, claimant, source, adj in (estimates if two else estimates[:1]):
            radius = max(claimed + adj, 1.0)
            rows.append({"scenario": p.scenario, "site": p.site, "system": p.system,
                         "estimate": est if two else "single", "range_km": radius,
                         "claimed_km": claimed, "adjustment_km": radius - claimed,
                         "conservative": bool(conservative), "claimant": claimant,
                         "source": source, "basis": p.basis, "site_name": p.site_name,
                         "system_name": p.system_name, "lon": p.lon, "lat": p.lat,
                         "precision_km": p.precision_km})
    out = pd.DataFrame(rows, columns=["scenario", "site", "system", "estimate", "range_km",
                                      "claimed_km", "adjustment_km", "conservative",
                                      "claimant", "source", "basis", "site_name",
                                      "system_name", "lon", "lat", "precision_km"])
    out.insert(8, "inf_class", np.asarray(inf_class(out["claimed_km"].to_numpy(float)),
                                          dtype=object).reshape(-1))
    if out.empty:
        return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    areas = np.full(len(out), None, dtype=object)
    if "area" in pairs.columns:  # an area site's ring: the geodesic buffer of its area
        area_of = {(p.site, p.system): p.area for p in pairs.itertuples(index=False)}
        areas[:] = [area_of[k] for k in zip(out["site"], out["system"], strict=True)]
        areas[pd.isna(areas)] = None
    geometry = site_discs(out["lon"].to_numpy(float), out["lat"].to_numpy(float), areas,
                          out["range_km"].to_numpy(float), tolerance_km=tolerance_km)
    return gpd.GeoDataFrame(out, geometry=geometry, crs="EPSG:4326")
