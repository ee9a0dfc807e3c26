/* 我的走访: the service worker. Served at /visits/sw.js by dropout.fieldwork_views, which puts
 * `const CONFIG = {app, static, staticPrefix, version}` in front of this text.
 *
 * - The app page (/visits/) opens from the cache at once and is refreshed from the network in
 *   the background (stale-while-revalidate), so that it opens with no signal at all.
 * - Static files are served from the cache first (their URLs change when they do).
 * - The API is never cached here: the app keeps its data in IndexedDB (static/pwa/store.js).
 */
/* global CONFIG */
"use strict";

const CACHE = "visits-" + CONFIG.version;

function isAppPage(url) {
  return url.origin === self.location.origin && url.pathname === CONFIG.app;
}

async function refreshAppPage(cache) {
  const response = await fetch(CONFIG.app, { credentials: "same-origin", redirect: "follow" });
  // A login page (the session ended) is not the app: keep the last good copy, if any.
  if (response.ok && !response.redirected) {
    await cache.put(CONFIG.app, response.clone());
  }
  return response;
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(CONFIG.static);
      try {
        await refreshAppPage(cache);
      } catch (error) {
        /* offline while installing: the page is cached on its next visit */
      }
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith("visits-") && name !== CACHE).map((name) => caches.delete(name))
      );
      await self.clients.claim();
    })()
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate" && isAppPage(url)) {
    event.respondWith(
      (async () => {
        const cache = await caches.open(CACHE);
        const cached = await cache.match(CONFIG.app);
        const fresh = refreshAppPage(cache).catch(() => null);
        if (cached) {
          event.waitUntil(fresh);
          return cached;
        }
        const response = await fresh;
        return response || new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } });
      })()
    );
    return;
  }

  if (url.pathname.startsWith(CONFIG.staticPrefix)) {
    event.respondWith(
      (async () => {
        const cache = await caches.open(CACHE);
        const cached = await cache.match(request, { ignoreSearch: true });
        if (cached) return cached;
        const response = await fetch(request);
        if (response.ok) await cache.put(request, response.clone());
        return response;
      })()
    );
  }
});
