"""Checks of public API arguments: one place, one message format, always InputError.

Every public function passes its arguments through these before any work, so that
a wrong type, a shape that does not broadcast, NaN or an out-of-range value gives
one :class:`~geoinf.errors.InputError` (a ``ValueError``) with a one-line message
naming the argument, the value and what was expected, never a ``TypeError``,
``KeyError`` or a silently empty result. Messages follow ``name=value is outside
[lo, hi]`` (numbers) and ``name: missing column c (required: …)`` (frames).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .errors import InputError

__all__ = ["floats", "numbers", "number", "count", "broadcast_shape", "broadcast", "frame",
           "frame_numbers", "choice", "keys", "path", "optional_callable", "flag"]

_MAX_SHOWN = 60  # characters of a value's repr in a message


def _shown(value) -> str:
    """Return a one-line, bounded repr of ``value`` for a message (a frame by its type)."""
    if isinstance(value, pd.DataFrame | pd.Series | np.ndarray) and np.ndim(value) > 0:
        return f"<{type(value).__name__} of shape {np.shape(value)}>"
    text = " ".join(repr(value).split())
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN - 3] + "..."


def _interval(lo, hi, lo_open: bool, hi_open: bool) -> str:
    left = "(" if lo_open or lo is None else "["
    right = ")" if hi_open or hi is None else "]"
    low = "-inf" if lo is None else f"{lo:g}"
    high = "inf" if hi is None else f"{hi:g}"
    return f"{left}{low}, {high}{right}"


def floats(value, name: str) -> NDArray[np.float64]:
    """Return ``value`` as a float array (NaN passes); refuse text, None, dates and the like.

    Examples
    --------
    >>> floats(["1", 2], "lon")
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: lon=['1', 2] is not a number or an array of numbers
    """
    if isinstance(value, str | bytes) or value is None:
        raise InputError(f"{name}={_shown(value)} is not a number (expected a number or an "
                         "array of numbers)")
    try:
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            if arr.dtype.kind != "O":
                raise TypeError
            arr = arr.astype(float)
        return arr.astype(float, copy=False)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{name}={_shown(value)} is not a number or an array of numbers"
                         ) from None


def _check_range(arr: NDArray, name: str, lo, hi, lo_open: bool, hi_open: bool,
                 where: Callable[[int], str] | None = None, allow_inf: bool = False) -> None:
    bad = np.isnan(arr) if allow_inf else ~np.isfinite(arr)
    if lo is not None:
        bad |= (arr <= lo) if lo_open else (arr < lo)
    if hi is not None:
        bad |= (arr >= hi) if hi_open else (arr > hi)
    if not bad.any():
        return
    flat = np.ravel(bad)
    i = int(np.argmax(flat))
    value = np.ravel(arr)[i]
    more = int(flat.sum()) - 1
    at = f"{where(i)}: " if where is not None else ""
    tail = f" (and {more} more)" if more else ""
    interval = _interval(lo, hi, lo_open, hi_open)
    if allow_inf and hi is None:
        interval = interval[:-1] + "]"  # +inf is allowed
    if not np.isnan(value) and (allow_inf or np.isfinite(value)):
        raise InputError(f"{at}{name}={value:g} is outside {interval}{tail}")
    within = "" if lo is None and hi is None else f" in {interval}"
    if allow_inf:
        raise InputError(f"{at}{name}=nan is not a number (expected a number{within}){tail}")
    raise InputError(f"{at}{name}={value:g} is not finite (expected a finite number{within})"
                     f"{tail}")


def numbers(value, name: str, *, lo: float | None = None, hi: float | None = None,
            lo_open: bool = False, hi_open: bool = False,
            allow_inf: bool = False) -> NDArray[np.float64]:
    """Return ``value`` as a float array of finite numbers within ``[lo, hi]``.

    ``allow_inf`` lets infinities through (still subject to ``lo`` and ``hi``); NaN
    never passes.

    Examples
    --------
    >>> numbers([1, 2], "radius_km", lo=0, lo_open=True)
    array([1., 2.])
    >>> numbers([1, float("nan")], "lat", lo=-90, hi=90)
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: lat=nan is not finite (expected a finite number in [-90, 90])
    """
    arr = floats(value, name)
    _check_range(arr, name, lo, hi, lo_open, hi_open, allow_inf=allow_inf)
    return arr


def number(value, name: str, *, lo: float | None = None, hi: float | None = None,
           lo_open: bool = False, hi_open: bool = False) -> float:
    """Return one finite number within ``[lo, hi]`` as a float.

    Examples
    --------
    >>> number(0.5, "tolerance_km", lo=0, lo_open=True)
    0.5
    >>> number("x", "min_population", lo=0)
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: min_population='x' is not a number (expected a number or ...
    """
    if isinstance(value, bool | np.bool_):
        raise InputError(f"{name}={value!r} is not a number (expected one number)")
    arr = floats(value, name)
    if arr.ndim != 0:
        raise InputError(f"{name}={_shown(value)}: expected one number, not an array of "
                         f"shape {arr.shape}")
    _check_range(arr, name, lo, hi, lo_open, hi_open)
    return float(arr)


def count(value, name: str, *, lo: int | None = None, hi: int | None = None) -> int:
    """Return a whole number (int or an integral float) within ``[lo, hi]`` as an int.

    Examples
    --------
    >>> count(360.0, "n_vertices", lo=3)
    360
    """
    x = number(value, name, lo=lo, hi=hi)
    if x != math.floor(x):
        raise InputError(f"{name}={x:g} is not a whole number")
    return int(x)


def broadcast_shape(**arrays: NDArray) -> tuple[int, ...]:
    """Return the shape the named arrays broadcast to.

    Examples
    --------
    >>> broadcast_shape(lon=np.zeros(2), lat=np.zeros(3))
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: lon, lat do not broadcast together (shapes: lon (2,), lat (3,))
    """
    try:
        return np.broadcast_shapes(*(np.shape(a) for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
        raise InputError(f"{', '.join(arrays)} do not broadcast together (shapes: {shapes})"
                         ) from None


def broadcast(**arrays: NDArray) -> tuple[NDArray[np.float64], ...]:
    """Broadcast float arrays together and return them flat (C order).

    Examples
    --------
    >>> [a.tolist() for a in broadcast(lon=np.array(1.0), lat=np.array([2.0, 3.0]))]
    [[1.0, 1.0], [2.0, 3.0]]
    """
    shape = broadcast_shape(**arrays)
    return tuple(np.ascontiguousarray(np.broadcast_to(a, shape)).ravel()
                 for a in arrays.values())


def frame(value, name: str, required: Sequence[str] = (), *,
          one_of: Sequence[str] = ()) -> pd.DataFrame:
    """Return ``value`` if it is a DataFrame with every ``required`` column (and one of ``one_of``).

    Every missing column is named in one message.

    Examples
    --------
    >>> frame(pd.DataFrame({"lon": [1.0]}), "places", ("name", "lon", "lat"))
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: places: missing columns name, lat (required: name, lon, lat)
    """
    if not isinstance(value, pd.DataFrame):
        raise InputError(f"{name} must be a DataFrame with columns {', '.join(required)}, not "
                         f"{type(value).__name__}")
    missing = [c for c in required if c not in value.columns]
    if one_of and not any(c in value.columns for c in one_of):
        missing.append(" or ".join(one_of))
    if missing:
        need = list(required) + ([" or ".join(one_of)] if one_of else [])
        raise InputError(f"{name}: missing column{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)} (required: {', '.join(need)})")
    return value


def frame_numbers(df: pd.DataFrame, column: str, name: str, *, lo: float | None = None,
                  hi: float | None = None, lo_open: bool = False) -> NDArray[np.float64]:
    """Return a numeric column as floats; a bad cell is named by its index label.

    Examples
    --------
    >>> frame_numbers(pd.DataFrame({"lon": [10.0, 999.0]}), "lon", "places", lo=-180, hi=180)
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: places at index 1: lon=999 is outside [-180, 180]
    """
    column_values = df[column]
    try:
        arr = pd.to_numeric(column_values, errors="raise").to_numpy(dtype=float,
                                                                   na_value=np.nan)
    except (TypeError, ValueError):
        parsed = pd.to_numeric(column_values, errors="coerce")
        i = int(np.argmax(parsed.isna().to_numpy() & column_values.notna().to_numpy()))
        raise InputError(f"{name} at index {df.index[i]!r}: {column}="
                         f"{_shown(column_values.iloc[i])} is not a number") from None
    _check_range(arr, column, lo, hi, lo_open, False,
                 where=lambda i: f"{name} at index {df.index[i]!r}")
    return arr



def range_claims(df: pd.DataFrame, name: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the ``range_km_low`` and ``range_km_high`` columns: positive, low <= high.

    Examples
    --------
    >>> range_claims(pd.DataFrame({"range_km_low": [480], "range_km_high": [2500]}), "systems")
    (array([480.]), array([2500.]))
    """
    low = frame_numbers(df, "range_km_low", name, lo=0, lo_open=True)
    high = frame_numbers(df, "range_km_high", name, lo=0, lo_open=True)
    if (low > high).any():
        i = int(np.argmax(low > high))
        raise InputError(f"{name} at index {df.index[i]!r}: range_km_low={low[i]:g} is "
                         f"greater than range_km_high={high[i]:g} (expected low <= high)")
    return low, high

def choice(value, name: str, choices: Iterable) -> str:
    """Return ``value`` if it is one of ``choices``; else list them.

    Examples
    --------
    >>> choice("dens", "kind", ("count", "density"))
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: kind='dens' is not one of 'count', 'density'
    """
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise InputError(f"{name}={_shown(value)} is not one of "
                         f"{', '.join(map(repr, choices))}")
    return value


def keys(value, name: str, choices: Sequence[str] | None = None, *,
         what: str = "column name") -> list[str]:
    """Return names: one string, or a sequence of strings (each among ``choices``).

    ``what`` names one item in the message ("column name", "site id").

    Examples
    --------
    >>> keys("band", "by", ("site", "band"))
    ['band']
    >>> keys(None, "by")
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: by=None: expected a column name or a sequence of column names
    """
    items = [value] if isinstance(value, str) else value
    try:
        items = list(items)
    except TypeError:
        items = None
    if items is None or not all(isinstance(k, str) for k in items):
        raise InputError(f"{name}={_shown(value)}: expected a {what} or a sequence of "
                         f"{what}s")
    bad = [k for k in items if choices is not None and k not in choices]
    if bad:
        raise InputError(f"{name}={items}: unknown key {bad[0]!r}; expected some of "
                         f"{', '.join(choices)}")
    return items


def path(value, name: str) -> str | os.PathLike:
    """Return ``value`` if it is a str or os.PathLike (a name or a file).

    Examples
    --------
    >>> path(None, "scenario")
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: scenario=None: expected a name or a path (str or os.PathLike)
    """
    if not isinstance(value, str | os.PathLike) or not os.fspath(value):
        raise InputError(f"{name}={_shown(value)}: expected a name or a path "
                         "(str or os.PathLike)")
    return value


def optional_callable(value, name: str):
    """Return ``value`` if it is None or callable."""
    if value is not None and not callable(value):
        raise InputError(f"{name}={_shown(value)}: expected a callable or None")
    return value


def flag(value, name: str) -> bool:
    """Return ``value`` if it is a bool (or numpy bool).

    Examples
    --------
    >>> flag("no", "conservative")
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: conservative='no': expected True or False
    """
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{name}={_shown(value)}: expected True or False")
    return bool(value)
