// Keyboard shortcuts for the frequent actions: a page marks buttons with data-shortcut="r"
// (letters only, no modifiers); "/" focuses the search box; "?" lists the shortcuts.
(function () {
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(document.activeElement)) return;
    if (event.key === "/") {
      var search = document.getElementById("quick-q");
      if (search) { event.preventDefault(); search.focus(); }
      return;
    }
    var target = document.querySelector('[data-shortcut="' + event.key + '"]');
    if (!target) return;
    event.preventDefault();
    if (target.tagName === "DETAILS") {
      target.open = true;
      var first = target.querySelector("input, select, textarea, button");
      if (first) first.focus();
    } else {
      target.click();
    }
  });
})();
