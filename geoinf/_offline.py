"""Inline Leaflet and Leaflet.markercluster into a page: no network needed to open it.

folium pages load their libraries from CDNs and render blank offline ("L is not
defined"). The same library versions that folium 0.20 pins are shipped on PyPI as
the XStatic wheels (``XStatic-Leaflet`` 1.9.3, ``XStatic-Leaflet-MarkerCluster``
1.4.1), which are runtime dependencies of geoinf. Their
minified files are read from the installed packages, CSS images become ``data:``
URIs and source-map comments are dropped, so that the page makes no request at all.
jQuery, Bootstrap, Font Awesome and the awesome-markers plugin, which folium also
loads, are used neither by geoinf's scripts nor by folium's code on a geoinf page,
and are left out.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

from .errors import DataError

__all__ = ["ASSET_VERSIONS", "inline_head", "guarded_scripts"]

ASSET_VERSIONS = {"leaflet": "1.9.3", "leaflet.markercluster": "1.4.1"}
"""Versions inlined (those folium 0.20 loads from CDNs)."""

_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\((['\"]?)([^)'\"]+)\1\)")


def _package_dir(module: str, wheel: str) -> Path:
    try:
        mod = __import__(f"xstatic.pkg.{module}", fromlist=["BASE_DIR"])
    except ImportError:
        raise DataError(f"offline maps need the {wheel} package (pip install {wheel}); "
                        "or pass offline=False (--online) to load the libraries from CDNs"
                        ) from None
    return Path(mod.BASE_DIR)


def _read(module: str, wheel: str, name: str) -> str:
    path = _package_dir(module, wheel) / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise DataError(f"{path}: cannot read the {wheel} asset ({err.strerror})") from None
    return _SOURCE_MAP.sub("", text).replace("</script", "<\\/script")


def _inline_css_images(css: str, base: Path) -> str:
    """Replace ``url(images/x.png)`` by a data: URI; drop IE-only ``url(#default#VML)``."""

    def repl(match: re.Match) -> str:
        target = match.group(2)
        if target.startswith("#"):
            return "none"
        if target.startswith("data:"):
            return match.group(0)
        data = base64.b64encode((base / target).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return _CSS_URL.sub(repl, css)


@functools.lru_cache(maxsize=1)
def _assets() -> dict[str, str]:
    leaflet = _package_dir("leaflet", "XStatic-Leaflet")
    cluster = "XStatic-Leaflet-MarkerCluster"
    css = _inline_css_images(_read("leaflet", "XStatic-Leaflet", "leaflet.css"), leaflet)
    css += "\n" + _read("leaflet_markercluster", cluster, "MarkerCluster.css")
    css += "\n" + _read("leaflet_markercluster", cluster, "MarkerCluster.Default.css")
    return {
        "css": css,
        "leaflet": _read("leaflet", "XStatic-Leaflet", "leaflet.js"),
        "markercluster": _read("leaflet_markercluster", cluster, "leaflet.markercluster.js"),
    }


def inline_head() -> str:
    """Return ``<style>`` and ``<script>`` elements holding the libraries, for a page head.

    Examples
    --------
    >>> head = inline_head()
    >>> "<script src" in head, "data:image/png;base64," in head, 't.version="1.9.3"' in head
    (False, True, True)
    """
    a = _assets()
    return (f"<style>{a['css']}</style>\n<script>{a['leaflet']}</script>\n"
            f"<script>{a['markercluster']}</script>")


def guarded_scripts() -> str:
    """Return the libraries for embedding in a host page: each loads only if absent.

    A host page that already has Leaflet keeps its own copy (and its ``window.L``);
    the CSS rules are all scoped to ``.leaflet-*`` and ``.marker-cluster*`` classes.
    """
    a = _assets()
    return (f"<style>{a['css']}</style>\n"
            f"<script>if (!window.L) {{\n{a['leaflet']}\n}}</script>\n"
            f"<script>if (!(window.L && L.MarkerClusterGroup)) {{\n{a['markercluster']}\n}}"
            "</script>")
