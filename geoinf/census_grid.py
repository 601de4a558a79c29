"""INSPIRE grid cell ids (Eurostat GEOSTAT census grid): each cell's true centre in lon/lat.

The Eurostat census grid (GEOSTAT; 2021 edition described at
https://ec.europa.eu/eurostat/web/gisco/geodata/population-distribution/geostat, published as
CSV, GeoPackage, GeoParquet and GeoTIFF in EPSG:3035 ETRS89-LAEA; the 2021 CSV's header is
``GRD_ID,T,M,F,Y_LT15,Y_1564,Y_GE65,EMP,NAT,EU_OTH,OTH,SAME,CHG_IN,CHG_OUT,LAND_SURFACE,
POPULATED,CNTR_ID``, ``T`` the total population and ``CNTR_ID`` one or more country codes
joined by ``-``) names each cell by an INSPIRE id that holds its CRS, size and lower-left
corner: ``CRS3035RES1000mN2684000E4334000`` is the 1,000 m cell of EPSG:3035 whose corner is
at northing 2,684,000 m and easting 4,334,000 m. The short form of the 2011 grid,
``1kmN2684E4334``, gives the corner in kilometres (EPSG:3035 implied).

A cell's centre is its corner plus half its size in the grid's own CRS, transformed to
WGS84 lon/lat by pyproj: the point an exact-distance rule decides, with no reprojection of
the cells.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from .tables import MAX_LISTED, Problems, shown

__all__ = ["CELL_ID_PATTERN", "cell_corners", "cell_centres"]

CELL_ID_PATTERN = (r"^\s*(?:CRS(?P<epsg>\d{4,5})RES(?P<res>\d+)m"
                   r"N(?P<north>\d+)E(?P<east>\d+)"
                   r"|(?P<res_km>\d+)kmN(?P<north_km>\d+)E(?P<east_km>\d+))\s*$")
"""The INSPIRE cell ids read: ``CRS<epsg>RES<size>mN<northing>E<easting>`` (metres) or the
short ``<size>kmN<northing>E<easting>`` (kilometres, EPSG:3035)."""
_SHORT_EPSG = 3035


def _as_text(ids) -> pa.Array:
    """Return ids as an Arrow string array."""
    arr = pa.array(pd.Series(ids).astype(str), type=pa.string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


@functools.lru_cache(maxsize=8)
def _to_lonlat(epsg: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(epsg), "EPSG:4326", always_xy=True)


CHUNK = 1 << 18
"""Ids parsed per step: the regex's intermediate strings stay bounded (~60 MB)."""


def cell_corners(ids, problems: Problems, column: str
                 ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64],
                            NDArray[np.float64]]:
    """Return the EPSG code, size, easting and northing (metres) of each cell id.

    Every id that does not parse is recorded in ``problems`` (row and value; the first
    :data:`~geoinf.tables.MAX_LISTED` worded, the rest counted) and gets NaN. The ids are
    parsed :data:`CHUNK` at a time, so memory beyond the result does not grow with the
    file.

    Examples
    --------
    >>> epsg, size, east, north = cell_corners(["CRS3035RES1000mN2684000E4334000",
    ...                                         "1kmN2684E4334"], Problems("t.csv"), "GRD_ID")
    >>> epsg.tolist(), size.tolist(), east.tolist(), north.tolist()
    ([3035, 3035], [1000.0, 1000.0], [4334000.0, 4334000.0], [2684000.0, 2684000.0])
    """
    text = _as_text(ids)
    out = np.empty((4, len(text)))
    bad, zero = [], []
    for lo in range(0, len(text), CHUNK):
        chunk = text.slice(lo, CHUNK)
        b, z = _parse(chunk, out[:, lo:lo + len(chunk)])
        bad.append(b + lo)
        zero.append(z + lo)
    bad = np.concatenate(bad) if bad else np.zeros(0, np.intp)
    zero = np.concatenate(zero) if zero else np.zeros(0, np.intp)
    for i in bad[:MAX_LISTED]:
        problems.add_cell(int(i), column, f"{shown(text[int(i)].as_py())} is not an INSPIRE "
                          "cell id (expected e.g. CRS3035RES1000mN2684000E4334000)")
    for i in zero[:MAX_LISTED]:
        problems.add_cell(int(i), column, f"{shown(text[int(i)].as_py())} has cell size 0")
    problems.add_unlisted(max(0, bad.size - MAX_LISTED)
                          + max(0, zero.size - MAX_LISTED))
    epsg = np.where(np.isnan(out[0]), 0, out[0]).astype(np.int64)
    return epsg, out[1], out[2], out[3]


def _parse(text: pa.Array, out: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """Fill ``out`` (epsg, size, east, north) from ids; return the unparsed and size-0 rows."""
    parts = pc.extract_regex(text, CELL_ID_PATTERN)
    matched = parts.is_valid().to_numpy(zero_copy_only=False)

    def number(col: str) -> NDArray[np.float64]:
        field = pc.if_else(pc.equal(parts.field(col), ""), None, parts.field(col))
        return pc.cast(field, pa.float64()).to_numpy(zero_copy_only=False)

    long_form = matched & ~np.isnan(number("epsg"))
    short = matched & ~long_form
    out[0] = np.where(long_form, number("epsg"), _SHORT_EPSG)
    out[1] = np.where(long_form, number("res"), 1000.0 * number("res_km"))
    out[2] = np.where(long_form, number("east"), 1000.0 * number("east_km"))
    out[3] = np.where(long_form, number("north"), 1000.0 * number("north_km"))
    out[0][~matched] = np.nan
    return np.flatnonzero(~matched), np.flatnonzero((long_form | short) & ~(out[1] > 0))


def cell_centres(ids, problems: Problems, column: str
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the WGS84 lon/lat of each cell's centre (corner + size/2 in the cell's CRS).

    Parameters
    ----------
    ids : sequence of str
        INSPIRE cell ids (:data:`CELL_ID_PATTERN`).
    problems : Problems
        Records the ids that do not parse or name a CRS pyproj does not know.
    column : str
        The file's name of the id column, for messages.

    Returns
    -------
    lon, lat : ndarray
        Degrees (NaN for ids recorded as problems).

    Examples
    --------
    >>> lon, lat = cell_centres(["CRS3035RES1000mN3210000E4321000"], Problems("t.csv"), "GRD_ID")
    >>> print(f"{lon[0]:.6f} {lat[0]:.6f}")  # EPSG:3035's origin is 10 E 52 N
    10.007281 52.004493
    """
    epsg, size, east, north = cell_corners(ids, problems, column)
    lon = np.full(epsg.size, np.nan)
    lat = np.full(epsg.size, np.nan)
    for code in np.unique(epsg[epsg > 0]):
        mine = np.flatnonzero(epsg == code)
        try:
            transformer = _to_lonlat(int(code))
        except CRSError:
            problems.add_cell(int(mine[0]), column, f"CRS{code} is not an EPSG code pyproj "
                              f"knows ({mine.size:,} cells)")
            continue
        lon[mine], lat[mine] = transformer.transform(east[mine] + size[mine] / 2,
                                                     north[mine] + size[mine] / 2)
    return lon, lat
