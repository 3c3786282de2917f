// Edit user page: unchecking "Active" on an active account asks for confirmation before
// saving: a deactivated user can no longer log in, and their open sessions end.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-confirm-deactivate]")) { return; }
    var box = form.querySelector("input[name=is_active]");
    var wasActive = form.dataset.wasActive === "true";
    if (wasActive && box && !box.checked && !window.confirm(form.dataset.confirmDeactivate)) {
      event.preventDefault();
    }
  }, true);
})();
