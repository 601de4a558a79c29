"""Compiled (numba) inverse geodesic problem on WGS84: distances and azimuths.

An optional engine, imported only when numba is installed (``pip install
"geoinf[speedups]"``) and :func:`geoinf.engine.resolve_engine` picks numba;
pyproj stays the reference.

Method. GeographicLib's inverse solution (``Geodesic::GenInverse``) transcribed
into numba: C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87, 43-55
(2013), https://doi.org/10.1007/s00190-012-0578-z, as implemented in
GeographicLib's Python reference (``geographiclib/geodesic.py`` 2.x) and C library
(``geodesic.c``, the one inside PROJ's ``geod_inverse`` and so inside
:meth:`pyproj.Geod.inv`), Copyright (c) Charles Karney 2011-2022, MIT/X11 licence,
https://geographiclib.sourceforge.io/. The end points are brought to a canonical
form (``lat1 <= 0``, ``|lat2| <= |lat1|``, ``0 <= lon12 <= 180``); meridional and
equatorial geodesics are solved directly; otherwise Newton's method on the azimuth
at the first point, from a spherical start, or near the antipode from the astroid
start of Karney (2013, sec. 5), with GeographicLib's bracketing and bisection
fallback and tolerances (``eps``, ``200 eps``, ``sqrt(eps)``). One departure:
where the last two Newton steps show that the next one lands within eps of the root
(:func:`_step_is_last`), that step is taken and the distance follows to first order,
instead of a last evaluation that only confirms it (GeographicLib's usual third).
So every pair is solved, antipodal ones included, with GeographicLib's accuracy
(about 15 nm; ``tests/test_geodtest.py`` checks Karney's GeodTest set at 15 nm).
Non-finite coordinates and latitudes outside [-90, 90] give NaN.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .series import _A, _B, _DEG, _EP2, _F, _F1, _N
from .series import INLINE as _INLINE
from .series import JIT as _JIT
from .series import a1m1_c1 as _a1m1_c1
from .series import a2m1_c2 as _a2m1_c2
from .series import a3_c3 as _a3_c3
from .series import ang_diff as _ang_diff
from .series import ang_round as _ang_round
from .series import astroid as _astroid
from .series import atan2d_libm as _atan2d
from .series import eps_of as _eps_of
from .series import norm as _norm
from .series import sin_series5 as _series5
from .series import sin_series6 as _series6
from .series import sincos_small as _sincos_small
from .series import sincosd as _sincosd
from .series import sincosde as _sincosde

__all__ = ["inverse", "reduced", "solve_pair", "contiguous"]

# GeographicLib's tolerances (geodesic.c, Geodesic.cpp)
_TINY = math.sqrt(np.finfo(float).tiny)
_TOL0 = float(np.finfo(float).eps)
_TOL1 = 200.0 * _TOL0
_TOL2 = math.sqrt(_TOL0)
_TOLB = _TOL0  # on the bisection interval (GeographicLib 2.x; tol0 * tol2 before)
_XTHRESH = 1000.0 * _TOL2
_MAXIT1 = 20
_MAXIT2 = _MAXIT1 + 53 + 10  # 53 = digits of a double
# sig12 below which a line is "really short": the spherical solution at the mean
# latitude is exact to eps (0.1 is GeographicLib's safety factor)
_ETOL2 = 0.1 * _TOL2 / math.sqrt(max(0.001, abs(_F)) * min(1.0, 1.0 - _F / 2.0) / 2.0)


@njit(**_INLINE)
def reduced(lat):
    """Return the rounded latitude and its reduced latitude: (lat, sin beta, cos beta).

    ``cos beta`` is at least tiny (at the poles). Odd in ``lat``, exactly, so the
    canonical form of :func:`solve_pair` only flips signs.
    """
    lat = _ang_round(lat)
    sb, cb = _sincosd(lat)
    sb, cb = _norm(_F1 * sb, cb)
    return lat, sb, max(_TINY, cb)


@njit(**_INLINE)
def _distance_b(eps, sig12, ssig1, csig1, ssig2, csig2):
    """Distance / b along the geodesic: ``A1 (sigma12 + B1)`` (Lengths, DISTANCE)."""
    a1m1, c1, c2, c3, c4, c5, c6 = _a1m1_c1(eps)
    b1 = (_series6(ssig2, csig2, c1, c2, c3, c4, c5, c6)
          - _series6(ssig1, csig1, c1, c2, c3, c4, c5, c6))
    return (1.0 + a1m1) * (sig12 + b1)


@njit(**_INLINE)
def _reduced_length_b(eps, sig12, ssig1, csig1, dn1, ssig2, csig2, dn2):
    """Reduced length / b, ``m12 / b`` (Lengths with REDUCEDLENGTH only)."""
    a1m1, c11, c12, c13, c14, c15, c16 = _a1m1_c1(eps)
    a2m1, c21, c22, c23, c24, c25, c26 = _a2m1_c2(eps)
    a1, a2 = 1.0 + a1m1, 1.0 + a2m1
    d1, d2, d3 = a1 * c11 - a2 * c21, a1 * c12 - a2 * c22, a1 * c13 - a2 * c23
    d4, d5, d6 = a1 * c14 - a2 * c24, a1 * c15 - a2 * c25, a1 * c16 - a2 * c26
    j12 = (a1m1 - a2m1) * sig12 + (_series6(ssig2, csig2, d1, d2, d3, d4, d5, d6)
                                   - _series6(ssig1, csig1, d1, d2, d3, d4, d5, d6))
    return dn2 * (csig1 * ssig2) - dn1 * (ssig1 * csig2) - csig1 * csig2 * j12


@njit(**_INLINE)
def _azimuth2(sbet1, cbet1, sbet2, cbet2, salp1, calp1):
    """Azimuth (sin, cos) where the line leaving at alpha1 meets beta2 (Clairaut; Lambda12).

    The symmetric case ``|beta2| = -beta1`` is exact: it would make Newton singular.
    """
    salp2 = salp1 * cbet1 / cbet2 if cbet2 != cbet1 else salp1
    if cbet2 == cbet1 and abs(sbet2) == -sbet1:
        return salp2, abs(calp1)
    dbet = ((cbet2 - cbet1) * (cbet1 + cbet2) if cbet1 < -sbet1
            else (sbet1 - sbet2) * (sbet1 + sbet2))
    return salp2, math.sqrt((calp1 * cbet1) ** 2 + dbet) / cbet2


@njit(**_INLINE)
def _lambda12(sbet1, cbet1, sbet2, cbet2, salp1, calp1, slam120, clam120):
    """Solve the hybrid problem: longitude error ``v`` of the line leaving at alpha1 (Lambda12).

    Returns (v, salp2, calp2, sig12, ssig1, csig1, ssig2, csig2, eps); the derivative
    ``d v / d alpha1`` is :func:`_dlambda12`, computed only where Newton needs it.
    """
    if sbet1 == 0.0 and calp1 == 0.0:
        calp1 = -_TINY  # break the degeneracy of the equatorial line
    salp0 = salp1 * cbet1
    ssig1, somg1 = sbet1, salp0 * sbet1
    csig1 = comg1 = calp1 * cbet1
    salp2, calp2 = _azimuth2(sbet1, cbet1, sbet2, cbet2, salp1, calp1)
    ssig2, somg2 = sbet2, salp0 * sbet2
    csig2 = comg2 = calp2 * cbet2
    # sigma12 and omega12 from the vectors before normalization (atan2 takes any
    # positive scale): the two atan2 need not wait for the square roots
    sig12 = math.atan2(max(0.0, csig1 * ssig2 - ssig1 * csig2) + 0.0,
                       csig1 * csig2 + ssig1 * ssig2)
    somg12 = max(0.0, comg1 * somg2 - somg1 * comg2) + 0.0
    comg12 = comg1 * comg2 + somg1 * somg2
    eta = math.atan2(somg12 * clam120 - comg12 * slam120, comg12 * clam120 + somg12 * slam120)
    ssig1, csig1 = _norm(ssig1, csig1)
    ssig2, csig2 = _norm(ssig2, csig2)
    # eps from cos^2(alpha0) = calp1^2 + (salp1 sbet1)^2, without its square root
    k2 = (calp1 * calp1 + (salp1 * sbet1) ** 2) * _EP2
    eps = k2 / (2.0 * (1.0 + math.sqrt(1.0 + k2)) + k2)
    a3, d1, d2, d3, d4, d5 = _a3_c3(eps)
    b312 = (_series5(ssig2, csig2, d1, d2, d3, d4, d5)
            - _series5(ssig1, csig1, d1, d2, d3, d4, d5))
    v = eta - _F * a3 * salp0 * (sig12 + b312)
    return v, salp2, calp2, sig12, ssig1, csig1, ssig2, csig2, eps


@njit(**_INLINE)
def _dlambda12(sbet1, cbet2, dn1, dn2, calp2, sig12, ssig1, csig1, ssig2, csig2, eps):
    """Return ``d v / d alpha1`` of :func:`_lambda12` at its solution (Lambda12, diffp)."""
    if calp2 == 0.0:
        return -2.0 * _F1 * dn1 / sbet1
    return (_reduced_length_b(eps, sig12, ssig1, csig1, dn1, ssig2, csig2, dn2)
            * _F1 / (calp2 * cbet2))


@njit(**_JIT)
def _inverse_start(sbet1, cbet1, sbet2, cbet2, lam12, slam12, clam12):
    """Return the start of Newton's method (InverseStart), or the solution of a short line.

    Returns (sig12, salp1, calp1, salp2, calp2, dnm): ``sig12 >= 0`` for a really
    short line, solved on the sphere at the mean latitude; otherwise ``sig12 = -1``
    and (salp1, calp1) starts Newton: spherical, or near the antipode the astroid
    estimate (Karney 2013, sec. 5).
    """
    sig12, salp2, calp2, dnm = -1.0, math.nan, math.nan, math.nan
    sbet12 = sbet2 * cbet1 - cbet2 * sbet1  # bet2 - bet1 in [0, pi)
    cbet12 = cbet2 * cbet1 + sbet2 * sbet1
    sbet12a = sbet2 * cbet1
    sbet12a += cbet2 * sbet1  # bet2 + bet1 in (-pi, 0]
    shortline = cbet12 >= 0.0 and sbet12 < 0.5 and cbet2 * lam12 < 0.5
    if shortline:
        sbetm2 = (sbet1 + sbet2) ** 2
        sbetm2 /= sbetm2 + (cbet1 + cbet2) ** 2
        dnm = math.sqrt(1.0 + _EP2 * sbetm2)
        omg12 = lam12 / (_F1 * dnm)
        somg12, comg12 = math.sin(omg12), math.cos(omg12)
    else:
        somg12, comg12 = slam12, clam12
    salp1 = cbet2 * somg12
    if comg12 >= 0.0:
        calp1 = sbet12 + cbet2 * sbet1 * (somg12 * somg12) / (1.0 + comg12)
    else:
        calp1 = sbet12a - cbet2 * sbet1 * (somg12 * somg12) / (1.0 - comg12)
    ssig12 = math.sqrt(salp1 * salp1 + calp1 * calp1)
    csig12 = sbet1 * sbet2 + cbet1 * cbet2 * comg12
    if shortline and ssig12 < _ETOL2:  # really short lines
        salp2 = cbet1 * somg12
        calp2 = sbet12 - cbet1 * sbet2 * (somg12 * somg12 / (1.0 + comg12) if comg12 >= 0.0
                                          else 1.0 - comg12)
        salp2, calp2 = _norm(salp2, calp2)
        sig12 = math.atan2(ssig12, csig12)
    elif not (csig12 >= 0.0 or ssig12 >= 6.0 * abs(_N) * math.pi * cbet1 * cbet1):
        salp1, calp1 = _antipodal_start(sbet1, cbet1, sbet12a, slam12, clam12, cbet2)
    if not salp1 <= 0.0:  # sanity check (the backwards test lets NaN through)
        salp1, calp1 = _norm(salp1, calp1)
    else:
        salp1, calp1 = 1.0, 0.0
    return sig12, salp1, calp1, salp2, calp2, dnm


@njit(**_INLINE)
def _antipodal_start(sbet1, cbet1, sbet12a, slam12, clam12, cbet2):
    """Return the start near the antipode: on the strip near the cut, else the astroid (f > 0)."""
    # scale lam12 and bet2 so that the antipode is at the origin and the singular
    # point at (x, y) = (-1, 0)
    lam12x = math.atan2(-slam12, -clam12)
    lamscale = _F * cbet1 * _a3_c3(_eps_of(sbet1))[0] * math.pi
    betscale = lamscale * cbet1
    x, y = lam12x / lamscale, sbet12a / betscale
    if y > -_TOL1 and x > -1.0 - _XTHRESH:  # strip near the cut
        salp1 = min(1.0, -x)
        return salp1, -math.sqrt(1.0 - salp1 * salp1)
    k = _astroid(x, y)
    omg12a = lamscale * (-x * k / (1.0 + k))  # pi - omg12, from the astroid
    somg12, comg12 = math.sin(omg12a), -math.cos(omg12a)
    return cbet2 * somg12, sbet12a - cbet2 * sbet1 * (somg12 * somg12) / (1.0 - comg12)


@njit(**_INLINE)
def _step_is_last(v, v_last, dv, calp2, cbet2):
    """Whether the Newton step from residual ``v`` lands within eps of the root.

    Newton's residual squares at each step, ``v' ~ C v^2``; with ``C`` measured from
    the last two steps (``|v| / v_last^2``), a predicted ``v'`` under eps / 16 is what
    GeographicLib's next evaluation would find, and the distance follows to first
    order: moving the end point by ``-v`` along its parallel (radius ``a cos(beta2)``)
    changes ``s12`` by ``-a cos(beta2) sin(alpha2) v``, within ``(a cos(beta2) v)^2 /
    (2 m12)`` (required below 1e-11 m).
    """
    if not (abs(v) ** 3 <= _TOL0 / 16.0 * v_last * v_last and calp2 > 0.0):
        return False
    m12 = _B * dv * calp2 * cbet2 / _F1  # reduced length, from d v / d alpha1
    return (_A * cbet2 * v) ** 2 <= 2e-11 * m12


@njit(**_JIT)
def _newton(sbet1, cbet1, dn1, sbet2, cbet2, dn2, salp1, calp1, slam12, clam12):
    """Solve Lambda12 = lam12 for alpha1: Newton, with bisection of the bracket as fallback.

    Returns (salp1, calp1, salp2, calp2, s12 / b, converged), as GenInverse.
    """
    salp1a, calp1a, salp1b, calp1b = _TINY, 1.0, _TINY, -1.0  # bracket of the root
    tripn = tripb = False
    numit, v_last = 0, math.nan
    while True:
        (v, salp2, calp2, sig12, ssig1, csig1, ssig2,
         csig2, eps) = _lambda12(sbet1, cbet1, sbet2, cbet2, salp1, calp1, slam12, clam12)
        if tripb or not abs(v) >= (8.0 if tripn else 1.0) * _TOL0 or numit == _MAXIT2:
            break  # the reversed test lets NaN out
        if v > 0.0 and (numit > _MAXIT1 or calp1 / salp1 > calp1b / salp1b):
            salp1b, calp1b = salp1, calp1
        elif v < 0.0 and (numit > _MAXIT1 or calp1 / salp1 < calp1a / salp1a):
            salp1a, calp1a = salp1, calp1
        stepped = False
        dv = (_dlambda12(sbet1, cbet2, dn1, dn2, calp2, sig12, ssig1, csig1, ssig2, csig2, eps)
              if numit < _MAXIT1 else math.nan)
        if dv > 0.0:
            dalp1 = -v / dv
            if abs(dalp1) < math.pi:
                sdalp1, cdalp1 = (_sincos_small(dalp1) if abs(dalp1) < 0.02
                                  else (math.sin(dalp1), math.cos(dalp1)))
                nsalp1 = salp1 * cdalp1 + calp1 * sdalp1
                if nsalp1 > 0.0:
                    calp1 = calp1 * cdalp1 - salp1 * sdalp1
                    salp1, calp1 = _norm(nsalp1, calp1)
                    # where the slope vanishes convergence is not quadratic: test on eps
                    tripn = abs(v) <= 16.0 * _TOL0
                    stepped = True
                    if _step_is_last(v, v_last, dv, calp2, cbet2):
                        s12b = (_distance_b(eps, sig12, ssig1, csig1, ssig2, csig2)
                                - _A / _B * cbet2 * salp2 * v)
                        salp2, calp2 = _azimuth2(sbet1, cbet1, sbet2, cbet2, salp1, calp1)
                        return salp1, calp1, salp2, calp2, s12b, True
        if not stepped:  # dv not positive or the step left (0, pi): bisect the bracket
            salp1, calp1 = _norm((salp1a + salp1b) / 2.0, (calp1a + calp1b) / 2.0)
            tripn = False
            tripb = (abs(salp1a - salp1) + (calp1a - calp1) < _TOLB
                     or abs(salp1 - salp1b) + (calp1 - calp1b) < _TOLB)
        numit, v_last = numit + 1, v
    converged = tripb or not abs(v) >= (8.0 if tripn else 1.0) * _TOL0
    s12b = _distance_b(eps, sig12, ssig1, csig1, ssig2, csig2)
    return salp1, calp1, salp2, calp2, s12b, converged


@njit(**_JIT)
def _meridian(sbet1, cbet1, dn1, sbet2, cbet2, dn2, slam12, clam12):
    """Solve the geodesic along the meridian: (s12 / b, sig12, m12 / b, salp1, calp1)."""
    salp1, calp1 = slam12, clam12  # head to the target longitude; north at the target
    ssig1, csig1 = sbet1, calp1 * cbet1
    ssig2, csig2 = sbet2, cbet2
    sig12 = math.atan2(max(0.0, csig1 * ssig2 - ssig1 * csig2) + 0.0,
                       csig1 * csig2 + ssig1 * ssig2)
    eps = _N  # eps of a meridian (calp0 = 1)
    a1m1, c11, c12, c13, c14, c15, c16 = _a1m1_c1(eps)
    a2m1, c21, c22, c23, c24, c25, c26 = _a2m1_c2(eps)
    a1, a2 = 1.0 + a1m1, 1.0 + a2m1
    b1 = (_series6(ssig2, csig2, c11, c12, c13, c14, c15, c16)
          - _series6(ssig1, csig1, c11, c12, c13, c14, c15, c16))
    b2 = (_series6(ssig2, csig2, c21, c22, c23, c24, c25, c26)
          - _series6(ssig1, csig1, c21, c22, c23, c24, c25, c26))
    j12 = (a1m1 - a2m1) * sig12 + (a1 * b1 - a2 * b2)
    m12b = dn2 * (csig1 * ssig2) - dn1 * (ssig1 * csig2) - csig1 * csig2 * j12
    return a1 * (sig12 + b1), sig12, m12b, salp1, calp1


@njit(**_JIT)
def solve_pair(lon1, lat1, sbet1, cbet1, lon2, lat2, sbet2, cbet2):
    """Inverse problem from (lon1, lat1) to (lon2, lat2) (GeographicLib's GenInverse).

    Latitudes, with their sines and cosines of reduced latitude, as :func:`reduced`
    returns them. Returns (s12 metres, salp1, calp1, salp2, calp2, ok): the sines and
    cosines of the azimuths at both points (forward at the second); ``ok`` is False
    only if Newton's method did not meet its tolerance (never seen on WGS84). NaN for
    non-finite input or a latitude outside [-90, 90].
    """
    if not (abs(lat1) <= 90.0 and abs(lat2) <= 90.0 and math.isfinite(lon1)
            and math.isfinite(lon2)):
        return math.nan, math.nan, math.nan, math.nan, math.nan, True
    # canonical form: 0 <= lon12 <= 180, lat1 <= 0, |lat2| <= |lat1|
    lon12, lon12s = _ang_diff(lon1, lon2)
    lonsign = math.copysign(1.0, lon12)
    lon12, lon12s = lonsign * lon12, lonsign * lon12s
    lam12 = lon12 * _DEG
    slam12, clam12 = _sincosde(lon12, lon12s)
    lon12s = (180.0 - lon12) - lon12s  # the supplementary longitude difference
    swapp = -1.0 if abs(lat1) < abs(lat2) else 1.0
    if swapp < 0.0:
        lonsign = -lonsign
        lat1, sbet1, cbet1, lat2, sbet2, cbet2 = lat2, sbet2, cbet2, lat1, sbet1, cbet1
    latsign = math.copysign(1.0, -lat1)
    lat1, sbet1, sbet2 = lat1 * latsign, sbet1 * latsign, sbet2 * latsign
    # make bet2 = +/- bet1 exact where the sensitive measure of |bet1| - |bet2| vanishes
    if cbet1 < -sbet1:
        if cbet2 == cbet1:
            sbet2 = math.copysign(sbet1, sbet2)
    elif abs(sbet2) == -sbet1:
        cbet2 = cbet1
    dn1 = math.sqrt(1.0 + _EP2 * sbet1 * sbet1)
    dn2 = math.sqrt(1.0 + _EP2 * sbet2 * sbet2)
    ok, meridian = True, lat1 == -90.0 or slam12 == 0.0
    if meridian:
        s12b, sig12, m12b, salp1, calp1 = _meridian(sbet1, cbet1, dn1, sbet2, cbet2, dn2,
                                                    slam12, clam12)
        salp2, calp2 = 0.0, 1.0
        if sig12 < _TOL2 or m12b >= 0.0:
            if sig12 < 3.0 * _TINY or (sig12 < _TOL0 and (s12b < 0.0 or m12b < 0.0)):
                s12b = 0.0  # no negative lengths for short lines
            s12 = s12b * _B
        else:
            meridian = False  # prolate and too close to the antipode (not WGS84)
    if meridian:
        pass
    elif sbet1 == 0.0 and lon12s >= _F * 180.0:  # along the equator (sbet2 = 0 too)
        salp1 = salp2 = 1.0
        calp1 = calp2 = 0.0
        s12 = _A * lam12
    else:
        sig12, salp1, calp1, salp2, calp2, dnm = _inverse_start(
            sbet1, cbet1, sbet2, cbet2, lam12, slam12, clam12)
        if sig12 >= 0.0:  # really short: solved on the sphere
            s12 = sig12 * _B * dnm
        else:
            salp1, calp1, salp2, calp2, s12b, ok = _newton(
                sbet1, cbet1, dn1, sbet2, cbet2, dn2, salp1, calp1, slam12, clam12)
            s12 = s12b * _B
    # undo the canonical form
    if swapp < 0.0:
        salp1, salp2 = salp2, salp1
        calp1, calp2 = calp2, calp1
    salp1, calp1 = salp1 * swapp * lonsign, calp1 * swapp * latsign
    salp2, calp2 = salp2 * swapp * lonsign, calp2 * swapp * latsign
    return 0.0 + s12, salp1, calp1, salp2, calp2, ok


@njit(**_JIT)
def _inverse_range(lon1, lat1, lon2, lat2, s12, az12, az21, ok, first, stop):
    for i in range(first, stop):
        p1, p2 = reduced(lat1[i]), reduced(lat2[i])
        s, salp1, calp1, salp2, calp2, good = solve_pair(lon1[i], p1[0], p1[1], p1[2],
                                                     lon2[i], p2[0], p2[1], p2[2])
        a2 = _atan2d(salp2, calp2)
        s12[i], az12[i], ok[i] = s, _atan2d(salp1, calp1), good
        az21[i] = a2 - 180.0 if a2 > 0.0 else a2 + 180.0  # the back azimuth, as pyproj


@njit(parallel=True, **_JIT)
def _inverse_kernel(lon1, lat1, lon2, lat2, s12, az12, az21, ok):  # pragma: no cover
    n = lon1.size
    chunk = 4096
    for c in prange((n + chunk - 1) // chunk):
        _inverse_range(lon1, lat1, lon2, lat2, s12, az12, az21, ok, c * chunk,
                       min(n, (c + 1) * chunk))


def contiguous(a) -> np.ndarray:
    """Return a C-contiguous, writeable float64 copy or view (one compiled signature)."""
    return np.require(np.ravel(a), dtype=np.float64, requirements=("C", "W"))


def inverse(lon1, lat1, lon2, lat2):
    """Solve the inverse problem for flat float64 arrays of equal length.

    Returns ``(az12, az21, s12, ok)`` like :meth:`pyproj.Geod.inv` (degrees, the
    back azimuth at the second point, metres) plus ``ok``, False only where Newton's
    method missed its tolerance (never seen on WGS84; a caller may ask pyproj).
    Non-finite input or a latitude outside [-90, 90] gives NaN (with ``ok``), as
    pyproj does.

    Examples
    --------
    >>> import numpy as np
    >>> az12, az21, s, ok = inverse(np.array([24.4134]), np.array([44.0787]),
    ...                             np.array([13.405]), np.array([52.52]))
    >>> f"{s[0] / 1000:.6f} km", bool(ok[0])
    ('1241.443761 km', True)
    """
    lon1, lat1, lon2, lat2 = (contiguous(a) for a in (lon1, lat1, lon2, lat2))
    n = lon1.size
    s12, az12, az21 = np.empty(n), np.empty(n), np.empty(n)
    ok = np.empty(n, dtype=np.bool_)
    _inverse_kernel(lon1, lat1, lon2, lat2, s12, az12, az21, ok)  # threads: engine.threads_for
    return az12, az21, s12, ok
