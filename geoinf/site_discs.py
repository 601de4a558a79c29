"""The shape in range of a site: a geodesic disc around a point, a geodesic buffer of an area.

One place for what rings, bands, scenario rings and area sums all need: per site and radius,
:func:`geoinf.rings.disc_polygons` for point sites and :func:`geoinf.geodesic_buffer` for
line or polygon sites. Buffers of areas are kept (keyed by the area's WKB, the radius, the
tolerance and the engine; the :data:`CACHE_SIZE` newest), because one map asks for the same
buffer of an area several times (its rings, its bands, its exposure) and a buffer of a
country costs seconds where a disc costs microseconds.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from .buffers import geodesic_buffer
from .rings import disc_polygons

__all__ = ["CACHE_SIZE", "area_buffers", "site_discs"]

CACHE_SIZE = 256
"""Buffers of areas kept between calls (the newest first out last)."""
_BUFFERS: dict[tuple, object] = {}


def area_buffers(areas: ArrayLike, radius_km: ArrayLike, *, tolerance_km: float = 0.1,
                 engine: str = "auto") -> NDArray[np.object_]:
    """Return :func:`geoinf.geodesic_buffer` of each area at each radius, reusing kept ones.

    ``areas`` and ``radius_km`` are 1-D and of one length; the buffers not kept yet are
    computed in one vectorized call.

    Examples
    --------
    >>> line = shapely.LineString([(20, 50), (21, 51)])
    >>> a, b = area_buffers([line, line], [100, 100])
    >>> a is b, a.geom_type
    (True, 'Polygon')
    """
    areas = np.asarray(areas, dtype=object).ravel()
    radius = np.broadcast_to(np.asarray(radius_km, dtype=float), areas.shape)
    keys = [(w, float(r), float(tolerance_km), engine)
            for w, r in zip(shapely.to_wkb(areas), radius, strict=True)]
    missing = {}
    for i, key in enumerate(keys):
        if key not in _BUFFERS:
            missing.setdefault(key, i)
    if missing:
        first = np.fromiter(missing.values(), dtype=np.intp, count=len(missing))
        done = geodesic_buffer(areas[first], radius[first], tolerance_km=tolerance_km,
                               engine=engine)
        _BUFFERS.update(zip(missing, done, strict=True))
    out = np.empty(len(keys), dtype=object)
    out[:] = [_BUFFERS[k] for k in keys]
    while len(_BUFFERS) > CACHE_SIZE:  # dicts keep insertion order: drop the oldest
        del _BUFFERS[next(iter(_BUFFERS))]
    return out


def site_discs(lon: ArrayLike, lat: ArrayLike, areas: ArrayLike, radius_km: ArrayLike, *,
               tolerance_km: float = 0.1, engine: str = "auto") -> NDArray[np.object_]:
    """Return, per site and radius, the disc around a point site or the buffer of an area.

    Parameters
    ----------
    lon, lat : array_like, shape (n,)
        Site positions (degrees).
    areas : array_like, shape (n,)
        Each site's line or polygon, None for a point site.
    radius_km : array_like, shape (n,) or (n, m)
        Radii (km) per site, or m radii per site.

    Returns
    -------
    ndarray of object, the shape of ``radius_km``

    Examples
    --------
    >>> box = shapely.box(20, 50, 21, 51)
    >>> d = site_discs([0.0, 20.5], [0.0, 50.5], [None, box], [[100, 200], [100, 200]])
    >>> d.shape, bool(d[1, 0].contains(box)), bool(d[0, 1].contains(d[0, 0]))
    ((2, 2), True, True)
    """
    radius = np.asarray(radius_km, dtype=float)
    lon, lat = (np.asarray(x, dtype=float).ravel() for x in (lon, lat))
    area = np.asarray(areas, dtype=object).ravel()
    if radius.ndim == 1:
        radius = radius[:, None]
    per = radius.shape[1]
    flat = radius.ravel()
    lon, lat, area = (np.repeat(x, per) for x in (lon, lat, area))
    has = area != None  # noqa: E711 (elementwise on an object array)
    out = np.empty(flat.size, dtype=object)
    if (~has).any():
        out[~has] = disc_polygons(lon[~has], lat[~has], flat[~has], tolerance_km=tolerance_km,
                                  engine=engine)
    if has.any():
        out[has] = area_buffers(area[has], flat[has], tolerance_km=tolerance_km,
                                engine=engine)
    return out.reshape(np.asarray(radius_km).shape)
