import functools
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoinf.bands import reach_bands
from geoinf.catalog import scenario_rings
from geoinf.cli import main
from geoinf.errors import InputError
from geoinf.geodesic import distance_km
from geoinf.mapframes import MapFrames, map_frames
from geoinf.render import map_fragment, map_html, range_map, write_map

CITY_COLUMNS = ["name", "country", "population", "lon", "lat", "nearest_site", "distance_km",
                "margin_km", "n_sites", "sites"]


def fake_cities(n=5):
    """A cities frame in the shape of geoinf.exposure.cities_in_range (for render tests)."""
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "name": [f"Town <{i}> & co" for i in range(n)], "country": "ROU",
        "population": np.arange(n, 0, -1) * 100_000.0,
        "lon": rng.uniform(20, 30, n), "lat": rng.uniform(40, 50, n),
        "nearest_site": "Deveselu", "distance_km": rng.uniform(10, 900, n),
        "margin_km": rng.uniform(1, 100, n), "n_sites": 1, "sites": "Deveselu"})[CITY_COLUMNS]


@pytest.fixture(scope="module")
def frames():
    f = map_frames("inf-2019", cities=False)
    f.cities = fake_cities()
    f.summary = pd.DataFrame({"band": ["shorter-range"], "population": [1234567.0]})
    return f


@pytest.fixture(scope="module")
def page(frames):
    return map_html(range_map(frames))


def test_reach_bands_match_exact_distance_to_nearest_site():
    rings = scenario_rings("inf-2019")
    bands = reach_bands(rings)
    assert bands.is_valid.all()
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(-20, 110, 3000), rng.uniform(25, 89, 3000)
    for system, pieces in bands.groupby("system"):
        sites = rings[rings.system == system].drop_duplicates("site")
        d = distance_km(lon[:, None], lat[:, None], sites.lon.to_numpy()[None],
                        sites.lat.to_numpy()[None]).min(axis=1)
        for piece in pieces.itertuples():
            inside = shapely.contains_xy(piece.geometry, lon, lat)
            clear = (np.abs(d - piece.min_km) > 0.2) & (np.abs(d - piece.max_km) > 0.2)
            expect = (d >= piece.min_km) & (d < piece.max_km)
            assert (inside[clear] == expect[clear]).all(), (system, piece.min_km)
            assert expect.sum() > 0


def test_reach_bands_estimates_and_classes():
    bands = reach_bands(scenario_rings("euromissiles-1983"))
    ss20 = bands[bands.system == "ss-20"]
    assert ss20.estimate.unique().tolist() == ["single"]
    assert ss20.inf_class.tolist() == ["exempt", "shorter-range", "intermediate-range"]
    # the 5,000 km SS-20 reach from Postavy contains the North Pole
    assert ss20.geometry.iloc[-1].contains(shapely.Point(0, 89.99))
    p2 = bands[bands.system == "pershing-2"]
    assert p2.estimate.tolist() == ["low", "low", "low", "high"]
    assert p2.max_km.tolist() == [500, 1000, 1700, 1800]


def _features(page, kind):
    """Decode the inline data of every layer of one kind."""
    out = []
    for m in re.finditer(r'geoinfMap\.register\([^,]+,\s*"(\w+)", "([^"]*)",\s*'
                         r'geoinfMap\.(\w+)\((.*?), \{', page, re.S):
        if m.group(1) == kind:
            out.append(json.loads(m.group(4)))
    return out


def path_rings(data):
    """The rings (lon, lat arrays) of a Mercator path ``{scale, d}`` (geoinfMap.mercatorPath)."""
    rings = []
    d = "".join(data["d"]) if isinstance(data["d"], list) else data["d"]  # the basemap's list
    for ring in d.split("z")[:-1]:
        assert ring[0] == "M" and ring.count("M") == 1 and ring.count("l") == 1
        v = np.array([int(t) for t in re.findall(r"-?\d+", ring)], dtype=float)
        xy = np.cumsum(v.reshape(-1, 2), axis=0) / data["scale"]
        lon = xy[:, 0] / 256 * 360 - 180
        lat = np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * xy[:, 1] / 256))))
        rings.append(np.c_[lon, lat])
    return rings


def path_polygons(data):
    """The shape a Mercator path fills (even-odd: each ring toggles inside and outside)."""
    polys = [shapely.make_valid(shapely.Polygon(r)) for r in path_rings(data)]
    return functools.reduce(lambda a, b: a.symmetric_difference(b), polys)


def path_holds(data, lon, lat):
    """Whether a Mercator path fills a point (even-odd over its rings)."""
    rings = [shapely.Polygon(r) for r in path_rings(data)]
    return sum(shapely.contains_xy(r, lon, lat) for r in rings) % 2 == 1


def test_offline_page_has_no_outside_links(page):
    links = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', page)
    assert links == []
    assert "cdn.jsdelivr" not in page and "code.jquery.com" not in page
    assert 't.version="1.9.3"' in page  # Leaflet inlined
    assert "MarkerClusterGroup" in page and "jQuery" not in page  # unused: not inlined
    assert "url(images/" not in page  # CSS images became data: URIs


def test_online_page_keeps_cdn_links(frames):
    page = map_html(range_map(frames, offline=False, tiles="OpenStreetMap"))
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in page
    assert "leaflet.markercluster.js" in page and "tile.openstreetmap.org" in page
    assert 't.version="1.9.3"' not in page


def test_tiles_need_online(frames):
    with pytest.raises(InputError, match="offline=False"):
        range_map(frames, tiles="OpenStreetMap")


def test_layers_and_display_clip(page, frames):
    bands = _features(page, "band")
    assert len(bands) == len(frames.bands) == 8
    pieces = frames.bands.sort_values("max_km", ascending=False, kind="stable").geometry
    for data, piece in zip(bands, pieces, strict=True):
        drawn = path_polygons(data)
        assert drawn.bounds[1] >= -85.0512 and drawn.bounds[3] <= 85.0512
        want = shapely.clip_by_rect(piece, -180, -85.0511, 180, 85.0511)
        # the drawn shape is the band's (vertices within ~10 m: 1/16384 px at zoom 0)
        assert drawn.hausdorff_distance(want) < 2e-4
        assert abs(drawn.area - want.area) < 1e-4 * want.area
        south, west = data["bounds"][0]
        north, east = data["bounds"][1]
        assert np.allclose([west, south, east, north], want.bounds, atol=1e-4)
        assert want.contains(shapely.Point(data["at"][1], data["at"][0]))
    styles = [data["style"] for data in bands]
    assert {s["dashArray"] for s in styles} == {None, "7 5"}  # low solid, high dashed
    assert {s["color"] for s in styles} == {"#c0392b", "#1f5fa8"}  # one per system
    basemap = _features(page, "basemap")[0]
    for lon, lat in ((2.35, 48.86), (-100, 40), (28.2, -29.5)):  # Paris, Kansas, Lesotho
        assert path_holds(basemap, lon, lat), (lon, lat)  # (Lesotho: in South Africa's hole)
    assert not path_holds(basemap, -30, 40)  # the Atlantic
    cities = re.search(r'"city", "Cities in range \(5\)"', page)
    assert cities is not None
    # names are HTML-escaped, then JSON-escaped by folium's tojson
    assert "Town \\u0026lt;0\\u0026gt; \\u0026amp; co" in page and "Town <0>" not in page
    assert "Sites (6)" in page and "Countries (Natural Earth)" in page


def test_panels_provenance_and_summary(page):
    for text in ("WGS84", "within 0.1 km", "geoinf ", "Scenario inf-2019", "GeoNames",
                 "Natural Earth", "Population per band", "1,234,567", "Largest cities"):
        assert text in page, text
    assert "INDICATIVE" not in page  # no population overlay here


def test_population_overlay_is_labelled_indicative():
    f = map_frames("kaliningrad", cities=False, population=True)
    assert f.meta["indicative"] and f.population["density"].max() > 1000
    page = map_html(range_map(f))
    assert "INDICATIVE" in page and "data:image/png;base64," in page
    assert "people per km" in page


def test_write_map_atomic_and_no_clobber(tmp_path, frames):
    m = range_map(frames)
    out = write_map(m, tmp_path / "m.html")
    size = out.stat().st_size
    assert 0.5e6 < size < 3e6
    with pytest.raises(InputError, match="exists"):
        write_map(m, out)
    write_map(m, out, overwrite=True)
    with pytest.raises(InputError, match=".html"):
        write_map(m, tmp_path / "m.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.html"]


def test_fragment_touches_nothing_outside_the_map(frames):
    frag = map_fragment(range_map(frames))
    assert frag.startswith('<div class="geoinf-fragment"') and frag.rstrip().endswith("</div>")
    assert "<html" not in frag and "<body" not in frag and "<head" not in frag
    assert "html, body" not in frag and "#map {" not in frag
    assert "if (!window.L)" in frag and "jQuery" not in frag
    iframe = map_fragment(range_map(frames), isolated=True, height="400px")
    assert iframe.startswith("<iframe") and "srcdoc=" in iframe and "height:400px" in iframe


def test_range_map_rejects_other_input():
    with pytest.raises(InputError, match="MapFrames"):
        range_map(42)


def test_figure_png(tmp_path):
    pytest.importorskip("matplotlib")
    from geoinf.figure import range_figure, write_figure

    out = write_figure(range_figure(map_frames("kaliningrad", cities=False)),
                       tmp_path / "f.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- CLI -------------------------------------------------------------------------------

def test_cli_default_writes_the_default_scenario(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["map", "--no-cities"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "geoinf-inf-2019.html"
    page = (tmp_path / "geoinf-inf-2019.html").read_text()
    assert "Scenario inf-2019" in page
    again = runner.invoke(main, ["map", "--no-cities"])
    assert again.exit_code == 2 and again.output.strip().startswith("Error:")
    assert (tmp_path / "geoinf-inf-2019.html").read_text() == page  # not replaced


@pytest.mark.parametrize(("args", "named"), [
    (["--scenario", "inf2019"], "inf2019"),
    (["--site", "devesel", "--system", "9m729"], "devesel"),
    (["--system", "ss-21"], "ss-21"),
    (["-o", "missing-dir/m.html"], "missing-dir"),
    (["-o", "m.txt"], "m.txt"),
])
def test_cli_errors_are_one_line_and_leave_no_file(runner, tmp_path, monkeypatch, args, named):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["map", "--no-cities", *args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and named in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_cli_online_and_png(runner, tmp_path):
    pytest.importorskip("matplotlib")
    out, png = tmp_path / "k.html", tmp_path / "k.png"
    result = runner.invoke(main, ["map", "--scenario", "kaliningrad", "--no-cities", "--online",
                                  "-o", str(out), "--png", str(png)])
    assert result.exit_code == 0, result.output
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3" in out.read_text()
    assert png.stat().st_size > 10_000


def test_frames_dataclass_is_what_render_draws(frames):
    assert isinstance(frames, MapFrames)
    assert isinstance(frames.bands, gpd.GeoDataFrame) and frames.bands.crs.to_epsg() == 4326


def test_map_frames_cities_by_exact_distance():
    pytest.importorskip("geoinf.exposure", reason="geoinf.exposure not in this tree yet")
    f = map_frames("kaliningrad", min_population=200_000)
    assert len(f.cities) > 10 and list(f.cities.population) == sorted(f.cities.population,
                                                                      reverse=True)
    site = f.sites.iloc[0]
    d = distance_km(site.lon, site.lat, f.cities.lon.to_numpy(), f.cities.lat.to_numpy())
    assert np.allclose(d, f.cities.distance_km, atol=1e-6) and (d <= 2500).all()
    assert (f.cities.population >= 200_000).all() and f.summary.population.gt(0).all()
    page = map_html(range_map(f))
    assert f"Cities in range ({len(f.cities):,})" in page and len(page) < 3e6


# --- untrusted text: data, never template source (issue 13) ----------------------------

TEMPLATE_NAMES = ["Base {{ 6*7 }}", "Camp {#1}", "Depot {%x%}", "Base {{North}}",
                  "Hut {{ self }}"]


def hostile_sites(names, lon0=20.0, lat0=50.0):
    """A user sites table: one site per name, 1° apart in longitude."""
    n = len(names)
    return gpd.GeoDataFrame({
        "id": [f"s{i}" for i in range(n)], "name": names, "country": "",
        "lon": lon0 + np.arange(n, dtype=float), "lat": np.full(n, lat0),
        "precision_km": 0.0, "operator": names, "status": "", "period": names,
        "source": names, "note": names},
        geometry=gpd.points_from_xy(lon0 + np.arange(n), np.full(n, lat0)), crs="EPSG:4326")


def test_template_syntax_in_names_is_drawn_literally():
    f = map_frames(None, sites=hostile_sites(TEMPLATE_NAMES), radius_km=[800], cities=False)
    page = map_html(range_map(f))
    for name in TEMPLATE_NAMES:
        assert html_json(name) in page, name
    assert "Base 42" not in page and "Base \\u003c" not in page
    assert "TemplateReference" not in page  # {{ self }} was not evaluated


def html_json(text):
    """How a name appears inside the page's JSON: HTML-escaped, then JSON-escaped."""
    import html

    return json.dumps(html.escape(text))[1:-1].replace("<", "\\u003c").replace(
        ">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")


def test_jinja_globals_in_a_name_run_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the payload needs no quote (tojson escapes them)
    names = ["{{ cycler.__init__.__globals__.os.mkdir(dict(PWNED=1)|first) }}",
             "{{ cycler.__init__.__globals__.os.popen('touch PWNED2').read() }}"]
    f = map_frames(None, sites=hostile_sites(names), radius_km=[800], cities=False)
    f.meta["scenario"] = f.meta["description"] = names[0]
    page = map_html(range_map(f))
    assert list(tmp_path.iterdir()) == []
    assert html_json(names[0]) in page and html_json(names[1]) in page


def test_every_part_of_the_page_is_verbatim_text():
    """No element of a rendered map goes through a second template pass (branca re-parses
    what a MacroElement's macros return unless it is added as finished text)."""
    from branca.element import CssLink, JavascriptLink

    from geoinf.map_elements import Raw as _Raw

    f = map_frames("kaliningrad", cities=False, population=True)
    for offline in (True, False):
        m = range_map(f, offline=offline, tiles=None if offline else "OpenStreetMap")
        root = m.get_root()
        root.render()
        for part in (root.header, root.html, root.script):
            for name, child in part._children.items():
                assert isinstance(child, (_Raw, JavascriptLink, CssLink)) or (
                    name == "meta_http"), (name, type(child))


def test_script_end_tags_in_text_stay_inside_the_data():
    bad = "</script><script>window.__pwned=1</script>"
    f = map_frames(None, sites=hostile_sites([bad, "<!--<script>"]), radius_km=[800],
                   cities=False)
    f.meta["scenario"] = bad
    page = map_html(range_map(f))
    assert "window.__pwned" in page and "<script>window.__pwned" not in page
    assert "<!--<script>" not in page


def test_layer_names_are_html_escaped():
    """Leaflet's layer control inserts names with innerHTML; they come from system names."""
    from geoinf.systems import load_systems

    systems = load_systems()
    sys_row = systems[systems["id"] == "iskander-m"].assign(
        id="evil", name="<img/src=x/onerror=window.__pwned=1> tail")
    twin = sys_row.assign(id="evil2", range_km_low=900.0, range_km_high=900.0)
    f = map_frames(None, sites=hostile_sites(["A"]), system="evil,evil2",
                   systems=pd.concat([systems, sys_row, twin]), cities=False)
    page = map_html(range_map(f))
    label = (r"\u0026lt;img/src=x/onerror=window.__pwned=1\u0026gt; 0\u2013500 km "
             r"\u00b7 outside the treaty")
    assert page.count(label) == 2  # one 0-500 km layer per system: both kept
    assert "\\u003cimg/src" not in page.split("L.control.layers")[1]


def test_city_sites_are_counted_by_identity():
    """Two sites share a name and one name holds '; ': count sites, not name pieces."""
    pytest.importorskip("geoinf.exposure")
    names = ["Twin", "Twin", "North; South"]
    sites = hostile_sites(names, lon0=13.0, lat0=52.0)  # near Berlin
    f = map_frames(None, sites=sites, radius_km=[600], min_population=1_000_000)
    d = distance_km(f.cities.lon.to_numpy()[:, None], f.cities.lat.to_numpy()[:, None],
                    sites.lon.to_numpy()[None], sites.lat.to_numpy()[None])
    assert len(f.cities) > 0
    assert f.cities.n_sites.tolist() == (d <= 600).sum(axis=1).tolist()
    assert (f.cities.n_sites == 3).any()


def test_no_band_reached_is_a_map_that_says_so(runner, tmp_path):
    pytest.importorskip("geoinf.exposure")
    f = map_frames(None, site="chernyakhovsk", system="iskander-m")
    # no INF band, but the people under 500 km (outside the treaty) are counted
    assert f.summary["band"].tolist() == ["under 500 km"]
    assert f.summary["population"].gt(0).all()
    assert any("500 km" in n and "inner INF edge" in n for n in f.meta["notes"])
    page = map_html(range_map(f))
    assert "inner INF edge" in page
    sites = tmp_path / "s.csv"
    sites.write_text("id,name,lon,lat\na,Alpha,24,44\n")
    out = tmp_path / "m.html"
    res = runner.invoke(main, ["map", "--sites", str(sites), "--radius-km", "500", "-o",
                               str(out)])
    assert res.exit_code == 0, res.output
    assert "inner INF edge" in out.read_text()


def test_png_title_is_not_mathtext(runner, tmp_path):
    pytest.importorskip("matplotlib")
    scen = tmp_path / "scen.csv"
    scen.write_text("scenario,site,system\nPrice $x^$ {{ 6*7 }},chernyakhovsk,9m729\n")
    out, png = tmp_path / "m.html", tmp_path / "m.png"
    res = runner.invoke(main, ["map", "--scenario", str(scen), "--no-cities", "-o", str(out),
                               "--png", str(png)])
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:4] == b"\x89PNG" and "Price $x^$ {{ 6*7 }}" in out.read_text()


def test_png_failure_leaves_neither_file(runner, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    def fail(self, *args, **kwargs):
        raise InputError("disk full")

    monkeypatch.setattr(Figure, "savefig", fail)
    out, png = tmp_path / "m.html", tmp_path / "m.png"
    res = runner.invoke(main, ["map", "--scenario", "kaliningrad", "--no-cities", "-o",
                               str(out), "--png", str(png)])
    assert res.exit_code == 2 and "disk full" in res.output
    assert list(tmp_path.iterdir()) == []


def test_fragment_of_a_hostile_map_stays_literal():
    names = ["Base {{ 6*7 }}", "</script><b>x</b>"]
    m = range_map(map_frames(None, sites=hostile_sites(names), radius_km=[800],
                             cities=False))
    frag = map_fragment(m)
    assert html_json(names[0]) in frag and "Base 42" not in frag
    assert "</script><b>" not in frag
    iframe = map_fragment(m, isolated=True)
    assert "Base 42" not in iframe and "&lt;/script&gt;&lt;b&gt;" not in iframe.replace(
        "&amp;lt;", "")
    with pytest.raises(InputError, match="height"):
        map_fragment(m, height="1px;background:url(http://x)")
