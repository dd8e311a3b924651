// The list shows exactly what will be stored: ticking a component means "only the ones I pick",
// a group box ticks (and reflects) all of its components, and "Every component" clears the picks.
(function () {
  var form = document.getElementById("choices");
  if (!form) return;
  var every = form.querySelector('input[name="all_components"][value="1"]');
  var only = form.querySelector('input[name="all_components"][value="0"]');
  var boxes = Array.prototype.slice.call(form.querySelectorAll('input[name="components"]'));
  var groups = Array.prototype.slice.call(form.querySelectorAll("input[data-group]"));
  var setAside = [];  // picks cleared by "Every component", back if they switch again before saving
  function members(group) {
    return boxes.filter(function (c) { return c.dataset.inGroup === group.dataset.group; });
  }
  function syncGroups() {
    groups.forEach(function (group) {
      var all = members(group), on = all.filter(function (c) { return c.checked; }).length;
      group.checked = all.length > 0 && on === all.length;
      group.indeterminate = on > 0 && on < all.length;
    });
  }
  boxes.forEach(function (box) {
    box.addEventListener("change", function () {
      if (box.checked) { only.checked = true; setAside = []; }
      syncGroups();
    });
  });
  groups.forEach(function (group) {
    group.addEventListener("change", function () {
      members(group).forEach(function (c) { c.checked = group.checked; });
      group.indeterminate = false;
      if (group.checked) { only.checked = true; setAside = []; }
    });
  });
  every.addEventListener("change", function () {
    setAside = boxes.filter(function (c) { return c.checked; });
    boxes.forEach(function (c) { c.checked = false; });
    syncGroups();
  });
  only.addEventListener("change", function () {
    setAside.forEach(function (c) { c.checked = true; });
    setAside = [];
    syncGroups();
  });
  syncGroups();
})();
