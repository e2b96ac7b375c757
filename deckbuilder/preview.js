// Filter by text and tag, night mode, and a self-test (?selftest) for the browser tests.
(function () {
  "use strict";
  var notes = Array.prototype.slice.call(document.querySelectorAll(".pv-note"));
  var query = document.getElementById("pv-q");
  var tagSelect = document.getElementById("pv-tag");
  var night = document.getElementById("pv-night");
  var count = document.getElementById("pv-count");
  var none = document.getElementById("pv-none");

  function hasTag(note, tag) {
    if (!tag) return true;
    return note.dataset.tags.split(" ").some(function (t) {
      return t === tag || t.indexOf(tag + "::") === 0;
    });
  }

  function filter() {
    var words = query.value.toLowerCase().split(/\s+/).filter(Boolean);
    var tag = tagSelect.value, shown = 0;
    notes.forEach(function (note) {
      var text = note.dataset.search;
      var match = hasTag(note, tag) && words.every(function (w) { return text.indexOf(w) >= 0; });
      note.hidden = !match;
      if (match) shown += 1;
    });
    count.textContent = shown + " of " + notes.length + (notes.length === 1 ? " note" : " notes");
    none.hidden = shown > 0;
  }

  // Anki marks night mode on the card's body as "nightMode night_mode"; the note type's CSS
  // keys on those classes, so set them on each card.
  function setNight(on) {
    document.body.classList.toggle("pv-dark", on);
    document.querySelectorAll(".card").forEach(function (card) {
      card.classList.toggle("nightMode", on);
      card.classList.toggle("night_mode", on);
    });
  }

  query.addEventListener("input", filter);
  tagSelect.addEventListener("change", filter);
  night.addEventListener("change", function () { setNight(night.checked); });
  if (window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches) {
    night.checked = true;
    setNight(true);
  }
  filter();

  function selftest(params) {
    var summary = JSON.parse(document.getElementById("pv-summary").textContent);
    var result = {
      expected: summary,
      notes: notes.map(function (n) { return n.dataset.id; }),
      cards: Array.prototype.map.call(document.querySelectorAll(".pv-card"),
                                      function (c) { return c.dataset.card; }),
      images: Array.prototype.map.call(document.images, function (img) {
        return {card: img.closest(".pv-note").dataset.id, complete: img.complete,
                width: img.naturalWidth, embedded: img.src.indexOf("data:") === 0};
      }),
      audio: Array.prototype.map.call(document.querySelectorAll("audio"), function (a) {
        return {card: a.closest(".pv-note").dataset.id, embedded: a.src.indexOf("data:") === 0,
                error: a.error ? a.error.code : null, duration: a.duration || 0};
      }),
      filters: []
    };
    // Drive the filters through the page's own controls, as a person would.
    var steps = [["tag", params.get("tag")], ["q", params.get("q")]];
    steps.forEach(function (step) {
      if (step[1] === null) return;
      var control = step[0] === "tag" ? tagSelect : query;
      control.value = step[1];
      control.dispatchEvent(new Event(step[0] === "tag" ? "change" : "input"));
      result.filters.push({
        tag: tagSelect.value, q: query.value, counter: count.textContent,
        visible: notes.filter(function (n) { return n.offsetParent !== null; })
                      .map(function (n) { return n.dataset.id; })
      });
    });
    result.errors = window.pvErrors;
    var out = document.createElement("pre");
    out.id = "pv-selftest";
    out.textContent = JSON.stringify(result);
    document.body.appendChild(out);
  }

  var params = new URLSearchParams(window.location.search);
  // Audio metadata loads after the page's load event: wait for it (or an error), briefly.
  function audioReady() {
    return Promise.all(Array.prototype.map.call(document.querySelectorAll("audio"), function (a) {
      if (a.readyState >= 1 || a.error) return null;
      return new Promise(function (resolve) {
        a.addEventListener("loadedmetadata", resolve);
        a.addEventListener("error", resolve);
        setTimeout(resolve, 3000);
      });
    }));
  }

  if (params.has("selftest")) {
    window.addEventListener("load", function () {
      audioReady().then(function () { selftest(params); });
    });
  }
})();
