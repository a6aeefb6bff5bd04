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
// Searchable pickers for long lists (no inline script: the page marks its selects).
//
// select[data-search-picker]: a search box above a long single select (the 351 categories).
//   Typing lists the matches best first (exact name, then name starting with the text, then
//   name containing it, then a match on the group path only) and filters the select. Enter
//   picks only an unambiguous match (exactly one match, or exactly one exact name) and says
//   what was picked; otherwise it says how many match and picks nothing.
// select[multiple][data-multi-picker]: a search box and a filtered checkbox list instead of a
//   multi-select that needs Ctrl-click; the chosen ones are listed and can be removed.
// Texts come from the select's data-* attributes (translated by the server).
(function () {
  "use strict";

  function norm(s) { return (s || "").toLowerCase().replace(/\s+/g, " ").trim(); }

  function optionInfo(opt) {
    var text = opt.textContent.replace(/\u00a0/g, " ").trim();
    var group = opt.parentNode && opt.parentNode.tagName === "OPTGROUP" ? opt.parentNode.label : "";
    var code = "";
    var m = text.match(/\(([^()]+)\)$/);
    if (m) code = m[1];
    var name = text.replace(/\s*\([^()]*\)$/, "").split("›").pop().trim();
    var full = group ? group + " › " + text : text;
    return {opt: opt, text: text, name: norm(name), code: norm(code), full: full, hay: norm(full)};
  }

  function rank(info, q, words) {
    if (!words.length) return -1;
    if (!words.every(function (w) { return info.hay.indexOf(w) !== -1; })) return -1;
    if (info.name === q || info.code === q) return 0;
    if (info.name.indexOf(q) === 0) return 1;
    if (info.name.indexOf(q) !== -1) return 2;
    return 3;
  }

  function make(tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function fill(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }

  function searchPicker(select) {
    var d = select.dataset;
    var infos = Array.prototype.map.call(select.querySelectorAll("option"), optionInfo)
      .filter(function (i) { return i.opt.value; });
    var box = make("div", "picker");
    var label = make("label", "", d.searchLabel || "Find");
    var input = make("input");
    input.type = "search";
    input.id = d.searchId || select.id + "_search";
    input.autocomplete = "off";
    input.placeholder = d.placeholder || "";
    input.setAttribute("aria-controls", select.id);
    label.htmlFor = input.id;
    var status = make("div", "help picker-status");
    status.id = input.id + "_status";
    status.setAttribute("aria-live", "polite");
    status.setAttribute("data-testid", "picker-status");
    input.setAttribute("aria-describedby", status.id);
    var list = make("ul", "picker-results");
    list.id = input.id + "_results";
    box.appendChild(label);
    box.appendChild(input);
    box.appendChild(status);
    box.appendChild(list);
    select.parentNode.insertBefore(box, select.previousElementSibling && select.previousElementSibling.tagName === "LABEL" ? select.previousElementSibling : select);

    var matches = [];
    function pick(info) {
      info.opt.selected = true;
      select.dispatchEvent(new Event("change", {bubbles: true}));
      list.textContent = "";
      status.textContent = fill(d.pickedText || "Picked: {name}", {name: info.full});
      status.classList.add("picked");
    }
    function search() {
      var q = norm(input.value);
      var words = q.split(" ").filter(Boolean);
      matches = [];
      infos.forEach(function (info) {
        var r = rank(info, q, words);
        info.opt.hidden = words.length > 0 && r < 0;
        if (r >= 0) matches.push({info: info, rank: r});
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (g) {
        g.hidden = !g.querySelector("option:not([hidden])");
      });
      matches.sort(function (a, b) { return a.rank - b.rank || a.info.text.localeCompare(b.info.text); });
      list.textContent = "";
      status.classList.remove("picked");
      if (!words.length) { status.textContent = ""; return; }
      matches.slice(0, 20).forEach(function (m) {
        var li = make("li");
        var b = make("button", "link", m.info.full);
        b.type = "button";
        b.addEventListener("click", function () { pick(m.info); });
        li.appendChild(b);
        list.appendChild(li);
      });
      status.textContent = matches.length
        ? fill(d.countText || "{n} matches", {n: matches.length})
        : (d.noneText || "No match");
    }
    function unambiguous() {
      if (matches.length === 1) return matches[0].info;
      var exact = matches.filter(function (m) { return m.rank === 0; });
      return exact.length === 1 ? exact[0].info : null;
    }
    input.addEventListener("input", search);
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      search();
      var info = unambiguous();
      if (info) { pick(info); return; }
      if (matches.length) {
        status.textContent = fill(d.ambiguousText || "{n} matches: choose one", {n: matches.length});
      }
    });
    if (select.value) {
      var current = infos.filter(function (i) { return i.opt.selected; })[0];
      if (current) status.textContent = fill(d.pickedText || "Picked: {name}", {name: current.full});
    }
  }

  function multiPicker(select) {
    var d = select.dataset;
    var box = make("div", "picker multi");
    var input = make("input");
    input.type = "search";
    input.id = select.id + "_search";
    input.autocomplete = "off";
    input.placeholder = d.placeholder || "";
    var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
    if (label) label.htmlFor = input.id;
    var chosen = make("ul", "picker-chosen");
    chosen.setAttribute("aria-live", "polite");
    chosen.setAttribute("data-testid", "picker-chosen");
    var list = make("ul", "picker-options");
    var rows = [];
    Array.prototype.forEach.call(select.options, function (opt) {
      var li = make("li");
      var l = make("label");
      var cb = make("input");
      cb.type = "checkbox";
      cb.checked = opt.selected;
      cb.value = opt.value;
      l.appendChild(cb);
      l.appendChild(document.createTextNode(" " + opt.textContent.replace(/\u00a0/g, " ").trim()));
      li.appendChild(l);
      list.appendChild(li);
      cb.addEventListener("change", function () { opt.selected = cb.checked; showChosen(); });
      rows.push({opt: opt, cb: cb, li: li, hay: norm(opt.textContent)});
    });
    function showChosen() {
      chosen.textContent = "";
      rows.filter(function (r) { return r.opt.selected; }).forEach(function (r) {
        var li = make("li");
        var b = make("button", "chip", r.opt.textContent.replace(/\u00a0/g, " ").trim() + " ×");
        b.type = "button";
        b.setAttribute("aria-label", fill(d.removeText || "Remove {name}", {name: r.opt.textContent.trim()}));
        b.addEventListener("click", function () { r.opt.selected = false; r.cb.checked = false; showChosen(); });
        li.appendChild(b);
        chosen.appendChild(li);
      });
      if (!chosen.children.length) chosen.appendChild(make("li", "muted", d.noneChosenText || "None"));
    }
    input.addEventListener("input", function () {
      var words = norm(input.value).split(" ").filter(Boolean);
      rows.forEach(function (r) {
        r.li.hidden = !words.every(function (w) { return r.hay.indexOf(w) !== -1; });
      });
    });
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      var shown = rows.filter(function (r) { return !r.li.hidden; });
      if (shown.length === 1) { shown[0].cb.checked = true; shown[0].opt.selected = true; showChosen(); }
    });
    box.appendChild(chosen);
    box.appendChild(input);
    box.appendChild(list);
    select.parentNode.insertBefore(box, select);
    select.hidden = true;
    showChosen();
  }

  function start() {
    document.querySelectorAll("select[data-search-picker]").forEach(searchPicker);
    document.querySelectorAll("select[multiple][data-multi-picker]").forEach(multiPicker);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
