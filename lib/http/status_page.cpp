// SPDX-License-Identifier: BSL-1.0
// lib/http/status_page.cpp - the admin listener's status page: one HTML document, no external assets.
#include "http/status_page.hpp"

namespace catena::webhooks::detail {

namespace {

constexpr char page[] = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>catena-webhookd status</title>
<style>
:root { --ok:#1a7f37; --degraded:#9a6700; --halted:#bc4c00; --stale:#cf222e; --fg:#1f2328; --muted:#656d76; --line:#d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0; background: #f6f8fa; }
header { background: #24292f; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: baseline; }
header h1 { font-size: 17px; margin: 0; }
header span { color: #c9d1d9; font-size: 12px; }
main { padding: 16px 20px; display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: 16px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; }
section.wide { grid-column: 1 / -1; }
h2 { font-size: 14px; margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.pill { display: inline-block; border-radius: 10px; padding: 0 7px; font-size: 12px; color: #fff; background: var(--muted); }
.pill.ok { background: var(--ok); } .pill.degraded { background: var(--degraded); }
.pill.halted { background: var(--halted); } .pill.stale { background: var(--stale); }
.muted { color: var(--muted); }
code { font: 12px ui-monospace, monospace; }
#problem { display: none; grid-column: 1 / -1; border-color: var(--stale); color: var(--stale); }
#problem form { margin-top: 6px; color: var(--fg); }
.big { font-size: 26px; font-weight: 600; }
.kpis { display: flex; gap: 22px; flex-wrap: wrap; }
.kpis div span { display: block; color: var(--muted); font-size: 12px; }
</style>
</head>
<body>
<header><h1>catena-webhookd</h1><span title="catena_webhooks_build_info" id="build">–</span><span id="updated">loading…</span></header>
<main>
<section id="problem"><b id="problem-text"></b>
  <form id="token-form">Admin token: <input id="token" type="password" autocomplete="off"> <button>Use</button></form>
</section>
<section class="wide"><h2>Intake</h2>
  <div class="kpis" title="each number under its name in /v1/summary and in /metrics (catena_webhooks_NAME or catena_webhooks_NAME_total)">
    <div><span>fleets</span><b class="big" id="fleets">–</b></div>
    <div><span>accepted</span><b class="big" id="accepted">–</b></div>
    <div><span>accepted / s</span><b class="big" id="accepted-rate">–</b></div>
    <div><span>rejections / s</span><b class="big" id="rejections-rate">–</b></div>
    <div><span>events / s</span><b class="big" id="events-rate">–</b></div>
    <div><span>inbox_depth</span><b class="big" id="inbox_depth">–</b></div>
    <div><span>dead_letters</span><b class="big" id="dead_letters">–</b></div>
  </div>
</section>
<section><h2>fleets_by_stage</h2><table id="stages"><thead><tr><th>stage</th><th>fleets</th></tr></thead><tbody></tbody></table></section>
<section><h2>fleets_by_health</h2><table id="healths"><thead><tr><th>health</th><th>fleets</th></tr></thead><tbody></tbody></table></section>
<section><h2>Subscriptions</h2>
  <table id="subscriptions"><thead><tr><th>X-Webhook-ID</th><th>deliveries</th><th>last</th><th>status</th></tr></thead><tbody></tbody></table></section>
<section id="sinks-section" hidden><h2>Sinks</h2>
  <table id="sinks"><thead><tr><th>sink</th><th>connected</th><th>acknowledged</th><th>pending</th><th>lag</th><th>retries</th><th>last error</th></tr></thead><tbody></tbody></table></section>
<section class="wide"><h2>Fleets that need attention <span class="muted" id="attention-count"></span></h2>
  <table id="attention"><thead><tr><th>fleet</th><th>stage</th><th>health</th><th>connections</th><th>last event</th></tr></thead><tbody></tbody></table></section>
<section class="wide"><h2>Recent dead letters</h2>
  <table id="dead-letters"><thead><tr><th>kind</th><th>reason</th><th>event type</th><th>webhook</th><th>request</th></tr></thead><tbody></tbody></table></section>
</main>
<script>
"use strict";
const stages = ["invited","viewed","accepted","agreement","connection","connected","declined","expired","deleted","revoked","none"];
const healths = ["ok","degraded","halted","stale"];
let token = sessionStorage.getItem("catena-admin-token") || "";
const m = location.hash.match(/token=([^&]+)/);
if (m) { token = decodeURIComponent(m[1]); sessionStorage.setItem("catena-admin-token", token); history.replaceState(null, "", location.pathname); }
let last = null;

function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; }
function pill(h) { return el("span", h, "pill " + h); }
function row(tbody, cells) { const tr = el("tr"); for (const c of cells) { const td = el("td"); if (c instanceof Node) td.append(c); else { td.textContent = c === null || c === undefined ? "–" : String(c); if (typeof c === "number") td.className = "n"; } tr.append(td); } tbody.append(tr); return tr; }
function body(id) { const t = document.querySelector("#" + id + " tbody"); t.replaceChildren(); return t; }
async function get(path) {
  const r = await fetch(path, { headers: token ? { Authorization: "Bearer " + token } : {}, cache: "no-store" });
  if (r.status === 401) throw new Error("the admin API asks for its token");
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}
function ago(t) { if (!t) return null; const s = Math.max(0, (Date.now() - Date.parse(t)) / 1000); return s < 90 ? Math.round(s) + " s ago" : s < 5400 ? Math.round(s / 60) + " min ago" : Math.round(s / 3600) + " h ago"; }
function rate(now, prev, f) { if (!prev) return "–"; const dt = (now.at - prev.at) / 1000; return dt > 0 ? (Math.max(0, f(now) - f(prev)) / dt).toFixed(1) : "–"; }

async function refresh() {
  try {
    const [summary, stale, halted, degraded, letters, subs, sinks] = await Promise.all([
      get("/v1/summary"), get("/v1/fleets?health=stale&limit=50"), get("/v1/fleets?health=halted&limit=50"),
      get("/v1/fleets?health=degraded&limit=50"), get("/v1/dead-letters?limit=20"), get("/v1/subscriptions"), get("/v1/sinks")]);
    document.getElementById("problem").style.display = "none";
    const now = { at: Date.now(), s: summary };
    // Every number by its name in /v1/summary, which is its metric's name.
    for (const name of ["fleets", "accepted", "inbox_depth", "dead_letters"]) document.getElementById(name).textContent = summary[name];
    document.getElementById("build").textContent = "version " + summary.version + " · commit " + summary.commit;
    document.getElementById("accepted-rate").textContent = rate(now, last, x => x.s.accepted);
    document.getElementById("rejections-rate").textContent = rate(now, last, x => x.s.rejections);
    document.getElementById("events-rate").textContent = rate(now, last, x => x.s.events);
    last = now;
    const st = body("stages");
    for (const s of stages) if (summary.fleets_by_stage[s] || s !== "none") row(st, [s, summary.fleets_by_stage[s] || 0]).dataset.stage = s;
    const ht = body("healths");
    for (const h of healths) row(ht, [pill(h), summary.fleets_by_health[h] || 0]).dataset.health = h;
    const at = body("attention");
    const need = [...stale.fleets, ...halted.fleets, ...degraded.fleets];
    const total = stale.matched + halted.matched + degraded.matched;
    for (const x of need.slice(0, 25)) {
      const conns = el("div");
      for (const c of x.connections) {
        const d = el("div"); d.append(pill(c.health), " ", el("code", (c.source_name || "tsp") + " " + c.id.slice(0, 8)));
        if (c.failed_executions) d.append(el("span", " " + c.failed_executions + " failed", "muted"));
        for (const s of c.schedules) if (!s.active) d.append(" ", pill("halted"), el("span", " " + (s.resource || s.id.slice(0, 8)) + " schedule off", "muted"));
        conns.append(d);
      }
      const name = el("div"); name.append(el("code", x.key)); if (x.fleet_ref) name.append(el("div", x.fleet_ref, "muted"));
      row(at, [name, x.stage, pill(x.health), conns, x.last_event]).dataset.health = x.health;
    }
    document.getElementById("attention-count").textContent = "(" + total + ")";
    if (total > 25) row(at, [el("span", "… and " + (total - 25) + " more: GET /v1/fleets?health=stale (halted, degraded)", "muted"), "", "", "", ""]);
    if (!need.length) row(at, [el("span", "none: every fleet is ok", "muted"), "", "", "", ""]);
    const dl = body("dead-letters");
    for (const d of letters.dead_letters) row(dl, [d.kind, d.reason, d.event_type, d.webhook_id, d.request_id]);
    if (!letters.dead_letters.length) row(dl, [el("span", "none", "muted"), "", "", "", ""]);
    const sb = body("subscriptions");
    for (const s of subs.subscriptions) {
      const status = s.status ? pill(s.delivery_stopped ? "stale" : "ok") : el("span", "active", "muted");
      if (s.status) status.textContent = s.status + (s.last_action ? " (" + s.last_action + ")" : "");
      const id = el("code", s.webhook_id.slice(0, 8) + "…"); id.title = s.webhook_id;
      row(sb, [id, s.deliveries, ago(s.last_delivery_at), status]).dataset.webhookId = s.webhook_id;
    }
    if (!subs.subscriptions.length) row(sb, [el("span", "no delivery yet", "muted"), "", "", ""]);
    document.getElementById("sinks-section").hidden = !sinks.sinks.length;
    const kb = body("sinks");
    for (const k of sinks.sinks) {
      const up = pill(k.connected ? "ok" : "stale"); up.textContent = k.connected ? "up" : "down";
      row(kb, [el("code", k.name), up, k.acknowledged, k.pending, k.lag_seconds.toFixed(1) + " s", k.retries, k.last_error]).dataset.sink = k.name;
    }
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString() + " · " + summary.time;
    document.body.dataset.loaded = "true";
  } catch (e) {
    document.getElementById("problem").style.display = "block";
    document.getElementById("problem-text").textContent = e.message;
  }
}
document.getElementById("token-form").addEventListener("submit", ev => {
  ev.preventDefault(); token = document.getElementById("token").value; sessionStorage.setItem("catena-admin-token", token); refresh();
});
// A second look after a second gives the rates at once; then every 5 seconds.
refresh().then(() => setTimeout(() => { refresh(); setInterval(refresh, 5000); }, 1000));
</script>
</body>
</html>
)html";

} // namespace

std::string_view status_page_html() noexcept { return {page, sizeof page - 1}; }

} // namespace catena::webhooks::detail
