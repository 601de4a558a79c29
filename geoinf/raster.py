"""Population rasters in their own CRS: windowed reads of people per cell, and cell areas.

The embedded default, ``data/population_indicative.tif`` (sources in ``data/SOURCES.md``),
is read when no path is given. It is **indicative**: modelled from GeoNames places and
Natural Earth country totals, it reproduces each country's total and the placement of
towns, not the real distribution of people; pass GHS-POP, WorldPop, GPW or LandScan for
analysis. Any CRS with a definition is read as it is (no reprojection): where its cells
are on WGS84 is :mod:`geoinf.raster_crs`'s concern. No analysis happens here: see
``geoinf.exposure``.
"""

from __future__ import annotations

import functools
import numbers
import os
import re
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyproj
import rasterio
from numpy.typing import NDArray
from rasterio.enums import MaskFlags
from rasterio.errors import RasterioError, RasterioIOError
from rasterio.windows import Window, from_bounds

from . import _validate, datasets
from .constants import A_KM, F
from .errors import DataError, InputError
from .raster_crs import RasterGrid, grid_problem, raster_grid, to_lonlat
from .tables import bounded

__all__ = [
    "RASTER_KINDS",
    "MAX_POPULATION",
    "MAX_DENSITY_KM2",
    "open_population",
    "PopulationRaster",
    "cell_area_km2",
]

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

RASTER_FILE = "population_indicative.tif"
_PathLike = str | os.PathLike


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
    e = np.sqrt(F * (2 - F))

    def q(lat):
        s = np.sin(np.radians(np.asarray(lat, dtype=np.float64)))
        return s / (1 - (e * s) ** 2) + np.arctanh(e * s) / e

    area = A_KM ** 2 * (1 - e ** 2) / 2 * np.radians(dlon_deg) * (q(lat_north) - q(lat_south))
    return np.abs(area)


@functools.lru_cache(maxsize=16)
def _row_areas(north: float, step: float, dlon: float, rows: int) -> NDArray[np.float64]:
    """Exact cell areas (km², a read-only column) of the rows of a lon/lat grid."""
    edge = north + step * np.arange(rows)
    area = cell_area_km2(edge + step, edge, dlon)[:, None]
    area.setflags(write=False)
    return area


def _row_bounds(areas: NDArray) -> NDArray[np.float64]:
    """Most people a cell of each row may hold (:data:`MAX_DENSITY_KM2`, :data:`MAX_POPULATION`)."""
    bound = np.minimum(MAX_DENSITY_KM2 * areas, MAX_POPULATION)
    bound.setflags(write=False)
    return bound


_FACTS: OrderedDict = OrderedDict()  # file version -> facts of PopulationRaster._fact
_MAX_FACTS = 32


def _memo(facts: dict, name, compute):
    """Return ``facts[name]``, computing and keeping it the first time (raster_blocks too)."""
    try:
        return facts[name]
    except KeyError:
        value = facts[name] = compute()
        return value


def _file_facts(src: Path) -> dict:
    """Return the facts kept for this version of a file (a new dict for a new version).

    A version is the file's identity and state as ``os.stat`` gives them (device, inode,
    size, modification and change times in ns): rewriting or replacing the file starts
    afresh.
    """
    st = os.stat(src)
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    facts = _FACTS.get(key)
    if facts is None:
        facts = _FACTS[key] = {}
        while len(_FACTS) > _MAX_FACTS:
            _FACTS.popitem(last=False)
    return facts


class PopulationRaster:
    """A population raster opened for windowed reads of people per cell.

    Use :func:`open_population` to create one; close it (or use ``with``) when done.
    ``read`` returns people per cell whatever the kind: the band's GDAL scale and offset
    are applied, a density raster (people per km²) is multiplied by each cell's
    ellipsoidal area (:meth:`cell_area_km2`), and cells masked by the file (its nodata
    value or mask) or equal to ``nodata`` read as 0. Any other value that is not a
    population (negative after scale and offset, NaN, infinite, or above
    :data:`MAX_DENSITY_KM2` people per km² of the cell or :data:`MAX_POPULATION` per
    cell) raises one :class:`InputError` when a window holding it is read; only the
    windows read are checked. GDAL decodes with all the machine's cores
    (``GDAL_NUM_THREADS`` at open). What geoinf learns of a file besides its cells (the
    CRS check, the grid, whether it has a mask band, which tiles it wrote) is kept for
    that version of the file (:func:`os.stat`: device, inode, size, change times), so
    a file opened again is not asked again.

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

    def __init__(self, path: Path, dataset, kind: str, nodata: float | None = None, *,
                 facts: dict | None = None):
        self.path, self.dataset, self.kind, self.nodata = path, dataset, kind, nodata
        # what is known of this version of the file besides its cells (shared by its opens)
        self._facts = {} if facts is None else facts
        self.indicative, self.scale, self.offset = self._fact("band", lambda: (
            dataset.tags().get("INDICATIVE", "").lower() == "yes",
            float(dataset.scales[0]) if dataset.scales else 1.0,
            float(dataset.offsets[0]) if dataset.offsets else 0.0))

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
        """Return (left, bottom, right, top) in the raster's CRS (degrees for lon/lat)."""
        return tuple(self.dataset.bounds)

    def _fact(self, name: str, compute):
        """Return a fact of the file (grid, mask kind, written tiles...), computed once."""
        return _memo(self._facts, name, compute)

    @property
    def grid(self) -> RasterGrid:
        """Return where the cells are on WGS84 (:func:`geoinf.raster_crs.raster_grid`)."""
        return self._fact("grid", lambda: raster_grid(
            self.dataset.crs, self.dataset.transform, self.dataset.shape, where=str(self.path)))

    @property
    def written_tiles(self) -> dict:
        """Return the memo of the tiles this file wrote (see ``raster_blocks.tile_windows``)."""
        return self._fact("written_tiles", dict)

    def window(self, west: float, south: float, east: float, north: float) -> Window:
        """Return the window of whole cells covering a lon/lat box, clipped to the raster."""
        win = from_bounds(west, south, east, north, self.dataset.transform)
        c0, r0 = np.floor([win.col_off + 1e-9, win.row_off + 1e-9])
        c1, r1 = np.ceil([win.col_off + win.width - 1e-9, win.row_off + win.height - 1e-9])
        c0, c1 = np.clip([c0, c1], 0, self.dataset.width)
        r0, r1 = np.clip([r0, r1], 0, self.dataset.height)
        return Window(int(c0), int(r0), int(c1 - c0), int(r1 - r0))

    def cell_area_km2(self, window: Window | None = None, *, per_cell: bool = True
                      ) -> NDArray[np.float64]:
        """Return the ellipsoidal area of the cells of ``window``, in km².

        A column vector (one area per row) for lon/lat rasters, exact (:func:`cell_area_km2`);
        for a projected CRS the planar cell area divided by the projection's areal scale
        at each cell centre (pyproj ``get_factors``), of shape (rows, cols), or with
        ``per_cell=False`` at the window's middle column only (a column vector).
        """
        window = window or Window(0, 0, self.dataset.width, self.dataset.height)
        t = self.dataset.transform
        crs = self.grid.crs
        if crs.is_geographic:
            return self._row_areas[int(window.row_off):int(window.row_off + window.height)]
        rows = np.arange(int(window.row_off), int(window.row_off + window.height))
        cols = np.arange(int(window.col_off), int(window.col_off + window.width)) if per_cell \
            else np.array([int(window.col_off + window.width // 2)])
        x = t.c + t.a * (cols + 0.5)
        y = t.f + t.e * (rows + 0.5)
        xx, yy = np.meshgrid(x, y)
        lon, lat = to_lonlat(self.grid.crs).transform(xx.ravel(), yy.ravel())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scale = np.asarray(pyproj.Proj(crs).get_factors(lon, lat).areal_scale)
        area = abs(t.a * t.e) / 1e6 / scale.reshape(xx.shape)
        return np.where(np.isfinite(area) & (area > 0), area, abs(t.a * t.e) / 1e6)

    @property
    def _row_areas(self) -> NDArray[np.float64]:
        """Return the exact cell area of every row of a lon/lat raster, km² (column, read-only)."""
        t = self.dataset.transform
        return _row_areas(t.f, t.e, abs(t.a), self.dataset.height)

    def read(self, window: Window | None = None, *, stored: bool = False) -> NDArray:
        """Return people per cell in ``window`` (default: all; prefer windows).

        Parameters
        ----------
        window : rasterio.windows.Window, optional
        stored : bool, default False
            Keep the file's data type (float32, int32...) where no scale, offset or
            density conversion applies, instead of float64: no conversion pass (sum it
            with ``dtype=float64``).

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
        raw, missing = self._read_raw(window, stored and self.kind == "count"
                                      and (self.scale, self.offset) == (1, 0))
        if self.nodata is not None:
            declared = np.isnan(raw) if np.isnan(self.nodata) else raw == self.nodata
            missing = declared if missing is np.ma.nomask else missing | declared
        values = raw * self.scale + self.offset if (self.scale, self.offset) != (1, 0) else raw
        if missing is not np.ma.nomask and missing.any():
            np.putmask(values, missing, 0.0)  # never a reported cell: raw stays readable
        if self.kind == "count" and self.grid.crs.is_geographic:  # bounds per row, cached
            r0 = 0 if window is None else int(window.row_off)
            h = self.dataset.height if window is None else int(window.height)
            bound = self._fact("row_bounds", lambda: _row_bounds(self._row_areas))[r0:r0 + h]
        else:
            area = self.cell_area_km2(window, per_cell=self.kind == "density")
            if self.kind == "density":
                values = values * area
            bound = np.minimum(MAX_DENSITY_KM2 * area, MAX_POPULATION)
        self._check(raw, values, bound, window)
        return values

    @property
    def _plain_mask(self) -> bool:
        """Return True when the file masks no cell beyond its nodata value."""
        return self._fact("plain_mask", lambda: all(
            f in (MaskFlags.all_valid, MaskFlags.nodata)
            for f in self.dataset.mask_flag_enums[0]))

    def _read_raw(self, window, stored: bool = False):
        """Return the file's values (float64 unless ``stored``) and the missing cells' mask.

        The mask band is read only when the file has one beyond its nodata value.
        """
        try:
            plain = self._plain_mask
            dtype = None if stored else "float64"
            if plain:
                raw = self.dataset.read(1, window=window, out_dtype=dtype)
            else:
                data = self.dataset.read(1, window=window, masked=True, out_dtype=dtype)
        except (RasterioError, OSError, ValueError) as err:
            where = "" if window is None else f" rows {int(window.row_off)}-" \
                f"{int(window.row_off + window.height) - 1}"
            raise DataError(f"{self.path}: cannot read raster data{where}, the file may be "
                            f"truncated or corrupt ({_short(err.__cause__ or err)})") from None
        if not plain:
            return np.ma.getdata(data), np.ma.getmask(data)
        fill = self.dataset.nodata
        if fill is None:
            return raw, np.ma.nomask
        if np.isnan(fill):
            return raw, np.isnan(raw) if raw.dtype.kind == "f" else np.ma.nomask
        return raw, raw == _as_band_value(fill, self.dataset.dtypes[0])

    def _check(self, raw: NDArray, people: NDArray, bound: NDArray, window) -> None:
        """Raise one InputError if a cell holds a value that is not a population."""
        if people.size == 0:
            return
        if people.min() >= 0:  # NaN fails every comparison: it is never let through
            top = people.max()
            if top <= bound.min() or (people.max(axis=1) <= bound.min(axis=1)).all():
                return  # the usual case: two or three reductions, no temporary arrays
        with np.errstate(invalid="ignore"):
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


_DENSITY_UNIT = re.compile(r"per\s+(square|sq\b|km|mi)|/\s*(sq|km|mi)|(km|mi)\s*(²|2|\^2)",
                           re.IGNORECASE)


def _declared_unit(dataset) -> str:
    """Return the unit a raster states for band 1 (band unit type or ``units`` tag), or ''."""
    found = [(dataset.units or ("",))[0] or ""]
    for tags in (dataset.tags(1), dataset.tags()):
        found += [v for k, v in tags.items() if k.lower() in ("units", "unit")]
    return next((u.strip() for u in found if u and u.strip()), "")


def open_population(path: _PathLike | None = None, *, kind: str = "count",
                    nodata: float | None = None) -> PopulationRaster:
    """Open a population raster (GeoTIFF or any raster rasterio reads) in its own CRS.

    Parameters
    ----------
    path : str, os.PathLike or xarray.DataArray, optional
        The raster. Default: the embedded INDICATIVE grid (0.05°, people per cell,
        modelled from places and country totals; not for analysis of real
        distribution). Or an xarray.DataArray with a CRS, read by the same rules
        (:mod:`geoinf.raster_arrays`).
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
        Unknown ``kind``; ``nodata`` not a number; the raster has no CRS, or a rotated
        geotransform. Any CRS pyproj knows is read as it is, never reprojected
        (:mod:`geoinf.raster_crs`). Values that are not populations are refused later,
        by the read that finds them (see :class:`PopulationRaster`).

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
    from .raster_arrays import ArrayRaster, RasterFootprint, array_dataset, is_data_array

    cls, facts = PopulationRaster, {}  # an array's facts live as long as its raster
    if is_data_array(path) or isinstance(path, RasterFootprint):
        cls, dataset = ArrayRaster, array_dataset(path)
        src = dataset.name
    else:
        src = datasets.get_path(RASTER_FILE) if path is None else \
            Path(_validate.path(path, "path"))
        if not src.is_file():
            raise DataError(f"{src}: no such file")
        try:
            facts = _file_facts(src)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
                with rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"):  # read by GTiff at open
                    dataset = rasterio.open(src)
        except (RasterioIOError, RasterioError, OSError) as err:
            raise DataError(f"{src}: not a readable raster ({_short(err)})") from None
        problem = _memo(facts, "problem", lambda: grid_problem(dataset.crs, dataset.transform))
        if problem:
            dataset.close()
            raise InputError(f"{src}: {problem}")
    unit = _memo(facts, "unit", lambda: _declared_unit(dataset))
    if kind == "count" and _DENSITY_UNIT.search(unit):
        dataset.close()
        raise InputError(f"{src}: band 1 is in {unit!r}, a density, but kind is 'count' "
                         "(people per cell); pass --kind density (kind='density')")
    return cls(src, dataset, kind, _as_band_value(nodata, dataset.dtypes[0]), facts=facts)


def _as_band_value(nodata: float | None, dtype: str) -> float | None:
    """Return ``nodata`` rounded to a float band's precision (-3.4028235e38 is float32 min)."""
    if nodata is None:
        return None
    kind = np.dtype(dtype)
    with np.errstate(over="ignore"):
        return float(kind.type(nodata)) if kind.kind == "f" else float(nodata)
