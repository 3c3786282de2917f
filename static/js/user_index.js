// Users list: leave empty filters out of the request, so the pushed URL stays short
// (/users/?role=Viewer rather than /users/?q=&role=Viewer&status=).
(function () {
  "use strict";

  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt.matches || !event.detail.elt.matches("form[data-drop-empty]")) { return; }
    var parameters = event.detail.parameters;
    var empty = [];
    if (typeof parameters.forEach === "function") {
      parameters.forEach(function (value, key) { if (value === "") { empty.push(key); } });
      empty.forEach(function (key) { parameters.delete(key); });
    } else {
      Object.keys(parameters).forEach(function (key) {
        if (parameters[key] === "") { delete parameters[key]; }
      });
    }
  });
})();
