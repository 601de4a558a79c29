"""Geodesic curves of a buffer's boundary, sampled until straight lon/lat edges follow them.

Every curve a buffer's boundary is made of is one family, parametrised by
``u`` in [0, 1]: from a base point ``A`` with azimuth ``az``, walk ``s(u)`` metres
along the geodesic to ``X``, turn by ``phi(u)`` degrees from the geodesic's
azimuth at ``X`` and walk ``t(u)`` metres (``s, phi, t`` linear in ``u``). With
``s = 0`` and ``t = r`` it is a circular arc around ``A``; with ``phi = ±90`` and
``t = r`` an offset curve of the edge (the points at distance ``r`` along the
perpendiculars); with ``s = 0`` and ``t`` from 0 to ``r`` a geodesic ray.

:func:`sample_curves` starts from a few samples per curve and bisects every
interval whose straight lon/lat chord (unwrapped across ±180°) misses the curve
at the interval's middle by more than half the tolerance, all curves at once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from .engine import compiled_curve_points, compiled_curve_samples, inverse
from .segment_distance import line_points

__all__ = ["Curves", "curve_points", "sample_curves", "coarse_points", "subset"]

_MAX_LEVELS = 40  # bisections of u: 2**-40 of a curve is far below any tolerance
_CHECK = 0.5  # accept an interval when its mid-chord miss is below this fraction of tolerance


class Curves(NamedTuple):
    """Curves of the family above (flat arrays, one entry per curve; metres, degrees)."""

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    az: NDArray[np.float64]
    s0: NDArray[np.float64]
    s1: NDArray[np.float64]
    phi0: NDArray[np.float64]
    phi1: NDArray[np.float64]
    t0: NDArray[np.float64]
    t1: NDArray[np.float64]
    n0: NDArray[np.intp]  # initial number of intervals


def curve_points(c: Curves, k: NDArray[np.intp], u: NDArray[np.float64], *,
                 engine: str = "pyproj") -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return lon, lat of curves ``k`` at parameters ``u`` (flat arrays).

    ``engine`` is a resolved engine name: pyproj's direct problem, or the compiled one.
    """
    if engine == "numba":
        return compiled_curve_points(c, k, u)
    s = c.s0[k] + u * (c.s1[k] - c.s0[k])
    lon, lat, az = c.lon[k].copy(), c.lat[k].copy(), c.az[k].copy()
    moved = np.flatnonzero(s != 0.0)
    if moved.size:
        lon[moved], lat[moved], az[moved] = line_points(lon[moved], lat[moved], az[moved],
                                                        s[moved])
    phi = c.phi0[k] + u * (c.phi1[k] - c.phi0[k])
    t = c.t0[k] + u * (c.t1[k] - c.t0[k])
    out_lon, out_lat = lon.copy(), lat.copy()
    far = np.flatnonzero(t != 0.0)
    if far.size:
        out_lon[far], out_lat[far], _ = line_points(lon[far], lat[far], az[far] + phi[far],
                                                    t[far])
    return out_lon, out_lat


def _miss_km(lon_a, lat_a, lon_b, lat_b, lon_m, lat_m, engine) -> NDArray[np.float64]:
    """Distance (km) from the curve's middle point to the middle of the lon/lat chord."""
    step = (lon_b - lon_a + 180.0) % 360.0 - 180.0
    c_lon = (lon_a + step / 2.0 + 180.0) % 360.0 - 180.0
    c_lat = (lat_a + lat_b) / 2.0
    _, _, d = inverse(lon_m, lat_m, c_lon, c_lat, engine=engine)
    return d / 1000.0


def sample_curves(c: Curves, tolerance_km: float | NDArray[np.float64], *,
                  engine: str = "pyproj") -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Sample every curve densely enough for ``tolerance_km`` (one, or one per curve).

    Returns points and offsets.

    Curve ``k``'s samples, from ``u = 0`` to ``u = 1`` inclusive, are
    ``xy[offsets[k]:offsets[k + 1]]`` (lon, lat). With the compiled engine each
    curve is bisected in one compiled pass (the same rule).
    """
    if engine == "numba":
        return compiled_curve_samples(c, _CHECK * np.asarray(tolerance_km, dtype=float),
                                      _MAX_LEVELS)
    n = c.lon.size
    limit_km = _CHECK * np.broadcast_to(np.asarray(tolerance_km, dtype=float), (n,))
    k = np.repeat(np.arange(n), c.n0)
    j = np.arange(k.size) - np.repeat(np.cumsum(c.n0) - c.n0, c.n0)
    ua = j / c.n0[k]
    ub = (j + 1) / c.n0[k]
    la = curve_points(c, k, ua)
    lb = curve_points(c, k, ub)
    kept_k, kept_u, kept_lon, kept_lat = [np.arange(n)], [np.ones(n)], [], []
    end = curve_points(c, np.arange(n), np.ones(n))
    kept_lon.append(end[0])
    kept_lat.append(end[1])
    for _ in range(_MAX_LEVELS):
        if k.size == 0:
            break
        um = (ua + ub) / 2.0
        lm = curve_points(c, k, um)
        bad = _miss_km(*la, *lb, *lm, engine) > limit_km[k]
        good = ~bad
        kept_k.append(k[good])
        kept_u.append(ua[good])
        kept_lon.append(la[0][good])
        kept_lat.append(la[1][good])
        k = np.concatenate([k[bad], k[bad]])
        la, lb = ((np.concatenate([la[0][bad], lm[0][bad]]),
                   np.concatenate([la[1][bad], lm[1][bad]])),
                  (np.concatenate([lm[0][bad], lb[0][bad]]),
                   np.concatenate([lm[1][bad], lb[1][bad]])))
        ua, ub = np.concatenate([ua[bad], um[bad]]), np.concatenate([um[bad], ub[bad]])
    if k.size:  # out of levels: keep what there is
        kept_k.append(k)
        kept_u.append(ua)
        kept_lon.append(la[0])
        kept_lat.append(la[1])
    kk, uu = np.concatenate(kept_k), np.concatenate(kept_u)
    order = np.lexsort((uu, kk))
    xy = np.stack([np.concatenate(kept_lon)[order], np.concatenate(kept_lat)[order]], axis=1)
    offsets = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(np.bincount(kk, minlength=n), out=offsets[1:])
    return xy, offsets


def subset(c: Curves, k: NDArray[np.intp]) -> Curves:
    """Return the curves ``k`` of ``c``."""
    return Curves(*(f[k] for f in c))


def coarse_points(c: Curves, *, engine: str = "pyproj"
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp]]:
    """Return lon, lat at ``u = j / n0`` (``j = 0 … n0``) of every curve and the curve of each."""
    n1 = c.n0 + 1
    k = np.repeat(np.arange(c.lon.size), n1)
    j = np.arange(k.size) - np.repeat(np.cumsum(n1) - n1, n1)
    lon, lat = curve_points(c, k, j / c.n0[k], engine=engine)
    return lon, lat, k
