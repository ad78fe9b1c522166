// Follows reports being generated: while one is queued or running, reload the
// list region every 2 seconds (a file, not an inline script: strict CSP).
(function () {
  "use strict";
  var region = document.getElementById("reports-live");
  if (!region) {
    return;
  }
  function refresh() {
    if (region.dataset.pending !== "true") {
      return;
    }
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (text) {
        if (text) {
          var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("reports-live");
          if (fresh) {
            region.innerHTML = fresh.innerHTML;
            region.dataset.pending = fresh.dataset.pending;
            if (fresh.dataset.pending !== "true" && region.dataset.reloadWhenDone === "true") {
              window.location.reload(); // the report itself appears below once done
            }
          }
        }
      })
      .catch(function () {
        // A network blip: the next tick tries again.
      })
      .finally(function () {
        window.setTimeout(refresh, 2000);
      });
  }
  window.setTimeout(refresh, 2000);
})();
