"""Both geodesic engines against Karney's GeodTest set (tests/data/geodtest/README.md).

GeographicLib solves the geodesics of this set to about 15 nm in double precision;
pyproj (PROJ's copy of GeographicLib) and the compiled kernels must do the same on
the 2,000-line sample: distances within 15 nm of the file, end points of the direct
problem within 15 nm, and azimuths within the angle that moves an end point by
15 nm (the azimuth error times the reduced length ``m12``, the file's column 9; near
the antipode and at the poles the azimuth itself is ill-conditioned).
"""

import gzip
from pathlib import Path

import numpy as np
import pytest

from geoinf.geodesic import WGS84

DATA = Path(__file__).parent / "data" / "geodtest" / "GeodTest-short-every5th.dat.gz"
TOL_M = 1.5e-8  # GeographicLib's accuracy in double precision: 15 nm


def _load():
    with gzip.open(DATA, "rt") as f:
        return np.loadtxt(f)


GEODTEST = _load()
LAT1, LON1, AZI1, LAT2, LON2, AZI2, S12, A12, M12, S12_AREA = GEODTEST.T


def _compiled():
    pytest.importorskip("numba", reason="numba is not installed: the compiled engine is off")
    from geoinf.engine import compiled_kernels

    return compiled_kernels().inverse


def _inverse(engine):
    """Return (azi1, azi2 forward at point 2, s12, ok) of every line on ``engine``."""
    if engine == "pyproj":
        az12, az21, s = (np.asarray(x) for x in WGS84.inv(LON1, LAT1, LON2, LAT2))
        ok = np.ones(s.size, dtype=bool)
    else:
        az12, az21, s, ok = _compiled().inverse(LON1, LAT1, LON2, LAT2)
    return az12, np.where(az21 > 0.0, az21 - 180.0, az21 + 180.0), s, ok


def _angle_m(a, b):
    """Angle between azimuths ``a`` and ``b`` (degrees) times |m12|: metres at the far end."""
    return np.radians(np.abs((a - b + 180.0) % 360.0 - 180.0)) * np.abs(M12)


def _separation_m(lon, lat):
    """Distance (m) of points from the file's second points."""
    return np.asarray(WGS84.inv(lon, lat, LON2, LAT2)[2])


def test_the_sample_covers_every_category():
    assert GEODTEST.shape == (2000, 10)
    assert (LON1 == 0).all()
    assert (S12[600:800] < 1200.0).all()  # short lines
    assert (S12[400:600] > 19_800e3).all()  # nearly antipodal
    assert (np.abs(LAT1[800:1000]) > 89.9).all()  # one end near a pole
    assert (AZI1[1600:1800] == 90.0).all()  # between vertices


@pytest.mark.parametrize("engine", ["pyproj", "numba"])
def test_inverse_distances_within_15_nm(engine):
    _, _, s, ok = _inverse(engine)
    assert ok.all()  # nothing declined, antipodal lines included
    assert np.abs(s - S12).max() <= TOL_M


@pytest.mark.parametrize("engine", ["pyproj", "numba"])
def test_inverse_azimuths_within_15_nm_at_the_far_end(engine):
    az1, az2, _, _ = _inverse(engine)
    assert _angle_m(az1, AZI1).max() <= TOL_M
    assert _angle_m(az2, AZI2).max() <= TOL_M
    well = np.abs(M12) > 1e3  # well-conditioned azimuths: within 1e-10 degrees
    assert np.abs((az1 - AZI1 + 180.0) % 360.0 - 180.0)[well].max() < 1e-10


def test_compiled_inverse_agrees_with_pyproj_within_twice_15_nm():
    az1, az2, s, _ = _inverse("numba")
    p1, p2, ps, _ = _inverse("pyproj")
    assert np.abs(s - ps).max() <= 2 * TOL_M
    assert _angle_m(az1, p1).max() <= 2 * TOL_M
    assert _angle_m(az2, p2).max() <= 2 * TOL_M


@pytest.mark.parametrize("engine", ["pyproj", "numba"])
def test_direct_end_points_within_15_nm(engine):
    lon, lat = np.zeros(S12.size), LAT1.copy()
    if engine == "pyproj":
        lon, lat, _ = WGS84.fwd(lon, lat, AZI1, S12)
    else:
        _compiled()
        from geoinf.engine import forward

        forward(lon, lat, AZI1.copy(), S12.copy(), engine="numba")
    assert _separation_m(lon, lat).max() <= TOL_M
