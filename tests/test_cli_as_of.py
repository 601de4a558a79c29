"""CLI: --as-of on rings, cities, exposure and map, checked against the deployments table.

What stood on a date is recomputed here from data/deployments.csv directly (each pair's
latest status change on or before the date, not ``historical``), and cities are
recomputed by exact distance (pyproj ``Geod.inv``) from the standing pairs' sites.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geoinf.cli import main
from geoinf.constants import WGS84

DATA = Path(__file__).parent.parent / "data"
PLACES = str(Path(__file__).parent / "data" / "exposure_places.csv")


def _day(text: str) -> dt.date:
    parts = [int(p) for p in str(text).split("-")] + [1, 1]
    return dt.date(*parts[:3])


def _standing(as_of: str) -> set[tuple[str, str]]:
    """(site, system) pairs standing on ``as_of`` by the deployments table, brute force."""
    dep = pd.read_csv(DATA / "deployments.csv", dtype=str, comment=None)
    scen = pd.read_csv(DATA / "scenarios.csv", dtype=str)
    listed = set(zip(scen["site"], scen["system"], strict=True))
    day = _day(as_of)
    dep = dep[[_day(d) <= day for d in dep["date"]]].copy()
    dep["day"] = [_day(d) for d in dep["date"]]
    last = dep.sort_values("day", kind="stable").groupby(["site", "system"]).tail(1)
    keep = last[~last["status"].isin(["historical", "hypothetical"])]
    return {p for p in zip(keep["site"], keep["system"], strict=True) if p in listed}


@pytest.mark.parametrize("as_of", ["1985-06-01", "2019-06-01", "2026-06-01"])
def test_rings_as_of_are_the_standing_pairs(runner, tmp_path, as_of):
    out = tmp_path / "r.geojson"
    res = runner.invoke(main, ["rings", "--as-of", as_of, "-o", str(out)])
    assert res.exit_code == 0, res.output
    rings = gpd.read_file(out)
    assert set(zip(rings["site"], rings["system"], strict=True)) == _standing(as_of)
    assert rings.is_valid.all()


def test_the_three_pictures_differ_as_history_says(runner, tmp_path):
    s85, s19, s26 = (_standing(d) for d in ("1985-06-01", "2019-06-01", "2026-06-01"))
    assert {s for _, s in s85} == {"pershing-2", "bgm-109g", "ss-20"}
    assert not {s for _, s in s19} & {"pershing-2", "bgm-109g", "ss-20"}
    assert ("belarus-area", "oreshnik") in s26 and ("belarus-area", "oreshnik") not in s19


def test_cities_as_of_equal_exact_distance(runner, tmp_path):
    out = tmp_path / "c.csv"
    res = runner.invoke(main, ["cities", "--as-of", "1985-06-01", "--places", PLACES,
                               "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out, comment="#")
    sites = pd.read_csv(DATA / "sites.csv").set_index("id")
    systems = pd.read_csv(DATA / "systems.csv").set_index("id")
    places = pd.read_csv(PLACES)
    inside = np.zeros(len(places), bool)
    for site, system in _standing("1985-06-01"):
        lon, lat = sites.loc[site, ["lon", "lat"]]
        d = np.asarray(WGS84.inv(np.full(len(places), lon), np.full(len(places), lat),
                                 places["lon"].to_numpy(), places["lat"].to_numpy())[2])
        inside |= d / 1000 <= systems.loc[system, "range_km_high"]
    assert sorted(got["name"]) == sorted(places["name"][inside])
    assert 0 < inside.sum() < len(places)
    assert "# as_of: 1985-06-01" in out.read_text()


def test_exposure_and_map_as_of(runner, tmp_path):
    res = runner.invoke(main, ["exposure", "--as-of", "1985-06-01", "--layer", PLACES,
                               "--by", "system", "--format", "csv"])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(io.StringIO(res.output), comment="#")
    assert set(table["system"]) <= {"pershing-2", "bgm-109g", "ss-20"}
    assert "pershing-2" in set(table["system"])
    page = tmp_path / "m.html"
    res = runner.invoke(main, ["map", "--as-of", "1985-06-01", "--no-cities", "-o", str(page)])
    assert res.exit_code == 0, res.output
    text = page.read_text()
    assert "Pershing II" in text and "9M729" not in text


@pytest.mark.parametrize("args, needle", [
    (["rings", "--as-of", "1960-01-01"], "before the first status change"),
    (["cities", "--as-of", "2026-13-01"], "2026-13-01"),
    (["map", "--as-of", "yesterday", "-o", "x.html"], "yesterday"),
    (["cities", "--as-of", "2019-06-01", "--area", "BLR"], "does not apply to --sites/--area"),
    (["exposure", "--radius-km", "500"], "give --area ISO3 and --radius-km"),
])
def test_bad_as_of_is_one_line(runner, tmp_path, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(main, args)
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0], lines
    assert not (tmp_path / "x.html").exists()
