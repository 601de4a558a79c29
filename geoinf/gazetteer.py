"""The gazetteer: a place name (or coordinates) resolved to one place of a places table."""

from __future__ import annotations

import difflib

from .errors import InputError
from .geodesic import validate_points
from .population_sums import places_frame

__all__ = ["resolve_place"]


def resolve_place(place, *, places=None) -> tuple[str, float, float]:
    """Return ``(label, lon, lat)`` of a place name (optionally ``"Name, CC"``) or (lon, lat).

    A name matches ``name`` or ``asciiname`` (case-insensitive), else names that
    start with it ("Frankfurt" -> "Frankfurt am Main", "Frankfurt (Oder)"). Of
    several exact matches the most populous is taken if it has at least 10 times the
    people of the next ("Berlin": not the hamlet of 613); otherwise, and for several
    prefix matches, the candidates are listed.

    Parameters
    ----------
    place : str or (lon, lat)
        A name, ``"Name, CC"`` (the place's ``country`` or ``iso_a3`` code), or
        coordinates in degrees.
    places : DataFrame or path, optional
        The places to search (default: the embedded GeoNames places).

    Returns
    -------
    label, lon, lat : str, float, float
        ``"Name (CC, population)"`` (or ``"(lon, lat)"``) and the place's coordinates.

    Raises
    ------
    InputError
        Unknown (with close matches) or ambiguous names.

    Examples
    --------
    >>> resolve_place("Berlin")[0]
    'Berlin (DE, 3,426,354)'
    >>> resolve_place("Frankfurt")
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: place 'Frankfurt' is ambiguous: Frankfurt am Main (DE, ...
    """
    if not isinstance(place, str):
        try:
            lon, lat = (float(v) for v in place)
        except (TypeError, ValueError):
            raise InputError(f"place={place!r}: expected a name or (lon, lat)") from None
        validate_points(lon=lon, lat=lat)
        return f"({lon:g}, {lat:g})", lon, lat
    frame = places_frame(places, 0)
    text, _, country = (part.strip() for part in place.partition(","))
    if country:
        code = country.upper()
        keep = (frame["country"].astype(str).str.upper() == code)
        if "iso_a3" in frame:
            keep |= frame["iso_a3"].astype(str).str.upper() == code
        frame = frame[keep]
    names = frame["name"].astype(str).str.casefold()
    ascii_ = frame["asciiname"].astype(str).str.casefold() if "asciiname" in frame else names
    key = text.casefold()
    hits = frame[(names == key) | (ascii_ == key)]
    exact = not hits.empty
    if hits.empty:
        hits = frame[names.str.startswith(key + " ") | names.str.startswith(key + "(")
                     | ascii_.str.startswith(key + " ")]
    if hits.empty:
        close = difflib.get_close_matches(text, frame["name"].astype(str).unique(), n=5,
                                          cutoff=0.75)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else \
            "; give (lon, lat) instead"
        raise InputError(f"unknown place {place!r}{hint}")
    hits = hits.sort_values("population", ascending=False, kind="stable")
    pops = hits["population"].to_numpy(float)
    if len(hits) > 1 and (not exact or pops[0] < 10 * pops[1]):
        shown = ", ".join(_place_label(r) for r in hits.head(6).itertuples())
        raise InputError(f"place {place!r} is ambiguous: {shown}; give the full name, "
                         "'Name, CC' or (lon, lat)")
    best = next(hits.itertuples())
    return _place_label(best), float(best.lon), float(best.lat)


def _place_label(row) -> str:
    """Return ``"Name (CC, population)"``, the label of a place in answers and messages."""
    return f"{row.name} ({row.country}, {int(row.population):,})"
