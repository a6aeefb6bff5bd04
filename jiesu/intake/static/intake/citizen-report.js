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
/* 随手拍 page: map pin (Leaflet, works without tiles), photo preview, anonymous toggle. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;

  // -- error summary gets the focus after a refused submission --------------------------------
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  // -- map ------------------------------------------------------------------------------------
  var mapEl = document.getElementById("map");
  var latInput = form.querySelector("input[name=lat]");
  var lngInput = form.querySelector("input[name=lng]");
  var statusEl = document.getElementById("pin-status");
  var map = null, marker = null;

  function showStatus() {
    if (!statusEl) return;
    if (latInput.value && lngInput.value) {
      statusEl.textContent = mapEl.dataset.picked
        .replace("{lat}", Number(latInput.value).toFixed(5))
        .replace("{lng}", Number(lngInput.value).toFixed(5));
    } else {
      statusEl.textContent = mapEl.dataset.none;
    }
  }

  function setPin(latlng) {
    latInput.value = latlng.lat.toFixed(6);
    lngInput.value = latlng.lng.toFixed(6);
    if (map) {
      if (!marker) {
        marker = L.marker(latlng, { draggable: true, keyboard: true, title: mapEl.dataset.picked });
        marker.on("dragend", function () { setPin(marker.getLatLng()); });
        marker.addTo(map);
      } else {
        marker.setLatLng(latlng);
      }
    }
    showStatus();
  }

  function clearPin() {
    latInput.value = "";
    lngInput.value = "";
    if (marker) { marker.remove(); marker = null; }
    showStatus();
  }

  if (mapEl && window.L) {
    var config = JSON.parse(document.getElementById("map-config").textContent);
    var outline = JSON.parse(document.getElementById("district-outline").textContent);
    L.Icon.Default.imagePath = mapEl.dataset.icons || L.Icon.Default.imagePath;
    map = L.map(mapEl, { attributionControl: !!config.attribution, zoomSnap: 0.25 });
    if (config.tiles) {
      L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.attribution || "" }).addTo(map);
    }
    var layer = L.geoJSON(outline, {
      style: function (feature) {
        var district = feature.properties.level === "district";
        return {
          color: district ? "#0842a0" : "#5f6368",
          weight: district ? 3 : 1,
          dashArray: district ? null : "4 4",
          fillColor: "#d3e3fd",
          fillOpacity: district ? 0.25 : 0,
        };
      },
      interactive: false, // taps go to the map: the outline is only a guide
    }).addTo(map);
    if (outline.features.length) {
      map.fitBounds(layer.getBounds(), { padding: [8, 8] });
    } else {
      map.setView(config.centre, 13);
    }
    map.on("click", function (e) { setPin(e.latlng); });
    if (latInput.value && lngInput.value) {
      setPin(L.latLng(Number(latInput.value), Number(lngInput.value)));
    }
  }
  showStatus();

  var centreBtn = document.getElementById("pin-centre");
  if (centreBtn) centreBtn.addEventListener("click", function () { if (map) setPin(map.getCenter()); });
  var clearBtn = document.getElementById("pin-clear");
  if (clearBtn) clearBtn.addEventListener("click", clearPin);
  var hereBtn = document.getElementById("pin-here");
  if (hereBtn) {
    if (!navigator.geolocation) {
      hereBtn.hidden = true;
    } else {
      hereBtn.addEventListener("click", function () {
        statusEl.textContent = mapEl.dataset.locating;
        navigator.geolocation.getCurrentPosition(function (pos) {
          var latlng = L.latLng(pos.coords.latitude, pos.coords.longitude);
          setPin(latlng);
          if (map) map.setView(latlng, Math.max(map.getZoom(), 15));
        }, function () {
          statusEl.textContent = mapEl.dataset.noLocation;
        }, { enableHighAccuracy: true, timeout: 10000 });
      });
    }
  }

  // -- photo preview --------------------------------------------------------------------------
  var input = form.querySelector("input[type=file][name=photos]");
  var preview = document.getElementById("photo-preview");
  var urls = [];
  if (input && preview) {
    input.addEventListener("change", function () {
      urls.forEach(function (u) { URL.revokeObjectURL(u); });
      urls = [];
      preview.textContent = "";
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) return;
      var room = Number(preview.dataset.max) - Number(preview.dataset.kept || 0);
      var label = document.createElement("p");
      label.className = "help";
      label.textContent = preview.dataset.chosen.replace("{n}", String(files.length));
      preview.appendChild(label);
      files.forEach(function (file, i) {
        if (file.type.indexOf("image/") === 0 && file.type !== "image/heic" && file.type !== "image/heif") {
          var url = URL.createObjectURL(file);
          urls.push(url);
          var img = document.createElement("img");
          img.src = url;
          img.alt = file.name;
          img.width = 96;
          img.height = 96;
          preview.appendChild(img);
        } else {
          var span = document.createElement("span");
          span.className = "video";
          span.textContent = file.name.slice(0, 12);
          preview.appendChild(span);
        }
        if (i + 1 === room && files.length > room) {
          var warn = document.createElement("p");
          warn.className = "errors";
          warn.textContent = preview.dataset.tooMany;
          preview.appendChild(warn);
        }
      });
    });
  }

  // -- anonymous: no name, no phone, nothing to keep confidential -----------------------------
  var anonymous = form.querySelector("input[name=anonymous]");
  var contact = document.getElementById("contact-fields");
  function syncAnonymous() {
    if (!anonymous || !contact) return;
    contact.hidden = anonymous.checked;
    contact.querySelectorAll("input").forEach(function (el) { el.disabled = anonymous.checked; });
  }
  if (anonymous) {
    anonymous.addEventListener("change", syncAnonymous);
    syncAnonymous();
  }

  // -- one submission at a time (the server is idempotent anyway) -----------------------------
  form.addEventListener("submit", function () {
    var button = document.getElementById("submit");
    if (!button) return;
    window.setTimeout(function () {
      button.disabled = true;
      button.textContent = form.dataset.submitting;
    }, 0);
  });
})();
