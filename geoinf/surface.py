"""Exposure surfaces: the people within range of every candidate launch position on a grid.

For a grid of candidate sites (cell-centred on a lon/lat grid of ``resolution_deg``), the
surface holds, per candidate, the people of a population raster within ``radius_km`` (or
per band), by the **cell-centre rule** of the exposure tables: a raster cell counts when
its centre is within range by exact ellipsoidal distance (WGS84).

The rows of the raster are summed by :func:`geoinf.surface_rows.chunk_surface`: per
(candidate row, raster row) one solve of the disc's half-width on the parallel (it does not
depend on the candidate's longitude), then two look-ups per candidate in the row's prefix
sums; the doubtful columns within 5 mm of the radius are decided by an exact inverse.
Rows of a pseudocylindrical projection (Mollweide...) carry their own longitude mapping
(:mod:`geoinf.raster_crs`); rasters in any other projected CRS are refused.

The work is split into tasks of (candidate rows, raster row chunk), each reading only its
chunk; :mod:`geoinf.dask_layers` runs them in process or on dask
(:func:`exposure_surface`). Needs xarray and rioxarray (``pip install "geoinf[dask]"``)
for the result; they are imported on first use, never by ``import geoinf``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import _validate, dask_layers
from .engine import resolve_engine
from .errors import InputError
from .rings import validate_edges
from .row_intervals import meridian_km
from .surface_rows import MARGIN_KM, chunk_surface

__all__ = ["MAX_CANDIDATES", "MARGIN_KM", "CandidateGrid", "candidate_grid", "surface_discs",
           "chunk_surface", "surface_task", "exposure_surface"]

MAX_CANDIDATES = 1_000_000
"""Candidates one call computes unless ``max_candidates`` (CLI ``--force``) says otherwise."""
_TASK_OUTPUT = 1 << 22  # candidates x discs per task output, at most (32 MiB)


@dataclass(frozen=True)
class CandidateGrid:
    """Cell-centred candidate sites: ``lon`` west to east, ``lat`` north to south (degrees)."""

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    resolution_deg: float
    bounds: tuple[float, float, float, float]

    @property
    def size(self) -> int:
        """Return the number of candidates."""
        return self.lon.size * self.lat.size


def candidate_grid(bounds: Sequence[float], resolution_deg: float, *,
                   max_candidates: int | None = MAX_CANDIDATES) -> CandidateGrid:
    """Return the candidate sites: the centres of the cells of ``resolution_deg`` in ``bounds``.

    Parameters
    ----------
    bounds : (west, south, east, north)
        Degrees; ``west < east`` (up to 360° wide, -360 to 360: a grid may cross ±180°),
        ``-90 <= south < north <= 90``; each side a whole number of cells.
    resolution_deg : float
        Cell size in degrees, in (0, 10].
    max_candidates : int or None, default :data:`MAX_CANDIDATES`
        More candidates raise InputError (None: no limit).

    Examples
    --------
    >>> g = candidate_grid((-25, 30, 70, 75), 0.25)
    >>> g.lon.size, g.lat.size, float(g.lon[0]), float(g.lat[0])
    (380, 180, -24.875, 74.875)
    """
    res = _validate.number(resolution_deg, "resolution_deg", lo=0, hi=10, lo_open=True)
    try:
        box = [float(b) for b in bounds]
    except (TypeError, ValueError):
        box = []
    if len(box) != 4 or not np.isfinite(box).all():
        raise InputError(f"bounds={bounds!r}: expected four numbers west, south, east, north")
    west, south, east, north = box
    if not (-360 <= west < east <= 360 and east - west <= 360):
        raise InputError(f"bounds={box}: expected west < east, at most 360° apart, in [-360, 360]")
    if not -90 <= south < north <= 90:
        raise InputError(f"bounds={box}: expected -90 <= south < north <= 90")
    n_lon, n_lat = ((east - west) / res, (north - south) / res)
    for n, what in ((n_lon, "east - west"), (n_lat, "north - south")):
        if abs(n - round(n)) > 1e-6 * max(1.0, n):
            raise InputError(f"bounds={box}: {what} is not a whole number of "
                             f"resolution_deg={res:g} cells ({n:.4g})")
    n_lon, n_lat = round(n_lon), round(n_lat)
    if max_candidates is not None and n_lon * n_lat > max_candidates:
        raise InputError(f"bounds={box} at resolution_deg={res:g} give {n_lon * n_lat:,} "
                         f"candidates, more than {max_candidates:,}; coarsen the resolution, "
                         "narrow the bounds, or force it (CLI --force, API max_candidates=None)")
    return CandidateGrid(west + res * (np.arange(n_lon) + 0.5),
                         north - res * (np.arange(n_lat) + 0.5), res, (west, south, east, north))


def surface_discs(radius_km: float, edges_km: Sequence[float] | None = None
                  ) -> tuple[NDArray[np.float64], list[tuple[str, int, int]]]:
    """Return the disc radii to sum and the bands as (label, inner disc, outer disc).

    Without ``edges_km``: one disc of ``radius_km``. With it: the bands of the edges,
    capped at ``radius_km`` (bands beyond it are left out); disc index -1 is no disc
    (a band from 0 km).

    Examples
    --------
    >>> surface_discs(1000, (0, 500, 1000, 5500))
    (array([ 500., 1000.]), [('under 500 km', -1, 0), ('shorter-range', 0, 1)])
    """
    from .treaty import band_label

    radius = _validate.number(radius_km, "radius_km", lo=0, lo_open=True)
    if edges_km is None:
        edges = np.array([0.0, radius])
    else:
        edges = validate_edges(edges_km)
    inner, outer = np.minimum(edges[:-1], radius), np.minimum(edges[1:], radius)
    keep = outer > inner
    if not keep.any():
        raise InputError(f"edges_km={edges.tolist()}: no band is within radius_km={radius:g}")
    radii = np.unique(np.concatenate([inner[keep], outer[keep]]))
    radii = radii[radii > 0]
    bands = [(band_label(a, b), int(np.searchsorted(radii, ci)) if ci > 0 else -1,
              int(np.searchsorted(radii, co)))
             for a, b, ci, co in zip(edges[:-1], edges[1:], inner, outer, strict=True) if co > ci]
    if edges_km is None:
        bands = [(f"0-{radius:g} km", -1, 0)]
    return radii, bands


# --- the public call ----------------------------------------------------------------------

def surface_task(item, r0: int, r1: int, spec, row_lat: NDArray, row_west: NDArray,
                 row_dlon: NDArray, cols, cand_lon: NDArray, cand_lat: NDArray,
                 radii: NDArray, engine: str) -> NDArray[np.float64]:
    """Return :func:`chunk_surface` of one row chunk, reading it first (one dask task).

    On a dask worker numba runs on the worker's share of threads
    (:func:`geoinf.dask_layers.worker_threads`).
    """
    with dask_layers.worker_threads(engine):
        values = dask_layers.chunk_values(item, r0, r1, spec, cols)
        return chunk_surface(values, row_lat, row_west, row_dlon, cand_lon, cand_lat, radii,
                             row_first=None if cols is None else cols[0], engine=engine)


def _tasks(source, cand: CandidateGrid, radii: NDArray, engine: str) -> list[tuple]:
    """Return the arguments of the tasks: (candidate rows in range, raster row chunk)."""
    grid = source.grid
    m0 = meridian_km(cand.lat)
    block = max(1, _TASK_OUTPUT // (radii.size * cand.lon.size))
    tasks = []
    for (r0, r1), item in zip(source.chunks, source.items, strict=True):
        m = grid.row_meridian_km[r0:r1]
        if not np.isfinite(m).any():
            continue
        lo, hi = np.nanmin(m) - radii.max() - MARGIN_KM, np.nanmax(m) + radii.max() + MARGIN_KM
        rows = np.flatnonzero((m0 >= lo) & (m0 <= hi))
        cols = None if grid.kind == "lonlat" else (grid.col_lo[r0:r1], grid.col_hi[r0:r1])
        for a in range(0, rows.size, block):
            sel = rows[a:a + block]
            tasks.append((sel, (item, r0, r1, source.spec, grid.row_lat[r0:r1],
                                grid.row_west[r0:r1], grid.row_dlon[r0:r1], cols, cand.lon,
                                cand.lat[sel], radii, engine)))
    return tasks


def exposure_surface(layer=None, radius_km: float = 1000.0, *, resolution_deg: float,
                     bounds: Sequence[float], edges_km: Sequence[float] | None = None,
                     kind: str = "count", nodata: float | None = None,
                     max_candidates: int | None = MAX_CANDIDATES, chunk_rows: int | None = None,
                     progress=None, engine: str = "auto"):
    """Return the people within range of every candidate site of a lon/lat grid.

    Parameters
    ----------
    layer : None, path or xarray.DataArray
        The population raster: None for the embedded indicative grid, a raster file in a
        lon/lat CRS or a cylindrical / pseudocylindrical projection (other projected CRSs
        are refused), or a DataArray with a CRS (rioxarray; possibly dask-chunked by rows).
    radius_km : float, default 1000
        Range in km.
    resolution_deg : float
        Candidate spacing in degrees; candidates are the cell centres of the grid.
    bounds : (west, south, east, north)
        Candidate grid bounds in degrees, a whole number of cells each way.
    edges_km : sequence of float, optional
        Band edges: the result then has a ``band`` dimension (bands capped at
        ``radius_km``); a first edge of 0 makes a whole disc.
    kind : {"count", "density"}, default "count"
        People per cell, or per km².
    nodata : float, optional
        A raster value that marks missing data (0 people).
    max_candidates : int or None, default :data:`MAX_CANDIDATES`
        More candidates raise InputError; None: no limit.
    chunk_rows : int, optional
        Raster rows per task (default: at most :data:`geoinf.dask_layers.CHUNK_CELLS`
        cells, and on an active cluster at least
        :data:`geoinf.dask_layers.TASKS_PER_THREAD` chunks per worker thread; a
        dask-backed DataArray keeps its own chunks).
    progress : callable, optional
        Called with (done, total) tasks.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Geodesic engine; both give the same surface.

    Returns
    -------
    xarray.DataArray
        ``(lat, lon)`` or ``(band, lat, lon)``, people (float64), lat north to south, CRS
        EPSG:4326 (rioxarray); ``attrs`` name the radius, resolution, layer and rule.
        On dask (a dask-backed layer, or an active ``dask.distributed.Client``) the
        tasks run there; the numbers are the same.

    Examples
    --------
    >>> s = exposure_surface(radius_km=300, resolution_deg=1, bounds=(20, 50, 22, 51))
    >>> s.dims, s.shape, s.rio.crs.to_epsg()
    (('lat', 'lon'), (1, 2), 4326)
    """
    xr = _require_xarray()
    cand = candidate_grid(bounds, resolution_deg, max_candidates=max_candidates)
    radii, bands = surface_discs(radius_km, edges_km)
    progress = _validate.optional_callable(progress, "progress")
    source = dask_layers.row_source(layer, kind=_validate.choice(kind, "kind",
                                                                  ("count", "density")),
                                    nodata=nodata, chunk_rows=chunk_rows)
    engine = resolve_engine(engine, work=cand.size * 1000)
    tasks = _tasks(source, cand, radii, engine)
    discs = np.zeros((radii.size, cand.lat.size, cand.lon.size))
    for k, part in dask_layers.run_tasks(surface_task, [t[1] for t in tasks],
                                         lazy=source.lazy, progress=progress):
        discs[:, tasks[k][0]] += part
    values = np.stack([discs[o] - (discs[i] if i >= 0 else 0.0) for _, i, o in bands])
    return _as_array(xr, values, bands, cand, source, radius_km, edges_km)


def _require_xarray():
    try:
        import rioxarray  # noqa: F401 - registers the .rio accessor
        import xarray
    except ImportError:
        raise InputError("exposure surfaces need xarray and rioxarray: "
                         "pip install 'geoinf[dask]'") from None
    return xarray


def _as_array(xr, values, bands, cand, source, radius_km, edges_km):
    coords = {"lat": cand.lat, "lon": cand.lon}
    if edges_km is None:
        out = xr.DataArray(values[0], dims=("lat", "lon"), coords=coords, name="population")
    else:
        out = xr.DataArray(values, dims=("band", "lat", "lon"),
                           coords={"band": [b[0] for b in bands], **coords}, name="population")
    out.attrs.update({
        "units": "people", "radius_km": float(radius_km),
        "resolution_deg": float(cand.resolution_deg),
        "bounds": ",".join(f"{b:g}" for b in cand.bounds),
        "layer": source.label, "indicative": int(source.indicative),
        "rule": "people of the raster cells whose centre is within range of the candidate "
                "(the cell centre of the grid) by exact ellipsoidal distance (WGS84)",
    })
    if edges_km is not None:
        out.attrs["edges_km"] = ",".join(f"{e:g}" for e in edges_km)
    return out.rio.set_spatial_dims(x_dim="lon", y_dim="lat").rio.write_crs("EPSG:4326")
