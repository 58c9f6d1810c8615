// On the Add connector page, choosing a type reloads the page with that type's form (its
// configuration inputs come from the type's schema, on the server).
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("id_type");
  if (!select || !/\/add\/$/.test(window.location.pathname)) { return; }
  select.addEventListener("change", function () {
    var params = new URLSearchParams(window.location.search);
    params.set("type", select.value);
    window.location.search = params.toString();
  });
});
