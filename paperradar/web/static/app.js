// paperradar: optional keyboard shortcuts; every page works without this file.
// "/" focuses the search box, "j"/"k" move between papers, "h"/"l" go to the previous/next day.
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
