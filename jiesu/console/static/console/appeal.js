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
// The appeal page's map (Leaflet, vendored): a marker at the appeal's place, if it has one.
(function () {
  function start() {
    var el = document.getElementById("map");
    if (!el || !window.L) return;
    var at = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lng)];
    var map = L.map(el, {attributionControl: false}).setView(at, 15);
    L.marker(at).addTo(map);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
