"""Population rasters held in an ``xarray.DataArray``, read like raster files.

A DataArray (rioxarray: ``rio.crs``, ``rio.transform()``; numpy- or dask-backed) is wrapped
in :class:`ArrayDataset`, a stand-in for the rasterio dataset a
:class:`~geoinf.raster.PopulationRaster` reads: windows come out as numpy arrays, and for
a dask array only the chunks a window touches are computed (on the active
``dask.distributed`` client when there is one). So every raster computation of geoinf
(exposure tables, coverage, maps) takes a DataArray wherever it takes a raster path
(:func:`geoinf.raster.open_population` opens them as an :class:`ArrayRaster`), by the same rules:
the array's nodata (``rio.nodata``; NaN when it was opened masked) and ``nodata=`` read
as 0, its ``scale_factor``/``add_offset`` attributes apply, its ``units`` attribute is the
band's unit, and values that are not people raise one
:class:`~geoinf.errors.InputError`.

:class:`RasterFootprint` is an array's grid without its values (hashable by value, no
data held): what a cache keyed on the layer (the coverage of a raster's extent) needs.
xarray is never imported here; a DataArray is recognised by :func:`is_data_array`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rasterio.coords import BoundingBox
from rasterio.crs import CRS
from rasterio.enums import MaskFlags
from rasterio.transform import Affine
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from .errors import InputError
from .raster import PopulationRaster
from .raster_crs import grid_problem

__all__ = ["BLOCK_SHAPE", "is_data_array", "array_label", "spatial_array", "ArrayDataset",
           "RasterFootprint", "footprint", "ArrayRaster", "array_dataset"]

BLOCK_SHAPE = (256, 512)
"""Rows and columns of the blocks a numpy-backed array is read by; a dask array's blocks are
its row chunks, and its column chunks cut to at most this many columns."""


def is_data_array(obj) -> bool:
    """Return whether ``obj`` is an ``xarray.DataArray`` (without importing xarray)."""
    xr = sys.modules.get("xarray")
    return xr is not None and isinstance(obj, xr.DataArray)


def array_label(arr) -> str:
    """Return how messages name a DataArray: ``DataArray 'name'`` or ``DataArray``."""
    return f"DataArray {arr.name!r}" if arr.name is not None else "DataArray"


def spatial_array(arr, label: str | None = None):
    """Return the array as (y, x) with its CRS checked: a band dimension of 1 is dropped.

    Raises
    ------
    InputError
        No spatial dimensions, more than one band, no CRS, or a grid that cannot be placed
        (:func:`geoinf.raster_crs.grid_problem`).
    """
    label = label or array_label(arr)
    try:
        y, x = arr.rio.y_dim, arr.rio.x_dim
    except Exception as err:  # noqa: BLE001 - rioxarray's MissingSpatialDimensionError
        raise InputError(f"{label}: no spatial dimensions ({err}); expected (y, x) or "
                         "(band, y, x) with one band".splitlines()[0]) from None
    extra = [d for d in arr.dims if d not in (y, x)]
    if any(arr.sizes[d] != 1 for d in extra):
        raise InputError(f"{label}: dimensions {dict(arr.sizes)}; expected (y, x) or one band")
    arr = arr.squeeze(extra, drop=True).transpose(y, x) if extra else arr.transpose(y, x)
    if arr.rio.crs is None:
        raise InputError(f"{label}: no CRS, so its cells cannot be placed; expected a "
                         "DataArray with a CRS (rioxarray: da.rio.write_crs('EPSG:4326'))")
    problem = grid_problem(arr.rio.crs, arr.rio.transform())
    if problem:
        raise InputError(f"{label}: {problem}")
    return arr


@dataclass(frozen=True)
class RasterFootprint:
    """A raster's grid without its values: label, CRS (WKT), transform and shape.

    Opened (:func:`geoinf.raster.open_population`), it reads as zeros everywhere;
    hashable by value.
    """

    label: str
    crs_wkt: str
    transform: tuple[float, ...]
    shape: tuple[int, int]


def footprint(arr) -> RasterFootprint:
    """Return the :class:`RasterFootprint` of a DataArray (checked by :func:`spatial_array`)."""
    label = array_label(arr)
    arr = spatial_array(arr, label)
    return RasterFootprint(label, arr.rio.crs.to_wkt(), tuple(arr.rio.transform())[:6],
                           tuple(int(n) for n in arr.shape))


class ArrayDataset:
    """The part of a rasterio dataset that geoinf reads, over a 2-D (y, x) DataArray.

    Attributes match :class:`rasterio.io.DatasetReader`'s (band 1 only): ``shape``,
    ``height``, ``width``, ``transform``, ``crs``, ``bounds``, ``res``, ``dtypes``,
    ``nodata``, ``scales``, ``offsets``, ``units``, ``block_shapes``, ``driver``
    ("DataArray"), ``mask_flag_enums``; :meth:`read` returns numpy arrays.
    """

    driver = "DataArray"

    def __init__(self, arr, label: str):
        self.name, self.array, self.data = label, arr, arr.data
        self.shape = tuple(int(n) for n in arr.shape)
        self.height, self.width = self.shape
        self.transform = Affine(*tuple(arr.rio.transform())[:6])
        self.crs = CRS.from_wkt(arr.rio.crs.to_wkt())
        a, _, c, _, e, f = tuple(self.transform)[:6]
        self.bounds = BoundingBox(c, f + e * self.height, c + a * self.width, f)
        self.res = (abs(a), abs(e))
        self.dtypes = (str(arr.dtype),)
        nodata = arr.rio.nodata
        self.nodata = None if nodata is None else float(nodata)
        self.scales = (float(arr.attrs.get("scale_factor", 1.0)),)
        self.offsets = (float(arr.attrs.get("add_offset", 0.0)),)
        self.units = (str(arr.attrs.get("units", "")),)
        self.mask_flag_enums = ([MaskFlags.all_valid] if self.nodata is None
                                else [MaskFlags.nodata],)
        chunks = getattr(self.data, "chunks", None)
        if chunks is not None and hasattr(self.data, "dask"):
            self.block_shapes = [(int(chunks[0][0]), min(int(chunks[1][0]), BLOCK_SHAPE[1]))]
        else:
            self.block_shapes = [(min(self.height, BLOCK_SHAPE[0]),
                                  min(self.width, BLOCK_SHAPE[1]))]

    def tags(self, bidx: int = 0) -> dict[str, str]:
        """Return the array's attributes as strings (as GDAL metadata)."""
        return {str(k): str(v) for k, v in self.array.attrs.items()}

    def window_transform(self, window: Window) -> Affine:
        """Return the affine transform of a window."""
        return window_transform(window, self.transform)

    def read(self, indexes: int = 1, *, window: Window | None = None, out_dtype=None,
             masked: bool = False) -> NDArray:
        """Return the values of ``window`` (default: all) as numpy; dask: only its chunks.

        ``masked`` is never needed (the only mask is the nodata value) and is refused.
        """
        if indexes != 1 or masked:
            raise ValueError("an ArrayDataset has one band and no mask band")
        if window is None:
            part = self.data
        else:
            r0, c0 = int(window.row_off), int(window.col_off)
            part = self.data[r0:r0 + int(window.height), c0:c0 + int(window.width)]
        values = np.asarray(part)  # a dask array computes the chunks of the window only
        return values if out_dtype is None else values.astype(out_dtype, copy=False)

    def close(self) -> None:
        """Do nothing: the array belongs to the caller."""


class ArrayRaster(PopulationRaster):
    """A :class:`~geoinf.raster.PopulationRaster` over a DataArray (:class:`ArrayDataset`).

    ``path`` is the array's label (``DataArray 'name'``), used in messages.
    """


def array_dataset(arr) -> ArrayDataset:
    """Return a DataArray (or a :class:`RasterFootprint`) as an :class:`ArrayDataset`.

    Parameters
    ----------
    arr : xarray.DataArray or RasterFootprint
        (y, x) or (band, y, x) with one band, with a CRS (rioxarray); numpy- or
        dask-backed. A footprint reads as zeros (no memory: a broadcast view).

    Raises
    ------
    InputError
        See :func:`spatial_array`.
    """
    if isinstance(arr, RasterFootprint):
        import rioxarray  # noqa: F401 - registers the .rio accessor
        import xarray

        zeros = np.broadcast_to(np.float32(0.0), arr.shape)
        da = xarray.DataArray(zeros, dims=("y", "x"))
        da = da.rio.write_crs(arr.crs_wkt).rio.write_transform(Affine(*arr.transform))
        return ArrayDataset(da, arr.label)
    label = array_label(arr)
    return ArrayDataset(spatial_array(arr, label), label)
