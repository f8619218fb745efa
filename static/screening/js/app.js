// Small progressive enhancements. Every page works without this file: the server re-checks
// everything (which follow-up questions apply, double submits, validation).
(function () {
  "use strict";

  function fieldValue(form, name, derived) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    if (!inputs.length) {
      return Object.prototype.hasOwnProperty.call(derived, name) ? derived[name] : null;
    }
    var first = inputs[0];
    if (first.type === "radio") {
      var checked = form.querySelector('[name="' + name + '"]:checked');
      return checked ? checked.value : null;
    }
    if (first.type === "checkbox") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; })
        .map(function (i) { return i.value; });
    }
    return first.value;
  }

  function holds(condition, value) {
    var expected = condition.value;
    switch (condition.op) {
      case "eq": return value === expected;
      case "in": return expected.indexOf(value) !== -1;
      case "any_of":
        return Array.isArray(value) && value.some(function (v) { return expected.indexOf(v) !== -1; });
      case "answered":
        return value !== null && value !== "" && !(Array.isArray(value) && !value.length);
      default: return true;
    }
  }

  function refreshFollowUps(form) {
    form.querySelectorAll("[data-item]").forEach(function (item) {
      var derived = {};
      try { derived = JSON.parse(item.getAttribute("data-derived") || "{}"); } catch (e) { derived = {}; }
      // Follow-ups come after the fields they depend on. A hidden follow-up counts as
      // unanswered, as on the server: after "no" to blood thinners, a still-ticked warfarin
      // must not keep the INR question on screen.
      var hidden = {};
      item.querySelectorAll(".follow-up[data-when]").forEach(function (box) {
        var conditions = JSON.parse(box.getAttribute("data-when"));
        var show = conditions.every(function (c) {
          var value = hidden[c.field] ? null : fieldValue(form, c.field, derived);
          return holds(c, value);
        });
        box.hidden = !show;
        if (!show) { hidden[box.getAttribute("data-field")] = true; }
      });
    });
  }

  // Answers are saved as the patient goes: a draft after every change (debounced), and once
  // more when the page is hidden (browser closed, phone locked). The server never marks the
  // page done for a draft, and refuses one made against an older version (409), so a draft
  // still on its way cannot overwrite what Next stored.
  function saveDrafts(form) {
    var url = form.getAttribute("data-draft-url");
    var status = form.querySelector("[data-draft-status]");
    if (!url || !window.fetch || !window.FormData) { return; }
    var version = form.getAttribute("data-version");
    var timer = null, busy = false, pending = false, leaving = false, conflicts = 0;
    function payload() {
      var data = new FormData(form);
      data.delete("action");
      data.set("version", version);
      return data;
    }
    function schedule() {
      pending = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(save, 700);
    }
    function save() {
      if (leaving || busy) { return; }
      busy = true;
      pending = false;
      fetch(url, { method: "POST", body: payload(), credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (body) {
            if (body.version) { version = String(body.version); }
            if (response.ok) {
              conflicts = 0;
              if (status) { status.textContent = "Your answers so far are saved."; }
            } else if (response.status === 409 && body.version && conflicts++ < 2) {
              pending = true;  // saved elsewhere meanwhile: send this page's answers again
            }
          });
        })
        .catch(function () { /* offline: Next still sends everything */ })
        .then(function () {
          busy = false;
          if (pending && !leaving) { schedule(); }
        });
    }
    form.addEventListener("change", schedule);
    form.addEventListener("input", schedule);
    form.addEventListener("submit", function () { leaving = true; window.clearTimeout(timer); });
    window.addEventListener("pagehide", function () {
      if (leaving || !pending || !navigator.sendBeacon) { return; }
      window.clearTimeout(timer);
      navigator.sendBeacon(url, payload());
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }

    document.querySelectorAll("form.wizard-step").forEach(function (form) {
      refreshFollowUps(form);
      form.addEventListener("change", function () { refreshFollowUps(form); });
      form.addEventListener("input", function () { refreshFollowUps(form); });
      saveDrafts(form);
    });

    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = document.querySelector(button.getAttribute("data-copy"));
        target.select();
        if (navigator.clipboard) { navigator.clipboard.writeText(target.value); }
        else { document.execCommand("copy"); }
        button.textContent = "Copied";
      });
    });

    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });

    // The front-desk board reloads itself, unless someone is typing in it.
    var refresh = document.querySelector("[data-refresh]");
    if (refresh) {
      window.setInterval(function () {
        var active = document.activeElement;
        var typing = active && (active.tagName === "INPUT" || active.tagName === "TEXTAREA");
        if (!typing) { window.location.reload(); }
      }, parseInt(refresh.getAttribute("data-refresh"), 10) * 1000);
    }

    // A second click while the first submit is on its way does nothing (the server is
    // idempotent anyway).
    document.querySelectorAll("button[data-once]").forEach(function (button) {
      button.form.addEventListener("submit", function () {
        window.setTimeout(function () { button.disabled = true; }, 0);
      });
    });
  });
})();

// Body map: a tap on a region ticks or unticks its check box, and the map shows what the
// check boxes say. A ticked alias ("Whole right arm", data-members) selects its regions; a tap
// on one of them unticks the alias and ticks its other regions instead.
(function () {
  "use strict";

  function initBodyMap(map) {
    var form = map.closest("form") || document;
    var name = map.getAttribute("data-body-map");
    var boxes = Array.prototype.slice.call(
      form.querySelectorAll('input[type="checkbox"][name="' + name + '"]'));
    var shapes = map.querySelectorAll("[data-region]");

    function members(box) {
      var list = box.getAttribute("data-members");
      return list ? list.split(" ") : [box.value];
    }
    function selected() {
      var on = {};
      boxes.forEach(function (box) {
        if (box.checked) { members(box).forEach(function (r) { on[r] = true; }); }
      });
      return on;
    }
    function tick(box, checked) {
      if (box && box.checked !== checked) {
        box.checked = checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    var chosen = map.querySelector("[data-body-map-chosen]");
    function draw() {
      var on = selected();
      Array.prototype.forEach.call(shapes, function (shape) {
        shape.classList.toggle("is-selected", !!on[shape.getAttribute("data-region")]);
      });
      if (chosen) {  // the chosen areas in words, read out as they change
        var names = boxes.filter(function (box) { return box.checked; }).map(function (box) {
          var label = form.querySelector('label[for="' + box.id + '"]');
          return label ? label.textContent.trim() : box.value;
        });
        chosen.textContent = names.length ? "Chosen: " + names.join("; ") : "No area chosen yet.";
      }
    }

    map.addEventListener("click", function (event) {
      var shape = event.target.closest("[data-region]");
      if (!shape) { return; }
      var region = shape.getAttribute("data-region");
      if (!selected()[region]) {
        tick(boxes.filter(function (box) { return box.value === region; })[0], true);
      } else {
        boxes.forEach(function (box) {
          var list = members(box);
          if (!box.checked || list.indexOf(region) === -1) { return; }
          tick(box, false);
          list.forEach(function (other) {
            if (other !== region) {
              tick(boxes.filter(function (b) { return b.value === other; })[0], true);
            }
          });
        });
      }
      draw();
    });
    form.addEventListener("change", draw);
    map.hidden = false;
    // On a patient's phone, with the map on screen, the list folds away (one tap opens it);
    // without JavaScript it stays open and is the way to answer. Staff keep both in view.
    var list = map.parentNode.querySelector("[data-region-list]");
    if (list && document.body.classList.contains("patient")) { list.open = false; }
    draw();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-body-map]").forEach(initBodyMap);
  });
})();
