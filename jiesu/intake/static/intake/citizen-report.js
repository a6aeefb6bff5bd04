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

  // -- error summary (or the question about the place) gets the focus after a refused send ---
  var summary = document.getElementById("error-summary") || document.getElementById("location-check");
  if (summary) summary.focus();

  // -- map ------------------------------------------------------------------------------------
  // Each pin remembers the coordinate system of its source: the browser's position and the
  // district's own places are WGS84; a tap on the map is in the system of the map's tiles
  // (GCJ-02 for AMap or Tencent tiles). The server converts to WGS84 (jiesu.org.coords).
  var mapEl = document.getElementById("map");
  var latInput = form.querySelector("input[name=lat]");
  var lngInput = form.querySelector("input[name=lng]");
  var systemInput = form.querySelector("input[name=coord_system]");
  var statusEl = document.getElementById("pin-status");
  var placeBox = document.getElementById("field-place");
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var mapSystem = config.coord_system || "wgs84";
  var map = null, marker = null;

  function showStatus(text) {
    if (!statusEl) return;
    var pinned = latInput.value && lngInput.value;
    statusEl.classList.toggle("pin-missing", !pinned);
    if (text) {
      statusEl.textContent = text;
    } else if (pinned) {
      statusEl.textContent = statusEl.dataset.picked
        .replace("{lat}", Number(latInput.value).toFixed(5))
        .replace("{lng}", Number(lngInput.value).toFixed(5));
    } else {
      statusEl.textContent = statusEl.dataset.none;
    }
    if (pinned && placeBox) placeBox.classList.remove("place-missing");
  }

  function setPin(latlng, system, text) {
    latInput.value = latlng.lat.toFixed(6);
    lngInput.value = latlng.lng.toFixed(6);
    if (systemInput) systemInput.value = system || mapSystem;
    if (map) {
      if (!marker) {
        marker = L.marker(latlng, { draggable: true, keyboard: true, title: statusEl.dataset.pinTitle });
        marker.on("dragend", function () { setPin(marker.getLatLng(), mapSystem); });
        marker.addTo(map);
      } else {
        marker.setLatLng(latlng);
      }
    }
    showStatus(text);
  }

  function clearPin() {
    latInput.value = "";
    lngInput.value = "";
    if (systemInput) systemInput.value = "";
    if (marker) { marker.remove(); marker = null; }
    showStatus();
  }

  if (mapEl && window.L) {
    var outline = JSON.parse(document.getElementById("district-outline").textContent);
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
    map.on("click", function (e) { setPin(e.latlng, mapSystem); });
    if (latInput.value && lngInput.value) {
      setPin(L.latLng(Number(latInput.value), Number(lngInput.value)),
        (systemInput && systemInput.value) || "wgs84");
    }
  }
  showStatus();

  var centreBtn = document.getElementById("pin-centre");
  if (centreBtn) centreBtn.addEventListener("click", function () { if (map) setPin(map.getCenter(), mapSystem); });
  var clearBtn = document.getElementById("pin-clear");
  if (clearBtn) clearBtn.addEventListener("click", clearPin);
  var hereBtn = document.getElementById("pin-here");
  if (hereBtn) {
    if (!navigator.geolocation) {
      hereBtn.hidden = true;
    } else {
      hereBtn.addEventListener("click", function () {
        showStatus(statusEl.dataset.locating);
        navigator.geolocation.getCurrentPosition(function (pos) {
          var latlng = { lat: pos.coords.latitude, lng: pos.coords.longitude };
          setPin(latlng, "wgs84"); // the Geolocation API gives WGS84
          if (map) map.setView(latlng, Math.max(map.getZoom(), 15));
        }, function () {
          showStatus(statusEl.dataset.noLocation);
        }, { enableHighAccuracy: true, timeout: 10000 });
      });
    }
  }

  // -- place search over the district's own subdistricts and communities ----------------------
  var places = JSON.parse((document.getElementById("district-places") || {}).textContent || "[]");
  var searchBox = document.getElementById("place-search-box");
  var search = document.getElementById("place-search");
  var results = document.getElementById("place-results");
  function pickPlace(place) {
    var centre = { lat: place.lat, lng: place.lng };
    if (map && place.bounds) map.fitBounds(place.bounds, { padding: [8, 8] });
    else if (map) map.setView(centre, 15);
    setPin(centre, "wgs84", statusEl.dataset.near.replace("{place}", place.name));
    results.textContent = "";
    search.value = place.name;
  }
  function matches(text) {
    var q = text.replace(/\s+/g, "");
    if (!q) return [];
    var found = places.filter(function (p) { return p.name.indexOf(q) >= 0; });
    found.sort(function (a, b) { // exact, then starting with the text, then shorter names
      return (b.name === q) - (a.name === q) ||
        (b.name.indexOf(q) === 0) - (a.name.indexOf(q) === 0) ||
        a.name.length - b.name.length;
    });
    return found.slice(0, 8);
  }
  function showResults() {
    results.textContent = "";
    var found = matches(search.value);
    if (!found.length) {
      if (search.value.trim()) {
        var none = document.createElement("li");
        none.className = "help";
        none.textContent = results.dataset.none;
        results.appendChild(none);
      }
      return found;
    }
    found.forEach(function (place) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button place-result";
      button.textContent = place.within ? place.name + " · " + place.within : place.name;
      button.addEventListener("click", function () { pickPlace(place); });
      li.appendChild(button);
      results.appendChild(li);
    });
    return found;
  }
  if (search && results && places.length) {
    searchBox.hidden = false;
    search.addEventListener("input", showResults);
    search.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") return;
      e.preventDefault(); // never sends the form
      var found = showResults();
      if (found.length === 1 || (found.length && found[0].name === search.value.trim())) {
        pickPlace(found[0]);
      }
    });
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
