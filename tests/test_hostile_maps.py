"""Hostile text in every user file a map shows: drawn literally, never run (issue 13).

One map per way in (sites CSV, GeoJSON and GeoPackage through ``geoinf map --sites``, a
scenarios CSV through ``geoinf map --scenario FILE``, a systems table through the API),
every text field of every row holding one payload. Each map is opened in headless
chromium with every request other than file:/data: blocked; its tooltips and popups
are opened through Leaflet and their rendered text read back, with the text of the
layer control and of the panels. Skipped without chromium or playwright, as
tests/test_browser.py is.
"""

import csv

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geoinf.cli import main
from geoinf.mapframes import map_frames
from geoinf.render import range_map, write_map
from geoinf.systems import load_systems

from .test_browser import CHROMIUM, browser, open_offline  # noqa: F401  (browser: fixture)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def payloads(tmp_path):
    """Template, HTML and script payloads; the file-writing ones aim into ``tmp_path``."""
    return [
        "Base {{ 6*7 }}",
        "{{ cycler.__init__.__globals__.os.popen('touch " + str(tmp_path / "PWNED")
        + "').read() }}",
        "{{ cycler.__init__.__globals__.os.mkdir(dict(PWNED2=1)|first) }}",  # no quotes
        "Camp {#1}",
        "Depot {%x%}",
        "Base {{North}}",
        "</script><script>window.__pwned=1</script>",
        '<img src=x onerror="window.__pwned=1">',
        '" onmouseover="window.__pwned=1',
        "<img/src=x/onerror=window.__pwned=1>",  # no space: whole in a layer name
        "North; South",
    ]


READ_BACK = """() => {
  const out = {tooltips: [], popups: [], control: '', panels: '', pwned: typeof window.__pwned};
  const scratch = document.createElement('div');
  for (const r of geoinfMap.registry) {
    if (r.kind === 'basemap') continue;
    for (const leaf of (r.layer.getLayers ? r.layer.getLayers() : [r.layer])) {
      const tip = leaf.getTooltip && leaf.getTooltip();
      if (tip && leaf._map) {
        leaf.openTooltip();
        out.tooltips.push(tip.getElement().innerText);
        leaf.closeTooltip();
      } else if (tip) {  // a clustered marker is not on the map: insert as Leaflet would
        const c = tip.getContent();  // Leaflet calls a content function with the layer
        scratch.innerHTML = typeof c === 'function' ? c(leaf) : c;
        out.tooltips.push(scratch.textContent);
      }
      const popup = leaf.getPopup && leaf.getPopup();
      if (popup && !leaf._map) {  // clustered: inserted as Leaflet would
        const c = popup.getContent();
        scratch.innerHTML = typeof c === 'function' ? c(leaf) : c;
        out.popups.push(scratch.textContent);
      } else if (popup) {
        leaf.openPopup();
        out.popups.push(popup.getElement().querySelector('.leaflet-popup-content').innerText);
        leaf.closePopup();
      }
    }
  }
  const control = document.querySelector('.leaflet-control-layers');
  control.classList.add('leaflet-control-layers-expanded');
  out.control = control.innerText;
  out.panels = Array.from(document.querySelectorAll('.geoinf-panel'))
    .map(p => p.textContent).join('\\n');
  out.pwned = typeof window.__pwned;
  return out;
}"""


def listing(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def sites_table(texts, *, lon0=13.0, lat0=52.0):
    """One site per text, every text field holding it; near Berlin, 0.6° apart."""
    n = len(texts)
    lon, lat = lon0 + 0.6 * np.arange(n), np.full(n, lat0)
    return gpd.GeoDataFrame({"id": [f"s{i}" for i in range(n)], "name": texts,
                             "operator": texts, "period": texts, "source": texts,
                             "note": texts, "lon": lon, "lat": lat},
                            geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def check_page(browser, path, *, expect_in_popups, expect_in_tooltips=(),  # noqa: F811
               expect_in_control=(), expect_in_panels=()):
    log = open_offline(browser, path)
    got = log["page"].evaluate(READ_BACK)
    log["page"].wait_for_timeout(100)
    assert got["pwned"] == "undefined"
    assert log["page"].evaluate("() => typeof window.__pwned") == "undefined"
    assert log["blocked"] == [] and log["errors"] == []
    popups, tips = "\n".join(got["popups"]), "\n".join(got["tooltips"])
    for text in expect_in_popups:
        assert text in popups, text
    for text in expect_in_tooltips:
        assert text in tips, text
    for text in expect_in_control:
        assert text in got["control"], text
    for text in expect_in_panels:
        assert text in got["panels"], text
    assert "Base 42" not in popups + tips + got["panels"]
    log["page"].close()
    return got


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg"])
def test_sites_file_text_is_literal(browser, runner, tmp_path, monkeypatch,  # noqa: F811
                                    suffix):
    monkeypatch.chdir(tmp_path)  # relative writes of a payload would land here
    texts = payloads(tmp_path)
    table = sites_table(texts)
    path = tmp_path / f"sites{suffix}"
    if suffix == ".csv":
        pd.DataFrame(table.drop(columns="geometry")).to_csv(path, index=False,
                                                            quoting=csv.QUOTE_ALL)
    else:
        table.drop(columns=["lon", "lat"]).to_file(path)
    before = listing(tmp_path)
    res = runner.invoke(main, ["map", "--sites", str(path), "--radius-km", "700",
                               "--min-population", "1000000", "-o", "map.html"])
    assert res.exit_code == 0, res.output
    assert listing(tmp_path) == sorted([*before, "map.html"])
    got = check_page(browser, tmp_path / "map.html", expect_in_popups=texts,
                     expect_in_tooltips=texts,
                     expect_in_control=["700 km range 500\u2013700 km \u00b7 shorter-range"])
    # city popups list every site reaching them; Berlin is within 700 km of all
    berlin = [t for t in got["popups"] if t.startswith("Berlin")]
    assert berlin and berlin[0].count("\xa0km from ") == len(texts)
    assert all(t in berlin[0] for t in texts)


def test_scenario_file_text_is_literal(browser, runner, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    texts = payloads(tmp_path)
    title = " | ".join(texts[:3] + texts[6:8])
    sites = ["deveselu", "redzikowo", "chernyakhovsk", "mutlangen", "comiso", "florennes",
             "woensdrecht", "wueschheim", "postavy", "molesworth", "neu-ulm"]
    path = tmp_path / "scenario.csv"
    pd.DataFrame({"scenario": title, "site": sites[:len(texts)], "system": "iskander-m",
                  "basis": "hypothetical", "description": title, "note": texts}).to_csv(
        path, index=False, quoting=csv.QUOTE_ALL)
    before = listing(tmp_path)
    res = runner.invoke(main, ["map", "--scenario", str(path), "--min-population",
                               "1000000", "-o", "map.html"])
    assert res.exit_code == 0, res.output
    assert listing(tmp_path) == sorted([*before, "map.html"])
    check_page(browser, tmp_path / "map.html", expect_in_popups=texts,
               expect_in_panels=[f"Scenario {title}", title.split(": ")[0],
                                 "inner INF edge"])


def test_systems_table_text_is_literal(browser, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    texts = payloads(tmp_path)
    systems = pd.DataFrame({"id": [f"y{i}" for i in range(len(texts))], "name": texts,
                            "range_km_low": 400.0, "range_km_high": 700.0,
                            "low_claimant": texts, "low_source": texts,
                            "high_claimant": texts, "high_source": texts})
    path = tmp_path / "systems.csv"
    systems.to_csv(path, index=False, quoting=csv.QUOTE_ALL)
    table = pd.concat([load_systems(), load_systems(path)], ignore_index=True)
    frames = map_frames(None, sites=sites_table(texts[:2]), systems=table,
                        system=",".join(systems["id"]), min_population=1_000_000)
    before = listing(tmp_path)
    out = write_map(range_map(frames), tmp_path / "map.html")
    assert listing(tmp_path) == sorted([*before, "map.html"])
    got = check_page(browser, out, expect_in_popups=texts, expect_in_tooltips=texts,
                     expect_in_control=[t.split(" ")[0] for t in texts])
    assert sum("0\u2013400 km \u00b7 outside the treaty" in line
               for line in got["control"].splitlines()) == len(texts)
