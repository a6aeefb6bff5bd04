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
// Caller history beside the call form (来电登记): the caller's earlier appeals, looked up by
// phone as the operator types it. Texts come from the section's data-* attributes.
(function () {
  "use strict";
  var box = document.getElementById("caller-history");
  var form = document.getElementById("call-form");
  if (!box || !form) return;
  var phone = form.querySelector("[name=reporter_phone]");
  var list = document.getElementById("caller-history-list");
  var status = document.getElementById("caller-history-status");
  var unmask = document.getElementById("caller-history-unmask");
  var timer = null, shown = "";

  function digits(value) { return (value || "").replace(/[\s\-()]/g, ""); }

  function render(data) {
    list.textContent = "";
    box.hidden = false;
    if (data.error) { status.textContent = data.error; unmask.hidden = true; return; }
    status.textContent = data.appeals.length ? (data.more ? box.dataset.more : "") : box.dataset.none;
    data.appeals.forEach(function (a) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = a.url; link.textContent = a.number; link.target = "_blank"; link.rel = "noopener";
      li.appendChild(link);
      var parts = [a.received_at, a.title, a.category, a.status + (a.open ? " (" + box.dataset.open + ")" : ""), a.reporter];
      li.appendChild(document.createTextNode(" " + parts.filter(Boolean).join(" · ")));
      if (a.confidential) {
        var flag = document.createElement("span");
        flag.className = "light light-yellow"; flag.textContent = box.dataset.confidential;
        li.appendChild(document.createTextNode(" ")); li.appendChild(flag);
      }
      list.appendChild(li);
    });
    unmask.hidden = !data.may_unmask;
  }

  function load(method) {
    var value = digits(phone.value);
    if (value.replace(/^\+/, "").length < 7) { box.hidden = true; shown = ""; return; }
    if (method === "GET" && value === shown) return;
    shown = value;
    var init = {method: method, credentials: "same-origin", headers: {"Accept": "application/json"}};
    var url = box.dataset.url;
    if (method === "GET") {
      url += "?phone=" + encodeURIComponent(value);
    } else {
      var body = new FormData();
      body.append("phone", value);
      var token = form.querySelector("[name=csrfmiddlewaretoken]");
      if (token) init.headers["X-CSRFToken"] = token.value;
      init.body = body;
    }
    fetch(url, init).then(function (r) { return r.json(); }).then(render).catch(function () {
      box.hidden = false; list.textContent = ""; status.textContent = box.dataset.failed;
    });
  }

  phone.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { load("GET"); }, 350);
  });
  phone.addEventListener("change", function () { load("GET"); });
  unmask.addEventListener("click", function () { load("POST"); });
  if (phone.value) load("GET");
})();
