// "Notify me in this browser": shown only where Web Push works. On a click it asks for permission,
// registers the service worker (push-sw.js), subscribes with the server's VAPID key and sends the
// subscription to the page's /subscribe/push/. A GET there gives the key and a CSRF token: the
// status page is a snapshot shared by everyone and carries neither.
(function () {
  "use strict";
  var box = document.querySelector("[data-push-subscribe]");
  if (!box) return;
  var supported = window.isSecureContext && "serviceWorker" in navigator && "PushManager" in window &&
    "Notification" in window && typeof window.fetch === "function";
  if (!supported) return; // the box stays hidden
  var button = box.querySelector("[data-push-start]");
  var status = box.querySelector("[data-push-status]");
  box.hidden = false;
  if (Notification.permission === "denied") blocked();

  function say(text) {
    while (status.firstChild) status.removeChild(status.firstChild);
    if (text) status.appendChild(document.createTextNode(text));
  }

  function blocked() {
    button.disabled = true;
    say("Notifications are blocked for this site in your browser's settings.");
  }

  function keyBytes(base64url) {
    var base64 = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(base64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function sameKey(subscription, key) {
    var current = subscription.options && subscription.options.applicationServerKey;
    if (!current) return true; // the browser doesn't say: keep it, the server checks the keys
    current = new Uint8Array(current);
    return current.length === key.length && current.every(function (b, i) { return b === key[i]; });
  }

  // pushManager.subscribe needs an active worker; `serviceWorker.ready` never resolves here because
  // this page is outside the worker's scope (/static/), so wait on the registration itself.
  function activated(registration) {
    var worker = registration.installing || registration.waiting || registration.active;
    if (!worker || worker.state === "activated") return Promise.resolve(registration);
    return new Promise(function (resolve) {
      worker.addEventListener("statechange", function () {
        if (worker.state === "activated") resolve(registration);
      });
    });
  }

  function send(method, token, body) {
    return fetch(box.dataset.url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok) throw new Error(answer.error || "the server answered " + response.status);
        return answer;
      });
    });
  }

  function done(manageUrl, subscription, token) {
    say("");
    button.hidden = true;
    status.appendChild(document.createTextNode("You'll be notified in this browser \u00b7 "));
    var choose = document.createElement("a");
    choose.href = manageUrl;
    choose.textContent = "Choose what";
    status.appendChild(choose);
    status.appendChild(document.createTextNode(" \u00b7 "));
    var stop = document.createElement("button");
    stop.type = "button";
    stop.className = "link";
    stop.textContent = "Stop";
    stop.addEventListener("click", function () {
      stop.disabled = true;
      send("DELETE", token, { endpoint: subscription.endpoint }).then(function () {
        button.hidden = false;
        button.disabled = false;
        say("This browser won't be notified any more.");
      }, function (error) {
        stop.disabled = false;
        say("Couldn't stop: " + error.message);
      });
    });
    status.appendChild(stop);
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    say("Asking your browser\u2026");
    var token, key, subscription;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        throw new Error(permission === "denied" ? "blocked" : "not allowed");
      }
      return fetch(box.dataset.url, { credentials: "same-origin" });
    }).then(function (response) {
      if (!response.ok) throw new Error("the server answered " + response.status);
      return response.json();
    }).then(function (settings) {
      token = settings.csrf_token;
      key = keyBytes(box.dataset.key || settings.vapid_public_key);
      return navigator.serviceWorker.register(box.dataset.worker).then(activated);
    }).then(function (registration) {
      return registration.pushManager.getSubscription().then(function (existing) {
        if (existing && sameKey(existing, key)) return existing;
        var cleared = existing ? existing.unsubscribe() : Promise.resolve();
        return cleared.then(function () {
          return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
        });
      });
    }).then(function (found) {
      subscription = found;
      return send("POST", token, subscription.toJSON());
    }).then(function (answer) {
      done(answer.manage_url, subscription, token);
    }).catch(function (error) {
      if (error.message === "blocked") return blocked();
      button.disabled = false;
      say(error.message === "not allowed"
        ? "Allow notifications when your browser asks, to be notified here."
        : "Couldn't turn on notifications in this browser: " + error.message);
    });
  });
})();
