/* Admin web: the few things plain HTML cannot do. No framework. */
(function () {
  "use strict";
  // Ask before a form with data-confirm is sent (bulk submit, reject, mark unreachable).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    // One click, one request: a double click must not send the form twice.
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () {
      for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
    }, 0);
  });
  // On a phone the navigation is a strip that scrolls sideways: show the current page's entry.
  var current = document.querySelector("header.bar nav a.on");
  if (current && current.parentNode.scrollWidth > current.parentNode.clientWidth) {
    current.parentNode.scrollLeft = current.offsetLeft - 12;
  }
  // "Select all" checkbox of bulk lists.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-check-all]")) { return; }
    var boxes = document.querySelectorAll("input[name='" + box.getAttribute("data-check-all") + "']");
    for (var i = 0; i < boxes.length; i++) { boxes[i].checked = box.checked; }
  });
})();
