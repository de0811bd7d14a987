// The workspace's only script: drag and drop, preview controls, live reload.
// No inline code anywhere (the pages' CSP forbids it), no eval.
"use strict";

(function () {
  // --- drag and drop: SortableJS on each section, posting the new place ---
  function initSortables(root) {
    if (typeof Sortable === "undefined") return;
    root.querySelectorAll("ol.entries").forEach(function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "1";
      Sortable.create(list, {
        handle: ".entry",
        filter: "button",
        preventOnFilter: false,
        animation: 120,
        forceFallback: true, // mouse events: the same in every browser and in tests
        onEnd: function (event) {
          if (event.oldIndex === event.newIndex) return;
          var form = document.getElementById("move-form");
          form.elements.item_id.value = event.item.dataset.itemId;
          form.elements.position.value = String(event.newIndex + 1);
          htmx.trigger(form, "submit");
        },
      });
    });
  }

  // --- keep plain forms' version copies current after each htmx swap ---
  function syncVersion() {
    var current = document.getElementById("issue-version");
    if (!current) return;
    document.querySelectorAll("input.version-copy").forEach(function (input) {
      input.value = current.value;
    });
  }

  // --- preview: width, colours, part, merge tags, inbox view; reload on change ---
  var preview = document.getElementById("preview");
  var options = { width: "desktop", scheme: "light", part: "html", tags: "sample", view: "designed" };

  function previewUrl() {
    var base = options.part === "text" ? preview.dataset.text : preview.dataset.html;
    var query = "t=" + Date.now();
    if (options.part === "html" && options.scheme === "dark") query += "&dark=1";
    if (options.tags === "raw") query += "&raw=1";
    if (options.part === "html" && options.view !== "designed") query += "&view=" + encodeURIComponent(options.view);
    return base + "?" + query;
  }

  function reloadPreview() {
    if (!preview) return;
    document.getElementById("preview-frame").src = previewUrl();
  }

  function setOption(button) {
    var name = ["width", "scheme", "part", "tags", "view"].find(function (key) {
      return button.dataset[key] !== undefined;
    });
    if (!name) return;
    options[name] = button.dataset[name];
    button.parentElement.querySelectorAll("button").forEach(function (other) {
      other.setAttribute("aria-pressed", String(other === button));
    });
    var wrap = document.getElementById("frame-wrap");
    wrap.className = "frame-wrap " + options.width + (options.part === "text" ? " text" : "");
    if (name !== "width") reloadPreview();
  }

  // --- live reload: long-poll the server's stamp of templates and enews.toml ---
  function watch(stamp) {
    fetch(preview.dataset.reload + "?since=" + encodeURIComponent(stamp), { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (stamp && data.stamp !== stamp) {
          reloadPreview();
          document.body.dispatchEvent(new CustomEvent("templates-changed"));
        }
        watch(data.stamp);
      })
      .catch(function () { setTimeout(function () { watch(stamp); }, 3000); });
  }

  function confirmSubmit(event) {
    var message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  }

  document.addEventListener("DOMContentLoaded", function () {
    initSortables(document);
    document.addEventListener("submit", confirmSubmit, true);
    document.body.addEventListener("htmx:afterSettle", function (event) {
      initSortables(document);
      syncVersion();
    });
    document.body.addEventListener("htmx:sendError", function () {
      document.getElementById("messages").innerHTML =
        '<p class="message error" role="alert">The workspace server does not answer; is enews serve still running?</p>';
    });
    document.body.addEventListener("htmx:responseError", function (event) {
      var p = document.createElement("p");
      p.className = "message error";
      p.setAttribute("role", "alert");
      p.textContent = "The server failed (" + event.detail.xhr.status + "); nothing was changed.";
      document.getElementById("messages").replaceChildren(p);
    });
    document.body.addEventListener("htmx:beforeRequest", function () {
      document.getElementById("messages").replaceChildren();
    });
    if (!preview) return;
    preview.querySelectorAll(".toolbar button").forEach(function (button) {
      button.addEventListener("click", function () { setOption(button); });
    });
    document.body.addEventListener("preview-changed", reloadPreview);
    if (preview.dataset.reload) watch("");
  });
})();
