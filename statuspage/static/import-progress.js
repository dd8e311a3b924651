// Poll the import job every second; reload once it is done so the errors table appears.
(function () {
  var url = document.currentScript.getAttribute("data-progress-url");
  var ids = ["processed", "created", "skipped", "invalid"];
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (job) {
        document.getElementById("import-progress").value = job.percent;
        document.getElementById("import-status").textContent = job.status.charAt(0).toUpperCase() + job.status.slice(1);
        ids.forEach(function (name) { document.getElementById("import-" + name).textContent = job[name]; });
        if (job.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
