// The full table of a map's cities in range: sortable by any column (the headers are
// buttons: Tab to one, Enter or Space sorts), downloadable as CSV or GeoJSON made in the
// page itself (a Blob and an object URL: no network, no server).
// Texts in the city rows arrive HTML-escaped by geoinf; here they are decoded to plain text
// by an inert <textarea> (nothing in it is parsed as markup), shown through a fresh escape
// and written to the files as plain text, CSV cells that a spreadsheet would read as a
// formula (= + - @, tab, CR first) made literal with a leading ' (as geoinf's own CSV).
(function (G) {
  G.plain = function (html) {
    var t = G._decoder || (G._decoder = document.createElement('textarea'));
    t.innerHTML = html;
    return t.value;
  };
  // the text of some markup (a tooltip's), read in an inert document: nothing runs or loads
  G.textOf = function (html) {
    G._parser = G._parser || new DOMParser();
    return G._parser.parseFromString(html, 'text/html').body.textContent.trim();
  };
  G.escape = function (text) {
    return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
  };
  // the columns: city, country, people, then per system the distance to its nearest site,
  // that site, the margin inside each claim that reaches, and (two claims) which it needs
  G.tableColumns = function (ref) {
    var self = this, cols = [
      {head: 'City', text: true, get: function (r) { return r[2]; }},
      {head: 'Country', text: true, get: function (r) { return r[3]; }},
      {head: 'People', get: function (r) { return r[4]; }}];
    ref.systems.forEach(function (sys, k) {
      var name = self.plain(sys.name) + ': ';
      var near = function (r) { return r.near[k] || null; };  // [system, site, km]
      cols.push({head: name + 'km to nearest site', get: function (r) {
        return near(r) ? near(r)[2] : null; }});
      cols.push({head: name + 'nearest site', text: true, get: function (r) {
        return near(r) ? ref.sites[near(r)[1]] : null; }});
      var figures = [];  // each drawn figure once
      sys.claims.forEach(function (c) {
        if (c[2] && figures.indexOf(c[0]) < 0) { figures.push(c[0]); }
      });
      figures.sort(function (a, b) { return a - b; });
      figures.forEach(function (km) {
        cols.push({head: name + 'km inside the ' + self.whole(km) + ' km claim',
          get: function (r) { return near(r) && near(r)[2] <= km ? km - near(r)[2] : null; }});
      });
      if (sys.claims.length > 1) {
        cols.push({head: name + 'in range under', text: true, get: function (r) {
          // no tags: plain() decodes it; no-break spaces as plain spaces in the files
          return near(r) ? self.claimsText(sys, near(r)[2], true).replace(/&nbsp;/g, ' ') :
            null;
        }});
      }
    });
    return cols;
  };
  // one record per city: its cells (plain text or numbers) and its position
  G.tableRecords = function (rows, ref, cols) {
    var self = this;
    return rows.map(function (r) {
      var near = {};
      r[5].forEach(function (h) { if (!near[h[0]] || h[2] < near[h[0]][2]) { near[h[0]] = h; } });
      var row = r.slice();
      row.near = near;
      return {lon: r[0], lat: r[1], cells: cols.map(function (c) {
        var v = c.get(row);
        return v === null || v === undefined ? null : c.text ? self.plain(String(v)) : v;
      })};
    });
  };
  G.csvCell = function (v) {
    if (v === null) { return ''; }
    if (typeof v === 'number') { return String(v); }
    var s = /^\s*[=+\-@]|^[\t\r]/.test(v) ? "'" + v : v;
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  G.tableCsv = function (cols, records) {
    var self = this, lines = [cols.map(function (c) { return self.csvCell(c.head); }).join(',')];
    records.forEach(function (rec) { lines.push(rec.cells.map(self.csvCell).join(',')); });
    return '\ufeff' + lines.join('\r\n') + '\r\n';  // a BOM: spreadsheets read it as UTF-8
  };
  G.tableGeojson = function (cols, records) {
    return JSON.stringify({type: 'FeatureCollection', features: records.map(function (rec) {
      var props = {};
      cols.forEach(function (c, i) { props[c.head] = rec.cells[i]; });
      return {type: 'Feature', geometry: {type: 'Point', coordinates: [rec.lon, rec.lat]},
              properties: props};
    })});
  };
  G.download = function (box, text, name, type) {
    var url = URL.createObjectURL(new Blob([text], {type: type}));
    var a = L.DomUtil.create('a', '', box);
    a.href = url;
    a.download = name;
    a.click();
    box.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  };
  G.tableBody = function (cols, records) {
    var self = this;
    return records.map(function (rec) {
      return '<tr>' + rec.cells.map(function (v, i) {
        return cols[i].text ? '<td>' + (v === null ? '' : self.escape(v)) + '</td>' :
          '<td class="num">' + (v === null ? '' : self.whole(v)) + '</td>';
      }).join('') + '</tr>';
    }).join('');
  };
  G.sortRecords = function (records, i, dir, text) {
    records.sort(function (a, b) {
      var x = a.cells[i], y = b.cells[i];
      if (x === null || y === null) { return (x === null) - (y === null); }  // blanks last
      return dir * (text ? x.localeCompare(y) : x - y);
    });
  };
  // the table as a dialog over the map; `opener` (a button of the summary) gets focus back
  G.cityTable = function (map, opener) {
    var self = this, box = map.getContainer();
    if (box._geoinfTable) { box._geoinfTable.querySelector('th button').focus(); return; }
    var layer = this.registry.filter(function (r) {
      return r.map === map && r.kind === 'city'; })[0].layer;
    var cols = this.tableColumns(layer.geoinfRef);
    var records = this.tableRecords(layer.geoinfRows, layer.geoinfRef, cols);
    var id = box.id + '_table', file = (opener.getAttribute('data-file') || 'cities')
      .replace(/[^A-Za-z0-9_-]+/g, '-');
    var div = box._geoinfTable = L.DomUtil.create('div', 'geoinf-dialog', box);
    div.setAttribute('role', 'dialog');
    div.setAttribute('aria-labelledby', id);
    div.innerHTML = '<div class="geoinf-dialog-bar"><h4 id="' + id + '">Cities in range (' +
      this.whole(records.length) + ')</h4><button type="button" data-act="csv">Download CSV' +
      '</button><button type="button" data-act="geojson">Download GeoJSON</button>' +
      '<button type="button" data-act="close" aria-label="Close the table">&times;</button>' +
      '</div><div class="geoinf-dialog-scroll"><table><thead><tr>' + cols.map(function (c) {
        return '<th' + (c.text ? '' : ' class="num"') + ' aria-sort="' +
          (c.head === 'People' ? 'descending' : 'none') + '"><button type="button">' +
          self.escape(c.head) + '</button></th>';
      }).join('') + '</tr></thead><tbody></tbody></table></div>';
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    L.DomEvent.on(div, 'keydown keypress keyup', L.DomEvent.stopPropagation);  // not the map's
    var body = div.querySelector('tbody');
    body.innerHTML = this.tableBody(cols, records);
    var close = function () {
      box.removeChild(div);
      box._geoinfTable = null;
      opener.focus();
    };
    div.querySelectorAll('th').forEach(function (th, i) {
      th.querySelector('button').addEventListener('click', function () {
        var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
        div.querySelectorAll('th').forEach(function (o) { o.setAttribute('aria-sort', 'none'); });
        th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
        self.sortRecords(records, i, dir, cols[i].text);
        body.innerHTML = self.tableBody(cols, records);
      });
    });
    div.querySelector('[data-act=csv]').addEventListener('click', function () {
      self.download(div, self.tableCsv(cols, records), file + '.csv', 'text/csv;charset=utf-8');
    });
    div.querySelector('[data-act=geojson]').addEventListener('click', function () {
      self.download(div, self.tableGeojson(cols, records), file + '.geojson',
                    'application/geo+json');
    });
    div.querySelector('[data-act=close]').addEventListener('click', close);
    div.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { L.DomEvent.stop(e); close(); }
    });
    div.querySelector('th button').focus();
  };
})(window.geoinfMap);
