window.geoinfMap = window.geoinfMap || {
  registry: [],
  register: function (map, kind, name, layer, count) {
    this.registry.push({map: map, kind: kind, name: name, layer: layer, count: count});
    return layer;
  },
  polygons: function (data, o) {
    return L.geoJSON(data, {pane: o.pane || 'overlayPane', interactive: o.interactive,
      style: function (f) { return f.properties.style || o.style; },
      onEachFeature: function (f, layer) {
        if (f.properties.tooltip) { layer.bindTooltip(f.properties.tooltip, {sticky: true}); }
        if (f.properties.popup) { layer.bindPopup(f.properties.popup, {maxWidth: 420}); }
      }});
  },
  points: function (rows, o) {
    var icon = L.divIcon({className: o.className, iconSize: [o.size, o.size]});
    var markers = rows.map(function (r) {
      var m = L.marker([r[1], r[0]], {icon: icon, keyboard: false});
      if (r[2]) { m.bindTooltip(r[2]); }
      if (r[3]) { m.bindPopup(r[3], {maxWidth: 420}); }
      return m;
    });
    if (o.cluster) {
      var group = L.markerClusterGroup(o.cluster);
      group.addLayers(markers);
      return group;
    }
    return L.featureGroup(markers);
  },
  panel: function (map, html, position, className) {
    var Panel = L.Control.extend({onAdd: function () {
      var div = L.DomUtil.create('div', 'geoinf-panel ' + className);
      div.innerHTML = html;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    }});
    return new Panel({position: position}).addTo(map);
  }
};
