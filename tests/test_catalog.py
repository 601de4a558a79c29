"""Tests of geoinf.sites, geoinf.systems, geoinf.catalog and their CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod

from geoinf import catalog, datasets, treaty
from geoinf.catalog import (
    list_scenarios,
    load_pairs,
    load_scenario,
    scenario_rings,
)
from geoinf.cli import main
from geoinf.errors import DataError, InputError
from geoinf.sites import SITE_STATUSES, load_sites
from geoinf.systems import load_systems

DATA = Path(__file__).parent / "data"
WGS84 = Geod(ellps="WGS84")

# Approximate public positions quoted in the design notes (docs/DESIGN.md section 2),
# an independent reference for the catalogued coordinates.
DESIGN_POSITIONS = {
    "deveselu": (24.41, 44.08), "redzikowo": (17.10, 54.48), "kapustin-yar": (45.75, 48.57),
    "kamyshlov": (62.71, 56.85), "mozdok": (44.65, 43.75), "shuya": (41.38, 56.85),
    "chernyakhovsk": (21.81, 54.63),
}
REQUIRED_SITES = set(DESIGN_POSITIONS) | {
    "mutlangen", "heilbronn-waldheide", "neu-ulm", "greenham-common", "molesworth", "comiso",
    "florennes", "woensdrecht", "wueschheim"}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the shipped catalog ------------------------------------------------------------------

def test_shipped_sites_validate_and_every_row_is_cited():
    sites = load_sites()
    assert REQUIRED_SITES <= set(sites["id"])
    assert sites["id"].is_unique
    assert (sites["source"].str.len() > 0).all()
    assert sites["source"].str.contains("http").all()
    assert set(sites["status"]) <= set(SITE_STATUSES)
    assert sites.crs.to_epsg() == 4326
    point = (sites.geom_type == "Point").to_numpy()
    pts = sites[point]
    assert np.allclose(pts.geometry.x, pts["lon"]) and np.allclose(pts.geometry.y, pts["lat"])
    # the one area site of the catalog is Belarus, its label point inside it
    areas = sites[~point]
    assert areas["id"].tolist() == ["belarus-area"]
    assert areas.geometry.iloc[0].contains(shapely.Point(areas["lon"].iloc[0],
                                                         areas["lat"].iloc[0]))


def test_shipped_systems_validate_and_every_bound_is_cited():
    systems = load_systems()
    for col in ("low_claimant", "low_source", "high_claimant", "high_source"):
        assert (systems[col].str.len() > 0).all(), col
    assert (systems["range_km_low"] <= systems["range_km_high"]).all()


def test_every_site_and_system_is_listed_in_sources_md():
    text = (datasets.data_dir() / "SOURCES.md").read_text(encoding="utf-8")
    for ident in list(load_sites()["id"]) + list(load_systems()["id"]):
        assert f"`{ident}`" in text, ident


@pytest.mark.parametrize("site", sorted(DESIGN_POSITIONS))
def test_reported_sites_lie_near_the_design_reference(site):
    row = load_sites().set_index("id").loc[site]
    ref_lon, ref_lat = DESIGN_POSITIONS[site]
    _, _, dist_m = WGS84.inv(row.lon, row.lat, ref_lon, ref_lat)
    assert dist_m / 1000 < 5.0


def test_inf_class_is_derived_from_each_bound():
    systems = load_systems()
    assert list(systems["inf_class_low"]) == list(treaty.inf_class(systems["range_km_low"]))
    assert list(systems["inf_class_high"]) == list(treaty.inf_class(systems["range_km_high"]))
    row = systems.set_index("id").loc["9m729"]
    assert (row.range_km_low, row.inf_class_low) == (480.0, "exempt")  # Russia's claim
    assert row.inf_class_high == "intermediate-range"  # press figures for US assessments


def test_shipped_scenarios():
    listing = list_scenarios().set_index("scenario")
    assert catalog.DEFAULT_SCENARIO == "inf-2019"
    assert set(listing.index) == {"inf-2019", "euromissiles-1983", "kaliningrad",
                                  "post-inf-2026"}
    inf = load_scenario()
    assert set(zip(inf["site"], inf["system"], strict=True)) == {
        ("deveselu", "mk41-tomahawk"), ("redzikowo", "mk41-tomahawk"),
        ("kapustin-yar", "9m729"), ("kamyshlov", "9m729"), ("mozdok", "9m729"),
        ("shuya", "9m729")}
    kal = load_scenario("kaliningrad").set_index("system")
    assert kal.loc["9m729", "basis"] == "hypothetical"
    assert "HYPOTHETICAL" in kal.loc["9m729", "note"]


# --- validation messages ------------------------------------------------------------------

SITE_HEADER = "id,name,lon,lat\n"


@pytest.mark.parametrize("body, expected", [
    ("a,A,24.4,97.2\n",
     "row 2 field lat: 97.2 is outside [-90, 90] (lat and lon look swapped: lon is 24.4)"),
    ("a,A,120,-95\n", "row 2 field lat: -95 is outside [-90, 90]"),
    ("a,A,200,10\n", "row 2 field lon: 200 is outside [-180, 180]"),
    ("a,A,abc,10\n", "row 2 field lon: 'abc' is not a number"),
    ("a,A,10,\n", "row 2 field lat: empty (expected a number)"),
    (",A,10,10\n", "row 2 field id: empty (expected a unique id such as 'kapustin-yar')"),
    ("a,A,10,10\nb,B,11,11\na,C,12,12\n", "row 4 field id: duplicate 'a' (first at row 2)"),
], ids=["lat-swapped", "lat", "lon", "non-numeric", "empty-number", "empty-id", "duplicate-id"])
def test_site_error_messages(tmp_path, body, expected):
    path = _write(tmp_path, "s.csv", SITE_HEADER + body)
    with pytest.raises(InputError) as info:
        load_sites(path)
    assert str(info.value) == f"{path}: {expected}"
    assert "\n" not in str(info.value)


def test_missing_columns_are_named_together(tmp_path):
    path = _write(tmp_path, "s.csv", "id,name\na,A\n")
    with pytest.raises(InputError, match=r"^.*s\.csv: missing columns lon, lat "
                       r"\(required: id, name, lon, lat\)$"):
        load_sites(path)


def test_user_file_with_three_problems_reports_all_three():
    path = DATA / "catalog_sites_three_problems.csv"
    with pytest.raises(InputError) as info:
        load_sites(path)
    assert str(info.value) == (
        f"{path}: 3 problems: "
        "row 2 field lat: 97.2 is outside [-90, 90] (lat and lon look swapped: lon is 24.4); "
        "row 3 field id: empty (expected a unique id such as 'kapustin-yar'); "
        "row 4 field lon: 'abc' is not a number")
    assert len(info.value.problems) == 3


@pytest.mark.parametrize("row, expected", [
    ("x,X,2500,480", "row 2 field range_km_low: 2500 is greater than range_km_high 480 "
                     "(expected low <= high)"),
    ("x,X,0,480", "row 2 field range_km_low: 0 is not positive (expected a number > 0)"),
    ("x,X,100,1e9x", "row 2 field range_km_high: '1e9x' is not a number"),
], ids=["low-above-high", "zero", "non-numeric"])
def test_system_error_messages(tmp_path, row, expected):
    path = _write(tmp_path, "y.csv", "id,name,range_km_low,range_km_high\n" + row + "\n")
    with pytest.raises(InputError) as info:
        load_systems(path)
    assert str(info.value) == f"{path}: {expected}"


def test_typed_inf_class_is_refused(tmp_path):
    path = _write(tmp_path, "y.csv", "id,name,range_km_low,range_km_high,inf_class\n"
                                     "x,X,100,200,exempt\n")
    with pytest.raises(InputError) as info:
        load_systems(path)
    assert str(info.value) == (f"{path}: column inf_class: not accepted; the INF class is "
                               "derived from range_km_low/range_km_high")


def test_scenario_with_unknown_site_and_system(tmp_path):
    path = _write(tmp_path, "scen.csv", "site,system\ndeveselu,mk41-tomahawk\n"
                                        "devesel,9m729\nshuya,9m72\n")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: 2 problems: row 3 field site: unknown site 'devesel'; "
                              "did you mean 'deveselu'? valid: asipovichy, belarus-area, "
                              "chernyakhovsk, comiso, ")
    assert "; row 4 field system: unknown system '9m72'; did you mean '9m729'? valid: 9m729, " \
           "bgm-109g, dark-eagle, iskander-m, mk41-tomahawk, mrc-sm6, mrc-tomahawk, oreshnik, " \
           "pershing-2, ss-20" in message


def test_unknown_scenario_name_suggests_the_closest():
    with pytest.raises(InputError) as info:
        load_scenario("inf2019")
    assert str(info.value) == ("unknown scenario 'inf2019'; did you mean 'inf-2019'? "
                               "valid: euromissiles-1983, inf-2019, kaliningrad, post-inf-2026")


def test_unknown_pair_ids_are_all_named():
    with pytest.raises(InputError, match=r"unknown site 'devesel'; did you mean 'deveselu'\?"
                       r".*; unknown system 'mk41-tomahwk'; did you mean 'mk41-tomahawk'\?"):
        load_pairs("devesel", "mk41-tomahwk")


def test_missing_file_and_unsupported_type(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_sites(tmp_path / "nope.csv")
    with pytest.raises(InputError, match=r"unsupported file type '\.xlsx'"):
        load_sites(_write(tmp_path, "s.xlsx", "x"))


def test_sites_from_parquet_as_places_are(tmp_path):
    # One reader for every table: a Parquet table of sites (numbers typed) is checked
    # as a CSV is, rows numbered from 2.
    import pandas as pd

    frame = pd.DataFrame({"id": ["a", "b"], "name": ["A", "B"], "lon": [24.41, 21.81],
                          "lat": [44.08, 54.63]})
    frame.to_parquet(tmp_path / "s.parquet")
    got = load_sites(tmp_path / "s.parquet")
    assert got[["id", "lon", "lat"]].values.tolist() == [["a", 24.41, 44.08], ["b", 21.81, 54.63]]
    frame.loc[1, "lat"] = 97.5
    frame.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(InputError, match=r"bad\.parquet: row 3 field lat: 97\.5 is outside "
                                         r"\[-90, 90\]"):
        load_sites(tmp_path / "bad.parquet")


def test_geojson_feature_that_is_no_site_is_reported(tmp_path):
    collection = {"type": "GeometryCollection", "geometries": [
        {"type": "Point", "coordinates": [0, 0]},
        {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}]}
    feature = {"type": "Feature", "properties": {"id": "g", "name": "Mixed"},
               "geometry": collection}
    path = _write(tmp_path, "s.geojson", json.dumps(
        {"type": "FeatureCollection", "features": [feature]}))
    with pytest.raises(InputError, match=r"feature 1 field geometry: a GeometryCollection is "
                                         r"not a site \(expected a point, line or polygon\)"):
        load_sites(path)
    line = dict(feature, geometry={"type": "LineString", "coordinates": [[0, 0], [1, 1]]})
    path = _write(tmp_path, "l.geojson", json.dumps(
        {"type": "FeatureCollection", "features": [line]}))
    with pytest.raises(InputError, match=r"LineString is not a point"):
        load_sites(path, areas=False)
    assert load_sites(path).geom_type.tolist() == ["LineString"]  # an area site by default


# --- user files ---------------------------------------------------------------------------

def test_user_geojson_sites_and_scenario():
    sites = load_sites(DATA / "catalog_sites_user.geojson")
    assert list(sites["id"]) == ["alpha", "bravo"]
    assert sites.set_index("id").loc["bravo", "lon"] == 177.5
    scen = load_scenario(DATA / "catalog_scenario_user.csv", sites=sites)
    assert list(scen["system"]) == ["9m729", "iskander-m"]
    assert list(scen["scenario"]) == ["drill", "drill"]


# --- scenario -> rings --------------------------------------------------------------------

def _expected_rows(pairs, conservative=False):
    two = (pairs["range_km_low"] != pairs["range_km_high"]).to_numpy()
    if conservative:
        two = two | (pairs["precision_km"] > 0).to_numpy()
    return int(np.where(two, 2, 1).sum())


@pytest.mark.parametrize("name", ["inf-2019", "euromissiles-1983", "kaliningrad"])
def test_scenario_rings_rows_are_sites_by_systems_by_estimates(name):
    pairs = load_scenario(name)
    rings = scenario_rings(name)
    assert len(rings) == _expected_rows(pairs)
    assert {"site", "system", "estimate", "range_km", "inf_class", "geometry"} <= set(rings)
    assert rings.crs.to_epsg() == 4326
    assert rings.is_valid.all()
    for (site, system), group in rings.groupby(["site", "system"]):
        row = pairs[(pairs["site"] == site) & (pairs["system"] == system)].iloc[0]
        if row.range_km_low == row.range_km_high:
            assert list(group["estimate"]) == ["single"]
        else:
            assert list(group["estimate"]) == ["low", "high"]
            assert list(group["range_km"]) == [row.range_km_low, row.range_km_high]
    assert list(rings["inf_class"]) == list(treaty.inf_class(rings["claimed_km"]))


def test_inf_2019_rings_have_known_counts():
    rings = scenario_rings("inf-2019")
    assert len(rings) == 12  # 6 pairs x (low, high)
    assert len(scenario_rings("euromissiles-1983")) == 19  # 9 pairs x 2 + SS-20 single
    assert len(scenario_rings("kaliningrad")) == 3


def test_ring_polygons_match_geodesic_distance():
    rings = scenario_rings("euromissiles-1983")  # includes a 5,000 km ring over the pole
    az = np.arange(0.0, 360.0, 15.0)
    for ring in rings.itertuples():
        lon = np.full(az.size, ring.lon)
        lat = np.full(az.size, ring.lat)
        for offset, inside in ((-5.0, True), (5.0, False)):
            x, y, _ = WGS84.fwd(lon, lat, az, np.full(az.size, (ring.range_km + offset) * 1e3))
            got = shapely.contains_xy(ring.geometry, x, y)
            assert got.all() if inside else not got.any(), (ring.site, ring.range_km, offset)


def test_conservative_rings_widen_outer_and_narrow_inner():
    plain = scenario_rings("kaliningrad")
    cons = scenario_rings("kaliningrad", conservative=True)
    pairs = load_scenario("kaliningrad")
    assert len(cons) == _expected_rows(pairs, conservative=True) == 4
    assert cons["conservative"].all() and not plain["conservative"].any()
    assert np.allclose(cons["range_km"], cons["claimed_km"] + cons["adjustment_km"])
    prec = 10.0  # Chernyakhovsk precision_km
    high = cons[cons["estimate"] == "high"]
    low = cons[cons["estimate"] == "low"]
    assert np.allclose(high["adjustment_km"], prec) and np.allclose(low["adjustment_km"], -prec)
    assert list(cons["inf_class"]) == list(treaty.inf_class(cons["claimed_km"]))


def test_pairs_across_the_antimeridian():
    sites = load_sites(DATA / "catalog_sites_user.geojson")
    rings = scenario_rings(load_pairs("bravo", "iskander-m", sites=sites))
    assert len(rings) == 1 and rings.geom_type.iloc[0] == "MultiPolygon"
    assert rings.is_valid.all()


# --- CLI ----------------------------------------------------------------------------------

@pytest.fixture
def runner():
    return CliRunner()


def test_cli_bad_user_file_exits_2_and_writes_nothing(runner, tmp_path):
    out = tmp_path / "sites.geojson"
    result = runner.invoke(main, ["sites", "--file", str(DATA /
                                  "catalog_sites_three_problems.csv"), "-o", str(out)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "3 problems" in lines[0] and "row 2 field lat: 97.2" in lines[0]
    assert "row 4 field lon: 'abc'" in lines[0]
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_sites_of_a_scenario_as_geojson(runner, tmp_path):
    out = tmp_path / "sites.geojson"
    result = runner.invoke(main, ["sites", "--scenario", "inf-2019", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    ids = {f["properties"]["id"] for f in data["features"]}
    assert ids == {"deveselu", "redzikowo", "kapustin-yar", "kamyshlov", "mozdok", "shuya"}
    again = runner.invoke(main, ["sites", "-o", str(out)])
    assert again.exit_code == 2 and "--overwrite" in again.output


def test_cli_listings(runner):
    systems = runner.invoke(main, ["systems", "--format", "csv"])
    assert systems.exit_code == 0
    assert systems.output.splitlines()[0].startswith("id,name,designations,type")
    assert "inf_class_low" in systems.output.splitlines()[0]
    listing = runner.invoke(main, ["scenarios"])
    assert listing.exit_code == 0 and "euromissiles-1983" in listing.output
    pairs = runner.invoke(main, ["scenarios", "kaliningrad"])
    assert pairs.exit_code == 0 and "hypothetical" in pairs.output
    bad = runner.invoke(main, ["scenarios", "inf2019"])
    assert bad.exit_code == 2
    assert bad.output.strip() == ("Error: unknown scenario 'inf2019'; did you mean "
                                  "'inf-2019'? valid: euromissiles-1983, inf-2019, kaliningrad, "
                                  "post-inf-2026")


def test_cli_user_scenario_with_user_sites(runner):
    args = ["scenarios", "drill", "--file", str(DATA / "catalog_scenario_user.csv"),
            "--sites", str(DATA / "catalog_sites_user.geojson"), "--format", "csv"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.output.count("drill,") == 2
    other = runner.invoke(main, args[:1] + ["dril"] + args[2:])
    assert other.exit_code == 2
    assert "unknown scenario 'dril'; did you mean 'drill'?" in other.output


def test_cli_rings_of_a_scenario_and_of_a_pair(runner, tmp_path):
    out = tmp_path / "rings.geojson"
    result = runner.invoke(main, ["rings", "--scenario", "kaliningrad", "-o", str(out)])
    assert result.exit_code == 0, result.output
    feats = json.loads(out.read_text())["features"]
    assert [(f["properties"]["system"], f["properties"]["estimate"]) for f in feats] == [
        ("iskander-m", "single"), ("9m729", "low"), ("9m729", "high")]
    pair = runner.invoke(main, ["rings", "--site", "deveselu", "--system", "mk41-tomahawk",
                                "--conservative"])
    assert pair.exit_code == 0, pair.output
    props = [f["properties"] for f in json.loads(pair.output)["features"]]
    assert [p["range_km"] for p in props] == [1598.0, 2502.0]  # precision_km 2
    assert all(p["conservative"] for p in props)
    bad = runner.invoke(main, ["rings", "--site", "devesel", "--system", "9m729"])
    assert bad.exit_code == 2
    assert bad.output.startswith("Error: unknown site 'devesel'; did you mean 'deveselu'?")
