"""Deployment sites: the cited table of where launchers are or were, validated on load.

The embedded table (``data/sites.csv``; sources in ``data/SOURCES.md``) and user files
in the same shape (CSV, GeoJSON, GeoPackage) go through the same checks: every problem
of a file is reported at once, in one :class:`~geoinf.errors.InputError` whose one-line
message names the file, the row (numbered as in a spreadsheet: the header is row 1;
features of a GeoJSON/GPKG are numbered from 1), the field, the value and what was
expected (see :mod:`geoinf.tables`).
"""

from __future__ import annotations

import os

import geopandas as gpd
import pandas as pd

from . import _validate
from .tables import check_ids, check_numbers, check_text, read_table, table_file

__all__ = ["SITE_COLUMNS", "SITE_STATUSES", "load_sites", "site_table"]

SITE_COLUMNS = ("id", "name", "country", "lon", "lat", "precision_km", "operator",
                "status", "period", "source", "note")
"""Columns of :func:`load_sites`, besides ``geometry``."""
SITE_STATUSES = ("active", "reported", "historical", "planned")
"""Values of the ``status`` column."""

_REQUIRED = ("id", "name", "lon", "lat")
_PathLike = str | os.PathLike


def load_sites(path: _PathLike | None = None) -> gpd.GeoDataFrame:
    """Load and validate a table of deployment sites.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A CSV, GeoJSON or GeoPackage with at least ``id, name, lon, lat``
        (a point layer may give lon/lat by its geometry). Optional columns:
        ``country`` (ISO 3166 alpha-3), ``precision_km`` (default 0),
        ``operator``, ``status`` (one of :data:`SITE_STATUSES`), ``period``,
        ``source``, ``note``. Default: the embedded ``sites.csv``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per site with the columns of :data:`SITE_COLUMNS` and point
        geometry in EPSG:4326.

    Raises
    ------
    InputError
        Listing every problem of the file on one line.

    Examples
    --------
    >>> sites = load_sites()
    >>> row = sites.set_index("id").loc["deveselu"]
    >>> f"{row.lon:.2f} {row.lat:.2f} {row.country}"
    '24.41 44.08 ROU'
    """
    df, probs = read_table(*table_file(path, "sites.csv"))
    probs.require(df, _REQUIRED)
    check_ids(df, probs)
    lon = check_numbers(df, "lon", probs, lo=-180, hi=180)
    lat = check_numbers(df, "lat", probs, lo=-90, hi=90, swap_with=lon)
    prec = check_numbers(df, "precision_km", probs, lo=0, default=0.0)
    check_text(df, "status", probs, choices=SITE_STATUSES)
    check_text(df, "country", probs, pattern=r"[A-Z]{3}",
               expected="an ISO 3166 alpha-3 code such as 'ROU'")
    probs.raise_if_any()
    out = pd.DataFrame({c: df[c].astype(str).str.strip() if c in df else ""
                        for c in SITE_COLUMNS})
    out["lon"], out["lat"], out["precision_km"] = lon, lat, prec
    return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def site_table(sites: _PathLike | pd.DataFrame | None) -> pd.DataFrame:
    """Return the sites to resolve ids against: the embedded table, a file or a frame.

    A frame needs ``id, name, lon, lat`` with coordinates in range (the first bad one
    is an InputError naming its index); ``country``, ``precision_km`` (0), ``status`` and
    ``period`` are filled in when missing. A path (or None) is read by :func:`load_sites`.
    """
    if not isinstance(sites, pd.DataFrame):
        return load_sites(sites)
    _validate.frame(sites, "sites", _REQUIRED)
    _validate.frame_numbers(sites, "lon", "sites", lo=-180, hi=180)
    _validate.frame_numbers(sites, "lat", "sites", lo=-90, hi=90)
    defaults = {"country": "", "precision_km": 0.0, "status": "", "period": ""}
    return sites.assign(**{c: v for c, v in defaults.items() if c not in sites.columns})
