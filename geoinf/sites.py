"""Deployment sites: the cited table of where launchers are or were, validated on load.

The embedded table (``data/sites.csv``; sources in ``data/SOURCES.md``) and user files
in the same shape (CSV, GeoJSON, GeoPackage) go through the same checks: every problem
of a file is reported at once, in one :class:`~geoinf.errors.InputError` whose one-line
message names the file, the row (numbered as in a spreadsheet: the header is row 1;
features of a GeoJSON/GPKG are numbered from 1), the field, the value and what was
expected (see :mod:`geoinf.tables`).
"""

from __future__ import annotations

import difflib
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from . import _validate
from .errors import InputError
from .places import embedded_countries
from .rings import validate_edges
from .site_discs import site_discs
from .tables import (
    TABLE_SUFFIXES,
    Problems,
    check_ids,
    check_numbers,
    check_text,
    clip,
    coordinate_conflicts,
    read_frame,
    read_table,
    table_file,
)
from .treaty import band_label

__all__ = ["SITE_COLUMNS", "SITE_STATUSES", "AREA_TYPES", "load_sites", "site_table",
           "site_areas", "area_sites", "country_sites", "site_rings"]

SITE_COLUMNS = ("id", "name", "country", "lon", "lat", "precision_km", "operator",
                "status", "period", "source", "note")
"""Columns of :func:`load_sites`, besides ``geometry``."""
SITE_STATUSES = ("active", "reported", "historical", "planned")
"""Values of the ``status`` column."""

AREA_TYPES = ("LineString", "MultiLineString", "Polygon", "MultiPolygon")
"""Geometry types of an area site (a site that is a line or a polygon, not a point)."""

_REQUIRED = ("id", "name", "lon", "lat")
_WKT_EXAMPLE = "'POLYGON ((23.2 51.3, 32.8 51.3, 32.8 56.2, 23.2 56.2, 23.2 51.3))'"
_PathLike = str | os.PathLike


def load_sites(path: _PathLike | None = None, *, areas: bool = True) -> gpd.GeoDataFrame:
    """Load and validate a table of deployment sites.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A CSV, GeoJSON or GeoPackage with at least ``id, name, lon, lat``
        (a point layer may give lon/lat by its geometry). Optional columns:
        ``country`` (ISO 3166 alpha-3), ``precision_km`` (default 0),
        ``operator``, ``status`` (one of :data:`SITE_STATUSES`), ``period``,
        ``source``, ``note``. Default: the embedded ``sites.csv``.
    areas : bool, default True
        Accept area sites: a line or polygon feature (:data:`AREA_TYPES`) of a vector
        layer, a ``wkt`` cell of a CSV in lon/lat degrees (WGS84), or an ``area`` cell
        naming an embedded country by its ISO 3166 alpha-3 code (the catalog's
        "anywhere in Belarus"); their ``lon``/``lat`` are then optional (the label
        point: default a point on the area, shapely's ``point_on_surface``). With
        ``areas=False`` a site that is not a point is a problem.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per site with the columns of :data:`SITE_COLUMNS` and geometry in
        EPSG:4326: the site's point, or its line or polygon.

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
    if areas:
        df, probs, areas = _read_sites(*table_file(path, "sites.csv"))
    else:
        df, probs = read_table(*table_file(path, "sites.csv"))
        areas = np.full(len(df), None, dtype=object)
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
    geometry = np.asarray(gpd.points_from_xy(lon, lat), dtype=object)
    has_area = areas != None  # noqa: E711 (elementwise on an object array)
    geometry[has_area] = areas[has_area]
    return gpd.GeoDataFrame(out, geometry=geometry, crs="EPSG:4326")


def _read_sites(path, label: str) -> tuple[pd.DataFrame, Problems, NDArray[np.object_]]:
    """Read a sites file as text with its areas (None per point site), lon/lat filled in."""
    frame = None
    if path.suffix.lower() in TABLE_SUFFIXES and path.suffix.lower() not in (
            ".csv", ".txt", ".tsv") and path.is_file():
        frame, probs = read_frame(path, label)
    if isinstance(frame, gpd.GeoDataFrame) and _has_areas(frame.geometry.values):
        df, areas = _vector_areas(frame, probs)
    else:
        df, probs = read_table(path, label)
        areas = _wkt_areas(df, probs)
        _country_areas(df, probs, areas)
    given = areas != None  # noqa: E711
    _check_areas(areas, "wkt" if "wkt" in df else "geometry", probs)
    _label_points(df, areas)
    if "wkt" in df:
        given |= (df["wkt"].astype(str).str.strip() != "").to_numpy()
    for col in ("lon", "lat"):  # a bad area is its row's one problem, not lon/lat as well
        if col in df:
            df.loc[given & (areas == None) & (df[col] == ""), col] = "0"  # noqa: E711
    return df, probs, areas


def _country_areas(df: pd.DataFrame, probs: Problems, areas: NDArray[np.object_]) -> None:
    """Fill ``areas`` from an ``area`` column of ISO3 codes (embedded countries)."""
    if "area" not in df:
        return
    codes = df["area"].astype(str).str.strip().str.upper()
    countries = embedded_countries()
    shapes = dict(zip(countries["iso_a3"].astype(str), countries.geometry.values, strict=True))
    for i in np.flatnonzero((codes != "").to_numpy()):
        if areas[i] is not None:
            probs.add_row(i, "area", "a site gives both wkt and area; expected one of them")
        elif codes.iloc[i] in shapes:
            areas[i] = _polygonal(shapes[codes.iloc[i]])
        else:
            probs.add_row(i, "area", f"{clip(repr(df['area'].iloc[i]))} is not an embedded "
                          "country (expected an ISO 3166 alpha-3 code such as 'BLR')")


def _has_areas(geoms: NDArray) -> bool:
    types = shapely.get_type_id(geoms)
    return bool(((types > 0) & (types != 4)).any())  # anything but points, multipoints


def _vector_areas(frame: gpd.GeoDataFrame, probs: Problems):
    """Return the attributes of a layer with lines or polygons as text, and its areas."""
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    geoms = frame.geometry.values.to_numpy() if hasattr(frame.geometry.values, "to_numpy") \
        else np.asarray(frame.geometry.values, dtype=object)
    df = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object)
    df = df.where(df.notna(), "").astype(str).apply(lambda col: col.str.strip())
    for col in ("lon", "lat"):
        if col not in df:
            df[col] = ""
    is_point = (shapely.get_type_id(geoms) == 0) & ~shapely.is_empty(geoms)
    points = np.where(is_point, geoms, None)
    x, y = shapely.get_x(points), shapely.get_y(points)
    for i in coordinate_conflicts(df["lon"], df["lat"], x, y):
        probs.add_row(i, "lon/lat", f"properties lon/lat ({clip(df['lon'].iloc[i])}, "
                      f"{clip(df['lat'].iloc[i])}) disagree with the point geometry "
                      f"({x[i]!r}, {y[i]!r}); expected the same point or no lon/lat")
    df["lon"] = np.where(is_point, [repr(float(v)) for v in x], df["lon"].to_numpy(object))
    df["lat"] = np.where(is_point, [repr(float(v)) for v in y], df["lat"].to_numpy(object))
    areas = np.where(is_point | (geoms == None), None, geoms)  # noqa: E711
    return df, areas


def _wkt_areas(df: pd.DataFrame, probs: Problems, field: str = "wkt") -> NDArray[np.object_]:
    """Parse a ``wkt`` column: an area per non-empty cell (a point fills lon/lat)."""
    areas = np.full(len(df), None, dtype=object)
    if field not in df:
        return areas
    for i, text in enumerate(df[field].astype(str)):
        if not text.strip():
            continue
        try:
            geom = shapely.from_wkt(text)
        except shapely.errors.ShapelyError as err:
            reason = str(err).split("\n")[0]
            probs.add_row(i, field, f"{clip(repr(text))} is not WKT ({clip(reason)}); expected "
                          f"a line or polygon in lon/lat degrees such as {_WKT_EXAMPLE}")
            continue
        if geom.geom_type == "Point" and not geom.is_empty:
            for col, value in (("lon", geom.x), ("lat", geom.y)):
                if col not in df or not str(df[col].iloc[i]).strip():
                    df.loc[df.index[i], col] = repr(float(value))
            continue
        areas[i] = geom
    return areas


def _check_areas(areas: NDArray[np.object_], field: str, probs: Problems) -> None:
    """Record areas that are of another type, empty, off lon/lat ranges or invalid."""
    for i in np.flatnonzero(areas != None):  # noqa: E711
        geom = areas[i]
        problem = _area_problem(geom)
        if problem:
            probs.add_row(i, field, problem)
            areas[i] = None


def _area_problem(geom) -> str:
    """Return what is wrong with an area site's geometry ('' when nothing)."""
    kind = geom.geom_type
    if kind not in AREA_TYPES:
        return f"a {kind} is not a site (expected a point, line or polygon)"
    if geom.is_empty:
        return f"an empty {kind} (expected a line or polygon with coordinates)"
    xy = shapely.get_coordinates(geom)
    if not np.isfinite(xy).all():
        return f"{kind} has coordinates that are not numbers"
    bad = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    if bad.any():
        x, y = xy[np.argmax(bad)]
        return (f"{kind} has the point ({x:g}, {y:g}), not lon/lat degrees (expected lon in "
                "[-180, 180], lat in [-90, 90]: WGS84, EPSG:4326)")
    if not geom.is_valid:
        return f"{kind} is not valid ({shapely.is_valid_reason(geom)})"
    return ""


def _label_points(df: pd.DataFrame, areas: NDArray[np.object_]) -> None:
    """Fill the empty lon/lat of area rows with a point on the area."""
    has = areas != None  # noqa: E711
    if not has.any():
        return
    for col in ("lon", "lat"):
        if col not in df:
            df[col] = ""
    points = shapely.point_on_surface(np.where(has, areas, None))
    for col, values in (("lon", shapely.get_x(points)), ("lat", shapely.get_y(points))):
        empty = has & (df[col].astype(str).str.strip() == "").to_numpy()
        df.loc[empty, col] = [repr(float(v)) for v in values[empty]]


def site_areas(sites: pd.DataFrame) -> NDArray[np.object_]:
    """Return each site's line or polygon, None for a point site.

    The ``area`` column if the frame has one, else the lines and polygons of a
    GeoDataFrame's geometry, else a ``wkt`` column (an InputError names a bad cell).

    Examples
    --------
    >>> frame = pd.DataFrame({"id": ["a", "b"], "wkt": ["LINESTRING (20 50, 21 51)", ""]})
    >>> [None if g is None else g.geom_type for g in site_areas(frame)]
    ['LineString', None]
    """
    if "area" in sites.columns:
        areas = np.array(list(sites["area"]), dtype=object)
        areas[pd.isna(sites["area"]).to_numpy()] = None
    elif isinstance(sites, gpd.GeoDataFrame) and _has_geometry(sites):
        geoms = np.array(list(sites.geometry.values), dtype=object)
        types = shapely.get_type_id(geoms)
        areas = np.where((types > 0) & (types != 4), geoms, None)
    else:
        probs = Problems("sites", "index", 0)
        areas = _wkt_areas(sites.copy(), probs) if "wkt" in sites.columns else \
            np.full(len(sites), None, dtype=object)
        probs.raise_if_any()
    probs = Problems("sites", "index", 0)
    _check_areas(areas, "area" if "area" in sites.columns else "geometry", probs)
    probs.raise_if_any()
    return areas


def _has_geometry(frame: gpd.GeoDataFrame) -> bool:
    """Return whether a GeoDataFrame has an active geometry column."""
    try:
        frame.geometry  # noqa: B018 (raises AttributeError without one)
    except AttributeError:
        return False
    return True


def area_sites(sites: pd.DataFrame) -> pd.DataFrame:
    """Return a sites frame with an ``area`` column (None for point sites) and lon/lat.

    Area sites without ``lon``/``lat`` get a point on the area (their label point);
    frames without areas are returned as they are.

    Examples
    --------
    >>> frame = area_sites(pd.DataFrame({"id": ["a"], "wkt": ["LINESTRING (20 50, 22 50)"]}))
    >>> frame["area"].iloc[0].geom_type, float(frame["lat"].iloc[0])
    ('LineString', 50.0)
    """
    if not isinstance(sites, pd.DataFrame):
        return sites
    areas = site_areas(sites)
    if (areas == None).all():  # noqa: E711
        return sites
    has = areas != None  # noqa: E711
    points = shapely.point_on_surface(np.where(has, areas, None))
    out = pd.DataFrame(sites.drop(columns=sites.geometry.name)
                       if isinstance(sites, gpd.GeoDataFrame) and _has_geometry(sites)
                       else sites).copy()
    for col, values in (("lon", shapely.get_x(points)), ("lat", shapely.get_y(points))):
        given = pd.to_numeric(out[col], errors="coerce").to_numpy(float) if col in out \
            else np.full(len(out), np.nan)
        out[col] = np.where(has & np.isnan(given), values, given)
    out["area"] = areas
    return out


def country_sites(codes) -> gpd.GeoDataFrame:
    """Return embedded countries as area sites: "anywhere in Belarus".

    Parameters
    ----------
    codes : str or sequence of str
        ISO 3166 alpha-3 codes of :func:`geoinf.places.embedded_countries` (case
        ignored; one str may list several, comma-separated).

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`load_sites`: ``id`` and ``country`` the code, ``name`` the country's
        name, ``lon``/``lat`` a point in it, geometry its (Multi)Polygon (Natural
        Earth, split at ±180°).

    Examples
    --------
    >>> blr = country_sites("blr")
    >>> blr[["id", "name"]].values.tolist(), blr.geom_type.tolist()
    ([['BLR', 'Belarus']], ['Polygon'])
    """
    if isinstance(codes, str):
        codes = codes.split(",")
    wanted = [str(c).strip().upper() for c in _validate.keys(list(codes), "area")]
    wanted = [c for c in wanted if c]
    countries = embedded_countries()
    known = countries["iso_a3"].astype(str).tolist()
    for code in wanted:
        if code not in known:
            near = difflib.get_close_matches(code, known, n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise InputError(f"area {code!r} is not an embedded country (expected an ISO "
                             f"3166 alpha-3 code such as 'BLR'){hint}")
    if not wanted:
        raise InputError("area: no country code (expected ISO 3166 alpha-3 codes such as BLR)")
    rows = countries.set_index(countries["iso_a3"].astype(str)).loc[list(dict.fromkeys(wanted))]
    geoms = np.array([_polygonal(g) for g in rows.geometry.values], dtype=object)
    label = shapely.point_on_surface(geoms)
    out = pd.DataFrame({c: "" for c in SITE_COLUMNS}, index=range(len(rows)))
    out["id"] = out["country"] = rows.index.to_numpy()
    out["name"] = rows["name"].astype(str).to_numpy()
    out["lon"], out["lat"] = shapely.get_x(label), shapely.get_y(label)
    out["precision_km"] = 0.0
    out["source"] = "Natural Earth admin-0 (embedded countries)"
    return gpd.GeoDataFrame(out, geometry=geoms, crs="EPSG:4326")


def _polygonal(geom):
    """Return the polygons of a geometry (a country repaired by make_valid may hold lines)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def site_table(sites: _PathLike | pd.DataFrame | None) -> pd.DataFrame:
    """Return the sites to resolve ids against: the embedded table, a file or a frame.

    A frame needs ``id, name, lon, lat`` with coordinates in range (the first bad one
    is an InputError naming its index); ``country``, ``precision_km`` (0), ``status`` and
    ``period`` are filled in when missing; area sites (:func:`area_sites`) get an
    ``area`` column and may leave out lon/lat. A path (or None) is read by
    :func:`load_sites`.
    """
    if not isinstance(sites, pd.DataFrame):
        return load_sites(sites)
    sites = area_sites(sites)
    _validate.frame(sites, "sites", _REQUIRED)
    _validate.frame_numbers(sites, "lon", "sites", lo=-180, hi=180)
    _validate.frame_numbers(sites, "lat", "sites", lo=-90, hi=90)
    defaults = {"country": "", "precision_km": 0.0, "status": "", "period": ""}
    return sites.assign(**{c: v for c, v in defaults.items() if c not in sites.columns})


def site_rings(sites: pd.DataFrame, radius_km: ArrayLike, *, bands: bool = False,
               tolerance_km: float = 0.1, engine: str = "auto") -> gpd.GeoDataFrame:
    """Return rings (or bands) around every site of a table: points, lines or polygons.

    Around a point site a ring is its geodesic disc (:func:`geoinf.rings.disc_polygons`); around an
    area site (a line or polygon, :func:`geoinf.sites.area_sites`) it is
    :func:`geoinf.geodesic_buffer` of the area at that distance, and a band
    ``(min_km, max_km)`` is ``buffer(max_km) - buffer(min_km)``; with a first edge of 0
    the first band is ``buffer(max_km)`` (the area and everything within ``max_km``).

    Parameters
    ----------
    sites : DataFrame
        ``lon, lat`` (optional for area sites) and ``id``/``site``/``name``; areas in
        ``area``, a GeoDataFrame's lines and polygons or a ``wkt`` column.
    radius_km : sequence of float
        Ring radii, or band edges with ``bands``.
    bands : bool, default False
        Bands between consecutive edges (:func:`geoinf.range_bands`) instead of rings.
    tolerance_km, engine
        As for :func:`geoinf.range_rings`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site, site_name, lon, lat`` and ``radius_km`` (rings) or ``min_km, max_km,
        band`` (bands), site-major.

    Examples
    --------
    >>> sites = pd.DataFrame({"id": ["line"], "wkt": ["LINESTRING (20 50, 24 50)"]})
    >>> rings = site_rings(sites, [100, 500])
    >>> rings[["site", "radius_km"]].assign(valid=rings.is_valid)
       site  radius_km  valid
    0  line      100.0   True
    1  line      500.0   True
    """
    frame = area_sites(sites)
    areas = site_areas(frame)
    _validate.frame(frame, "sites", ("lon", "lat"), one_of=("id", "site", "name"))
    label = next(c for c in ("id", "site", "name") if c in frame.columns)
    names = frame["name"] if "name" in frame.columns else frame[label]
    edges = validate_edges(radius_km) if bands else np.atleast_1d(
        _validate.numbers(radius_km, "radius_km", lo=0, lo_open=True)).astype(float).ravel()
    radii = edges[edges > 0]
    lon, lat = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
    discs = site_discs(lon, lat, areas, np.broadcast_to(radii, (len(frame), radii.size)),
                       tolerance_km=tolerance_km, engine=engine)
    per = radii.size if not bands else edges.size - 1
    columns = {"site": np.repeat(frame[label].astype(str).to_numpy(), per),
               "site_name": np.repeat(names.astype(str).to_numpy(), per),
               "lon": np.repeat(lon, per), "lat": np.repeat(lat, per)}
    if not bands:
        return _rings_frame(discs.ravel(), {**columns, "radius_km": np.tile(radii, len(frame))})
    inner = discs[:, :-1] if edges[0] > 0 else np.concatenate(
        [np.full((len(frame), 1), None), discs[:, :-1]], axis=1)
    outer = discs[:, 1:] if edges[0] > 0 else discs
    geometry = outer.ravel().copy()
    cut = inner.ravel() != None  # noqa: E711
    if cut.any():
        geometry[cut] = shapely.orient_polygons(shapely.difference(geometry[cut],
                                                                   inner.ravel()[cut]))
    labels = [band_label(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return _rings_frame(geometry, {**columns, "min_km": np.tile(edges[:-1], len(frame)),
                             "max_km": np.tile(edges[1:], len(frame)),
                             "band": np.tile(labels, len(frame))})


def _rings_frame(geometry: NDArray[np.object_], columns: dict) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(columns), geometry=geometry, crs="EPSG:4326")
