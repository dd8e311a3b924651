// The service worker for browser push: shows each message (title, body, link) and opens its link on
// a click. Its scope is /static/ (where it is served): push does not depend on scope, and this worker
// intercepts no page's requests. The message's tag is its event, so a repeat replaces, not adds.
"use strict";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

function safeLink(url) {
  try {
    var parsed = new URL(url, self.location.origin);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch (e) {
    return null;
  }
}

self.addEventListener("push", function (event) {
  var message = {};
  if (event.data) {
    try {
      message = event.data.json();
    } catch (e) {
      message = { body: event.data.text() };
    }
  }
  var options = {
    body: typeof message.body === "string" ? message.body : "",
    data: { url: safeLink(message.url || "") },
  };
  if (typeof message.tag === "string" && message.tag) options.tag = message.tag;
  var title = typeof message.title === "string" && message.title ? message.title : "Status update";
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = event.notification.data && event.notification.data.url;
  if (!url) return;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === url && "focus" in windows[i]) return windows[i].focus();
      }
      return self.clients.openWindow(url);
    })
  );
});
