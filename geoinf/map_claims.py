"""Range claims and pair statuses as a map shows them (issue 18): who claims what, since when.

:func:`system_claims` gives every claim of each system of a map (``data/claims.csv``,
:func:`geoinf.claims.load_claims`), :func:`pair_status` each (site, system) pair's status
and the date it took it (``data/deployments.csv``); the other helpers write them as
escaped HTML for the legend, band tooltips, city texts and site popups
(:mod:`geoinf.map_layers`, :mod:`geoinf.map_panels`).
"""

from __future__ import annotations

import functools

import geopandas as gpd
import pandas as pd

from .claims import load_claims, load_deployments
from .map_elements import escape_text

__all__ = ["BADGES", "system_claims", "claim_label", "claim_ref", "band_claims",
           "pair_status", "latest_statuses", "claimant_short"]

BADGES = {"claimed": "ALLEGED", "hypothetical": "HYPOTHETICAL", "planned": "PLANNED",
          "announced": "ANNOUNCED", "reported": "REPORTED"}
"""Badge shown for a pair's status (its dated status, else its scenario ``basis``)."""

_KIND_WORDS = {"max": "{km}", "min": "over {km}", "flight": "a flight of over {km}"}



@functools.lru_cache(maxsize=1)
def _catalog_claims():
    return load_claims()


@functools.lru_cache(maxsize=1)
def latest_statuses() -> pd.DataFrame:
    """Return each pair's latest status change (``data/deployments.csv``), by (site, system)."""
    d = load_deployments()
    return d.groupby(["site", "system"], sort=False).tail(1).set_index(["site", "system"])


def system_claims(sites: gpd.GeoDataFrame) -> dict[str, pd.DataFrame]:
    """Return every range claim of each system of a map, drawn claims first.

    A catalog system (whose drawn claims in ``data/claims.csv`` span the pairs' low and
    high ranges) gets each of its claims (:func:`geoinf.claims.load_claims`); any other
    (a user's systems table, a plain ``--radius-km``) gets its low and high figures.

    Returns
    -------
    dict
        System id -> DataFrame ``range_km, kind, claimant, who, year, date, strength,
        drawn, source``, sorted by drawn (first), then range, then date.

    Examples
    --------
    >>> from geoinf.catalog import select_pairs
    >>> c = system_claims(select_pairs("inf-2019"))["9m729"]
    >>> c[["range_km", "who", "drawn"]].values.tolist()[:2]
    [[480.0, 'Russia', True], [2350.0, 'FAZ', True]]
    """
    table = _catalog_claims()
    out = {}
    for system, group in sites.groupby("system", sort=False):
        first = group.iloc[0]
        mine = table[table["system"] == system]
        drawn = mine[mine["drawn"]]["range_km"]
        if len(drawn) and abs(drawn.min() - first.range_km_low) < 0.5 and abs(
                drawn.max() - first.range_km_high) < 0.5:
            rows = mine[["range_km", "kind", "claimant", "date", "strength", "drawn",
                         "source"]].assign(day=[str(d) for d in mine["day"]])
        else:
            two = first.range_km_low != first.range_km_high
            rows = pd.DataFrame({
                "range_km": [first.range_km_low, first.range_km_high][:1 + two],
                "kind": "max", "claimant": [first.low_claimant, first.high_claimant][:1 + two],
                "date": "", "strength": "", "drawn": True,
                "source": [first.low_source, first.high_source][:1 + two], "day": ""})
        rows = rows.assign(range_km=rows["range_km"].astype(float),
                           who=[claimant_short(c) or "given range" for c in rows["claimant"]],
                           year=[str(d)[:4] for d in rows["date"]])
        out[system] = rows.sort_values(["drawn", "range_km", "day"],
                                       ascending=[False, True, True],
                                       kind="stable").drop(columns="day").reset_index(drop=True)
    return out


def claim_label(claim, *, details: bool = False) -> str:
    """Return a claim as escaped HTML: its figure, who makes it and the year.

    With ``details``, also the strength of its source and whether the map draws it.

    Examples
    --------
    >>> claim_label(pd.Series({"range_km": 1200.0, "kind": "flight", "who": "Ukraine",
    ...                        "year": "2025", "strength": "official", "drawn": False}),
    ...             details=True)
    'a flight of over 1,200&nbsp;km (Ukraine, 2025; official; not drawn)'
    """
    km = _KIND_WORDS.get(claim["kind"], "{km}").format(km=f"{claim['range_km']:,.0f}&nbsp;km")
    bits = [escape_text(claim["who"])] + ([escape_text(claim["year"])]
                                          if claim.get("year") else [])
    extra = []
    if details and str(claim.get("strength") or ""):
        extra.append(escape_text(claim["strength"]))
    if details and not claim.get("drawn", True):
        extra.append("not drawn")
    return f"{km} ({', '.join(bits)}{'; ' + '; '.join(extra) if extra else ''})"


_KIND_PHRASE = {"max": "the {km} claim", "min": "the over-{km} estimate",
                "flight": "the reported flight of over {km}"}


def claim_ref(claims: pd.DataFrame) -> list[list]:
    """Return a system's claims for the page: ``[km, phrase, drawn, who]`` each (escaped).

    Examples
    --------
    >>> claim_ref(pd.DataFrame({"range_km": [1200.0], "kind": ["flight"],
    ...                         "who": ["Ukraine"], "year": ["2025"], "drawn": [False]}))
    [[1200.0, 'the reported flight of over 1,200&nbsp;km (Ukraine, 2025)', False, \
'Ukraine, 2025']]
    """
    out = []
    for _, c in claims.iterrows():
        who = ", ".join(escape_text(v) for v in (c["who"], c.get("year")) if v)
        phrase = _KIND_PHRASE.get(c["kind"], "the {km} claim").format(
            km=f"{c['range_km']:,.0f}&nbsp;km")
        out.append([float(c["range_km"]), f"{phrase} ({who})", bool(c["drawn"]), who])
    return out


def pair_status(pair) -> tuple[str, str]:
    """Return a pair's status and since when ('' if unknown), as plain text.

    The pair's own dated status (``deployment_status``, ``status_since``: a map
    ``as_of`` a date) or else its latest change in ``data/deployments.csv``; a pair
    the table does not know (a user's site) keeps its scenario ``basis``.

    Examples
    --------
    >>> pair_status(pd.Series({"site": "krichev", "system": "oreshnik", "basis": "x"}))
    ('reported', '2026-02-11')
    >>> pair_status(pd.Series({"site": "mine", "system": "x", "basis": "planned"}))
    ('planned', '')
    """
    status = pair.get("deployment_status")
    if isinstance(status, str) and status:
        return status, str(pair.get("status_since") or "")
    latest = latest_statuses()
    key = (pair.get("site"), pair.get("system"))
    if key in latest.index:
        row = latest.loc[key]
        return str(row["status"]), str(row["date"])
    basis = pair.get("basis")
    return (str(basis) if isinstance(basis, str) else ""), ""



def band_claims(claims: pd.DataFrame, min_km: float, max_km: float) -> str:
    """Return (escaped HTML) which drawn claims reach all of a band, part of it, or none.

    Examples
    --------
    >>> c = pd.DataFrame({"range_km": [480.0, 2500.0], "kind": "max", "drawn": True,
    ...                   "who": ["Russia", "US"], "year": ["2019", "2018"]})
    >>> band_claims(c, 0, 500).split("<br>")
    ['reached under 2,500&nbsp;km (US, 2018)', 'partly under 480&nbsp;km (Russia, 2019)']
    """
    drawn = claims[claims["drawn"]]
    whole = drawn[drawn["range_km"] >= max_km - 1e-6]
    part = drawn[(drawn["range_km"] > min_km + 1e-6) & (drawn["range_km"] < max_km - 1e-6)]
    none = drawn[drawn["range_km"] <= min_km + 1e-6]
    out = ["reached under " + ("every drawn claim: " if len(whole) == len(drawn) else "")
           + ", ".join(claim_label(c) for _, c in whole.iterrows())]
    if len(part):
        out.append("partly under " + ", ".join(claim_label(c) for _, c in part.iterrows()))
    if len(none):
        out.append("not under " + ", ".join(claim_label(c) for _, c in none.iterrows()))
    return "<br>".join(out)



def claimant_short(text) -> str:
    """Return who makes a range claim, without the citation details (plain text).

    Examples
    --------
    >>> claimant_short("Russia: Lt-Gen Mikhail Matveevsky, briefing of 23 Jan 2019")
    'Russia'
    >>> claimant_short("US assessment as reported in the press (no official US number)")
    'US assessment as reported in the press'
    >>> claimant_short("FAZ, citing a Western intelligence source")
    'FAZ'
    """
    whole = str(text if text is not None and text == text else "")
    short = whole.split(" (")[0].split("; ")[0].split(", ")[0]
    return short.split(": ")[0].strip() or whole.strip()
