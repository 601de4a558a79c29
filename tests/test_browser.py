"""Open the maps in a real headless chromium with every outside request blocked.

Needs the Debian ``chromium`` package (installed by .ci/run) and the PyPI ``playwright``
package, which drives the system chromium (``playwright install`` is not used).
Screenshots go to the pytest temporary directory as test artefacts.
"""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoinf.mapframes import map_frames
from geoinf.render import map_fragment, map_html, range_map, write_map

from .test_render import fake_cities

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium); "
    "CI installs it in .ci/run")
playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

REGISTRY = "() => geoinfMap.registry.map(r => [r.map._container.id, r.kind, r.count, " \
    "r.map.hasLayer(r.layer)])"


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def open_offline(browser, path, *, wait_ms=300, size=(1280, 800)):
    """Load a file with all non-file:/data: requests aborted; collect errors and requests."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    log = {"errors": [], "blocked": [], "page": page}
    page.on("console", lambda m: log["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log["errors"].append(str(e)))

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            log["blocked"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri(), wait_until="load")
    wait_settled(page)
    page.wait_for_timeout(wait_ms)
    return log


SETTLED = "() => !window.geoinfMap || !geoinfMap.settled || geoinfMap.settled()"


def wait_settled(page):
    """Wait until the work a map leaves for after its first frame is done (city markers)."""
    page.wait_for_function(SETTLED, timeout=20_000)


@pytest.fixture(scope="module")
def frames():
    f = map_frames("euromissiles-1983", cities=False)  # SS-20 reach contains the pole
    f.cities = fake_cities(40)
    f.summary = pd.DataFrame({"band": ["intermediate-range"], "population": [1.0e6]})
    return f


def test_offline_map_renders_with_no_network(browser, frames, tmp_path):
    out = write_map(range_map(frames), tmp_path / "euromissiles.html")
    log = open_offline(browser, out)
    page = log["page"]
    assert log["errors"] == []
    assert log["blocked"] == []
    assert page.evaluate("() => typeof L === 'object' && L.version") == "1.9.3"
    layers = page.evaluate(REGISTRY)
    kinds = [k for _, k, _, _ in layers]
    assert kinds.count("band") == len(frames.bands) == 11
    counts = {k: c for _, k, c, _ in layers if k != "band"}
    assert counts["site"] == frames.sites["site"].nunique() == 10
    assert counts["city"] == 40
    assert page.evaluate(f"() => {CITY_LAYER}.getLayers().length") == 40  # all made
    assert counts["basemap"] > 300
    assert all(on for *_, on in layers)
    # drawn in the DOM: band paths, site markers, city clusters, controls
    assert page.locator("path.leaflet-interactive").count() >= 11
    assert page.locator(".leaflet-marker-icon.geoinf-site").count() == 10
    assert page.locator(".geoinf-cluster, .leaflet-marker-icon.geoinf-city").count() > 0
    assert page.locator(".leaflet-control-scale").count() == 1
    # bands, countries, cities, sites
    assert page.locator(".leaflet-control-layers-overlays label").count() == 11 + 4
    assert page.locator(".geoinf-legend").inner_text().startswith("Legend")
    assert "WGS84" in page.locator(".geoinf-about").text_content()
    page.mouse.click(640, 400)  # a click on a band opens no error
    page.wait_for_timeout(100)
    assert log["errors"] == []
    page.screenshot(path=str(tmp_path / "euromissiles.png"))
    assert (tmp_path / "euromissiles.png").stat().st_size > 50_000


CITY_LAYER = "geoinfMap.registry.find(r => r.kind === 'city').layer"


def test_city_markers_are_made_after_the_first_frame(browser, frames, tmp_path):
    """The city markers are made and clustered in slices after the first frame; every one
    of them, also when the layer is switched off before they are done."""
    off = (f"<script>addEventListener('load', () => {{ const layer = {CITY_LAYER};"
           " window.__made = layer.getLayers().length; layer.remove(); });</script>")
    out = tmp_path / "off.html"
    out.write_text(map_html(range_map(frames)).replace("</html>", off + "</html>"),
                   encoding="utf-8")
    log = open_offline(browser, out)
    page = log["page"]
    assert page.evaluate("() => window.__made") == 0  # none before the first frame
    assert page.evaluate(f"() => [{CITY_LAYER}._map === null || {CITY_LAYER}._map === "
                         "undefined, geoinfMap.settled()]") == [True, True]
    assert page.locator(".geoinf-cluster, .leaflet-marker-icon.geoinf-city").count() == 0
    page.evaluate(f"() => {CITY_LAYER}.addTo(geoinfMap.registry[0].map)")  # switched on
    assert page.evaluate(f"() => {CITY_LAYER}.getLayers().length") == 40
    assert page.locator(".geoinf-cluster, .leaflet-marker-icon.geoinf-city").count() > 0
    shown = page.evaluate("""() => { let n = 0;
      document.querySelectorAll('.geoinf-cluster, .leaflet-marker-icon.geoinf-city')
        .forEach(e => { const c = e.querySelector('span > span'); n += c ? +c.textContent : 1; });
      return n; }""")
    assert 0 < shown <= 40
    assert log["errors"] == [] and log["blocked"] == []
    page.close()


def test_site_popup_opens_with_sources(browser, frames, tmp_path):
    out = write_map(range_map(frames), tmp_path / "popup.html")
    log = open_offline(browser, out)
    page = log["page"]
    page.locator(".leaflet-marker-icon.geoinf-site").last.click(force=True)  # sites overlap
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=2000)
    text = popup.inner_text()
    assert "Location precision" in text and "http" in text
    assert log["errors"] == [] and log["blocked"] == []


def test_stock_online_page_is_blank_offline(browser, frames, tmp_path):
    """The control: the online variant needs the network, so offline it fails."""
    out = write_map(range_map(frames, offline=False), tmp_path / "online.html")
    log = open_offline(browser, out, wait_ms=100)
    assert len(log["blocked"]) >= 3
    assert any("L is not defined" in e for e in log["errors"])


def test_two_fragments_in_a_host_page(browser, tmp_path):
    f = map_frames("kaliningrad", cities=False)
    frags = [map_fragment(range_map(f), height="300px") for _ in range(2)]
    host = ("<!DOCTYPE html><html><head><meta charset='utf-8'><style>body {margin: 40px; "
            "font-size: 20px}</style></head><body><h1 id='title'>Report</h1>"
            f"{frags[0]}<p id='between'>text</p>{frags[1]}</body></html>")
    out = tmp_path / "report.html"
    out.write_text(host, encoding="utf-8")
    log = open_offline(browser, out)
    page = log["page"]
    assert log["errors"] == [] and log["blocked"] == []
    maps = {m for m, *_ in page.evaluate(REGISTRY)}
    assert len(maps) == 2
    style = page.evaluate("() => [getComputedStyle(document.body).margin, "
                          "getComputedStyle(document.getElementById('between')).fontSize]")
    assert style == ["40px", "20px"]  # the host's own rules are untouched
    heights = page.evaluate("() => Array.from(document.querySelectorAll('.folium-map'))"
                            ".map(e => e.getBoundingClientRect().height)")
    assert heights == [300, 300]
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)


SITE_LABELS = """() => Array.from(document.querySelectorAll('.leaflet-tooltip.geoinf-label'))
  .map(t => { const r = t.getBoundingClientRect();
              return [r.left, r.top, r.right, r.bottom, t.textContent]; })"""


def overlapping(boxes, tol=0.5):
    """Return the pairs of boxes [left, top, right, bottom, text] that overlap."""
    return [(a[4], b[4]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if min(a[2], b[2]) - max(a[0], b[0]) > tol and min(a[3], b[3]) - max(a[1], b[1]) > tol]


@pytest.fixture(scope="module")
def post_page(tmp_path_factory):
    frames = map_frames("post-inf-2026", cities=False)  # Belarus and Kaliningrad: close sites
    return write_map(range_map(frames), tmp_path_factory.mktemp("post") / "post.html")


def site_labels_apart(browser, path, size):
    log = open_offline(browser, path, size=size)
    page = log["page"]
    boxes = page.evaluate(SITE_LABELS)
    sites = page.locator(".leaflet-marker-icon.geoinf-site").count()
    page.screenshot(path=str(path.with_name(f"labels-{size[0]}.png")))
    page.close()
    return log, boxes, sites


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["laptop", "phone"])
def test_site_labels_do_not_overlap(browser, post_page, size):
    """Site names are placed like the city names: no two shown names overlap."""
    log, boxes, sites = site_labels_apart(browser, post_page, size)
    assert log["errors"] == [] and log["blocked"] == []
    assert overlapping(boxes) == []
    assert sites == 6 and len(boxes) >= 4  # most names still shown
    texts = [b[4] for b in boxes]
    assert len(set(texts)) == len(texts)


MAPS = sorted((Path(__file__).resolve().parent.parent / "maps").glob("*.html"))


@pytest.mark.parametrize("path", MAPS, ids=[p.stem for p in MAPS])
def test_example_map_offline(browser, path):
    """Every committed example map draws with no error and no outside request."""
    log = open_offline(browser, path)
    page = log["page"]
    assert log["errors"] == [] and log["blocked"] == []
    layers = page.evaluate(REGISTRY)
    assert [k for _, k, _, _ in layers].count("band") >= 1
    assert all(on for *_, on in layers)
    assert page.locator("path.leaflet-interactive").count() >= 1
    assert page.locator(".leaflet-marker-icon.geoinf-site").count() >= 1
    page.close()


def test_map_of_1000_user_sites(browser, tmp_path):
    """`geoinf map --sites` with 1,000 sites all over the globe: drawn, offline, no errors."""
    from click.testing import CliRunner

    from geoinf.cli import main

    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(-180, 180, 1000), np.degrees(np.arcsin(rng.uniform(-1, 1, 1000)))
    lon[:2], lat[:2] = (180.0, -180.0), (89.9, -89.9)  # the antimeridian and the poles
    sites = tmp_path / "sites.csv"
    sites.write_text("id,name,lon,lat\n" + "".join(
        f"s{i},Site <{i}>,{x:.4f},{y:.4f}\n" for i, (x, y) in enumerate(zip(lon, lat,
                                                                           strict=True))))
    out = tmp_path / "sites.html"
    res = CliRunner().invoke(main, ["map", "--sites", str(sites), "--radius-km", "1000",
                                    "--no-cities", "-o", str(out)])
    assert res.exit_code == 0, res.output
    log = open_offline(browser, out, wait_ms=500)
    page = log["page"]
    assert log["errors"] == [] and log["blocked"] == []
    counts = {k: c for _, k, c, _ in page.evaluate(REGISTRY) if k != "band"}
    assert counts["site"] == 1000
    bands = [(c, on) for _, k, c, on in page.evaluate(REGISTRY) if k == "band"]
    assert len(bands) == 2 and all(on for _, on in bands)  # 0-500 and 500-1,000 km
    assert page.locator(".leaflet-marker-icon.geoinf-site").count() == 1000
    page.mouse.click(640, 400)
    page.wait_for_timeout(100)
    assert log["errors"] == []
    page.screenshot(path=str(tmp_path / "sites.png"))
    page.close()
