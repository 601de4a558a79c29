window.geoinfMap = window.geoinfMap || {
  registry: [],
  narrow: 600,  // maps narrower than this (px) start with every panel collapsed
  register: function (map, kind, name, layer, count) {
    this.registry.push({map: map, kind: kind, name: name, layer: layer, count: count});
    return layer;
  },
  // thousands separators; one formatter (toLocaleString builds a new one at each call)
  whole: function (v) {
    this._fmt = this._fmt || new Intl.NumberFormat('en-US', {maximumFractionDigits: 0});
    return this._fmt.format(Math.round(v));
  },
  km: function (v) { return this.whole(v) + '&nbsp;km'; },
  people: function (v) {
    if (v >= 1e6) { return (v / 1e6).toFixed(v >= 1e7 ? 0 : 1) + ' million'; }
    return this.whole(Math.round(v / 1e3) * 1e3);
  },
  // a polygon layer from {scale, d, bounds, at}: one SVG path in Web Mercator pixels at
  // zoom 0 (x scale), projected by geoinf (each ring "M x y l dx dy ... z", integers). A
  // Leaflet polygon (SVG renderer, its events, tooltip, layer control, zoom animation) whose
  // path is written once and placed by a transform at each view, its line width and dashes
  // divided by the scale (so they stay in screen pixels; CSS vector-effect costs a copy of
  // the path at each layout): no per-vertex projection, clipping or path building
  mercatorPath: function (data, options) {
    var k = 1 / data.scale;
    var Shape = L.Polygon.extend({
      _project: function () {},
      _update: function () {
        if (!this._map) { return; }
        var map = this._map, s = map.getZoomScale(map.getZoom(), 0) * k;
        var p = map.getPixelOrigin(), el = this._path, o = this.options;
        if (!el.getAttribute('d')) { el.setAttribute('d', data.d); }
        el.setAttribute('transform', 'matrix(' + s + ' 0 0 ' + s + ' ' + -p.x + ' ' + -p.y +
                        ')');
        if (o.stroke) { el.setAttribute('stroke-width', o.weight / s); }
        if (o.stroke && o.dashArray) {
          el.setAttribute('stroke-dasharray', String(o.dashArray).split(/[ ,]+/).map(
            function (v) { return +v / s; }).join(' '));
        }
      },
      setStyle: function (style) {  // Leaflet writes the width and dashes unscaled
        L.Polygon.prototype.setStyle.call(this, style);
        this._update();
        return this;
      },
      getCenter: function () { return L.latLng(data.at); },
      getBounds: function () { return L.latLngBounds(data.bounds); }
    });
    return new Shape([], options);
  },
  // the basemap: {scale, d: [path, ...]}, the countries as non-interactive paths, one per
  // region (mercatorPath each), in their own pane; thin lines with bevel joins (cheaper to
  // draw than Leaflet's round ones)
  basemap: function (data, o) {
    var self = this, style = L.extend({lineJoin: 'bevel', lineCap: 'butt'}, o.style);
    var renderer = L.svg({pane: o.pane, padding: 0.2});
    var layer = L.featureGroup(data.d.map(function (d) {
      return self.mercatorPath({scale: data.scale, d: d}, L.extend({}, style, {pane: o.pane,
        interactive: false, renderer: renderer}));
    }));
    // the rings as [lon, lat] (the polar view draws the countries from them)
    layer.geoinfLonLat = function () {
      var deg = 180 / Math.PI, k = 1 / data.scale;
      return data.d.join('').split('z').filter(Boolean).map(function (ring) {
        var v = ring.match(/-?\d+/g), out = [], x = 0, y = 0;
        for (var i = 0; i < v.length; i += 2) {
          x += +v[i]; y += +v[i + 1];
          out.push([x * k / 256 * 360 - 180,
                    deg * Math.atan(Math.sinh(Math.PI * (1 - 2 * y * k / 256)))]);
        }
        return out;
      });
    };
    return layer;
  },
  // a band: {scale, d, bounds, at, style, tooltip} (mercatorPath), interactive, its tooltip
  // following the pointer
  band: function (data, o) {
    var layer = this.mercatorPath(data, L.extend({}, data.style, {
      pane: o.pane || 'overlayPane', interactive: o.interactive}));
    if (data.tooltip) { layer.bindTooltip(data.tooltip, {sticky: true}); }
    return layer;
  },
  // non-interactive polygons are drawn on one canvas: far fewer DOM nodes
  polygons: function (data, o) {
    var canvas = o.interactive ? undefined : L.canvas({pane: o.pane || 'overlayPane',
                                                       padding: 0.3});
    return L.geoJSON(data, {pane: o.pane || 'overlayPane', interactive: o.interactive,
      renderer: canvas,
      style: function (f) { return f.properties.style || o.style; },
      onEachFeature: function (f, layer) {
        if (f.properties.tooltip) { layer.bindTooltip(f.properties.tooltip, {sticky: true}); }
        if (f.properties.popup) { layer.bindPopup(f.properties.popup, {maxWidth: 420}); }
      }});
  },
  // work left for after the first frame (the city markers and their clusters): tasks run in
  // order, one call per slice of idle time (a timer where the browser has no
  // requestIdleCallback), each called with the time its slice ends (`slice` ms after it
  // starts) and answering whether it is done. The page answers input between slices and no
  // slice is a long task (50 ms), even on a slow CPU. settled(): nothing is left to do
  queue: [],
  slice: 10,
  later: function (task) {
    this.queue.push(task);
    this._schedule(true);
  },
  settled: function () { return !this.queue.length; },
  _schedule: function (first) {
    var self = this;
    if (this._scheduled || !this.queue.length) { return; }
    this._scheduled = true;
    var idle = window.requestIdleCallback ? function (f) {
      window.requestIdleCallback(f, {timeout: 100}); } : function (f) { setTimeout(f, 1); };
    var run = function () {
      var done = true;  // a task that fails is dropped (its error reported), not rerun
      self._scheduled = false;
      try {
        done = self.queue[0](performance.now() + self.slice);
      } finally {
        if (done) { self.queue.shift(); }
        self._schedule(false);
      }
    };
    if (!first) { idle(run); return; }
    var started = false, start = function () {  // after the first frame (or a second: a
      if (!started) { started = true; idle(run); }  // tab in the background draws none)
    };
    requestAnimationFrame(start);
    setTimeout(start, 1000);
  },
  // a marker that is a button (Tab reaches it, the tooltip shows on focus, Enter opens the
  // popup), named (aria-label) by name() when first drawn
  marker: function (lon, lat, icon, name) {
    var m = L.marker([lat, lon], {icon: icon, keyboard: true, title: ''});
    m.on('add', function () {
      var el = this.getElement();
      if (el && !el.hasAttribute('aria-label')) { el.setAttribute('aria-label', name()); }
    });
    return m;
  },
  // markers: rows [lon, lat, tooltip, popup], each named by its tooltip's text; with
  // o.label the tooltips are permanent names, placed without overlap (siteLabels)
  points: function (rows, o) {
    var self = this, icon = L.divIcon({className: o.className, iconSize: [o.size, o.size]});
    var Label = o.label && this.labelTooltip();
    var markers = rows.map(function (r) {
      var m = self.marker(r[0], r[1], icon, function () {
        return self.textOf(typeof r[2] === 'string' ? r[2] : '');
      });
      m.geoinfRow = r;
      if (r[2] && Label) {
        m.bindTooltip(new Label({permanent: true, direction: 'right', className: 'geoinf-label',
                                 offset: [6, 0]}, m).setContent(r[2]));
      } else if (r[2]) { m.bindTooltip(r[2]); }
      if (r[3]) { m.bindPopup(r[3], {maxWidth: 420}); }
      return m;
    });
    var layer = L.featureGroup(markers);
    if (o.label) { this.siteLabels(layer); }
    return layer;
  },
  // a permanent tooltip whose size is measured once (by siteLabels, with all the others in
  // one read): Leaflet's own placement reads the size of each tooltip at each move, one
  // forced layout each; until measured, it is not placed
  labelTooltip: function () {
    this._Label = this._Label || L.Tooltip.extend({
      _setPosition: function (pos) {
        var size = this._geoinfSize, side = this.options.direction, el = this._container;
        if (!size) { return; }  // siteLabels measures, then places it
        pos = pos.subtract(L.point(side === 'left' ? size[0] : side === 'right' ? 0 :
                                   size[0] / 2,
                                   side === 'top' ? size[1] : side === 'bottom' ? 0 :
                                   size[1] / 2, true))
          .add(L.point(this.options.offset)).add(this._getAnchor());
        ['right', 'left', 'top', 'bottom'].forEach(function (s) {
          L.DomUtil[s === side ? 'addClass' : 'removeClass'](el, 'leaflet-tooltip-' + s);
        });
        L.DomUtil.setPosition(el, pos);
      }
    });
    return this._Label;
  },
  // labelled markers' names placed greedily in the markers' order: right of the marker,
  // else left, above or below (a side inside the map first), where the name keeps 1 px
  // from every name placed and covers no other marker; where no side is free the name is
  // hidden (the marker keeps it in its aria-label and popup). The names are measured in
  // one read; their boxes on each side are computed as the tooltips place them
  siteLabels: function (layer) {
    var map = null, sides = [['right', [6, 0]], ['left', [-6, 0]], ['top', [0, -6]],
                             ['bottom', [0, 6]]];
    var margin = {right: [6, 0], left: [-6, 0], top: [0, -6], bottom: [0, 6]};  // leaflet.css
    var meets = function (b, q) {
      return b[0] < q[2] && q[0] < b[2] && b[1] < q[3] && q[1] < b[3];
    };
    var boxAt = function (p, size, side) {  // as labelTooltip places it, 1 px around
      var s = side[0], w = size[0], h = size[1];
      var x = p.x - Math.round(s === 'left' ? w : s === 'right' ? 0 : w / 2) + side[1][0] +
        margin[s][0];
      var y = p.y - Math.round(s === 'top' ? h : s === 'bottom' ? 0 : h / 2) + side[1][1] +
        margin[s][1];
      return [x - 1, y - 1, x + size[2] + 1, y + size[3] + 1];
    };
    var place = function () {
      var markers = layer.getLayers(), names = [], size = map.getSize();
      var tips = markers.map(function (m) {
        var t = m.getTooltip();
        if (t && !m.isTooltipOpen()) { m.openTooltip(); }
        return t;
      });
      tips.forEach(function (t) {  // one read of every size not yet known
        var el = t && t.getElement();
        if (el && !t._geoinfSize) {
          var r = el.getBoundingClientRect();
          if (r.width) { t._geoinfSize = [el.offsetWidth, el.offsetHeight, r.width, r.height]; }
        }
      });
      var points = markers.map(function (m) { return map.latLngToContainerPoint(m.getLatLng()); });
      var icons = markers.map(function (m, i) {
        var half = L.point(m.options.icon.options.iconSize).divideBy(2), p = points[i];
        return [p.x - half.x, p.y - half.y, p.x + half.x, p.y + half.y];
      });
      markers.forEach(function (m, i) {
        var t = tips[i];
        if (!t || !t._geoinfSize) { return; }
        var free = [true, false].some(function (inside) {
          return sides.some(function (s) {
            var b = boxAt(points[i], t._geoinfSize, s);
            if ((inside && (b[0] < 0 || b[2] > size.x || b[1] < 0 || b[3] > size.y)) ||
                names.some(function (q) { return meets(b, q); }) ||
                icons.some(function (q, k) { return k !== i && meets(b, q); })) {
              return false;
            }
            t.options.direction = s[0];
            t.options.offset = L.point(s[1]);
            t._updatePosition();
            names.push(b);
            return true;
          });
        });
        if (!free) { m.closeTooltip(); }
      });
    };
    layer.on('add', function () { map = layer._map; map.on('zoomend', place); place(); });
    layer.on('remove', function () { map.off('zoomend', place); });
  },
  // the cities' cluster group: clusters are buttons (Enter zooms in), styled apart from the
  // bands
  clusterGroup: function (o) {
    var model = null;  // the icon's content, copied (cheaper than parsing it for each)
    var group = L.markerClusterGroup(L.extend({iconCreateFunction: function (c) {
      if (!model) {
        model = document.createElement('span');
        model.innerHTML = '<span></span><span class="geoinf-sr"> places here; Enter ' +
          'zooms in</span>';
      }
      var html = model.cloneNode(true);
      html.firstChild.textContent = c.getChildCount();
      return L.divIcon({html: html, className: 'geoinf-cluster', iconSize: [26, 26]});
    }}, o));
    group.on('clusterkeypress', function (e) {
      if (e.originalEvent.key === 'Enter') { e.layer.zoomToBounds({padding: [20, 20]}); }
    });
    return group;
  },
  // markers made and clustered after the first frame, a few per slice (later()): what
  // Leaflet.markercluster 1.4.1's addLayers does per point marker and once at the end (its
  // chunkedLoading checks the time only every 200 markers and ends in one long step)
  clusterLater: function (group, count, make) {
    var i = 0, waiting = [], strip = -1;
    this.later(function (end) {
      if (i < count) {
        while (i < count && performance.now() < end) {
          var m = make(i++);
          if (!group._map) { waiting.push(m); continue; }  // layer switched off
          group._addLayer(m, group._maxZoom);
          if (m.__parent && m.__parent.getChildCount() === 2) {  // a single one drawn
            var two = m.__parent.getAllChildMarkers();           // is now in a cluster
            group._featureGroup.removeLayer(two[0] === m ? two[1] : two[0]);
          }
        }
        return false;
      }
      if (waiting.length) {  // clustered when shown again
        group.addLayers(waiting);
        waiting = [];
        return true;
      }
      if (!group._map) { return true; }
      if (strip < 0) {  // then draw what the view shows, in slices of their own
        group._topClusterLevel._recalculateBounds();
        group._refreshClustersIcons();
        strip = 0;
        return false;
      }
      // a horizontal strip of the shown bounds per slice (what lies in two strips is added
      // once: Leaflet adds a layer once)
      var b = group._currentShownBounds, n = 4, s = Math.max(b.getSouth(), -90);
      var h = (Math.min(b.getNorth(), 90) - s) / n;
      group._topClusterLevel._recursivelyAddChildrenToMap(null, group._zoom, L.latLngBounds(
        [s + h * strip, b.getWest()], [s + h * (strip + 1), b.getEast()]));
      return ++strip === n;
    });
  },
  // city names from zoom 5 on (cities of a million or more; every city from zoom 7), the
  // largest first, each only where it overlaps no name already placed
  cityLabels: function (layer, rows) {
    var self = this, group = L.layerGroup(), names = null, ctx = null, map = null;
    var update = function () {
      group.clearLayers();
      var zoom = map.getZoom();
      if (zoom < 5) { return; }
      names = names || rows.map(function (r) { return self.plain(r[2]); });
      ctx = ctx || document.createElement('canvas').getContext('2d');
      ctx.font = '600 11px system-ui, Arial, sans-serif';
      var view = map.getBounds().pad(0.1), placed = [];
      rows.forEach(function (r, i) {
        if (placed.length >= 120 || (zoom < 7 && r[4] < 1e6) ||
            !view.contains([r[1], r[0]])) { return; }
        var p = map.latLngToLayerPoint([r[1], r[0]]);
        var box = [p.x + 4, p.y - 8, p.x + 12 + ctx.measureText(names[i]).width, p.y + 8];
        if (placed.some(function (q) {
          return box[0] < q[2] && q[0] < box[2] && box[1] < q[3] && q[1] < box[3]; })) {
          return;
        }
        placed.push(box);
        group.addLayer(L.marker([r[1], r[0]], {interactive: false, keyboard: false,
          icon: L.divIcon({className: 'geoinf-city-label', html: self.escape(names[i]),
                           iconSize: null, iconAnchor: [-6, 8]})}));
      });
    };
    layer.on('add', function () {
      map = layer._map;
      group.addTo(map);
      map.on('zoomend moveend', update);
      update();
    });
    layer.on('remove', function () { map.off('zoomend moveend', update); group.remove(); });
    layer.geoinfLabels = group;
  },
  // cities: [lon, lat, name, country, population, [[system, site, km], ...]]; ref: the
  // systems (name, claims [[km, phrase, drawn, who]]) and site names, written once for all
  // cities. Every text in rows and ref is HTML-escaped by geoinf before it is written here.
  // which claims put a distance in range: the drawn ones (every one, or which), then any
  // published figure not drawn that also reaches; `brief`: without "in range (under)"
  claimsText: function (sys, km, brief) {
    var drawn = sys.claims.filter(function (c) { return c[2]; });
    var reach = drawn.filter(function (c) { return c[0] >= km; });
    var others = sys.claims.filter(function (c) { return !c[2] && c[0] >= km; });
    var list = function (cs) {
      var p = cs.slice().sort(function (a, b) { return b[0] - a[0]; })
        .map(function (c) { return c[1]; });
      return p.length > 1 ? p.slice(0, -1).join(', ') + ' and ' + p[p.length - 1] : p[0];
    };
    var text = reach.length === drawn.length && drawn.length > 1 ?
      (brief ? '' : 'in range under ') + 'every claim' : reach.length && drawn.length > 1 ?
      (brief ? 'only ' : 'in range only under ') + list(reach) : brief ? 'its range' :
      'in range';
    return text + (others.length ? '; also within ' + list(others) + ' (not drawn)' : '');
  },
  cityText: function (r, ref, full) {
    var self = this;
    var out = ['<b>' + r[2] + '</b>' + (r[3] ? ' (' + r[3] + ')' : '') + ', ' +
               self.people(r[4]) + ' people'];
    var bySystem = {};
    r[5].forEach(function (h) { (bySystem[h[0]] = bySystem[h[0]] || []).push(h); });
    Object.keys(bySystem).forEach(function (k) {
      var sys = ref.systems[k], hits = bySystem[k];
      hits.sort(function (a, b) { return a[2] - b[2]; });
      out.push('<b>' + sys.name + '</b>: ' + self.claimsText(sys, hits[0][2]));
      var figures = [];  // each drawn figure once
      sys.claims.forEach(function (c) {
        if (c[2] && figures.indexOf(c[0]) < 0) { figures.push(c[0]); }
      });
      figures.sort(function (a, b) { return a - b; });
      var shown = full ? hits : hits.slice(0, 1);
      shown.forEach(function (h) {
        var margins = figures.filter(function (km) { return km >= h[2]; }).map(function (km) {
          return self.km(km - h[2]) + ' inside the ' + self.km(km) + ' claim';
        });
        out.push('&nbsp;&nbsp;' + self.km(h[2]) + ' from ' + ref.sites[h[1]] +
                 (margins.length ? ' &mdash; ' + margins.join(', ') : ''));
      });
      if (!full && hits.length > 1) {
        out.push('&nbsp;&nbsp;and ' + (hits.length - 1) + ' more site' +
                 (hits.length > 2 ? 's' : '') + ' (click)');
      }
    });
    return out.join('<br>');
  },
  // the cities in range, clustered; their markers are made and clustered after the first
  // frame (clusterLater); each tooltip and popup is written when first shown (Leaflet calls
  // the content function with the marker)
  cities: function (data, o) {
    var self = this, icon = L.divIcon({className: o.className, iconSize: [o.size, o.size]});
    var tip = function (m) { return self.cityText(m.geoinfRow, data.ref, false); };
    var popup = function (m) { return self.cityText(m.geoinfRow, data.ref, true); };
    var layer = this.clusterGroup(o.cluster);
    this.clusterLater(layer, data.rows.length, function (i) {
      var r = data.rows[i];
      var m = self.marker(r[0], r[1], icon, function () { return self.plain(r[2]); });
      m.geoinfRow = r;
      return m.bindTooltip(tip).bindPopup(popup, {maxWidth: 420});
    });
    this.cityLabels(layer, data.rows);
    layer.geoinfRows = data.rows;  // for the search box and the table
    layer.geoinfRef = data.ref;
    return layer;
  },
  labels: function (rows, o) {
    return L.featureGroup(rows.map(function (r) {
      return L.marker([r[1], r[0]], {interactive: false, keyboard: false,
        icon: L.divIcon({className: 'geoinf-ring-label', html: r[2], iconSize: null})});
    }));
  },
  // ellipsoidal (WGS84) distance in km by Vincenty's inverse formula (sub-millimetre);
  // NaN where it does not converge (nearly antipodal points, > 19,000 km apart)
  distance: function (lon1, lat1, lon2, lat2) {
    var a = 6378137, f = 1 / 298.257223563, b = a * (1 - f), rad = Math.PI / 180;
    var dLon = (lon2 - lon1) * rad;
    var U1 = Math.atan((1 - f) * Math.tan(lat1 * rad));
    var U2 = Math.atan((1 - f) * Math.tan(lat2 * rad));
    var sinU1 = Math.sin(U1), cosU1 = Math.cos(U1), sinU2 = Math.sin(U2), cosU2 = Math.cos(U2);
    var lambda = dLon, prev, iter = 0, sinS, cosS, sigma, cosSqA, cos2M;
    do {
      var sinL = Math.sin(lambda), cosL = Math.cos(lambda);
      sinS = Math.sqrt(Math.pow(cosU2 * sinL, 2) +
                       Math.pow(cosU1 * sinU2 - sinU1 * cosU2 * cosL, 2));
      if (sinS === 0) { return 0; }
      cosS = sinU1 * sinU2 + cosU1 * cosU2 * cosL;
      sigma = Math.atan2(sinS, cosS);
      var sinA = cosU1 * cosU2 * sinL / sinS;
      cosSqA = 1 - sinA * sinA;
      cos2M = cosSqA !== 0 ? cosS - 2 * sinU1 * sinU2 / cosSqA : 0;
      var C = f / 16 * cosSqA * (4 + f * (4 - 3 * cosSqA));
      prev = lambda;
      lambda = dLon + (1 - C) * f * sinA * (sigma + C * sinS * (cos2M + C * cosS *
                                                                 (-1 + 2 * cos2M * cos2M)));
    } while (Math.abs(lambda - prev) > 1e-12 && ++iter < 500);
    if (iter >= 500) { return NaN; }
    var uSq = cosSqA * (a * a - b * b) / (b * b);
    var A = 1 + uSq / 16384 * (4096 + uSq * (-768 + uSq * (320 - 175 * uSq)));
    var B = uSq / 1024 * (256 + uSq * (-128 + uSq * (74 - 47 * uSq)));
    var dS = B * sinS * (cos2M + B / 4 * (cosS * (-1 + 2 * cos2M * cos2M) -
      B / 6 * cos2M * (-3 + 4 * sinS * sinS) * (-3 + 4 * cos2M * cos2M)));
    return b * A * (sigma - dS) / 1000;
  },
  // what reaches a point: for each system, the exact distance to its nearest site and
  // the claims that reach (distance <= claim); never decided by the drawn polygons
  reachText: function (data, lon, lat) {
    var self = this, lines = [];
    data.systems.forEach(function (sys) {
      var best = null, reaching = 0, top = sys.claims[sys.claims.length - 1][0];
      sys.sites.forEach(function (s) {
        var d = self.distance(s[0], s[1], lon, lat);
        if (d <= top) { reaching += 1; }
        if (best === null || !(d >= best[0])) { best = [d, s[2]]; }
      });
      if (isNaN(best[0])) {
        lines.push('<b>' + sys.name + '</b>: distance not determined (nearly antipodal)');
        return;
      }
      var within = sys.claims.filter(function (c) { return c[0] >= best[0]; });
      if (!within.length) { return; }
      var claims = within.map(function (c) {
        return self.km(c[0] - best[0]) + ' inside the ' + self.km(c[0]) + ' claim (' +
               c[1] + ')' + (c[2] ? ', ' + c[2] : '');
      });
      lines.push('<b>' + sys.name + '</b>: ' + self.km(best[0]) + ' from ' + best[1] +
                 (reaching > 1 ? ' (and ' + (reaching - 1) + ' more site' +
                  (reaching > 2 ? 's' : '') + ' in range)' : '') + '<br>&nbsp;&nbsp;' +
                 claims.join('<br>&nbsp;&nbsp;'));
    });
    var where = Math.abs(lat).toFixed(2) + '&deg;' + (lat >= 0 ? 'N' : 'S') + ' ' +
                Math.abs(lon).toFixed(2) + '&deg;' + (lon >= 0 ? 'E' : 'W');
    return '<b>' + where + '</b><br>' + (lines.length ? lines.join('<br>') :
      'No site of this map reaches this point.') +
      '<br><small>By exact distance on the WGS84 ellipsoid, not by the shapes.</small>';
  },
  clickReach: function (map, data) {
    var self = this;
    this.search(map, data);
    map.on('click', function (e) {
      var p = e.latlng.wrap();
      L.popup({maxWidth: 380, className: 'geoinf-reach'}).setLatLng(e.latlng)
        .setContent(self.reachText(data, p.lng, p.lat)).openOn(map);
    });
  },
  // printing: the panels (all open) move below the map, the controls are hidden (CSS)
  printLayout: function (map) {
    var box = map.getContainer(), moved = [], sheet = null, height = null;
    var before = function () {
      if (sheet) { return; }
      sheet = L.DomUtil.create('div', 'geoinf-print-panels');
      box.parentNode.insertBefore(sheet, box.nextSibling);
      box.querySelectorAll('.geoinf-panel:not(.geoinf-search)').forEach(function (p) {
        moved.push([p, p.parentNode, p.nextSibling,
                    Array.from(p.querySelectorAll('details')).map(function (d) {
                      var was = d.open; d.open = true; return [d, was]; })]);
        sheet.appendChild(p);
      });
      if (box.parentNode === document.body) {
        height = box.style.height;
        box.style.height = '62vh';
        map.invalidateSize();
      }
    };
    var after = function () {
      if (!sheet) { return; }
      moved.reverse().forEach(function (m) {  // the last out goes back first
        m[1].insertBefore(m[0], m[2]);
        m[3].forEach(function (d) { d[0].open = d[1]; });
      });
      moved = [];
      sheet.parentNode.removeChild(sheet);
      sheet = null;
      if (height !== null) { box.style.height = height; height = null; map.invalidateSize(); }
    };
    var query = map._geoinfPrint = window.matchMedia('print');  // kept: listeners live
    query.addEventListener('change', function (e) {
      if (e.matches) { before(); } else { after(); }
    });
    window.addEventListener('beforeprint', before);
    window.addEventListener('afterprint', after);
  },
  // a search box: places in range and sites by name, or "lat, lon"; the answer is the
  // same exact-distance listing as a click
  search: function (map, data) {
    var self = this;
    var plain = function (html) { return self.plain(html); };
    var entries = function () {
      var out = [];
      data.systems.forEach(function (sys) {
        sys.sites.forEach(function (s) { out.push([s[2], s[0], s[1], 'site']); });
      });
      self.registry.forEach(function (r) {
        if (r.map === map && r.layer.geoinfRows) {
          r.layer.geoinfRows.forEach(function (c) { out.push([c[2], c[0], c[1], c[3]]); });
        }
      });
      out.forEach(function (e) { e.push(plain(e[0]).toLowerCase()); });
      return out;
    };
    var list = null;
    var show = function (lon, lat) {
      // open the popup once the view has settled, so its own auto-pan starts from rest
      map.once('moveend', function () {
        L.popup({maxWidth: 380, className: 'geoinf-reach'}).setLatLng([lat, lon])
          .setContent(self.reachText(data, lon, lat)).openOn(map);
      });
      map.setView([lat, lon], Math.max(map.getZoom(), 5));
    };
    var Search = L.Control.extend({onAdd: function () {
      var div = L.DomUtil.create('div', 'geoinf-panel geoinf-search');
      div.innerHTML = '<input type="search" placeholder="Find a city or lat, lon" ' +
        'aria-label="Find a city, a site or a point (lat, lon)"><ol></ol>';
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      var input = div.querySelector('input'), ol = div.querySelector('ol');
      var answer = function (go) {
        var q = input.value.trim(), ll = /^(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)$/
          .exec(q);
        ol.innerHTML = '';
        if (ll && Math.abs(+ll[1]) <= 90 && Math.abs(+ll[2]) <= 180) {
          if (go) { show(+ll[2], +ll[1]); }
          return;
        }
        if (q.length < 2) { return; }
        list = list || entries();
        var low = q.toLowerCase();
        var hits = list.filter(function (e) { return e[4].indexOf(low) === 0; })
          .concat(list.filter(function (e) { return e[4].indexOf(low) > 0; })).slice(0, 8);
        if (!hits.length) {
          ol.innerHTML = '<li class="geoinf-none">No city in range or site of that name; ' +
            'try lat, lon</li>';
        }
        hits.forEach(function (e) {
          var li = L.DomUtil.create('li', '', ol);
          li.innerHTML = e[0] + (e[3] ? ' <small>' + e[3] + '</small>' : '');
          li.tabIndex = 0;
          var pick = function () { ol.innerHTML = ''; show(e[1], e[2]); };
          li.addEventListener('click', pick);
          li.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') { pick(); } });
        });
        if (go && hits.length) { ol.innerHTML = ''; show(hits[0][1], hits[0][2]); }
      };
      input.addEventListener('input', function () { answer(false); });
      input.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') { answer(true); } });
      return div;
    }});
    return new Search({position: 'topleft'}).addTo(map);
  },
  popupOrder: function (map) {
    var box = map.getContainer();
    map.on('popupopen', function (e) {
      L.DomUtil.addClass(box, 'geoinf-popup-open');
      var room = map.getSize().x - 50;  // never wider than the map (a phone)
      if (e.popup.options.maxWidth > room) {
        e.popup.options.maxWidth = room;
        e.popup.options.minWidth = Math.min(e.popup.options.minWidth, room);
        e.popup.update();
      }
    });
    map.on('popupclose', function () { L.DomUtil.removeClass(box, 'geoinf-popup-open'); });
    L.DomEvent.on(box, 'keydown', function (e) {  // Escape from a marker closes its popup
      if (e.key === 'Escape' && !box._geoinfTable) { map.closePopup(); }
    });
  },
  panel: function (map, html, position, className) {
    var self = this;
    var Panel = L.Control.extend({onAdd: function () {
      var div = L.DomUtil.create('div', 'geoinf-panel ' + className);
      div.innerHTML = html;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      div.querySelectorAll('.geoinf-table-open').forEach(function (b) {
        b.addEventListener('click', function () { self.cityTable(map, b); });
      });
      var details = div.querySelector('details');
      if (details) {
        if (map.getSize().x < self.narrow) { details.removeAttribute('open'); }
        details.addEventListener('toggle', function () {
          if (details.open && map.getSize().x < self.narrow) {  // phone: one panel open
            map.getContainer().querySelectorAll('.geoinf-panel details[open]').forEach(
              function (d) { if (d !== details) { d.removeAttribute('open'); } });
          }
        });
      }
      return div;
    }});
    var control = new Panel({position: position}).addTo(map);
    if (className === 'geoinf-title') {  // the headline above the zoom buttons
      var corner = control.getContainer().parentNode;
      corner.insertBefore(control.getContainer(), corner.firstChild);
    }
    return control;
  },
  // every panel stays inside the map box: never wider, never taller than the space left
  // (called once the panels are added, and at each resize); every style read first
  fitPanels: function (map) {
    var self = this, size = map.getSize();
    var panels = map.getContainer().querySelectorAll('.geoinf-panel');
    if (!map._geoinfResize) {
      map._geoinfResize = true;
      map.on('resize', function () { self.fitPanels(map); });
    }
    panels.forEach(function (p) {
      if (!p.dataset.maxWidth) {  // the stylesheet's width, kept before it is narrowed
        p.dataset.maxWidth = parseFloat(getComputedStyle(p).maxWidth) || 360;
      }
    });
    panels.forEach(function (p) {
      // the title leaves the top right corner to the layer control
      var room = size.x - (p.classList.contains('geoinf-title') ? 74 : 20);
      p.style.maxWidth = Math.max(120, Math.min(+p.dataset.maxWidth, room)) + 'px';
      p.style.maxHeight = Math.max(60, Math.round(size.y * 0.5) - 20) + 'px';
    });
  },
  // panels folded (about, then summary, then legend) until they cover at most `share`
  budget: function (map, share) {
    var box = map.getContainer(), size = map.getSize();
    L.DomUtil[size.x < this.narrow ? 'addClass' : 'removeClass'](box, 'geoinf-narrow');
    var area = function () {
      var sum = 0;
      box.querySelectorAll('.geoinf-panel').forEach(function (p) {
        var r = p.getBoundingClientRect();
        sum += r.width * r.height;
      });
      return sum;
    };
    ['.geoinf-about', '.geoinf-summary', '.geoinf-legend'].forEach(function (sel) {
      var d = box.querySelector(sel + ' > details');
      if (d && d.open && area() > share * size.x * size.y) { d.removeAttribute('open'); }
    });
  },
  // the view fitted to the bands, leaving out what the panels cover at the top and bottom
  fit: function (map, bounds) {
    this.budget(map, 0.25);
    var box = map.getContainer().getBoundingClientRect(), size = map.getSize();
    var top = 0, bottom = 0;
    map.getContainer().querySelectorAll('.leaflet-top .geoinf-panel, .leaflet-bottom ' +
                                        '.geoinf-panel').forEach(function (p) {
      var r = p.getBoundingClientRect();
      if (p.parentNode.classList.contains('leaflet-top')) {
        top = Math.max(top, r.bottom - box.top);
      } else { bottom = Math.max(bottom, box.bottom - r.top); }
    });
    top = Math.min(top, size.y * 0.3);
    bottom = Math.min(bottom, size.y * 0.3);
    // no zoom animation: the layers added next are drawn once, at the fitted view
    map.fitBounds(bounds, {paddingTopLeft: [8, top + 4], paddingBottomRight: [8, bottom + 4],
                           animate: false});
  }
};
