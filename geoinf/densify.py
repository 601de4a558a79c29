"""Densified geodesic circles: boundaries within a tolerance of the true circle.

:func:`ring_boundaries` starts from the uniform vertices of
:func:`geoinf.geodesic.ring_vertices` and adds vertices only where a straight
lon/lat edge (as shapely, geopandas and GeoJSON read it) would stray from the
geodesic circle by more than ``tolerance_km``: a per-ring a-priori bound skips
rings far below it, second differences size the subdivision of the rest, and
edges where that estimate is unreliable (near a pole) are bisected with a
measured deviation. Near the antipode the ring is closed at the cut locus.
Numpy arrays in and out; with the compiled engine the same rules run in compiled
loops (:func:`geoinf.engine.compiled_dense_rings`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _validate
from .constants import MEAN_KM_PER_DEG
from .engine import DensifyRule, compiled_dense_rings, resolve_engine
from .errors import InputError
from .geodesic import (
    distance_km,
    forward_km,
    ring_vertices,
    validate_circles,
    validate_vertices,
    wrap180,
)

__all__ = ["ring_boundaries", "CUT_LOCUS_CHECK_KM", "densify_rule", "may_need_vertices",
           "validate_tolerance"]

CUT_LOCUS_CHECK_KM = 19_800.0
"""Radius beyond which the vertices are checked to be on shortest geodesics (the cut locus)."""
_MAX_LEVELS = 48  # bisection levels of azimuth: 360 / 2**48 degrees is far below any need
_SPLIT = 0.8  # cut an edge whose estimated error exceeds this fraction of the tolerance
_UNRELIABLE = 8.0  # estimates above this many tolerances are measured and bisected too
_MEASURED = 0.8  # bisect while the measured mid-azimuth deviation exceeds this fraction
_MAX_PIECES = 4096


def _cyclic_step(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return ``x[:, i+1] - x[:, i]`` along axis 1, the last step closing the ring."""
    out = np.empty_like(x)
    np.subtract(x[:, 1:], x[:, :-1], out=out[:, :-1])
    np.subtract(x[:, 0], x[:, -1], out=out[:, -1])
    return out


def _chord_error_bound_km(lat: NDArray, radius: NDArray, k: int) -> NDArray[np.float64]:
    """Bound, per ring, how far a uniform ring's straight lon/lat chords stray (sphere model).

    Two effects add up: the circle's own curvature (sagitta ``R sin(p) cos(p) da^2 / 8``
    for angular radius ``p`` and step ``da``) and the bending of a straight lon/lat
    segment against the ground (at most ``tan(phi) s^2 / (8 R)`` for a step of length
    ``s`` at latitude ``phi``). Rings well under the tolerance skip the per-edge
    estimate; rings that reach within a degree of a pole always get it. A factor
    of 1.5 covers the ellipsoid and the second-order terms.
    """
    earth_km = MEAN_KM_PER_DEG * 180.0 / np.pi
    rho = np.minimum(radius / earth_km, np.pi)
    step = 2.0 * np.pi / k
    reach = np.minimum(np.abs(lat) + np.degrees(rho), 90.0)
    tan_reach = np.where(reach < 89.0, np.tan(np.radians(reach)), np.inf)
    curvature = np.abs(np.sin(rho) * np.cos(rho))
    bending = tan_reach * np.sin(rho) ** 2
    return 1.5 * earth_km * step**2 / 8.0 * (curvature + bending)


def _edge_sagitta_estimate_km(v: NDArray[np.float64]) -> NDArray[np.float64]:
    """Estimate, per edge of uniform rings (n, K, 2), how far the lon/lat chord strays.

    For a curve sampled at uniform steps the second difference ``P[i-1] - 2P[i] + P[i+1]``
    is about 8 times the sagitta of the chord of one step; lon/lat offsets are turned
    into kilometres with the local scale. Measured over the globe, the estimate is
    within a few per cent where the ring is resolved. Where it is not (near a pole,
    where one step jumps tens of degrees of longitude) it is large, and those edges
    are measured and bisected (see :func:`ring_boundaries`).
    """
    lon_step = _cyclic_step(v[..., 0])  # edge i -> i+1
    lon_step -= 360.0 * np.round(lon_step / 360.0)
    lat_step = _cyclic_step(v[..., 1])
    d2lon = -_cyclic_step(lon_step)  # minus the second difference at vertex i+1
    d2lat = -_cyclic_step(lat_step)
    d2lon *= np.cos(np.radians(v[..., 1]))[:, np.r_[1:v.shape[1], 0]]
    at_vertex = np.hypot(d2lon, d2lat)
    at_vertex *= MEAN_KM_PER_DEG / 8.0  # value at vertex i+1, i.e. at the end of edge i
    return np.maximum(at_vertex, np.roll(at_vertex, 1, axis=1))  # both ends of edge i


def ring_boundaries(lon: ArrayLike, lat: ArrayLike, radius_km: ArrayLike, *,
                    tolerance_km: float = 0.1, n_vertices: int = 360,
                    engine: str = "auto") -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Return densified geodesic circles as ragged vertex arrays.

    Starts from ``n_vertices`` uniform azimuths. The error of each straight lon/lat
    edge is estimated from second differences of the vertices (no extra geodesic
    solve); an edge whose estimate exceeds 0.8 of the tolerance is cut into enough
    equal azimuth steps to bring it under. Where the estimate is unreliable (edges
    far from resolved, as where a ring passes near a pole and one step jumps tens
    of degrees of longitude) the pieces are then bisected until the chord's
    deviation from the circle, measured at the mid-azimuth point, is within
    tolerance. Rings far below the tolerance are left untouched.

    Near the antipode, where a geodesic of the given length is no longer the
    shortest path (the cut locus), the overshooting vertices are dropped and the
    ring is closed at the cut locus, so every vertex is at exact distance ``radius_km``.

    Parameters
    ----------
    lon, lat : float or array_like
        Centres in degrees; broadcast against ``radius_km``.
    radius_km : float or array_like
        Radii in kilometres, greater than 0 and below the antipodal distance.
    tolerance_km : float, default 0.1
        Largest distance allowed between any point of the lon/lat boundary and the circle.
    n_vertices : int, default 360
        Vertices of the starting uniform ring.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Geodesic solver (see :func:`geoinf.engine.resolve_engine`); the compiled engine also
        runs the estimate and the subdivision in compiled loops.

    Returns
    -------
    coords : ndarray of shape (m, 2)
        Longitude in [-180, 180] and latitude; the vertices of all rings, each ring
        in order of decreasing azimuth (counter-clockwise in lon/lat), not closed.
    offsets : ndarray of shape (n + 1,)
        Ring ``i`` is ``coords[offsets[i]:offsets[i + 1]]``.

    Examples
    --------
    >>> coords, offsets = ring_boundaries(24.41, 44.08, [500, 5500])
    >>> np.diff(offsets).tolist()  # the 5,500 km ring passes near the pole: more vertices
    [360, 646]
    """
    lon, lat, radius = validate_circles(lon, lat, radius_km)
    n, k = lon.size, validate_vertices(n_vertices, lon.size)
    tolerance_km = validate_tolerance(tolerance_km, n, k)
    engine = resolve_engine(engine, work=n * k)
    v = ring_vertices(lon, lat, radius, n_vertices=k, engine=engine)
    maybe = may_need_vertices(lat, radius, k, tolerance_km)
    far = radius > CUT_LOCUS_CHECK_KM
    if engine == "numba":
        coords, angle, offsets = compiled_dense_rings(v, maybe, lon, lat, radius,
                                                      densify_rule(tolerance_km),
                                                      want_angle=bool(far.any()))
    else:
        est = np.zeros((n, k))
        if maybe.any():
            est[maybe] = _edge_sagitta_estimate_km(v[maybe])
        pieces = np.ones(est.shape, dtype=np.int64)
        coarse = est > _SPLIT * tolerance_km
        pieces[coarse] = np.minimum(np.ceil(np.sqrt(est[coarse] / (_SPLIT * tolerance_km))),
                                    _MAX_PIECES).astype(np.int64)
        # edge i mirrors edge k-1-i across the centre's meridian: plan both alike, so
        # that the new vertices of one half are the mirror images of the other's
        np.maximum(pieces, pieces[:, ::-1], out=pieces)
        coords, angle, offsets = _subdivide(v, pieces, lon, lat, radius,
                                            want_angle=bool(far.any()))
        unreliable = np.flatnonzero(est > _UNRELIABLE * tolerance_km)
        if unreliable.size:
            # the pieces of unreliable edges: each starts at an original vertex or a new one
            counts = pieces.ravel()[unreliable]
            rank = _ranks(counts)
            edges = np.repeat(offsets_of_pieces(pieces)[unreliable], counts) + rank
            # their angles, from the plan: piece j of edge i spans (i + j/p .. i + (j+1)/p) steps
            i = np.repeat(unreliable % k, counts).astype(float)
            p = np.repeat(counts, counts)
            span = (i + rank / p, i + (rank + 1) / p)
            coords, angle, offsets = _bisect(coords, angle, offsets, edges, span[0] * 360.0 / k,
                                             span[1] * 360.0 / k, lon, lat, radius,
                                             tolerance_km)
    if far.any():
        coords, angle, offsets = _close_at_cut_locus(coords, angle, offsets, far,
                                                     lon, lat, radius, engine)
    return coords, offsets


def densify_rule(tolerance_km: float) -> DensifyRule:
    """Return the densification rule for ``tolerance_km`` (for the compiled kernels)."""
    return DensifyRule(_SPLIT * tolerance_km, _UNRELIABLE * tolerance_km,
                       _MEASURED * tolerance_km, _MAX_PIECES, _MAX_LEVELS)


def may_need_vertices(lat: NDArray, radius: NDArray, k: int, tolerance_km: float
                      ) -> NDArray[np.bool_]:
    """Return which uniform rings of ``k`` vertices may stray more than the tolerance.

    The others provably need no densification (:func:`_chord_error_bound_km`).
    """
    return _chord_error_bound_km(lat, radius, k) > _SPLIT * tolerance_km


def validate_tolerance(tolerance_km: float, n: int = 1, k: int = 360) -> float:
    """Check a tolerance (km) and the size of a job of ``n`` rings of ``k``; return it.

    Examples
    --------
    >>> validate_tolerance(0.1)
    0.1
    >>> validate_tolerance(-1)
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: tolerance_km=-1 is not greater than 0 km
    """
    validate_vertices(k, n)
    tolerance = _validate.floats(tolerance_km, "tolerance_km")
    if tolerance.ndim != 0:
        raise InputError(f"tolerance_km={tolerance_km!r}: expected one number, not an array")
    if not (np.isfinite(tolerance) and tolerance > 0):
        raise InputError(f"tolerance_km={float(tolerance):g} is not greater than 0 km")
    return float(tolerance)


def _ranks(counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """Return 0, 1, …, c-1 for each count c, concatenated."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def offsets_of_pieces(pieces: NDArray[np.int64]) -> NDArray[np.int64]:
    """Return the flat output index of each original vertex after subdivision."""
    counts = pieces.ravel()
    return np.cumsum(counts) - counts


def _subdivide(v, pieces, lon, lat, radius, *, want_angle=False):
    """Cut each uniform edge ``i -> i+1`` into ``pieces[i]`` equal angle steps.

    Returns flat ``coords``, ``angle`` (degrees counter-clockwise from north,
    increasing within each ring; None unless ``want_angle``) and ring ``offsets``.
    Only the new vertices are computed; they are scattered after their edge's start
    vertex, so untouched rings cost a copy.
    """
    n, k = pieces.shape
    step = 360.0 / k
    counts = pieces.ravel()
    ring_counts = counts.reshape(n, k).sum(axis=1)
    offsets = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(ring_counts, out=offsets[1:])
    angle0 = np.tile(np.arange(k) * step, n) if want_angle else None
    edges = np.flatnonzero(counts > 1)
    if edges.size == 0:
        return v.reshape(-1, 2).copy(), angle0, offsets
    at = offsets_of_pieces(pieces)
    cnt = counts[edges] - 1
    e = np.repeat(edges, cnt)
    rank = _ranks(cnt) + 1
    new_angle = (e % k + rank / np.repeat(cnt + 1, cnt)) * step
    new_at = np.repeat(at[edges], cnt) + rank
    r = e // k
    coords = np.empty((offsets[-1], 2))
    coords[at] = v.reshape(-1, 2)
    angle = None
    if want_angle:
        angle = np.empty(offsets[-1])
        angle[at] = angle0
        angle[new_at] = new_angle
    # solve the eastern half (edges i < k/2, plus the middle edge of an odd k); the
    # new vertices of edge k-1-i are the mirror images of edge i's, in reverse order
    east = (e % k) < (k + 1) // 2
    solved = new_at[east]
    coords[solved, 0], coords[solved, 1] = forward_km(lon[r[east]], lat[r[east]],
                                                    new_angle[east], radius[r[east]])
    west = ~east
    if west.any():
        we, wrank = e[west], rank[west]
        partner = we - (we % k) + (k - 1 - we % k)  # the mirrored edge, same ring
        # its new vertex of rank p - rank sits at partner's output slot + that rank
        src = at[partner] + (counts[partner] - wrank)
        coords[new_at[west], 0] = wrap180(2.0 * lon[r[west]] - coords[src, 0])
        coords[new_at[west], 1] = coords[src, 1]
    return coords, angle, offsets


def _bisect(coords, angle, offsets, edges, a_angle, b_angle, lon, lat, radius, tolerance_km):
    """Bisect edges (given by start index) until each chord's measured deviation is small.

    Edge ``i`` joins vertex ``i`` to the next vertex of its ring (cyclically), from
    angle ``a_angle`` to ``b_angle`` (the latter past 360 on a ring's last edge).
    Only the given edges and their halves are evaluated; new vertices are inserted
    in one pass at the end. ``angle`` (per vertex, or None) is carried along.
    """
    ring_of_edge = np.searchsorted(offsets, edges, side="right") - 1
    nxt = edges + 1
    wraps = nxt == offsets[ring_of_edge + 1]
    nxt = np.where(wraps, offsets[ring_of_edge], nxt)
    a_ll, b_ll = coords[edges], coords[nxt]
    home, ring = edges, ring_of_edge  # a new point goes after vertex ``home``
    new_ll, new_angle, new_home, new_ring = [], [], [], []
    for _ in range(_MAX_LEVELS):
        if home.size == 0:
            break
        mid_angle = 0.5 * (a_angle + b_angle)
        m_lon, m_lat = forward_km(lon[ring], lat[ring], mid_angle, radius[ring])
        chord_lon = a_ll[:, 0] + 0.5 * wrap180(b_ll[:, 0] - a_ll[:, 0])
        chord_lat = 0.5 * (a_ll[:, 1] + b_ll[:, 1])
        dx = wrap180(m_lon - chord_lon) * np.cos(np.radians(m_lat))
        dev_km = np.hypot(dx, m_lat - chord_lat) * MEAN_KM_PER_DEG
        split = dev_km > _MEASURED * tolerance_km
        m = np.stack([m_lon, m_lat], axis=-1)[split]
        new_ll.append(m)
        new_angle.append(mid_angle[split])
        new_home.append(home[split])
        new_ring.append(ring[split])
        a_ll, b_ll = np.concatenate([a_ll[split], m]), np.concatenate([m, b_ll[split]])
        a_angle = np.concatenate([a_angle[split], mid_angle[split]])
        b_angle = np.concatenate([mid_angle[split], b_angle[split]])
        home = np.concatenate([home[split], home[split]])
        ring = np.concatenate([ring[split], ring[split]])
    ins_ll, ins_angle, ins_home, ins_ring = (np.concatenate(x) for x in
                                          (new_ll, new_angle, new_home, new_ring))
    if ins_home.size == 0:
        return coords, angle, offsets
    order = np.lexsort((ins_angle, ins_home))
    offsets = offsets + np.concatenate(
        [[0], np.cumsum(np.bincount(ins_ring, minlength=offsets.size - 1))])
    old_at, new_at = _insertion_positions(coords.shape[0], ins_home[order])
    out_coords = np.empty((old_at.size + new_at.size, 2))
    out_coords[old_at], out_coords[new_at] = coords, ins_ll[order]
    out_angle = None
    if angle is not None:
        out_angle = np.empty(old_at.size + new_at.size)
        out_angle[old_at], out_angle[new_at] = angle, np.mod(ins_angle[order], 360.0)
    return out_coords, out_angle, offsets


def _insertion_positions(n_old: int, after: NDArray[np.intp]) -> tuple[NDArray, NDArray]:
    """Return output positions of old items and of new items inserted after ``after`` (sorted).

    The same as :func:`numpy.insert` at ``after + 1`` but with integer scatters,
    which is several times faster on long arrays.
    """
    counts = np.bincount(after, minlength=n_old)
    before = np.cumsum(counts) - counts  # new items placed before old item i
    old_at = np.arange(n_old) + before
    new_at = after + 1 + np.arange(after.size)  # after[t] + 1 + (items ahead of t)
    return old_at, new_at


def _close_at_cut_locus(coords, angle, offsets, far, lon, lat, radius, engine="pyproj"):
    """Drop vertices past the cut locus and close the ring where the two branches meet.

    For radii within a few tens of km of the antipodal distance, some geodesics of
    length ``radius`` are not the shortest path to their end point: such end points
    lie strictly inside the disc. The true boundary runs along the remaining
    vertices and turns a corner on the cut locus; the corner is found by bisecting
    the angle between the last good vertex and the first bad one.
    """
    ring_of = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    idx = np.flatnonzero(far[ring_of])
    r = ring_of[idx]
    d = distance_km(lon[r], lat[r], coords[idx, 0], coords[idx, 1])
    bad = np.zeros(angle.size, dtype=bool)
    bad[idx] = d < radius[r] - 1e-9
    if not bad.any():
        return coords, angle, offsets
    # neighbours (same ring, cyclic) of bad vertices that are good: bracket the corners
    starts = np.searchsorted(ring_of, ring_of)  # first index of each vertex's ring
    counts = np.bincount(ring_of)[ring_of]
    pos = np.arange(angle.size) - starts
    nxt = starts + (pos + 1) % counts
    good_then_bad = np.flatnonzero(~bad & bad[nxt])
    bad_then_good = np.flatnonzero(bad & ~bad[nxt])
    lo_angle = np.concatenate([angle[good_then_bad], angle[bad_then_good]])
    hi_angle = np.concatenate([angle[nxt[good_then_bad]], angle[nxt[bad_then_good]]])
    hi_angle = np.where(hi_angle < lo_angle, hi_angle + 360.0, hi_angle)
    good_low = np.concatenate([np.ones(good_then_bad.size, bool),
                               np.zeros(bad_then_good.size, bool)])
    ring = np.concatenate([ring_of[good_then_bad], ring_of[bad_then_good]])
    for _ in range(60):
        mid = 0.5 * (lo_angle + hi_angle)
        m_lon, m_lat = forward_km(lon[ring], lat[ring], mid, radius[ring], engine)
        ok = distance_km(lon[ring], lat[ring], m_lon, m_lat) >= radius[ring] - 1e-9
        move_low = ok == good_low  # the good end advances toward the corner
        lo_angle = np.where(move_low, mid, lo_angle)
        hi_angle = np.where(move_low, hi_angle, mid)
    corner_angle = np.where(good_low, lo_angle, hi_angle)
    c_lon, c_lat = forward_km(lon[ring], lat[ring], corner_angle, radius[ring], engine)
    keep = ~bad
    coords = np.concatenate([coords[keep], np.stack([c_lon, c_lat], axis=-1)])
    angle = np.concatenate([angle[keep], np.mod(corner_angle, 360.0)])
    ring_of = np.concatenate([ring_of[keep], ring])
    order = np.lexsort((angle, ring_of))
    offsets = np.concatenate([[0], np.cumsum(np.bincount(ring_of, minlength=offsets.size - 1))])
    return coords[order], angle[order], offsets
