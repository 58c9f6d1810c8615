// Reload a run or execution page while its execution is queued or running (the page says how
// often in <meta name="idc-refresh">; a finished one has no such tag and stays put).
(function () {
  var tag = document.querySelector('meta[name="idc-refresh"]');
  var seconds = tag ? parseInt(tag.getAttribute("content"), 10) : 0;
  if (seconds > 0) {
    window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
})();
