// The check-in scanner's service worker: keeps the scanner page, its scripts and styles on the
// device so the door keeps working when the venue Wi-Fi drops, and a reload offline still opens.
//
// Served at /checkin-sw.js (conference/checkin/views.py) and registered by static/js/scanner.js
// with the scope /organiser/events/<slug>/checkin/ only: no other page of the site is ever
// answered from here. API calls, Socket.IO and every POST go straight to the network; the page
// keeps its own offline queue in IndexedDB.
//
// Pages and files are network-first (the newest version whenever the network answers within a
// few seconds) and fall back to the copy kept here, so a deploy never leaves a phone running
// yesterday's script against today's page.

const VERSION = "2";
const ASSETS = [
  "/static/css/known.css",
  "/static/css/scanner.css",
  "/static/js/base.js",
  "/static/js/scanner.js",
  "/static/js/scanner-token.js",
  "/static/js/scanner-store.js",
  "/static/js/scanner-camera.js",
  "/static/js/scanner-feedback.js",
  "/static/js/realtime.js",
  "/static/vendor/jsQR.js",
  "/static/vendor/socket.io.esm.min.js",
  "/static/img/icon.svg",
  "/static/img/checkin-192.png",
];
const ASSET_CACHE = `known-checkin-assets-${VERSION}`;
const PAGE_CACHE = "known-checkin-pages";
const NAVIGATION_TIMEOUT_MS = 4000;
const ASSET_TIMEOUT_MS = 2500;

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("known-checkin-assets-") && name !== ASSET_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function precache(extra = [], onlyMissing = false) {
  const cache = await caches.open(ASSET_CACHE);
  const urls = [...new Set([...ASSETS, ...extra.filter((url) => sameOrigin(url))])]
    .map((url) => stripSearch(new URL(url, self.location.origin).href));
  // One by one: a missing optional file must not stop the worker from installing.
  await Promise.all(urls.map(async (url) => {
    // Bad Wi-Fi: what is already kept is refreshed by normal (network-first) loads instead.
    if (onlyMissing && (await cache.match(url))) return;
    try {
      const response = await fetch(url, { cache: "reload", credentials: "same-origin" });
      if (response.ok) await cache.put(url, response);
    } catch { /* offline while installing: the next install tries again */ }
  }));
}

// The page asks for its own URL (with ?list=) to be kept: its first load came before the worker.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "cache-pages") return;
  const reply = event.ports && event.ports[0];
  event.waitUntil((async () => {
    const cached = [];
    await precache(data.assets || [], true);
    const pages = await caches.open(PAGE_CACHE);
    for (const url of data.urls || []) {
      if (!inScope(url)) continue;
      // Once the worker controls the page, every load of it refreshes this copy already.
      if (await pages.match(url)) {
        cached.push(url);
        continue;
      }
      try {
        const response = await fetch(url, { credentials: "same-origin", redirect: "manual" });
        if (isCacheablePage(response)) {
          await pages.put(url, response);
          cached.push(url);
        }
      } catch { /* offline: the page stays as last cached */ }
    }
    if (reply) reply.postMessage({ ok: cached.length === (data.urls || []).length, cached, version: VERSION });
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    if (inScope(request.url)) event.respondWith(pageNetworkFirst(event));
    return;
  }
  if (url.pathname.startsWith("/static/")) event.respondWith(assetNetworkFirst(event));
});

function sameOrigin(url) {
  try {
    return new URL(url, self.location.origin).origin === self.location.origin;
  } catch {
    return false;
  }
}

function inScope(url) {
  return new URL(url, self.location.origin).href.startsWith(self.registration.scope);
}

function isCacheablePage(response) {
  // Never keep a redirect to the login page or an error in place of the scanner.
  return response.ok && response.type === "basic" && !response.redirected
    && (response.headers.get("Content-Type") || "").startsWith("text/html");
}

async function pageNetworkFirst(event) {
  const request = event.request;
  const pages = await caches.open(PAGE_CACHE);
  const network = fetch(request).then(async (response) => {
    if (isCacheablePage(response)) await pages.put(request.url, response.clone());
    return response;
  });
  // Bad Wi-Fi: after a few seconds without an answer the cached page is better than a spinner;
  // the network answer, when it comes, still refreshes the cache for next time.
  event.waitUntil(network.catch(() => null));
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), NAVIGATION_TIMEOUT_MS));
  try {
    const response = await Promise.race([network, timeout]);
    if (response) return response;
  } catch { /* offline */ }
  const cached = (await pages.match(request.url)) || (await pages.match(request.url, { ignoreSearch: true }));
  if (cached) return markOffline(cached);
  return network.catch(() => offlinePage());
}

async function markOffline(response) {
  const headers = new Headers(response.headers);
  headers.set("X-Known-Offline-Copy", "1");
  return new Response(await response.blob(), { status: response.status, statusText: response.statusText, headers });
}

function offlinePage() {
  const html = "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
    + "<title>Offline</title><h1>Offline</h1><p>This page was not saved on this device yet. "
    + "Open the scanner once while online and it will work offline afterwards.</p>";
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function assetNetworkFirst(event) {
  const request = event.request;
  const cache = await caches.open(ASSET_CACHE);
  const network = fetch(request).then(async (response) => {
    if (response.ok && response.type === "basic") await cache.put(stripSearch(request.url), response.clone());
    return response;
  });
  event.waitUntil(network.catch(() => null));
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), ASSET_TIMEOUT_MS));
  try {
    const response = await Promise.race([network, timeout]);
    if (response) return response;
  } catch { /* offline */ }
  const cached = await cache.match(stripSearch(request.url));
  if (cached) return cached;
  return network;
}

function stripSearch(url) {
  const clean = new URL(url);
  clean.search = "";
  return clean.href;
}
