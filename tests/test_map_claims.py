"""Claims on maps (issue 18, item 2): which claim each band, city and site depends on.

The legend lists every drawn claim of a system (figure, claimant, year, strength); band
tooltips say which drawn claims reach all, part or none of the band; city tooltips and
the page's city table say under which claims the city is in range, recomputed here from
the exact distances and :func:`geoinf.claims.claim_support`; site popups show the pair's
status and since when; the 2026 scenario's ANNOUNCED / REPORTED pairs carry badges.
"""

import json
import re

import pytest

from geoinf.claims import claim_support, load_claims, load_deployments
from geoinf.map_claims import system_claims
from geoinf.map_layers import band_layers, city_layer, site_layer
from geoinf.map_panels import legend_panel
from geoinf.mapframes import map_frames
from geoinf.render import range_map, write_map

from .test_browser import CHROMIUM, browser  # noqa: F401  (browser: fixture)
from .test_map_layout import CITY_TEXT, open_at


@pytest.fixture(scope="module")
def inf():
    return map_frames("inf-2019")


@pytest.fixture(scope="module")
def post():
    return map_frames("post-inf-2026", cities=False)


def test_legend_lists_every_drawn_claim_with_date_and_strength(inf):
    legend = legend_panel(inf)
    drawn = load_claims().query("system == '9m729' and drawn")
    assert len(drawn) >= 3  # 480 (Russia), 2,350 (FAZ), 2,500 (US press), 2,500 (CSIS)
    for c in drawn.itertuples():
        year = str(c.date)[:4]
        assert re.search(f"{c.range_km:,.0f}&nbsp;km \\([^)]*, {year}; "
                         f"{re.escape(c.strength)}\\)", legend), (c.range_km, c.claimant)
    # the 1,200 km flight (Ukraine, 2025) is published but not drawn: counted, not listed
    assert "not drawn" in legend and "a flight of over 1,200" not in legend


def test_band_tooltip_names_the_claims_that_reach_it(inf):
    claims = system_claims(inf.sites)
    layers = band_layers(inf.bands, claims=claims)
    for layer, band in zip(layers, inf.bands.sort_values("max_km", ascending=False,
                                                        kind="stable").itertuples(),
                           strict=False):
        tip = layer.data["tooltip"]
        drawn = claims[band.system].query("drawn")
        whole = drawn[drawn.range_km >= band.max_km]
        part = drawn[(drawn.range_km > band.min_km) & (drawn.range_km < band.max_km)]
        head, *rest = tip.split("<br>")[1:]
        for c in whole.itertuples():
            assert f"{c.range_km:,.0f}&nbsp;km ({c.who}" in head
        assert ("partly under" in tip) == (len(part) > 0)
        if band.system == "9m729" and band.min_km >= 1000:  # FAZ's 2,350 ends inside it
            assert "partly under 2,350&nbsp;km (FAZ, 2019)" in tip


def _city_ref(frames):
    data = city_layer(frames.cities, frames.sites).data
    return data["ref"], {r[2]: r for r in data["rows"]}


def test_city_claims_follow_claim_support(inf):
    ref, rows = _city_ref(inf)
    nine = next(k for k, s in enumerate(ref["systems"]) if s["name"] == "9M729")
    claims = ref["systems"][nine]["claims"]
    checked = 0
    for name in ("Istanbul", "Moscow", "Berlin", "Kyiv"):
        if name not in rows:
            continue
        km = min(h[2] for h in rows[name][5] if h[0] == nine)
        city = inf.cities[inf.cities.name == name].iloc[0]
        exact = min(h[2] for h in city.hits if h[0] == "9m729")
        support = claim_support("9m729", exact)
        # the page's claims are the table's, and reach the same distances
        assert sorted(c[0] for c in claims) == sorted(support.range_km)
        assert (sorted(c[0] for c in claims if c[0] >= km)
                == sorted(support[support.reaches].range_km)), name
        checked += 1
    assert checked >= 2


def test_site_popup_shows_status_since_and_badges(post):
    layer = site_layer(post.sites)
    popups = {re.sub("<[^>]+>", "", r[3]).split(" (")[0]: r[3] for r in layer.data}
    deps = load_deployments()
    latest = deps.groupby(["site", "system"]).tail(1).set_index(["site", "system"])
    krichev = next(v for k, v in popups.items() if "Krichev" in k or "Krychaw" in k)
    assert f"reported since {latest.loc[('krichev', 'oreshnik'), 'date']}" in krichev
    mainz = next(p for p in popups.values() if "announced since 2024-07-10" in p)
    assert "ANNOUNCED" in mainz
    legend = legend_panel(post).replace("\\u003c", "<")
    for word in ("ANNOUNCED", "REPORTED"):
        assert f">{word}<" in legend, word


def test_as_of_status_comes_from_the_frame():
    f = map_frames("euromissiles-1983", cities=False, as_of="1985-06-01")
    popups = " ".join(r[3] for r in site_layer(f.sites).data)
    assert "deployed since 1983-11-25" in popups  # Mutlangen's Pershing II
    assert "historical since" not in popups  # as it stood in 1985


def test_hostile_claim_text_is_escaped(inf, monkeypatch):
    import geoinf.map_claims as mc

    bad = load_claims()
    bad.loc[bad.system == "9m729", "claimant"] = "<img src=x onerror=alert(1)>: X"
    monkeypatch.setattr(mc, "_catalog_claims", lambda: bad)
    page = "".join(str(layer.data) for layer in band_layers(
        inf.bands, claims=system_claims(inf.sites))) + legend_panel(inf)
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


pytestmark_browser = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


@pytestmark_browser
def test_browser_city_tooltip_and_table_name_the_claims(browser, inf, tmp_path):  # noqa: F811
    path = write_map(range_map(inf), tmp_path / "inf.html")
    page, errors = open_at(browser, path, (1280, 800))
    page.wait_for_function("() => geoinfMap.registry.some(r => r.kind === 'city' && "
                           "r.layer.getLayers().length > 0)", timeout=10_000)
    tip, popup = page.evaluate(CITY_TEXT, "Istanbul")
    city = inf.cities[inf.cities.name == "Istanbul"].iloc[0]
    exact = min(h[2] for h in city.hits if h[0] == "9m729")
    support = claim_support("9m729", exact)
    for c in support[support.reaches & support.drawn].itertuples():
        assert f"{c.range_km:,.0f}&nbsp;km claim (" in tip, c
    for c in support[~support.reaches & support.drawn].itertuples():
        assert f"the {c.range_km:,.0f}&nbsp;km claim" not in tip.split("Mk-41")[0]
    rows = page.evaluate("""() => {
      const r = geoinfMap.registry.find(r => r.kind === 'city');
      const cols = geoinfMap.tableColumns(r.layer.geoinfRef);
      const recs = geoinfMap.tableRecords(r.layer.geoinfRows, r.layer.geoinfRef, cols);
      const i = cols.findIndex(c => c.head === '9M729: in range under');
      return recs.filter(x => x.cells[0] === 'Istanbul').map(x => x.cells[i]);
    }""")
    assert rows and rows[0].startswith("only the 2,500 km claim (US assessment")
    assert "FAZ, 2019" in rows[0] and "480 km" not in rows[0]
    assert json.dumps(errors) == "[]"
    page.close()


def test_system_short_names_are_unique_on_a_map(post):
    """The two Typhon systems keep their missile in the legend, the layers and the figure."""
    legend = legend_panel(post)
    for missile in ("SM-6", "Tomahawk"):
        assert f"<b>Typhon (Mid-Range Capability) with {missile}</b>" in legend
    names = [layer.layer_name for layer in band_layers(post.bands)]
    assert "Typhon (Mid-Range Capability) with SM-6 0–370 km · outside the treaty" in names
    ref = city_layer(post.sites.iloc[:0].assign(hits=[]), post.sites).data["ref"]
    systems = [s["name"] for s in ref["systems"]]
    assert len(set(systems)) == len(systems) == post.sites["system"].nunique()
    assert "Oreshnik" in systems and "Iskander-M" in systems  # unique names stay short
