"""Area sites (lines, polygons, embedded countries) through rings, cities, exposure and maps.

Every figure is checked against brute force: the exact distance of
:func:`geoinf.distance_to_km` to the area for every place or cell centre, or a dense
sampling of the geometry with pyproj's ``Geod.inv``.
"""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

import geoinf
from geoinf.area_sums import annulus_runs, difference_runs, row_spans, within
from geoinf.cli import main
from geoinf.constants import WGS84
from geoinf.raster_crs import raster_grid
from geoinf.sites import country_sites, load_sites

LINE = shapely.LineString([(20.0, 50.0), (24.0, 51.0), (26.0, 53.5)])
BOX = shapely.Polygon([(23.2, 51.3), (32.8, 51.3), (32.8, 56.2), (23.2, 56.2)])
# a polygon across the antimeridian, split there (RFC 7946), and one around the North Pole
FIJI_LIKE = shapely.MultiPolygon([shapely.box(177.0, -19.0, 180.0, -16.0),
                                  shapely.box(-180.0, -19.0, -178.0, -16.0)])
POLAR = shapely.Polygon([(-180, 84), (-90, 84), (0, 84), (90, 84), (180, 84), (180, 90),
                         (-180, 90)])


def _sampled_km(geom, lon, lat, step_km=0.5):
    """Brute force: distance to a line's vertices densified along geodesics (pyproj)."""
    xy = np.asarray(geom.coords)
    pts = [xy[:1]]
    for (lon1, lat1), (lon2, lat2) in zip(xy[:-1], xy[1:], strict=True):
        n = int(WGS84.inv(lon1, lat1, lon2, lat2)[2] / 1000 / step_km) + 1
        pts.append(np.array(WGS84.npts(lon1, lat1, lon2, lat2, n) + [(lon2, lat2)]))
    pts = np.concatenate(pts)
    d = WGS84.inv(np.repeat(lon, len(pts)), np.repeat(lat, len(pts)),
                  np.tile(pts[:, 0], len(lon)), np.tile(pts[:, 1], len(lon)))[2]
    return np.asarray(d).reshape(len(lon), len(pts)).min(axis=1) / 1000


# --- site tables --------------------------------------------------------------------

def test_wkt_and_vector_sites_load_as_areas(tmp_path):
    csv = tmp_path / "areas.csv"
    csv.write_text("id,name,lon,lat,wkt\n"
                   f'box,Box,,,"{BOX.wkt}"\nline,Line,,,"{LINE.wkt}"\npt,Point,24.4,44.1,\n')
    sites = load_sites(csv, areas=True)
    assert sites.geom_type.tolist() == ["Polygon", "LineString", "Point"]
    assert sites.geometry.iloc[0].equals(BOX)
    assert shapely.contains_xy(BOX, sites["lon"].iloc[0], sites["lat"].iloc[0])
    sites.to_file(tmp_path / "areas.geojson")
    again = load_sites(tmp_path / "areas.geojson", areas=True)
    assert again.geom_type.tolist() == ["Polygon", "LineString", "Point"]
    assert again.geometry.iloc[1].equals(LINE)


@pytest.mark.parametrize("wkt, expected", [
    ("POLYGON ((23.2 51.3, 32.8 51.3", "is not WKT"),
    ("POLYGON ((500000 6000000, 500100 6000000, 500100 6000100, 500000 6000000))",
     "not lon/lat degrees"),
    ("POLYGON EMPTY", "an empty Polygon"),
    ("POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))", "is not valid"),
], ids=["bad-wkt", "projected", "empty", "bow-tie"])
def test_bad_area_rows_are_one_line_cli_errors(tmp_path, wkt, expected):
    csv = tmp_path / "bad.csv"
    csv.write_text(f'id,name,lon,lat,wkt\na,A,,,"{wkt}"\n')
    out = tmp_path / "rings.geojson"
    from click.testing import CliRunner
    result = CliRunner().invoke(main, ["rings", "--sites", str(csv),
                                       "--radius-km", "100", "-o", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "bad.csv: row 2 field wkt:" in lines[0] and expected in lines[0]
    assert not out.exists()


def test_bad_iso3_is_a_one_line_cli_error(tmp_path):
    from click.testing import CliRunner
    for cmd in (["rings", "--radius-km", "100"], ["cities", "--max-km", "100"],
                ["exposure"], ["map", "--radius-km", "100", "-o", str(tmp_path / "m.html")]):
        result = CliRunner().invoke(main, [*cmd, "--area", "BLX"])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert lines == [lines[0]] and lines[0].startswith("Error: area 'BLX'")
        assert "BLR" in lines[0]  # the nearest codes are suggested
    assert not (tmp_path / "m.html").exists()


def test_country_sites_are_the_embedded_countries():
    sites = country_sites("blr, lux")
    assert sites[["id", "name"]].values.tolist() == [["BLR", "Belarus"], ["LUX", "Luxembourg"]]
    countries = geoinf.load_countries().set_index("iso_a3")
    assert sites.geometry.iloc[0].equals(countries.loc["BLR"].geometry)


# --- rings and bands -----------------------------------------------------------------

@pytest.mark.parametrize("area", [LINE, BOX, FIJI_LIKE, POLAR],
                         ids=["line", "box", "antimeridian", "north-pole"])
def test_band_is_the_difference_of_buffers(area):
    sites = pd.DataFrame({"id": ["a"], "area": [area]})
    bands = geoinf.range_bands(sites, (0, 200, 600))
    outer, inner = geoinf.geodesic_buffer([area, area], [600, 200])
    assert bands.is_valid.all()
    assert bands.geometry.iloc[0].equals(inner)  # a 0 km inner edge: buffer(max) itself
    assert shapely.symmetric_difference(bands.geometry.iloc[1],
                                        shapely.difference(outer, inner)).area < 1e-9
    rings = geoinf.range_rings(sites, [200, 600])
    assert rings.geometry.iloc[1].equals(outer)
    # membership of the annulus by exact distance agrees with the polygon away from its edge
    rng = np.random.default_rng(1)
    west, south, east, north = bands.geometry.iloc[1].bounds
    lon, lat = rng.uniform(west, east, 400), rng.uniform(south, north, 400)
    d = geoinf.distance_to_km(area, lon, lat)
    clear = (np.abs(d - 200) > 2) & (np.abs(d - 600) > 2)
    inside = shapely.contains_xy(bands.geometry.iloc[1], lon, lat)
    assert np.array_equal(inside[clear], ((d > 200) & (d <= 600))[clear])


# --- points: cities and reach --------------------------------------------------------

def test_cities_of_a_line_site_by_exact_distance():
    rng = np.random.default_rng(7)
    places = pd.DataFrame({"name": [f"p{i}" for i in range(300)],
                           "lon": rng.uniform(14, 32, 300), "lat": rng.uniform(44, 58, 300),
                           "population": rng.integers(1, 10_000, 300)})
    sites = pd.DataFrame({"id": ["line", "deveselu"], "lon": [np.nan, 24.41],
                          "lat": [np.nan, 44.08], "area": [LINE, None]})
    found = geoinf.cities_in_range(sites, min_km=100, max_km=400, places=places)
    d_line = _sampled_km(LINE, places["lon"].to_numpy(), places["lat"].to_numpy())
    d_dev = np.asarray(WGS84.inv(np.full(300, 24.41), np.full(300, 44.08), places["lon"],
                                 places["lat"])[2]) / 1000
    in_line = (d_line >= 100) & (d_line <= 400)
    in_dev = (d_dev >= 100) & (d_dev <= 400)
    assert set(found["name"]) == set(places["name"][in_line | in_dev])
    row = found.set_index("name")
    only_line = places["name"][in_line & ~in_dev]
    assert np.allclose(row.loc[only_line, "distance_km"], d_line[in_line & ~in_dev],
                       atol=0.01)  # sampled every 0.5 km: within 1 cm of the geodesic
    assert (row.loc[only_line, "nearest_site"] == "line").all()


def test_sites_reaching_measures_to_the_area():
    sites = country_sites("BLR")
    inside = geoinf.sites_reaching((27.56, 53.9), sites=sites, max_km=500)  # Minsk
    assert inside["distance_km"].tolist() == [0.0]
    warsaw = geoinf.sites_reaching((21.01, 52.23), sites=sites, max_km=500)
    assert warsaw["distance_km"].iloc[0] == pytest.approx(
        float(geoinf.distance_to_km(sites.geometry.iloc[0], 21.01, 52.23)), abs=1e-9)


# --- rasters: the exact cell-centre rule -----------------------------------------------

def _synthetic_raster(path, west=15.0, north=60.0, step=0.25, shape=(64, 80)):
    values = np.random.default_rng(3).integers(0, 1000, shape).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=shape[1], height=shape[0], count=1,
                       dtype="float32", crs="EPSG:4326", nodata=-1,
                       transform=from_origin(west, north, step, step)) as dst:
        dst.write(values, 1)
    lon = west + step * (np.arange(shape[1]) + 0.5)
    lat = north - step * (np.arange(shape[0]) + 0.5)
    return values, np.tile(lon, shape[0]), np.repeat(lat, shape[1])


def _brute_band_sums(area, edges, values, lon, lat):
    d = geoinf.distance_to_km(area, lon, lat)
    flat = values.ravel().astype(float)
    return [flat[((d > a) | (a == 0)) & (d <= b)].sum() for a, b in
            zip(edges[:-1], edges[1:], strict=True)]


@pytest.mark.parametrize("area", [LINE, BOX], ids=["line", "polygon"])
def test_raster_sums_equal_brute_force_on_every_cell(tmp_path, area):
    path = tmp_path / "pop.tif"
    values, lon, lat = _synthetic_raster(path)
    edges = (0, 150, 420)
    sites = pd.DataFrame({"id": ["a"], "area": [area]})
    table = geoinf.exposure_table(sites, edges_km=edges, layer=str(path), by=("band",))
    assert table["population"].tolist() == [round(v) for v in
                                            _brute_band_sums(area, edges, values, lon, lat)]


def test_embedded_grid_luxembourg_500_km_equals_brute_force():
    lux = country_sites("LUX")
    area = lux.geometry.iloc[0]
    table = geoinf.exposure_table(lux, edges_km=(0, 500), layer="raster", by=("band",))
    with geoinf.open_population() as pop:
        t = pop.dataset.transform
        # every cell whose centre may lie within 500 km: a box around Luxembourg
        row0, col0 = pop.dataset.index(-5.0, 56.0)
        row1, col1 = pop.dataset.index(17.0, 44.0)
        window = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
        values = pop.dataset.read(1, window=window).astype(float)
    lon = t.c + t.a * (np.arange(col0, col1) + 0.5)
    lat = t.f + t.e * (np.arange(row0, row1) + 0.5)
    lon, lat = np.tile(lon, lat.size), np.repeat(lat, lon.size)
    # cells surely within (exact distance to a point of Luxembourg) or surely beyond
    # 500 km (lower bound via the farthest vertex) need no distance_to_km: brute force
    # by the exact distance on all others
    c_lon, c_lat = lux["lon"].iloc[0], lux["lat"].iloc[0]
    xy = shapely.get_coordinates(area)
    spread = np.asarray(WGS84.inv(np.full(len(xy), c_lon), np.full(len(xy), c_lat),
                                  xy[:, 0], xy[:, 1])[2]).max() / 1000 + 1
    dc = np.asarray(WGS84.inv(np.full(lon.size, c_lon), np.full(lon.size, c_lat), lon,
                              lat)[2]) / 1000
    inside = dc <= 500
    doubt = ~inside & (dc - spread <= 500)
    inside[doubt] = geoinf.distance_to_km(area, lon[doubt], lat[doubt]) <= 500
    assert not inside[(lat == lat.max()) | (lat == lat.min()) | (lon == lon.min())
                      | (lon == lon.max())].any()  # the box holds the whole disc
    assert table["population"].iloc[0] == round(values.ravel()[inside].sum())


def test_area_grid_runs_match_every_cell_across_180_and_the_pole():
    grid = raster_grid(rasterio.crs.CRS.from_epsg(4326),
                       rasterio.Affine(2.0, 0, -180, 0, -1.0, 90), (180, 180))
    rows = np.arange(180)
    lon = np.tile(-180 + 2.0 * (np.arange(180) + 0.5), 180)
    lat = np.repeat(grid.row_lat, 180)
    for area in (FIJI_LIKE, POLAR):
        annuli = pd.DataFrame({"area": [area], "inner_km": [300.0], "outer_km": [900.0]})
        (row, start, stop), = annulus_runs(annuli, grid, rows)
        got = np.zeros(180 * 180, bool)
        for r, a, z in zip(row, start, stop, strict=True):
            got[r * 180 + a:r * 180 + z] = True
        d = geoinf.distance_to_km(area, lon, lat)
        assert np.array_equal(got, (d > 300) & (d <= 900))
        assert got.any()


def test_scanline_meets_a_row_in_several_intervals():
    comb = shapely.union_all([shapely.box(x, 0, x + 1, 10) for x in range(0, 10, 2)])
    row, west, east = row_spans(comb, np.array([5.0]))
    assert row.tolist() == [0] * 5 and west.tolist() == [0, 2, 4, 6, 8]
    one = tuple(np.array([v]) for v in (0, 0, 10))
    assert [x.tolist() for x in difference_runs(one, (np.array([0, 0]), np.array([2, 6]),
                                                      np.array([3, 8])))] == \
        [[0, 0, 0], [0, 3, 8], [2, 6, 10]]


def test_within_is_the_exact_distance():
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(15, 35, 2000), rng.uniform(45, 60, 2000)
    d = geoinf.distance_to_km(BOX, lon, lat)
    assert np.array_equal(within(BOX, [50.0, 300.0], lon, lat), d[None, :] <= [[50.0], [300.0]])


# --- CLI and maps --------------------------------------------------------------------

def test_cli_area_commands(tmp_path):
    from click.testing import CliRunner
    runner = CliRunner()
    rings = runner.invoke(main, ["rings", "--area", "LUX", "--radius-km", "0,100,300",
                                 "--bands", "-o", str(tmp_path / "b.geojson")])
    assert rings.exit_code == 0, rings.output
    got = gpd.read_file(tmp_path / "b.geojson")
    assert got["site"].tolist() == ["LUX", "LUX"] and got.is_valid.all()
    cities = runner.invoke(main, ["cities", "--area", "LUX", "--max-km", "60",
                                  "--min-population", "50000", "--format", "csv"])
    assert cities.exit_code == 0, cities.output
    frame = pd.read_csv(io.StringIO(cities.output), comment="#")
    assert "Luxembourg" in set(frame["name"])
    assert frame.set_index("name").loc["Luxembourg", "distance_km"] == 0


def test_map_with_a_hostile_area_name_shows_it_literally(tmp_path):
    from click.testing import CliRunner
    hostile = "{{ 6*7 }} </script><b>x</b>"
    csv = tmp_path / "hostile.csv"
    csv.write_text(f'id,name,wkt\nh1,"{hostile}","{BOX.wkt}"\n')
    out = tmp_path / "m.html"
    result = CliRunner().invoke(main, ["map", "--sites", str(csv),
                                       "--radius-km", "300", "--no-cities", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "{{ 6*7 }}" in page and "42 &lt;/script&gt;" not in page
    assert "</script><b>x" not in page
    assert "Area sites (1)" in page


def test_map_frames_draw_buffers_of_the_area():
    frames = geoinf.map_frames(None, sites=country_sites("LUX"), radius_km=[300],
                               cities=False)
    outer = geoinf.geodesic_buffer(frames.areas.geometry.iloc[0], 300)[0]
    assert frames.bands.geometry.iloc[0].equals(shapely.orient_polygons(outer))
    assert frames.areas["site_name"].tolist() == ["Luxembourg"]


def test_area_sites_are_drawn_and_named_in_the_legend_in_the_site_colour(tmp_path):
    from geoinf.map_layers import area_layer
    from geoinf.map_panels import legend_panel
    from geoinf.palette import BORDER, SITE
    frames = geoinf.map_frames(None, sites=country_sites("LUX"), radius_km=[300],
                               cities=False)
    style = area_layer(frames.areas).data["features"][0]["properties"]["style"]
    assert style["color"] == SITE != BORDER  # not to be read as a country border
    legend = legend_panel(frames)
    assert "area site (a line or area" in legend and f"border-color:{SITE}" in legend
    (tmp_path / "one.csv").write_text("id,name,lon,lat\na,A,24.4,44.1\n")
    points = geoinf.map_frames(None, sites=tmp_path / "one.csv", radius_km=[300],
                               cities=False)
    assert "area site" not in legend_panel(points)
