"""Missile systems: the cited table of ranges, validated on load; INF classes derived.

The embedded table (``data/systems.csv``; sources in ``data/SOURCES.md``) and user CSVs
in the same shape go through the same checks, all problems of a file in one
:class:`~geoinf.errors.InputError` (see :mod:`geoinf.tables`). The INF class of a
system is derived from its range with :func:`geoinf.treaty.inf_class`, never typed by
hand.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from . import _validate
from .tables import check_ids, check_numbers, check_text, read_table, table_file
from .treaty import inf_class

__all__ = ["SYSTEM_COLUMNS", "SYSTEM_TYPES", "load_systems", "system_table"]

SYSTEM_COLUMNS = ("id", "name", "designations", "type", "range_km_low", "range_km_high",
                  "low_claimant", "low_source", "high_claimant", "high_source",
                  "confidence", "note")
"""Columns of :func:`load_systems`, besides the derived ``inf_class_low/high``."""
SYSTEM_TYPES = ("GLCM", "GLBM", "launcher")
"""Values of the ``type`` column: ground-launched cruise or ballistic missile, launcher."""

_REQUIRED = ("id", "name", "range_km_low", "range_km_high")
_PathLike = str | os.PathLike


def load_systems(path: _PathLike | None = None) -> pd.DataFrame:
    """Load and validate a table of missile systems; derive their INF classes.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A CSV with at least ``id, name, range_km_low, range_km_high`` (km,
        low <= high). Optional: ``designations``, ``type`` (one of
        :data:`SYSTEM_TYPES`), ``low_claimant``, ``low_source``,
        ``high_claimant``, ``high_source``, ``confidence``, ``note``. A typed
        ``inf_class`` column is refused: the class is derived from the range.
        Default: the embedded ``systems.csv``.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`SYSTEM_COLUMNS` plus ``inf_class_low`` and
        ``inf_class_high`` from :func:`geoinf.treaty.inf_class`.

    Examples
    --------
    >>> systems = load_systems().set_index("id")
    >>> row = systems.loc["9m729"]
    >>> f"{row.range_km_low:g} {row.inf_class_low}, {row.range_km_high:g} {row.inf_class_high}"
    '480 exempt, 2500 intermediate-range'
    """
    df, probs = read_table(*table_file(path, "systems.csv"))
    probs.require(df, _REQUIRED)
    for col in ("inf_class", "inf_class_low", "inf_class_high"):
        if col in df:
            probs.add(f"column {col}: not accepted; the INF class is derived from "
                      "range_km_low/range_km_high")
    check_ids(df, probs)
    low = check_numbers(df, "range_km_low", probs, lo=0, lo_open=True)
    high = check_numbers(df, "range_km_high", probs, lo=0, lo_open=True)
    for i in np.flatnonzero(low > high):  # NaN compares False: only valid pairs
        probs.add_row(i, "range_km_low", f"{low[i]:g} is greater than range_km_high "
                      f"{high[i]:g} (expected low <= high)")
    check_text(df, "type", probs, choices=SYSTEM_TYPES)
    probs.raise_if_any()
    out = pd.DataFrame({c: df[c].astype(str).str.strip() if c in df else ""
                        for c in SYSTEM_COLUMNS})
    out["range_km_low"], out["range_km_high"] = low, high
    out["inf_class_low"] = np.asarray(inf_class(low), dtype=object)
    out["inf_class_high"] = np.asarray(inf_class(high), dtype=object)
    return out


def system_table(systems: _PathLike | pd.DataFrame | None) -> pd.DataFrame:
    """Return the systems to resolve ids against: the embedded table, a file or a frame.

    A frame needs ``id, name, range_km_low, range_km_high`` (positive, low <= high);
    the text columns of :func:`load_systems` are filled in empty when missing and the
    INF classes derived. A path (or None) is read by :func:`load_systems`.
    """
    if not isinstance(systems, pd.DataFrame):
        return load_systems(systems)
    _validate.frame(systems, "systems", _REQUIRED)
    low, high = _validate.range_claims(systems, "systems")
    filled = {c: "" for c in ("type", "low_claimant", "low_source", "high_claimant",
                              "high_source") if c not in systems.columns}
    filled["inf_class_low"] = np.asarray(inf_class(low), dtype=object)
    filled["inf_class_high"] = np.asarray(inf_class(high), dtype=object)
    return systems.assign(**filled)
