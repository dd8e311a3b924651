// Status embed (Statuspage-compatible): <script src="https://status.example.com/embed/script.js"></script>
// Adds a hidden iframe of this page's /embed/frame, shown while the frame says an incident or
// maintenance is active; window.statusEmbedTest() shows it now. Options ride on this script's URL
// (position, *_background_color, *_text_color) and go on to the frame.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || !window.URL || !window.URLSearchParams) return;
  var src = new URL(script.src, document.baseURI);
  var origin = src.origin;
  var params = new URLSearchParams(src.search);
  var position = params.get("position") || "bottom-left";
  var mobile = window.matchMedia ? window.matchMedia("(max-width: 450px)").matches : screen.width < 450;
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  params.set("mobile", mobile ? "true" : "false");
  var url = new URL("frame", src);  // beside this script: /embed/frame, or /p/<slug>/embed/frame
  url.search = params.toString();

  var frame = document.createElement("iframe");
  frame.src = url.href;
  frame.title = "{{ title|escapejs }}";
  frame.setAttribute("data-status-embed", "");
  var s = frame.style;
  s.position = "fixed";
  s.zIndex = "2147483000";
  s.border = "0";
  s.margin = "0";
  s.padding = "0";
  s.colorScheme = "normal";
  s.boxShadow = "0 20px 32px -8px rgba(9,20,66,0.25)";
  if (mobile) {
    // Phones: full width along the bottom, whatever the position.
    s.left = "0";
    s.right = "0";
    s.bottom = "0";
    s.width = "100%";
    s.height = "150px";
  } else {
    var vertical = position.indexOf("top") === 0 ? "top" : "bottom";
    var horizontal = position.slice(-4) === "left" ? "left" : "right";
    s[vertical] = "24px";
    s[horizontal] = "24px";
    s.width = "340px";
    s.height = "150px";
    s.borderRadius = "8px";
  }
  if (!still) s.transition = "opacity .25s ease, transform .25s ease, visibility .25s";
  var hiddenShift = mobile || position.indexOf("bottom") === 0 ? "translateY(24px)" : "translateY(-24px)";

  function hide() {
    s.visibility = "hidden";
    s.opacity = "0";
    s.transform = hiddenShift;
  }
  function show() {
    s.visibility = "visible";
    s.opacity = "1";
    s.transform = "none";
  }
  hide();

  // A dismissed update stays dismissed on this site (its storage: the frame may have none).
  var store = "status-embed-dismissed " + url.origin + url.pathname;
  function remembered() {
    try { return window.localStorage.getItem(store); } catch (e) { return null; }
  }
  var actions = {
    showFrame: function (data) {
      if (!data.key || data.key !== remembered()) show();
    },
    dismissFrame: function (data) {
      hide();
      if (data.key) {
        try { window.localStorage.setItem(store, data.key); } catch (e) { /* shows again next time */ }
      }
    }
  };
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow || !event.data) return;
    var action = event.data.action;
    if (typeof action === "string" && Object.prototype.hasOwnProperty.call(actions, action)) {
      actions[action]({key: typeof event.data.key === "string" ? event.data.key : ""});
    }
  }, false);
  window.statusEmbedTest = show;

  function attach() { document.body.appendChild(frame); }
  if (document.body) attach(); else document.addEventListener("DOMContentLoaded", attach);
})();
