// Loaded between require.js and the Jupyter widgets HTML manager (see _config.yml).
(function () {
  // 1. The manager's modules find their icon fonts next to the module URLs that require.js
  //    gives them; without this, require.js resolves those URLs relative to the page, so the
  //    fonts would be looked for beside every page. Point the modules (the manager itself, and
  //    @jupyter-widgets/base and /controls inside it) at the copy under _static/vendor/, which
  //    works for any page depth, from a web server or a plain folder.
  var here = document.currentScript.src;
  var dist = here.slice(0, here.lastIndexOf("/") + 1) + "html-manager/dist";
  window.require.config({
    paths: { "@jupyter-widgets/html-manager/dist": dist, "@jupyter-widgets": dist }
  });
  // 2. The manager typesets widget labels with MathJax 2's MathJax.Hub.Queue; the site runs
  //    MathJax 3 (typesetPromise). Give MathJax 3 that one entry point once it has started
  //    (its deferred script runs before DOMContentLoaded; the widgets are drawn on load).
  document.addEventListener("DOMContentLoaded", function () {
    var mathjax = window.MathJax;
    if (mathjax && !mathjax.Hub && mathjax.typesetPromise) {
      mathjax.Hub = {
        Queue: function (job) {
          if (job && job[2]) { mathjax.typesetPromise([job[2]]); }
        }
      };
    }
  });
})();
