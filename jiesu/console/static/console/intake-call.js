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
// The call-taking form (来电登记): focus, anonymous callers, the map point, double-submit guard.
(function () {
  "use strict";
  var form = document.getElementById("call-form");
  if (!form) return;
  var summary = document.getElementById("error-summary");
  var firstError = form.querySelector(".has-error input, .has-error select, .has-error textarea");
  if (firstError) { firstError.focus(); } else if (summary) { summary.focus(); }
  else { var name = form.querySelector("[name=reporter_name]"); if (name) name.focus(); }

  // Anonymous: no name, no phone.
  var anonymous = form.querySelector("[name=anonymous]");
  function syncAnonymous() {
    ["reporter_name", "reporter_phone"].forEach(function (n) {
      var el = form.querySelector("[name=" + n + "]");
      if (el) el.disabled = anonymous.checked;
    });
  }
  if (anonymous) { anonymous.addEventListener("change", syncAnonymous); syncAnonymous(); }

  // Map point: click the map, or type the numbers.
  var mapEl = document.getElementById("call-map");
  var lat = form.querySelector("[name=lat]");
  var lng = form.querySelector("[name=lng]");
  var map = null, marker = null;
  // The fields hold WGS84; the map draws in the tiles' system (insights/maps.js shifts both ways).
  var M = window.JiesuMap, crs = mapEl ? mapEl.dataset.tilesCrs : "";
  var same = function (a, b) { return [a, b]; };
  var shift = M ? M.shiftFor(crs) : same, unshift = M ? M.unshiftFor(crs) : same;
  function shown(wLat, wLng) { var p = shift(wLat, wLng); return L.latLng(p[0], p[1]); }
  function place(latlng) {
    if (!map) return;
    if (!marker) { marker = L.marker(latlng, {keyboard: false}).addTo(map); } else { marker.setLatLng(latlng); }
  }
  if (mapEl && window.L) {
    map = L.map(mapEl, {attributionControl: !!mapEl.dataset.attribution, keyboard: false})
      .setView(shown(parseFloat(mapEl.dataset.lat), parseFloat(mapEl.dataset.lng)), 13);
    if (M) {
      M.tiles(map, mapEl);
      if (mapEl.dataset.regions) M.outlines(map, mapEl.dataset.regions, shift, !(lat.value && lng.value));
    } else if (mapEl.dataset.tiles) {
      L.tileLayer(mapEl.dataset.tiles, {maxZoom: 19, attribution: mapEl.dataset.attribution}).addTo(map);
    }
    mapEl.jiesuMap = map; // for the browser tests
    map.on("click", function (e) {
      var w = unshift(e.latlng.lat, e.latlng.lng);
      lat.value = w[0].toFixed(6);
      lng.value = w[1].toFixed(6);
      place(e.latlng);
    });
    if (lat.value && lng.value) { var at = shown(+lat.value, +lng.value); place(at); map.setView(at, 15); }
    [lat, lng].forEach(function (el) {
      el.addEventListener("change", function () {
        if (lat.value && lng.value) place(shown(+lat.value, +lng.value));
      });
    });
  }
  document.getElementById("pin-clear").addEventListener("click", function () {
    lat.value = ""; lng.value = "";
    if (marker) { marker.remove(); marker = null; }
  });

  form.addEventListener("submit", function () {
    var button = document.getElementById("call-submit");
    window.setTimeout(function () { button.disabled = true; button.textContent = form.dataset.submitting; }, 0);
  });
})();
