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
/* Maps of the insights pages (Leaflet): region outlines drawn from the regions' own boundaries,
   so a map works without any tile server; a tile layer only when one is configured. Jiesu stores
   WGS84. Chinese tile providers (Tianditu in GCJ-02 mode, AMap, Tencent) draw in GCJ-02: with
   data-tiles-crs="gcj02" every point and outline is shifted to GCJ-02 when drawn, so a pin sits
   on the right street. */
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

  function create(el, root) {
    var crs = (root.dataset.tilesCrs || "wgs84").toLowerCase();
    var shift = crs === "gcj02" ? wgs84ToGcj02 : function (lat, lng) { return [lat, lng]; };
    var map = L.map(el, { attributionControl: !!root.dataset.attribution, zoomSnap: 0.25 });
    if (root.dataset.tiles) {
      L.tileLayer(root.dataset.tiles, { maxZoom: 19, attribution: root.dataset.attribution || "" }).addTo(map);
    }
    map.setView(shift(22.7, 114.35), 12);
    var outlines = fetch(root.dataset.regions, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geojson) {
        var layer = L.geoJSON(geojson, {
          coordsToLatLng: function (c) { var p = shift(c[1], c[0]); return L.latLng(p[0], p[1]); },
          style: function (f) {
            var level = f.properties.level;
            return {
              color: level === "district" ? "#1d4f91" : level === "subdistrict" ? "#3d6fb6" : "#9aa5b1",
              weight: level === "district" ? 3 : level === "subdistrict" ? 2 : 1,
              fill: false, interactive: false
            };
          }
        }).addTo(map);
        if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
        return layer;
      });
    return { map: map, shift: shift, ready: outlines };
  }

  window.JiesuMap = { create: create, wgs84ToGcj02: wgs84ToGcj02 };
})();
