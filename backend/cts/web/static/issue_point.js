/* Picking an issue's place on a map (issue 18): a small Leaflet map of the hromada's box above the latitude and
   longitude fields. A tap or click on it writes the point into the fields; typing in the fields moves the
   marker. The fields are the form: without this script, Leaflet or tiles, a person types the numbers. */
(function () {
  "use strict";
  var box = document.getElementById("point-map");
  if (!box || typeof L === "undefined") return;
  var lat = document.getElementById(box.dataset.lat);
  var lon = document.getElementById(box.dataset.lon);
  if (!lat || !lon) return;

  var bounds = L.latLngBounds(
    [parseFloat(box.dataset.south), parseFloat(box.dataset.west)],
    [parseFloat(box.dataset.north), parseFloat(box.dataset.east)]
  );
  box.hidden = false;
  var map = L.map(box, { zoomControl: false, maxBounds: bounds.pad(0.5) });
  L.control.zoom({ zoomInTitle: box.dataset.zoomIn, zoomOutTitle: box.dataset.zoomOut }).addTo(map);
  map.attributionControl.setPrefix(false);
  map.fitBounds(bounds);
  L.rectangle(bounds, { color: "#1f2937", weight: 2, fill: false, interactive: false }).addTo(map);
  L.tileLayer(box.dataset.tiles, {
    maxZoom: 19,
    referrerPolicy: "strict-origin-when-cross-origin",
    attribution: String(box.dataset.attribution).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
  })
    .on("tileerror", function () { box.classList.add("issue-map--no-tiles"); })
    .addTo(map);

  var marker = null;
  function place(point) {
    if (marker) marker.setLatLng(point);
    else marker = L.marker(point, {
      keyboard: false,
      icon: L.divIcon({ className: "issue-marker", iconSize: [28, 28], iconAnchor: [14, 14] })
    }).addTo(map);
  }
  function fromFields() {
    var a = parseFloat(lat.value.replace(",", ".")), b = parseFloat(lon.value.replace(",", "."));
    if (isFinite(a) && isFinite(b)) place([a, b]);
  }
  map.on("click", function (event) {
    if (!bounds.contains(event.latlng)) return;
    lat.value = event.latlng.lat.toFixed(6);
    lon.value = event.latlng.lng.toFixed(6);
    place(event.latlng);
  });
  lat.addEventListener("change", fromFields);
  lon.addEventListener("change", fromFields);
  fromFields();
})();
