"""Readers for the population layers: places (points), countries (polygons), rasters.

The embedded defaults (``data/places.parquet``, ``data/countries.parquet``,
``data/population_indicative.tif``; sources in ``data/SOURCES.md``) are read when no
path is given. The default raster is **indicative**: modelled from GeoNames places and
Natural Earth country totals, it reproduces each country's total and the placement of
towns, not the real distribution of people; pass GHS-POP, WorldPop, GPW or LandScan for
analysis. Rows of a CSV are numbered as in a spreadsheet (the header is row 1).
No analysis happens here: see ``geoinf.exposure``.
"""

from __future__ import annotations

import numbers
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
import shapely
from numpy.typing import NDArray
from rasterio.errors import RasterioError, RasterioIOError
from rasterio.windows import Window, from_bounds

from . import _validate, datasets
from .errors import DataError, InputError
from .tables import (
    COORD_TOL_DEG,
    MAX_LISTED,
    Problems,
    bounded,
    check_shape,
    clip,
    coordinate_conflicts,
    shown,
)

__all__ = [
    "PLACE_COLUMNS",
    "COUNTRY_COLUMNS",
    "RASTER_KINDS",
    "MAX_POPULATION",
    "MAX_DENSITY_KM2",
    "load_places",
    "load_countries",
    "open_population",
    "PopulationRaster",
    "cell_area_km2",
]

PLACE_COLUMNS = ("name", "lon", "lat", "population")
"""Columns every places frame has (the embedded one adds geonameid, asciiname, country,
iso_a3 and min_population)."""
COUNTRY_COLUMNS = ("iso_a3", "name", "pop_est")
"""Columns every countries frame has, besides ``geometry``."""
RASTER_KINDS = ("count", "density")
"""``count``: people per cell; ``density``: people per km² (multiplied by cell area)."""
MAX_POPULATION = 1e9
"""People in one place or one raster cell, at most: more is a fill value or an error.

The largest cities hold ~4e7 people, the largest countries ~1.4e9 (countries, as whole
territories, are checked against ten times this bound instead)."""
MAX_DENSITY_KM2 = 1e7
"""People per km² of a raster cell, at most: more is a fill value or an error.

That is 10 people on every m² of ground over the whole cell. The densest neighbourhoods
today hold ~1e5 per km², and the densest place ever recorded, Kowloon Walled City
(33,000 people on 2.6 ha), ~1.3e6; a standing crowd packed shoulder to shoulder is
~4e6. The bound is set above all of them so that no real raster, at any resolution, is
refused; it catches the fill values GDAL and the population producers use (float32
minimum and maximum, 1e20, integer maxima), together with :data:`MAX_POPULATION`."""
_MAX_COUNTRY_POPULATION = 10 * MAX_POPULATION  # more than the world's 8.2e9 (2025)

PLACES_FILE, COUNTRIES_FILE, RASTER_FILE = ("places.parquet", "countries.parquet",
                                            "population_indicative.tif")
_PLACE_ALIASES = {
    "name": ("name", "city", "place", "place_name", "city_name"),
    "lon": ("lon", "lng", "long", "longitude", "lon_deg"),
    "lat": ("lat", "latitude", "lat_deg"),
    "population": ("population", "pop", "pop_total", "inhabitants"),
}
_COUNTRY_ALIASES = {
    "iso_a3": ("iso_a3", "iso3", "adm0_a3", "gid_0", "iso"),
    "name": ("name", "admin", "country", "name_en", "name_long"),
    "pop_est": ("pop_est", "population", "pop"),
}
_WGS84_A, _WGS84_F = 6378137.0, 1 / 298.257223563
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
        problems.add_at(int(i) + 2, f"row {i + 2} column {col!r}: {shown(raw.iloc[i])} is not "
                        f"{what} in [{lo:g}, {hi:g}]" + (")" if role == "population" else ""))
    problems.add_unlisted(max(0, bad.size - MAX_LISTED))
    return values


def _read_table(path: Path) -> gpd.GeoDataFrame | pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            frame = pd.read_csv(path, sep=None if suffix != ".csv" else ",", dtype=str,
                                keep_default_na=False, engine="python" if suffix != ".csv"
                                else "c", skipinitialspace=True)
        elif suffix in (".parquet", ".geoparquet"):
            try:
                frame = gpd.read_parquet(path)
            except ValueError:  # a plain Parquet table (lon/lat columns, no geometry)
                frame = pd.read_parquet(path)
        else:
            frame = gpd.read_file(path)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty (expected a header row)") from None
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except (OSError, ValueError, RuntimeError, pd.errors.ParserError) as err:
        reason = " ".join(str(err).split())[:200] or type(err).__name__
        raise DataError(f"{path}: cannot read as a table ({reason})") from None
    check_shape(frame, str(path), "rows")
    return frame


def _label(path: Path | None, default: str) -> Path:
    return datasets.get_path(default) if path is None else Path(_validate.path(path, "path"))


def load_places(path: _PathLike | None = None, *, min_population: float = 0
                ) -> gpd.GeoDataFrame:
    """Load populated places as points.

    Parameters
    ----------
    path : str or os.PathLike, optional
        CSV (columns ``name, lon, lat, population``; also accepted: city/place,
        lng/long/longitude, latitude, pop), GeoJSON, GeoPackage or (Geo)Parquet.
        Default: the embedded GeoNames table (CC BY 4.0), with city sections removed.
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
    src = _label(path, PLACES_FILE)
    frame = _read_table(src)
    geometry = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else None
    conflicts: list[tuple[int, str]] = []
    if geometry is not None:
        if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
            geometry = geometry.to_crs("EPSG:4326")
        if not geometry.geom_type.isin(["Point"]).all():
            kinds = sorted(set(geometry.geom_type.dropna()) - {"Point"})
            raise InputError(f"{src}: expected Point geometries, found {', '.join(kinds)}")
        # The geometry gives lon/lat; coordinate columns of the file must agree with it.
        conflicts = _geometry_conflicts(frame, geometry)
        coord = [c for c in frame.columns if str(c).lower() in
                 _PLACE_ALIASES["lon"] + _PLACE_ALIASES["lat"]]
        frame = pd.DataFrame(frame.drop(columns=[frame.geometry.name, *coord]))
        frame["lon"], frame["lat"] = geometry.x.to_numpy(), geometry.y.to_numpy()
    cols = _resolve(frame.columns, _PLACE_ALIASES, str(src), PLACE_COLUMNS)
    problems = Problems(str(src))
    for i, text in conflicts:
        problems.add_at(i + 2, text)
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


def _geometry_conflicts(frame: gpd.GeoDataFrame, geometry: gpd.GeoSeries
                        ) -> list[tuple[int, str]]:
    """Return (frame row, problem) for coordinate columns that name another point."""
    def columns(role):
        return [c for c in frame.columns if str(c).lower() in _PLACE_ALIASES[role]]

    lon_cols, lat_cols = columns("lon"), columns("lat")
    if not lon_cols and not lat_cols:
        return []
    x, y = shapely.get_x(geometry.values), shapely.get_y(geometry.values)
    bad = set()
    for lon_col in lon_cols or [None]:
        for lat_col in lat_cols or [None]:
            bad.update(coordinate_conflicts(None if lon_col is None else frame[lon_col],
                                            None if lat_col is None else frame[lat_col], x, y))
    names = ", ".join(map(repr, lon_cols + lat_cols))
    return [(int(i), f"row {i + 2} columns {names}: "
             f"({', '.join(clip(frame[c].iloc[i]) for c in lon_cols + lat_cols)}) disagree "
             f"with the point geometry ({float(x[i])!r}, {float(y[i])!r}); expected the same point "
             f"(within {COORD_TOL_DEG:g}°) or no lon/lat columns") for i in sorted(bad)]


def load_countries(path: _PathLike | None = None) -> gpd.GeoDataFrame:
    """Load country polygons with their ISO alpha-3 code, name and population.

    Parameters
    ----------
    path : str or os.PathLike, optional
        GeoPackage, GeoJSON, shapefile or GeoParquet with polygons and columns
        ``iso_a3, name, pop_est`` (also accepted: iso3/adm0_a3, admin/country,
        population/pop). Default: the embedded Natural Earth 5.1.1 admin-0
        countries (public domain), cut at the antimeridian.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``iso_a3, name, pop_est`` (plus any other columns), valid polygons,
        EPSG:4326.

    Examples
    --------
    >>> countries = load_countries()
    >>> countries.set_index("iso_a3").loc[["FRA", "NOR", "XKX"], "name"].tolist()
    ['France', 'Norway', 'Kosovo']
    """
    src = _label(path, COUNTRIES_FILE)
    frame = _read_table(src)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"{src}: expected polygons with a geometry column")
    if frame.crs is None:
        raise InputError(f"{src}: no CRS; expected EPSG:4326 (lon/lat) or a defined CRS")
    if not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    cols = _resolve([c for c in frame.columns if c != frame.geometry.name],
                    _COUNTRY_ALIASES, str(src), COUNTRY_COLUMNS)
    frame = frame.rename(columns={v: k for k, v in cols.items()})
    problems = Problems(str(src))
    frame["pop_est"] = _numbers(frame, "pop_est", "population", 0, _MAX_COUNTRY_POPULATION,
                                problems)
    problems.raise_if_any()
    geoms = frame.geometry.values
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        frame.loc[invalid, frame.geometry.name] = shapely.make_valid(geoms[invalid])
    return frame


def cell_area_km2(lat_south: NDArray | float, lat_north: NDArray | float,
                  dlon_deg: float) -> NDArray[np.float64]:
    """Return the WGS84 ellipsoidal area of lon/lat cells, in km².

    Uses the closed form for the area between two parallels on the ellipsoid
    (authalic latitude), exact for cells bounded by meridians and parallels.

    Parameters
    ----------
    lat_south, lat_north : float or array_like
        Latitudes of the cell edges in degrees.
    dlon_deg : float
        Cell width in degrees of longitude.

    Returns
    -------
    ndarray
        Area in km².

    Examples
    --------
    >>> f"{cell_area_km2(-90, 90, 360)[()]:.0f}"  # the whole WGS84 ellipsoid
    '510065622'
    """
    e = np.sqrt(_WGS84_F * (2 - _WGS84_F))

    def q(lat):
        s = np.sin(np.radians(np.asarray(lat, dtype=np.float64)))
        return s / (1 - (e * s) ** 2) + np.arctanh(e * s) / e

    area_m2 = _WGS84_A ** 2 * (1 - e ** 2) / 2 * np.radians(dlon_deg) * (q(lat_north) - q(
        lat_south))
    return np.abs(area_m2) / 1e6


class PopulationRaster:
    """A population raster opened for windowed reads of people per cell.

    Use :func:`open_population` to create one; close it (or use ``with``) when done.
    ``read`` returns people per cell whatever the kind: the band's GDAL scale and offset
    are applied, a density raster (people per km²) is multiplied by each cell's
    ellipsoidal area, and cells masked by the file (its nodata value or mask) or equal
    to ``nodata`` read as 0. Any other value that is not a population (negative after
    scale and offset, NaN, infinite, or above :data:`MAX_DENSITY_KM2` people per km² of
    the cell or :data:`MAX_POPULATION` per cell) raises one :class:`InputError` when a
    window holding it is read; only the windows read are checked.

    Attributes
    ----------
    path : pathlib.Path
    kind : {"count", "density"}
    dataset : rasterio.io.DatasetReader
        The open dataset (band 1 is read).
    indicative : bool
        True for the embedded modelled grid (tag ``INDICATIVE=yes``).
    nodata : float or None
        The value declared missing by the caller, in addition to the file's own.
    scale, offset : float
        The band's GDAL scale and offset: people = value * scale + offset.
    """

    def __init__(self, path: Path, dataset, kind: str, nodata: float | None = None):
        self.path, self.dataset, self.kind, self.nodata = path, dataset, kind, nodata
        self.indicative = dataset.tags().get("INDICATIVE", "").lower() == "yes"
        self.scale = float(dataset.scales[0]) if dataset.scales else 1.0
        self.offset = float(dataset.offsets[0]) if dataset.offsets else 0.0

    def __enter__(self) -> PopulationRaster:
        """Return self; the dataset is closed on exit."""
        return self

    def __exit__(self, *exc) -> None:
        """Close the dataset."""
        self.close()

    def close(self) -> None:
        """Close the dataset."""
        self.dataset.close()

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Return (west, south, east, north) in degrees."""
        return tuple(self.dataset.bounds)

    def window(self, west: float, south: float, east: float, north: float) -> Window:
        """Return the window of whole cells covering a lon/lat box, clipped to the raster."""
        win = from_bounds(west, south, east, north, self.dataset.transform)
        c0, r0 = np.floor([win.col_off + 1e-9, win.row_off + 1e-9])
        c1, r1 = np.ceil([win.col_off + win.width - 1e-9, win.row_off + win.height - 1e-9])
        c0, c1 = np.clip([c0, c1], 0, self.dataset.width)
        r0, r1 = np.clip([r0, r1], 0, self.dataset.height)
        return Window(int(c0), int(r0), int(c1 - c0), int(r1 - r0))

    def cell_area_km2(self, window: Window | None = None) -> NDArray[np.float64]:
        """Return the area of one cell per row of ``window`` (km², a column vector)."""
        window = window or Window(0, 0, self.dataset.width, self.dataset.height)
        t = self.dataset.transform
        rows = np.arange(int(window.row_off), int(window.row_off + window.height))
        north = t.f + t.e * rows
        return cell_area_km2(north + t.e, north, abs(t.a))[:, None]

    def read(self, window: Window | None = None) -> NDArray[np.float64]:
        """Return people per cell in ``window`` (default: all; prefer windows).

        Raises
        ------
        InputError
            The window holds a value that is not a population (see the class).
        DataError
            The file cannot be read there (truncated or corrupt).

        Examples
        --------
        >>> with open_population() as pop:
        ...     win = pop.window(19.0, 47.3, 19.3, 47.7)  # Budapest
        ...     people = float(pop.read(win).sum())
        >>> 1.5e6 < people < 3.5e6
        True
        """
        try:
            data = self.dataset.read(1, window=window, masked=True, out_dtype="float64")
        except (RasterioError, OSError, ValueError) as err:
            where = "" if window is None else f" rows {int(window.row_off)}-" \
                f"{int(window.row_off + window.height) - 1}"
            raise DataError(f"{self.path}: cannot read raster data{where}, the file may be "
                            f"truncated or corrupt ({_short(err.__cause__ or err)})") from None
        raw = np.ma.getdata(data)  # the file's values, masked cells included
        missing = np.ma.getmask(data)
        if self.nodata is not None:
            declared = np.isnan(raw) if np.isnan(self.nodata) else raw == self.nodata
            missing = declared if missing is np.ma.nomask else missing | declared
        values = raw * self.scale + self.offset if (self.scale, self.offset) != (1, 0) else raw
        if missing is not np.ma.nomask and missing.any():
            np.putmask(values, missing, 0.0)  # never a reported cell: raw stays readable
        area = self.cell_area_km2(window)
        if self.kind == "density":
            values = values * area
        self._check(raw, values, np.minimum(MAX_DENSITY_KM2 * area, MAX_POPULATION), window)
        return values

    def _check(self, raw: NDArray, people: NDArray, bound: NDArray, window) -> None:
        """Raise one InputError if a cell holds a value that is not a population."""
        if people.size == 0:
            return
        with np.errstate(invalid="ignore"):
            if people.min() >= 0 and (people.max(axis=1) <= bound[:, 0]).all():
                return  # the usual case: two reductions, no temporary arrays
            bad = ~((people >= 0) & (people <= bound))
        raise InputError(self._bad_values(raw[bad], window))

    def _bad_values(self, raw: NDArray, window) -> str:
        """Word the error for the values ``raw`` (as in the file) found in ``window``."""
        values, counts = np.unique(raw, return_counts=True)  # NaNs gathered as one value
        order = np.argsort(-counts, kind="stable")
        values, counts = values[order], counts[order]
        scaled = "" if (self.scale, self.offset) == (1, 0) else \
            f" after the file's scale {self.scale:g} and offset {self.offset:g}"
        where = self._where(window)

        def reason(v):
            if np.isnan(v):
                return "not a number"
            if np.isinf(v):
                return "infinite"
            if v * self.scale + self.offset < 0:
                return f"negative{scaled}"
            return (f"more than {MAX_DENSITY_KM2:g} people per km² or {MAX_POPULATION:g} per "
                    f"cell{scaled}")

        declared = "no nodata" if self.dataset.nodata is None else \
            f"nodata {_number(self.dataset.nodata)}"
        if values.size == 1:
            v = _number(values[0])
            return (f"{self.path}: {_cells(counts[0])} {v} ({reason(values[0])}) {where}; "
                    f"if it marks missing data, declare it: --nodata {v} (API: nodata={v}); "
                    f"the file declares {declared}")
        listed = [f"{_number(v)} ({reason(v)}) in {_cells(n, verb=False)}"
                  for v, n in zip(values, counts, strict=True)]
        return (f"{self.path}: {_cells(counts.sum())} values that are not people {where}: "
                f"{bounded(listed, noun='values')}; if one marks missing data, declare it: "
                f"--nodata VALUE (API: nodata=VALUE); the file declares {declared}")

    def _where(self, window) -> str:
        h, w = self.dataset.shape
        if window is None or (int(window.row_off), int(window.col_off), int(window.height),
                              int(window.width)) == (0, 0, h, w):
            return "in the whole raster"
        r0, c0 = int(window.row_off), int(window.col_off)
        return (f"in rows {r0}-{r0 + int(window.height) - 1}, columns "
                f"{c0}-{c0 + int(window.width) - 1} of {h} x {w}")

    def blocks(self, rows: int = 512) -> Iterator[tuple[Window, NDArray[np.float64]]]:
        """Yield (window, people per cell) for strips of ``rows`` rows."""
        for r in range(0, self.dataset.height, rows):
            win = Window(0, r, self.dataset.width, min(rows, self.dataset.height - r))
            yield win, self.read(win)

    def total(self) -> float:
        """Return the people in the whole raster, read strip by strip."""
        return float(sum(block.sum() for _, block in self.blocks()))


def _number(v: float) -> str:
    """Return a raster value as it is typed back (``--nodata``): exact, integers bare."""
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)


def _cells(n: int, verb: bool = True) -> str:
    """Return "1 cell holds", "7 cells hold" (or "1 cell", "7 cells" without the verb)."""
    n = int(n)
    if not verb:
        return "1 cell" if n == 1 else f"{n:,} cells"
    return "1 cell holds" if n == 1 else f"{n:,} cells hold"


def _short(err: Exception) -> str:
    return " ".join(str(err).split())[:200] or type(err).__name__


def _crs_name(crs) -> str:
    if not crs:
        return "missing (no CRS)"
    try:
        return f"{crs.to_string()} ({pyproj.CRS.from_wkt(crs.to_wkt()).name})"
    except pyproj.exceptions.CRSError:
        return crs.to_string()


_DENSITY_UNIT = re.compile(r"per\s+(square|sq\b|km|mi)|/\s*(sq|km|mi)|(km|mi)\s*(²|2|\^2)",
                           re.IGNORECASE)


def _declared_unit(dataset) -> str:
    """Return the unit a raster states for band 1 (band unit type or ``units`` tag), or ''."""
    found = [(dataset.units or ("",))[0] or ""]
    for tags in (dataset.tags(1), dataset.tags()):
        found += [v for k, v in tags.items() if k.lower() in ("units", "unit")]
    return next((u.strip() for u in found if u and u.strip()), "")


def _is_wgs84_lonlat(crs) -> bool:
    if crs is None:
        return False
    return crs.to_epsg() == 4326 or crs.to_string() in ("OGC:CRS84", "EPSG:4326")


def open_population(path: _PathLike | None = None, *, kind: str = "count",
                    nodata: float | None = None) -> PopulationRaster:
    """Open a population raster (GeoTIFF or any raster rasterio reads) in EPSG:4326.

    Parameters
    ----------
    path : str or os.PathLike, optional
        The raster. Default: the embedded INDICATIVE grid (0.05°, people per cell,
        modelled from places and country totals; not for analysis of real
        distribution).
    kind : {"count", "density"}, default "count"
        ``count``: values are people per cell (GHS-POP, WorldPop, LandScan counts);
        ``density``: people per km² (GPW density), multiplied by the cell area.
    nodata : float, optional
        A value of the file (before its scale and offset; NaN allowed) that marks cells
        without data, read as 0 people, in addition to the nodata the file declares.
        Give it when the file uses a fill value without declaring it (e.g. -32768 or
        the float32 minimum): reading such a value is otherwise an error.

    Returns
    -------
    PopulationRaster
        A context manager; read it window by window.

    Raises
    ------
    DataError
        The file is missing, empty, corrupt or not a raster.
    InputError
        Unknown ``kind``; ``nodata`` not a number; or the raster is not in lon/lat WGS84
        (the message names the CRS and gives the ``gdalwarp`` command that converts it).
        Values that are not populations are refused later, by the read that finds them
        (see :class:`PopulationRaster`).

    Examples
    --------
    >>> with open_population() as pop:
    ...     print(pop.indicative, pop.dataset.res)
    True (0.05, 0.05)
    """
    if kind not in RASTER_KINDS:
        raise InputError(f"kind={kind!r} is not one of {', '.join(RASTER_KINDS)}")
    if nodata is not None and (isinstance(nodata, bool)
                               or not isinstance(nodata, numbers.Real)):
        raise InputError(f"nodata={nodata!r} is not a number (expected the value of the "
                         "file that marks cells without data, e.g. -32768)")
    src = _label(path, RASTER_FILE)
    if not src.is_file():
        raise DataError(f"{src}: no such file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            dataset = rasterio.open(src)
    except (RasterioIOError, RasterioError, OSError) as err:
        raise DataError(f"{src}: not a readable raster ({_short(err)})") from None
    if not _is_wgs84_lonlat(dataset.crs):
        name = _crs_name(dataset.crs)
        dataset.close()
        resampling = "sum" if kind == "count" else "average"
        raise InputError(
            f"{src}: raster CRS is {name}, expected EPSG:4326 lon/lat; convert it with "
            f"`gdalwarp -t_srs EPSG:4326 -r {resampling} {src} {src.stem}_4326.tif`"
            + (" (counts need -r sum, GDAL >= 3.1)" if kind == "count" else ""))
    unit = _declared_unit(dataset)
    if kind == "count" and _DENSITY_UNIT.search(unit):
        dataset.close()
        raise InputError(f"{src}: band 1 is in {unit!r}, a density, but kind is 'count' "
                         "(people per cell); pass --kind density (kind='density')")
    return PopulationRaster(src, dataset, kind, _as_band_value(nodata, dataset.dtypes[0]))


def _as_band_value(nodata: float | None, dtype: str) -> float | None:
    """Return ``nodata`` rounded to a float band's precision (-3.4028235e38 is float32 min)."""
    if nodata is None:
        return None
    kind = np.dtype(dtype)
    with np.errstate(over="ignore"):
        return float(kind.type(nodata)) if kind.kind == "f" else float(nodata)
