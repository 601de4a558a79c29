"""The page's north-polar view of ranges that hold the North Pole (issue 15, item 3).

Opened in headless chromium with every outside request blocked (tests/test_browser.py's
harness), at 1280x800 and 390x844. The view's centre is the pole; which drawn band holds
it is read with the canvas's isPointInPath on each band's drawn path.
"""

import pytest

from geoinf.map_panels import legend_panel, polar_data
from geoinf.mapframes import map_frames
from geoinf.render import map_html, range_map, write_map

from .test_browser import CHROMIUM, browser, open_offline  # noqa: F401  (browser: fixture)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

SIZES = {"laptop": (1280, 800), "phone": (390, 844)}

# the pole's screen position (the canvas centre), what is drawn there, and per band
# whether its drawn shape holds the pole and a point on the equator opposite the sites
AT_POLE = """() => {
  const c = document.querySelector('.geoinf-polar canvas'), r = c.getBoundingClientRect();
  const v = c.geoinfPolar, x = r.width / 2, y = r.height / 2;
  const far = v.project(v.data.lon_0 + 180, 0);
  const hit = document.elementFromPoint(r.left + x, r.top + y);
  return {top: hit === c, canvas: [r.left, r.top, r.right, r.bottom],
          pole: v.project(0, 90).map(Math.round), centre: [Math.round(x), Math.round(y)],
          bands: v.data.bands.map((b, i) => [b.name, v.inside(i, x, y),
                                             v.inside(i, far[0], far[1])])};
}"""


@pytest.fixture(scope="module")
def post():
    return map_frames("post-inf-2026", cities=False)  # Oreshnik: 5,000 km holds the pole


@pytest.fixture(scope="module")
def post_page(post, tmp_path_factory):
    return write_map(range_map(post), tmp_path_factory.mktemp("polar") / "post.html")


def test_polar_view_only_where_a_band_holds_the_pole():
    for name in ("kaliningrad", "inf-2019"):
        frames = map_frames(name, cities=False)
        assert frames.bands.total_bounds[3] < 90
        assert polar_data(frames) is None
        assert "Polar view" not in legend_panel(frames)
        assert "geoinfMap.polar(" not in map_html(range_map(frames))


def test_polar_data_keeps_the_cap_and_escapes_names(post):
    data = polar_data(post)
    lats = [y for b in data["bands"] for part in b["rings"]["parts"] for ring in part
            for y in _lats(ring, b["rings"]["scale"])]
    assert max(lats) == 90.0  # not clipped at Web Mercator's 85.05°
    assert "The <b>Polar view</b> button" in legend_panel(post)
    post2 = post.bands.copy()
    post2["system_name"] = "<img src=x onerror=alert(1)> launcher with X"
    data = polar_data(type(post)(bands=post2, sites=post.sites, meta=post.meta))
    assert all("<img" not in b["name"] and "&lt;img" in b["name"] for b in data["bands"])
    assert all("<img" not in name for _, name in data["systems"])


def _lats(flat, scale):
    y = 0
    for dy in flat[1::2]:
        y += dy
        yield y / scale


@pytest.mark.parametrize("screen", SIZES)
def test_polar_view_draws_the_pole_inside_the_5000_km_band(browser, post_page, screen,  # noqa: F811
                                                           tmp_path):
    log = open_offline(browser, post_page, size=SIZES[screen])
    page = log["page"]
    toggle = page.get_by_role("button", name="Polar view", exact=True)
    assert toggle.count() == 1 and toggle.get_attribute("aria-expanded") == "false"
    toggle.focus()  # keyboard: Tab reaches it (a button), Enter opens the view
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="North-polar view")
    dialog.wait_for(timeout=2000)
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == \
        "Close the polar view"
    got = page.evaluate(AT_POLE)
    w, h = SIZES[screen]
    left, top, right, bottom = got["canvas"]
    assert 0 <= left and right <= w and 0 <= top and bottom <= h  # on the screen
    assert right - left >= min(w, h) * 0.6
    assert got["top"]  # nothing covers the pole
    assert got["pole"] == got["centre"]
    inside = {name: (pole, far) for name, pole, far in got["bands"]}
    assert inside["Oreshnik 1,000–5,000 km"] == (True, False)
    assert inside["Oreshnik 5,000–5,500 km"] == (False, False)  # an annulus round the pole
    assert sum(pole for pole, _ in inside.values()) == 1
    key = dialog.inner_text()
    assert "Oreshnik" in key and "Typhon (Mid-Range Capability) with SM-6" in key
    page.screenshot(path=str(tmp_path / f"polar-{screen}.png"))
    page.keyboard.press("Escape")  # back to the map, focus on the toggle
    assert page.get_by_role("dialog").count() == 0
    assert page.evaluate("() => document.activeElement.textContent") == "Polar view"
    assert log["errors"] == [] and log["blocked"] == []
    page.close()


def test_no_polar_toggle_on_kaliningrad(browser, tmp_path):  # noqa: F811
    out = write_map(range_map(map_frames("kaliningrad", cities=False)), tmp_path / "k.html")
    log = open_offline(browser, out)
    assert log["page"].get_by_role("button", name="Polar view", exact=True).count() == 0
    assert log["errors"] == [] and log["blocked"] == []
    log["page"].close()


ZOOM_STATE = """() => {
  const c = document.querySelector('.geoinf-polar canvas'), v = c.geoinfPolar;
  const r = c.getBoundingClientRect();
  return {pole: v.project(0, 90), site: v.project(27.3, 53.5), moscow: v.project(37.6, 55.75),
          side: v.side, zoom: v.zoom, rect: [r.left, r.top],
          outDisabled: document.querySelector('.geoinf-polar [data-act=out]').disabled};
}"""


def test_polar_view_zooms_by_buttons_keys_and_wheel(browser, post_page, tmp_path):  # noqa: F811
    log = open_offline(browser, post_page, size=SIZES["laptop"])
    page = log["page"]
    page.get_by_role("button", name="Polar view", exact=True).click()
    page.get_by_role("dialog", name="North-polar view").wait_for(timeout=2000)
    one = page.evaluate(ZOOM_STATE)
    assert one["zoom"] == 1 and one["outDisabled"]
    centre = one["side"] / 2
    assert one["pole"] == [centre, centre]

    def dist(a, b):
        return ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5

    page.get_by_role("button", name="Zoom the polar view in").click()  # twice the distances
    two = page.evaluate(ZOOM_STATE)
    assert two["zoom"] == 2 and not two["outDisabled"]
    assert two["pole"] == [centre, centre]
    assert abs(dist(two["site"], two["pole"]) - 2 * dist(one["site"], one["pole"])) < 1e-6
    page.keyboard.press("-")  # the key zooms out again
    assert page.evaluate(ZOOM_STATE)["zoom"] == 1
    # the wheel zooms about the point under the pointer (at Moscow, to the pixel)
    mx, my = (round(one["rect"][k] + one["moscow"][k]) for k in (0, 1))
    pointer = [mx - one["rect"][0], my - one["rect"][1]]
    page.mouse.move(mx, my)
    page.mouse.wheel(0, -300)
    page.wait_for_function("() => document.querySelector('.geoinf-polar canvas')"
                           ".geoinfPolar.zoom > 1", timeout=2000)
    wheel = page.evaluate(ZOOM_STATE)
    assert wheel["zoom"] == pytest.approx(2)
    for place in ("moscow", "site", "pole"):  # twice as far from the pointer, same way
        for k in (0, 1):
            assert wheel[place][k] - pointer[k] == pytest.approx(
                2 * (one[place][k] - pointer[k]), abs=1e-6), place
    # the band shapes are drawn at the zoom: the pole's band still holds the pole
    got = page.evaluate("""() => { const v = document.querySelector('.geoinf-polar canvas')
      .geoinfPolar, p = v.project(0, 90); return v.data.bands.map(b => b.name)
      .filter((n, i) => v.inside(i, p[0], p[1])); }""")
    assert got == ["Oreshnik 1,000–5,000 km"]
    page.screenshot(path=str(tmp_path / "polar-zoomed.png"))
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Polar view", exact=True).click()  # opens whole again
    assert page.evaluate(ZOOM_STATE)["zoom"] == 1
    assert log["errors"] == [] and log["blocked"] == []
    page.close()
