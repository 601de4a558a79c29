"""The one reader of user and embedded tables, and the one way their problems are worded.

Every table geoinf reads (sites, systems, scenarios, places, countries) goes through
:func:`read_frame`: CSV, Parquet or a vector layer (GeoJSON, GeoPackage, FlatGeobuf,
shapefile), with the same messages for a missing, empty, undecodable or unreadable
file. Each check then adds one-line problems that name the file, the row (numbered as in
a spreadsheet: the header is row 1; the catalog numbers the features of a vector layer
from 1), the field (or the file's column, for readers that accept several names for
one), the value and what was expected; :class:`Problems` raises them together as one
:class:`~geoinf.errors.InputError`, sorted by row and bounded to :data:`MAX_LISTED`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _validate, datasets
from .errors import DataError, InputError

__all__ = ["MAX_LISTED", "COORD_TOL_DEG", "TABLE_SUFFIXES", "Problems", "table_file",
           "read_frame", "read_table", "check_shape", "first_line", "check_ids", "check_numbers",
           "check_text", "coordinate_conflicts", "bounded", "clip", "shown"]

MAX_LISTED = 20
"""Problems an error message lists at most; the rest are counted ("and N more")."""
COORD_TOL_DEG = 1e-6
"""Degrees (~0.1 m) within which lon/lat properties and a point geometry are the same point."""
MAX_SHOWN = 60
"""Characters of one value (a cell, a header) that an error message shows at most."""
_CSV, _PARQUET = (".csv", ".txt", ".tsv"), (".parquet", ".geoparquet")
_VECTOR = (".geojson", ".json", ".gpkg", ".fgb", ".shp", ".zip")
TABLE_SUFFIXES = _CSV + _PARQUET + _VECTOR
"""File types :func:`read_frame` reads (``.tsv`` is tab-separated, ``.zip`` a zipped layer)."""


class Problems:
    """Collect the problems of one file; raise them together as one InputError."""

    def __init__(self, label: str, unit: str = "row", first: int = 2):
        self.label, self.unit, self.first = label, unit, first
        self.items: list[tuple[int, str]] = []  # (file row or -1, text), sorted on raise
        self.unlisted = 0  # problems counted but not recorded (see ``add_unlisted``)
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

    def add_cell(self, i: int, columns: str | Sequence[str], text: str) -> None:
        """Record a problem of frame row ``i`` in columns named as the file names them.

        Readers that accept several names for a column (places, countries) quote the
        file's own: "row 3 column 'latitude': ...".
        """
        columns = [columns] if isinstance(columns, str) else list(columns)
        names = ", ".join(repr(c) for c in columns)
        self.items.append((self._number(i), f"{self.where(i)} column"
                           f"{'s' if len(columns) > 1 else ''} {names}: {text}"))

    def add_at(self, number: int, text: str) -> None:
        """Record a problem already worded in full, sorted as file row ``number``."""
        self.items.append((number, text))

    def add_unlisted(self, count: int) -> None:
        """Count ``count`` more problems that are not recorded one by one.

        A reader that records only the first :data:`MAX_LISTED` problems of a column
        counts the rest here: the first ``MAX_LISTED`` by row are still among those
        recorded, and the total stays exact.
        """
        self.unlisted += int(count)

    def require(self, df: pd.DataFrame, columns: Sequence[str]) -> None:
        """Record every required column that is missing, in one problem."""
        missing = [c for c in columns if c not in df.columns]
        if missing:
            self.add(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                     f"(required: {', '.join(columns)})")

    def raise_if_any(self) -> None:
        """Raise the recorded problems, sorted by row, as one one-line InputError.

        The message lists the first :data:`MAX_LISTED` and counts the rest ("and N
        more"); the error's ``problems`` attribute holds every recorded one.
        """
        if not self.items and not self.unlisted:
            return
        items = [text for _, text in sorted(self.items, key=lambda item: item[0])]
        total = len(items) + self.unlisted
        head = f"{self.label}: " if total == 1 else f"{self.label}: {total} problems: "
        err = InputError(head + bounded(items, total))
        err.problems = [f"{self.label}: {item}" for item in items]
        raise err


def bounded(items: Sequence[str], total: int | None = None, noun: str = "",
            sep: str = "; ") -> str:
    """Join the first :data:`MAX_LISTED` of ``items`` with ``sep`` and count the rest.

    Examples
    --------
    >>> bounded([f"row {i}" for i in range(2, 30)]).split("; ")[-3:]
    ['row 20', 'row 21', 'and 8 more']
    >>> bounded(["-1 in 3 cells"], total=4, noun="values")
    '-1 in 3 cells; and 3 more values'
    """
    total = len(items) if total is None else total
    listed = list(items[:MAX_LISTED])
    more = total - len(listed)
    tail = [f"and {more:,} more{' ' + noun if noun else ''}"] if more > 0 else []
    return sep.join(listed + tail)


def table_file(path: str | os.PathLike | None, default: str) -> tuple[Path, str]:
    """Return the file to read and how messages name it: the user's path, or an embedded file.

    Parameters
    ----------
    path : str or os.PathLike, optional
        The user's file, named in messages as given; None for the embedded ``default``
        (see :func:`geoinf.datasets.get_path`), named by its file name.
    default : str
        The embedded file's name.

    Examples
    --------
    >>> table_file(None, "sites.csv")[1], table_file("my/sites.csv", "sites.csv")
    ('sites.csv', (PosixPath('my/sites.csv'), 'my/sites.csv'))
    """
    if path is None:
        return datasets.get_path(default), default
    _validate.path(path, "path")
    return Path(path), os.fspath(path)


def read_frame(path: Path, label: str, *, spreadsheet_rows: bool = False
               ) -> tuple[pd.DataFrame, Problems]:
    """Read a table file; return it as read and the :class:`Problems` to record its problems.

    Parameters
    ----------
    path : pathlib.Path
        A CSV (``.csv``, ``.txt``: comma-separated; ``.tsv``: tab-separated; UTF-8, a
        byte-order mark allowed), a (Geo)Parquet file or a vector layer (see
        :data:`TABLE_SUFFIXES`).
    label : str
        How messages name the file.
    spreadsheet_rows : bool, default False
        Number the features of a vector layer as the rows of a CSV ("row 2" is the first)
        instead of from 1 ("feature 1"). Readers that quote the file's columns (places,
        countries) number every format this way.

    Returns
    -------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        A CSV as stripped text (header and cells); Parquet and vector layers with their
        types (a GeoDataFrame when the file has a geometry).
    problems : Problems
        Empty; rows numbered for this file.

    Raises
    ------
    DataError
        The file is missing or cannot be read.
    InputError
        The file type is not supported; the file is empty, not UTF-8 text or not a
        readable CSV; its header is separated by another character than commas; it has no
        rows.
    """
    if not path.is_file():
        raise DataError(f"{label}: no such file")
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"{label}: unsupported file type {suffix or '(none)'!r}; expected "
                         f"{', '.join(TABLE_SUFFIXES)}")
    if suffix in _CSV:
        frame = _read_csv(path, label, sep="\t" if suffix == ".tsv" else ",")
    else:
        try:
            frame = _read_parquet(path) if suffix in _PARQUET else gpd.read_file(path)
        except (OSError, ValueError, RuntimeError) as err:  # pyogrio's errors are RuntimeError
            raise DataError(f"{label}: cannot read ({first_line(err)})") from None
    vector = suffix in _VECTOR and not spreadsheet_rows
    check_shape(frame, label, "features" if vector else "rows")
    return frame, Problems(label, "feature", 1) if vector else Problems(label, "row", 2)


def _read_csv(path: Path, label: str, sep: str) -> pd.DataFrame:
    """Return a CSV as stripped text; a file that is not a table is one InputError."""
    try:
        df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise InputError(f"{label}: the file is empty (expected a header row)") from None
    except UnicodeDecodeError as err:
        raise InputError(f"{label}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except pd.errors.ParserError as err:
        raise InputError(f"{label}: not a readable CSV ({first_line(err)})") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df.apply(lambda col: col.str.strip())


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return gpd.read_parquet(path)
    except ValueError:  # a plain Parquet table (lon/lat columns, no geometry)
        return pd.read_parquet(path)


def read_table(path: Path, label: str) -> tuple[pd.DataFrame, Problems]:
    """Read a catalog table (sites, systems, scenarios) as stripped text.

    The file is read by :func:`read_frame`. A layer with a geometry is reprojected to
    EPSG:4326 and its points give ``lon``/``lat``: the geometry wins over ``lon``/``lat``
    properties, which must name the same point; a feature without a point is a problem
    unless the properties give its position.

    Returns
    -------
    frame : pandas.DataFrame
        Every cell as stripped text ("" where empty).
    problems : Problems
        With the file's row numbering.
    """
    frame, probs = read_frame(path, label)
    if not isinstance(frame, gpd.GeoDataFrame):
        return _as_text(frame), probs
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    df = _as_text(pd.DataFrame(frame.drop(columns=frame.geometry.name)))
    _points_to_lonlat(df, frame.geometry, probs)
    return df, probs


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Return every cell as stripped text, "" where missing."""
    df = df.astype(object)
    return df.where(df.notna(), "").astype(str).apply(lambda col: col.str.strip())


def _points_to_lonlat(df: pd.DataFrame, geom: gpd.GeoSeries, probs: Problems) -> None:
    """Set ``lon``/``lat`` from point geometries: the geometry wins over the properties.

    A feature with a point and ``lon``/``lat`` properties that name another point is a
    problem. Without a point (no geometry, or a line or polygon), the properties give
    the position if the file has both; otherwise the feature is a problem.
    """
    is_point = np.asarray(geom.geom_type == "Point") & ~np.asarray(geom.is_empty)
    has_props = "lon" in df and "lat" in df
    if not has_props:
        for i in np.flatnonzero(~is_point):
            kind = geom.iloc[i].geom_type if geom.iloc[i] is not None else "no geometry"
            probs.add_row(i, "geometry", f"{kind} is not a point (expected point features "
                          "or lon/lat columns)")
    points = np.where(is_point, geom.values, None)
    x, y = shapely.get_x(points), shapely.get_y(points)
    present = [c for c in ("lon", "lat") if c in df]
    for i in coordinate_conflicts(df.get("lon"), df.get("lat"), x, y):
        claim = ", ".join(clip(df[c].iloc[i]) for c in present)
        point = f"({float(x[i])!r}, {float(y[i])!r})"
        probs.add_row(i, "lon/lat", f"properties {'/'.join(present)} ({claim}) disagree with "
                      f"the point geometry {point}; expected the same point (within "
                      f"{COORD_TOL_DEG:g}°) or no lon/lat properties")
    for col, values in (("lon", x), ("lat", y)):
        kept = df[col].to_numpy(dtype=object) if has_props else np.full(len(df), "", object)
        df[col] = np.where(is_point, [repr(float(v)) for v in values], kept)


def coordinate_conflicts(lon, lat, x, y) -> np.ndarray:
    """Return the rows whose lon or lat values name another point than ``(x, y)``.

    Parameters
    ----------
    lon, lat : array_like or None
        Coordinates from properties or columns (numbers or text; empty text, None and
        NaN claim nothing); None when the file has no such column.
    x, y : array_like
        The point geometries' coordinates in degrees; NaN where a row has no point.

    Returns
    -------
    ndarray of intp
        Rows with a point and a value that is not a number or differs from the point by
        more than :data:`COORD_TOL_DEG` (longitudes compared modulo 360°).

    Examples
    --------
    >>> coordinate_conflicts(["24.4", "30", "", "-180"], ["44.1", "50", "", "0"],
    ...                      [24.4, 21.8, 1.0, 180.0], [44.1, 54.6, 2.0, 0.0]).tolist()
    [1]
    """
    bad = np.zeros(np.shape(x), dtype=bool)
    for values, ref, period in ((lon, x, 360.0), (lat, y, None)):
        if values is None:
            continue
        raw = pd.Series(np.asarray(values, dtype=object))
        claimed = ~(raw.isna() | raw.astype(str).str.strip().eq("")).to_numpy()
        number = pd.to_numeric(raw, errors="coerce").to_numpy(float)
        diff = number - np.asarray(ref, dtype=float)
        if period is not None:
            diff = (diff + period / 2) % period - period / 2
        has_point = ~np.isnan(np.asarray(ref, dtype=float))
        bad |= claimed & has_point & ~(np.abs(diff) <= COORD_TOL_DEG)
    return np.flatnonzero(bad)


def clip(text: str, limit: int = MAX_SHOWN) -> str:
    """Return ``text`` cut to ``limit`` characters, saying how long it was.

    Examples
    --------
    >>> clip("x" * 100, 10)
    'xxxxxxxxx… (100 characters)'
    """
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit - 1]}… ({len(text):,} characters)"


def shown(value) -> str:
    """Return a cell as a message shows it: text quoted, numbers plain, clipped.

    Examples
    --------
    >>> shown("97.2N"), shown(np.float64(1e300))
    ("'97.2N'", '1e+300')
    """
    if isinstance(value, str):
        return repr(value) if len(value) <= MAX_SHOWN else clip(repr(value))
    return clip(str(getattr(value, "item", lambda: value)()))


def check_shape(df: pd.DataFrame, label: str, unit: str) -> None:
    """Refuse a table with one column that holds other separators, or with no rows."""
    if len(df.columns) == 1:
        header = str(df.columns[0])
        sep = next((s for s in (";", "\t", "|") if s in header), None)
        if sep is not None:
            raise InputError(f"{label}: the header {shown(header)} is separated by {sep!r}; "
                             "expected commas (save the file as comma-separated CSV)")
    if len(df) == 0:
        columns = bounded([clip(c) for c in map(str, df.columns)], sep=", ") or "none"
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
            probs.add_row(i, "id", f"{shown(value)} contains spaces (expected an id such as "
                          "'kapustin-yar')")
        elif value in first:
            probs.add_row(i, "id", f"duplicate {shown(value)} (first at "
                          f"{probs.where(first[value])})")
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
            probs.add_row(i, col, f"{shown(raw)} is not a number")
            values[i] = np.nan
        elif hi is not None and not lo <= v <= hi:
            hint = ""
            if swap_with is not None and abs(swap_with[i]) <= 90 and abs(v) <= 180:
                hint = f" (lat and lon look swapped: lon is {swap_with[i]:g})"
            probs.add_row(i, col, f"{clip(raw)} is outside [{lo:g}, {hi:g}]{hint}")
            values[i] = np.nan
        elif lo is not None and (v <= lo if lo_open else v < lo):
            probs.add_row(i, col, f"{clip(raw)} is {'not positive' if lo_open else 'negative'} "
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
            probs.add_row(i, col, f"{shown(value)} is not one of {', '.join(choices)}")
        elif pattern is not None and not re.fullmatch(pattern, value):
            probs.add_row(i, col, f"{shown(value)} is not {expected}")
