"""Dated, cited claims: range claims of the systems and status changes of the deployments.

Two embedded tables (sources in ``data/SOURCES.md``), read by :func:`geoinf.tables.read_frame`
and checked like the sites and systems, every problem of a file in one one-line
:class:`~geoinf.errors.InputError` naming the file, row, field and value:

- ``data/claims.csv``: every published range figure of a system, with its claimant,
  date, source and strength (:func:`load_claims`). ``systems.csv`` keeps one low and one
  high figure per system: they are the lowest and highest *drawn* ``max`` claims here.
- ``data/deployments.csv``: one row per status change of a (site, system) pair
  (:func:`load_deployments`), so that a scenario can be taken as it stood on a date
  (:func:`standing_pairs`, used by ``load_scenario(..., as_of=...)``).

Dates are ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; a partial date counts from its first
day (``1983-11`` is 1 Nov 1983), and the table keeps it as written so that its precision
shows.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import numpy as np
import pandas as pd

from .errors import InputError
from .tables import Problems, check_numbers, check_text, read_frame, shown, table_file

__all__ = ["CLAIM_COLUMNS", "CLAIM_KINDS", "STRENGTHS", "CHECKED", "DEPLOYMENT_COLUMNS",
           "DEPLOYMENT_STATUSES", "parse_date", "load_claims", "claim_support",
           "load_deployments", "statuses_as_of", "standing_pairs"]

CLAIM_COLUMNS = ("system", "range_km", "kind", "claimant", "date", "source", "strength",
                 "checked", "seen", "drawn", "note")
"""Columns of :func:`load_claims` (besides the parsed ``day``)."""
CLAIM_KINDS = ("max", "min", "flight")
"""``max``: a stated maximum range; ``min``: "more than X"; ``flight``: a distance flown."""
STRENGTHS = ("official", "reputable", "think-tank", "reference", "state-media", "weak")
"""Strength labels of a source; ``"official, via state-media"`` names a statement and the
only outlet it was seen in."""
CHECKED = ("checked", "mirror", "lead")
"""How a source was read: the page itself, a mirror of it, or only the team's lead list."""
DEPLOYMENT_COLUMNS = ("site", "system", "status", "date", "source", "strength", "checked",
                      "seen", "note")
"""Columns of :func:`load_deployments` (besides the parsed ``day``)."""
DEPLOYMENT_STATUSES = ("deployed", "reported", "claimed", "announced", "planned", "historical",
                       "hypothetical")
"""Statuses of a pair: deployed (by its operator's word or imagery), reported (by others),
claimed (one side's claim about the other's launchers), announced (a government says it
will deploy), planned (a plan with a named site), historical (withdrawn or abandoned),
hypothetical (a what-if; never reported)."""

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_STRENGTH = rf"({'|'.join(STRENGTHS)})(, via ({'|'.join(STRENGTHS)}))?"
_PathLike = str | os.PathLike


def parse_date(text: str) -> dt.date | None:
    """Return the first day of a ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` date; None if bad.

    Examples
    --------
    >>> parse_date("1983-11"), parse_date("2025-02-30")
    (datetime.date(1983, 11, 1), None)
    """
    match = _DATE.fullmatch(str(text).strip())
    if match is None:
        return None
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _check_dates(df: pd.DataFrame, col: str, probs: Problems, *, required: bool) -> list:
    """Return the column's dates (None where empty or bad); record every bad cell."""
    out = []
    for i, raw in enumerate(df[col] if col in df else [""] * len(df)):
        day = parse_date(raw) if raw else None
        if raw and day is None:
            probs.add_row(i, col, f"{shown(raw)} is not a date (expected YYYY, YYYY-MM or "
                          "YYYY-MM-DD)")
        elif not raw and required:
            probs.add_row(i, col, "empty (expected a date YYYY, YYYY-MM or YYYY-MM-DD)")
        out.append(day)
    return out


def _read(path: _PathLike | None, default: str, columns: tuple, required: tuple
          ) -> tuple[pd.DataFrame, Problems]:
    frame, probs = read_frame(*table_file(path, default))
    df = frame.astype(object).where(frame.notna(), "").astype(str).apply(
        lambda c: c.str.strip())
    probs.require(df, required)
    for col in (c for c in required if c not in ("range_km", "date") and c in df):
        for i in np.flatnonzero(df[col] == ""):
            probs.add_row(i, col, f"empty (expected a {col})")
    check_text(df, "strength", probs, pattern=_STRENGTH,
               expected=f"a strength ({', '.join(STRENGTHS)}, or 'X, via Y')")
    check_text(df, "checked", probs, choices=CHECKED)
    _check_dates(df, "seen", probs, required=False)
    return df.reindex(columns=list(columns), fill_value=""), probs


def load_claims(path: _PathLike | None = None) -> pd.DataFrame:
    """Load and validate a table of range claims.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A table with ``system, range_km, kind, claimant, source`` (every claim needs
        its source) and optional ``date`` (of the claim), ``strength`` (see
        :data:`STRENGTHS`), ``checked`` (:data:`CHECKED`), ``seen`` (date the source
        was read), ``drawn`` (``yes``/``no``: whether the catalog's rings use it;
        default ``yes``), ``note``. Default: the embedded ``claims.csv``.

    Returns
    -------
    pandas.DataFrame
        :data:`CLAIM_COLUMNS`, ``range_km`` as float, ``drawn`` as bool, and ``day``
        (the claim's date as :class:`datetime.date`, None if undated).

    Examples
    --------
    >>> c = load_claims().query("system == '9m729'")
    >>> sorted(set(c["kind"])), int(c["range_km"].min()), int(c["range_km"].max())
    (['flight', 'max', 'min'], 480, 2500)
    """
    df, probs = _read(path, "claims.csv", CLAIM_COLUMNS,
                      ("system", "range_km", "kind", "claimant", "source"))
    km = check_numbers(df, "range_km", probs, lo=0, lo_open=True)
    check_text(df, "kind", probs, choices=CLAIM_KINDS)
    check_text(df, "drawn", probs, choices=("yes", "no"))
    days = _check_dates(df, "date", probs, required=False)
    probs.raise_if_any()
    return df.assign(range_km=km, drawn=df["drawn"] != "no", day=days)


def claim_support(system: str, distance_km: float, *, claims: pd.DataFrame | None = None
                  ) -> pd.DataFrame:
    """Return a system's claims, each saying whether it puts ``distance_km`` in reach.

    A claim of any kind reaches the distances up to its figure (a ``max`` claim by its
    claimant's word, a ``min`` or ``flight`` claim as a lower bound of the range).

    Examples
    --------
    >>> s = claim_support("mrc-tomahawk", 2058.0)
    >>> s[["range_km", "strength", "reaches"]].values.tolist()[-2:]
    [[2000.0, 'official, via reputable', False], [2500.0, 'reputable', True]]
    """
    claims = load_claims() if claims is None else claims
    mine = claims[claims["system"] == system]
    if mine.empty:
        raise InputError(f"system {system!r} has no claims; systems with claims: "
                         f"{', '.join(sorted(set(claims['system'])))}")
    distance = float(distance_km)
    return mine.assign(reaches=mine["range_km"] >= distance).reset_index(drop=True)


def load_deployments(path: _PathLike | None = None) -> pd.DataFrame:
    """Load and validate a table of status changes of (site, system) pairs.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A table with ``site, system, status`` (one of :data:`DEPLOYMENT_STATUSES`),
        ``date`` (when the pair took that status) and ``source``, and optional
        ``strength``, ``checked``, ``seen``, ``note``. Default: the embedded
        ``deployments.csv``.

    Returns
    -------
    pandas.DataFrame
        :data:`DEPLOYMENT_COLUMNS` and ``day`` (the date as :class:`datetime.date`),
        sorted by pair and date (stable).

    Examples
    --------
    >>> d = load_deployments().query("site == 'mutlangen'")
    >>> d[["status", "date"]].values.tolist()
    [['deployed', '1983-11-25'], ['historical', '1990']]
    """
    df, probs = _read(path, "deployments.csv", DEPLOYMENT_COLUMNS,
                      ("site", "system", "status", "date", "source"))
    check_text(df, "status", probs, choices=DEPLOYMENT_STATUSES)
    days = _check_dates(df, "date", probs, required=True)
    probs.raise_if_any()
    out = df.assign(day=days)
    return out.sort_values(["site", "system", "day"], kind="stable").reset_index(drop=True)


def _as_of_date(as_of, deployments: pd.DataFrame) -> dt.date:
    day = parse_date(as_of) if isinstance(as_of, str) and len(as_of.strip()) == 10 else None
    if day is None:
        raise InputError(f"as_of={as_of!r}: not a date (expected YYYY-MM-DD)")
    first = min(deployments["day"])
    if day < first:
        raise InputError(f"as_of={as_of!r} is before the first status change in the "
                         f"deployments table ({first.isoformat()}); expected a date on or "
                         "after it")
    return day


def statuses_as_of(as_of: str, *, deployments: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return each pair's latest status change on or before ``as_of`` (YYYY-MM-DD).

    Pairs whose first change is later are left out; withdrawn pairs keep their
    ``historical`` row.

    Raises
    ------
    InputError
        ``as_of`` is not a YYYY-MM-DD date, or is before every change in the table.

    Examples
    --------
    >>> s = statuses_as_of("1985-06-01").set_index("site")
    >>> s.loc["mutlangen", "status"], "molesworth" in s.index
    ('deployed', False)
    """
    deployments = load_deployments() if deployments is None else deployments
    day = _as_of_date(as_of, deployments)
    past = deployments[[d <= day for d in deployments["day"]]]
    return (past.sort_values(["site", "system", "day"], kind="stable")
            .groupby(["site", "system"], sort=False).tail(1).reset_index(drop=True))


def standing_pairs(pairs: pd.DataFrame, as_of: str, *,
                   deployments: pd.DataFrame | None = None,
                   keep_hypothetical: bool = True) -> pd.DataFrame:
    """Return the pairs that stood on ``as_of``, with their status then.

    A pair stands if its latest change on or before ``as_of`` is not ``historical``
    (and, with ``keep_hypothetical=False``, not ``hypothetical``).

    Returns
    -------
    DataFrame
        The standing rows of ``pairs`` with ``deployment_status``, ``status_since``
        (the change's date as written), ``status_source`` and ``status_strength``.

    Raises
    ------
    InputError
        For a bad ``as_of`` (see :func:`statuses_as_of`) or pairs without any status.
    """
    deployments = load_deployments() if deployments is None else deployments
    known = set(zip(deployments["site"], deployments["system"], strict=True))
    missing = sorted({p for p in zip(pairs["site"], pairs["system"], strict=True)
                      if p not in known})
    if missing:
        shown_pairs = ", ".join(f"({s}, {y})" for s, y in missing[:10])
        raise InputError(f"no status for pair{'s' if len(missing) > 1 else ''} "
                         f"{shown_pairs} in the deployments table; expected a row per "
                         "status change (site, system, status, date, source)")
    now = statuses_as_of(as_of, deployments=deployments)[
        ["site", "system", "status", "date", "source", "strength"]].rename(columns={
            "status": "deployment_status", "date": "status_since", "source": "status_source",
            "strength": "status_strength"})
    gone = {"historical"} if keep_hypothetical else {"historical", "hypothetical"}
    out = pairs.merge(now, on=["site", "system"], how="inner")
    return out[~out["deployment_status"].isin(gone)].reset_index(drop=True)
