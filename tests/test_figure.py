"""The static north-polar figure: title, labels, graticule, pole mark, legend outside, credit."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from geoinf.mapframes import map_frames

pytest.importorskip("matplotlib")

from geoinf.figure import range_figure, write_figure  # noqa: E402


@pytest.fixture(scope="module")
def kaliningrad():
    return map_frames("kaliningrad", cities=False)


@pytest.fixture(scope="module")
def euro_fig():
    return range_figure(map_frames("euromissiles-1983", cities=False))  # SS-20: the pole


@pytest.fixture(scope="module")
def kal_fig(kaliningrad):
    return range_figure(kaliningrad)


def _by_gid(fig, gid):
    return fig.findobj(lambda a: a.get_gid() == gid)


def _inside(inner, outer):
    return (inner.x0 >= outer.x0 - 0.5 and inner.y0 >= outer.y0 - 0.5
            and inner.x1 <= outer.x1 + 0.5 and inner.y1 <= outer.y1 + 0.5)


def test_title_is_the_scenario_title_and_fits(euro_fig):
    fig = euro_fig
    renderer = fig.canvas.get_renderer()
    title, = _by_gid(fig, "title")
    assert title.get_text() == "Euromissiles"  # not the id "euromissiles-1983"
    sub, = _by_gid(fig, "subtitle")
    assert sub.get_text().replace("\n", " ").startswith("NATO's 1983-1986 Pershing II")
    for text in (title, sub):  # not cut off
        assert _inside(text.get_window_extent(renderer), fig.bbox)


def test_legend_is_outside_the_map_and_names_each_claim(euro_fig):
    fig = euro_fig
    renderer = fig.canvas.get_renderer()
    legend = fig.legends[0]
    box, ax = legend.get_window_extent(renderer), fig.axes[0].get_window_extent(renderer)
    assert not box.overlaps(ax) and _inside(box, fig.bbox)
    labels = [t.get_text() for t in legend.get_texts()]
    assert any(t.startswith("SS-20") and "5,000 km" in t for t in labels), labels
    assert any(t.startswith("Pershing II: 1,700 km") and "1,800 km" in t for t in labels)
    assert "under 500 km (outside the treaty)" in labels and "exempt" not in labels


def test_site_and_ring_labels_and_graticule(kal_fig):
    fig = kal_fig
    sites = [t.get_text() for t in _by_gid(fig, "site-label")]
    assert sites == ["Chernyakhovsk"]
    rings = {t.get_text() for t in _by_gid(fig, "ring-label")}
    assert {"500 km", "1,000 km", "2,500 km"} <= rings
    assert len(_by_gid(fig, "graticule")) == 12 + 9  # meridians every 30°, parallels every 10°
    assert {t.get_text() for t in _by_gid(fig, "graticule-label")} >= {"50°N", "60°N"}


def test_pole_marked_only_where_a_range_contains_it(euro_fig, kal_fig):
    pole, = _by_gid(euro_fig, "pole")
    assert list(pole.get_xdata()) == [0] and list(pole.get_ydata()) == [0]
    assert "contains the pole" in _by_gid(euro_fig, "credit")[0].get_text()
    assert _by_gid(kal_fig, "pole") == []


def test_credit_line_names_sources_and_scale(kal_fig):
    credit, = _by_gid(kal_fig, "credit")
    text = credit.get_text().replace("\n", " ")
    assert "Sources: " in text and "Made with geoinf" in text
    assert "distances from the North Pole are true" in text
    assert "Natural Earth" in text


def test_text_from_files_is_literal_and_png_written(kaliningrad, tmp_path):
    hostile = "$\\frac{1}{0}$ {{7*7}} \\textbf{x} <b>y</b>"
    sites = kaliningrad.sites.assign(site_name=hostile + " (ROU)")
    frames = dataclasses.replace(kaliningrad, sites=sites,
                                 meta={**kaliningrad.meta, "description": f"{hostile}: a $b$"})
    fig = range_figure(frames)
    label, = _by_gid(fig, "site-label")
    title, = _by_gid(fig, "title")
    assert label.get_text() == hostile and title.get_text() == hostile
    assert all(not t.get_parse_math() for t in (label, title, *fig.legends[0].get_texts()))
    out = write_figure(fig, tmp_path / "k.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1350, round(9 * 1.15 * 150))


def test_site_labels_do_not_overlap():
    import geopandas as gpd

    f = map_frames("post-inf-2026", cities=False)
    # a dense cluster: five sites within ~60 km, and a site of three systems (Mainz-Kastel)
    extra = f.sites[f.sites.site == "krichev"].iloc[[0] * 5].copy()
    extra["site"] = [f"k{i}" for i in range(5)]
    extra["site_name"] = [f"Cluster site {i}" for i in range(5)]
    extra["lon"] = extra["lon"] + 0.2 * np.arange(5)
    extra["lat"] = extra["lat"] + 0.1 * np.arange(5)
    both = pd.concat([f.sites, extra], ignore_index=True)
    f.sites = gpd.GeoDataFrame(both, crs="EPSG:4326",
                               geometry=gpd.points_from_xy(both.lon, both.lat))
    fig = range_figure(f)
    renderer = fig.canvas.get_renderer()
    labels = _by_gid(fig, "site-label")
    names = [t.get_text() for t in labels]
    assert len(names) == len(set(names))  # each site named once
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert "Krichev" in " ".join(names) or "Krychaw" in " ".join(names)
