"""Geodesic circles on the WGS84 ellipsoid: vertices, distances, input checks.

Numpy arrays in, numpy arrays out. Distances are kilometres in the API and metres
only where a solver is called. Each function takes ``engine=`` (see
:func:`geoinf.engine.resolve_engine`): pyproj's ``Geod`` (GeographicLib), or its
compiled port behind :mod:`geoinf.engine`; they agree to well under a micrometre.

A *ring* is the boundary of a geodesic disc: the points at ellipsoidal distance
``radius_km`` from a centre. :func:`ring_vertices` samples it at uniform
azimuths; :func:`geoinf.densify.ring_boundaries` adds vertices only where needed
so that every point of the boundary read as straight edges in lon/lat (as
shapely, geopandas and GeoJSON read it) lies within ``tolerance_km`` of the true
circle.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _validate
from .constants import ANTIPODAL_KM, MAX_VERTICES, WGS84
from .engine import compiled_vertices, forward, inverse, resolve_engine
from .errors import InputError

__all__ = [
    "distance_km",
    "pole_distances_km",
    "ring_vertices",
    "validate_circles",
    "validate_points",
    "validate_vertices",
    "forward_km",
    "wrap180",
]


def distance_km(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike,
                lat2: ArrayLike, *, engine: str = "auto") -> NDArray[np.float64] | float:
    """Return ellipsoidal (WGS84) distances in kilometres.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : float or array_like
        Points in degrees (longitudes in [-180, 180], latitudes in [-90, 90], as for
        :func:`validate_circles`); broadcast against each other.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Geodesic solver (see :func:`geoinf.engine.resolve_engine`). The compiled
        inverse leaves the pairs it cannot settle to pyproj
        (:func:`geoinf.engine.inverse`). Both engines take the same inputs and agree
        to well under a micrometre.

    Returns
    -------
    float or ndarray
        Geodesic distance in km (a float when every input is a scalar).

    Raises
    ------
    InputError
        For a non-numeric, non-finite or out-of-range coordinate, or shapes that do
        not broadcast; the same on both engines.

    Examples
    --------
    >>> print(f"{distance_km(24.41, 44.08, 13.40, 52.52):.1f}")  # Deveselu to Berlin
    1241.4
    >>> distance_km(24.41, 95.0, 13.40, 52.52)
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: lat1=95 is outside [-90, 90]
    """
    flat, shape = validate_points(lon1=lon1, lat1=lat1, lon2=lon2, lat2=lat2)
    _, _, dist = inverse(*flat, engine=resolve_engine(engine, work=flat[0].size))
    out = dist.reshape(shape) / 1000.0
    return float(out) if out.ndim == 0 else out


def validate_points(**coords: ArrayLike) -> tuple[list[NDArray[np.float64]], tuple[int, ...]]:
    """Check and broadcast named longitudes and latitudes; return flat arrays and the shape.

    A name starting with ``lon`` must hold longitudes in [-180, 180], one starting
    with ``lat`` latitudes in [-90, 90] (the ranges of :func:`validate_circles`).

    Examples
    --------
    >>> flat, shape = validate_points(lon=[1, 2], lat=3)
    >>> [a.tolist() for a in flat], shape
    ([[1.0, 2.0], [3.0, 3.0]], (2,))
    >>> validate_points(lon=540, lat=0)
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: lon=540 is outside [-180, 180]
    """
    arrays = {}
    for name, value in coords.items():
        limit = 180.0 if name.startswith("lon") else 90.0
        arrays[name] = _validate.numbers(value, name, lo=-limit, hi=limit)
    return list(_validate.broadcast(**arrays)), _validate.broadcast_shape(**arrays)


def pole_distances_km(lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the distances from latitudes to the North and South Poles in km.

    Parameters
    ----------
    lat : array_like
        Latitudes in degrees, in [-90, 90].

    Returns
    -------
    (ndarray, ndarray)
        Meridian distance to the North Pole and to the South Pole.

    Examples
    --------
    >>> n, s = pole_distances_km([44.08])
    >>> print(f"{n[0]:.0f} {s[0]:.0f}")
    5119 14885
    """
    lat = np.atleast_1d(_validate.numbers(lat, "lat", lo=-90, hi=90)).ravel()
    unique, back = np.unique(lat, return_inverse=True)  # sites repeat, one per radius
    zero = np.zeros_like(unique)
    _, _, to_north = WGS84.inv(zero, unique, zero, np.full_like(unique, 90.0))
    _, _, to_south = WGS84.inv(zero, unique, zero, np.full_like(unique, -90.0))
    return np.asarray(to_north)[back] / 1000.0, np.asarray(to_south)[back] / 1000.0


def validate_circles(lon: ArrayLike, lat: ArrayLike, radius_km: ArrayLike, *,
                     radius_name: str = "radius_km") -> tuple[NDArray[np.float64], ...]:
    """Broadcast and check centres and radii; return flat float arrays.

    Parameters
    ----------
    lon, lat : float or array_like
        Centres in degrees.
    radius_km : float or array_like
        Radii in kilometres.
    radius_name : str, default "radius_km"
        Name used for the radius in error messages.

    Returns
    -------
    (lon, lat, radius_km) : tuple of 1-d ndarray
        Flattened broadcast arrays.

    Raises
    ------
    InputError
        Naming the first bad value and what was expected.

    Examples
    --------
    >>> validate_circles(24.4, 44.1, [500, 1000])[2]
    array([ 500., 1000.])
    >>> validate_circles(24.4, 97.0, 500)
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: lat=97 is outside [-90, 90]
    """
    lon, lat, radius = (_validate.floats(value, name) for value, name in
                        ((lon, "lon"), (lat, "lat"), (radius_km, radius_name)))
    lon, lat, radius = _validate.broadcast(lon=lon, lat=lat, **{radius_name: radius})
    _first_bad(lon, ~(np.isfinite(lon) & (np.abs(lon) <= 180)), "lon", "inside [-180, 180]")
    _first_bad(lat, ~(np.isfinite(lat) & (np.abs(lat) <= 90)), "lat", "inside [-90, 90]")
    _first_bad(radius, ~np.isfinite(radius), radius_name, "a finite number of kilometres")
    _first_bad(radius, radius <= 0, radius_name, "greater than 0 km")
    _first_bad(radius, radius >= ANTIPODAL_KM, radius_name,
               f"below the antipodal distance of {ANTIPODAL_KM:,.2f} km")
    return lon, lat, radius


def _first_bad(values: NDArray, bad: NDArray[np.bool_], name: str, expected: str) -> None:
    if bad.any():
        value = values[np.argmax(bad)]
        where = "is outside" if expected.startswith("inside") else "is not"
        what = expected.removeprefix("inside ")
        raise InputError(f"{name}={value:g} {where} {what}")


def ring_vertices(lon: ArrayLike, lat: ArrayLike, radius_km: ArrayLike, *,
                  n_vertices: int = 360, engine: str = "auto") -> NDArray[np.float64]:
    """Return the vertices of geodesic circles on the WGS84 ellipsoid.

    One :meth:`pyproj.Geod.fwd` call on flat arrays, no loop per circle; or one
    compiled call, which also sets up each geodesic line once for consecutive
    circles with the same centre (several radii of one site).

    Parameters
    ----------
    lon, lat : float or array_like
        Centres in degrees; broadcast against ``radius_km``.
    radius_km : float or array_like
        Geodesic radius in kilometres, greater than 0 and below the antipodal distance.
    n_vertices : int, default 360
        Vertices per circle, at azimuths ``0, -360/n, -2*360/n, …`` from north:
        counter-clockwise in lon/lat (the RFC 7946 exterior orientation) for a
        disc around neither pole; the ring is not closed.
    engine : {"auto", "pyproj", "numba"}, default "auto"
        Geodesic solver (see :func:`geoinf.engine.resolve_engine`).

    Returns
    -------
    ndarray of shape (n, n_vertices, 2)
        Longitude in [-180, 180] and latitude in degrees, one row per broadcast circle.

    Examples
    --------
    >>> v = ring_vertices(24.41, 44.08, 500, n_vertices=4)
    >>> v.shape
    (1, 4, 2)
    >>> print(f"{distance_km(24.41, 44.08, *v[0, 1]):.6f}")
    500.000000
    """
    lon, lat, radius = validate_circles(lon, lat, radius_km)
    n_vertices = validate_vertices(n_vertices, lon.size)
    if resolve_engine(engine, work=lon.size * n_vertices) == "numba":
        out = np.empty((lon.size, n_vertices, 2))
        compiled_vertices(lon, lat, radius, n_vertices, out.reshape(-1, 2),
                          np.arange(lon.size) * n_vertices)
        return out
    # A geodesic circle on an ellipsoid of revolution is symmetric about the centre's
    # meridian: solve angles 0..180 degrees and mirror the rest (half the work).
    n, half = lon.size, n_vertices // 2 + 1
    angle = np.arange(half) * (360.0 / n_vertices)
    vlon, vlat = forward_km(np.repeat(lon, half), np.repeat(lat, half),
                            np.tile(angle, n), np.repeat(radius, half))
    out = np.empty((n, n_vertices, 2))
    out[:, :half, 0] = vlon.reshape(n, half)
    out[:, :half, 1] = vlat.reshape(n, half)
    mirror = n_vertices - np.arange(half, n_vertices)  # vertex i mirrors vertex n - i
    out[:, half:, 0] = wrap180(2.0 * lon[:, None] - out[:, mirror, 0])
    out[:, half:, 1] = out[:, mirror, 1]
    return out


def validate_vertices(n_vertices: int, n_circles: int = 1) -> int:
    """Check a number of vertices per ring (3 or more, the job within memory); return it.

    Examples
    --------
    >>> validate_vertices(360.0)
    360
    >>> validate_vertices(2)
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: n_vertices=2 is too small; expected 3 or more
    """
    k = _validate.count(n_vertices, "n_vertices")
    if k < 3:
        raise InputError(f"n_vertices={k} is too small; expected 3 or more")
    if n_circles * k > MAX_VERTICES:
        raise InputError(f"{n_circles:,} circles x {k} vertices is more than "
                         f"{MAX_VERTICES:,} vertices; split the job into smaller batches")
    return k


def forward_km(lon: NDArray, lat: NDArray, angle: NDArray, dist_km: NDArray,
               engine: str = "pyproj") -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Solve the direct geodesic problem on flat arrays (the swappable vertex generator).

    ``angle`` is measured counter-clockwise from north (minus the azimuth), so that
    increasing angles trace a ring counter-clockwise in lon/lat. ``lon`` and ``lat``
    must be float64 arrays the caller owns: they are overwritten with the result.
    ``engine`` is a resolved engine name (``"pyproj"`` or ``"numba"``).
    """
    return forward(lon, lat, np.negative(angle), dist_km * 1000.0, engine=engine)


def wrap180(x: NDArray) -> NDArray:
    """Wrap angles in degrees to [-180, 180)."""
    return (x + 180.0) % 360.0 - 180.0
