// dicetm workbench: the few lines of browser code it needs. No inline scripts anywhere (see the CSP).
(function () {
  "use strict";
  var XLINK = "http://www.w3.org/1999/xlink";

  // --- open pages follow the files on disk ---------------------------------------------------------------
  var dirty = false;
  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("form[method=post], form.edit")) { dirty = true; }
  });
  function poll() {
    var shown = document.body.getAttribute("data-version");
    fetch("/api/version", {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      return r.ok ? r.text() : shown;
    }).then(function (now) {
      if (now && now !== shown) {
        if (dirty) { document.getElementById("changed").hidden = false; } else { window.location.reload(); }
        return;
      }
      window.setTimeout(poll, 2000);
    }).catch(function () { window.setTimeout(poll, 5000); });
  }

  // --- zoom and pan of the data-flow diagram (the viewBox moves; text stays sharp) ---------------------
  function panZoom(frame) {
    var svg = frame.querySelector("svg");
    if (!svg) { return; }
    var base = svg.viewBox.baseVal;
    var home = {x: base.x, y: base.y, w: base.width, h: base.height};
    var view = {x: home.x, y: home.y, w: home.w, h: home.h};
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    function apply() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" ")); }
    function zoom(factor, cx, cy) {
      var w = Math.min(Math.max(view.w * factor, home.w / 12), home.w * 4);
      var k = w / view.w;
      if (cx === undefined) { cx = view.x + view.w / 2; cy = view.y + view.h / 2; }
      view.x = cx - (cx - view.x) * k; view.y = cy - (cy - view.y) * k;
      view.w = w; view.h = view.h * k;
      apply();
    }
    function toSvg(event) {
      var box = svg.getBoundingClientRect();
      var scale = Math.max(view.w / box.width, view.h / box.height);
      var offX = (box.width * scale - view.w) / 2, offY = (box.height * scale - view.h) / 2;
      return {x: view.x - offX + (event.clientX - box.left) * scale,
              y: view.y - offY + (event.clientY - box.top) * scale, scale: scale};
    }
    frame.addEventListener("wheel", function (event) {
      event.preventDefault();
      var p = toSvg(event);
      zoom(event.deltaY < 0 ? 0.85 : 1 / 0.85, p.x, p.y);
    }, {passive: false});
    var drag = null, moved = false;
    frame.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      drag = {x: event.clientX, y: event.clientY, vx: view.x, vy: view.y, scale: toSvg(event).scale};
      moved = false;
    });
    window.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) { moved = true; frame.classList.add("dragging"); }
      if (moved) { view.x = drag.vx - dx * drag.scale; view.y = drag.vy - dy * drag.scale; apply(); }
    });
    window.addEventListener("pointerup", function () { drag = null; frame.classList.remove("dragging"); });
    frame.addEventListener("click", function (event) {
      if (moved) { event.preventDefault(); event.stopPropagation(); moved = false; return; }
      var link = event.target.closest("a");
      if (!link) { return; }
      var href = link.getAttribute("href") || link.getAttributeNS(XLINK, "href") || "";
      var panel = document.getElementById("panel");
      if (panel && window.htmx && /^\/(elements|flows)\//.test(href)) {
        event.preventDefault();
        window.htmx.ajax("GET", href, {target: "#panel", swap: "innerHTML"}).then(function () {
          panel.scrollIntoView({block: "nearest"});
          var heading = panel.querySelector("h2");
          if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({preventScroll: true}); }
        });
      }
    }, true);
    frame.addEventListener("keydown", function (event) {
      var step = view.w / 10;
      var keys = {"+": function () { zoom(0.8); }, "=": function () { zoom(0.8); }, "-": function () { zoom(1.25); },
                  "0": function () { view = {x: home.x, y: home.y, w: home.w, h: home.h}; apply(); },
                  ArrowLeft: function () { view.x -= step; apply(); }, ArrowRight: function () { view.x += step; apply(); },
                  ArrowUp: function () { view.y -= step; apply(); }, ArrowDown: function () { view.y += step; apply(); }};
      if (event.target === frame && keys[event.key]) { event.preventDefault(); keys[event.key](); }
    });
    document.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var what = button.getAttribute("data-zoom");
        if (what === "in") { zoom(0.8); } else if (what === "out") { zoom(1.25); }
        else { view = {x: home.x, y: home.y, w: home.w, h: home.h}; apply(); }
      });
    });
  }

  // --- keyboard shortcuts: an element with data-key="x" is clicked (or focused, for a field) ------------
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) { return; }
    var found = document.querySelector('[data-key="' + (event.key === "?" ? "help" : event.key.toLowerCase()) + '"]');
    if (!found) { return; }
    event.preventDefault();
    if (found.matches("input, textarea, select")) {
      var holder = found.closest("details");
      if (holder) { holder.open = true; }
      found.focus();
    } else if (found.tagName === "DETAILS") {
      found.open = !found.open;
    } else {
      found.click();
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-close-panel]")) {
      document.getElementById("panel").innerHTML = "";
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".dfd-frame").forEach(panZoom);
    window.setTimeout(poll, 2000);
  });
})();
