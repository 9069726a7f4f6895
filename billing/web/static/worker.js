// The workers' pages work without this file; it adds the live quote, print buttons and one-tap forms.
"use strict";

function liveQuote(form) {
  const out = document.getElementById("quote");
  const income = form.querySelector("[name=declared_income]");
  const sector = form.querySelector("[name=sector_category]");
  const jht = form.querySelector("[name=jht]");
  if (!out || !income || !sector || !jht) return;
  let asked = 0;
  const refresh = () => {
    const n = ++asked;
    const query = new URLSearchParams({ income: income.value, sector: sector.value, jht: jht.checked ? "1" : "0" });
    fetch(form.dataset.quoteUrl + "?" + query.toString(), { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : { text: "" }))
      .then((body) => { if (n === asked) out.textContent = body.text; })
      .catch(() => { out.textContent = ""; });
  };
  [income, sector, jht].forEach((el) => el.addEventListener("change", refresh));
  refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  const enrol = document.getElementById("enrol");
  if (enrol) liveQuote(enrol);
  document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
  // A second tap while the first is on its way does nothing here; the server pays once anyway.
  document.querySelectorAll("form[data-once]").forEach((f) =>
    f.addEventListener("submit", (e) => {
      if (f.dataset.sent) e.preventDefault();
      f.dataset.sent = "1";
    }),
  );
});
