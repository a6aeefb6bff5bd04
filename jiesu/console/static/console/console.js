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
// Keyboard shortcuts for the frequent actions: a page marks buttons with data-shortcut="r"
// (letters only, no modifiers); "/" focuses the search box; "?" lists the shortcuts.
// The labels of the list come from the page (data-shortcut-label or the element's summary),
// and the fixed texts from data attributes on <body>, so the list is in the page's language.
(function () {
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function labelOf(el) {
    if (el.dataset.shortcutLabel) return el.dataset.shortcutLabel;
    var summary = el.tagName === "DETAILS" ? el.querySelector("summary") : null;
    var text = (summary || el).textContent || "";
    return text.replace(/\s+/g, " ").trim().replace(new RegExp("\\s*" + el.dataset.shortcut + "$"), "");
  }
  function row(table, key, label) {
    var tr = table.insertRow();
    var k = document.createElement("kbd");
    k.textContent = key;
    tr.insertCell().appendChild(k);
    tr.insertCell().textContent = label;
  }
  function showShortcuts() {
    var old = document.getElementById("shortcut-list");
    if (old) { old.remove(); }
    var body = document.body.dataset;
    var dialog = document.createElement("dialog");
    dialog.id = "shortcut-list";
    dialog.className = "shortcuts";
    dialog.setAttribute("aria-labelledby", "shortcut-list-h");
    var h = document.createElement("h2");
    h.id = "shortcut-list-h";
    h.textContent = body.shortcutsTitle || "Keyboard shortcuts";
    dialog.appendChild(h);
    var table = document.createElement("table");
    if (document.getElementById("quick-q")) row(table, "/", body.shortcutsSearch || "Search");
    document.querySelectorAll("[data-shortcut]").forEach(function (el) {
      row(table, el.dataset.shortcut, labelOf(el));
    });
    row(table, "?", body.shortcutsHelp || "This list");
    dialog.appendChild(table);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn secondary mt-6";
    close.textContent = body.shortcutsClose || "Close";
    close.addEventListener("click", function () { dialog.close(); });
    dialog.appendChild(close);
    dialog.addEventListener("close", function () { dialog.remove(); });
    document.body.appendChild(dialog);
    dialog.showModal();
    close.focus();
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(document.activeElement)) return;
    if (event.key === "?") {
      event.preventDefault();
      showShortcuts();
      return;
    }
    if (document.getElementById("shortcut-list")) return;
    if (event.key === "/") {
      var search = document.getElementById("quick-q");
      if (search) { event.preventDefault(); search.focus(); }
      return;
    }
    var target = document.querySelector('[data-shortcut="' + event.key + '"]');
    if (!target) return;
    event.preventDefault();
    if (target.tagName === "DETAILS") {
      target.open = true;
      var first = target.querySelector("input, select, textarea, button");
      if (first) first.focus();
    } else {
      target.click();
    }
  });
})();

// A list with selected appeals (for a bulk action) does not refresh itself: the 30 s poll
// would replace the table and lose the selection.
document.addEventListener("htmx:beforeRequest", function (event) {
  var el = event.detail && event.detail.elt;
  if (el && el.id === "appeal-list" && el.querySelector("input[name=numbers]:checked")) {
    event.preventDefault();
  }
});

// On a phone the console's tables become one card per row (console.css), each cell headed by
// its data-label. Cells a template did not label take their column's heading here, so no table
// shows bare numbers; tables added later by htmx get theirs too.
(function () {
  function label() {
    document.querySelectorAll("table.list").forEach(function (table) {
      var heads = table.tHead ? Array.prototype.map.call(
        table.tHead.rows[0] ? table.tHead.rows[0].cells : [],
        function (th) { return (th.textContent || "").replace(/\s+/g, " ").trim(); }
      ) : [];
      if (!heads.length) return;
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (tr) {
          var column = 0;
          Array.prototype.forEach.call(tr.cells, function (cell) {
            if (cell.colSpan === 1 && !cell.hasAttribute("data-label") && heads[column]) {
              cell.setAttribute("data-label", heads[column]);
            }
            column += cell.colSpan;
          });
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", label);
  document.addEventListener("htmx:afterSwap", label);
})();
