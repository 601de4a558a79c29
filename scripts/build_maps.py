"""Build the example maps in maps/: offline HTML, a screenshot from chromium, a polar figure.

    python scripts/build_maps.py            # all default scenarios
    python scripts/build_maps.py inf-2019   # one

Needs the `test` extra (playwright, matplotlib) and Debian's chromium for the screenshots.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from geoinf.figure import range_figure, write_figure
from geoinf.mapframes import map_frames
from geoinf.render import range_map, write_map

MAPS = Path(__file__).resolve().parent.parent / "maps"
SCENARIOS = ("inf-2019", "euromissiles-1983", "post-inf-2026")


def screenshot(html: Path, png: Path) -> tuple[int, int]:
    """Screenshot a map in headless chromium with the network blocked; return (errors, blocked)."""
    from playwright.sync_api import sync_playwright

    errors, blocked = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                    args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 850})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def route(r):
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.goto(html.as_uri(), wait_until="load")
        page.wait_for_function("() => geoinfMap.settled()", timeout=20_000)  # city markers
        page.wait_for_timeout(800)
        page.screenshot(path=str(png))
        browser.close()
    return len(errors), len(blocked)


def main(argv: list[str] | None = None) -> None:
    """Build the maps of the scenarios named on the command line (default: SCENARIOS)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                        help=f"scenario names [default: {' '.join(SCENARIOS)}]")
    names = parser.parse_args(argv).scenarios or SCENARIOS
    MAPS.mkdir(exist_ok=True)
    for name in names:
        frames = map_frames(name)
        html = write_map(range_map(frames, polar_href=f"{name}-polar.png"),
                         MAPS / f"{name}.html", overwrite=True)
        write_figure(range_figure(frames), MAPS / f"{name}-polar.png", overwrite=True)
        errors, blocked = screenshot(html, MAPS / f"{name}.png")
        n_cities = 0 if frames.cities is None else len(frames.cities)
        print(f"{html.name}: {html.stat().st_size / 1e6:.2f} MB, {len(frames.bands)} bands, "
              f"{frames.sites['site'].nunique()} sites, {n_cities} cities; "
              f"chromium offline: {errors} console errors, {blocked} requests blocked")


if __name__ == "__main__":
    main()
