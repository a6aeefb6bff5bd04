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
/* The insights desks: charts (ECharts) and maps (Leaflet) drawn from /api/v1/insights/…, the
   overview's refresh and full-screen mode, sortable tables. No inline script or style. */
(function () {
  "use strict";
  var root = document.getElementById("insights");
  if (!root) return;
  var COLOURS = { green: "#2e7d32", yellow: "#b26a00", red: "#c62828", "": "#607d8b" };
  var charts = [];

  function pct(v) { return v === null || v === undefined ? "–" : (Math.round(v * 1000) / 10) + "%"; }
  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o === null || o === undefined ? o : o[k]; }, obj);
  }
  /* The API speaks the language the request asks for; ask for the page's own (a console page
     in Chinese opened in a browser set to English got its chart labels in English). */
  function getJSON(url) {
    var headers = { Accept: "application/json", "Accept-Language": document.documentElement.lang || "zh-hans" };
    return fetch(url, { credentials: "same-origin", headers: headers })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); });
  }
  function chart(el) {
    var c = echarts.getInstanceByDom(el);
    if (!c) {
      c = echarts.init(el, null, { renderer: "canvas" });
      c.setOption({ animation: false });  /* a wall screen redraws every minute: no replay */
      charts.push(c);
    }
    return c;
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  /* -- overview ---------------------------------------------------------------------------- */
  var overviewMap = null, pointLayer = null;

  function drawPoints(points) {
    var box = document.querySelector('[data-map="overview"]');
    if (!box) return;
    if (!overviewMap) overviewMap = JiesuMap.create(box, root);
    if (pointLayer) pointLayer.remove();
    pointLayer = L.layerGroup().addTo(overviewMap.map);
    points.forEach(function (p) {
      var at = overviewMap.shift(p.lat, p.lng);
      var marker = L.circleMarker(at, {
        radius: 5, weight: 1, color: "#fff", fillOpacity: 0.9, fillColor: COLOURS[p.light] || COLOURS[""]
      });
      var link = document.createElement("a");
      link.href = box.dataset.appealUrl + encodeURIComponent(p.number) + "/";
      link.textContent = p.number;
      marker.bindPopup(link);
      marker.addTo(pointLayer);
    });
  }

  function drawOverview(data) {
    document.querySelectorAll("#overview [data-field]").forEach(function (el) {
      var v = get(data, el.dataset.field);
      if (v === undefined) return;
      if (el.hasAttribute("data-rate")) el.textContent = pct(v.value);
      else if (el.hasAttribute("data-fraction")) el.textContent = v.numerator + "/" + v.denominator;
      else if (el.dataset.field === "generated_at") el.textContent = String(v).slice(11, 16);
      else el.textContent = v;
    });
    var trend = document.querySelector('[data-chart="trend"]');
    if (trend) {
      chart(trend).setOption({
        tooltip: { trigger: "axis" },
        legend: { data: [trend.dataset.labelReceived, trend.dataset.labelConcluded] },
        grid: { left: 40, right: 16, top: 32, bottom: 28 },
        xAxis: { type: "category", data: data.trend.map(function (p) { return p.day.slice(5); }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: trend.dataset.labelReceived, type: "line", smooth: true, data: data.trend.map(function (p) { return p.volume; }) },
          { name: trend.dataset.labelConcluded, type: "line", smooth: true, data: data.trend.map(function (p) { return p.concluded; }) }
        ]
      });
    }
    var channels = document.querySelector('[data-chart="channels"]');
    if (channels) {
      chart(channels).setOption({
        tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
        series: [{ type: "pie", radius: ["35%", "70%"], data: data.channels.map(function (c) { return { name: c.name, value: c.volume }; }) }]
      });
    }
    var cats = document.querySelector('[data-chart="categories"]');
    if (cats) {
      var top = data.top_categories.slice().reverse();
      chart(cats).setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 110, right: 16, top: 8, bottom: 24 },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: top.map(function (c) { return c.name; }), axisLabel: { width: 100, overflow: "truncate" } },
        series: [{ type: "bar", data: top.map(function (c) { return c.volume; }), itemStyle: { color: "#1d4f91" } }]
      });
    }
    drawPoints(data.points);
  }

  var overview = document.getElementById("overview");
  if (overview) {
    var load = function () {
      return getJSON(overview.dataset.overview).then(drawOverview).catch(function () {
        overview.classList.add("stale");
      });
    };
    load();
    var seconds = parseInt(overview.dataset.refresh, 10) || 60;
    window.setInterval(load, seconds * 1000);
    var full = overview.querySelector("[data-fullscreen]");
    if (full) {
      full.addEventListener("click", function () {
        if (document.fullscreenElement) { document.exitFullscreen(); return; }
        if (overview.requestFullscreen) overview.requestFullscreen().catch(function () {});
        overview.classList.add("wall");
      });
      document.addEventListener("fullscreenchange", function () {
        var on = document.fullscreenElement === overview;
        overview.classList.toggle("wall", on);
        full.setAttribute("aria-pressed", on ? "true" : "false");
        charts.forEach(function (c) { c.resize(); });
        if (overviewMap) overviewMap.map.invalidateSize();
      });
    }
  }

  /* -- trends ------------------------------------------------------------------------------ */
  document.querySelectorAll('[data-chart="trend-groups"]').forEach(function (el) {
    getJSON(el.dataset.source).then(function (data) {
      chart(el).setOption({
        tooltip: { trigger: "axis" },
        legend: { type: "scroll", top: 0 },
        grid: { left: 40, right: 16, top: 36, bottom: 28 },
        xAxis: { type: "category", data: data.buckets.map(function (b) { return b.slice(0, 7); }) },
        yAxis: { type: "value", minInterval: 1 },
        series: data.groups.map(function (g) { return { name: g.name, type: "line", data: g.values }; })
      });
    });
  });

  /* -- hotspots ---------------------------------------------------------------------------- */
  var spotBox = document.querySelector('[data-map="hotspots"]');
  if (spotBox) {
    var m = JiesuMap.create(spotBox, root);
    getJSON(spotBox.dataset.source).then(function (data) {
      var max = data.hotspots.reduce(function (a, h) { return Math.max(a, h.count); }, 1);
      data.hotspots.forEach(function (h) {
        var ring = h.boundary.map(function (p) { return m.shift(p[0], p[1]); });
        var poly = L.polygon(ring, { color: "#c62828", weight: 1, fillColor: "#c62828", fillOpacity: 0.2 + 0.6 * h.count / max });
        var text = document.createElement("span");
        text.textContent = h.count + " · " + h.categories.map(function (c) { return c.name; }).join("、");
        poly.bindPopup(text);
        poly.addTo(m.map);
      });
    });
  }

  /* -- sortable tables --------------------------------------------------------------------- */
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, index) {
      var button = th.querySelector("button.sort");
      if (!button) return;
      button.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var numeric = button.dataset.sort === "number";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[index].dataset.value, y = b.cells[index].dataset.value;
          var d = numeric ? parseFloat(x) - parseFloat(y) : String(x).localeCompare(String(y), "zh-Hans-CN");
          return asc ? d : -d;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
