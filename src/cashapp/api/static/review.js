// Progressive enhancement for the review pages: everything works without it (plain forms);
// with it: keyboard shortcuts, the allocation editor's running total, proposal loading and
// the open-item search swapped in place (an htmx-style fetch of a server-rendered fragment).
(function () {
  "use strict";
  const $ = (s, r) => (r || document).querySelector(s);
  const $$ = (s, r) => Array.from((r || document).querySelectorAll(s));

  // Exact decimal arithmetic on strings: amounts become integer cents (BigInt).
  function cents(text) {
    const t = String(text || "").trim().replace(",", ".");
    if (!/^-?\d+(\.\d{0,4})?$/.test(t)) return null;
    const neg = t.startsWith("-"); const [i, f = ""] = t.replace("-", "").split(".");
    const v = BigInt(i) * 100n + BigInt((f + "00").slice(0, 2));
    return neg ? -v : v;
  }
  function fmt(c) { const neg = c < 0n; const a = neg ? -c : c; const s = (a / 100n).toString() + "." + (a % 100n).toString().padStart(2, "0"); return neg ? "-" + s : s; }

  const editor = $("#editor");
  function addRow(kind, invoice, amount, reason) {
    const tpl = $("#row-template"); if (!tpl) return null;
    const row = tpl.content.firstElementChild.cloneNode(true);
    $("select[name=kind]", row).value = kind || "invoice";
    $("input[name=invoice_number]", row).value = invoice || "";
    $("input[name=amount]", row).value = amount || "";
    $("select[name=reason_code]", row).value = reason || "";
    $("#rows").appendChild(row); recompute(); return row;
  }
  function recompute() {
    if (!editor) return;
    const cash = cents(editor.dataset.cash); let allocated = 0n;
    $$("#rows tr").forEach(tr => {
      const kind = $("select[name=kind]", tr).value; const c = cents($("input[name=amount]", tr).value);
      if (c !== null && (kind === "invoice" || kind === "on_account")) allocated += c;
    });
    $("#allocated").textContent = fmt(allocated); $("#remaining").textContent = fmt(cash - allocated);
    const totals = $(".totals"); totals.classList.toggle("balanced", cash === allocated); totals.classList.toggle("off", cash !== allocated);
    const invoices = Array.from(new Set($$("#rows tr").filter(tr => $("select[name=kind]", tr).value === "invoice")
      .map(tr => $("input[name=invoice_number]", tr).value.trim()).filter(Boolean)));
    if (invoices.length) { $("#writeoff-invoices").value = invoices.join(","); $("#writeoff-list").textContent = invoices.join(", "); }
  }
  if (editor) {
    editor.addEventListener("input", recompute); editor.addEventListener("change", recompute);
    editor.addEventListener("click", e => { if (e.target.classList.contains("remove")) { e.target.closest("tr").remove(); recompute(); } });
    $("#add-row").addEventListener("click", () => { const r = addRow("invoice"); $("input[name=invoice_number]", r).focus(); });
    $("#add-on-account").addEventListener("click", () => { const rem = cents($("#remaining").textContent); if (rem && rem > 0n) addRow("on_account", "", fmt(rem)); });
    $$(".use-proposal").forEach(b => b.addEventListener("click", () => {
      $("#rows").innerHTML = "";
      JSON.parse(b.dataset.allocations).forEach(a => addRow(a.kind, a.invoice_number, a.amount, a.reason_code));
      if (b.dataset.customer) $("#customer_id").value = b.dataset.customer;
    }));
    const first = $(".use-proposal"); if (first) first.click();
  }
  document.addEventListener("click", e => {
    const b = e.target.closest(".add-invoice"); if (!b || !editor) return;
    const rem = cents($("#remaining").textContent); const open = cents(b.dataset.open);
    const amount = rem !== null && open !== null && rem > 0n ? (rem < open ? rem : open) : 0n;
    addRow("invoice", b.dataset.invoice, amount > 0n ? fmt(amount) : b.dataset.open);
    const who = $("#search input[name=customer]"); if (who && who.value.trim()) $("#customer_id").value = who.value.trim();
  });
  const search = $("#search");
  if (search) search.addEventListener("submit", async e => {
    e.preventDefault();
    const url = search.action + "?" + new URLSearchParams(new FormData(search)).toString() + "&fragment=1";
    const res = await fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin" });
    if (res.ok) $("#search-results").innerHTML = await res.text();
  });

  // Keyboard shortcuts (ignored while typing in a field).
  const rows = $$("table[data-nav] tbody tr[data-href]"); let sel = -1;
  function select(i) { if (!rows.length) return; rows.forEach(r => r.classList.remove("sel")); sel = Math.max(0, Math.min(rows.length - 1, i)); rows[sel].classList.add("sel"); rows[sel].scrollIntoView({ block: "nearest" }); }
  document.addEventListener("keydown", e => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName);
    if (typing) { if (e.key === "Escape") document.activeElement.blur(); return; }
    const click = id => { const el = $(id); if (el) { e.preventDefault(); el.click(); } };
    switch (e.key) {
      case "j": select(sel + 1); break;
      case "k": select(sel - 1); break;
      case "Enter": if (sel >= 0) window.location = rows[sel].dataset.href; break;
      case "/": e.preventDefault(); ($("#search-q") || $("#q") || {focus() {}}).focus(); break;
      case "c": click("#confirm-top"); break;
      case "w": click("#write-off"); break;
      case "a": click("#apply"); break;
      case "n": click("#next-link"); break;
      case "?": alert("j/k move, Enter open, / search, c confirm #1, w write off, a apply, n next payment"); break;
    }
  });
})();
