// paperradar: optional keyboard shortcuts; every page works without this file.
// "/" focuses the search box, "j"/"k" move between papers, "h"/"l" go to the previous/next day.
// On /search, results follow the query as it is typed (the form still submits without this).
(function () {
  "use strict";
  var papers = function () { return Array.prototype.slice.call(document.querySelectorAll("article.paper, li.hit")); };
  var current = -1;
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) { return; }
    if (ev.key === "/") {
      var box = document.getElementById("q") || document.getElementById("site-q");
      if (box) { ev.preventDefault(); box.focus(); box.select(); }
    } else if (ev.key === "j" || ev.key === "k") {
      var list = papers();
      if (!list.length) { return; }
      current = Math.max(0, Math.min(list.length - 1, current + (ev.key === "j" ? 1 : -1)));
      var link = list[current].querySelector("a.paper-link") || list[current];
      list[current].scrollIntoView({block: "start"});
      if (link.focus) { link.focus({preventScroll: true}); }
    } else if (ev.key === "h" || ev.key === "l") {
      var nav = document.getElementById(ev.key === "h" ? "prev-day" : "next-day");
      if (nav) { window.location.href = nav.href; }
    }
  });
}());

// Search as you type: after a pause in typing, fetch the same /search page the form would load
// and swap in its #results (server-rendered and escaped; parsed inertly, scripts never run).
(function () {
  "use strict";
  var form = document.querySelector("form.search-form");
  var box = document.getElementById("q");
  var results = document.getElementById("results");
  if (!form || !box || !results || !window.fetch || !window.DOMParser) { return; }
  var timer = null, seq = 0, controller = null, last = box.value.trim();
  var url = function () {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.value && el.name !== "page" && !(el.name === "mode" && el.value === "hybrid")) {
        params.set(el.name, el.value);
      }
    });
    return form.getAttribute("action") + "?" + params.toString();
  };
  var run = function () {
    var q = box.value.trim();
    if (q.length < 2 || q === last) { return; }
    last = q;
    var mine = ++seq, target = url();
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    fetch(target, {credentials: "same-origin", signal: controller ? controller.signal : undefined})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null || mine !== seq) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("results");
        if (!fresh) { return; }
        results.replaceWith(document.importNode(fresh, true));
        results = document.getElementById("results");
        if (window.history && history.replaceState) { history.replaceState(null, "", target); }
        document.title = q + " · Search · paperradar";
      })
      .catch(function () { /* aborted or offline: the form still works */ });
  };
  box.addEventListener("input", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(run, 250);
  });
}());
