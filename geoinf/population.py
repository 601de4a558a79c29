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

from . import datasets
from .errors import DataError, InputError
from .tables import check_shape

__all__ = [
    "PLACE_COLUMNS",
    "COUNTRY_COLUMNS",
    "RASTER_KINDS",
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
            clash.append(f"{role} could be any of {', '.join(map(repr, hits))}")
        elif hits:
            found[role] = hits[0]
        elif role in required:
            missing.append(f"{role} (one of {', '.join(names)})")
    if clash:
        raise InputError(f"{label}: ambiguous columns: {'; '.join(clash)}; keep one of each")
    if missing:
        raise InputError(f"{label}: missing column {', '.join(missing)}; "
                         f"found {', '.join(map(str, columns)) or 'no columns'}")
    return found


def _numbers(frame: pd.DataFrame, col: str, role: str, lo: float, hi: float,
             label: str, problems: list[str]) -> NDArray[np.float64]:
    raw = frame[col]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < lo) | (values > hi)
    for i in np.flatnonzero(bad)[:5]:
        problems.append(f"row {i + 2} column {col!r}: {raw.iloc[i]!r} is not a number "
                        f"in [{lo:g}, {hi:g}]" if role != "population" else
                        f"row {i + 2} column {col!r}: {raw.iloc[i]!r} is not a "
                        f"population (a number >= 0)")
    if bad.sum() > 5:
        problems.append(f"and {bad.sum() - 5} more bad {role} values")
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
    return datasets.get_path(default) if path is None else Path(path)


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
    if geometry is not None:
        if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
            geometry = geometry.to_crs("EPSG:4326")
        if not geometry.geom_type.isin(["Point"]).all():
            kinds = sorted(set(geometry.geom_type.dropna()) - {"Point"})
            raise InputError(f"{src}: expected Point geometries, found {', '.join(kinds)}")
        # The geometry gives lon/lat; coordinate columns of the file are replaced.
        coord = {c for c in frame.columns if str(c).lower() in
                 _PLACE_ALIASES["lon"] + _PLACE_ALIASES["lat"]}
        frame = pd.DataFrame(frame.drop(columns=[frame.geometry.name, *coord]))
        frame["lon"], frame["lat"] = geometry.x.to_numpy(), geometry.y.to_numpy()
    cols = _resolve(frame.columns, _PLACE_ALIASES, str(src), PLACE_COLUMNS)
    problems: list[str] = []
    lon = _numbers(frame, cols["lon"], "lon", -180, 180, str(src), problems)
    lat = _numbers(frame, cols["lat"], "lat", -90, 90, str(src), problems)
    pop = _numbers(frame, cols["population"], "population", 0, np.inf, str(src), problems)
    if problems:
        raise InputError(f"{src}: {'; '.join(problems)}")
    out = frame.rename(columns={v: k for k, v in cols.items()})
    out["lon"], out["lat"] = lon, lat
    if out["population"].dtype.kind not in "iu":
        out["population"] = pop
    out = out[pop >= min_population]
    return gpd.GeoDataFrame(out.reset_index(drop=True),
                            geometry=gpd.points_from_xy(out["lon"], out["lat"]),
                            crs="EPSG:4326")


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
    problems: list[str] = []
    frame["pop_est"] = _numbers(frame, "pop_est", "population", 0, np.inf, str(src), problems)
    if problems:
        raise InputError(f"{src}: {'; '.join(problems)}")
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
    ``read`` returns people per cell whatever the kind: a density raster (people per
    km²) is multiplied by each cell's ellipsoidal area. Nodata and NaN cells read as 0.

    Attributes
    ----------
    path : pathlib.Path
    kind : {"count", "density"}
    dataset : rasterio.io.DatasetReader
        The open dataset (band 1 is read).
    indicative : bool
        True for the embedded modelled grid (tag ``INDICATIVE=yes``).
    """

    def __init__(self, path: Path, dataset, kind: str):
        self.path, self.dataset, self.kind = path, dataset, kind
        self.indicative = dataset.tags().get("INDICATIVE", "").lower() == "yes"

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
        values = np.ma.filled(data, 0.0)
        values[~np.isfinite(values)] = 0.0
        if self.kind == "density":
            values = values * self.cell_area_km2(window)
        return values

    def blocks(self, rows: int = 512) -> Iterator[tuple[Window, NDArray[np.float64]]]:
        """Yield (window, people per cell) for strips of ``rows`` rows."""
        for r in range(0, self.dataset.height, rows):
            win = Window(0, r, self.dataset.width, min(rows, self.dataset.height - r))
            yield win, self.read(win)

    def total(self) -> float:
        """Return the people in the whole raster, read strip by strip."""
        return float(sum(block.sum() for _, block in self.blocks()))


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


def open_population(path: _PathLike | None = None, *, kind: str = "count"
                    ) -> PopulationRaster:
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

    Returns
    -------
    PopulationRaster
        A context manager; read it window by window.

    Raises
    ------
    DataError
        The file is missing, empty, corrupt or not a raster.
    InputError
        Unknown ``kind``; or the raster is not in lon/lat WGS84 (the message names
        the CRS and gives the ``gdalwarp`` command that converts it).

    Examples
    --------
    >>> with open_population() as pop:
    ...     print(pop.indicative, pop.dataset.res)
    True (0.05, 0.05)
    """
    if kind not in RASTER_KINDS:
        raise InputError(f"kind={kind!r} is not one of {', '.join(RASTER_KINDS)}")
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
    return PopulationRaster(src, dataset, kind)
