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
// The appeal page's map (Leaflet, vendored): a marker at the appeal's place, if it has one, over
// the region outlines (insights/maps.js) and the tiles when configured, shifted to the tiles'
// coordinate system.
(function () {
  function start() {
    var el = document.getElementById("map");
    if (!el || !window.L) return;
    var M = window.JiesuMap;
    var shift = M ? M.shiftFor(el.dataset.tilesCrs) : function (a, b) { return [a, b]; };
    var at = shift(parseFloat(el.dataset.lat), parseFloat(el.dataset.lng));
    var map = L.map(el, {attributionControl: !!el.dataset.attribution}).setView(at, 15);
    if (M) {
      M.tiles(map, el);
      if (el.dataset.regions) M.outlines(map, el.dataset.regions, shift, false);
    }
    L.marker(at).addTo(map);
    el.jiesuMap = map; // for the browser tests
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
