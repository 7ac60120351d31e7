// Renders the Mermaid blocks of archgen pages with the mermaid.min.js this site serves
// itself (nothing is fetched from elsewhere), in the theme of the current colour scheme.
// Mermaid is large, so it is loaded only on pages that have a diagram to draw.
(function () {
  "use strict";
  var here = document.currentScript ? document.currentScript.src : "";
  var mermaidUrl = here.replace(/archgen-mermaid\.js(\?.*)?$/, "mermaid.min.js");
  var loading = null;

  function theme() {
    var scheme = document.body.getAttribute("data-md-color-scheme");
    return scheme === "slate" ? "dark" : "default";
  }
  function loadMermaid() {
    if (typeof mermaid !== "undefined") {
      return Promise.resolve();
    }
    if (loading === null) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = mermaidUrl;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return loading;
  }
  function render() {
    var blocks = document.querySelectorAll("div.archgen-mermaid:not([data-processed])");
    if (blocks.length === 0) {
      return;
    }
    loadMermaid().then(function () {
      mermaid.initialize({ startOnLoad: false, theme: theme(), securityLevel: "strict" });
      return mermaid.run({ nodes: blocks });
    });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(render);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
