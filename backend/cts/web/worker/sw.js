/* CTS service worker (docs/offline.md). Served at /sw.js by cts.web.routes.offline, which fills in the two
   constants below: the static files, named by their content, and a version made from them.
   - Static files: from the cache first (their addresses change whenever their content does).
   - The pages that work offline (OFFLINE_PAGES): from the network first, each good answer kept; without a
     network, the kept copy, marked data-served="cache" so that the page says it is not current.
   - Nothing else is touched: other pages, every POST and the API always go to the network.
   - Nothing secret is kept: pages, as their signed-in reader last saw them; never a key or a password.
     Signing out clears it all (the server's Clear-Site-Data header); a page that now redirects (signed
     out elsewhere, session over) is dropped at once. */
"use strict";

var VERSION = "__CTS_VERSION__";
var ASSETS = __CTS_ASSETS__;
var STATIC_CACHE = "cts-static-" + VERSION;
var PAGES_CACHE = "cts-pages-v1";
var OFFLINE_PAGES = /^\/h\/[a-z0-9-]+\/(me|cases|record|verify|verify\/cases\/[0-9]+|council\/residents)$/;
var WARM_LIMIT = 40;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE).then(function (cache) {
      return cache.addAll(ASSETS);
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("cts-static-") === 0 && name !== STATIC_CACHE;
      }).map(function (name) {
        return caches.delete(name);
      }));
    }).then(function () {
      return self.clients.claim();
    })
  );
});

function isOfflinePage(url) {
  return url.origin === self.location.origin && OFFLINE_PAGES.test(url.pathname);
}

function pageKey(url) {
  return url.origin + url.pathname; // a notice in the query (?notice=...) is not part of the page
}

/* Keep a good answer; forget the page if it now sends the reader elsewhere (to sign in). */
function remember(url, response) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    var type = response.headers.get("Content-Type") || "";
    if (response.ok && !response.redirected && type.indexOf("text/html") === 0) {
      return cache.put(pageKey(url), response);
    }
    if (response.redirected || response.type === "opaqueredirect" || response.status === 401 ||
        response.status === 403) {
      return cache.delete(pageKey(url));
    }
    return undefined;
  });
}

function fromCache(url) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    return cache.match(pageKey(url));
  }).then(function (kept) {
    if (!kept) return Response.error();
    return kept.text().then(function (html) {
      var headers = new Headers(kept.headers);
      return new Response(html.replace('data-served="network"', 'data-served="cache"'), {
        status: 200,
        headers: headers
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(
      caches.match(request).then(function (kept) {
        return kept || fetch(request);
      })
    );
    return;
  }
  if (request.mode === "navigate" && isOfflinePage(url)) {
    event.respondWith(
      fetch(request).then(function (response) {
        event.waitUntil(remember(url, response.clone()));
        return response;
      }, function () {
        return fromCache(url);
      })
    );
  }
});

/* A page asks to keep the other pages its reader needs offline (a coordinator's record form and queue),
   so that they work without a network even if not opened since. */
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "warm" || !Array.isArray(data.urls)) return;
  var urls = data.urls.slice(0, WARM_LIMIT).map(function (href) {
    return new URL(href, self.location.origin);
  }).filter(isOfflinePage);
  event.waitUntil(Promise.all(urls.map(function (url) {
    return fetch(url.href, { credentials: "same-origin" }).then(function (response) {
      return remember(url, response);
    }, function () {
      return undefined;
    });
  })));
});
