// The status embed's frame (incidents/public/embed.py): tell the site that framed it to show it while
// something is active (Statuspage's protocol: {action: "showFrame"} / {action: "dismissFrame"}).
(function () {
  "use strict";
  var body = document.body;
  var key = body.getAttribute("data-key");
  // The page's colour options, checked by the server; set through the CSSOM, which the CSP allows.
  if (body.hasAttribute("data-background")) body.style.setProperty("--embed-bg", body.getAttribute("data-background"));
  if (body.hasAttribute("data-text")) body.style.setProperty("--embed-fg", body.getAttribute("data-text"));

  // Public data only, so any parent may read it: the frame cannot know the site's origin. The key
  // names the update shown: the site's script remembers a dismissed one (a framed document of
  // another site may not be allowed storage of its own).
  function post(action) {
    if (window.parent !== window) window.parent.postMessage({action: action, key: key}, "*");
  }

  document.querySelector(".embed-dismiss").addEventListener("click", function () { post("dismissFrame"); });
  if (body.getAttribute("data-active") === "true") post("showFrame");
})();
