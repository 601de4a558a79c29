"""Population rasters read by row chunks, from a file or an xarray DataArray, run on dask.

A layer is read as **row chunks** of people per cell: a raster file by window reads (each
task opens the file and reads its own rows, so a task's memory is one chunk), an
``xarray.DataArray`` (rioxarray, with a CRS, possibly dask-chunked) by its own row
chunks. Tasks run in process, or on dask when the layer is a dask array or a
``dask.distributed.Client`` is active (dask's convention: an active client is the default
scheduler); a task lost with its worker is rerun by the scheduler, and sums do not depend
on the order the tasks finish in. On a cluster a raster file is cut into at least
:data:`TASKS_PER_THREAD` chunks per worker thread, so that the workers stay busy to the
end, and a task on a worker runs numba's parallel kernels on the worker's share of
threads (:func:`worker_threads`), not on every core of the host. dask, distributed and
xarray are imported only when used, never by ``import geoinf``.

DataArray values are people per cell (``kind="density"``: per km², lon/lat grids only):
the array's ``scale_factor``/``add_offset`` attributes are applied, its nodata
(``rio.nodata``, or NaN when it was opened masked) and ``nodata=`` read as 0, and any other
value that is not a population raises one :class:`~geoinf.errors.InputError` naming the
rows.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from rasterio.windows import Window

from .errors import InputError
from .raster import MAX_POPULATION, cell_area_km2, open_population
from .raster_arrays import array_label, is_data_array, spatial_array
from .raster_crs import RasterGrid, raster_grid

__all__ = ["CHUNK_CELLS", "TASKS_PER_THREAD", "SCATTER_BYTES", "is_data_array",
           "active_client", "chunk_rows_for", "worker_threads", "RowSource", "row_source",
           "chunk_values", "run_tasks"]

CHUNK_CELLS = 1 << 21
"""Cells per row chunk of a raster file, at most (16 MiB as float64; at least one row)."""
TASKS_PER_THREAD = 4
"""Row chunks of a raster file per thread of an active cluster, at least (load balance)."""
SCATTER_BYTES = 1 << 20
"""Arrays of task arguments this large go to the workers once, scattered, not in the graph."""


def active_client():
    """Return the active ``dask.distributed.Client``, or None (none, or not installed)."""
    if "distributed" not in sys.modules:  # a client implies distributed was imported
        return None
    from distributed import default_client
    try:
        return default_client()
    except ValueError:
        return None


def _cluster_threads() -> int:
    """Return the worker threads of the active client's cluster (0: no client)."""
    client = active_client()
    return 0 if client is None else sum(client.nthreads().values())


def chunk_rows_for(shape: tuple[int, int], chunk_rows: int | None = None) -> int:
    """Return the rows per chunk of a raster file of ``shape`` (rows, cols).

    ``chunk_rows`` when given; else at most :data:`CHUNK_CELLS` cells, and on an active
    cluster few enough rows for :data:`TASKS_PER_THREAD` chunks per worker thread.

    Examples
    --------
    >>> chunk_rows_for((4560, 8400))
    249
    """
    if chunk_rows:
        return int(chunk_rows)
    rows = max(1, CHUNK_CELLS // max(1, shape[1]))
    threads = _cluster_threads()
    if threads:
        rows = min(rows, max(1, math.ceil(shape[0] / (TASKS_PER_THREAD * threads))))
    return rows


@contextmanager
def worker_threads(engine: str) -> Iterator[None]:
    """On a dask worker, run numba's parallel kernels on the worker's share of threads.

    A worker's threads (``threads_per_worker``) are its parallelism; dask's nanny sets
    ``OMP_NUM_THREADS=1`` in each worker process for that reason, but numba's thread pool
    would still take every core of the host, so that two workers on two cores run four
    threads. Here numba's thread count (a per-thread setting, restored on exit) becomes
    ``OMP_NUM_THREADS`` (1 unless the cluster sets it). Elsewhere, or with the pyproj
    engine, nothing changes.
    """
    if engine != "numba" or not _on_worker():
        yield
        return
    import numba

    before = numba.get_num_threads()
    try:
        want = int(os.environ.get("OMP_NUM_THREADS") or 1)
    except ValueError:
        want = 1
    numba.set_num_threads(min(max(1, want), numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _on_worker() -> bool:
    if "distributed" not in sys.modules:
        return False
    from distributed import get_worker
    try:
        get_worker()
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class ValueSpec:
    """How raw values become people per cell (see the module docstring)."""

    label: str
    nodata: tuple[float, ...] = ()
    masked: bool = False
    scale: float = 1.0
    offset: float = 0.0
    area: NDArray | None = None  # km² per row, for a density


@dataclass(frozen=True)
class RasterRows:
    """Read rows of a raster file as people per cell (picklable: a task reads its own rows)."""

    path: str
    kind: str
    nodata: float | None
    width: int

    def __call__(self, r0: int, r1: int) -> NDArray[np.float64]:
        """Return people per cell of rows ``r0:r1`` (float64)."""
        with open_population(self.path, kind=self.kind, nodata=self.nodata) as pop:
            return pop.read(Window(0, r0, self.width, r1 - r0)).astype(np.float64, copy=False)


@dataclass
class RowSource:
    """A population layer cut into row chunks (see :func:`row_source`).

    Attributes
    ----------
    label : str
        Names the layer in results and messages.
    grid : geoinf.raster_crs.RasterGrid
        Where the rows are (``lonlat`` or ``parallels``).
    shape : (rows, cols)
    chunks : list of (r0, r1)
        Half-open row ranges, in order.
    items : list
        Per chunk, what :func:`chunk_values` turns into people: a :class:`RasterRows`
        reader, or the chunk's array (numpy or dask).
    spec : ValueSpec or None
        For array chunks, how values become people.
    lazy : bool
        True when the chunks are dask arrays.
    indicative : bool
        True for the embedded modelled grid.
    """

    label: str
    grid: RasterGrid
    shape: tuple[int, int]
    chunks: list[tuple[int, int]]
    items: list
    spec: ValueSpec | None = None
    lazy: bool = False
    indicative: bool = False
    attrs: dict = field(default_factory=dict)


def row_source(layer=None, *, kind: str = "count", nodata: float | None = None,
               chunk_rows: int | None = None, what: str = "surface") -> RowSource:
    """Return a layer as row chunks: None (the embedded grid), a raster path or a DataArray.

    Raises
    ------
    InputError
        No CRS; a CRS whose rows are not parallels (``what`` names the job); a DataArray
        that is not 2-D, chunked along its columns only, or a density in a projected CRS.
    DataError
        The file is missing or unreadable.
    """
    if is_data_array(layer):
        return _array_source(layer, kind, nodata, chunk_rows, what)
    if layer is not None and not isinstance(layer, str | os.PathLike):
        raise InputError(f"layer={type(layer).__name__}: expected None (the embedded grid), a "
                         "raster path or an xarray.DataArray")
    with open_population(layer, kind=kind, nodata=nodata) as pop:
        grid, shape, path, indicative = pop.grid, pop.dataset.shape, str(pop.path), pop.indicative
    _check_rows(grid, path, what)
    step = chunk_rows_for(shape, chunk_rows)
    chunks = [(r, min(r + step, shape[0])) for r in range(0, shape[0], step)]
    reader = RasterRows(path, kind, nodata, shape[1])
    label = "embedded indicative population grid" if layer is None else path
    return RowSource(label, grid, shape, chunks, [reader] * len(chunks), None, False, indicative)


def _check_rows(grid: RasterGrid, label: str, what: str) -> None:
    if grid.kind == "cells":
        raise InputError(f"{label}: rows in {grid.crs.name} are not parallels of latitude; an "
                         f"exposure {what} needs a lon/lat raster or a cylindrical or "
                         "pseudocylindrical projection (Mollweide, sinusoidal, EPSG:6933...)")


def _array_source(arr, kind, nodata, chunk_rows, what) -> RowSource:
    """Return a DataArray as row chunks (its own chunks when it is dask-backed)."""
    label = array_label(arr)
    arr = spatial_array(arr, label)
    grid = raster_grid(arr.rio.crs, arr.rio.transform(), arr.shape, where=label)
    _check_rows(grid, label, what)
    h, w = arr.shape
    data = arr.data
    lazy = hasattr(data, "dask")
    if lazy:
        row_chunks, col_chunks = data.chunks
        if len(col_chunks) > 1:
            if len(row_chunks) == 1 and h > 1:
                raise InputError(f"{label}: chunked along its columns only (chunks "
                                 f"{tuple(col_chunks)[:4]}...); work is split by rows: chunk "
                                 f"it by rows, e.g. da.chunk({{'{arr.rio.y_dim}': 512, "
                                 f"'{arr.rio.x_dim}': -1}})")
            data = data.rechunk({1: -1})
        edges = np.concatenate([[0], np.cumsum(row_chunks)]).astype(int)
        items = [data.blocks[k, 0] for k in range(len(row_chunks))]
    else:
        step = chunk_rows_for((h, w), chunk_rows)
        edges = np.append(np.arange(0, h, step), h)
        items = [np.asarray(data[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    chunks = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return RowSource(label, grid, (h, w), chunks, items, _spec(arr, label, kind, nodata, grid),
                     lazy)


def _spec(arr, label, kind, nodata, grid) -> ValueSpec:
    values = tuple(float(v) for v in (arr.rio.nodata, nodata) if v is not None)
    masked = arr.rio.encoded_nodata is not None
    area = None
    if kind == "density":
        if not grid.crs.is_geographic:
            raise InputError(f"{label}: kind='density' needs a lon/lat DataArray here; give "
                             "people per cell (kind='count')")
        t = arr.rio.transform()
        edge = t.f + t.e * np.arange(arr.shape[0])
        area = cell_area_km2(edge + t.e, edge, abs(t.a))
    elif kind != "count":
        raise InputError(f"kind={kind!r} is not one of count, density")
    return ValueSpec(label, values, masked, float(arr.attrs.get("scale_factor", 1.0)),
                     float(arr.attrs.get("add_offset", 0.0)), area)


def chunk_values(item, r0: int, r1: int, spec: ValueSpec | None, grid_cols=None
                 ) -> NDArray[np.float64]:
    """Return people per cell of one chunk: read by its reader, or converted from its array.

    ``grid_cols`` = (col_lo, col_hi) per row of the chunk: cells outside are off the globe
    and read as 0.
    """
    values = item(r0, r1) if spec is None else _people(np.asarray(item), r0, spec)
    if grid_cols is not None:
        cols = np.arange(values.shape[1])
        off = (cols[None, :] < grid_cols[0][:, None]) | (cols[None, :] >= grid_cols[1][:, None])
        if off.any():
            values = np.where(off, 0.0, values)
    return values


def _people(raw: NDArray, r0: int, spec: ValueSpec) -> NDArray[np.float64]:
    values = raw.astype(np.float64)
    missing = np.zeros(values.shape, bool)
    for v in spec.nodata:
        missing |= np.isnan(values) if np.isnan(v) else values == v
    if spec.masked:
        missing |= np.isnan(values)
    values = values * spec.scale + spec.offset
    values[missing] = 0.0
    if spec.area is not None:
        values *= spec.area[r0:r0 + values.shape[0], None]
    with np.errstate(invalid="ignore"):
        bad = ~((values >= 0) & (values <= MAX_POPULATION))
    if bad.any():
        v = raw[bad][0]
        raise InputError(f"{spec.label}: rows {r0}-{r0 + values.shape[0] - 1}: {int(bad.sum()):,} "
                         f"cells hold values that are not people per cell (e.g. {v!r}; expected "
                         f"[0, {MAX_POPULATION:g}]); if it marks missing data, declare it: "
                         f"da.rio.write_nodata({v!r}) or nodata={v!r}")
    return values


def run_tasks(fn: Callable, args: Sequence[tuple], *, lazy: bool,
              progress: Callable | None = None) -> Iterator[tuple[int, object]]:
    """Yield ``(k, fn(*args[k]))`` for every task, in process or on dask, in any order.

    On dask when ``lazy`` (the layer is a dask array) or a distributed client is active
    (:func:`active_client`); results are collected as they complete. On a client, numpy
    arguments of :data:`SCATTER_BYTES` or more (the chunks of a numpy-backed DataArray)
    are scattered to the workers, each sent once, instead of riding in the task graph.
    """
    client = active_client()
    if not (lazy or client):
        for k, a in enumerate(args):
            yield k, fn(*a)
            if progress is not None:
                progress(k + 1, len(args))
        return
    import dask

    if client is None:
        tasks = [dask.delayed(fn, pure=True)(*a) for a in args]
        for k, result in enumerate(dask.compute(*tasks)):
            yield k, result
        if progress is not None:
            progress(len(args), len(args))
        return
    from distributed import as_completed

    tasks = [dask.delayed(fn, pure=True)(*_scattered(client, a)) for a in args]
    futures = client.compute(tasks)
    index = {f.key: k for k, f in enumerate(futures)}
    for done, future in enumerate(as_completed(futures), start=1):
        yield index[future.key], future.result()
        if progress is not None:
            progress(done, len(args))


def _scattered(client, args: tuple) -> tuple:
    """Return ``args`` with its large numpy arrays replaced by futures of scattered copies."""
    return tuple(client.scatter(a, hash=False)
                 if isinstance(a, np.ndarray) and a.nbytes >= SCATTER_BYTES else a
                 for a in args)
