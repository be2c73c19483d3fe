// gigaplot pyramid viewer: a Leaflet map over {z}/{x}/{y}.png, in finest-canvas pixels,
// showing the data coordinates under the cursor and a colour bar of the current level.
(function () {
  "use strict";
  var status = document.getElementById("status");

  // Data coordinate of finest-pixel edge p on an axis of n pixels (linear or log10).
  function edge(range, scale, n, p) {
    var f = scale === "log" ? Math.log10 : function (v) { return v; };
    var lo = f(range[0]), hi = f(range[1]);
    var v = lo + (hi - lo) * p / n;
    return scale === "log" ? Math.pow(10, v) : v;
  }

  function format(v) {
    var a = Math.abs(v);
    return (a !== 0 && (a < 1e-3 || a >= 1e6)) ? v.toExponential(4) : v.toPrecision(6);
  }

  function colorbar(m, map) {
    var control = L.control({ position: "topright" });
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "gp-panel gp-colorbar");
      div.innerHTML = '<div class="gp-title"></div><div class="gp-bar"></div>' +
        '<div class="gp-labels"><span class="gp-min"></span><span class="gp-max"></span></div>';
      div.querySelector(".gp-bar").style.background =
        "linear-gradient(to right, " + m.colors.join(", ") + ")";
      return div;
    };
    control.update = function () {
      var z = Math.max(0, Math.min(m.max_zoom, Math.round(map.getZoom())));
      var level = m.levels[m.span_from_level == null ? z : m.span_from_level];
      var div = control.getContainer();
      div.querySelector(".gp-title").textContent =
        "count per pixel, zoom " + z + " (" + m.how + ", " + m.colormap + ")";
      var r = level.count_range || [0, 0];
      div.querySelector(".gp-min").textContent = r[0];
      div.querySelector(".gp-max").textContent = r[1];
    };
    return control;
  }

  // A count-cat pyramid's legend: a swatch and the name of each category (metadata.json's
  // categories), in place of the colour bar.
  function legend(m) {
    var control = L.control({ position: "topright" });
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "gp-panel gp-legend");
      m.categories.forEach(function (c) {
        var row = L.DomUtil.create("div", "gp-entry", div);
        var swatch = L.DomUtil.create("span", "gp-swatch", row);
        swatch.style.background = c.color;
        row.appendChild(document.createTextNode(c.name));
      });
      return div;
    };
    control.update = function () {};
    return control;
  }

  // The colour bar, or the legend of categories.
  function key(m, map) {
    var control = m.categories ? legend(m) : colorbar(m, map);
    control.addTo(map);
    control.update();
    map.on("zoomend", control.update);
  }

  // Web-mercator tiles: a web map (EPSG:3857) over the optional basemap.
  function startWebMap(m) {
    var zmax = m.max_zoom;
    var map = L.map("map", { minZoom: 0, maxZoom: zmax + 3, worldCopyJump: false });
    if (m.basemap) {
      L.tileLayer(m.basemap, { maxZoom: zmax + 3 }).addTo(map);
    }
    L.tileLayer(m.tiles, {
      tileSize: m.tile, minZoom: 0, maxZoom: zmax + 3,
      maxNativeZoom: zmax, noWrap: true
    }).addTo(map);
    map.fitWorld();
    key(m, map);
    status.className = "gp-panel gp-coords";
    status.textContent = "web mercator, zoom 0-" + zmax;
    map.on("mousemove", function (e) {
      status.textContent = "lon = " + format(e.latlng.lng) + "   lat = " + format(e.latlng.lat);
    });
    window.gigaplotMap = map;
  }

  function start(m) {
    if (m.projection === "web-mercator") { return startWebMap(m); }
    var zmax = m.max_zoom;
    var map = L.map("map", {
      crs: L.CRS.Simple, minZoom: 0, maxZoom: zmax + 3, attributionControl: false
    });
    // One map unit at zoom zmax is one finest pixel.
    var bounds = L.latLngBounds(map.unproject([0, m.height], zmax), map.unproject([m.width, 0], zmax));
    L.tileLayer(m.tiles, {
      tileSize: m.tile, minZoom: 0, maxZoom: zmax + 3, maxNativeZoom: zmax, noWrap: true,
      bounds: bounds
    }).addTo(map);
    map.fitBounds(bounds);
    map.setMaxBounds(bounds.pad(0.5));
    key(m, map);
    status.className = "gp-panel gp-coords";
    status.textContent = m.width + " x " + m.height + " px, zoom 0-" + zmax;
    map.on("mousemove", function (e) {
      var p = map.project(e.latlng, zmax);
      if (p.x < 0 || p.y < 0 || p.x > m.width || p.y > m.height) {
        status.textContent = "outside the plot";
        return;
      }
      var x = edge(m.x_range, m.x_scale, m.width, p.x);
      var y = edge(m.y_range, m.y_scale, m.height, m.height - p.y);
      status.textContent = "x = " + format(x) + "   y = " + format(y);
    });
    window.gigaplotMap = map;
  }

  if (typeof L === "undefined") {
    status.textContent = "Leaflet did not load (offline? render with --viewer-assets)";
    return;
  }
  fetch("metadata.json").then(function (r) {
    if (!r.ok) { throw new Error("metadata.json: HTTP " + r.status); }
    return r.json();
  }).then(start).catch(function (e) {
    status.textContent = "cannot open the pyramid: " + e.message +
      " (serve the directory over HTTP, e.g. gigaplot serve DIR or python3 -m http.server)";
  });
})();
