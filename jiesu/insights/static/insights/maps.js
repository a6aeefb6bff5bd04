/*
 * Copyright (c) 2026 The Jiesu contributors
 * Jiesu is licensed under Mulan PSL v2.
 * You can use this software according to the terms and conditions of the Mulan PSL v2.
 * You may obtain a copy of Mulan PSL v2 at:
 *          http://license.coscl.org.cn/MulanPSL2
 * THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
 * EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
 * MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
 * See the Mulan PSL v2 for more details.
 */
/* Maps (Leaflet) of the insights pages and of the staff's call form (来电登记) and appeal page:
   region outlines drawn from the regions' own boundaries, so a map works without any tile
   server; a tile layer only when one is configured. Jiesu stores WGS84. Chinese tile providers
   draw in GCJ-02 (Tianditu in GCJ-02 mode, AMap, Tencent) or BD-09 (Baidu): with
   data-tiles-crs="gcj02" or "bd09" (setting JIESU_MAP_TILE_COORD_SYSTEM) every point and outline
   is shifted to the tiles' system when drawn, so a pin sits on the right street, and a point
   clicked on the map is shifted back to WGS84 before it is stored (jiesu/org/coords.py does
   the same on the server). */
(function () {
  "use strict";
  var A = 6378245.0, EE = 0.00669342162296594323;

  function outOfChina(lat, lng) {
    return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }
  function tLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    return r;
  }
  function tLng(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    return r;
  }
  /* WGS84 → GCJ-02 (the published "Mars coordinates" formula). */
  function wgs84ToGcj02(lat, lng) {
    if (outOfChina(lat, lng)) return [lat, lng];
    var dLat = tLat(lng - 105.0, lat - 35.0), dLng = tLng(lng - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * Math.PI, magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI);
    dLng = (dLng * 180.0) / (A / sqrtMagic * Math.cos(radLat) * Math.PI);
    return [lat + dLat, lng + dLng];
  }

  var X_PI = Math.PI * 3000.0 / 180.0;
  /* GCJ-02 → BD-09 (Baidu's published rotation). */
  function gcj02ToBd09(lat, lng) {
    var z = Math.sqrt(lng * lng + lat * lat) + 0.00002 * Math.sin(lat * X_PI);
    var theta = Math.atan2(lat, lng) + 0.000003 * Math.cos(lng * X_PI);
    return [z * Math.sin(theta) + 0.006, z * Math.cos(theta) + 0.0065];
  }
  function wgs84ToBd09(lat, lng) { var g = wgs84ToGcj02(lat, lng); return gcj02ToBd09(g[0], g[1]); }
  function identity(lat, lng) { return [lat, lng]; }
  function normalise(crs) {
    crs = (crs || "wgs84").toLowerCase().replace(/[-_]/g, "");
    if (crs === "gcj02") return "gcj02";
    return crs === "bd09" || crs === "bd09ll" ? "bd09" : "wgs84";
  }
  /* The drawing shift for tiles in `crs`: WGS84 (stored) → the tiles' system. */
  function shiftFor(crs) {
    crs = normalise(crs);
    return crs === "gcj02" ? wgs84ToGcj02 : crs === "bd09" ? wgs84ToBd09 : identity;
  }
  /* Its inverse (a point clicked on the map → WGS84): no closed form, so the forward shift is
     iterated until the round trip is within about a millimetre. */
  function unshiftFor(crs) {
    var forward = shiftFor(crs);
    if (forward === identity) return identity;
    return function (lat, lng) {
      var wLat = lat, wLng = lng;
      for (var i = 0; i < 30; i++) {
        var p = forward(wLat, wLng), dLat = p[0] - lat, dLng = p[1] - lng;
        wLat -= dLat; wLng -= dLng;
        if (Math.abs(dLat) < 1e-9 && Math.abs(dLng) < 1e-9) break;
      }
      return [wLat, wLng];
    };
  }
  var STYLE = {
    district: { color: "#1d4f91", weight: 3 },
    subdistrict: { color: "#3d6fb6", weight: 2 },
    community: { color: "#9aa5b1", weight: 1 }
  };
  /* Draw the district, subdistrict and community outlines from `url` (GeoJSON) on `map`. */
  function outlines(map, url, shift, fit) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (geojson) {
        var layer = L.geoJSON(geojson, {
          coordsToLatLng: function (c) { var p = shift(c[1], c[0]); return L.latLng(p[0], p[1]); },
          style: function (f) {
            var s = STYLE[f.properties.level] || STYLE.community;
            return { color: s.color, weight: s.weight, fill: false, interactive: false, className: "region-outline" };
          }
        }).addTo(map);
        if (fit && layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
        return layer;
      });
  }
  /* Tiles when configured (data-tiles, data-attribution on `conf`). */
  function tiles(map, conf) {
    if (conf.dataset.tiles) {
      L.tileLayer(conf.dataset.tiles, { maxZoom: 19, attribution: conf.dataset.attribution || "" }).addTo(map);
    }
  }

  function create(el, root) {
    var shift = shiftFor(root.dataset.tilesCrs);
    var map = L.map(el, { attributionControl: !!root.dataset.attribution, zoomSnap: 0.25 });
    tiles(map, root);
    map.setView(shift(22.7, 114.35), 12);
    var outlined = outlines(map, root.dataset.regions, shift, true);
    return { map: map, shift: shift, ready: outlined };
  }

  window.JiesuMap = {
    create: create, outlines: outlines, tiles: tiles, shiftFor: shiftFor, unshiftFor: unshiftFor,
    wgs84ToGcj02: wgs84ToGcj02, wgs84ToBd09: wgs84ToBd09
  };
})();
