"""GeographicLib building blocks shared by the compiled engines (numba).

Constants of WGS84, the order-6 ``A3``/``C3`` coefficient tables and small
numerical helpers of C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87,
43-55 (2013), following GeographicLib's Python reference implementation
(``geographiclib/geodesic.py`` 2.x, Copyright (c) Charles Karney 2011-2022,
MIT/X11 licence). Used by :mod:`geoinf._numba_geodesic` (direct problem) and
:mod:`geoinf._numba_inverse` (inverse problem); imported only with numba.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = ["A3X", "C3X", "JIT", "ang_round", "norm", "sin_series5", "sin_series6"]

_A = 6378137.0  # WGS84 equatorial radius, metres
_F = 1.0 / 298.257223563  # WGS84 flattening
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


@njit(**JIT)
def norm(x, y):
    r = math.sqrt(x * x + y * y)
    return x / r, y / r


@njit(**JIT)
def ang_round(x):
    """Round tiny angles (degrees) to multiples of 2**-57 or to 0, as GeographicLib does."""
    z = 1.0 / 16.0
    y = abs(x)
    if y < z:
        y = z - (z - y)
    return math.copysign(y, x)


@njit(**JIT)
def sin_series5(sx, cx, c1, c2, c3, c4, c5):
    """Clenshaw sum of c[l] * sin(2 l x), l = 1..5."""
    ar = 2.0 * (cx - sx) * (cx + sx)
    y0 = c5
    y1 = ar * y0 + c4
    y0 = ar * y1 - y0 + c3
    y1 = ar * y0 - y1 + c2
    y0 = ar * y1 - y0 + c1
    return 2.0 * sx * cx * y0


@njit(**JIT)
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
