// The diagram viewer of archgen pages: zoom, pan, fit, reset, full screen, hover cards
// and SVG/PNG downloads for every inline diagram (figure.archgen-diagram), with the
// Panzoom library this site serves itself. A mouse drag pans, Ctrl + wheel (a trackpad
// pinch) or two fingers zoom; a plain wheel and a vertical swipe scroll the page as usual.
// The hover card is built with textContent only: its text comes from the model.
(function () {
  "use strict";
  var MOVED_PX = 6;
  var MIN_HEIGHT_PX = 160;
  var MAX_HEIGHT_SHARE = 0.8;
  var STEP = 0.3;
  var PNG_MAX_PX = 8000;

  function button(toolbar, action, label, text) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "archgen-diagram__button";
    b.setAttribute("data-archgen-action", action);
    b.setAttribute("aria-label", label);
    b.title = label;
    b.textContent = text;
    toolbar.appendChild(b);
    return b;
  }

  function Viewer(figure) {
    var stage = figure.querySelector(".archgen-diagram__stage");
    var svg = stage.querySelector("svg");
    var box = svg.viewBox.baseVal;
    var width = box && box.width ? box.width : svg.getBBox().width;
    var height = box && box.height ? box.height : svg.getBBox().height;
    var name = figure.getAttribute("data-archgen-view") || "diagram";
    var touched = false;
    var self = this;

    figure.classList.add("is-interactive");
    svg.style.width = width + "px";
    svg.style.height = height + "px";
    var toolbar = document.createElement("div");
    toolbar.className = "archgen-diagram__toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", "Diagram");
    button(toolbar, "zoom-in", "Zoom in", "+");
    button(toolbar, "zoom-out", "Zoom out", "\u2212");
    button(toolbar, "fit", "Fit the whole diagram", "Fit");
    button(toolbar, "reset", "Reset (fit to width)", "Reset");
    button(toolbar, "fullscreen", "Full screen", "Full screen");
    var svgLink = document.createElement("a");
    svgLink.className = "archgen-diagram__button";
    svgLink.href = figure.getAttribute("data-archgen-svg");
    svgLink.setAttribute("download", name + ".svg");
    svgLink.title = "Download SVG";
    svgLink.textContent = "SVG";
    toolbar.appendChild(svgLink);
    button(toolbar, "png", "Download PNG", "PNG");
    var hint = document.createElement("span");
    hint.className = "archgen-diagram__hint";
    var coarse = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
    hint.textContent = coarse
      ? "Drag sideways to pan \u00b7 pinch to zoom \u00b7 tap a box to open its page"
      : "Drag to pan \u00b7 Ctrl + wheel or pinch to zoom \u00b7 click a box to open its page";
    toolbar.appendChild(hint);
    figure.insertBefore(toolbar, stage);
    storySteps(figure, svg);

    var card = document.createElement("div");
    card.className = "archgen-diagram__card";
    card.hidden = true;
    figure.appendChild(card);

    function size() {
      return { w: stage.clientWidth, h: stage.clientHeight };
    }
    function layout() {
      if (self.isFull()) {
        stage.style.height = "";
        return;
      }
      var h = height * (stage.clientWidth / width);
      var most = Math.max(MIN_HEIGHT_PX, window.innerHeight * MAX_HEIGHT_SHARE);
      stage.style.height = Math.round(Math.min(Math.max(h, MIN_HEIGHT_PX), most)) + "px";
    }
    function show(state) {
      panzoom.zoom(state.scale, { animate: false, force: true });
      panzoom.pan(state.x, state.y, { animate: false, force: true });
    }
    // Panzoom treats an <svg> element like HTML: transform-origin at its centre, so a
    // point p shows at c + scale * (p - c + pan). The pan that puts the diagram's top
    // left corner at (left, top) of the panel:
    function placed(scale, left, top) {
      return {
        scale: scale,
        x: (left - (width / 2) * (1 - scale)) / scale,
        y: (top - (height / 2) * (1 - scale)) / scale,
      };
    }
    // The start: the diagram as wide as the panel, its top at the top.
    this.widthState = function () {
      return placed(size().w / width, 0, 0);
    };
    // The whole diagram in the panel, centred.
    this.fitState = function () {
      var s = size();
      var scale = Math.min(s.w / width, s.h / height);
      return placed(scale, (s.w - scale * width) / 2, (s.h - scale * height) / 2);
    };
    this.fit = function () {
      touched = true;
      show(self.fitState());
    };
    this.reset = function () {
      touched = false;
      layout();
      show(self.widthState());
    };
    this.zoomBy = function (factor) {
      touched = true;
      var r = stage.getBoundingClientRect();
      panzoom.zoomToPoint(panzoom.getScale() * factor, {
        clientX: r.left + r.width / 2,
        clientY: r.top + r.height / 2,
      });
    };
    this.isFull = function () {
      return document.fullscreenElement === figure || figure.classList.contains("is-expanded");
    };
    this.toggleFull = function () {
      if (self.isFull()) {
        if (document.fullscreenElement === figure) {
          document.exitFullscreen();
        } else {
          figure.classList.remove("is-expanded");
          self.refresh();
        }
        return;
      }
      var expand = function () {
        figure.classList.add("is-expanded");
        self.refresh();
      };
      if (figure.requestFullscreen) {
        figure.requestFullscreen().catch(expand);
      } else {
        expand();
      }
    };
    this.refresh = function () {
      panzoom.setOptions({ touchAction: self.isFull() ? "none" : "pan-y" });
      layout();
      show(self.isFull() ? self.fitState() : touched ? self.fitState() : self.widthState());
    };
    layout();
    var start = this.widthState();
    // Panzoom pans to startX/startY once, asynchronously: the start state goes there.
    var panzoom = Panzoom(svg, {
      canvas: true,
      cursor: "grab",
      minScale: 0.02,
      maxScale: 8,
      step: STEP,
      // On a touch screen a vertical swipe scrolls the page (a diagram as wide as the
      // screen must not trap it); a sideways drag pans, two fingers pinch. In full screen
      // every drag pans. (Panning while pinching, pinchAndPan, loses the pinch's focus.)
      touchAction: "pan-y",
      startScale: start.scale,
      startX: start.x,
      startY: start.y,
      // Panzoom's default also stops the event: the drag-or-click check needs to see it.
      handleStartEvent: function (event) {
        event.preventDefault();
      },
    });
    this.panzoom = panzoom;

    toolbar.addEventListener("click", function (event) {
      var target = event.target.closest("[data-archgen-action]");
      if (!target) {
        return;
      }
      var action = target.getAttribute("data-archgen-action");
      if (action === "zoom-in") self.zoomBy(Math.exp(STEP));
      else if (action === "zoom-out") self.zoomBy(Math.exp(-STEP));
      else if (action === "fit") self.fit();
      else if (action === "reset") self.reset();
      else if (action === "fullscreen") self.toggleFull();
      else if (action === "png") downloadPng(svg, width, height, name);
    });
    stage.addEventListener(
      "wheel",
      function (event) {
        if (event.ctrlKey || event.metaKey || self.isFull()) {
          touched = true;
          panzoom.zoomWithWheel(event);
        }
      },
      { passive: false }
    );
    // A drag that ends on a link is a pan, not a click on it. One finger outside full
    // screen pans sideways only: its vertical moves belong to the page's scrolling.
    var down = null;
    var touches = {};
    function fingers() {
      return Object.keys(touches).length;
    }
    function oneFinger() {
      panzoom.setOptions({ disableYAxis: fingers() === 1 && !self.isFull() });
    }
    stage.addEventListener(
      "pointerdown",
      function (event) {
        down = { x: event.clientX, y: event.clientY };
        if (event.pointerType === "touch") {
          touches[event.pointerId] = true;
        }
        oneFinger();
      },
      true
    );
    ["pointerup", "pointercancel"].forEach(function (name) {
      document.addEventListener(name, function (event) {
        if (touches[event.pointerId]) {
          delete touches[event.pointerId];
          oneFinger();
        }
      });
    });
    stage.addEventListener(
      "click",
      function (event) {
        if (down && Math.hypot(event.clientX - down.x, event.clientY - down.y) > MOVED_PX) {
          event.preventDefault();
          event.stopPropagation();
        }
      },
      true
    );
    stage.addEventListener("dragstart", function (event) {
      event.preventDefault(); // a dragged link pans; it is not dropped elsewhere
    });
    svg.addEventListener("panzoomstart", function () {
      touched = true;
      card.hidden = true;
    });
    figure.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && figure.classList.contains("is-expanded")) {
        self.toggleFull();
      }
    });

    function cardFor(target) {
      var link = target && target.closest ? target.closest(".archgen-link") : null;
      return link && svg.contains(link) ? link : null;
    }
    function line(parent, tag, cls, text) {
      var el = document.createElement(tag);
      el.className = cls;
      el.textContent = text;
      parent.appendChild(el);
    }
    function showCard(link, clientX, clientY) {
      card.textContent = "";
      line(card, "strong", "archgen-card__title", link.getAttribute("data-archgen-title") || "");
      line(card, "div", "archgen-card__kind", link.getAttribute("data-archgen-kind") || "");
      var about = link.getAttribute("data-archgen-about");
      if (about) line(card, "div", "archgen-card__about", about);
      [
        ["data-archgen-params", "archgen-card__params"],
        ["data-archgen-load", "archgen-card__load"],
      ].forEach(function (pair) {
        var value = link.getAttribute(pair[0]);
        if (!value) return;
        var list = document.createElement("ul");
        list.className = pair[1];
        value.split("\n").forEach(function (text) {
          line(list, "li", "", text);
        });
        card.appendChild(list);
      });
      card.hidden = false;
      var f = figure.getBoundingClientRect();
      var left = Math.min(clientX - f.left + 14, f.width - card.offsetWidth - 4);
      var top = clientY - f.top + 14;
      if (top + card.offsetHeight > f.height) top = Math.max(0, clientY - f.top - card.offsetHeight - 14);
      card.style.left = Math.max(0, left) + "px";
      card.style.top = top + "px";
    }
    stage.addEventListener("pointermove", function (event) {
      if (event.pointerType === "touch" || (event.buttons & 1) === 1) return;
      var link = cardFor(event.target);
      if (link) showCard(link, event.clientX, event.clientY);
      else card.hidden = true;
    });
    stage.addEventListener("pointerleave", function () {
      card.hidden = true;
    });
    svg.addEventListener("focusin", function (event) {
      var link = cardFor(event.target);
      if (!link) return;
      var r = link.getBoundingClientRect();
      showCard(link, r.right, r.top);
    });
    svg.addEventListener("focusout", function () {
      card.hidden = true;
    });
  }

  // Story steps: a diagram whose edges carry story-N classes (the overview) gets a row of
  // buttons; one lights the calls of that step and the nodes they join, and dims the rest.
  function storySteps(figure, svg) {
    var numbers = {};
    svg.querySelectorAll("g.edge").forEach(function (edge) {
      edge.classList.forEach(function (name) {
        var match = /^story-(\d+)$/.exec(name);
        if (match) numbers[match[1]] = true;
      });
    });
    var steps = Object.keys(numbers)
      .map(Number)
      .sort(function (a, b) {
        return a - b;
      });
    if (!steps.length) return;
    var row = document.createElement("div");
    row.className = "archgen-diagram__toolbar archgen-diagram__steps";
    row.setAttribute("role", "toolbar");
    row.setAttribute("aria-label", "Story steps");
    var label = document.createElement("span");
    label.className = "archgen-diagram__hint";
    label.textContent = "Highlight a step:";
    row.appendChild(label);
    var buttons = [];
    function light(step) {
      svg.querySelectorAll(".is-lit").forEach(function (el) {
        el.classList.remove("is-lit");
      });
      figure.classList.toggle("is-highlighting", step !== null);
      if (step === null) figure.removeAttribute("data-archgen-step");
      else figure.setAttribute("data-archgen-step", String(step));
      if (step !== null) {
        svg.querySelectorAll(".story-" + step).forEach(function (el) {
          el.classList.add("is-lit");
        });
      }
      buttons.forEach(function (b) {
        var value = b.getAttribute("data-archgen-story");
        b.setAttribute("aria-pressed", String(value === (step === null ? "all" : String(step))));
      });
    }
    function add(value, text, title) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "archgen-diagram__button";
      b.setAttribute("data-archgen-story", value);
      b.title = title;
      b.textContent = text;
      b.addEventListener("click", function () {
        var current = figure.getAttribute("data-archgen-step");
        light(value === "all" || value === current ? null : Number(value));
      });
      row.appendChild(b);
      buttons.push(b);
    }
    add("all", "All", "Show every step");
    steps.forEach(function (step) {
      add(String(step), String(step), "Highlight story step " + step);
    });
    figure.insertBefore(row, figure.querySelector(".archgen-diagram__stage"));
    light(null);
  }

  // PNG: the SVG drawn on a canvas; its shared icons are put back in place first, and
  // the viewer's own decorations (dark-scheme backdrops, pan and zoom) are left out.
  function downloadPng(svg, width, height, name) {
    var clone = svg.cloneNode(true);
    clone.removeAttribute("style");
    clone.setAttribute("width", width);
    clone.setAttribute("height", height);
    clone.querySelectorAll(".archgen-icon-backdrop").forEach(function (el) {
      el.remove();
    });
    clone.querySelectorAll("use").forEach(function (use) {
      var ref = (use.getAttribute("href") || "").slice(1);
      var icon = ref ? document.getElementById(ref) : null;
      if (!icon) return;
      var image = icon.cloneNode(true);
      image.removeAttribute("id");
      image.setAttribute("x", use.getAttribute("x") || "0");
      image.setAttribute("y", use.getAttribute("y") || "0");
      use.replaceWith(image);
    });
    var text = new XMLSerializer().serializeToString(clone);
    var url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
    var image = new Image();
    image.onload = function () {
      var scale = Math.min(2, PNG_MAX_PX / Math.max(width, height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      var context = canvas.getContext("2d");
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(url);
      canvas.toBlob(function (blob) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = name + ".png";
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () {
          URL.revokeObjectURL(link.href);
        }, 0);
      }, "image/png");
    };
    image.src = url;
  }

  var viewers = [];
  function start() {
    if (typeof Panzoom === "undefined") {
      return;
    }
    document.querySelectorAll("figure.archgen-diagram:not([data-archgen-ready])").forEach(function (figure) {
      figure.setAttribute("data-archgen-ready", "");
      var viewer = new Viewer(figure);
      figure.archgenViewer = viewer;
      viewers.push(viewer);
    });
  }
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      viewers.forEach(function (viewer) {
        viewer.refresh();
      });
    }, 100);
  });
  document.addEventListener("fullscreenchange", function () {
    viewers.forEach(function (viewer) {
      viewer.refresh();
    });
  });
  if (typeof document$ !== "undefined") {
    document$.subscribe(start);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
