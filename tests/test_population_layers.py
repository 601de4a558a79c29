"""Vector population layers (issue 16 item 2): GEOSTAT cell ids, Kontur H3, polygons, points.

Every sum is checked against a brute force that places each cell independently (pyproj
for the INSPIRE corner + size/2, ``h3.cell_to_latlng`` for hexagons) and decides it with
``Geod.inv``; the bands cross many cells at their edges.
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod, Transformer

from geoinf.cities import cities_in_range
from geoinf.cli import main
from geoinf.errors import InputError
from geoinf.exposure import exposure_table
from geoinf.population_layers import is_population_layer, load_population_layer
from tests.common import DEVESELU

h3 = pytest.importorskip("h3")

GEOD = Geod(ellps="WGS84")
EDGES = (0, 50, 100)
SITE = pd.DataFrame({"id": ["deveselu"], "lon": [DEVESELU[0]], "lat": [DEVESELU[1]]})
TO_3035 = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)
TO_4326 = Transformer.from_crs("EPSG:3035", "EPSG:4326", always_xy=True)


def brute(lon, lat, people, edges=EDGES, site=DEVESELU):
    """People per band: each point by Geod.inv, lo < d <= hi (d <= hi for the first disc)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    d = np.asarray(GEOD.inv(np.full(lon.size, site[0]), np.full(lon.size, site[1]),
                            lon, lat)[2]) / 1000
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (d <= hi) & ((d > lo) | (lo == 0))
        out.append(int(np.asarray(people)[inside].sum()))
    return out


@pytest.fixture(scope="module")
def census(tmp_path_factory):
    """A GEOSTAT-style 2 km grid around Deveselu: ids, people, Eurostat country codes."""
    size = 2000
    x0, y0 = TO_3035.transform(*DEVESELU)
    east = np.arange((x0 - 110e3) // size * size, x0 + 110e3, size)
    north = np.arange((y0 - 110e3) // size * size, y0 + 110e3, size)
    ee, nn = (a.ravel() for a in np.meshgrid(east, north))
    rng = np.random.default_rng(16)
    frame = pd.DataFrame({
        "GRD_ID": [f"CRS3035RES{size}mN{n:.0f}E{e:.0f}" for e, n in zip(ee, nn, strict=True)],
        "T": rng.integers(0, 500, ee.size),
        "M": 0,
        "CNTR_ID": rng.choice(["RO", "BG", "EL", "RO-BG"], ee.size),
    })
    path = tmp_path_factory.mktemp("census") / "ESTAT_Census_2021_V2.csv"
    frame.to_csv(path, index=False)
    lon, lat = TO_4326.transform(ee + size / 2, nn + size / 2)
    corner = TO_4326.transform(ee, nn)
    return path, frame, lon, lat, corner, (ee, nn, size)


@pytest.fixture(scope="module")
def kontur(tmp_path_factory):
    """A Kontur-style GeoPackage: H3 resolution-6 hexagons (polygons) around Deveselu."""
    centre = h3.latlng_to_cell(DEVESELU[1], DEVESELU[0], 6)
    cells = sorted(h3.grid_disk(centre, 36))
    rng = np.random.default_rng(8)
    people = rng.integers(1, 2000, len(cells))
    polygons = [shapely.Polygon([(x, y) for y, x in h3.cell_to_boundary(c)]) for c in cells]
    frame = gpd.GeoDataFrame({"h3": cells, "population": people}, geometry=polygons,
                             crs="EPSG:4326")
    path = tmp_path_factory.mktemp("kontur") / "kontur_population_RO.gpkg"
    frame.to_file(path, driver="GPKG")
    lat, lon = np.array([h3.cell_to_latlng(c) for c in cells]).T
    return path, frame, lon, lat


def test_census_grid_matches_brute_force_at_true_centres(census):
    path, frame, lon, lat, corner, _ = census
    t = exposure_table(SITE, edges_km=EDGES, layer=path, by=("band",))
    expected = brute(lon, lat, frame["T"])
    assert t["population"].tolist() == expected
    d = np.asarray(GEOD.inv(np.full(lon.size, DEVESELU[0]), np.full(lon.size, DEVESELU[1]),
                            lon, lat)[2]) / 1000
    assert all((np.abs(d - edge) < 0.5).sum() > 50 for edge in EDGES[1:])  # cells at each edge
    # the rule is the centre, not the corner the id names: those would give other sums
    assert brute(*corner, frame["T"]) != expected
    rule = t.attrs["provenance"]["rule"]
    assert "true centre" in rule and "INSPIRE" in rule and "ellipsoidal" in rule


def test_census_grid_countries_come_from_the_layer(census):
    path, frame, lon, lat, _, _ = census
    t = exposure_table(SITE, edges_km=EDGES, layer=path, by=("band", "country"))
    shared = (frame["CNTR_ID"] == "RO-BG").to_numpy()
    from geoinf.population_layers import load_population_layer as load
    iso = load(path)["iso_a3"].to_numpy()
    # single codes as the layer says (EL is Eurostat's Greece); a shared cell by its centre
    assert set(iso[(frame["CNTR_ID"] == "EL").to_numpy()]) == {"GRC"}
    assert set(iso[~shared & (frame["CNTR_ID"] == "RO").to_numpy()]) == {"ROU"}
    assert set(iso[shared]) <= {"ROU", "BGR"} and len(set(iso[shared])) == 2
    for code in ("ROU", "BGR", "GRC"):
        got = t[t["iso_a3"] == code].set_index("band")["population"]
        want = brute(lon[iso == code], lat[iso == code], frame["T"][iso == code])
        assert [int(got.get(b, 0)) for b in ("under 50 km", "50-100 km")] == want


def test_census_polygons_without_ids_count_at_their_centroid(census, tmp_path):
    _, frame, lon, lat, _, (ee, nn, size) = census
    squares = shapely.box(ee, nn, ee + size, nn + size)
    layer = gpd.GeoDataFrame({"TOT_P_2021": frame["T"]}, geometry=squares, crs="EPSG:3035")
    path = tmp_path / "cells.gpkg"
    layer.to_file(path, driver="GPKG")
    t = exposure_table(SITE, edges_km=EDGES, layer=path, by=("band",))
    assert t["population"].tolist() == brute(lon, lat, frame["T"])
    assert "centroid in its own CRS" in t.attrs["provenance"]["rule"]


def test_kontur_hexagons_match_brute_force_at_h3_centres(kontur):
    path, frame, lon, lat = kontur
    t = exposure_table(SITE, edges_km=EDGES, layer=path, by=("band",))
    assert t["population"].tolist() == brute(lon, lat, frame["population"])
    assert "h3.cell_to_latlng" in t.attrs["provenance"]["rule"]
    assert (t["coverage"] == 1.0).all()


def test_kontur_integer_ids_and_countries_from_the_embedded_table(kontur, tmp_path):
    path, frame, lon, lat = kontur
    ints = pd.DataFrame({"h3": [h3.str_to_int(c) for c in frame["h3"]],
                         "population": frame["population"]})
    csv = tmp_path / "kontur.csv"
    ints.assign(h3=ints["h3"].astype("int64")).to_csv(csv, index=False)
    layer = load_population_layer(csv)
    np.testing.assert_allclose(layer[["lon", "lat"]].to_numpy(), np.c_[lon, lat], atol=1e-9)
    t = exposure_table(SITE, edges_km=EDGES, layer=csv, by=("band", "country"))
    assert set(t["iso_a3"]) == {"ROU", "BGR"}  # Deveselu is 50 km from the Danube border
    assert t.groupby("band", sort=False)["population"].sum().tolist() == \
        brute(lon, lat, frame["population"])


def test_point_layer_with_a_named_population_column(census, tmp_path):
    _, frame, lon, lat, _, _ = census
    path = tmp_path / "points.csv"
    pd.DataFrame({"lon": lon, "lat": lat, "Einwohner": frame["T"]}).to_csv(path, index=False)
    assert not is_population_layer(path)
    t = exposure_table(SITE, edges_km=EDGES, layer=path, by=("band",),
                       population_column="Einwohner")
    assert t["population"].tolist() == brute(lon, lat, frame["T"])


def test_cities_in_range_lists_cells_by_their_centres(census):
    path, frame, lon, lat, _, _ = census
    c = cities_in_range(SITE, max_km=50, places=path)
    d = np.asarray(GEOD.inv(np.full(lon.size, DEVESELU[0]), np.full(lon.size, DEVESELU[1]),
                            lon, lat)[2]) / 1000
    assert set(c["name"]) == set(frame["GRD_ID"][d <= 50])
    assert c["population"].sum() == frame["T"][d <= 50].sum()


def test_coverage_is_the_share_inside_the_layer(census):
    path, *_ = census
    t = exposure_table(SITE, edges_km=(0, 100, 300), layer=path, by=("band",))
    assert t["coverage"].iloc[0] > 0.99 and 0.05 < t["coverage"].iloc[1] < 0.5


# --- bad inputs: one clear error each, API and CLI ------------------------------------

def _bad_layers(census, tmp_path):
    _, frame, *_ = census
    head = frame.head(30).copy()
    unknown = tmp_path / "unknown.csv"
    head.rename(columns={"T": "Bevoelkerung"}).to_csv(unknown, index=False)
    ids = tmp_path / "ids.csv"
    head.assign(GRD_ID=head["GRD_ID"].where(head.index != 6, "CRS3035RES1000mN26840E")
                ).to_csv(ids, index=False)
    negative = tmp_path / "negative.csv"
    head.assign(T=head["T"].where(head.index != 11, -5)).to_csv(negative, index=False)
    hexes = tmp_path / "hexes.csv"
    pd.DataFrame({"h3": ["861e4a0a7ffffff", "8x1e4a0a7ffffff"], "population": [3, 4]}
                 ).to_csv(hexes, index=False)
    return {
        "h3 id": (hexes, {}, ["row 3", "'8x1e4a0a7ffffff'", "H3 cell id"]),
        "unknown column": (unknown, {"population_column": "POP"},
                           ["'POP'", "GRD_ID", "Bevoelkerung", "CNTR_ID"]),
        "no known column": (unknown, {}, ["no population column", "Bevoelkerung",
                                          "--population-column"]),
        "cell id": (ids, {}, ["row 8", "'CRS3035RES1000mN26840E'", "INSPIRE cell id"]),
        "negative": (negative, {}, ["row 13", "'T'", "-5", "negative"]),
    }


CASES = ("unknown column", "no known column", "cell id", "h3 id", "negative")


@pytest.mark.parametrize("case", CASES)
def test_bad_layer_is_one_clear_api_error(census, tmp_path, case):
    path, kwargs, words = _bad_layers(census, tmp_path)[case]
    with pytest.raises(InputError) as err:
        exposure_table(SITE, edges_km=EDGES, layer=path, by=("band",), **kwargs)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    for word in words:
        assert word in message


@pytest.mark.parametrize("case", CASES)
def test_bad_layer_is_one_cli_error_line(census, tmp_path, runner, case):
    path, kwargs, words = _bad_layers(census, tmp_path)[case]
    args = ["exposure", "--layer", str(path), "-o", str(tmp_path / "out.csv")]
    if "population_column" in kwargs:
        args += ["--population-column", kwargs["population_column"]]
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    for word in words:
        assert word in lines[0]
    assert not (tmp_path / "out.csv").exists()


def test_population_column_for_another_layer_is_refused():
    with pytest.raises(InputError, match="population_column='T' applies to a vector"):
        exposure_table(SITE, layer="places", population_column="T")


def test_cli_layer_file_matches_the_api(census, runner, tmp_path):
    path, *_ = census
    out = tmp_path / "t.csv"
    result = runner.invoke(main, ["exposure", "--layer", str(path), "--edges-km", "0,300",
                                  "--by", "band", "-o", str(out)])
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out, comment="#")
    want = exposure_table(None, edges_km=(0, 300), layer=path, by=("band",))
    assert got["population"].tolist() == want["population"].tolist()
    assert "true centre" in out.read_text()
    both = runner.invoke(main, ["exposure", "--layer", str(path), "--raster", "x.tif"])
    assert both.exit_code == 2 and "not both" in both.output
