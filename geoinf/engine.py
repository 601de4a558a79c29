"""The engine boundary: which geodesic solver runs, and every call into the compiled kernels.

Two engines solve the geodesics: ``"pyproj"`` (GeographicLib through
:class:`pyproj.Geod`, the reference) and ``"numba"``, a compiled port of the same
algorithm in the private package :mod:`geoinf._kernels` (installed with ``pip
install "geoinf[speedups]"``). ``engine="auto"`` (the default everywhere) uses numba
when it is installed and the job is large, or the kernels are already loaded.

This is the only module that imports the compiled kernels. It owns the engine
switch (:func:`resolve_engine`, :func:`use_compiled`), the kernel table
(:func:`compiled_kernels`, loaded once), the thread policy (:func:`threads_for`)
and the compiled calls the numpy modules make: the inverse with its pyproj
fallback (:func:`inverse`), the direct problem (:func:`forward`), ring vertices,
densification and disc assembly, the places x sites passes of the analysis, the
point x edge search of distances to lines and areas, and the row intervals of raster
sums with their per-window sums.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from .constants import WGS84
from .errors import InputError

__all__ = [
    "ENGINES",
    "PARALLEL_WORK",
    "DensifyRule",
    "Kernels",
    "compiled_kernels",
    "resolve_engine",
    "use_compiled",
    "threads_for",
    "inverse",
    "forward",
    "compiled_vertices",
    "compiled_dense_rings",
    "compiled_discs",
    "compiled_pair_distances",
    "compiled_place_summary",
    "compiled_near_edges",
    "compiled_curve_points",
    "compiled_curve_samples",
    "compiled_grid_intervals",
    "compiled_window_sums",
    "compiled_tile_keys",
]

ENGINES = ("auto", "pyproj", "numba")
"""Values of the ``engine`` keyword: ``"auto"`` picks numba when it is installed."""

PARALLEL_WORK = 100_000
"""Below this much work (ring vertices, or pairs) the compiled kernels run on one thread."""

_AUTO_MIN_WORK = 1_000_000  # vertices: below this "auto" does not load numba for one job
_INVERSE_WORK = 5  # an inverse pair (Newton iterations) counts as 5 vertices: threaded from 20,000
_EDGE_M = 1e-3  # compiled distances this close to a caller's edge are re-solved by pyproj
_THREADED_COORDS = 1_000_000  # below this many vertices one thread builds the polygons


class Kernels(NamedTuple):
    """The compiled kernel modules (see :mod:`geoinf._kernels`)."""

    direct: object
    densify: object
    assembly: object
    inverse: object
    pairs: object
    segments: object
    curves: object
    intervals: object


def _import_kernels() -> Kernels:
    """Import the kernel modules; ImportError without numba."""
    from ._kernels import assembly, curves, densify, direct, intervals, inverse, pairs, segments

    return Kernels(direct=direct, densify=densify, assembly=assembly, inverse=inverse,
                   pairs=pairs, segments=segments, curves=curves, intervals=intervals)


@functools.cache
def compiled_kernels() -> Kernels | None:
    """Return the compiled kernels, imported once; None when numba is not installed."""
    try:
        table = _import_kernels()
    except ImportError:
        return None
    if not _on_disk(table.densify.ring_fill):
        logging.getLogger("geoinf.compile").info(
            "compiling the numba kernels: once per installation, about half a minute")
    return table


def _on_disk(dispatcher) -> bool:
    """Whether numba's on-disk cache holds compiled code of ``dispatcher`` (True if unsure)."""
    try:
        return os.path.exists(dispatcher._cache._cache_file._index_path)
    except (AttributeError, TypeError):  # numba's private layout changed: say nothing
        return True


def _kernels_loaded() -> bool:
    """Whether :func:`compiled_kernels` has run (successfully or not) in this process."""
    return compiled_kernels.cache_info().currsize > 0


def _numba_installed() -> bool:
    if _kernels_loaded():
        return compiled_kernels() is not None
    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):  # e.g. sys.modules["numba"] = None
        return False


def resolve_engine(engine: str = "auto", *, work: int | None = None) -> str:
    """Return the geodesic engine to use: ``"pyproj"`` or ``"numba"``.

    Parameters
    ----------
    engine : {"auto", "pyproj", "numba"}, default "auto"
        ``"auto"`` is ``"numba"`` when numba is installed (``pip install
        "geoinf[speedups]"``), else ``"pyproj"``. Loading numba and the cached
        kernels costs about a second once per process, so for a job of fewer than
        1,000,000 vertices (``work``; about 2,800 rings of 360) ``"auto"`` keeps
        pyproj until the kernels have been loaded by an earlier call.
    work : int, optional
        Size of the job in vertices, for ``"auto"``.

    Returns
    -------
    str
        ``"pyproj"`` or ``"numba"``.

    Raises
    ------
    InputError
        For an unknown engine, or ``"numba"`` without numba installed.

    Examples
    --------
    >>> resolve_engine("pyproj")
    'pyproj'
    >>> resolve_engine("auto") in ("pyproj", "numba")
    True
    """
    if engine not in ENGINES:
        raise InputError(f"engine={engine!r} is not one of {', '.join(map(repr, ENGINES))}")
    if engine == "pyproj":
        return engine
    if engine == "auto" and (not _numba_installed()
                             or (not _kernels_loaded() and work is not None
                                 and work < _AUTO_MIN_WORK)):
        return "pyproj"
    if compiled_kernels() is None:
        if engine == "numba":
            raise InputError("engine='numba' needs numba; install it with "
                             "pip install \"geoinf[speedups]\" or use engine='pyproj'")
        return "pyproj"
    return "numba"


def use_compiled(engine: str = "auto", work: int | None = None) -> bool:
    """Return whether ``engine`` (for a job of ``work`` vertices) runs the compiled kernels.

    Examples
    --------
    >>> use_compiled("pyproj")
    False
    """
    return resolve_engine(engine, work=work) == "numba"


@contextmanager
def threads_for(work: int) -> Iterator[None]:
    """Run the compiled kernels on one thread for a job below :data:`PARALLEL_WORK`.

    Waking the worker threads costs more than a few hundred rings take, and much
    more on a busy machine, where a woken thread may wait a scheduler tick.
    numba's thread count is a per-thread setting: it is restored on exit.
    """
    if work >= PARALLEL_WORK:
        yield
        return
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _num_threads() -> int:
    import numba

    return numba.get_num_threads()


def inverse(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike, *,
            engine: str = "auto", edge_m: ArrayLike | None = None
            ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Return ``WGS84.inv`` (az12, az21, s12 in metres) on flat arrays, compiled when allowed.

    The compiled inverse (within ~1e-8 m of pyproj) runs when ``engine`` resolves to
    numba (:func:`resolve_engine` without a job size); the pairs it declines and, with
    ``edge_m``, the pairs within 1 mm of their edge are solved by pyproj, so that
    membership ``s12 <= edge_m`` is decided exactly as pyproj decides it.

    Examples
    --------
    >>> _, _, s = inverse(24.41, 44.08, 13.40, 52.52, engine="pyproj")
    >>> print(f"{s[0] / 1000:.1f}")
    1241.4
    """
    lon1, lat1, lon2, lat2 = (np.ravel(a).astype(float) for a in
                              np.broadcast_arrays(lon1, lat1, lon2, lat2))
    if not use_compiled(engine):
        return tuple(np.asarray(x, dtype=float) for x in WGS84.inv(lon1, lat1, lon2, lat2))
    with threads_for(lon1.size * _INVERSE_WORK):
        az12, az21, s, ok = compiled_kernels().inverse.inverse(lon1, lat1, lon2, lat2)
    redo = ~ok
    if edge_m is not None:
        redo |= np.abs(s - np.broadcast_to(edge_m, s.shape)) <= _EDGE_M
    redo = np.flatnonzero(redo)
    if redo.size:
        ref = WGS84.inv(lon1[redo], lat1[redo], lon2[redo], lat2[redo])
        for out, x in zip((az12, az21, s), ref, strict=True):
            out[redo] = x
    return az12, az21, s


def forward(lon: NDArray, lat: NDArray, azimuth: NDArray, dist_m: NDArray, *,
            engine: str = "pyproj") -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Solve the direct problem in place: ``lon, lat`` (float64 arrays) become the end points.

    ``engine`` is a resolved engine name (``"pyproj"`` or ``"numba"``).
    """
    if engine == "numba":
        compiled_kernels().direct.direct(lon, lat, azimuth, dist_m, lon, lat)
    else:
        WGS84.fwd(lon, lat, azimuth, dist_m, inplace=True, return_back_azimuth=False)
    return lon, lat


def _same_centre_groups(lon: NDArray, lat: NDArray) -> NDArray[np.int64]:
    """Return the bounds of runs of consecutive circles that share a centre."""
    change = (lon[1:] != lon[:-1]) | (lat[1:] != lat[:-1])
    return np.concatenate([[0], np.flatnonzero(change) + 1, [lon.size]]).astype(np.int64)


def compiled_vertices(lon, lat, radius_km, k, flat, start, scratch=None, scratch_row=None, *,
                      scratch_east_only=False) -> None:
    """Write ``k`` uniform vertices of each circle into ``flat[start[i]:start[i] + k]``.

    Consecutive circles with one centre share each geodesic line. A circle with
    ``scratch_row[i] >= 0`` is also written to ``scratch[scratch_row[i]]`` (its
    eastern half only with ``scratch_east_only``).
    """
    if scratch is None:
        scratch, scratch_row = flat[:0].reshape(0, k, 2), np.full(lon.size, -1, dtype=np.int64)
    with threads_for(lon.size * k):
        compiled_kernels().direct.ring_vertices(
            lon, lat, radius_km * 1000.0, _same_centre_groups(lon, lat), k, flat,
            np.asarray(start).astype(np.int64), scratch, scratch_row, scratch_east_only)


class DensifyRule(NamedTuple):
    """The densification rule of :mod:`geoinf.densify`, for the compiled kernels.

    An edge whose estimated error exceeds ``split_km`` is cut into equal azimuth
    steps (at most ``max_pieces``); one above ``unreliable_km`` is also bisected,
    up to ``max_levels`` times, while its measured deviation exceeds ``measured_km``.
    """

    split_km: float
    unreliable_km: float
    measured_km: float
    max_pieces: int
    max_levels: int


def compiled_dense_rings(v, maybe, lon, lat, radius_km, rule: DensifyRule, *, pad_before=None,
                         pad_after=None, want_angle=False):
    """Densify uniform rings ``v`` (n, k, 2) by ``rule`` in compiled loops.

    The rings are planned first (how many vertices each gets) and then written once,
    each into its slot of one array, optionally with ``pad_before``/``pad_after``
    spare rows per ring for the polygon assembly; only rings where ``maybe`` is
    True are estimated. Returns ``coords``, ``angle`` (degrees counter-clockwise
    from north; empty unless ``want_angle``) and the slot offsets.
    """
    kernel = compiled_kernels().densify
    dist_m = radius_km * 1000.0
    zero = np.zeros(lon.size, dtype=np.int64)
    before = zero if pad_before is None else pad_before.astype(np.int64)
    after = zero if pad_after is None else pad_after
    with threads_for(v.size // 2):
        pieces = np.ones(v.shape[:2], dtype=np.int32)
        bisected = np.zeros(v.shape[:2], dtype=np.int32)
        total = kernel.ring_plan(v, maybe, lon, lat, dist_m, rule.split_km, rule.unreliable_km,
                                 rule.measured_km, rule.max_pieces, rule.max_levels, pieces,
                                 bisected)
        slots = np.zeros(lon.size + 1, dtype=np.intp)
        np.cumsum(total + before + after, out=slots[1:])
        coords = np.empty((slots[-1], 2))
        angle = np.empty(slots[-1] if want_angle else 0)
        kernel.ring_fill(v, pieces, bisected, slots, before, lon, lat, dist_m,
                         rule.measured_km, rule.max_levels, coords, angle)
    return coords, angle, slots


def _padded_rings(lon, lat, radius_km, maybe, pad_before, pad_after, rule, k):
    """Densified rings with spare rows around each, for :func:`compiled_discs`.

    Rings that provably need no densification (``~maybe``) are written straight
    into one array; the others are sampled, planned and written into a second.
    Returns ``(rings, coords, slots)`` for each non-empty group: ring ``rings[t]``
    owns ``coords[slots[t]:slots[t + 1]]``.
    """
    n = lon.size
    size = np.where(maybe, 0, k + pad_before + pad_after)
    slots = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(size, out=slots[1:])
    flat = np.empty((slots[-1], 2))
    scratch_row = np.full(n, -1, dtype=np.int64)
    scratch_row[maybe] = np.arange(int(maybe.sum()))
    v = np.empty((int(maybe.sum()), k, 2))
    # the plan and the fill read only the eastern half of a ring with an even k
    compiled_vertices(lon, lat, radius_km, k, flat, slots[:-1] + pad_before, v, scratch_row,
                      scratch_east_only=k % 2 == 0)
    groups = []
    uniform = np.flatnonzero(~maybe)
    if uniform.size:
        groups.append((uniform, flat, np.append(slots[uniform], slots[-1])))
    dense = np.flatnonzero(maybe)
    if dense.size:
        coords, _, dense_slots = compiled_dense_rings(
            v, np.ones(dense.size, dtype=bool), lon[dense], lat[dense], radius_km[dense], rule,
            pad_before=pad_before[dense], pad_after=pad_after[dense])
        groups.append((dense, coords, dense_slots))
    return groups


def compiled_discs(lon, lat, radius_km, north, south, maybe, rule: DensifyRule, *,
                   n_vertices: int = 360):
    """Disc polygons in compiled loops: densified in place, closed, one copy to shapely.

    Each ring (radius not past the cut-locus check of :mod:`geoinf.densify`) is
    written straight into a slot with room for its closing vertices, closed there
    (unwrapped, or as a cap over the pole in ``north``/``south`` when it contains
    exactly one) and handed to shapely by ``from_ragged_array``. A ring that
    crosses ±180° twice is cut there and becomes a two-part MultiPolygon.

    Returns ``(polys, unsplit, hi)``: the polygons, where ``unsplit`` the ring still
    crosses ±180° (more than twice, or wider than the world) and the caller must
    split it (its largest unwrapped longitude is ``hi``). A ring containing both
    poles is returned as the polygon of the hole around the antipode.
    """
    kernel = compiled_kernels().assembly
    kind = np.where(north == south, kernel.PLAIN,
                    np.where(north, kernel.NORTH_CAP, kernel.SOUTH_CAP)).astype(np.int64)
    cap = kind != kernel.PLAIN
    polys = np.empty(lon.size, dtype=object)
    unsplit, hi = np.zeros(lon.size, dtype=bool), np.zeros(lon.size)
    for rings, xy, slots in _padded_rings(lon, lat, radius_km, maybe, cap.astype(np.int64),
                                          np.where(cap, 4, 1), rule, int(n_vertices)):
        polys[rings], unsplit[rings], hi[rings] = _assembled(kernel, xy, slots, kind[rings])
    return polys, unsplit, hi


def _assembled(kernel, xy, slots, kind):
    """Close rings in place and build their polygons, cut at ±180° where they cross it twice."""
    with threads_for(xy.shape[0]):
        lo, hi = kernel.assemble_discs(xy, slots, kind)
    polys = _ragged_polygons(xy, slots, threads=_num_threads())
    cap = kind != kernel.PLAIN
    rest = ~cap & (lo < -180.0) & (hi > 180.0)  # wider than the world: shapely sorts it out
    for cut, crossing in ((180.0, ~cap & (hi > 180.0) & ~rest),
                          (-180.0, ~cap & (lo < -180.0) & ~rest)):
        picks = np.flatnonzero(crossing)
        if picks.size == 0:
            continue
        with threads_for(xy.shape[0] * picks.size // kind.size):
            parts, part_offsets, ok = kernel.split_at_meridian(xy, slots, picks, cut)
        rest[picks[~ok]] = True  # crosses more than twice
        if ok.any():
            ring_ends = np.concatenate([[0], part_offsets[1:][np.repeat(ok, 2)]])
            k = int(ok.sum())
            polys[picks[ok]] = shapely.from_ragged_array(
                shapely.GeometryType.MULTIPOLYGON, parts,
                (ring_ends, np.arange(2 * k + 1), np.arange(0, 2 * k + 1, 2)))
    return polys, rest, hi


def _ragged_polygons(xy, slots, *, threads=1) -> NDArray[np.object_]:
    """Polygons of one ring each, ring ``i`` being ``xy[slots[i]:slots[i + 1]]`` (closed).

    ``shapely.from_ragged_array`` releases the GIL, so large jobs are cut into
    contiguous runs of rings built on ``threads`` threads.
    """
    n = slots.size - 1
    chunks = min(int(threads), max(1, xy.shape[0] // _THREADED_COORDS))

    def build(a, b):
        lo = slots[a]
        return shapely.from_ragged_array(shapely.GeometryType.POLYGON, xy[lo:slots[b]],
                                         (slots[a:b + 1] - lo, np.arange(b - a + 1)))

    if chunks <= 1 or n < 2:
        return build(0, n)
    bounds = np.unique(np.searchsorted(slots, np.linspace(0, slots[-1], chunks + 1)[1:-1]))
    edges = [0, *bounds.tolist(), n]
    with ThreadPoolExecutor(max_workers=chunks) as pool:
        parts = list(pool.map(build, edges[:-1], edges[1:]))
    return np.concatenate(parts)


def compiled_pair_distances(p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest, *, radius_km,
                            eps, slack_km):
    """Places x sites in one compiled pass: ``(inside, dist, exact, redo)``.

    The spherical distance on a sphere of ``radius_km`` bounds the ellipsoidal one
    within a factor ``1 +- eps`` (plus ``slack_km``); pairs whose bounds straddle a
    band edge ``[lo[j], hi[j]]`` are solved exactly and, with ``need_nearest``, so is
    every reaching site that could be the nearest or have the largest margin.
    ``redo`` marks places with a pair the kernel leaves to pyproj (no convergence,
    near the antipode, or within 1 mm of a band edge): the caller recomputes those rows.
    """
    with threads_for(np.size(p_lon) * np.size(s_lon)):
        return compiled_kernels().pairs.pair_distances(
            p_lon, p_lat, s_lon, s_lat, lo, hi, need_nearest, radius_km=radius_km, eps=eps,
            slack_km=slack_km)


def compiled_place_summary(p_lon, p_lat, s_lon, s_lat, lo, hi, *, radius_km, eps, slack_km):
    """Per place, the band summary over all sites in one compiled pass.

    Returns ``(near, dist_near, margin, n_sites, key, redo)`` as
    :func:`compiled_pair_distances` with ``need_nearest`` decides them: the nearest
    site in the band (-1 if none) and its distance (km, ``inf`` if none), the largest
    ``min(d - lo, hi - d)`` over sites in the band (``-inf`` if none), how many sites
    are in the band and their pattern as int64 bits (bit j for site j); rows marked
    ``redo`` are left to the caller (pyproj). At most
    :data:`geoinf.constants.SUMMARY_SITES` sites.
    """
    with threads_for(np.size(p_lon) * np.size(s_lon)):
        return compiled_kernels().pairs.place_summary(
            p_lon, p_lat, s_lon, s_lat, lo, hi, radius_km=radius_km, eps=eps,
            slack_km=slack_km)


def compiled_near_edges(p, start, count, blocks, frames, *, upper_only, n_upper, eps, slack_km,
                        radius_km):
    """Point x edge pairs that can hold each point's nearest edge, in one compiled pass.

    The compiled twin of the block and edge filters of :mod:`geoinf.geometry_distance`
    (``blocks`` and ``frames`` are its tables): returns ``(q, e)``, point and edge of
    every pair whose exact distance the caller solves.
    """
    with threads_for(int(np.sum(count)) * 8):
        return compiled_kernels().segments.near_edges(
            p, start, count, (blocks.start, blocks.size, blocks.centre, blocks.radius,
                              blocks.dev_km, blocks.first), frames, upper_only, n_upper, eps,
            slack_km, radius_km)


def compiled_curve_points(curves, k, u):
    """Lon, lat of the curves ``k`` of :class:`geoinf.offset_curves.Curves` at ``u``, compiled."""
    with threads_for(k.size * 2 * _INVERSE_WORK):
        return compiled_kernels().curves.curve_points(curves, k, u)


def compiled_window_nearest(ends, vxyz, owner, near, k):
    """Return the vertex within ``k`` of each ``near`` (same owner) nearest both ``ends``.

    See :func:`geoinf._kernels.curves.window_nearest`.
    """
    out = np.empty(near.size, dtype=np.int64)
    with threads_for(near.size * (2 * k + 1)):
        compiled_kernels().curves.window_nearest(
            np.ascontiguousarray(ends, dtype=np.float64),
            np.ascontiguousarray(vxyz, dtype=np.float64),
            np.ascontiguousarray(owner, dtype=np.int64), near.astype(np.int64), k, out)
    return out


def compiled_curve_samples(curves, limit_km, max_levels):
    """Sample the curves as :func:`geoinf.offset_curves.sample_curves` does, compiled.

    Returns ``(xy, offsets)``; an interval is bisected while its middle misses the
    chord's middle by more than ``limit_km`` (at most ``max_levels`` times).
    """
    with threads_for(int(np.sum(curves.n0)) * 40 * _INVERSE_WORK):
        return compiled_kernels().curves.sample_curves(curves, limit_km, max_levels)


def compiled_grid_intervals(lon0, lat0, radius_km, m0, row_lat, west, dlon, col_lo, col_hi,
                            m_row, order, lo_pos, hi_pos, *, quarter_km):
    """Return the column runs of :func:`geoinf.row_intervals.grid_intervals`, compiled.

    Disc ``d`` meets the rows ``order[lo_pos[d]:hi_pos[d]]``; ``m0`` and ``m_row`` are the
    meridian distances (km) of the centres and rows, ``west``, ``dlon``, ``col_lo`` and
    ``col_hi`` given per row. The candidate columns the compiled inverse puts within 1 mm
    of the radius (or does not solve) are decided by pyproj, so the cells are exactly
    those of the reference. Returns ``(disc, row, start, stop)`` as ``grid_intervals``.
    """
    kernel = compiled_kernels().intervals
    f8, i8 = (functools.partial(_contiguous, dtype=t) for t in (np.float64, np.int64))
    col_lo, col_hi = i8(col_lo), i8(col_hi)
    radius_km, lat0, row_lat = f8(radius_km), f8(lat0), f8(row_lat)
    lo_pos, hi_pos = i8(lo_pos), i8(hi_pos)
    work = int((hi_pos - lo_pos).sum()) * _INVERSE_WORK
    args = (f8(lon0), lat0, radius_km, f8(m0), row_lat, f8(west), f8(dlon), col_lo, col_hi,
            f8(m_row), i8(order), lo_pos, hi_pos, float(quarter_km))
    if work >= PARALLEL_WORK and lon0.size > 1:  # discs on numba's threads
        entries, dec, tval, doubts = kernel.disc_rows_parallel(*args)
    else:  # one thread: no thread pool woken (no threads_for needed)
        entries, dec, tval, doubts = kernel.disc_rows(*args)
    if doubts:
        e, c, q = np.nonzero(dec == -1)
        disc, row = entries[0][e], entries[1][e]
        s = np.asarray(WGS84.inv(np.zeros(e.size), lat0[disc], tval[e, c, q], row_lat[row])[2])
        dec[e, c, q] = s <= radius_km[disc] * 1000.0
    return kernel.assemble(*entries, dec, col_lo, col_hi)


def _contiguous(a, dtype) -> NDArray:
    """Return ``a`` as a C-contiguous array of ``dtype`` (itself when it already is one)."""
    if type(a) is np.ndarray and a.dtype == dtype and a.flags.c_contiguous:
        return a
    return np.ascontiguousarray(a, dtype=dtype)


def compiled_window_sums(values, group, row, start, stop, r0, c0, n_groups):
    """People per group of the column runs inside one window, summed in compiled loops.

    ``values`` (2-D, integer or float32/float64) is the window whose first cell is at
    raster row ``r0``, column ``c0``; the runs (int64, sorted by ``row``) are clipped to
    it. Returns float64 sums, shape (n_groups,); None for a data type the kernel does
    not take (the caller sums in numpy).
    """
    kind = values.dtype.kind
    if kind not in "iuf" or (kind == "f" and values.dtype.itemsize < 4):  # float16: numpy
        return None
    return compiled_kernels().intervals.window_sums(
        np.ascontiguousarray(values), group, row, start, stop, int(r0), int(c0), int(n_groups))


def compiled_tile_keys(row, start, stop, band_rows: int, block_cols: int, n_blocks: int):
    """Return the sorted distinct ``band * n_blocks + column block`` the runs touch, compiled.

    Run ``k`` covers columns ``start[k]:stop[k]`` of raster row ``row[k]``; a band is
    ``band_rows`` rows, a column block ``block_cols`` columns (int64 arrays in and out).
    """
    i8 = functools.partial(_contiguous, dtype=np.int64)
    return compiled_kernels().intervals.tile_keys(i8(row), i8(start), i8(stop), int(band_rows),
                                                  int(block_cols), int(n_blocks))
