// Show times in the visitor's own time zone; the server-rendered text stays as the fallback.
(function () {
  if (!window.Intl || !Intl.DateTimeFormat) return;
  var format;
  try { format = new Intl.DateTimeFormat(undefined, {dateStyle: "medium", timeStyle: "short"}); } catch (e) { return; }
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var value = el.getAttribute("datetime");
    if (value.indexOf("T") < 0) return;
    var when = new Date(value.replace(/(\.\d{3})\d+/, "$1"));
    if (isNaN(when.getTime())) return;
    el.title = el.textContent.trim();
    el.textContent = format.format(when);
  });
})();
