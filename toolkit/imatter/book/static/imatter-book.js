// I Matter book: a small local fix for the theme's sidebar buttons.
//
// With pydata-sphinx-theme >= 0.17 under sphinx-book-theme the page has two buttons of each
// kind (.primary-toggle, .secondary-toggle) and the theme wires only the first, which is
// hidden (pydata-sphinx-theme issue 2451). The visible ones pass their click to the wired one,
// so the menu and the Contents open on a phone and the sidebar collapses on a desktop. Each
// open dialog gets a Close button as well as Escape and a click outside.
(function () {
  function closeButton(dialog) {
    var close = document.createElement("button");
    close.type = "button";
    close.className = "imatter-dialog-close";
    close.textContent = "Close";
    close.addEventListener("click", function () {
      dialog.close();
    });
    dialog.insertBefore(close, dialog.firstChild);
    dialog.addEventListener(
      "close",
      function () {
        close.remove();
      },
      { once: true },
    );
    close.focus();
  }

  function wire(selector, dialogId) {
    var buttons = document.querySelectorAll(selector);
    if (buttons.length < 2) return;
    var wired = buttons[0];
    var dialog = document.getElementById(dialogId);
    Array.prototype.slice.call(buttons, 1).forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        event.stopPropagation();
        wired.click();
        if (dialog && dialog.open && !dialog.querySelector(".imatter-dialog-close")) {
          closeButton(dialog);
        }
      });
    });
  }

  function labelToggles() {
    // Visible names that match the accessible names (WCAG 2.5.3).
    document.querySelectorAll("button.primary-toggle, button.secondary-toggle").forEach(function (b) {
      var name = b.classList.contains("primary-toggle") ? "Site navigation" : "Contents";
      b.setAttribute("aria-label", name);
      b.removeAttribute("title");
      b.removeAttribute("data-bs-original-title");
    });
  }

  function nameExpanders() {
    // The navigation's expand buttons have an icon and no text: give each a name.
    document.querySelectorAll("nav details > summary").forEach(function (summary) {
      if (summary.textContent.trim() || summary.getAttribute("aria-label")) return;
      var link = summary.parentElement.previousElementSibling;
      var name = link && link.textContent ? link.textContent.trim() : "this part";
      summary.setAttribute("aria-label", "Pages in " + name);
    });
  }

  function start() {
    nameExpanders();
    wire(".primary-toggle", "pst-primary-sidebar-modal");
    wire(".secondary-toggle", "pst-secondary-sidebar-modal");
    labelToggles();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
