import json

import geopandas as gpd
import pytest
import shapely

from geoinf.cli import main


def test_rings_geojson_to_stdout_is_valid(runner):
    result = runner.invoke(main, ["rings", "--lon", "24.41", "--lat", "44.08",
                                  "--radius-km", "500,1000,5500"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [f["properties"]["radius_km"] for f in data["features"]] == [500, 1000, 5500]
    geoms = [shapely.geometry.shape(f["geometry"]) for f in data["features"]]
    assert all(g.is_valid for g in geoms)
    assert geoms[2].contains(shapely.Point(0, 89.9))  # the 5,500 km ring holds the pole


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet"])
def test_rings_bands_to_file(runner, tmp_path, suffix):
    out = tmp_path / f"bands{suffix}"
    args = ["rings", "--lon", "177.5", "--lat", "64.73", "--radius-km", "0,500,1000", "--bands",
            "-o", str(out)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    frame = gpd.read_parquet(out) if suffix == ".parquet" else gpd.read_file(out)
    assert list(frame.band) == ["under 500 km", "shorter-range"]
    assert frame.is_valid.all()
    again = runner.invoke(main, args)
    assert again.exit_code == 2 and "exists; pass --overwrite" in again.output
    assert runner.invoke(main, [*args, "--overwrite"]).exit_code == 0
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary files left


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--lat", "97"], "lat=97"),
        (["--radius-km", "-5"], "radius_km=-5"),
        (["--radius-km", "abc"], "'abc'"),
        (["--radius-km", "500,25000"], "radius_km=25000"),
        (["--lon", "x"], "'x'"),
        (["--tolerance-km", "0"], "tolerance_km=0"),
    ],
)
def test_bad_values_exit_2_with_one_error_line_and_no_file(runner, tmp_path, args, named):
    out = tmp_path / "rings.geojson"
    base = {"--lon": "24.41", "--lat": "44.08"}
    for key, value in zip(args[::2], args[1::2], strict=True):
        base[key] = value
    argv = ["rings", *[x for kv in base.items() for x in kv], "-o", str(out)]
    result = runner.invoke(main, argv)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and named in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_version_and_help(runner):
    assert runner.invoke(main, ["--version"]).output.startswith("geoinf, version")
    assert "rings" in runner.invoke(main, ["--help"]).output


def test_rings_around_a_sites_table(runner, tmp_path):
    table = tmp_path / "my_sites.csv"
    table.write_text("id,name,lon,lat\nd,Deveselu,24.41,44.08\na,Anadyr,177.5,64.73\n")
    out = tmp_path / "rings.parquet"
    result = runner.invoke(main, ["rings", "--sites", str(table), "--radius-km", "500,5500",
                                  "-o", str(out)])
    assert result.exit_code == 0, result.output
    frame = gpd.read_parquet(out)
    assert list(frame.site) == ["d", "d", "a", "a"]
    assert list(frame.radius_km) == [500, 5500, 500, 5500]
    assert list(frame.geom_type) == ["Polygon", "Polygon", "MultiPolygon", "Polygon"]
    assert frame.is_valid.all()


def test_sites_table_errors_name_row_and_field(runner, tmp_path):
    table = tmp_path / "bad.csv"
    table.write_text("id,name,lon,lat\nd,Deveselu,24.41,97\n")
    out = tmp_path / "rings.geojson"
    result = runner.invoke(main, ["rings", "--sites", str(table), "-o", str(out)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "row 2" in lines[0] and "lat" in lines[0] and "97" in lines[0]
    assert not out.exists()
