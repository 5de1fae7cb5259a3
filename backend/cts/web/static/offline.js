/* CTS offline capture (docs/offline.md). Plain script, no library, no build.
   - Registers the service worker (/sw.js), which keeps the pages a person needs without a network, and asks
     it to keep them now ("warm").
   - A form marked data-offline (a case recorded for a resident, an approval or a rejection, a resident's
     registration) submitted while the browser is offline is saved on this device (IndexedDB) instead, with a
     one-time key made here; the form is cleared for the next one.
   - When the network is back (and on every page opened online) what waits is sent, oldest first, one at a
     time, with its key and the header X-CTS-Offline: the server runs each key once (cts.web.forms) and says
     in JSON whether it was done, refused (the reason, in the person's language), or should be sent later.
     Refused ones stay listed with their reason until removed; done ones leave the device.
   - Nothing secret is kept: the form's fields and file, never the CSRF token (a fresh one is read when
     sending), a key or a password. Signing out deletes all of it. */
(function () {
  "use strict";
  var body = document.body;
  var scope = body.dataset.offlineScope || "";
  var panel = document.querySelector("[data-outbox]");
  var banner = document.querySelector("[data-offline-banner]");
  var DB_NAME = "cts-offline";
  var STORE = "outbox";
  var LIMIT = 100; // actions kept per person and hromada; each may carry a photo (docs/offline.md)
  var RETRY_MS = 30000;
  var sent = [];
  var syncing = false;

  function text(name, values) {
    var found = panel ? panel.getAttribute("data-t-" + name) || "" : "";
    Object.keys(values || {}).forEach(function (key) {
      found = found.split("{" + key + "}").join(String(values[key]));
    });
    return found;
  }

  // ------------------------------------------------------------ the "not current" banner

  // Shown while there is no network, on a page kept from earlier or on one that lost it; once the network is
  // back the page says no more (a reload shows it as it is now).
  function showBanner() {
    if (banner) banner.hidden = navigator.onLine && body.dataset.served !== "cache";
  }
  showBanner();
  window.addEventListener("offline", showBanner);

  // ------------------------------------------------------------ the service worker

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(warm).catch(function () { /* no worker (a private window): the pages work online as before */ });
  }

  function warm(registration) {
    if (!navigator.onLine || body.dataset.served !== "network" || !registration.active) return;
    // At most once a minute per person: every page opened online refreshes its own copy anyway.
    var mark = "cts-warmed-" + scope;
    var last = Number(sessionStorage.getItem(mark) || 0);
    if (Date.now() - last < 60000) return;
    sessionStorage.setItem(mark, String(Date.now()));
    var urls = (body.dataset.offlinePages || "").split(" ").filter(Boolean);
    document.querySelectorAll("a[data-offline-keep]").forEach(function (link) {
      urls.push(link.getAttribute("href"));
    });
    if (navigator.serviceWorker.controller) {
      // This page itself came through the worker, which kept it already.
      urls = urls.filter(function (url) { return url !== location.pathname; });
    }
    if (urls.length) registration.active.postMessage({ type: "warm", urls: urls });
  }

  // ------------------------------------------------------------ IndexedDB, in promises

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "key" });
        store.createIndex("scope", "scope");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () {
          db.close();
          resolve(request ? request.result : undefined);
        };
        transaction.onerror = transaction.onabort = function () {
          db.close();
          reject(transaction.error);
        };
      });
    });
  }

  function mine() {
    return withStore("readonly", function (store) {
      return store.index("scope").getAll(scope);
    }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.savedAt - b.savedAt; });
    });
  }

  function save(item) {
    return withStore("readwrite", function (store) { return store.put(item); });
  }

  function forget(key) {
    return withStore("readwrite", function (store) { return store.delete(key); });
  }

  function forgetAll() {
    return mine().then(function (items) {
      return withStore("readwrite", function (store) {
        items.forEach(function (item) { store.delete(item.key); });
        return null;
      });
    });
  }

  // ------------------------------------------------------------ capturing a form

  function newKey() {
    var bytes = new Uint8Array(18);
    crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_");
  }

  function labelOf(form, element) {
    var label = element.id ? form.querySelector('label[for="' + element.id + '"]') : null;
    return label ? label.textContent.trim() : element.name;
  }

  // What the person chose, in words: the options' texts, the file's name, what was typed, the button.
  function describe(form, submitter) {
    var parts = [];
    var labels = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || element.type === "hidden" || element.disabled) return;
      labels[element.name] = labelOf(form, element);
      if (element.tagName === "SELECT" && element.value) {
        parts.push(element.options[element.selectedIndex].text.trim());
      } else if (element.type === "file" && element.files && element.files.length) {
        parts.push(element.files[0].name);
      } else if (element.type === "checkbox" && element.checked) {
        parts.push(labelOf(form, element));
      } else if ((element.tagName === "TEXTAREA" || element.type === "text") && element.value.trim()) {
        parts.push(element.value.trim().slice(0, 80));
      }
    });
    if (submitter && submitter.name && submitter.textContent.trim()) parts.push(submitter.textContent.trim());
    return { summary: parts.join(" · "), labels: labels };
  }

  function capture(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var fields = [];
    data.forEach(function (value, name) {
      if (name === "csrf_token" || name === "form_key") return;
      if (value instanceof File) {
        if (value.name || value.size) fields.push({ name: name, file: value, filename: value.name });
      } else {
        fields.push({ name: name, value: value });
      }
    });
    var described = describe(form, submitter);
    return mine().then(function (items) {
      if (items.length >= LIMIT) {
        status(text("full", { count: items.length }));
        return;
      }
      return save({
        key: newKey(), // never the page's own key: a page kept from earlier may have sent it already
        scope: scope,
        url: form.action,
        what: form.dataset.offline,
        summary: described.summary,
        labels: described.labels,
        fields: fields,
        savedAt: Date.now(),
        state: "waiting"
      }).then(function () {
        form.reset();
        if (submitter && submitter.name) submitter.disabled = true; // this case's button: saved already
        status(text("saved"));
        return show();
      });
    });
  }

  function release(form) {
    delete form.dataset.sending; // cts.js marked it as being sent
    form.querySelectorAll("[aria-busy]").forEach(function (element) { element.removeAttribute("aria-busy"); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !scope) return;
    if (form.classList.contains("signout")) {
      signOut(event, form);
      return;
    }
    if (!form.dataset.offline || navigator.onLine || event.defaultPrevented) return;
    event.preventDefault();
    release(form);
    capture(form, event.submitter).catch(function (error) { status(String(error)); });
  });

  // Signing out deletes what this device keeps (the server's Clear-Site-Data does too): first a warning if
  // something was not sent.
  function signOut(event, form) {
    if (form.dataset.confirmed === "1") return;
    event.preventDefault();
    release(form);
    mine().then(function (items) {
      var waiting = items.filter(function (item) { return item.state === "waiting"; });
      if (waiting.length && form.dataset.warned !== "1") {
        form.dataset.warned = "1";
        status(text("signout"));
        if (panel) panel.scrollIntoView();
        return;
      }
      form.dataset.confirmed = "1";
      return forgetAll().then(function () {
        return window.caches ? caches.delete("cts-pages-v1") : null;
      }).then(function () { form.submit(); });
    }).catch(function () { form.submit(); });
  }

  // ------------------------------------------------------------ sending

  function freshToken() {
    // The page may be a copy kept from another visit: read the CSRF token of the session as it is now.
    var home = (body.dataset.offlinePages || "").split(" ")[0] || location.pathname;
    return fetch(home, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (response.redirected || !response.ok) return null;
      return response.text().then(function (html) {
        var found = new DOMParser().parseFromString(html, "text/html").querySelector('input[name="csrf_token"]');
        return found ? found.value : null;
      });
    });
  }

  function sendOne(item, token) {
    var form = new FormData();
    form.append("csrf_token", token);
    form.append("form_key", item.key);
    item.fields.forEach(function (field) {
      if (field.file) form.append(field.name, field.file, field.filename);
      else form.append(field.name, field.value);
    });
    return fetch(item.url, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-CTS-Offline": "1" }
    }).then(function (response) {
      if (response.type === "opaqueredirect") return { outcome: "signin" };
      return response.json().catch(function () { return { outcome: "retry", message: "" }; });
    }, function () {
      return { outcome: "offline" };
    });
  }

  function reasonOf(answer, item) {
    var errors = answer.errors || {};
    var names = Object.keys(errors);
    if (!names.length) return answer.message || "";
    return names.map(function (name) {
      return (item.labels && item.labels[name] ? item.labels[name] + ": " : "") + errors[name];
    }).join(" ");
  }

  function sendWaiting() {
    return mine().then(function (items) {
      var waiting = items.filter(function (item) { return item.state === "waiting"; });
      if (!waiting.length) return;
      status(text("sending"));
      return freshToken().then(function (token) {
        if (!token) {
          status(text("sign-in"));
          return;
        }
        var count = 0;
        var next = function (index) {
          if (index >= waiting.length) {
            status(text("sent", { count: count }));
            return;
          }
          var item = waiting[index];
          return sendOne(item, token).then(function (answer) {
            if (answer.outcome === "done") {
              count += 1;
              sent.push({ what: item.what, summary: item.summary, redirect: answer.redirect });
              return forget(item.key).then(function () { return next(index + 1); });
            }
            if (answer.outcome === "refused") {
              item.state = "refused";
              item.reason = reasonOf(answer, item);
              item.refusedAt = Date.now();
              return save(item).then(function () { return next(index + 1); });
            }
            if (answer.outcome === "signin") {
              status(text("sign-in"));
            } else if (answer.outcome === "offline") {
              status(text("offline"));
            } else {
              status(text("not-sent", { reason: answer.message || "" }));
            }
            return undefined; // the rest waits for the next try
          });
        };
        return next(0);
      });
    });
  }

  function sync() {
    if (!navigator.onLine) {
      if (panel && !panel.hidden) status(text("offline"));
      return Promise.resolve();
    }
    if (syncing || !scope) return Promise.resolve();
    syncing = true;
    // One tab sends at a time; a second tab (or a retry) gets the server's first answer anyway.
    var run = navigator.locks ? navigator.locks.request("cts-offline-sync", sendWaiting) : sendWaiting();
    return run.catch(function (error) {
      status(String(error));
    }).then(function () {
      syncing = false;
      return show();
    });
  }

  // ------------------------------------------------------------ showing what waits

  function status(message) {
    if (!panel) return;
    panel.hidden = false;
    panel.querySelector("[data-outbox-status]").textContent = message;
  }

  function when(moment) {
    try {
      // Kyiv time, as every time on the pages (their footer says so).
      return new Intl.DateTimeFormat(document.documentElement.lang, {
        dateStyle: "medium", timeStyle: "short", timeZone: "Europe/Kyiv"
      }).format(new Date(moment));
    } catch (error) {
      return new Date(moment).toLocaleString();
    }
  }

  function entry(item, reason) {
    var li = document.createElement("li");
    li.className = "outbox__item";
    li.dataset.key = item.key || "";
    var what = document.createElement("p");
    var name = document.createElement("strong");
    name.textContent = item.what + ": ";
    what.appendChild(name);
    what.appendChild(document.createTextNode(item.summary));
    li.appendChild(what);
    if (item.savedAt) {
      var saved = document.createElement("p");
      saved.className = "hint";
      saved.textContent = text("saved-at", { time: when(item.savedAt) });
      li.appendChild(saved);
    }
    if (reason) {
      var why = document.createElement("p");
      why.className = "outbox__reason";
      why.dataset.testid = "outbox-reason";
      why.textContent = reason;
      li.appendChild(why);
    }
    return li;
  }

  function removeButton(item) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--small button--ghost";
    button.textContent = text("remove");
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = ": " + item.what + " · " + item.summary;
    button.appendChild(hidden);
    button.addEventListener("click", function () {
      forget(item.key).then(show);
    });
    return button;
  }

  function fill(group, entries) {
    var box = panel.querySelector('[data-outbox-group="' + group + '"]');
    var list = box.querySelector("ul");
    list.textContent = "";
    entries.forEach(function (li) { list.appendChild(li); });
    box.hidden = entries.length === 0;
  }

  function show() {
    if (!panel) return Promise.resolve();
    return mine().then(function (items) {
      var waiting = items.filter(function (item) { return item.state === "waiting"; });
      var refused = items.filter(function (item) { return item.state === "refused"; });
      fill("waiting", waiting.map(function (item) {
        var li = entry(item, "");
        li.appendChild(removeButton(item));
        return li;
      }));
      fill("refused", refused.map(function (item) {
        var li = entry(item, item.reason);
        li.appendChild(removeButton(item));
        return li;
      }));
      fill("sent", sent.map(function (item) {
        var li = entry(item, "");
        var link = document.createElement("a");
        link.href = item.redirect;
        link.textContent = text("status");
        li.appendChild(link);
        return li;
      }));
      var said = panel.querySelector("[data-outbox-status]").textContent;
      panel.hidden = !(waiting.length || refused.length || sent.length || said);
      body.dataset.outboxWaiting = String(waiting.length);
      body.dataset.outboxRefused = String(refused.length);
    });
  }

  if (!scope || !window.indexedDB) return;
  if (panel) {
    panel.querySelector("[data-outbox-send]").addEventListener("click", function () { sync(); });
  }
  window.addEventListener("online", function () {
    if (banner) banner.hidden = true;
    sync();
  });
  show().then(sync);
  setInterval(function () {
    if (body.dataset.outboxWaiting && body.dataset.outboxWaiting !== "0") sync();
  }, RETRY_MS);
})();
