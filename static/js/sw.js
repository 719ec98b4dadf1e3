/* The service worker, served from /sw.js (so its scope is the whole site)
 * by server/web/pwa.py, which fills in VERSION, SHELL and OUTBOX below.
 *
 * - install: precache the app shell (CSS, JS, icons, the offline page) under
 *   a cache named after VERSION, which changes whenever any of them changes;
 * - activate: delete older shell caches and take control of open pages;
 * - navigations: network first; with no network (or none within a few
 *   seconds), the copy the inspector downloaded for offline use, else the
 *   offline page;
 * - shell files: from the cache (their URLs carry a content hash);
 * - photos: from the network, or the downloaded copy when there is none;
 * - everything else, POSTs and /api/ above all: straight to the network,
 *   never cached (private data stays off the phone unless the inspector
 *   chose to download it: the "offline-data" cache, filled and emptied by
 *   static/js/offline.js, never by this worker on its own);
 * - sync (Background Sync, where the browser has it): send the outbox, with
 *   the same code the pages use (static/js/outbox.js).
 */
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const CACHE = "shell-" + VERSION;
const DATA_CACHE = "offline-data";
const OFFLINE_URL = "/offline";
const NETWORK_WAIT_MS = 4000;  // a bar of signal that answers nothing: show the downloaded copy instead

importScripts(__OUTBOX__);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("shell-") && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

function downloaded(request, options) {
  return caches.match(request, Object.assign({ cacheName: DATA_CACHE, ignoreVary: true }, options || {}));
}

// Network first. A page the inspector downloaded is refreshed in its cache
// when it comes from the network, and served from it when the network fails.
async function page(request) {
  const copy = await downloaded(request, { ignoreSearch: true });
  const network = fetch(request).then(async (response) => {
    if (copy && response.ok && !response.redirected) {
      const cache = await caches.open(DATA_CACHE);
      await cache.put(new URL(request.url).pathname, response.clone());
    }
    return response;
  });
  if (!copy) return network.catch(() => caches.match(OFFLINE_URL, { cacheName: CACHE }));
  const slow = new Promise((resolve) => setTimeout(() => resolve(copy), NETWORK_WAIT_MS));
  return Promise.race([network.catch(() => copy), slow]);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // never touch POSTs
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    event.respondWith(page(request));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request, { cacheName: CACHE }).then((hit) => hit || fetch(request)));
    return;
  }
  if (url.pathname.startsWith("/photos/")) {
    event.respondWith(fetch(request).catch(() => downloaded(request).then((hit) => hit || Response.error())));
  }
});

// Background Sync: the browser wakes us when there is signal, even with no
// page open. A failed run rejects, so the browser tries again later.
self.addEventListener("sync", (event) => {
  if (event.tag !== "outbox") return;
  event.waitUntil(self.Outbox.sync({}).then((result) => {
    if (result.state === "retry" || result.state === "offline") throw new Error("outbox: try again later");
  }));
});
