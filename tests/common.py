"""Named test sites, defined once (as in shapely's tests/common.py)."""

from __future__ import annotations

from typing import NamedTuple


class Case(NamedTuple):
    lon: float
    lat: float
    radius_km: float
    north: bool  # the disc contains the North Pole
    south: bool  # the disc contains the South Pole
    crosses: bool  # the disc crosses the antimeridian (and so is split there)


DEVESELU = (24.4164, 44.0772)
REDZIKOWO = (17.1075, 54.4789)
KAMYSHLOV = (62.7167, 56.85)

CASES = {
    "deveselu-500": Case(*DEVESELU, 500, False, False, False),
    "deveselu-1000": Case(*DEVESELU, 1000, False, False, False),
    "deveselu-5500": Case(*DEVESELU, 5500, True, False, False),
    "redzikowo-5500": Case(*REDZIKOWO, 5500, True, False, False),
    "kamyshlov-5500": Case(*KAMYSHLOV, 5500, True, False, False),
    "anadyr-500": Case(177.5, 64.73, 500, False, False, True),
    "fiji-1000": Case(-179.9, -17.8, 1000, False, False, True),
    "mcmurdo-2000": Case(166.67, -77.85, 2000, False, True, False),
    "north-pole-800": Case(0.0, 90.0, 800, True, False, False),
    "south-pole-300": Case(45.0, -90.0, 300, False, True, False),
    "both-poles-15000": Case(*DEVESELU, 15000, True, True, False),
    "tiny-1": Case(*DEVESELU, 1, False, False, False),
    "on-antimeridian-3000": Case(180.0, 0.0, 3000, False, False, True),
}
