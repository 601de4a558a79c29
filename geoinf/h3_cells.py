"""H3 hexagon ids (Kontur population): each cell's centre in lon/lat, from the id.

Kontur publishes its population as H3 hexagons (resolution 8, ~400 m) in GeoPackages whose
columns are ``h3`` (the H3 index as text) and ``population`` (codebook at
https://data.humdata.org/dataset/kontur-population-anguilla). A cell's centre is the one
``h3.cell_to_latlng`` gives for its id, taken as WGS84 lon/lat: the point an exact-distance
rule decides. The ``h3`` library is an optional dependency (``pip install geoinf[layers]``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .errors import InputError
from .tables import MAX_LISTED, Problems, shown

__all__ = ["h3_centres"]


def _h3():
    try:
        import h3
    except ImportError:
        raise InputError("reading H3 cells needs the h3 library: pip install 'geoinf[layers]' "
                         "(or pip install h3)") from None
    return h3


def h3_centres(ids, problems: Problems, column: str
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the lon/lat of each H3 cell's centre (``h3.cell_to_latlng``).

    Parameters
    ----------
    ids : sequence of str or int
        H3 indexes, as hexadecimal text or as 64-bit integers.
    problems : Problems
        Records the ids that are not valid H3 cells (row and value).
    column : str
        The file's name of the id column, for messages.

    Returns
    -------
    lon, lat : ndarray
        Degrees (NaN for ids recorded as problems).

    Examples
    --------
    >>> lon, lat = h3_centres(["881f1d4895fffff"], Problems("k.gpkg"), "h3")
    >>> print(f"{lon[0]:.5f} {lat[0]:.5f}")
    13.39933 52.52023
    """
    h3 = _h3()
    values = pd.Series(ids)
    lon = np.full(len(values), np.nan)
    lat = np.full(len(values), np.nan)
    bad = 0
    for i, value in enumerate(values):
        cell = _cell(h3, value)
        if cell is not None:
            lat[i], lon[i] = h3.cell_to_latlng(cell)
            continue
        if bad < MAX_LISTED:
            problems.add_cell(i, column, f"{shown(values.iloc[i])} is not an H3 cell id "
                              "(expected e.g. 881f1d4893fffff)")
        bad += 1
    problems.add_unlisted(max(0, bad - MAX_LISTED))
    return lon, lat


def _cell(h3, value) -> str | None:
    """Return an H3 cell id as text (from text or a decimal 64-bit integer); None if invalid."""
    text = str(value).strip().lower()
    try:
        if text.isdigit():  # an integer column, or one a CSV holds as decimal digits
            text = h3.int_to_str(int(text) & 0xFFFFFFFFFFFFFFFF)
        return text if h3.is_valid_cell(text) else None
    except (ValueError, OverflowError, TypeError, h3.H3BaseException):
        return None
