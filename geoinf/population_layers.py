"""Vector population layers as they are published: every cell or polygon as one counted point.

A population layer is a table of cells or areas with a population column: the Eurostat
census grid (GEOSTAT: INSPIRE cell ids, :mod:`geoinf.census_grid`), Kontur's H3 hexagons
(:mod:`geoinf.h3_cells`), or any polygon or point layer. Each row becomes one point that
the exposure tables decide by exact ellipsoidal distance (as places are:
:func:`geoinf.population_sums.places_sums`), by this rule, in this order:

1. a cell id column (``GRD_ID``...): the cell's true centre from its id (lower-left corner
   plus half the cell size in the grid's CRS, then pyproj to WGS84 lon/lat);
2. an H3 column (``h3``...): the centre ``h3.cell_to_latlng`` gives;
3. polygons: the centroid, computed in the layer's own CRS when it is projected and in
   EPSG:6933 (equal-area) when it is geographic; where the centroid falls outside its
   polygon, the polygon's representative point (``shapely.point_on_surface``) instead;
4. points (a point geometry, or ``lon``/``lat`` columns): the point.

Countries come from the layer when it has a country column (Eurostat's two-letter
``CNTR_ID``/``CNTR_CODE``, or an ISO alpha-3 column); a cell the layer gives several
countries (``AT-CH``) or an unknown code gets the embedded country that holds its
centre; a layer without a country column gets the embedded countries at analysis time.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from . import _validate
from .census_grid import cell_centres
from .errors import DataError, InputError
from .h3_cells import h3_centres
from .places import PLACE_ALIASES, country_at, embedded_countries
from .raster import MAX_POPULATION
from .tables import MAX_LISTED, TABLE_SUFFIXES, Problems, bounded, clip, read_frame, shown

__all__ = [
    "POPULATION_NAMES",
    "CELL_ID_NAMES",
    "H3_NAMES",
    "COUNTRY_CODE_NAMES",
    "LAYER_COLUMNS",
    "layer_columns",
    "is_population_layer",
    "load_population_layer",
]

POPULATION_NAMES = ("population", "pop", "t", "tot_p", "tot_p_2021", "tot_p_2018",
                    "obs_value_t", "pop_tot", "pop_total", "inhabitants")
"""Population column names recognised (case-insensitive): GEOSTAT 2021 ``T``, GEOSTAT
2018/2011 ``TOT_P``..., Kontur ``population``; any other is named with ``population_column``."""
CELL_ID_NAMES = ("grd_id", "grd_inspir", "grd_newid")
"""INSPIRE cell id column names recognised (case-insensitive)."""
H3_NAMES = ("h3", "h3_index", "h3index", "hex_id")
"""H3 index column names recognised (case-insensitive)."""
COUNTRY_CODE_NAMES = {"a2": ("cntr_id", "cntr_code"), "a3": ("iso_a3", "iso3", "adm0_a3")}
"""Country columns recognised: Eurostat two-letter codes (``-``-joined for shared cells) and
ISO alpha-3 codes."""
LAYER_COLUMNS = ("name", "lon", "lat", "population")
"""Columns of :func:`load_population_layer` (plus ``iso_a3`` when the layer names countries)."""
_EQUAL_AREA = "EPSG:6933"
_EUROSTAT_A2 = {"EL": "GR", "UK": "GB"}  # Eurostat's codes that differ from ISO 3166 alpha-2
_CSV = (".csv", ".txt", ".tsv")
_PARQUET = (".parquet", ".geoparquet")


def layer_columns(path: str | os.PathLike) -> tuple[list[str], str | None]:
    """Return a layer file's columns and geometry type, reading only its header.

    Raises
    ------
    DataError
        The file is missing or its header cannot be read.
    """
    src = Path(_validate.path(path, "layer"))
    if not src.is_file():
        raise DataError(f"{os.fspath(path)}: no such file")
    suffix = src.suffix.lower()
    try:
        if suffix in _CSV:
            head = pd.read_csv(src, sep="\t" if suffix == ".tsv" else ",", nrows=0,
                               encoding="utf-8-sig")
            return [str(c).strip() for c in head.columns], None
        if suffix in _PARQUET:
            import pyarrow.parquet as pq
            schema = pq.read_schema(src)
            geo = "geometry" if b"geo" in (schema.metadata or {}) else None
            return [n for n in schema.names if n != "geometry" or geo is None], geo
        import pyogrio
        info = pyogrio.read_info(src)
        return [str(f) for f in info["fields"]], info["geometry_type"]
    except (OSError, ValueError, RuntimeError, UnicodeDecodeError) as err:
        raise DataError(f"{os.fspath(path)}: cannot read its header ({err})".splitlines()[0]
                        ) from None


def _named(columns, names) -> list[str]:
    return [c for c in columns if str(c).strip().lower() in names]


def is_population_layer(path: str | os.PathLike, population_column: str | None = None
                        ) -> bool:
    """Return whether a vector file is read as a population layer (else as places).

    A file is a population layer when ``population_column`` is given, or it has a cell id
    (:data:`CELL_ID_NAMES`) or H3 (:data:`H3_NAMES`) column, or polygon geometries. A
    file whose header cannot be read is not (the places reader then says why).
    """
    if population_column is not None:
        return True
    try:
        columns, geometry = layer_columns(path)
    except DataError:
        return False
    return bool(_named(columns, CELL_ID_NAMES) or _named(columns, H3_NAMES)
                or (geometry is not None and "polygon" in str(geometry).lower()))


def _population_column(columns, label: str, population_column: str | None) -> str:
    """Return the population column: the one named, else the one recognised name."""
    listed = bounded([clip(c) for c in map(str, columns)], noun="columns", sep=", ")
    if population_column is not None:
        if population_column in columns:
            return population_column
        raise InputError(f"{label}: no column {shown(population_column)} (population_column); "
                         f"the columns are {listed or 'none'}")
    hits = _named(columns, POPULATION_NAMES)
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise InputError(f"{label}: several population columns ({', '.join(map(repr, hits))}); "
                         "name one with population_column (CLI: --population-column)")
    raise InputError(f"{label}: no population column (one of {', '.join(POPULATION_NAMES)}, "
                     f"any case); the columns are {listed or 'none'}; name it with "
                     "population_column (CLI: --population-column)")


def _read(src: Path, label: str, wanted: list[str], geometry: bool) -> pd.DataFrame:
    """Read only the wanted columns (and the geometry if asked) of a layer file."""
    suffix = src.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"{label}: unsupported file type {suffix or '(none)'!r}; expected "
                         f"{', '.join(TABLE_SUFFIXES)}")
    try:
        if suffix in _CSV:
            frame = _read_csv(src, "\t" if suffix == ".tsv" else ",", wanted)
        elif suffix in _PARQUET:
            frame, _ = read_frame(src, label, spreadsheet_rows=True)
        else:
            import pyogrio
            frame = pyogrio.read_dataframe(src, columns=wanted, read_geometry=geometry)
    except (OSError, ValueError, RuntimeError, UnicodeDecodeError) as err:
        raise DataError(f"{label}: cannot read ({err})".splitlines()[0]) from None
    if len(frame) == 0:
        raise InputError(f"{label}: no rows (expected population cells)")
    return frame


def _read_csv(src: Path, sep: str, wanted: list[str]) -> pd.DataFrame:
    """Read the wanted columns of a CSV as text, with Arrow's multi-threaded reader."""
    import pyarrow as pa
    from pyarrow import csv

    header = pd.read_csv(src, sep=sep, nrows=0, encoding="utf-8-sig").columns
    keep = [c for c in header if str(c).strip() in wanted]
    table = csv.read_csv(src, parse_options=csv.ParseOptions(delimiter=sep),
                         convert_options=csv.ConvertOptions(
                             include_columns=keep, column_types={c: pa.string() for c in keep},
                             strings_can_be_null=False, quoted_strings_can_be_null=False))
    return pd.DataFrame({str(c).strip(): table.column(c).to_pandas(types_mapper=pd.ArrowDtype)
                         for c in keep})


def _populations(raw: pd.Series, column: str, problems: Problems) -> NDArray[np.float64]:
    """Return the population column as floats; record each cell not in [0, MAX_POPULATION]."""
    values = _floats(raw)
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~((values >= 0) & (values <= MAX_POPULATION)))
    for i in bad[:MAX_LISTED]:
        what = "negative" if values[i] < 0 else "not a population"
        problems.add_cell(int(i), column, f"{shown(raw.iloc[i])} is {what} (expected a number "
                          f"of people in [0, {MAX_POPULATION:g}])")
    problems.add_unlisted(max(0, bad.size - MAX_LISTED))
    return values


def _polygon_points(geometry: gpd.GeoSeries) -> tuple[NDArray, NDArray]:
    """Return the lon/lat of each polygon's centroid (else its representative point)."""
    crs = geometry.crs
    plane = geometry if crs.is_projected else geometry.to_crs(_EQUAL_AREA)
    geoms = plane.values
    points = shapely.centroid(geoms)
    outside = ~shapely.contains_properly(geoms, points)
    if outside.any():
        points[outside] = shapely.point_on_surface(geoms[outside])
    lonlat = gpd.GeoSeries(points, crs=plane.crs).to_crs("EPSG:4326")
    return shapely.get_x(lonlat.values), shapely.get_y(lonlat.values)


def _geometry_points(frame: gpd.GeoDataFrame, label: str) -> tuple[NDArray, NDArray, str]:
    """Return the counted point of each feature and the rule that placed it."""
    if frame.crs is None:
        raise InputError(f"{label}: no CRS; expected a layer with a defined CRS")
    kinds = set(frame.geometry.geom_type.dropna())
    if frame.geometry.isna().any() or frame.geometry.is_empty.any():
        i = int(np.argmax(frame.geometry.isna().to_numpy() | frame.geometry.is_empty.to_numpy()))
        raise InputError(f"{label}: row {i + 2}: no geometry (expected a polygon or a point)")
    if kinds <= {"Point"}:
        pts = frame.geometry.to_crs("EPSG:4326")
        return shapely.get_x(pts.values), shapely.get_y(pts.values), "the point"
    if kinds <= {"Polygon", "MultiPolygon"}:
        lon, lat = _polygon_points(frame.geometry)
        where = "its own CRS" if frame.crs.is_projected else f"{_EQUAL_AREA} (equal-area)"
        return lon, lat, (f"the polygon's centroid in {where}, its point on surface where "
                          "the centroid is outside it")
    raise InputError(f"{label}: expected polygons or points, found "
                     f"{', '.join(sorted(kinds))}")


@functools.lru_cache(maxsize=1)
def _a2_to_a3() -> dict[str, str]:
    c = embedded_countries()
    return dict(zip(c["iso_a2"].astype(str), c["iso_a3"].astype(str), strict=True))


def _countries(raw: pd.Series, kind: str, lon: NDArray, lat: NDArray) -> NDArray:
    """Return alpha-3 codes from a country column; shared or unknown cells by their centre."""
    index, codes = pd.factorize(raw, use_na_sentinel=False)
    codes = [str(c).strip().upper() for c in codes]
    table = _a2_to_a3()
    if kind == "a2":
        codes = [table.get(_EUROSTAT_A2.get(c, c), "") for c in codes]
    else:
        known = set(table.values())
        codes = [c if c in known else "" for c in codes]
    out = np.array(codes + [""], dtype=object)[index]
    lookup = np.flatnonzero(out == "")
    if lookup.size:
        out[lookup] = country_at(lon[lookup], lat[lookup])
    return out.astype(str)


def load_population_layer(path: str | os.PathLike, *, population_column: str | None = None
                          ) -> pd.DataFrame:
    """Load a vector population layer as one point per cell or polygon.

    Parameters
    ----------
    path : str or os.PathLike
        A CSV, (Geo)Parquet or vector file (GeoPackage, GeoJSON, FlatGeobuf, shapefile)
        with a population column and cell ids, H3 ids, geometries or lon/lat columns
        (the module's rule says which point each row counts by).
    population_column : str, optional
        The population column; default: the one name of :data:`POPULATION_NAMES` the file
        has (case-insensitive).

    Returns
    -------
    DataFrame
        :data:`LAYER_COLUMNS` (``name``: the cell id, the ``name`` column, or "row N"),
        and ``iso_a3`` when the layer has a country column; ``attrs["rule"]`` states the
        point rule, ``attrs["layer"]`` the file. Rows keep the file's order.

    Raises
    ------
    InputError
        No population column (or not the one named: the message lists the columns);
        several candidates; a population that is not a number in [0, 1e9]; a cell id
        that does not parse; nothing to place the rows by; no CRS. Each names the row and
        value, all the problems in one message.
    DataError
        The file is missing or unreadable.
    """
    label = os.fspath(_validate.path(path, "layer"))
    columns, geometry_type = layer_columns(path)
    pop_col = _population_column(columns, label, population_column)
    cell = (_named(columns, CELL_ID_NAMES) + _named(columns, H3_NAMES) + [None])[0]
    kind = None if cell is None else ("cell" if cell in _named(columns, CELL_ID_NAMES) else "h3")
    country = next(((k, c) for k, names in COUNTRY_CODE_NAMES.items()
                    for c in _named(columns, names)), None)
    coords = [(_named(columns, PLACE_ALIASES[r]) + [None])[0] for r in ("lon", "lat")]
    names = (_named(columns, PLACE_ALIASES["name"]) + [None])[0]
    wanted = [c for c in (pop_col, cell, country and country[1], names, *coords) if c]
    src = Path(path)
    frame = _read(src, label, list(dict.fromkeys(wanted)),
                  geometry=cell is None and geometry_type is not None)
    problems = Problems(label, "row", 2)
    people = _populations(frame[pop_col], pop_col, problems)
    if kind == "cell":
        lon, lat = cell_centres(frame[cell], problems, cell)
        rule = ("the cell's true centre from its INSPIRE id (lower-left corner + size/2 in "
                "the grid's CRS, pyproj to WGS84)")
    elif kind == "h3":
        lon, lat = h3_centres(frame[cell], problems, cell)
        rule = "the H3 cell's centre (h3.cell_to_latlng)"
    elif isinstance(frame, gpd.GeoDataFrame):
        lon, lat, rule = _geometry_points(frame, label)
    elif None not in coords:
        lon = _coordinates(frame[coords[0]], coords[0], -180, 180, problems)
        lat = _coordinates(frame[coords[1]], coords[1], -90, 90, problems)
        rule = "the point (lon/lat columns)"
    else:
        raise InputError(f"{label}: nothing places the rows: expected a cell id column "
                         f"({', '.join(CELL_ID_NAMES)}), an H3 column ({', '.join(H3_NAMES)}), "
                         "polygon or point geometries, or lon/lat columns")
    problems.raise_if_any()
    out = pd.DataFrame({"name": _row_names(frame, cell or names), "lon": lon, "lat": lat,
                        "population": people})
    if country is not None:
        out["iso_a3"] = _countries(frame[country[1]], country[0], lon, lat)
    out.attrs["rule"] = f"each row counts at {rule}"
    out.attrs["layer"] = label
    return out


def _floats(raw: pd.Series) -> NDArray[np.float64]:
    """Return a column as floats, NaN where a cell is not a number (Arrow's cast first)."""
    if isinstance(raw.dtype, pd.ArrowDtype):
        import pyarrow as pa
        import pyarrow.compute as pc
        try:
            return pc.cast(pa.array(raw), pa.float64()).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:  # some cell is not a number: word each one below
            raw = raw.astype(object)
    return pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)


def _coordinates(raw: pd.Series, column: str, lo: float, hi: float, problems: Problems
                 ) -> NDArray[np.float64]:
    values = _floats(raw)
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~((values >= lo) & (values <= hi)))
    for i in bad[:MAX_LISTED]:
        problems.add_cell(int(i), column, f"{shown(raw.iloc[i])} is not a number in "
                          f"[{lo:g}, {hi:g}]")
    problems.add_unlisted(max(0, bad.size - MAX_LISTED))
    return values


def _row_names(frame: pd.DataFrame, column: str | None):
    if column is not None:
        return frame[column].astype(str).reset_index(drop=True)
    return np.char.add("row ", (np.arange(len(frame)) + 2).astype(str))
