"""Tests of the 2024-2026 catalog: claims, dated statuses, ``as_of`` and checked published claims.

Every checked answer is computed from exact distances (``geoinf.distance_km``,
``geoinf.cities_in_range``, ``geoinf.distance_to_km``) and compared with pyproj's
``Geod.inv`` on the catalog's coordinates; none is written down by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from pyproj import Geod

import geoinf
from geoinf import claims as claims_mod
from geoinf.catalog import list_scenarios, load_scenario, pairs_as_of, scenario_rings, select_pairs
from geoinf.claims import (
    claim_support,
    load_claims,
    load_deployments,
    parse_date,
    statuses_as_of,
)
from geoinf.cli import main
from geoinf.errors import InputError
from geoinf.gazetteer import resolve_place
from geoinf.places import embedded_countries
from geoinf.sites import load_sites
from geoinf.systems import load_systems

WGS84 = Geod(ellps="WGS84")
OLD_SCENARIOS = ("inf-2019", "euromissiles-1983", "kaliningrad")

# (scenario, site, system, basis, lon, lat, precision_km, range_km_low, range_km_high) of the
# three scenarios before the 2026 catalog, taken from the tables as they were: the new rows
# and notes must not change any of them.
FROZEN = [
    ('inf-2019', 'deveselu', 'mk41-tomahawk', 'claimed', 24.4134, 44.0787, 2.0, 1600.0, 2500.0),
    ('inf-2019', 'redzikowo', 'mk41-tomahawk', 'claimed', 17.1075, 54.4789, 2.0, 1600.0, 2500.0),
    ('inf-2019', 'kapustin-yar', '9m729', 'reported', 45.75, 48.5833, 30.0, 480.0, 2500.0),
    ('inf-2019', 'kamyshlov', '9m729', 'reported', 62.7167, 56.85, 15.0, 480.0, 2500.0),
    ('inf-2019', 'mozdok', '9m729', 'reported', 44.6569, 43.7472, 15.0, 480.0, 2500.0),
    ('inf-2019', 'shuya', '9m729', 'reported', 41.3667, 56.85, 15.0, 480.0, 2500.0),
    ('euromissiles-1983', 'mutlangen', 'pershing-2', 'deployed',
     9.8061, 48.815, 1.0, 1700.0, 1800.0),
    ('euromissiles-1983', 'heilbronn-waldheide', 'pershing-2', 'deployed',
     9.2753, 49.1292, 1.0, 1700.0, 1800.0),
    ('euromissiles-1983', 'neu-ulm', 'pershing-2', 'deployed', 10.0, 48.4, 25.0, 1700.0, 1800.0),
    ('euromissiles-1983', 'greenham-common', 'bgm-109g', 'deployed',
     -1.2822, 51.3786, 2.0, 2414.0, 2500.0),
    ('euromissiles-1983', 'molesworth', 'bgm-109g', 'deployed',
     -0.405, 52.3794, 2.0, 2414.0, 2500.0),
    ('euromissiles-1983', 'comiso', 'bgm-109g', 'deployed', 14.6069, 36.9917, 2.0, 2414.0, 2500.0),
    ('euromissiles-1983', 'florennes', 'bgm-109g', 'deployed',
     4.6458, 50.2433, 2.0, 2414.0, 2500.0),
    ('euromissiles-1983', 'wueschheim', 'bgm-109g', 'deployed',
     7.4247, 50.0519, 2.0, 2414.0, 2500.0),
    ('euromissiles-1983', 'woensdrecht', 'bgm-109g', 'planned',
     4.3417, 51.4489, 2.0, 2414.0, 2500.0),
    ('euromissiles-1983', 'postavy', 'ss-20', 'deployed', 26.9058, 55.1631, 5.0, 5000.0, 5000.0),
    ('kaliningrad', 'chernyakhovsk', 'iskander-m', 'deployed',
     21.8119, 54.6347, 10.0, 500.0, 500.0),
    ('kaliningrad', 'chernyakhovsk', '9m729', 'hypothetical',
     21.8119, 54.6347, 10.0, 480.0, 2500.0),
]

CAPITALS = ["Lisbon, PT", "Madrid, ES", "Paris, FR", "London, GB", "Dublin, IE",
            "Reykjavík, IS", "Oslo, NO", "Stockholm, SE", "Helsinki, FI", "Copenhagen, DK",
            "Amsterdam, NL", "Brussels, BE", "Luxembourg, LU", "Bern, CH", "Rome, IT",
            "Valletta, MT", "Athens, GR", "Nicosia, CY", "Sofia, BG", "Bucharest, RO",
            "Belgrade, RS", "Podgorica, ME", "Sarajevo, BA", "Skopje, MK", "Tirana, AL",
            "Zagreb, HR", "Ljubljana, SI", "Vienna, AT", "Budapest, HU", "Bratislava, SK",
            "Prague, CZ", "Berlin, DE", "Warsaw, PL", "Vilnius, LT", "Riga, LV",
            "Tallinn, EE", "Chisinau, MD", "Kyiv, UA"]


def _site(ident: str):
    return load_sites().set_index("id").loc[ident]


def _place(name: str) -> tuple[float, float]:
    _, lon, lat = resolve_place(name)
    return lon, lat


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return geoinf's distance, after checking it against pyproj."""
    got = geoinf.distance_km(a[0], a[1], b[0], b[1])
    _, _, ref_m = WGS84.inv(a[0], a[1], b[0], b[1])
    assert got == pytest.approx(ref_m / 1000, abs=1e-6)
    return float(got)


def _country_vertices(iso3: str) -> np.ndarray:
    geom = embedded_countries().set_index("iso_a3").loc[iso3, "geometry"]
    parts = getattr(geom, "geoms", [geom])
    return np.vstack([np.asarray(p.exterior.coords) for p in parts])


def _farthest_km(vertices: np.ndarray, lon: float, lat: float) -> float:
    """Farthest border vertex from a point (geodesic distance along an edge peaks at an end)."""
    n = len(vertices)
    _, _, d = WGS84.inv(np.full(n, lon), np.full(n, lat), vertices[:, 0], vertices[:, 1])
    return float(d.max() / 1000)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the old scenarios keep their results ---------------------------------------------

@pytest.mark.parametrize("name", OLD_SCENARIOS)
def test_old_scenarios_keep_their_pairs_positions_and_ranges(name):
    got = load_scenario(name)
    want = [row[1:] for row in FROZEN if row[0] == name]
    cols = ["site", "system", "basis", "lon", "lat", "precision_km", "range_km_low",
            "range_km_high"]
    assert [tuple(r) for r in got[cols].itertuples(index=False)] == want
    assert "deployment_status" not in got  # no as_of: the frame is as before


def test_old_scenario_rings_keep_their_radii():
    for name in OLD_SCENARIOS:
        rings = scenario_rings(name)
        want = []
        for _, site, system, _, _, _, _, low, high in (r for r in FROZEN if r[0] == name):
            want += [(site, system, low)] if low == high else [(site, system, low),
                                                               (site, system, high)]
        assert list(zip(rings["site"], rings["system"], rings["range_km"], strict=True)) == want


# --- claims ---------------------------------------------------------------------------

def test_every_claim_is_cited_and_systems_bounds_are_the_drawn_extremes():
    claims = load_claims()
    assert (claims["source"].str.len() > 0).all()
    assert claims["source"].str.contains("http").all()
    assert set(claims["kind"]) == set(claims_mod.CLAIM_KINDS)
    systems = load_systems().set_index("id")
    assert set(claims["system"]) == set(systems.index)
    for ident, group in claims.groupby("system"):
        drawn = group[group["drawn"] & (group["kind"] == "max")]
        row = systems.loc[ident]
        assert row.range_km_low == drawn["range_km"].min(), ident
        assert row.range_km_high == drawn["range_km"].max(), ident
        for bound, source in ((row.range_km_low, row.low_source),
                              (row.range_km_high, row.high_source)):
            at = drawn[drawn["range_km"] == bound]
            assert source in set(at["source"]), (ident, bound)
    assert (claims.loc[~claims["drawn"], "note"].str.len() > 0).all()


def test_9m729_carries_russian_us_and_combat_claims():
    c = load_claims().query("system == '9m729'")
    assert len(c) > 2
    by = {(r.kind, r.range_km): r for r in c.itertuples()}
    assert by[("max", 480.0)].claimant.startswith("Russia")
    assert by[("max", 480.0)].day.isoformat() == "2019-01-23"
    flight = by[("flight", 1200.0)]
    assert "Sybiha" in flight.claimant and flight.day.year == 2025
    assert any(r.kind == "max" and r.range_km == 2500.0 and "US" in r.claimant
               for r in c.itertuples())


def test_oreshnik_claims_span_the_published_figures():
    c = load_claims().query("system == 'oreshnik' and drawn")
    assert sorted(set(c["range_km"])) == [5000.0, 5500.0]
    assert any(s.startswith("official") for s in c["strength"])


def test_claim_support_says_which_claims_reach_a_distance():
    lon, lat = _site("mainz-kastel")[["lon", "lat"]]
    d = _km((lon, lat), _place("Moscow"))
    support = claim_support("mrc-tomahawk", d)
    assert list(support["reaches"]) == list(support["range_km"] >= d)
    assert set(support.loc[support["reaches"], "range_km"]) == {2500.0}
    with pytest.raises(InputError, match="system 'nope' has no claims"):
        claim_support("nope", 100.0)


# --- statuses with dates --------------------------------------------------------------

def test_every_scenario_pair_has_a_status_history_with_its_basis():
    deployments = load_deployments()
    assert (deployments["source"].str.len() > 0).all()
    assert set(deployments["status"]) <= set(claims_mod.DEPLOYMENT_STATUSES)
    statuses = deployments.groupby(["site", "system"])["status"].agg(set)
    for name in list_scenarios()["scenario"]:
        for p in load_scenario(name).itertuples():
            assert (p.site, p.system) in statuses.index, (name, p.site, p.system)
            assert p.basis in statuses.loc[(p.site, p.system)], (name, p.site, p.system)


def _pairs(frame) -> set:
    return set(zip(frame["site"], frame["system"], strict=True))


def test_as_of_gives_the_1985_2019_and_2026_pictures():
    euro = {(r[1], r[2]) for r in FROZEN if r[0] == "euromissiles-1983"}
    in_1985 = pairs_as_of("1985-06-01")
    # Molesworth (Dec 1986) and Wueschheim (Feb 1986) came later.
    assert _pairs(in_1985) == euro - {("molesworth", "bgm-109g"), ("wueschheim", "bgm-109g")}
    assert set(in_1985["deployment_status"]) == {"deployed", "planned"}
    in_2019 = select_pairs(as_of="2019-08-02")
    assert {s for s, y in _pairs(in_2019) if y == "9m729"} == {
        "kapustin-yar", "kamyshlov", "mozdok", "shuya"}
    assert not _pairs(in_2019) & euro  # all withdrawn by 1991
    assert ("chernyakhovsk", "9m729") not in _pairs(in_2019)  # hypothetical: never stood
    in_2026 = select_pairs(as_of="2026-06-01")
    assert _pairs(load_scenario("post-inf-2026")) <= _pairs(in_2026)
    before = select_pairs(as_of="2025-06-01")
    assert ("krichev", "oreshnik") not in _pairs(before)  # reported Dec 2025
    belarus = before.set_index(["site", "system"]).loc[("belarus-area", "oreshnik")]
    assert belarus.deployment_status == "announced"


def test_as_of_in_a_named_scenario_keeps_its_labelled_hypothetical():
    kal = load_scenario("kaliningrad", as_of="2020-01-01").set_index("system")
    assert kal.loc["9m729", "deployment_status"] == "hypothetical"
    assert len(load_scenario("kaliningrad", as_of="2018-06-01")) == 1  # before the 9M729
    post = select_pairs("post-inf-2026", system="oreshnik", as_of="2026-01-10")
    assert set(post["deployment_status"]) == {"reported", "deployed"}
    assert post.set_index("site").loc["kapustin-yar", "status_since"] == "2026-01-09"


@pytest.mark.parametrize("as_of, expected", [
    ("1960-01-01", "as_of='1960-01-01' is before the first status change in the deployments "
                   "table (1977-01-01); expected a date on or after it"),
    ("1985-13-01", "as_of='1985-13-01': not a date (expected YYYY-MM-DD)"),
    ("1985", "as_of='1985': not a date (expected YYYY-MM-DD)"),
    ("soon", "as_of='soon': not a date (expected YYYY-MM-DD)"),
])
def test_bad_as_of_is_one_clear_error(as_of, expected):
    for call in (lambda: select_pairs(as_of=as_of),
                 lambda: load_scenario("inf-2019", as_of=as_of),
                 lambda: statuses_as_of(as_of)):
        with pytest.raises(InputError) as info:
            call()
        assert str(info.value) == expected


def test_a_pair_without_status_is_named(tmp_path):
    scen = _write(tmp_path, "s.csv", "site,system\nshuya,iskander-m\n")
    with pytest.raises(InputError, match=r"^no status for pair \(shuya, iskander-m\) in the "
                                         r"deployments table"):
        load_scenario(scen, as_of="2020-01-01")


# --- validation -----------------------------------------------------------------------

CLAIM_HEAD = "system,range_km,kind,claimant,date,source\n"


@pytest.mark.parametrize("row, expected", [
    ("x,500,maximum,A,2020,http://a", "row 2 field kind: 'maximum' is not one of max, min, flight"),
    ("x,500,max,A,2020-02-30,http://a", "row 2 field date: '2020-02-30' is not a date "
                                        "(expected YYYY, YYYY-MM or YYYY-MM-DD)"),
    ("x,500,max,A,2020,", "row 2 field source: empty (expected a source)"),
    ("x,-5,max,A,2020,http://a",
     "row 2 field range_km: -5 is not positive (expected a number > 0)"),
], ids=["kind", "date", "no-source", "range"])
def test_claim_errors_name_file_row_field_value(tmp_path, row, expected):
    path = _write(tmp_path, "c.csv", CLAIM_HEAD + row + "\n")
    with pytest.raises(InputError) as info:
        load_claims(path)
    assert str(info.value) == f"{path}: {expected}"


def test_claim_strength_is_checked(tmp_path):
    path = _write(tmp_path, "c.csv", CLAIM_HEAD.strip() + ",strength\n"
                  "x,500,max,A,2020,http://a,\"official, via blog\"\n")
    with pytest.raises(InputError, match=r"row 2 field strength: 'official, via blog' is not a "
                                         r"strength \(official, reputable, "):
        load_claims(path)


@pytest.mark.parametrize("row, expected", [
    ("a,b,stationed,2020,http://a", "row 2 field status: 'stationed' is not one of deployed, "
     "reported, claimed, announced, planned, historical, hypothetical"),
    ("a,b,deployed,around 1983,http://a", "row 2 field date: 'around 1983' is not a date "
     "(expected YYYY, YYYY-MM or YYYY-MM-DD)"),
    ("a,b,deployed,,http://a", "row 2 field date: empty (expected a date YYYY, YYYY-MM or "
     "YYYY-MM-DD)"),
    ("a,b,deployed,2020,", "row 2 field source: empty (expected a source)"),
], ids=["status", "date", "no-date", "no-source"])
def test_deployment_errors_name_file_row_field_value(tmp_path, row, expected):
    path = _write(tmp_path, "d.csv", "site,system,status,date,source\n" + row + "\n")
    with pytest.raises(InputError) as info:
        load_deployments(path)
    assert str(info.value) == f"{path}: {expected}"


def test_partial_dates_count_from_their_first_day():
    assert parse_date("1983").isoformat() == "1983-01-01"
    assert parse_date("1983-11").isoformat() == "1983-11-01"
    assert parse_date("83-11") is None


# --- sites: area rows and honest precision --------------------------------------------

def test_belarus_area_row_covers_belarus_from_its_point():
    raw = pd.read_csv(geoinf.datasets.get_path("sites.csv"), dtype=str, keep_default_na=False)
    assert raw.set_index("id").loc["belarus-area", "area"] == "BLR"
    assert set(raw["area"]) == {"", "BLR"}
    row = _site("belarus-area")
    assert embedded_countries().set_index("iso_a3").loc["BLR", "geometry"].contains(row.geometry)
    assert row.precision_km >= _farthest_km(_country_vertices("BLR"), row.lon, row.lat)


def test_german_location_precision_spans_germany():
    row = _site("mainz-kastel")
    assert row.precision_km >= _farthest_km(_country_vertices("DEU"), row.lon, row.lat)
    assert "undecided" in row.note


# --- published claims, checked --------------------------------------------------------

def _capitals() -> pd.DataFrame:
    rows = []
    for name in CAPITALS:
        label, lon, lat = resolve_place(name)
        rows.append({"name": label, "lon": lon, "lat": lat, "population": 1})
    return pd.DataFrame(rows)


def test_oreshnik_from_belarus_at_5500_km_reaches_every_european_capital():
    caps = _capitals()
    sites = load_sites().query("id == 'krichev'")
    reached = geoinf.cities_in_range(sites, max_km=5500, places=caps)
    assert set(reached["name"]) == set(caps["name"])
    krichev = tuple(_site("krichev")[["lon", "lat"]])
    far = max(_km(krichev, (c.lon, c.lat)) for c in caps.itertuples())
    assert far == pytest.approx(reached["distance_km"].max(), abs=1e-6)
    assert far < 5000  # also within the lowest published figure
    # from anywhere in Belarus (the undisclosed positions), every capital:
    vertices = _country_vertices("BLR")
    worst = max(_farthest_km(vertices, c.lon, c.lat) for c in caps.itertuples())
    assert worst <= 5500


def test_tomahawk_1670_km_from_the_announced_location_does_not_reach_moscow():
    mainz = tuple(_site("mainz-kastel")[["lon", "lat"]])
    moscow = _place("Moscow")
    d = _km(mainz, moscow)
    assert d > 1670 and d > 2000 and d <= 2500  # only the 2,500 km claims reach it
    # but from the nearest point of Germany (the location is undecided), it does:
    deu = embedded_countries().set_index("iso_a3").loc["DEU", "geometry"]
    nearest = float(geoinf.distance_to_km(deu, *moscow))
    assert nearest < 1670
    assert nearest <= _km(_place("Berlin"), moscow)
    st_petersburg = _km(mainz, _place("Saint Petersburg"))
    assert st_petersburg > 1670


def test_dark_eagle_from_the_announced_location_and_the_urals():
    mainz = tuple(_site("mainz-kastel")[["lon", "lat"]])
    low, high = load_systems().set_index("id").loc["dark-eagle", ["range_km_low",
                                                                 "range_km_high"]]
    kazan, yekaterinburg = _km(mainz, _place("Kazan")), _km(mainz, _place("Yekaterinburg"))
    assert kazan > high  # Kazan is just beyond 2,775-2,776 km
    assert kazan - high < 10
    assert yekaterinburg > 2500 and yekaterinburg > high  # the 'western Urals' claim fails


@pytest.mark.parametrize("target", ["Dnipro", "Lviv"])
def test_oreshnik_combat_uses_lie_far_inside_the_claimed_range(target):
    kapyar = tuple(_site("kapustin-yar")[["lon", "lat"]])
    d = _km(kapyar, _place(target))
    high = load_systems().set_index("id").loc["oreshnik", "range_km_high"]
    assert d < high / 3
    precision = _site("kapustin-yar").precision_km
    assert d + precision < high / 3  # whatever the launch point on the range


def test_reuters_distances_of_krichev_exceed_the_geodesic():
    krichev = tuple(_site("krichev")[["lon", "lat"]])
    assert _km(krichev, _place("Minsk")) < 307
    assert _km(krichev, _place("Moscow")) < 478


def test_belarus_to_london_in_8_minutes_needs_more_than_the_claimed_speed():
    krichev = tuple(_site("krichev")[["lon", "lat"]])
    speed_km_s = _km(krichev, _place("London")) / (8 * 60)
    assert speed_km_s > 3.0  # Putin's own Mach 10 is 2.5-3 km/s


# --- CLI ------------------------------------------------------------------------------

def test_cli_scenarios_as_of_and_claims():
    runner = CliRunner()
    res = runner.invoke(main, ["scenarios", "euromissiles-1983", "--as-of", "1985-06-01",
                               "--format", "csv"])
    assert res.exit_code == 0, res.output
    header = res.output.splitlines()[0]
    assert "deployment_status" in header
    assert "molesworth" not in res.output and "mutlangen" in res.output
    every = runner.invoke(main, ["scenarios", "--as-of", "2026-06-01", "--format", "csv"])
    assert every.exit_code == 0 and "belarus-area" in every.output
    bad = runner.invoke(main, ["scenarios", "inf-2019", "--as-of", "1960-01-01"])
    assert bad.exit_code == 2
    assert bad.output.strip().splitlines() == [
        "Error: as_of='1960-01-01' is before the first status change in the deployments table "
        "(1977-01-01); expected a date on or after it"]
    listed = runner.invoke(main, ["claims", "--system", "9m729", "--format", "csv"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.count("9m729,") == len(load_claims().query("system == '9m729'"))
