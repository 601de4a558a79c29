"""CLI: geoinf cities / reach / exposure / diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from geoinf.cli import main

PLACES = str(Path(__file__).parent / "data" / "exposure_places.csv")


def test_cities_csv_with_provenance(runner, tmp_path):
    out = tmp_path / "cities.csv"
    res = runner.invoke(main, ["cities", "--scenario", "kaliningrad", "--max-km", "700",
                               "--places", PLACES, "-o", str(out)])
    assert res.exit_code == 0, res.output
    lines = out.read_text().splitlines()
    assert lines[0].startswith("# geoinf:") and any("WGS84" in x for x in lines[:8])
    header = next(x for x in lines if not x.startswith("#"))
    assert header.startswith("name,country,population,lon,lat,nearest_site,distance_km")
    assert any(x.startswith("Berlin,,3426354,") for x in lines)


def test_reach_and_exposure(runner):
    res = runner.invoke(main, ["reach", "13.4105", "52.5244", "--scenario", "kaliningrad",
                               "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "chernyakhovsk,Chernyakhovsk" in res.output
    res = runner.invoke(main, ["exposure", "--scenario", "kaliningrad", "--by", "band",
                               "--uncertainty"])
    assert res.exit_code == 0, res.output
    assert "at_stake" in res.output


@pytest.mark.parametrize("args, needle", [
    (["cities", "--band", "medium-range"], "medium-range"),
    (["cities", "--min-km", "900", "--max-km", "500"], "min_km=900"),
    (["reach", "Frankfurt"], "ambiguous"),
    (["reach", "Xqzzyville"], "unknown place 'Xqzzyville'"),
    (["exposure", "--by", "city"], "unknown key 'city'"),
    (["cities", "--scenario", "inf2019"], "did you mean 'inf-2019'"),
])
def test_bad_input_is_one_line_exit_2(runner, tmp_path, args, needle):
    out = tmp_path / "x.csv"
    res = runner.invoke(main, [*args, "-o", str(out)])
    assert res.exit_code == 2
    lines = [x for x in res.output.splitlines() if x.startswith("Error:")]
    assert len(lines) == 1 and needle in lines[0]
    assert "Traceback" not in res.output
    assert not out.exists()
