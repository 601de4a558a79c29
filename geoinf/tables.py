"""Reading user and embedded tables (CSV, GeoJSON, GPKG) and collecting every problem.

Shared by the catalog loaders: each check adds one-line problems that name the file,
row (numbered as in a spreadsheet: the header is row 1), field, value and expectation;
:class:`Problems` raises them together as one :class:`~geoinf.errors.InputError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import DataError, InputError

__all__ = ["Problems", "read_table", "check_shape", "first_line", "check_ids", "check_numbers",
           "check_text"]


class Problems:
    """Collect the problems of one file; raise them together as one InputError."""

    def __init__(self, label: str, unit: str = "row", first: int = 2):
        self.label, self.unit, self.first = label, unit, first
        self.items: list[tuple[int, str]] = []  # (file row or -1, text), sorted on raise
        self.rows: np.ndarray | None = None  # frame row -> file row, after a selection

    def _number(self, i: int) -> int:
        return (int(self.rows[i]) if self.rows is not None else int(i)) + self.first

    def where(self, i: int) -> str:
        """Return "row N" (or the unit's name) for frame row ``i``."""
        return f"{self.unit} {self._number(i)}"

    def add(self, text: str) -> None:
        """Record a problem of the whole file."""
        self.items.append((-1, text))

    def add_row(self, i: int, field: str, text: str) -> None:
        """Record a problem of one field of frame row ``i``."""
        self.items.append((self._number(i), f"{self.where(i)} field {field}: {text}"))

    def require(self, df: pd.DataFrame, columns: Sequence[str]) -> None:
        """Record every required column that is missing, in one problem."""
        missing = [c for c in columns if c not in df.columns]
        if missing:
            self.add(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                     f"(required: {', '.join(columns)})")

    def raise_if_any(self) -> None:
        """Raise every recorded problem, sorted by row, as one one-line InputError."""
        if not self.items:
            return
        items = [text for _, text in sorted(self.items, key=lambda item: item[0])]
        head = f"{self.label}: " if len(items) == 1 else f"{self.label}: {len(items)} problems: "
        err = InputError(head + "; ".join(items))
        err.problems = [f"{self.label}: {item}" for item in items]
        raise err


def read_table(path: Path, label: str) -> tuple[pd.DataFrame, Problems]:
    """Read a CSV (all cells as stripped text) or a vector layer (lon/lat from points)."""
    if not path.is_file():
        raise DataError(f"{label}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except pd.errors.EmptyDataError:
            raise InputError(f"{label}: the file is empty (expected a header row)") from None
        except UnicodeDecodeError as err:
            raise InputError(f"{label}: not UTF-8 text ({err.reason} at byte "
                             f"{err.start})") from None
        except pd.errors.ParserError as err:
            raise InputError(f"{label}: not a readable CSV ({first_line(err)})") from None
        df.columns = [str(c).strip() for c in df.columns]
        check_shape(df, label, "rows")
        return df.apply(lambda col: col.str.strip()), Problems(label, "row", 2)
    if suffix not in (".geojson", ".json", ".gpkg", ".fgb", ".shp"):
        raise InputError(f"{label}: unsupported file type {suffix or '(none)'!r}; expected "
                         ".csv, .geojson, .json or .gpkg")
    try:
        gdf = gpd.read_file(path)
    except Exception as err:  # pyogrio raises several types for unreadable files
        raise DataError(f"{label}: cannot read ({first_line(err)})") from None
    check_shape(gdf, label, "features")
    probs = Problems(label, "feature", 1)
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs("EPSG:4326")
    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(object)
    df = df.where(df.notna(), "").astype(str).apply(lambda col: col.str.strip())
    if ("lon" not in df or "lat" not in df) and len(gdf):
        geom = gdf.geometry
        is_point = np.asarray(geom.geom_type == "Point") & ~np.asarray(geom.is_empty)
        for i in np.flatnonzero(~is_point):
            kind = geom.iloc[i].geom_type if geom.iloc[i] is not None else "no geometry"
            probs.add_row(i, "geometry", f"{kind} is not a point (expected point features "
                          "or lon/lat columns)")
        df["lon"] = [repr(g.x) if ok else "" for g, ok in zip(geom, is_point, strict=True)]
        df["lat"] = [repr(g.y) if ok else "" for g, ok in zip(geom, is_point, strict=True)]
    return df, probs


def check_shape(df: pd.DataFrame, label: str, unit: str) -> None:
    """Refuse a table with one column that holds other separators, or with no rows."""
    if len(df.columns) == 1:
        header = str(df.columns[0])
        sep = next((s for s in (";", "\t", "|") if s in header), None)
        if sep is not None:
            raise InputError(f"{label}: the header {header!r} is separated by {sep!r}; "
                             "expected commas (save the file as comma-separated CSV)")
    if len(df) == 0:
        columns = ", ".join(map(str, df.columns)) or "none"
        raise InputError(f"{label}: no {unit} (columns: {columns}); expected at least one")


def first_line(err: BaseException) -> str:
    """Return the first line of an exception's message (its type name if empty)."""
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def check_ids(df: pd.DataFrame, probs: Problems) -> None:
    """Record empty and duplicate values of the ``id`` column."""
    if "id" not in df:
        return
    first: dict[str, int] = {}
    for i, value in enumerate(df["id"]):
        if not value:
            probs.add_row(i, "id", "empty (expected a unique id such as 'kapustin-yar')")
        elif any(ch.isspace() for ch in value):
            probs.add_row(i, "id", f"{value!r} contains spaces (expected an id such as "
                          "'kapustin-yar')")
        elif value in first:
            probs.add_row(i, "id", f"duplicate {value!r} (first at {probs.where(first[value])})")
        first.setdefault(value, i)


def check_numbers(df: pd.DataFrame, col: str, probs: Problems, *, lo: float | None = None,
                   hi: float | None = None, lo_open: bool = False,
                   default: float | None = None, swap_with: np.ndarray | None = None
                   ) -> np.ndarray:
    """Return the column as floats (NaN where bad); record every bad cell."""
    if col not in df:
        return np.full(len(df), np.nan if default is None else default)
    text = df[col].astype(str)
    values = pd.to_numeric(text, errors="coerce").to_numpy(float, copy=True)
    for i, (raw, v) in enumerate(zip(text, values, strict=True)):
        if raw == "" and default is not None:
            values[i] = default
        elif raw == "":
            probs.add_row(i, col, "empty (expected a number)")
        elif not np.isfinite(v):
            probs.add_row(i, col, f"{raw!r} is not a number")
            values[i] = np.nan
        elif hi is not None and not lo <= v <= hi:
            hint = ""
            if swap_with is not None and abs(swap_with[i]) <= 90 and abs(v) <= 180:
                hint = f" (lat and lon look swapped: lon is {swap_with[i]:g})"
            probs.add_row(i, col, f"{raw} is outside [{lo:g}, {hi:g}]{hint}")
            values[i] = np.nan
        elif lo is not None and (v <= lo if lo_open else v < lo):
            probs.add_row(i, col, f"{raw} is {'not positive' if lo_open else 'negative'} "
                          f"(expected a number {'>' if lo_open else '>='} {lo:g})")
            values[i] = np.nan
    return values


def check_text(df: pd.DataFrame, col: str, probs: Problems, *,
                choices: Sequence[str] | None = None, pattern: str | None = None,
                expected: str = "") -> None:
    """Record values of ``col`` outside ``choices`` or not matching ``pattern``."""
    if col not in df:
        return
    for i, value in enumerate(df[col].astype(str)):
        if not value:
            continue
        if choices is not None and value not in choices:
            probs.add_row(i, col, f"{value!r} is not one of {', '.join(choices)}")
        elif pattern is not None and not re.fullmatch(pattern, value):
            probs.add_row(i, col, f"{value!r} is not {expected}")
