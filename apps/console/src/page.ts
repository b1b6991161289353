/**
 * The console's one page. Plain DOM, no framework and nothing loaded from elsewhere; text from
 * the broker (errors, ids) is set with textContent, never as HTML.
 */
export const CONSOLE_PAGE = (authOn: boolean): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spillway console</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#1d2330;background:#f7f8fa}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px}
table{border-collapse:collapse;background:#fff;min-width:640px} th,td{border:1px solid #d5d9e0;padding:6px 10px;text-align:right}
th:first-child,td:first-child{text-align:left} td.err{text-align:left;font-family:monospace;color:#a11;max-width:520px;white-space:pre-wrap}
.meta{color:#667} .bad{color:#b00;font-weight:600} .ok{color:#070;font-weight:600}
button{margin:0 4px 0 0;padding:3px 10px;cursor:pointer} #login{display:none} .lane{margin-bottom:12px}
</style></head><body>
<h1>Spillway console</h1>
<div class="meta" id="meta">loading...</div>
<div id="notice" role="status"></div>
<form id="login"><label>Console token <input id="token" type="password" autocomplete="off"></label> <button>Open</button> <span id="login-error" class="bad"></span></form>
<div id="main" hidden>
<h2>Lanes</h2>
<table id="lanes"><thead><tr><th>lane</th><th>waiting</th><th>delayed</th><th>active</th><th>oldest</th><th>in/s</th><th>out/s</th><th>dead letters</th><th></th></tr></thead><tbody></tbody></table>
<h2>Dead letters</h2><div id="dead"></div>
<h2>Cutover</h2><table id="cutover"><tbody></tbody></table>
<div id="problems" class="meta"></div>
</div>
<script>
const authOn = ${authOn ? 'true' : 'false'};
let token = sessionStorage.getItem('spillwayConsoleToken') || '';
const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; };
const fmt = (v, d = 1) => v === null || v === undefined ? 'n/a' : Number(v).toFixed(d);
const age = (s) => s === null ? 'n/a' : s < 120 ? s.toFixed(1) + ' s' : s < 7200 ? (s / 60).toFixed(1) + ' min' : (s / 3600).toFixed(1) + ' h';
async function api(path, body) {
  const res = await fetch(path, { method: body ? 'POST' : 'GET', headers: Object.assign({ authorization: 'Bearer ' + token }, body ? { 'content-type': 'application/json' } : {}), body: body ? JSON.stringify(body) : undefined });
  const json = await res.json();
  if (res.status === 401) { showLogin(json.message); throw new Error(json.message); }
  if (!res.ok) throw new Error(json.message || ('HTTP ' + res.status));
  return json;
}
function showLogin(message) { $('main').hidden = true; $('login').style.display = 'block'; $('login-error').textContent = message || ''; $('meta').textContent = ''; $('notice').textContent = ''; }
async function act(lane, action, ids) {
  const what = action === 'redrive' ? 'Move the dead letters of lane ' + lane + ' back to their lane?' : ids ? 'Delete dead letter ' + ids[0] + ' for good?' : 'Delete every dead letter of lane ' + lane + ' for good?';
  if (!confirm(what)) return;
  try {
    const r = await api('/api/lanes/' + lane + '/' + action, { confirm: lane, ids });
    $('notice').textContent = action === 'redrive' ? lane + ': ' + r.moved + ' moved back' : lane + ': ' + r.removed + ' discarded';
  } catch (e) { $('notice').textContent = action + ' failed: ' + e.message; }
  refresh(true);
}
function button(text, onClick, testId) { const b = el('button', text); b.onclick = onClick; b.dataset.test = testId; return b; }
function render(r) {
  $('meta').textContent = 'driver ' + r.driver + ' - ' + new Date(r.at).toLocaleString();
  const body = $('lanes').tBodies[0]; body.replaceChildren();
  for (const l of r.lanes) {
    const tr = el('tr'); tr.dataset.lane = l.lane;
    for (const v of [l.lane, l.depth.waiting, l.depth.delayed, l.depth.active, age(l.oldestAgeSeconds), fmt(l.inPerSecond), fmt(l.outPerSecond), l.depth.deadLettered]) tr.append(el('td', v));
    const td = el('td');
    if (l.depth.deadLettered > 0) td.append(button('Redrive', () => act(l.lane, 'redrive'), 'redrive-' + l.lane), button('Discard all', () => act(l.lane, 'discard'), 'discard-' + l.lane));
    tr.append(td); body.append(tr);
  }
  const dead = $('dead'); dead.replaceChildren();
  const letters = r.lanes.flatMap((l) => l.deadLetters.map((d) => Object.assign({ lane: l.lane }, d)));
  if (!letters.length) dead.append(el('div', 'none', 'meta'));
  else {
    const t = el('table'); const h = el('tr'); for (const c of ['lane', 'id', 'events', 'attempts', 'failed at', 'last error', '']) h.append(el('th', c)); t.append(h);
    for (const d of letters) {
      const tr = el('tr'); tr.dataset.deadLetter = d.id;
      for (const v of [d.lane, d.id, d.events, d.attempts, d.failedAt]) tr.append(el('td', v));
      const err = el('td', undefined, 'err'); const lines = d.lastError.split('\\n');
      if (lines.length === 1) err.textContent = d.lastError;
      else { const det = el('details'); det.append(el('summary', lines[0]), el('div', lines.slice(1).join('\\n'))); err.append(det); }
      tr.append(err);
      const td = el('td'); td.append(button('Discard', () => act(d.lane, 'discard', [d.id]), 'discard-one-' + d.id)); tr.append(td);
      t.append(tr);
    }
    dead.append(t);
  }
  const cut = $('cutover').tBodies[0]; cut.replaceChildren();
  const weights = r.traffic.error ? r.traffic.error : 'hetzner ' + r.traffic.hetzner + ' / eks ' + r.traffic.eks;
  const row = (k, v, cls) => { const tr = el('tr'); tr.append(el('td', k), el('td', v, cls)); cut.append(tr); };
  row('weights (deploy/traffic.json)', weights);
  for (const side of ['hetzner', 'eks']) {
    const s = r.readiness[side];
    row(side + ' readiness', s ? (s.ready ? 'ready' : 'NOT READY') + ' (' + s.detail + ') ' + s.url : 'not configured', s ? (s.ready ? 'ok' : 'bad') : 'meta');
  }
  $('problems').textContent = r.problems.map((p) => 'note: ' + p).join('  ');
}
let timer;
async function refresh(now) {
  clearTimeout(timer);
  try { render(await api('/api/report')); $('main').hidden = false; $('login').style.display = 'none'; } catch (e) { if ($('main').hidden === false) $('meta').textContent = 'refresh failed: ' + e.message; }
  if ($('login').style.display !== 'block') timer = setTimeout(refresh, 3000);
}
$('login').onsubmit = (e) => { e.preventDefault(); token = $('token').value; sessionStorage.setItem('spillwayConsoleToken', token); refresh(true); };
if (authOn && !token) showLogin(); else refresh(true);
</script></body></html>`;
