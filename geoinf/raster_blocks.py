"""Raster sums that read only the tiles they need, in bounded memory.

Two ways of summing a raster over groups of annuli, both by the cell-centre rule:

- :func:`run_sums`, for grids whose rows are parallels (:mod:`geoinf.raster_crs` kinds
  ``lonlat`` and ``parallels``): the column runs of :mod:`geoinf.row_intervals` are
  summed window by window, where the windows are the raster's own tiles (blocks) that
  the runs touch, merged along a band of rows. Tiles the file never wrote (sparse
  GeoTIFF) are not read: they hold no people. Runs are summed in the window with one
  ``np.add.reduceat`` (no prefix table), or with the window's own row prefix sums when
  many groups overlap.
- :func:`cell_sums`, for any other projected CRS: the raster is cut into windows of
  whole tiles; each window's cell-centre rectangle is bounded on the sphere (its centre
  and the largest distance to its densified edge, plus the largest gap between edge
  samples); with the bounds :data:`~geoinf.population_sums.SPHERE_EPS` of the spherical
  distance, a window is settled in bulk when it lies surely inside or surely outside a
  group's annuli, and otherwise each cell holding people is transformed to lon/lat with
  pyproj and decided by exact distance (``hits``, the point rule of the places layers).
  A cell off the projection's domain (:data:`DOMAIN_TOL`) counts nowhere; a window
  with such cells is decided cell by cell.

Memory is bounded by :data:`MAX_WINDOW_CELLS` whatever the raster's size.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from rasterio.windows import Window

from . import raster_crs
from .engine import compiled_tile_keys, compiled_window_sums, use_compiled
from .raster import _memo

__all__ = ["MAX_WINDOW_CELLS", "tile_windows", "run_sums", "cell_sums", "country_ids"]

MAX_WINDOW_CELLS = 1 << 22
"""Cells read at once, at most (32 MiB per float64 array of a window)."""
DOMAIN_TOL = 1e-3
"""A cell centre whose inverse-then-forward transform moves it by more than this share
of a cell is off the projection's domain: it is no place, and counts in no disc."""
_BAND_ROWS = 256  # rows of a band of windows, at least (a multiple of the tile height)
_EDGE_SAMPLES = 33  # samples per window edge for the bound of its extent on the sphere


def _bands(dataset) -> tuple[int, int, int]:
    bh, bw = dataset.block_shapes[0]
    return bh * max(1, _BAND_ROWS // bh), bh, bw


def _sparse(dataset, band_rows: int, bh: int, memo: dict | None = None):
    """Return ``empty(band, column block)``: True when the file never wrote those tiles.

    A GeoTIFF lists each tile's byte count (``BLOCK_SIZE_x_y`` in GDAL's TIFF metadata);
    an unwritten tile has none (GDAL reads it as nodata, or 0): it holds no people.
    Answers are kept in ``memo`` (keyed by band height, band and column block) if given.
    """
    if dataset.driver != "GTiff":
        return lambda band, cb: False

    def written(rb: int, cb: int) -> bool:
        return dataset.get_tag_item(f"BLOCK_SIZE_{cb}_{rb}", "TIFF", bidx=1) not in (None, "0")

    def empty(band: int, cb: int) -> bool:
        first = band * band_rows // bh
        last = min((band + 1) * band_rows, dataset.height)
        return not any(written(rb, cb) for rb in range(first, (last + bh - 1) // bh))
    if memo is None:
        return empty

    def remembered(band: int, cb: int) -> bool:
        return _memo(memo, (band_rows, band, cb), lambda: empty(band, cb))
    return remembered


def tile_windows(dataset, row: NDArray, start: NDArray, stop: NDArray, *,
                 written: dict | None = None, engine: str = "auto") -> list[Window]:
    """Return windows of whole tiles covering the column runs, row band by row band.

    Parameters
    ----------
    dataset : rasterio.io.DatasetReader
    row, start, stop : ndarray of int
        Half-open column runs ``start:stop`` of raster rows.
    written : dict, optional
        A memo of which tiles the file wrote, kept across calls for one version of the
        file (:attr:`geoinf.raster.PopulationRaster.written_tiles`).
    engine : str, default "auto"
        With numba the tiles are listed in a compiled loop
        (:func:`geoinf.engine.compiled_tile_keys`), else in numpy: the same tiles.

    Returns
    -------
    list of Window
        Sorted by row; tiles the file never wrote (sparse GeoTIFF) are left out; a
        window holds at most :data:`MAX_WINDOW_CELLS` cells (or one band of one tile).
    """
    band_rows, bh, bw = _bands(dataset)
    h, w = dataset.shape
    ncb = -(-w // bw)
    if use_compiled(engine):
        key = compiled_tile_keys(row, start, stop, band_rows, bw, ncb)
    else:
        keep = stop > start
        row, start, stop = row[keep], start[keep], stop[keep]
        first, n = start // bw, (stop - 1) // bw - start // bw + 1
        offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        key = np.unique(np.repeat(row // band_rows, n) * ncb + np.repeat(first, n) + offset)
    if key.size == 0:
        return []
    empty = _sparse(dataset, band_rows, bh, written)
    tiles = [(b, c) for b, c in (divmod(k, ncb) for k in key.tolist()) if not empty(b, c)]
    max_blocks = max(1, MAX_WINDOW_CELLS // (band_rows * bw))
    windows = []
    i = 0
    while i < len(tiles):  # runs of consecutive column blocks of one band
        b, c = tiles[i]
        j = i + 1
        while j < len(tiles) and tiles[j] == (b, c + j - i) and j - i < max_blocks:
            j += 1
        r0 = b * band_rows
        c1 = min(w, (c + j - i) * bw)
        windows.append(Window(c * bw, r0, c1 - c * bw, min(band_rows, h - r0)))
        i = j
    return windows


def run_sums(pop, group: NDArray, row: NDArray, start: NDArray, stop: NDArray,
             n_groups: int, *, countries: Callable | None = None,
             progress: Callable | None = None, engine: str = "auto") -> NDArray[np.float64]:
    """Return the people of each group's column runs, reading only the tiles they touch.

    Parameters
    ----------
    pop : geoinf.raster.PopulationRaster
    group, row, start, stop : ndarray of int
        Non-overlapping runs per group (:func:`geoinf.row_intervals.union_runs`).
    n_groups : int
    countries : callable, optional
        ``countries(window)`` -> country ids (uint16, 0 for none) of the window's cells;
        with it, the result is split by id.
    progress : callable, optional
        Called with (done, total) windows.
    engine : str, default "auto"
        With numba (:func:`geoinf.engine.use_compiled`), the runs of a window are summed
        in compiled loops (:func:`geoinf.engine.compiled_window_sums`), else in numpy
        (:func:`_window_sums`); the same sums, to rounding.

    Returns
    -------
    ndarray
        People per group, shape (n_groups,), or (n_groups, ids) with ``countries``.
    """
    group, row, start, stop = (np.asarray(x, dtype=np.int64) for x in (group, row, start,
                                                                           stop))
    if row.size > 1 and (row[1:] < row[:-1]).any():
        order = np.argsort(row, kind="stable")
        group, row, start, stop = group[order], row[order], start[order], stop[order]
    windows = tile_windows(pop.dataset, row, start, stop, written=pop.written_tiles,
                           engine=engine)
    compiled = countries is None and use_compiled(engine)
    out = None
    for i, win in enumerate(windows):
        r0, c0 = int(win.row_off), int(win.col_off)
        values = pop.read(win, stored=True)
        part = compiled_window_sums(values, group, row, start, stop, r0, c0, n_groups) \
            if compiled else None
        if part is None:
            r1, c1 = r0 + int(win.height), c0 + int(win.width)
            lo, hi = np.searchsorted(row, [r0, r1])
            a, z = np.maximum(start[lo:hi], c0), np.minimum(stop[lo:hi], c1)
            keep = z > a
            g, r, a, z = group[lo:hi][keep], row[lo:hi][keep] - r0, a[keep] - c0, z[keep] - c0
            if countries is None:
                part = _window_sums(values, g, r, a, z, n_groups)
            else:
                part = _by_country(values, countries(win), g, r, a, z, n_groups)
        out = part if out is None else _add(out, part)
        if progress is not None:
            progress(i + 1, len(windows))
    if out is None:
        return np.zeros(n_groups) if countries is None else np.zeros((n_groups, 1))
    return out


def _window_sums(values, g, r, a, z, n_groups):
    """People per group of the runs in one window, in float64.

    When the runs cover fewer cells than twice the window: one ``np.add.reduceat`` over
    the window's cells with the runs' flat (start, stop) pairs interleaved, sorted by
    start (the even outputs are the runs' sums, the odd ones the gaps between them, at
    most the window once; a run ending at the window's last cell is summed on its own).
    Otherwise (many overlapping groups) row prefix sums of the window, O(1) per run.
    """
    length = z - a
    if length.sum() > 2 * values.size:
        cs = np.cumsum(values, axis=1, dtype=np.float64)
        head = np.where(a > 0, cs[r, np.maximum(a - 1, 0)], 0.0)
        return np.bincount(g, weights=cs[r, z - 1] - head, minlength=n_groups)
    flat = values.ravel()
    begin, end = r * values.shape[1] + a, r * values.shape[1] + z
    last = end == flat.size
    sums = np.zeros(begin.size)
    order = np.flatnonzero(~last)
    if order.size:
        order = order[np.argsort(begin[order], kind="stable")]
        idx = np.empty(2 * order.size, dtype=np.intp)
        idx[0::2], idx[1::2] = begin[order], end[order]
        sums[order] = np.add.reduceat(flat, idx, dtype=np.float64)[0::2]
    for k in np.flatnonzero(last):
        sums[k] = flat[begin[k]:].sum(dtype=np.float64)
    return np.bincount(g, weights=sums, minlength=n_groups)


def _add(a: NDArray, b: NDArray) -> NDArray:
    """Add two per-group arrays, (n,) or (n, k) with possibly different k."""
    if a.ndim == 1:
        return a + b
    k = max(a.shape[1], b.shape[1])
    out = np.zeros((a.shape[0], k))
    out[:, :a.shape[1]] += a
    out[:, :b.shape[1]] += b
    return out


def _by_country(values, ids, g, r, a, z, n_groups):
    """People per (group, country id) of runs in one window: O(cells inside)."""
    length = z - a
    cell = np.repeat(r * values.shape[1] + a - np.cumsum(np.concatenate([[0], length[:-1]])),
                     length) + np.arange(length.sum())
    k = int(ids.max()) + 1 if ids.size else 1
    grp = np.repeat(g, length)
    out = np.bincount(grp * k + ids.ravel()[cell], weights=values.ravel()[cell],
                      minlength=n_groups * k)
    return out.reshape(n_groups, k)


# --- any projected CRS: windows bounded on the sphere, cells decided where in doubt ------

def _all_windows(dataset) -> list[Window]:
    """Windows of one tile (at least 256 x 256 cells) over the whole raster."""
    bh, bw = dataset.block_shapes[0]
    rows, cols = bh * max(1, 256 // bh), bw * max(1, 256 // bw)
    if rows * cols > MAX_WINDOW_CELLS:  # strips: cut them
        cols = max(256, MAX_WINDOW_CELLS // rows)
    h, w = dataset.shape
    return [Window(c, r, min(cols, w - c), min(rows, h - r))
            for r in range(0, h, rows) for c in range(0, w, cols)]


def _on_domain(lon, lat, x, y, transform, fwd) -> NDArray[np.bool_]:
    """Return which points are on the projection's domain: finite, and back where they were.

    Outside its domain a projection's inverse may still return a (wrapped) place; the
    forward transform then lands elsewhere (off by more than :data:`DOMAIN_TOL` of a cell).
    """
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90)
        xb, yb = fwd.transform(np.where(ok, lon, 0.0), np.where(ok, lat, 0.0))
        ok &= (np.abs(np.asarray(xb) - x) <= DOMAIN_TOL * abs(transform.a)) \
            & (np.abs(np.asarray(yb) - y) <= DOMAIN_TOL * abs(transform.e))
    return ok


def _window_bounds(windows, transform, to_lonlat, fwd):
    """Return each window's centre (lon, lat) and a radius (km, sphere) holding its cells.

    The radius is the largest spherical distance from the centre to samples of the
    rectangle through the outer cell centres, plus the largest gap between samples
    (NaN when a sample is off the projection's domain: the window is decided cell by
    cell).
    """
    from .population_sums import MEAN_RADIUS_KM, unit_vectors
    n = _EDGE_SAMPLES
    u = np.linspace(0.0, 1.0, n)
    ring_u = np.concatenate([u, np.ones(n), u[::-1], np.zeros(n)])
    ring_v = np.concatenate([np.zeros(n), u, np.ones(n), u[::-1]])
    col0 = np.array([w.col_off + 0.5 for w in windows])
    row0 = np.array([w.row_off + 0.5 for w in windows])
    dcol = np.array([w.width - 1.0 for w in windows])
    drow = np.array([w.height - 1.0 for w in windows])
    cols = np.concatenate([col0[:, None] + dcol[:, None] * ring_u,
                           (col0 + dcol / 2)[:, None]], axis=1)
    rows = np.concatenate([row0[:, None] + drow[:, None] * ring_v,
                           (row0 + drow / 2)[:, None]], axis=1)
    x, y = transform.c + transform.a * cols, transform.f + transform.e * rows
    lon, lat = (np.asarray(v) for v in to_lonlat.transform(x.ravel(), y.ravel()))
    ok = _on_domain(lon, lat, x.ravel(), y.ravel(), transform, fwd).reshape(x.shape).all(axis=1)
    lon, lat = lon.reshape(x.shape), lat.reshape(x.shape)
    lon, lat = np.where(np.isfinite(lon), lon, 0.0), np.where(np.isfinite(lat), lat, 0.0)
    v = unit_vectors(lon.ravel(), lat.ravel()).reshape(*lon.shape, 3)
    d = np.arccos(np.clip((v[:, :-1] * v[:, -1:]).sum(axis=2), -1.0, 1.0))
    gap = np.arccos(np.clip((v[:, :-2] * v[:, 1:-1]).sum(axis=2), -1.0, 1.0))
    radii = MEAN_RADIUS_KM * (d.max(axis=1) + gap.max(axis=1))
    return np.stack([lon[:, -1], lat[:, -1]], axis=1), np.where(ok, radii, np.nan)


def _annulus_states(annuli, centres, radii):
    """Per window and annulus: 1 surely inside, 0 surely outside, -1 in doubt."""
    from .population_sums import SPHERE_EPS, SPHERE_SLACK_KM, spherical_km, unit_vectors
    d, _, _ = spherical_km(unit_vectors(centres[:, 0], centres[:, 1]),
                           unit_vectors(annuli["lon"].to_numpy(float),
                                        annuli["lat"].to_numpy(float)))
    near = np.maximum(d - radii[:, None], 0.0) * (1 - SPHERE_EPS) - SPHERE_SLACK_KM
    far = (d + radii[:, None]) * (1 + SPHERE_EPS) + SPHERE_SLACK_KM
    inner, outer = annuli["inner_km"].to_numpy(float), annuli["outer_km"].to_numpy(float)
    known = np.isfinite(radii)[:, None]
    state = np.full(d.shape, -1, dtype=np.int8)
    state[known & (((inner > 0) & (far <= inner)) | (near > outer))] = 0
    state[known & ((inner == 0) | (near > inner)) & (far <= outer)] = 1
    return state


def _group_hits(annuli, members, state, lon, lat, hits):
    """Return (groups, cells) membership of one window's cells from its annulus states."""
    doubt = np.flatnonzero(state == -1)
    n = lon.size
    computed = np.zeros((annuli.shape[0], n), dtype=bool)
    if doubt.size and n:
        computed[doubt] = hits(annuli.iloc[doubt], [np.array([i]) for i in range(doubt.size)],
                               lon, lat)
    computed[state == 1] = True
    return np.stack([computed[m].any(axis=0) for m in members]) if members else \
        np.zeros((0, n), bool)


def cell_sums(pop, annuli, members, *, hits: Callable, countries: Callable | None = None,
              progress: Callable | None = None) -> NDArray[np.float64]:
    """Return the people of each group's union of annuli on a raster in any projected CRS.

    See the module docstring for the method: windows of one tile, settled per annulus
    where they lie surely inside or outside it, cells decided by exact distance for the
    annuli left in doubt. ``hits(annuli, members, lon, lat)`` returns which points lie in
    which group (:func:`geoinf.population_sums.point_hits`); ``countries`` and
    ``progress`` as for :func:`run_sums`.
    """
    to_lonlat, fwd = raster_crs.to_lonlat(pop.grid.crs), raster_crs.from_lonlat(pop.grid.crs)
    windows = _all_windows(pop.dataset)
    t = pop.dataset.transform
    centres, radii = _window_bounds(windows, t, to_lonlat, fwd)
    state = _annulus_states(annuli, centres, radii)
    used = np.unique(np.concatenate(members)) if members else np.zeros(0, np.intp)
    todo = np.flatnonzero((state[:, used] != 0).any(axis=1))
    n_groups = len(members)
    out = None
    for i, w in enumerate(todo):
        win = windows[w]
        values = pop.read(win, stored=True)
        cell = np.flatnonzero(values.ravel() > 0)
        r, c = np.divmod(cell, values.shape[1])
        lon = lat = np.zeros(0)
        if (state[w] == -1).any():
            x = t.c + t.a * (c + win.col_off + 0.5)
            y = t.f + t.e * (r + win.row_off + 0.5)
            lon, lat = (np.asarray(v) for v in to_lonlat.transform(x, y))
            # a window whose edge is on the domain is on it inside too: no round trip
            ok = _on_domain(lon, lat, x, y, t, fwd) if np.isnan(radii[w]) else \
                np.isfinite(lon) & np.isfinite(lat)
            cell, lon, lat = cell[ok], lon[ok], lat[ok]
        else:
            lon = lat = np.zeros(cell.size)  # every annulus settled: no place is needed
        hit = _group_hits(annuli, members, state[w], lon, lat, hits)
        people = values.ravel()[cell].astype(np.float64)
        if countries is None:
            part = hit.astype(float) @ people
        else:
            ids = countries(win).ravel()[cell]
            k = int(ids.max()) + 1 if ids.size else 1
            g, p = np.nonzero(hit)
            part = np.bincount(g * k + ids[p], weights=people[p],
                               minlength=n_groups * k).reshape(n_groups, k)
        out = part if out is None else _add(out, part)
        if progress is not None:
            progress(i + 1, todo.size)
    if out is None:
        return np.zeros(n_groups) if countries is None else np.zeros((n_groups, 1))
    return out


# --- countries of cells ------------------------------------------------------------------

def country_ids(pop, countries) -> Callable[[Window], NDArray]:
    """Return ``ids(window)``: the 1-based row of ``countries`` holding each cell's centre.

    ``countries`` is a GeoDataFrame in lon/lat. On a lon/lat raster the polygons are
    burnt as they are and shifted by ±360° (0–360° grids); in a projected CRS the
    polygons clipped to the window's lon/lat box are projected to the raster's CRS
    first. A cell is in a country when its centre is (rasterio's default rule); 0 is no
    country.
    """
    import shapely
    from rasterio import features
    from rasterio.warp import transform_bounds

    geoms = countries.geometry.values
    number = np.arange(1, len(countries) + 1)
    lonlat = pop.grid.kind == "lonlat"
    if lonlat:
        shifted = [shapely.transform(geoms, lambda xy, k=k: xy + [k, 0.0]) for k in (-360, 360)]
        shapes = list(zip(np.concatenate([geoms, *shifted]), np.tile(number, 3), strict=True))
    fwd = None if lonlat else raster_crs.from_lonlat(pop.grid.crs)

    def ids(win: Window) -> NDArray:
        shape = (int(win.height), int(win.width))
        transform = pop.dataset.window_transform(win)
        if lonlat:
            parts = shapes
        else:
            parts = _projected(geoms, number, fwd, transform_bounds, pop, win)
        if not parts:
            return np.zeros(shape, dtype=np.uint16)
        return features.rasterize(parts, out_shape=shape, transform=transform, fill=0,
                                  dtype="uint16")
    return ids


def _projected(geoms, number, fwd, transform_bounds, pop, win):
    """Return the countries inside a window's lon/lat box, projected to the raster's CRS."""
    import shapely
    from rasterio.windows import bounds as window_bounds
    try:
        west, south, east, north = transform_bounds(pop.dataset.crs, "EPSG:4326",
                                                    *window_bounds(win, pop.dataset.transform),
                                                    densify_pts=21)
    except Exception:  # noqa: BLE001 - off the projection's domain: the whole globe
        west, south, east, north = -180.0, -90.0, 180.0, 90.0
    if not np.isfinite([west, south, east, north]).all() or west >= east:
        west, east = -180.0, 180.0
    if not np.isfinite([south, north]).all():
        south, north = -90.0, 90.0
    clipped = shapely.clip_by_rect(geoms, west - 1, max(south - 1, -90), east + 1,
                                   min(north + 1, 90))
    keep = ~shapely.is_empty(clipped)
    if not keep.any():
        return []

    def project(xy):
        x, y = fwd.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])
    projected = shapely.transform(clipped[keep], project)
    finite = np.isfinite(shapely.bounds(projected)).all(axis=1)
    return list(zip(projected[finite], number[keep][finite], strict=True))
