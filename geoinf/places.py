"""Readers for the population vector layers: places (points) and countries (polygons).

The embedded defaults (``data/places.parquet``, ``data/countries.parquet``; sources in
``data/SOURCES.md``) are read when no path is given. A user file may name its columns in
several ways (``lng``, ``latitude``, ``pop`` ...); messages quote the file's own column
names and number rows as in a spreadsheet (the header is row 1), whatever the format.
Files are read by :func:`geoinf.tables.read_frame`, the reader of every user table. No
analysis happens here: see ``geoinf.exposure``.
"""

from __future__ import annotations

import functools
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from . import _validate
from .errors import InputError
from .raster import MAX_POPULATION
from .tables import (
    COORD_TOL_DEG,
    MAX_LISTED,
    Problems,
    bounded,
    clip,
    coordinate_conflicts,
    read_frame,
    shown,
    table_file,
)

__all__ = [
    "PLACE_COLUMNS",
    "COUNTRY_COLUMNS",
    "PLACE_ALIASES",
    "COUNTRY_ALIASES",
    "MAX_COUNTRY_POPULATION",
    "load_places",
    "load_countries",
    "embedded_countries",
    "country_at",
]

PLACE_COLUMNS = ("name", "lon", "lat", "population")
"""Columns every places frame has (the embedded one adds geonameid, asciiname, country,
iso_a3 and min_population)."""
COUNTRY_COLUMNS = ("iso_a3", "name", "pop_est")
"""Columns every countries frame has, besides ``geometry``."""
PLACE_ALIASES = {
    "name": ("name", "city", "place", "place_name", "city_name"),
    "lon": ("lon", "lng", "long", "longitude", "lon_deg"),
    "lat": ("lat", "latitude", "lat_deg"),
    "population": ("population", "pop", "pop_total", "inhabitants"),
}
"""Column names accepted for each column of :data:`PLACE_COLUMNS` (case-insensitive)."""
COUNTRY_ALIASES = {
    "iso_a3": ("iso_a3", "iso3", "adm0_a3", "gid_0", "iso"),
    "name": ("name", "admin", "country", "name_en", "name_long"),
    "pop_est": ("pop_est", "population", "pop"),
}
"""Column names accepted for each column of :data:`COUNTRY_COLUMNS` (case-insensitive)."""
MAX_COUNTRY_POPULATION = 10 * MAX_POPULATION
"""People in one country, at most: ten times :data:`~geoinf.raster.MAX_POPULATION`, more
than the world's 8.2e9 (2025)."""

PLACES_FILE, COUNTRIES_FILE = "places.parquet", "countries.parquet"
_PathLike = str | os.PathLike


def _resolve(columns, aliases: dict, label: str, required: tuple) -> dict[str, str]:
    """Map each role to the one column of the file that names it (case-insensitive)."""
    lower: dict[str, list[str]] = {}
    for col in columns:
        lower.setdefault(str(col).strip().lower(), []).append(col)
    found, missing, clash = {}, [], []
    for role, names in aliases.items():
        hits = [c for n in names for c in lower.get(n, [])]
        if len(hits) > 1:
            clash.append(f"{role} could be any of "
                         f"{bounded([shown(str(h)) for h in hits], noun='columns', sep=', ')}")
        elif hits:
            found[role] = hits[0]
        elif role in required:
            missing.append(f"{role} (one of {', '.join(names)})")
    if clash:
        raise InputError(f"{label}: ambiguous columns: {'; '.join(clash)}; keep one of each")
    if missing:
        found = bounded([clip(c) for c in map(str, columns)], noun="columns", sep=", ")
        raise InputError(f"{label}: missing column {', '.join(missing)}; "
                         f"found {found or 'no columns'}")
    return found


def _numbers(frame: pd.DataFrame, col: str, role: str, lo: float, hi: float,
             problems: Problems) -> NDArray[np.float64]:
    """Return the column as floats; record its cells that are not numbers in [lo, hi].

    Only the first :data:`~geoinf.tables.MAX_LISTED` bad cells of the column are worded
    (no message lists more); the others are counted.
    """
    raw = frame[col]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~((values >= lo) & (values <= hi)))  # NaN is bad
    what = "a population (a number" if role == "population" else "a number"
    for i in bad[:MAX_LISTED]:
        problems.add_cell(int(i), col, f"{shown(raw.iloc[i])} is not {what} in "
                          f"[{lo:g}, {hi:g}]" + (")" if role == "population" else ""))
    problems.add_unlisted(max(0, bad.size - MAX_LISTED))
    return values


def load_places(path: _PathLike | None = None, *, min_population: float = 0
                ) -> gpd.GeoDataFrame:
    """Load populated places as points.

    Parameters
    ----------
    path : str or os.PathLike, optional
        CSV (columns ``name, lon, lat, population``; also accepted: the names of
        :data:`PLACE_ALIASES`, such as city/place, lng/long/longitude, latitude, pop),
        GeoJSON, GeoPackage or (Geo)Parquet. Default: the embedded GeoNames table
        (CC BY 4.0), with city sections removed.
    min_population : float, default 0
        Keep places with at least this many inhabitants.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name, lon, lat, population`` (plus any other columns of the file),
        Point geometry, EPSG:4326.

    Raises
    ------
    InputError
        Missing or ambiguous columns, or bad values (the message names row and column).
    DataError
        The file is missing or unreadable.

    Examples
    --------
    >>> places = load_places(min_population=1_000_000)
    >>> "Budapest" in set(places["name"])
    True
    >>> list(places.columns[:4])
    ['geonameid', 'name', 'asciiname', 'country']
    """
    src, label = table_file(path, PLACES_FILE)
    frame, problems = read_frame(src, label, spreadsheet_rows=True)
    if isinstance(frame, gpd.GeoDataFrame):
        frame = _points_as_columns(frame, label, problems)
    cols = _resolve(frame.columns, PLACE_ALIASES, label, PLACE_COLUMNS)
    lon = _numbers(frame, cols["lon"], "lon", -180, 180, problems)
    lat = _numbers(frame, cols["lat"], "lat", -90, 90, problems)
    pop = _numbers(frame, cols["population"], "population", 0, MAX_POPULATION, problems)
    problems.raise_if_any()
    out = frame.rename(columns={v: k for k, v in cols.items()})
    out["lon"], out["lat"] = lon, lat
    if out["population"].dtype.kind not in "iu":
        out["population"] = pop
    out = out[pop >= _validate.number(min_population, "min_population", lo=0)]
    return gpd.GeoDataFrame(out.reset_index(drop=True),
                            geometry=gpd.points_from_xy(out["lon"], out["lat"]),
                            crs="EPSG:4326")


def _points_as_columns(frame: gpd.GeoDataFrame, label: str, problems: Problems
                       ) -> pd.DataFrame:
    """Return a point layer as a frame whose ``lon``/``lat`` columns come from the points.

    Coordinate columns of the file must name the same points: each row where they do not
    is recorded in ``problems``.
    """
    geometry = frame.geometry
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        geometry = geometry.to_crs("EPSG:4326")
    if not geometry.geom_type.isin(["Point"]).all():
        kinds = sorted(set(geometry.geom_type.dropna()) - {"Point"})
        raise InputError(f"{label}: expected Point geometries, found {', '.join(kinds)}")
    lon_cols, lat_cols = (_named(frame, role) for role in ("lon", "lat"))
    x, y = shapely.get_x(geometry.values), shapely.get_y(geometry.values)
    bad: set[int] = set()
    for lon_col in lon_cols or [None]:
        for lat_col in lat_cols or [None]:
            bad.update(coordinate_conflicts(None if lon_col is None else frame[lon_col],
                                            None if lat_col is None else frame[lat_col], x, y))
    claimed = lon_cols + lat_cols
    for i in sorted(bad):
        problems.add_cell(int(i), claimed, f"({', '.join(clip(frame[c].iloc[i]) for c in claimed)})"
                          f" disagree with the point geometry ({float(x[i])!r}, {float(y[i])!r}); "
                          f"expected the same point (within {COORD_TOL_DEG:g}°) or no lon/lat "
                          "columns")
    out = pd.DataFrame(frame.drop(columns=[frame.geometry.name, *claimed]))
    out["lon"], out["lat"] = x, y
    return out


def _named(frame: pd.DataFrame, role: str) -> list:
    """Return the columns of ``frame`` that name ``role`` (an alias, case-insensitive)."""
    return [c for c in frame.columns if str(c).strip().lower() in PLACE_ALIASES[role]]


def load_countries(path: _PathLike | None = None) -> gpd.GeoDataFrame:
    """Load country polygons with their ISO alpha-3 code, name and population.

    Parameters
    ----------
    path : str or os.PathLike, optional
        GeoPackage, GeoJSON, shapefile or GeoParquet with polygons and columns
        ``iso_a3, name, pop_est`` (also accepted: the names of
        :data:`COUNTRY_ALIASES`, such as iso3/adm0_a3, admin/country, population/pop).
        Default: the embedded Natural Earth 5.1.1 admin-0 countries (public domain),
        cut at the antimeridian.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``iso_a3, name, pop_est`` (plus any other columns), valid polygons,
        EPSG:4326.

    Raises
    ------
    InputError
        No geometry or no CRS; missing or ambiguous columns; a population that is not a
        number in [0, :data:`MAX_COUNTRY_POPULATION`].
    DataError
        The file is missing or unreadable.

    Examples
    --------
    >>> countries = load_countries()
    >>> countries.set_index("iso_a3").loc[["FRA", "NOR", "XKX"], "name"].tolist()
    ['France', 'Norway', 'Kosovo']
    """
    src, label = table_file(path, COUNTRIES_FILE)
    frame, problems = read_frame(src, label, spreadsheet_rows=True)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"{label}: expected polygons with a geometry column")
    if frame.crs is None:
        raise InputError(f"{label}: no CRS; expected EPSG:4326 (lon/lat) or a defined CRS")
    if not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    cols = _resolve([c for c in frame.columns if c != frame.geometry.name],
                    COUNTRY_ALIASES, label, COUNTRY_COLUMNS)
    frame = frame.rename(columns={v: k for k, v in cols.items()})
    frame["pop_est"] = _numbers(frame, "pop_est", "population", 0, MAX_COUNTRY_POPULATION,
                                problems)
    problems.raise_if_any()
    geoms = frame.geometry.values
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        frame.loc[invalid, frame.geometry.name] = shapely.make_valid(geoms[invalid])
    return frame


@functools.lru_cache(maxsize=1)
def embedded_countries() -> gpd.GeoDataFrame:
    """Return the embedded countries (:func:`load_countries`), read once per process.

    Shared by every caller: treat it as read-only (copy before changing it).
    """
    return load_countries()


def country_at(lon, lat) -> np.ndarray:
    """Return the ISO alpha-3 code of the embedded country holding each point ("" if none).

    Examples
    --------
    >>> country_at([13.405, -30.0], [52.52, 40.0]).tolist()
    ['DEU', '']
    """
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    joined = gpd.sjoin(pts, embedded_countries()[["iso_a3", "geometry"]], how="left",
                       predicate="within")
    joined = joined[~joined.index.duplicated()]
    return joined["iso_a3"].fillna("").astype(str).to_numpy()
