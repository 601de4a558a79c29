// The north-polar view: a button ("Polar view") opens a dialog over the map with the bands,
// the sites and the countries in an azimuthal equidistant projection about the North Pole
// (on a sphere: the distance from the pole is 90° - latitude; lon_0 points down), drawn on
// a canvas. Web Mercator cannot show a range that holds the pole; this view closes it.
// It zooms (up to 16 times) by its + and - buttons or keys, about the canvas centre, and by
// the mouse wheel, about the point under the pointer.
// data: {lon_0, south, bands: [{style, name, rings}], systems: [[colour, name]]}; the
// names arrive HTML-escaped by geoinf; the site names drawn on the canvas are plain text
// (fillText: nothing is parsed as markup).
(function (G) {
  // the rings as lists of [lon, lat], every step over 1° of longitude cut into 1° steps
  // (a parallel stays a circle, an edge along the pole a point)
  G.polarRings = function (data) {
    var k = 1 / data.scale;
    return [].concat.apply([], data.parts.map(function (part) {
      return part.map(function (flat) {
        var out = [], x = 0, y = 0;
        for (var i = 0; i < flat.length; i += 2) {
          x += flat[i]; y += flat[i + 1];
          out.push([x * k, y * k]);
        }
        return G.densified(out);
      });
    }));
  };
  G.densified = function (ring) {
    var out = [];
    ring.forEach(function (p, i) {
      var q = ring[(i + 1) % ring.length], n = Math.ceil(Math.abs(q[0] - p[0]));
      out.push(p);
      for (var j = 1; j < n; j++) {
        out.push([p[0] + (q[0] - p[0]) * j / n, p[1] + (q[1] - p[1]) * j / n]);
      }
    });
    return out;
  };
  // the countries of the map's basemap layer as rings of [lon, lat]
  G.polarLand = function (map) {
    var rings = [];
    this.registry.forEach(function (r) {
      if (r.map === map && r.kind === 'basemap' && r.layer.geoinfLonLat) {
        r.layer.geoinfLonLat().forEach(function (a) {
          if (a.some(function (p) { return p[1] > -60; })) { rings.push(G.densified(a)); }
        });
      }
    });
    return rings;
  };
  G.polarSites = function (map) {
    var self = this, out = [];
    this.registry.forEach(function (r) {
      if (r.map === map && r.kind === 'site' && r.layer.getLayers) {
        r.layer.getLayers().forEach(function (m) {
          var row = m.geoinfRow;
          out.push([row[0], row[1], self.textOf(typeof row[2] === 'string' ? row[2] : '')]);
        });
      }
    });
    return out;
  };
  // the projection of a view: the pole at (cx, cy), `radius` pixels from it to the view's
  // southern edge (times the zoom)
  G.polarProjection = function (data, cx, cy, radius) {
    var k = radius / (90 - data.south), rad = Math.PI / 180;
    return function (lon, lat) {
      var rho = (90 - lat) * k, a = (lon - data.lon_0) * rad;
      return [cx + rho * Math.sin(a), cy + rho * Math.cos(a)];
    };
  };
  // the shape to fill; or (outline) its edges without the cuts along the antimeridian and
  // the pole, which are no edge of the range
  G.polarPath = function (rings, project, outline) {
    var path = new Path2D();
    var cut = function (p, q) {
      return (Math.abs(p[0]) === 180 && p[0] === q[0]) || (p[1] >= 90 && q[1] >= 90);
    };
    rings.forEach(function (ring) {
      var start = project(ring[0][0], ring[0][1]);
      path.moveTo(start[0], start[1]);
      ring.forEach(function (p, i) {
        var q = ring[(i + 1) % ring.length], xy = project(q[0], q[1]);
        if (outline && cut(p, q)) { path.moveTo(xy[0], xy[1]); } else { path.lineTo(xy[0], xy[1]); }
      });
      if (!outline) { path.closePath(); }
    });
    return path;
  };
  G.polarDraw = function (canvas, view, side) {
    var dpr = window.devicePixelRatio || 1, data = view.data, c = side / 2, r = c - 14;
    canvas.width = Math.round(side * dpr);
    canvas.height = Math.round(side * dpr);
    canvas.style.width = canvas.style.height = side + 'px';
    if (view.side && view.side !== side && view.shift) {  // a new size: the same view
      view.shift = [view.shift[0] * side / view.side, view.shift[1] * side / view.side];
    }
    var zoom = view.zoom || 1, shift = view.shift || [0, 0];
    var px = c + shift[0], py = c + shift[1], rz = r * zoom;  // the pole, and its radius
    var ctx = canvas.getContext('2d'), project = this.polarProjection(data, px, py, rz);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, side, side);
    ctx.save();
    ctx.beginPath();
    ctx.arc(c, c, r, 0, 2 * Math.PI);
    ctx.fillStyle = view.sea;
    ctx.fill();
    ctx.clip();
    ctx.fillStyle = view.land;
    ctx.strokeStyle = view.border;
    ctx.lineWidth = 0.6;
    var land = this.polarPath(view.land_rings, project);
    ctx.fill(land, 'evenodd');
    ctx.stroke(this.polarPath(view.land_rings, project, true));
    ctx.strokeStyle = 'rgba(60,60,60,0.35)';  // parallels every 10°, meridians every 30°
    for (var lat = 80; lat > data.south; lat -= 10) {
      ctx.beginPath();
      ctx.arc(px, py, (90 - lat) * rz / (90 - data.south), 0, 2 * Math.PI);
      ctx.stroke();
    }
    for (var lon = -180; lon < 180; lon += 30) {
      var end = project(lon, data.south);
      ctx.beginPath();
      ctx.moveTo(px, py);
      ctx.lineTo(end[0], end[1]);
      ctx.stroke();
    }
    view.paths = data.bands.map(function (b) {
      var s = b.style, path = G.polarPath(b.path_rings, project);
      ctx.globalAlpha = s.fillOpacity;
      ctx.fillStyle = s.fillColor;
      ctx.fill(path, 'evenodd');
      ctx.globalAlpha = 1;
      ctx.strokeStyle = s.color;
      ctx.lineWidth = s.weight;
      ctx.setLineDash(s.dashArray ? s.dashArray.split(' ').map(Number) : []);
      ctx.stroke(G.polarPath(b.path_rings, project, true));
      ctx.setLineDash([]);
      return path;
    });
    ctx.restore();
    ctx.font = '600 11px system-ui, Arial, sans-serif';
    ctx.lineWidth = 3;
    ctx.strokeStyle = 'rgba(255,255,255,0.85)';
    var label = function (text, x, y) {
      ctx.strokeText(text, x, y);
      ctx.fillStyle = '#1b2a49';
      ctx.fillText(text, x, y);
    };
    var inView = function (x, y) { return (x - c) * (x - c) + (y - c) * (y - c) <= r * r; };
    if (inView(px, py)) {
      ctx.beginPath();  // the pole
      ctx.moveTo(px - 6, py); ctx.lineTo(px + 6, py); ctx.moveTo(px, py - 6);
      ctx.lineTo(px, py + 6);
      ctx.strokeStyle = '#111';
      ctx.lineWidth = 1.5;
      ctx.stroke();
      ctx.lineWidth = 3;
      ctx.strokeStyle = 'rgba(255,255,255,0.85)';
      label('North Pole', px + 7, py - 5);
    }
    var placed = [];
    view.sites.forEach(function (s) {  // a dot each; names where they overlap no other
      var xy = project(s[0], s[1]);
      if (!inView(xy[0], xy[1])) { return; }
      ctx.beginPath();
      ctx.arc(xy[0], xy[1], 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = '#1b2a49';
      ctx.fill();
      var w = ctx.measureText(s[2]).width, box = [xy[0] + 5, xy[1] - 9, xy[0] + 7 + w, xy[1] + 4];
      if (box[2] > side || placed.some(function (q) {
        return box[0] < q[2] && q[0] < box[2] && box[1] < q[3] && q[1] < box[3]; })) { return; }
      placed.push(box);
      label(s[2], xy[0] + 6, xy[1] + 3);
    });
    view.side = side;
    view.project = project;  // for tests: [x, y] on the canvas (CSS px) of a lon, lat
    view.inside = function (i, x, y) {  // whether band i's drawn shape holds that point
      return ctx.isPointInPath(view.paths[i], x * dpr, y * dpr, 'evenodd');
    };
  };
  // the button, and the dialog it opens; Escape or the close button return to the map
  G.polar = function (map, data) {
    var self = this, box = map.getContainer(), view = {data: data};
    var button = null;
    var close = function () {
      if (!box._geoinfPolar) { return; }
      box.removeChild(box._geoinfPolar);
      box._geoinfPolar = null;
      button.setAttribute('aria-expanded', 'false');
      button.focus();
    };
    // zoom by `factor` (1 to 16 times) keeping the point (x, y) of the canvas (CSS px;
    // default its centre) in place; back at 1 the pole is in the centre again
    var zoomBy = function (factor, x, y) {
      var was = view.zoom || 1, zoom = Math.max(1, Math.min(16, was * factor));
      var c = (view.side || 0) / 2, shift = view.shift || [0, 0];
      x = x === undefined ? c : x;
      y = y === undefined ? c : y;
      var f = zoom / was, px = c + shift[0], py = c + shift[1];
      view.zoom = zoom;
      view.shift = zoom === 1 ? [0, 0] : [shift[0] + (x - px) * (1 - f),
                                          shift[1] + (y - py) * (1 - f)];
      draw();
      var div = box._geoinfPolar;
      if (div) {
        div.querySelector('[data-act=out]').disabled = zoom === 1;
        div.querySelector('[data-act=in]').disabled = zoom === 16;
      }
    };
    var draw = function () {
      var div = box._geoinfPolar;
      if (!div) { return; }
      var body = div.querySelector('.geoinf-polar-body'), canvas = div.querySelector('canvas');
      var key = div.querySelector('.geoinf-polar-key');
      var side = Math.min(body.clientWidth, body.clientHeight - key.offsetHeight - 4);
      self.polarDraw(canvas, view, Math.max(160, Math.floor(side)));
    };
    var open = function () {
      if (box._geoinfPolar) { return; }
      map.closePopup();
      var style = getComputedStyle(box);
      view.sea = style.backgroundColor || '#d6e6f0';
      view.land = '#f7f5ef';
      view.border = '#b9b3a6';
      view.zoom = 1;  // each time opened: the whole view, the pole in the centre
      view.shift = [0, 0];
      view.land_rings = view.land_rings || self.polarLand(map);
      view.sites = view.sites || self.polarSites(map);
      data.bands.forEach(function (b) { b.path_rings = b.path_rings || self.polarRings(b.rings); });
      var id = box.id + '_polar';
      var div = box._geoinfPolar = L.DomUtil.create('div', 'geoinf-dialog geoinf-polar', box);
      div.setAttribute('role', 'dialog');
      div.setAttribute('aria-labelledby', id);
      div.innerHTML = '<div class="geoinf-dialog-bar"><h4 id="' + id + '">North-polar view' +
        '</h4><button type="button" data-act="in" aria-label="Zoom the polar view in">+' +
        '</button><button type="button" data-act="out" aria-label="Zoom the polar view out"' +
        ' disabled>&minus;</button>' +
        '<button type="button" data-act="close" aria-label="Close the polar view">' +
        '&times;</button></div><div class="geoinf-polar-body"><canvas role="img" ' +
        'aria-label="The range bands around the North Pole"></canvas>' +
        '<p class="geoinf-polar-key">' + data.systems.map(function (s) {
          return '<span class="geoinf-swatch" style="border-color:' + s[0] + ';background:' +
            s[0] + '55"></span>' + s[1];
        }).join(' &nbsp;') + '<br><small>Azimuthal equidistant about the North Pole ' +
        '(distances from the pole true; parallels every 10&deg;): the ranges that hold ' +
        'the pole close here, which Web Mercator cannot show.</small></p></div>';
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      L.DomEvent.on(div, 'keydown keypress keyup', L.DomEvent.stopPropagation);
      div.addEventListener('keydown', function (e) {
        if (e.key === 'Escape') { close(); }
        if (e.key === '+' || e.key === '=') { zoomBy(2); }
        if (e.key === '-') { zoomBy(0.5); }
      });
      div.querySelector('[data-act=close]').addEventListener('click', close);
      div.querySelector('[data-act=in]').addEventListener('click', function () { zoomBy(2); });
      div.querySelector('[data-act=out]').addEventListener('click', function () {
        zoomBy(0.5);
      });
      var canvas = div.querySelector('canvas');
      canvas.addEventListener('wheel', function (e) {  // about the point under the pointer
        e.preventDefault();
        var r = canvas.getBoundingClientRect();
        zoomBy(Math.pow(2, -e.deltaY / (e.deltaMode ? 3 : 300)), e.clientX - r.left,
               e.clientY - r.top);
      }, {passive: false});
      div.querySelector('canvas').geoinfPolar = view;
      button.setAttribute('aria-expanded', 'true');
      draw();
      div.querySelector('[data-act=close]').focus();
    };
    var Toggle = L.Control.extend({onAdd: function () {
      var div = L.DomUtil.create('div', 'leaflet-bar geoinf-polar-open');
      div.innerHTML = '<button type="button" aria-expanded="false" title="The bands around ' +
        'the North Pole, undistorted">Polar view</button>';
      button = div.querySelector('button');
      L.DomEvent.disableClickPropagation(div);
      button.addEventListener('click', open);
      return div;
    }});
    map.on('resize', draw);
    return new Toggle({position: 'topright'}).addTo(map);
  };
})(window.geoinfMap);
