"""INF Treaty range classes (Article II, paras 5-6), derived from a range in km.

An *intermediate-range* missile has a range capability greater than 1,000 km and
not greater than 5,500 km; a *shorter-range* missile, 500 km to 1,000 km
inclusive. Below 500 km a ground-launched missile was outside the treaty.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _validate

__all__ = ["INF_EDGES_KM", "INF_CLASSES", "INF_BANDS", "EDGES_TEXT", "inf_class", "band_label"]

INF_EDGES_KM: tuple[float, float, float] = (500.0, 1000.0, 5500.0)
"""The treaty's 500, 1,000 and 5,500 km: the edges of its classes and the default bands."""

INF_CLASSES: tuple[str, ...] = ("exempt", "shorter-range", "intermediate-range", "beyond")
"""Classes in order of range: under 500 km, 500-1,000, over 1,000-5,500, over 5,500."""

INF_BANDS: dict[str, tuple[float, float]] = dict(zip(
    INF_CLASSES[:3], zip((0.0, *INF_EDGES_KM[:2]), INF_EDGES_KM, strict=True), strict=True))
"""The distance interval of each class below "beyond", in km: ``{"exempt": (0, 500), ...}``."""

EDGES_TEXT: str = ",".join(f"{e:g}" for e in INF_EDGES_KM)
"""The edges as the command line writes them: ``"500,1000,5500"``."""


def inf_class(range_km: ArrayLike) -> NDArray[np.str_] | str:
    """Return the INF class of a missile range.

    Parameters
    ----------
    range_km : float or array_like
        Range capability in kilometres, not negative (``inf`` is "beyond").

    Returns
    -------
    str or ndarray of str
        ``"exempt"`` (< 500 km), ``"shorter-range"`` (500-1,000 km inclusive),
        ``"intermediate-range"`` (> 1,000 and <= 5,500 km) or ``"beyond"``.

    Examples
    --------
    >>> inf_class(480), inf_class(500), inf_class(1000), inf_class(5500), inf_class(6000)
    ('exempt', 'shorter-range', 'shorter-range', 'intermediate-range', 'beyond')
    >>> inf_class(float("nan"))
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: range_km=nan is not a number (expected a number in [0, inf])
    """
    r = _validate.numbers(range_km, "range_km", lo=0, allow_inf=True)
    short_min, short_max, intermediate_max = INF_EDGES_KM
    idx = (r >= short_min).astype(np.intp) + (r > short_max) + (r > intermediate_max)
    out = np.asarray(INF_CLASSES)[idx]
    return str(out) if out.ndim == 0 else out


def band_label(min_km: float, max_km: float) -> str:
    """Return the name of the band between two edges.

    The two INF bands are named after their class; other bands by their edges.

    Examples
    --------
    >>> band_label(500, 1000), band_label(1000, 5500), band_label(0, 500)
    ('shorter-range', 'intermediate-range', 'under 500 km')
    >>> band_label(2000, 3000)
    '2,000-3,000 km'
    """
    if (min_km, max_km) == INF_EDGES_KM[:2]:
        return INF_CLASSES[1]
    if (min_km, max_km) == INF_EDGES_KM[1:]:
        return INF_CLASSES[2]
    if min_km == 0:
        return f"under {max_km:,.0f} km"
    return f"{min_km:,.0f}-{max_km:,.0f} km"
