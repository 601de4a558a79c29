"""Exact ellipsoidal distance from points to geodesic segments (the point-to-line problem).

A segment is the shortest geodesic between two vertices on WGS84. The nearest
point ``X`` of its geodesic line to a point ``P`` is where the geodesic ``X -> P``
meets the line at a right angle. It is found as Baselga & Martinez-Llario (2017,
"Intersection and point-to-line solutions for geodesics on the ellipsoid", Stud.
Geophys. Geod. 62) do: from the current foot, one ellipsoidal inverse to ``P``
gives the distance and the angle to the line; the along-track step of the
spherical right triangle moves the foot along the line (one ellipsoidal direct
from the segment's start), until the step is below a micrometre. The fixed point
is the exact ellipsoidal condition (angle 90 degrees), so the sphere only sets
the speed of convergence, not the answer. A foot outside the segment means the
nearest point is a vertex. Numpy arrays in and out, no loop per pair.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .constants import MEAN_RADIUS_KM, WGS84
from .engine import inverse

__all__ = ["segment_distance_km", "line_points", "MAX_ITERATIONS"]

MAX_ITERATIONS = 12
"""Iterations of the foot search; it converges in 3-5 on WGS84 (quadratically near the foot)."""
_STEP_M = 1e-6  # stop when every along-track step is below a micrometre
_R_M = MEAN_RADIUS_KM * 1000.0


def line_points(lon: NDArray, lat: NDArray, azimuth: NDArray, dist_m: NDArray
                ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Solve the direct problem on flat arrays: end points and the forward azimuth there.

    The direct problem runs on pyproj (GeographicLib), which also returns the
    azimuth at the end point; the compiled direct kernel returns positions only.
    """
    lon2, lat2, back = WGS84.fwd(lon, lat, azimuth, dist_m, return_back_azimuth=True)
    forward = (np.asarray(back, dtype=float) + 360.0) % 360.0 - 180.0
    return np.asarray(lon2, dtype=float), np.asarray(lat2, dtype=float), forward


def segment_distance_km(p_lon: NDArray, p_lat: NDArray, a_lon: NDArray, a_lat: NDArray,
                        b_lon: NDArray, b_lat: NDArray, *, engine: str = "pyproj"
                        ) -> NDArray[np.float64]:
    """Return the ellipsoidal distance (km) from points ``P`` to geodesic segments ``A -> B``.

    Flat float arrays of one length; ``engine`` is a resolved engine name for the
    inverse problems (see :func:`geoinf.engine.inverse`).

    Examples
    --------
    >>> import numpy as np
    >>> d = segment_distance_km(*(np.array([v]) for v in (5.0, 1.0, 0.0, 0.0, 10.0, 0.0)))
    >>> print(f"{d[0]:.3f}")  # one degree of meridian north of the equator
    110.574
    """
    args = [np.ascontiguousarray(a, dtype=float) for a in
            (p_lon, p_lat, a_lon, a_lat, b_lon, b_lat)]
    p_lon, p_lat, a_lon, a_lat, b_lon, b_lat = args
    az_a, _, length = inverse(a_lon, a_lat, b_lon, b_lat, engine=engine)
    _, _, to_a = inverse(p_lon, p_lat, a_lon, a_lat, engine=engine)
    _, _, to_b = inverse(p_lon, p_lat, b_lon, b_lat, engine=engine)
    best = np.minimum(to_a, to_b)
    foot = _foot_along(p_lon, p_lat, a_lon, a_lat, az_a, length, engine)
    inside = np.flatnonzero((foot > 0.0) & (foot < length))
    if inside.size:
        x_lon, x_lat, _ = line_points(a_lon[inside], a_lat[inside], az_a[inside], foot[inside])
        _, _, to_x = inverse(p_lon[inside], p_lat[inside], x_lon, x_lat, engine=engine)
        best[inside] = np.minimum(best[inside], to_x)
    return best / 1000.0


def _foot_along(p_lon, p_lat, a_lon, a_lat, az_a, length, engine) -> NDArray[np.float64]:
    """Distance (m) from ``A`` along its line to the foot of the perpendicular from ``P``.

    Iterates only the pairs whose foot can be inside the segment; the others get -1.
    """
    s = np.zeros(p_lon.size)
    todo = np.flatnonzero(length > 0.0)
    x_lon, x_lat, x_az = a_lon[todo], a_lat[todo], az_a[todo]
    for _ in range(MAX_ITERATIONS):
        if todo.size == 0:
            break
        to_p, _, d = inverse(x_lon, x_lat, p_lon[todo], p_lat[todo], engine=engine)
        angle = np.radians(to_p - x_az)
        sigma = d / _R_M
        step = _R_M * np.arctan2(np.sin(sigma) * np.cos(angle), np.cos(sigma))
        s[todo] += step
        # a foot well outside the segment (and the others once converged) stop here
        going = (np.abs(step) > _STEP_M) & (s[todo] > -0.01 * length[todo]) \
            & (s[todo] < 1.01 * length[todo])
        todo = todo[going]
        if todo.size:
            x_lon, x_lat, x_az = line_points(a_lon[todo], a_lat[todo], az_a[todo], s[todo])
    return s
