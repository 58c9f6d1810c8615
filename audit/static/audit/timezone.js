// Send the browser's time zone once, so day filters and times follow the auditor's clock.
(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var sent = document.cookie.split("; ").find(function (c) { return c.indexOf("idc_tz=") === 0; });
  if (zone && !sent) {
    document.cookie = "idc_tz=" + encodeURIComponent(zone) + "; path=/; SameSite=Lax";
    if (!/[?&]tz=/.test(location.search)) { location.reload(); }
  }
})();
