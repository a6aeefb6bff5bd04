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
