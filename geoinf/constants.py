"""The WGS84 ellipsoid and the package's size limits: each defined once, here.

Every other module derives its values from these. Distances are kilometres.
"""

from __future__ import annotations

import math

from pyproj import Geod

__all__ = [
    "WGS84",
    "A_KM",
    "F",
    "E2",
    "MEAN_RADIUS_KM",
    "ANTIPODAL_KM",
    "MEAN_KM_PER_DEG",
    "MAX_VERTICES",
    "SUMMARY_SITES",
]

WGS84 = Geod(ellps="WGS84")
"""The WGS84 ellipsoid (GeographicLib through pyproj); immutable module constant."""

A_KM: float = WGS84.a / 1000.0
"""WGS84 equatorial radius, km (6378.137)."""

F: float = WGS84.f
"""WGS84 flattening (1 / 298.257223563)."""

E2: float = WGS84.es
"""WGS84 first eccentricity squared, ``f (2 - f)``."""

MEAN_RADIUS_KM: float = 6371.0088
"""Mean radius of WGS84 (IUGG R1 = (2a + b) / 3), km: the sphere of error estimates."""

ANTIPODAL_KM: float = WGS84.inv(0.0, 0.0, 180.0, 0.0)[2] / 1000.0
"""Distance from any point to its antipode on WGS84 (half a meridian), ~20,003.93 km."""

MEAN_KM_PER_DEG: float = math.pi / 180.0 * MEAN_RADIUS_KM
"""Kilometres per degree of arc on the mean-radius sphere (used only for error estimates)."""

MAX_VERTICES: int = 50_000_000
"""Most ring vertices one call computes: more would not fit comfortably in memory."""

SUMMARY_SITES: int = 62
"""Most sites whose pattern per place is one int64 key (bit j for site j, sign bit unused)."""
