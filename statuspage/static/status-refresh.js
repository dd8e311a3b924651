// Reload when status.json reports a newer page; paused while the tab is hidden.
(function () {
  var shown = document.currentScript.getAttribute("data-updated-at");
  var url = document.currentScript.getAttribute("data-status-url");
  function check() {
    if (document.hidden || !window.fetch) return;
    fetch(url, {cache: "no-store", headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.page && data.page.updated_at && data.page.updated_at !== shown) location.reload();
      })
      .catch(function () {});
  }
  setInterval(check, 30000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) check(); });
})();
