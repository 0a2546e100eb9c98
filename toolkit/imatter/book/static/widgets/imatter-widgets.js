// Point require.js at the widget code shipped beside this file, so that the widget manager
// (embed-amd.js, loaded next) finds anywidget here and never asks a CDN.
(function () {
  var script = document.currentScript;
  var here = script ? script.src.replace(/[^/]*$/, "") : "";
  if (window.require && window.require.config) {
    window.require.config({
      paths: {
        anywidget: here + "anywidget/index",
        "@jupyter-widgets/html-manager/dist": here.replace(/\/$/, ""),
      },
    });
  }
})();
