"""Time to interactive of a range map in headless chromium at a 4x slowed CPU.

    python scripts/bench_map.py                    # the default map, 5 runs
    python scripts/bench_map.py kaliningrad -n 3

The map is written to a temporary file and opened with every outside request blocked and
the CPU slowed by CDP ``Emulation.setCPUThrottlingRate``. "Interactive" is the first
animation frame after the ``load`` event (every inline script has run: the layers, panels
and handlers exist) that is followed by no long task (the page answers input). The page
is watched until the work it leaves for after its first frame is done
(``geoinfMap.settled()``: the city markers and clusters, made in short slices) and 300 ms
more, so that a long task anywhere in that work counts; the page says so by a console
message, and only then is it read (playwright's first evaluate injects a script, which
would add a task of its own to what is measured). "Settled" is when that work is
done. Each ``geoinfMap`` helper is timed too (its own time, Leaflet's drawing included),
to show where the time goes. Prints the median of the runs and ``uptime``'s load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from geoinf.mapframes import map_frames
from geoinf.render import range_map, write_map

# wraps every geoinfMap function as it is defined, timing each call (ms, self + callees)
_PROBE = """
window.__geoinfTimes = {};
let __g;
Object.defineProperty(window, 'geoinfMap', {configurable: true,
  get() { return __g; },
  set(v) {
    __g = v;
    Object.keys(v).forEach(k => {
      if (typeof v[k] !== 'function') return;
      const f = v[k];
      v[k] = function () {
        const t = performance.now();
        try { return f.apply(this, arguments); }
        finally { const s = window.__geoinfTimes; s[k] = (s[k] || 0) + performance.now() - t; }
      };
    });
  }});
window.__longTasks = [];
new PerformanceObserver(l => l.getEntries().forEach(e => window.__longTasks.push(
  [e.startTime, e.duration]))).observe({type: 'longtask', buffered: true});
window.addEventListener('load', () => requestAnimationFrame(() => requestAnimationFrame(
  () => { window.__interactive = performance.now(); })));
window.addEventListener('load', function poll() {  // when the deferred work is done
  if (!window.geoinfMap || !geoinfMap.settled || geoinfMap.settled()) {
    window.__settled = performance.now();
  } else { setTimeout(poll, 10); }
});
// told to the harness by a console message (playwright's evaluate would inject its own
// script into the page, a long task of its own at a slow CPU, while it is measured)
(function done() {
  if (window.__interactive && window.__settled) {
    setTimeout(() => console.debug('geoinf-bench-done'), 300);
  } else { setTimeout(done, 10); }
})();
"""


def measure(path: Path, rate: float, runs: int) -> list[dict]:
    """Open ``path`` ``runs`` times at CPU slowdown ``rate``; return the timings of each run."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                    args=["--no-sandbox"])
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                ("file:", "data:")) else r.abort())
            cdp = page.context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
            page.add_init_script(_PROBE)
            with page.expect_console_message(lambda m: m.text == "geoinf-bench-done",
                                             timeout=60_000):
                page.goto(path.as_uri(), wait_until="load")
            got = page.evaluate("""() => {
              const n = performance.getEntriesByType('navigation')[0];
              const after = window.__longTasks.filter(t => t[0] + t[1] > window.__interactive);
              const end = after.length ? Math.max(...after.map(t => t[0] + t[1])) : 0;
              return {dom: n.domContentLoadedEventEnd, load: n.loadEventEnd,
                      interactive: Math.max(window.__interactive, end),
                      settled: Math.max(window.__settled, window.__interactive),
                      longest: Math.max(0, ...after.map(t => t[1])),
                      helpers: window.__geoinfTimes};
            }""")
            out.append(got)
            page.close()
        browser.close()
    return out


def main(argv: list[str] | None = None) -> None:
    """Build the map of a scenario and print its time to interactive."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="inf-2019")
    parser.add_argument("-n", "--runs", type=int, default=5)
    parser.add_argument("--rate", type=float, default=4.0, help="CPU slowdown [4]")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_map(range_map(map_frames(args.scenario)), Path(tmp) / "map.html")
        size = path.stat().st_size
        runs = measure(path, args.rate, args.runs)
    keys = ("dom", "load", "interactive", "settled", "longest")
    med = {k: statistics.median(r[k] for r in runs) for k in keys}
    print(f"{args.scenario}: {size / 1e6:.2f} MB; CPU {args.rate:g}x slower; median of "
          f"{len(runs)}: DOMContentLoaded {med['dom']:.0f} ms, load {med['load']:.0f} ms, "
          f"interactive {med['interactive']:.0f} ms (runs: "
          f"{', '.join(str(round(r['interactive'])) for r in runs)}); deferred work done at "
          f"{med['settled']:.0f} ms; longest task after the first frame "
          f"{med['longest']:.0f} ms (a long task: > 50 ms)")
    names = sorted({k for r in runs for k in r["helpers"]},
                   key=lambda k: -statistics.median(r["helpers"].get(k, 0) for r in runs))
    for k in names:
        print(f"  geoinfMap.{k}: {statistics.median(r['helpers'].get(k, 0) for r in runs):.0f} ms")
    print("load average:", os.getloadavg())


if __name__ == "__main__":
    main()
