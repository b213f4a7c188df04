/* Public booking: pick a type, a day and a slot in the visitor's own time zone.
 * One picker per form.slot-picker: data-slots-url is the JSON endpoint; data-type fixes the type
 * (self-service reschedule), otherwise the checked input[name=appointment_type] is used.
 * No inline script (CSP): this file is loaded with <script src>. */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function todayIn(tz) {
    // en-CA formats dates as YYYY-MM-DD.
    try {
      return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
    } catch (e) {
      var d = new Date();
      return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    }
  }

  function addDays(iso, days) {
    var parts = iso.split("-").map(Number);
    var d = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2] + days));
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
  }

  function dayLabel(iso) {
    var parts = iso.split("-").map(Number);
    var d = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2], 12));
    return new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" }).format(d);
  }

  function detectZone(select) {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { zone = null; }
    if (!zone) { return; }
    if (zone === "Etc/UTC") { zone = "UTC"; }
    var known = Array.prototype.some.call(select.options, function (o) { return o.value === zone; });
    if (known) { select.value = zone; }
  }

  function Picker(form) {
    this.form = form;
    this.url = form.getAttribute("data-slots-url");
    this.fixedType = form.getAttribute("data-type");
    this.tz = form.querySelector("[data-tz-select]");
    this.status = form.querySelector("[data-slot-status]");
    this.days = form.querySelector("[data-days]");
    this.slots = form.querySelector("[data-slots]");
    this.selected = form.querySelector("[data-selected]");
    this.input = form.querySelector("input[name=slot_start]");
    this.byDay = {};
    this.request = 0;
    if (this.tz && this.tz.hasAttribute("data-detect")) { detectZone(this.tz); }
    var self = this;
    if (this.tz) { this.tz.addEventListener("change", function () { self.load(); }); }
    Array.prototype.forEach.call(form.querySelectorAll("input[name=appointment_type]"), function (radio) {
      radio.addEventListener("change", function () { self.clearChoice(); self.load(); });
    });
    form.addEventListener("submit", function (event) {
      if (self.input && !self.input.value) {
        event.preventDefault();
        self.setStatus("Pick a time first.");
      }
    });
    this.load();
  }

  Picker.prototype.type = function () {
    if (this.fixedType) { return this.fixedType; }
    var checked = this.form.querySelector("input[name=appointment_type]:checked");
    return checked ? checked.value : "";
  };

  Picker.prototype.setStatus = function (text) { if (this.status) { this.status.textContent = text; } };

  Picker.prototype.clearChoice = function () {
    if (this.input) { this.input.value = ""; }
    if (this.selected) { this.selected.hidden = true; this.selected.textContent = ""; }
  };

  Picker.prototype.load = function () {
    var type = this.type();
    this.days.textContent = "";
    this.slots.textContent = "";
    if (!type) { this.setStatus("Pick an appointment type to see the open times."); return; }
    var tz = this.tz ? this.tz.value : "UTC";
    var start = todayIn(tz);
    var params = new URLSearchParams({ type: type, start: start, end: addDays(start, 29), tz: tz });
    var self = this;
    var ticket = ++this.request;
    this.setStatus("Loading open times…");
    fetch(this.url + "?" + params.toString(), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, status: response.status, body: body }; });
      })
      .then(function (result) {
        if (ticket !== self.request) { return; }
        if (!result.ok) {
          self.setStatus(result.status === 429 ? "Too many requests; wait a minute and try again." : (result.body.error || "Could not load times."));
          return;
        }
        self.render(result.body.slots);
      })
      .catch(function () {
        if (ticket === self.request) { self.setStatus("Could not load times. Check your connection and try again."); }
      });
  };

  Picker.prototype.render = function (slots) {
    var self = this;
    this.byDay = {};
    var order = [];
    slots.forEach(function (slot) {
      if (!self.byDay[slot.date]) { self.byDay[slot.date] = []; order.push(slot.date); }
      self.byDay[slot.date].push(slot);
    });
    if (!order.length) { this.setStatus("No open times in the next 30 days."); return; }
    this.setStatus("Times are shown in " + (this.tz ? this.tz.value : "UTC") + ". Pick a day:");
    order.forEach(function (date) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "day";
      button.setAttribute("data-date", date);
      button.textContent = dayLabel(date);
      button.addEventListener("click", function () { self.showDay(date, button); });
      self.days.appendChild(button);
    });
  };

  Picker.prototype.showDay = function (date, dayButton) {
    var self = this;
    Array.prototype.forEach.call(this.days.querySelectorAll(".day"), function (b) { b.classList.remove("active"); });
    dayButton.classList.add("active");
    this.slots.textContent = "";
    this.byDay[date].forEach(function (slot) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "slot";
      button.setAttribute("data-start", slot.start);
      button.textContent = slot.time;
      button.title = slot.label;
      button.addEventListener("click", function () {
        Array.prototype.forEach.call(self.slots.querySelectorAll(".slot"), function (b) { b.classList.remove("active"); });
        button.classList.add("active");
        self.input.value = slot.start;
        self.selected.hidden = false;
        self.selected.textContent = "Selected: " + slot.label;
      });
      self.slots.appendChild(button);
    });
  };

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form.slot-picker"), function (form) {
      if (!form.hasAttribute("data-picker")) { form.setAttribute("data-picker", "1"); new Picker(form); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
