"""The map's layout on a laptop (1280x800) and a phone (390x844), and the numbers it shows.

Opened in headless chromium with every outside request blocked (tests/test_browser.py's
harness). Panel rectangles are read with getBoundingClientRect and checked against the
viewport; popups are checked to draw above the panels.
"""

import numpy as np
import pytest

from geoinf.mapframes import map_frames
from geoinf.render import map_html, range_map, write_map

from .test_browser import CHROMIUM, browser, wait_settled  # noqa: F401  (browser: fixture)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

VIEWPORTS = {"laptop": (1280, 800), "phone": (390, 844)}

PANELS = """() => Array.from(document.querySelectorAll('.geoinf-panel')).map(p => {
  const r = p.getBoundingClientRect();
  return {cls: p.className, left: r.left, top: r.top, right: r.right, bottom: r.bottom,
          open: Array.from(p.querySelectorAll(':scope > details')).map(d => d.open)};
})"""

SITES = """() => Array.from(document.querySelectorAll('.leaflet-marker-icon.geoinf-site'))
  .map(m => { const r = m.getBoundingClientRect();
              return [(r.left + r.right) / 2, (r.top + r.bottom) / 2]; })"""


@pytest.fixture(scope="module")
def inf_frames():
    return map_frames("inf-2019")


@pytest.fixture(scope="module")
def inf_page(inf_frames, tmp_path_factory):
    return write_map(range_map(inf_frames), tmp_path_factory.mktemp("layout") / "inf.html")


def open_at(browser, path, size):  # noqa: F811
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("file:", "data:")) else r.abort())
    page.goto(path.as_uri(), wait_until="load")
    wait_settled(page)
    page.wait_for_timeout(300)
    return page, errors


def _area(r):
    return (r["right"] - r["left"]) * (r["bottom"] - r["top"])


def _overlap(a, b):
    return (min(a["right"], b["right"]) > max(a["left"], b["left"])
            and min(a["bottom"], b["bottom"]) > max(a["top"], b["top"]))


@pytest.mark.parametrize("screen", VIEWPORTS)
def test_panels_fit_the_screen(browser, inf_page, screen, tmp_path):  # noqa: F811
    width, height = VIEWPORTS[screen]
    page, errors = open_at(browser, inf_page, (width, height))
    panels = page.evaluate(PANELS)
    kinds = {p["cls"].split()[1] for p in panels}
    assert kinds == {"geoinf-title", "geoinf-legend", "geoinf-summary", "geoinf-about",
                     "geoinf-search"}
    for p in panels:  # inside the screen, never wider than it
        assert p["left"] >= 0 and p["top"] >= 0, p
        assert p["right"] <= width and p["bottom"] <= height, p
    for i, a in enumerate(panels):
        for b in panels[i + 1:]:
            assert not _overlap(a, b), (a["cls"], b["cls"])
    share = sum(_area(p) for p in panels) / (width * height)
    title = page.locator(".geoinf-title h1").inner_text()
    assert title == "INF Treaty collapse, 2019"
    opened = [o for p in panels for o in p["open"]]
    if screen == "phone":
        assert not any(opened)  # collapsed by default
        assert share < 0.2
    else:
        assert any(opened) and share <= 0.25
    # the first view shows every site clear of the panels
    sites = page.evaluate(SITES)
    assert len(sites) == 6
    for x, y in sites:
        assert 0 < x < width and 0 < y < height
        assert not any(p["left"] <= x <= p["right"] and p["top"] <= y <= p["bottom"]
                       for p in panels), (x, y)
    page.screenshot(path=str(tmp_path / f"inf-{screen}.png"))
    assert errors == []
    page.close()


POPUP_OVER = """([x, y]) => {
  const map = geoinfMap.registry[0].map;
  L.popup({autoPan: false}).setLatLng(map.containerPointToLatLng([x, y]))
    .setContent('<b id="probe">probe text</b>').openOn(map);
  const r = document.getElementById('probe').getBoundingClientRect();
  const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
  return hit && hit.closest('.leaflet-popup') !== null;
}"""


@pytest.mark.parametrize("screen", VIEWPORTS)
def test_popup_draws_above_the_panels(browser, inf_page, screen):  # noqa: F811
    page, errors = open_at(browser, inf_page, VIEWPORTS[screen])
    page.evaluate("() => document.querySelectorAll('.geoinf-panel details')"
                  ".forEach(d => d.open = true)")
    for cls in ("geoinf-legend", "geoinf-summary", "geoinf-title"):
        box = page.locator(f".{cls}").bounding_box()
        centre = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + 30]
        assert page.evaluate(POPUP_OVER, centre), cls
    assert errors == []
    page.close()


def test_page_zooms_and_has_no_focus_rectangle(inf_frames):
    page = map_html(range_map(inf_frames))
    assert "user-scalable=no" not in page and "maximum-scale" not in page
    assert 'name="viewport" content="width=device-width, initial-scale=1.0"' in page
    assert "path.leaflet-interactive:focus:not(:focus-visible) { outline: 0; }" in page
    assert "<title>INF Treaty collapse, 2019</title>" in page


CITY_TEXT = """(name) => {
  for (const r of geoinfMap.registry) {
    if (r.kind !== 'city') continue;
    for (const m of r.layer.getLayers()) {
      const t = m.getTooltip().getContent()(m);  // made when shown: Leaflet calls it
      if (t.startsWith('<b>' + name + '</b>')) {
        return [t, m.getPopup().getContent()(m)];
      }
    }
  }
  return null;
}"""


def test_city_says_margin_inside_each_claim(browser, inf_frames, inf_page):  # noqa: F811
    page, errors = open_at(browser, inf_page, VIEWPORTS["laptop"])
    city = inf_frames.cities[inf_frames.cities.name == "Istanbul"].iloc[0]
    tip, popup = page.evaluate(CITY_TEXT, "Istanbul")
    mk41 = sorted(h for h in city.hits if h[0] == "mk41-tomahawk")
    d = min(h[2] for h in mk41)
    inside = f"{1600 - round(d):,}&nbsp;km inside the 1,600&nbsp;km claim"
    assert inside in tip and inside in popup
    assert "in range under every claim" in tip
    # the 9M729 reaches Istanbul only under the 2,500 km claim: the tooltip says whose
    nine = min(h[2] for h in city.hits if h[0] == "9m729")
    assert 480 < nine < 2500
    assert "only under the 2,500&nbsp;km claim (US assessment" in tip
    # every reaching site is listed in the popup, with its distance
    for system, site, km in city.hits:
        name = inf_frames.sites.set_index("site").site_name[site]
        name = name.iloc[0] if hasattr(name, "iloc") else name
        assert f"{round(km):,}&nbsp;km from {name}" in popup, (system, site)
    assert errors == []
    page.close()


def test_summary_has_one_row_per_distinct_claim_from_0_km():
    f = map_frames("kaliningrad")
    isk = f.summary[f.summary.system == "iskander-m"]
    assert isk.band.tolist() == ["under 500 km"] and isk.range_km.tolist() == [500.0]
    assert isk.population.iloc[0] > 1e6
    assert sorted(set(f.summary[f.summary.system == "9m729"].range_km)) == [480.0, 2500.0]
    page = map_html(range_map(f))
    assert "Iskander-M</b> 500 km" in page.replace("\\u003c", "<").replace("\\u003e", ">")
    assert "coverage" not in page.split("Summary: people in range")[1][:3000]


def test_user_sites_show_no_empty_fields(tmp_path):
    path = tmp_path / "riga.csv"
    path.write_text("id,name,lon,lat\nriga,Riga test site,24.1,56.95\n")
    f = map_frames(None, sites=str(path), radius_km=[500, 1000], cities=False)
    page = map_html(range_map(f)).replace("\\u0026", "&").replace("\\u003c", "<")
    for empty in ("Riga test site ()", "Status: ,", "±0 km", "Source:</b> <br>",
                  "&mdash; <br>"):
        assert empty not in page, empty
    assert "Sites: your sites table riga.csv" in page
    assert "geoinf catalog (each figure" not in page


def test_system_colours_and_badges(inf_frames):
    page = map_html(range_map(inf_frames)).replace("\\u003c", "<").replace("\\u003e", ">")
    assert ">ALLEGED<" in page  # the Mk-41/Tomahawk claim
    assert "under 500 km (outside the treaty)" in page and "exempt" not in page.split(
        "geoinfMap.panel")[1]
    k = map_html(range_map(map_frames("kaliningrad", cities=False)))
    assert ">HYPOTHETICAL<" in k.replace("\\u003c", "<").replace("\\u003e", ">")
    styles = {}
    for fc in _band_styles(page):
        styles.setdefault(fc["color"], set()).add(fc["fillOpacity"])
    assert len(styles) == 2  # one colour per system, the class in the fill
    assert all(len(v) == 3 for v in styles.values())


def _band_styles(page):
    import json
    import re

    return [json.loads(m.group(1)) for m in re.finditer(r'"style": ?(\{[^}]*\})', page)
            if '"dashArray"' in m.group(1)]


def test_default_map_under_1_5_mb(inf_page):
    assert inf_page.stat().st_size < 1.5e6
    assert "jQuery" not in inf_page.read_text()


CLICK = """([lat, lon]) => {
  const map = geoinfMap.registry[0].map;
  map.setView([lat, lon], 5, {animate: false});
  const pt = map.latLngToContainerPoint([lat, lon]);
  return [pt.x, pt.y];
}"""


def test_click_lists_every_system_reaching_the_point(browser, inf_frames,  # noqa: F811
                                                     inf_page):
    """At 56N 4E the Mk-41 low claim and the 9M729 high claim (from Shuya) both reach."""
    from geoinf.geodesic import distance_km

    page, errors = open_at(browser, inf_page, VIEWPORTS["laptop"])
    x, y = page.evaluate(CLICK, [56.0, 4.0])
    page.wait_for_timeout(200)
    page.mouse.click(x, y)
    popup = page.locator(".geoinf-reach .leaflet-popup-content")
    popup.wait_for(timeout=2000)
    text = popup.inner_text()
    sites = inf_frames.sites.drop_duplicates("site")
    for system in ("mk41-tomahawk", "9m729"):
        group = sites[sites.system == system]
        d = distance_km(group.lon.to_numpy(), group.lat.to_numpy(), 4.0, 56.0)
        name = group.site_name.iloc[int(np.argmin(d))]
        assert f"{d.min():,.0f}\xa0km from {name}" in text, (system, text)
    assert "inside the 2,500\xa0km claim (US assessment as reported in the press)" in text
    assert "inside the 480" not in text  # the 480 km claim does not reach
    # the page's distance is the ellipsoidal one (Vincenty vs pyproj's Karney)
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(-180, 180, 300), rng.uniform(-89, 89, 300)
    got = np.array(page.evaluate("(pts) => pts.map(p => geoinfMap.distance(24.4134, "
                                 "44.0787, p[0], p[1]))", np.c_[lon, lat].tolist()),
                   dtype=float)
    want = distance_km(24.4134, 44.0787, lon, lat)
    ok = want < 19_000
    assert np.abs(got[ok] - want[ok]).max() < 1e-4  # 0.1 m
    assert errors == []
    page.close()


def test_print_puts_the_panels_below_the_map(browser, inf_page, tmp_path):  # noqa: F811
    page, errors = open_at(browser, inf_page, VIEWPORTS["laptop"])
    page.emulate_media(media="print")
    page.wait_for_timeout(200)
    got = page.evaluate("""() => {
      const map = document.querySelector('.folium-map').getBoundingClientRect();
      const panels = Array.from(document.querySelectorAll(
        '.geoinf-panel:not(.geoinf-search)'));
      return {mapBottom: map.bottom, tops: panels.map(p => p.getBoundingClientRect().top),
              closed: panels.flatMap(p => Array.from(p.querySelectorAll('details')))
                        .filter(d => !d.open).length,
              zoom: getComputedStyle(document.querySelector('.leaflet-control-zoom')).display,
              layers: getComputedStyle(document.querySelector('.leaflet-control-layers'))
                        .display};
    }""")
    assert len(got["tops"]) == 4 and min(got["tops"]) >= got["mapBottom"]
    assert got["closed"] == 0 and got["zoom"] == "none" and got["layers"] == "none"
    page.emulate_media(media="screen")
    page.wait_for_timeout(100)
    assert page.evaluate("() => document.querySelectorAll('.geoinf-print-panels').length") == 0
    page.pdf(path=str(tmp_path / "inf.pdf"), format="A4")  # the artefact: an A4 page
    assert (tmp_path / "inf.pdf").stat().st_size > 50_000
    assert errors == []
    page.close()


HOST_STYLE = ("body {margin: 40px; font: 20px serif} h1, h4, summary, th {color: rgb(255, 0, 0);"
              " text-transform: uppercase; font-family: serif} th {background: black}")


def test_report_page_with_two_maps_and_one_twice(browser, inf_frames, tmp_path):  # noqa: F811
    from geoinf.render import fragment_libraries, map_fragment

    inf = range_map(inf_frames)
    kal = range_map(map_frames("kaliningrad", cities=False))
    frags = [map_fragment(m, height="520px", libraries=False) for m in (inf, kal, inf)]
    host = ("<!DOCTYPE html><html><head><meta charset='utf-8'><style>" + HOST_STYLE +
            "</style></head><body><h1>Report</h1>" + fragment_libraries() +
            "".join(f"<div style='width:860px'>{f}</div><p>text</p>" for f in frags) +
            "</body></html>")
    out = tmp_path / "report.html"
    out.write_text(host, encoding="utf-8")
    assert host.count('t.version="1.9.3"') == 1  # Leaflet once for three maps
    page, errors = open_at(browser, out, (1280, 800))
    got = page.evaluate("""() => Array.from(document.querySelectorAll('.folium-map')).map(b => {
      const box = b.getBoundingClientRect();
      const panels = Array.from(b.querySelectorAll('.geoinf-panel'));
      const h1 = getComputedStyle(b.querySelector('.geoinf-title h1'));
      return {id: b.id, w: box.width, h: box.height,
              paths: b.querySelectorAll('path.leaflet-interactive').length,
              share: panels.reduce((s, p) => { const r = p.getBoundingClientRect();
                                               return s + r.width * r.height; }, 0)
                     / (box.width * box.height),
              colour: h1.color, transform: h1.textTransform};
    })""")
    assert errors == []
    assert len(got) == 3 and len({g["id"] for g in got}) == 3
    for g in got:
        assert (g["w"], g["h"]) == (860, 520) and g["paths"] > 0
        assert g["share"] <= 0.25, g
        assert g["colour"] != "rgb(255, 0, 0)" and g["transform"] == "none"
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("screen", VIEWPORTS)
def test_search_finds_cities_and_points(browser, inf_frames, inf_page, screen):  # noqa: F811
    from geoinf.geodesic import distance_km

    page, errors = open_at(browser, inf_page, VIEWPORTS[screen])
    box = page.locator(".geoinf-search input")
    box.fill("istanb")
    assert page.locator(".geoinf-search li").first.inner_text().startswith("Istanbul")
    box.press("Enter")
    popup = page.locator(".geoinf-reach .leaflet-popup-content")
    popup.wait_for(timeout=2000)
    city = inf_frames.cities[inf_frames.cities.name == "Istanbul"].iloc[0]
    d = min(h[2] for h in city.hits if h[0] == "mk41-tomahawk")
    assert f"Mk-41: {d:,.0f}\xa0km from" in popup.inner_text()
    # the map pans the popup into view (an animation: slower on a loaded machine)
    width = VIEWPORTS[screen][0]
    page.wait_for_function(  # inside the screen and at rest (the same place two frames running)
        "w => { const r = document.querySelector('.geoinf-reach .leaflet-popup-content')"
        ".getBoundingClientRect(); const at = r.left + ',' + r.top, was = window.__at;"
        " window.__at = at; return at === was && r.left >= 0 && r.right <= w; }", arg=width,
        timeout=5000)
    rect = popup.bounding_box()
    assert rect["x"] >= 0 and rect["x"] + rect["width"] <= width
    box.fill("56, 4")
    box.press("Enter")
    page.wait_for_function(  # the previous popup fades out for 200 ms
        "() => { const c = document.querySelectorAll('.geoinf-reach .leaflet-popup-content');"
        " return c.length && c[c.length - 1].innerText.startsWith('56.00'); }", timeout=5000)
    text = page.locator(".geoinf-reach .leaflet-popup-content").last.inner_text()
    assert text.startswith("56.00°N 4.00°E") and "9M729" in text
    box.fill("Atlantis")
    assert "No city in range" in page.locator(".geoinf-search ol").inner_text()
    assert distance_km(0, 0, 1, 0) > 0 and errors == []
    page.close()


def _open_table(page):
    page.evaluate("() => document.querySelectorAll('.geoinf-summary details')"
                  ".forEach(d => d.open = true)")
    page.locator(".geoinf-table-open").click()
    page.locator(".geoinf-dialog").wait_for(timeout=2000)


TABLE = """() => Array.from(document.querySelectorAll('.geoinf-dialog tbody tr'))
  .map(tr => Array.from(tr.cells).map(td => td.textContent))"""


def _download(page, selector, tmp_path):
    with page.expect_download() as info:
        page.locator(selector).click()
    out = tmp_path / info.value.suggested_filename
    info.value.save_as(out)
    return out


@pytest.mark.parametrize("screen", VIEWPORTS)
def test_city_table_sorts_by_keyboard_and_downloads(browser, inf_frames, inf_page,  # noqa: F811
                                                    screen, tmp_path):
    import csv
    import json

    page, errors = open_at(browser, inf_page, VIEWPORTS[screen])
    _open_table(page)
    width, height = VIEWPORTS[screen]
    box = page.locator(".geoinf-dialog").bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height
    cities = inf_frames.cities
    heads = page.locator(".geoinf-dialog th").all_inner_texts()
    assert heads[:3] == ["City", "Country", "People"]
    assert page.locator(".geoinf-dialog th").nth(2).get_attribute("aria-sort") == "descending"
    rows = page.evaluate(TABLE)
    assert len(rows) == len(cities) and rows[0][0] == "Istanbul"
    # the first header has focus; Tab to "People", Enter sorts ascending, Space descending
    assert page.evaluate("() => document.activeElement.textContent") == "City"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.locator(".geoinf-dialog th").nth(2).get_attribute("aria-sort") == "ascending"
    rows = page.evaluate(TABLE)
    pop = [int(r[2].replace(",", "")) for r in rows]
    assert pop == sorted(pop) and pop[0] == cities.population.min()
    page.keyboard.press(" ")
    assert page.evaluate(TABLE)[0][0] == "Istanbul"
    # sorted by the distance to the nearest 9M729 site: reached cities first, blanks last
    col = heads.index("9M729: km to nearest site")
    page.locator(".geoinf-dialog th button").nth(col).focus()
    page.keyboard.press("Enter")
    rows = page.evaluate(TABLE)
    nine = [min((h[2] for h in hits if h[0] == "9m729"), default=None)
            for hits in cities.hits]
    reached = sorted(round(d) for d in nine if d is not None)
    got = [r[col] for r in rows]
    assert [int(v.replace(",", "")) for v in got[:len(reached)]] == reached
    assert all(v == "" for v in got[len(reached):])
    # CSV: every city, and the numbers of the tooltips (margin inside each claim)
    csv_file = _download(page, ".geoinf-dialog [data-act=csv]", tmp_path)
    assert csv_file.name == "inf-2019-cities.csv"
    with csv_file.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == len(cities)
    ist = next(r for r in table if r["City"] == "Istanbul")
    city = cities[cities.name == "Istanbul"].iloc[0]
    d = round(min(h[2] for h in city.hits if h[0] == "mk41-tomahawk"))
    assert ist["Mk-41: km to nearest site"] == str(d)
    assert ist["Mk-41: km inside the 1,600 km claim"] == str(1600 - d)
    assert ist["9M729: km inside the 480 km claim"] == ""
    assert ist["9M729: in range under"].startswith("only the 2,500 km claim (US assessment")
    assert ist["People"] == str(int(city.population)) and ist["Country"] == city.country
    # GeoJSON: a point per city at its position
    gj = json.loads(_download(page, ".geoinf-dialog [data-act=geojson]", tmp_path).read_text())
    assert len(gj["features"]) == len(cities)
    feat = next(f for f in gj["features"] if f["properties"]["City"] == "Istanbul")
    assert feat["geometry"]["coordinates"] == [round(city.lon, 4), round(city.lat, 4)]
    assert feat["properties"]["Mk-41: km to nearest site"] == d
    # Escape closes the table and gives the focus back to its button
    page.keyboard.press("Escape")
    assert page.locator(".geoinf-dialog").count() == 0
    assert page.evaluate("() => document.activeElement.className") == "geoinf-table-open"
    assert errors == []
    page.close()


HOSTILE_NAMES = ["=HYPERLINK(\"http://evil.example\",\"x\")", "<img src=x onerror="
                 "window.__pwned=1>", "-2+3", " @SUM(A1)", "Kyiv, \"quoted\"\nline"]


def test_city_table_text_is_literal(browser, inf_frames, tmp_path):  # noqa: F811
    import csv
    import dataclasses

    cities = inf_frames.cities.head(40).copy()
    cities.loc[cities.index[:len(HOSTILE_NAMES)], "name"] = HOSTILE_NAMES
    frames = dataclasses.replace(inf_frames, cities=cities)
    path = write_map(range_map(frames), tmp_path / "hostile.html")
    page, errors = open_at(browser, path, VIEWPORTS["laptop"])
    _open_table(page)
    shown = [r[0] for r in page.evaluate(TABLE)[:len(HOSTILE_NAMES)]]
    assert shown == HOSTILE_NAMES
    assert page.evaluate("() => document.querySelectorAll('.geoinf-dialog img').length") == 0
    with _download(page, ".geoinf-dialog [data-act=csv]", tmp_path).open(
            encoding="utf-8-sig", newline="") as fh:
        names = [r["City"] for r in csv.DictReader(fh)][:len(HOSTILE_NAMES)]
    assert names == ["'" + HOSTILE_NAMES[0], HOSTILE_NAMES[1], "'-2+3", "' @SUM(A1)",
                     HOSTILE_NAMES[4]]
    assert page.evaluate("() => window.__pwned") is None and errors == []
    page.close()


FOCUSED = """() => { const e = document.activeElement;
  return {cls: e.className, label: e.getAttribute('aria-label'), role: e.getAttribute('role'),
          outline: getComputedStyle(e).outlineStyle, width: getComputedStyle(e).outlineWidth}; }"""


def test_markers_are_reached_and_opened_by_keyboard(browser, inf_frames, inf_page):  # noqa: F811
    page, errors = open_at(browser, inf_page, VIEWPORTS["laptop"])
    names = set(inf_frames.sites.site_name)
    for _ in range(80):  # Tab until a site marker has the focus
        page.keyboard.press("Tab")
        got = page.evaluate(FOCUSED)
        if "geoinf-site" in got["cls"]:
            break
    assert "geoinf-site" in got["cls"], got
    assert got["role"] == "button" and got["outline"] == "solid" and got["width"] == "3px"
    site = next(n for n in names if n.split(" (")[0] in got["label"])
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=2000)
    assert site.split(" (")[0] in popup.inner_text()
    assert "<" not in got["label"]  # the tooltip's text, not its markup
    page.keyboard.press("Escape")  # closes the popup
    page.wait_for_function("() => !document.querySelector('.leaflet-popup')", timeout=2000)
    # a cluster of cities: Enter zooms in
    zoom = page.evaluate("() => geoinfMap.registry[0].map.getZoom()")
    page.locator(".leaflet-marker-icon.geoinf-cluster").first.focus()
    assert "places here" in page.evaluate("() => document.activeElement.textContent")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => geoinfMap.registry[0].map.getZoom() > {zoom}", timeout=3000)
    # a city: a named button; Enter opens its popup with the distances
    page.wait_for_timeout(500)  # the cluster's zoom animation ends
    page.evaluate("() => { geoinfMap.registry[0].map.setView([41.01, 28.95], 8, "
                  "{animate: false}); }")
    city = page.locator(".leaflet-marker-icon.geoinf-city[aria-label='Istanbul']")
    city.wait_for(state="attached", timeout=5000)
    city.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => Array.from(document.querySelectorAll("
                           "'.leaflet-popup-content')).some(p => p.innerText.startsWith("
                           "'Istanbul'))", timeout=3000)
    assert errors == []
    page.close()


LABELS = """() => Array.from(document.querySelectorAll('.geoinf-city-label')).map(e => {
  const r = e.getBoundingClientRect();
  return {text: e.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom}; })"""


def test_city_names_from_zoom_5_without_overlap(browser, inf_page):  # noqa: F811
    page, errors = open_at(browser, inf_page, VIEWPORTS["laptop"])
    assert page.evaluate(LABELS) == []  # the first view: no city names
    for zoom, big in ((5, True), (7, False)):
        page.evaluate(f"() => {{ geoinfMap.registry[0].map.setView([50, 20], {zoom}, "
                      "{animate: false}); }")
        page.wait_for_timeout(200)
        labels = page.evaluate(LABELS)
        texts = [t["text"] for t in labels]
        assert ("Warsaw" in texts) and (("Poznań" in texts) != big), texts
        for i, a in enumerate(labels):
            assert a["right"] - a["left"] > 10
            for b in labels[i + 1:]:
                assert not _overlap(a, b), (a, b)
    assert errors == []
    page.close()
