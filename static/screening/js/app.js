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

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }

    document.querySelectorAll("form.wizard-step").forEach(function (form) {
      refreshFollowUps(form);
      form.addEventListener("change", function () { refreshFollowUps(form); });
      form.addEventListener("input", function () { refreshFollowUps(form); });
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
