/* The issues' map (issue 18): Leaflet, served by the service, draws the hromada's box and a marker for each
   issue of the list below that has a place. The list is the page: without this script, without Leaflet or
   without tiles it still names every issue. When the tiles cannot be loaded (no connection to the tile
   server), the markers stay on a plain background and a note says why the background is missing.
   Titles come from the list as text and are put into the map as text, never as markup. */
(function () {
  "use strict";
  var box = document.getElementById("issue-map");
  if (!box || typeof L === "undefined") return;

  function escapeText(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  var bounds = L.latLngBounds(
    [parseFloat(box.dataset.south), parseFloat(box.dataset.west)],
    [parseFloat(box.dataset.north), parseFloat(box.dataset.east)]
  );
  var map = L.map(box, { zoomControl: false, maxBounds: bounds.pad(0.5) });
  L.control.zoom({ zoomInTitle: box.dataset.zoomIn, zoomOutTitle: box.dataset.zoomOut }).addTo(map);
  map.attributionControl.setPrefix(false);
  map.fitBounds(bounds);
  box.classList.add("issue-map--ready");

  var note = document.getElementById("map-note");
  var failed = false;
  L.tileLayer(box.dataset.tiles, {
    maxZoom: 19,
    // The tile server is told which site asks (its usage policy wants it), never the page's address.
    referrerPolicy: "strict-origin-when-cross-origin",
    attribution: escapeText(box.dataset.attribution)
  })
    .on("tileerror", function () {
      if (failed) return;
      failed = true;
      box.classList.add("issue-map--no-tiles");
      if (note) note.hidden = false;
    })
    .addTo(map);

  var items = document.querySelectorAll("#issue-list [data-lat]");
  Array.prototype.forEach.call(items, function (item) {
    var link = item.querySelector("a");
    var title = "#" + item.dataset.number + " " + link.textContent;
    var marker = L.marker([parseFloat(item.dataset.lat), parseFloat(item.dataset.lon)], {
      title: title,
      keyboard: true,
      icon: L.divIcon({
        className: "issue-marker issue-marker--" + item.dataset.state,
        iconSize: [28, 28],
        iconAnchor: [14, 14],
        popupAnchor: [0, -14]
      })
    });
    var content = document.createElement("a");
    content.href = link.href;
    content.textContent = title;
    marker.bindPopup(content).addTo(map);
    item.dataset.marker = "1";
  });
  box.dataset.markers = String(items.length);
})();
