"""GeographicLib building blocks shared by the compiled engines (numba).

Constants of WGS84, the order-6 ``A3``/``C3`` coefficient tables and small
numerical helpers of C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87,
43-55 (2013), following GeographicLib's Python reference implementation
(``geographiclib/geodesic.py`` 2.x, Copyright (c) Charles Karney 2011-2022,
MIT/X11 licence). Used by :mod:`geoinf._kernels.direct` (direct problem) and
:mod:`geoinf._kernels.inverse` (inverse problem); imported only with numba. The
angle helpers ``ang_diff``, ``sincosd``, ``sincosde`` and ``atan2d_libm`` and the
``A2``/``C2`` series and ``astroid`` (used by the inverse only) follow the same
sources and GeographicLib's C library (``geodesic.c``, the one inside PROJ).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..constants import WGS84

__all__ = ["A3X", "C3X", "INLINE", "JIT", "a1m1_c1", "a2m1_c2", "a3_c3", "ang_diff",
           "ang_normalize_near", "ang_round", "astroid", "atan2", "atan2d", "atan2d_libm",
           "eps_of", "norm", "sin_series5", "sin_series6", "sincos_small", "sincosd",
           "sincosde"]

_A = WGS84.a  # equatorial radius, metres
_F = WGS84.f  # flattening
_F1 = 1.0 - _F
_E2 = _F * (2.0 - _F)
_EP2 = _E2 / (_F1 * _F1)
_N = _F / (2.0 - _F)
_B = _A * _F1
_DEG = math.pi / 180.0


def _polyval(n: int, p, s: int, x: float) -> float:
    y = float(p[s]) if n >= 0 else 0.0
    for i in range(1, n + 1):
        y = y * x + p[s + i]
    return y


def _a3_coefficients() -> tuple[float, ...]:
    """A3 polynomial in eps, coefficients depending on the third flattening n (order 6)."""
    coeff = [-3, 128, -2, -3, 64, -1, -3, -1, 16, 3, -1, -2, 8, 1, -1, 2, 1, 1]
    out, o = [], 0
    for j in range(5, -1, -1):
        m = min(6 - j - 1, j)
        out.append(_polyval(m, coeff, o, _N) / coeff[o + m + 1])
        o += m + 2
    return tuple(out)


def _c3_coefficients() -> tuple[float, ...]:
    """C3 polynomials in eps for l = 1..5, coefficients depending on n (order 6)."""
    coeff = [3, 128, 2, 5, 128, -1, 3, 3, 64, -1, 0, 1, 8, -1, 1, 4, 5, 256, 1, 3, 128,
             -3, -2, 3, 64, 1, -3, 2, 32, 7, 512, -10, 9, 384, 5, -9, 5, 192, 7, 512,
             -14, 7, 512, 21, 2560]
    out, o = [], 0
    for ll in range(1, 6):
        for j in range(5, ll - 1, -1):
            m = min(6 - j - 1, j)
            out.append(_polyval(m, coeff, o, _N) / coeff[o + m + 1])
            o += m + 2
    return tuple(out)


A3X = _a3_coefficients()
C3X = _c3_coefficients()

# error_model="numpy": no zero-division checks (a zero divisor cannot occur here, and
# would give inf/nan as in C rather than raise).
JIT = {"cache": True, "fastmath": False, "nogil": True, "error_model": "numpy"}
# Small scalar helpers are inlined into their callers in numba's IR: numba compiles
# each function on its own and calls across them through a generic convention (tuples
# in memory, a status word), which made the direct solution twice as slow (measured:
# 83 -> 40 ns per vertex position, 51 -> 28 ns per line set-up).
INLINE = {**JIT, "inline": "always"}


@njit(**INLINE)
def norm(x, y):
    r = math.sqrt(x * x + y * y)
    return x / r, y / r


@njit(**INLINE)
def ang_round(x):
    """Round tiny angles (degrees) to multiples of 2**-57 or to 0, as GeographicLib does."""
    z = 1.0 / 16.0
    y = abs(x)
    if y < z:
        y = z - (z - y)
    return math.copysign(y, x)


@njit(**INLINE)
def sin_series5(sx, cx, c1, c2, c3, c4, c5):
    """Clenshaw sum of c[l] * sin(2 l x), l = 1..5."""
    ar = 2.0 * (cx - sx) * (cx + sx)
    y0 = c5
    y1 = ar * y0 + c4
    y0 = ar * y1 - y0 + c3
    y1 = ar * y0 - y1 + c2
    y0 = ar * y1 - y0 + c1
    return 2.0 * sx * cx * y0


@njit(**INLINE)
def sin_series6(sx, cx, c1, c2, c3, c4, c5, c6):
    """Clenshaw sum of c[l] * sin(2 l x), l = 1..6."""
    ar = 2.0 * (cx - sx) * (cx + sx)
    y1 = c6
    y0 = ar * y1 + c5
    y1 = ar * y0 - y1 + c4
    y0 = ar * y1 - y0 + c3
    y1 = ar * y0 - y1 + c2
    y0 = ar * y1 - y0 + c1
    return 2.0 * sx * cx * y0


(_A3X0, _A3X1, _A3X2, _A3X3, _A3X4, _A3X5) = A3X
(_C3X0, _C3X1, _C3X2, _C3X3, _C3X4, _C3X5, _C3X6, _C3X7, _C3X8, _C3X9, _C3X10, _C3X11,
 _C3X12, _C3X13, _C3X14) = C3X


@njit(**INLINE)
def eps_of(calp0):
    """Karney's expansion parameter eps of a geodesic whose cos(alpha0) is ``calp0``."""
    k2 = calp0 * calp0 * _EP2
    return k2 / (2.0 * (1.0 + math.sqrt(1.0 + k2)) + k2)


@njit(**INLINE)
def a1m1_c1(eps):
    """A1 - 1 and the C1 coefficients of the distance series (order 6) at ``eps``."""
    e2 = eps * eps
    e3, e4 = e2 * eps, e2 * e2
    e5, e6 = e4 * eps, e4 * e2
    a1m1 = ((((e2 + 4.0) * e2 + 64.0) * e2) / 256.0 + eps) / (1.0 - eps)
    c1 = eps * ((-e2 + 6.0) * e2 - 16.0) / 32.0
    c2 = e2 * ((-9.0 * e2 + 64.0) * e2 - 128.0) / 2048.0
    c3 = e3 * (9.0 * e2 - 16.0) / 768.0
    c4 = e4 * (3.0 * e2 - 5.0) / 512.0
    c5 = e5 * -7.0 / 1280.0
    c6 = e6 * -7.0 / 2048.0
    return a1m1, c1, c2, c3, c4, c5, c6


@njit(**INLINE)
def a3_c3(eps):
    """A3 and the C3 coefficients of the longitude series (order 6) at ``eps``."""
    e2 = eps * eps
    e3, e4 = e2 * eps, e2 * e2
    d1 = eps * ((((_C3X0 * eps + _C3X1) * eps + _C3X2) * eps + _C3X3) * eps + _C3X4)
    d2 = e2 * (((_C3X5 * eps + _C3X6) * eps + _C3X7) * eps + _C3X8)
    d3 = e3 * ((_C3X9 * eps + _C3X10) * eps + _C3X11)
    d4 = e4 * (_C3X12 * eps + _C3X13)
    d5 = e4 * eps * _C3X14
    a3 = ((((_A3X0 * eps + _A3X1) * eps + _A3X2) * eps + _A3X3) * eps + _A3X4) * eps + _A3X5
    return a3, d1, d2, d3, d4, d5


# atan on [-0.66, 0.66] as x + x z P(z) / Q(z), z = x^2: the rational approximation of
# the Cephes library (atan.c, S. L. Moshier, 1984-2000, http://www.netlib.org/cephes/),
# within 2 ulp of libm's atan2 over the plane (measured on 10 million random pairs).
_ATAN_P = (-8.750608600031904122785e-1, -1.615753718733365076637e1,
           -7.500855792314704667340e1, -1.228866684490136173410e2,
           -6.485021904942025371773e1)
_ATAN_Q = (2.485846490142306297962e1, 1.650270098316988542046e2,
           4.328810604912902668951e2, 4.853903996359136964868e2,
           1.945506571482613964425e2)
_MOREBITS = 6.123233995736765886130e-17  # pi/4 - fl(pi/4) * 2
(_P0, _P1, _P2, _P3, _P4), (_Q0, _Q1, _Q2, _Q3, _Q4) = _ATAN_P, _ATAN_Q


@njit(**INLINE)
def _atan_octant(y, x):
    """atan2 folded into the first octant: (angle in [0, pi/4] radians, swapped, x < 0).

    Branch-free (selects only) and without a library call, so that loops over it
    are vectorized by LLVM; libm's atan2 is a call with data-dependent branches
    that costs about 20 ns on scattered inputs. NaN in, NaN out (a NaN divides).
    """
    ax, ay = abs(x), abs(y)
    swap = ay > ax
    big_side = ay if swap else ax
    small_side = ax if swap else ay
    a = small_side / big_side if big_side != 0.0 else 0.0
    far = a > 0.66
    u = (a - 1.0) / (a + 1.0) if far else a
    z = u * u
    p = (((_P0 * z + _P1) * z + _P2) * z + _P3) * z + _P4
    q = ((((z + _Q0) * z + _Q1) * z + _Q2) * z + _Q3) * z + _Q4
    r = u + u * (z * p / q)
    r = r + (math.pi / 4.0 + 0.5 * _MOREBITS) if far else r
    return r, swap, math.copysign(1.0, x) < 0.0


@njit(**INLINE)
def atan2(y, x):
    """atan2 in radians, branch-free (see :func:`_atan_octant`); NaN for NaN input."""
    r, swap, negative_x = _atan_octant(y, x)
    r = (math.pi / 2.0 - r) if swap else r
    r = (math.pi - r) if negative_x else r
    return math.copysign(r, y)


@njit(**INLINE)
def atan2d(y, x):
    """atan2 in degrees, exact at multiples of 45 as GeographicLib's atan2d; branch-free."""
    r, swap, negative_x = _atan_octant(y, x)
    d = r / _DEG
    d = (90.0 - d) if swap else d
    d = (180.0 - d) if negative_x else d
    return math.copysign(d, y)


@njit(**INLINE)
def ang_normalize_near(x):
    """GeographicLib's AngNormalize for |x| < 540 degrees, branch-free."""
    y = x + 360.0 if x < -180.0 else x
    y = y - 360.0 if y > 180.0 else y
    return math.copysign(180.0, x) if abs(y) == 180.0 else y


@njit(**INLINE)
def _remainder360(x):
    """IEEE ``remainder(x, 360)`` in [-180, 180] (ties to the even quotient), finite x."""
    if abs(x) <= 180.0:
        return x
    if abs(x) < 540.0:
        return x - math.copysign(360.0, x)  # exact, in (-180, 180)
    r = np.fmod(x, 360.0)  # exact
    if r > 180.0:
        r -= 360.0
    elif r < -180.0:
        r += 360.0
    elif abs(r) == 180.0 and np.fmod((x - r) / 360.0, 2.0) != 0.0:
        r = -r
    return r


@njit(**INLINE)
def _two_sum(u, v):
    """Error-free sum: (s, t) with s = fl(u + v) and u + v = s + t exactly."""
    s = u + v
    up = s - v
    vpp = s - up
    up -= u
    vpp -= v
    t = s if s == 0.0 else 0.0 - (up + vpp)
    return s, t


@njit(**INLINE)
def ang_diff(x, y):
    """Return ``y - x`` reduced to [-180, 180] degrees as (d, error), as GeographicLib's AngDiff."""
    d, t = _two_sum(_remainder360(-x), _remainder360(y))
    d, t = _two_sum(_remainder360(d), t)
    if d == 0.0 or abs(d) == 180.0:
        d = math.copysign(d, y - x if t == 0.0 else -t)
    return d, t


@njit(**INLINE)
def _quadrant(q, s, c, x):
    """Rotate (sin r, cos r) by q quarter turns; signed zeros as GeographicLib's sincosd."""
    q &= 3
    if q == 1:
        s, c = c, -s
    elif q == 2:
        s, c = -s, -c
    elif q == 3:
        s, c = -c, s
    c += 0.0
    if s == 0.0:
        s = math.copysign(s, x)
    return s, c


@njit(**INLINE)
def sincosd(x):
    """Sine and cosine of x degrees, exact at multiples of 90 (``remquo(x, 90)`` reduction)."""
    if not math.isfinite(x):
        return math.nan, math.nan
    r = x if abs(x) < 360.0 else np.fmod(x, 360.0)  # exact
    q = int(np.rint(r / 90.0))  # nearest, ties to even: as remquo
    r = (r - 90.0 * q) * _DEG
    return _quadrant(q, math.sin(r), math.cos(r), x)


@njit(**INLINE)
def sincosde(x, t):
    """Sine and cosine of (x + t) degrees, x in [-180, 180] and t its small error (sincosde)."""
    q = int(np.rint(x / 90.0))
    r = ang_round((x - 90.0 * q) + t) * _DEG
    return _quadrant(q, math.sin(r), math.cos(r), x)


@njit(**INLINE)
def atan2d_libm(y, x):
    """atan2 in degrees with libm's atan2, exact at multiples of 90 (GeographicLib's atan2d)."""
    q = 0
    if abs(y) > abs(x):
        q, x, y = 2, y, x
    if x < 0.0:
        q, x = q + 1, -x
    ang = math.atan2(y, x) / _DEG
    if q == 1:
        return math.copysign(180.0, y) - ang
    if q == 2:
        return 90.0 - ang
    if q == 3:
        return -90.0 + ang
    return ang


@njit(**INLINE)
def a2m1_c2(eps):
    """A2 - 1 and the C2 coefficients of the reduced-length series (order 6) at ``eps``."""
    e2 = eps * eps
    e3, e4 = e2 * eps, e2 * e2
    e5, e6 = e4 * eps, e4 * e2
    a2m1 = ((((-11.0 * e2 - 28.0) * e2 - 192.0) * e2) / 256.0 - eps) / (1.0 + eps)
    c1 = eps * ((e2 + 2.0) * e2 + 16.0) / 32.0
    c2 = e2 * ((35.0 * e2 + 64.0) * e2 + 384.0) / 2048.0
    c3 = e3 * (15.0 * e2 + 80.0) / 768.0
    c4 = e4 * (7.0 * e2 + 35.0) / 512.0
    c5 = e5 * 63.0 / 1280.0
    c6 = e6 * 77.0 / 2048.0
    return a2m1, c1, c2, c3, c4, c5, c6


@njit(**INLINE)
def astroid(x, y):
    """Positive root k of k^4 + 2 k^3 - (x^2 + y^2 - 1) k^2 - 2 y^2 k - y^2 = 0 (Astroid).

    The starting guess of the inverse problem near the antipode (Karney 2013, sec. 5).
    """
    p, q = x * x, y * y
    r = (p + q - 1.0) / 6.0
    if q == 0.0 and r <= 0.0:
        return 0.0  # y = 0 with |x| <= 1
    big_s = p * q / 4.0  # r^3 s
    r2 = r * r
    r3 = r * r2
    disc = big_s * (big_s + 2.0 * r3)  # zero on the evolute p^(1/3) + q^(1/3) = 1
    u = r
    if disc >= 0.0:
        t3 = big_s + r3
        t3 += -math.sqrt(disc) if t3 < 0.0 else math.sqrt(disc)  # the larger |T3|
        t = np.cbrt(t3)
        u += t + (r2 / t if t != 0.0 else 0.0)
    else:  # T is complex, u real: the root that avoids cancellation
        ang = math.atan2(math.sqrt(-disc), -(big_s + r3))
        u += 2.0 * r * math.cos(ang / 3.0)
    v = math.sqrt(u * u + q)
    uv = q / (v - u) if u < 0.0 else u + v  # u + v > 0 without cancellation
    w = (uv - q) / (2.0 * v)
    return uv / (math.sqrt(uv + w * w) + w)


@njit(**INLINE)
def sincos_small(d):
    """Sine and cosine of a small angle (radians, |d| < 0.02) by their Taylor series.

    The truncation error is below 1e-24 for |d| < 0.02.
    """
    d2 = d * d
    s = d + d * d2 * (-1.0 / 6.0 + d2 * (1.0 / 120.0 + d2 * (-1.0 / 5040.0
                                                              + d2 * (1.0 / 362880.0))))
    c = 1.0 + d2 * (-0.5 + d2 * (1.0 / 24.0 + d2 * (-1.0 / 720.0 + d2 * (
        1.0 / 40320.0 + d2 * (-1.0 / 3628800.0)))))
    return s, c
