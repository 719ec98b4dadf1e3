/* The service worker, served from /sw.js (so its scope is the whole site)
 * by server/web/pwa.py, which fills in VERSION and SHELL below.
 *
 * - install: precache the app shell (CSS, JS, icons, the offline page) under
 *   a cache named after VERSION, which changes whenever any of them changes;
 * - activate: delete older shell caches and take control of open pages;
 * - navigations: network first; with no network, the offline page;
 * - shell files: from the cache (their URLs carry a content hash);
 * - everything else, POSTs and /api/ above all: straight to the network,
 *   never cached (private data stays off the phone unless the inspector
 *   chose to download it for offline use).
 */
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const CACHE = "shell-" + VERSION;
const OFFLINE_URL = "/offline";

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

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // never touch POSTs
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL, { cacheName: CACHE })));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request, { cacheName: CACHE }).then((hit) => hit || fetch(request)));
  }
});
