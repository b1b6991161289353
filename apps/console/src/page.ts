import { CHART_SCRIPT } from './page-charts';
import { LETTERS_HTML, LETTERS_SCRIPT, LETTERS_STYLE } from './page-letters';

/** What the rates mean, said once on the page and in docs/operations.md. */
const RATES_TEXT =
  'in/s: events accepted (202) per second by the side\u2019s absorbers; out/s: events committed per second by its workers; both from the growth of spillway_events_accepted_total and spillway_events_processed_total at the side\u2019s metrics URLs between the last two samples (n/a without metrics URLs). net/s: change per second of the lane\u2019s pending broker messages (waiting + delayed + in flight) between the last two samples; below 0 the lane is emptying. Charts: the last hour of samples, kept by this console in memory (they start empty when it starts).';

/**
 * The console's one page. Plain DOM, no framework and nothing loaded from elsewhere; text from
 * the broker (errors, ids) is set with textContent, never as HTML.
 */
export const CONSOLE_PAGE = (authOn: boolean): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spillway console</title>
<style>
body{font:13px system-ui,sans-serif;margin:20px;color:#1d2330;background:#f7f8fa}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:0 0 6px} h3{font-size:13px;margin:14px 0 6px}
table{border-collapse:collapse;background:#fff;width:100%} th,td{border:1px solid #d5d9e0;padding:4px 6px;text-align:right}
th:first-child,td:first-child,th.err{text-align:left} td.err{text-align:left;font-family:monospace;color:#a11;white-space:pre-wrap;word-break:break-word}
.meta{color:#667} .bad{color:#b00;font-weight:600} .ok{color:#070;font-weight:600} .warn{color:#a60;font-weight:600}
button{margin:0 4px 0 0;padding:2px 8px;cursor:pointer} #login{display:none}
.sides{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:16px;margin-top:12px}
.side{background:#fff;border:1px solid #d5d9e0;border-radius:6px;padding:12px} .side.down{border-color:#b00;background:#fff6f6}
.status{margin:0 0 8px} .hist{display:grid;grid-template-columns:70px 200px 200px;gap:4px 10px;align-items:center}
.chart .bg{fill:#f4f6f9} .chart polyline{fill:none;stroke-width:1.5} .chart .depth{stroke:#2f5fb3} .chart .in{stroke:#1a8a3a} .chart .out{stroke:#d2691e} .chart .net{stroke:#666}
.chart circle.depth{fill:#2f5fb3} .chart circle.in{fill:#1a8a3a} .chart circle.out{fill:#d2691e} .chart circle.net{fill:#666}
.chart .zero{stroke:#bbb;stroke-dasharray:2 2} .chart text{font-size:9px;fill:#667} .key i{display:inline-block;width:10px;height:3px;margin:0 3px 2px 8px}
${LETTERS_STYLE}</style></head><body>
<h1>Spillway console</h1>
<div class="meta" id="meta">loading...</div>
<div id="notice" role="status"></div>
<form id="login"><label>Console token <input id="token" type="password" autocomplete="off"></label> <button>Open</button> <span id="login-error" class="bad"></span></form>
<div id="main" hidden>
<div id="weights"></div>
<div id="ledger" class="meta"></div>
<div id="sides" class="sides"></div>
<p class="meta" id="rates-help">${RATES_TEXT}</p>
<div id="problems" class="meta"></div>
${LETTERS_HTML}
</div>
<script>
const authOn = ${authOn ? 'true' : 'false'};
let token = sessionStorage.getItem('spillwayConsoleToken') || '';
const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; };
const fmt = (v, d = 1) => v === null || v === undefined ? 'n/a' : Number(v).toFixed(d);
const age = (s) => s === null ? 'n/a' : s < 120 ? s.toFixed(1) + ' s' : s < 7200 ? (s / 60).toFixed(1) + ' min' : (s / 3600).toFixed(1) + ' h';
${CHART_SCRIPT}
${LETTERS_SCRIPT}
async function api(path, body) {
  const res = await fetch(path, { method: body ? 'POST' : 'GET', headers: Object.assign({ authorization: 'Bearer ' + token }, body ? { 'content-type': 'application/json' } : {}), body: body ? JSON.stringify(body) : undefined });
  const json = await res.json();
  if (res.status === 401) { showLogin(json.message); throw new Error(json.message); }
  if (!res.ok) throw new Error(json.message || ('HTTP ' + res.status));
  return json;
}
function showLogin(message) { $('main').hidden = true; $('login').style.display = 'block'; $('login-error').textContent = message || ''; $('meta').textContent = ''; $('notice').textContent = ''; }
async function act(side, lane, action, ids) {
  const where = 'lane ' + lane + ' on ' + side;
  const what = action === 'redrive' ? 'Move the dead letters of ' + where + ' back to their lane?' : ids ? 'Delete dead letter ' + ids[0] + ' (' + where + ') for good?' : 'Delete every dead letter of ' + where + ' for good?';
  if (!confirm(what)) return;
  try {
    const r = await api('/api/sides/' + encodeURIComponent(side) + '/lanes/' + lane + '/' + action, { confirm: side + '/' + lane, ids });
    $('notice').textContent = action === 'redrive' ? side + ' ' + lane + ': ' + r.moved + ' moved back' : side + ' ' + lane + ': ' + r.removed + ' discarded';
  } catch (e) { $('notice').textContent = action + ' failed: ' + e.message; }
  refresh(true);
}
function button(text, onClick, testId) { const b = el('button', text); b.onclick = onClick; b.dataset.test = testId; return b; }
function table(headers) { const t = el('table'); const h = el('tr'); for (const c of headers) h.append(el('th', c)); t.append(h); return t; }
function renderSide(s) {
  const sec = el('section', undefined, 'side' + (s.unreachable ? ' down' : '')); sec.dataset.side = s.name;
  sec.append(el('h2', s.name + ' (' + s.driver + ')'));
  const status = el('div', undefined, 'status'); status.dataset.test = 'status-' + s.name;
  status.append(s.unreachable ? el('span', 'UNREACHABLE: ' + s.unreachable, 'bad') : el('span', 'live', 'ok'));
  if (s.weight !== undefined) status.append(el('span', ' \u00b7 weight ' + s.weight));
  if (s.readiness) status.append(el('span', ' \u00b7 readiness '), el('span', (s.readiness.ready ? 'ready' : 'NOT READY') + ' (' + s.readiness.detail + ')', s.readiness.ready ? 'ok' : 'bad'));
  if (s.drain) {
    const d = el('div', 'draining: ' + s.drain.left + ' left' + (s.drain.change === null ? '' : ' (' + (s.drain.change >= 0 ? '+' : '') + s.drain.change + ' in the last ' + s.drain.overSeconds + ' s)'), 'warn');
    d.dataset.test = 'drain-' + s.name; status.append(d);
  }
  sec.append(status);
  const t = table(['lane', 'waiting', 'delayed', 'in flight', 'oldest', 'dead', 'in/s', 'out/s', 'net/s', '']);
  for (const l of s.lanes) {
    const tr = el('tr'); tr.dataset.lane = l.lane;
    for (const v of [l.lane, l.depth.waiting, l.depth.delayed, l.depth.active, age(l.oldestAgeSeconds), l.depth.deadLettered, fmt(l.inPerSecond), fmt(l.outPerSecond), fmt(l.netPerSecond)]) tr.append(el('td', v));
    const td = el('td');
    if (l.depth.deadLettered > 0) td.append(button('Redrive', () => act(s.name, l.lane, 'redrive'), 'redrive-' + s.name + '-' + l.lane), button('Discard all', () => act(s.name, l.lane, 'discard'), 'discard-' + s.name + '-' + l.lane));
    tr.append(td); t.append(tr);
  }
  if (!s.unreachable) sec.append(t);
  const h = s.history; const lanesH = Object.keys(h);
  const head = el('h3', 'Last ' + (span(h[lanesH[0]].at) || 'hour') + ' (every ' + sampleSeconds + ' s)');
  const key = el('span', undefined, 'key meta');
  key.innerHTML = s.rateSource === 'counters' ? '<i style="background:#2f5fb3"></i>pending <i style="background:#1a8a3a"></i>in/s <i style="background:#d2691e"></i>out/s' : '<i style="background:#2f5fb3"></i>pending <i style="background:#666"></i>net/s (no metrics URL: in/out n/a)';
  head.append(key); sec.append(head);
  const grid = el('div', undefined, 'hist');
  for (const lane of lanesH) {
    const x = h[lane];
    grid.append(el('div', lane), chart(x.at, [{ values: x.pending, cls: 'depth' }], 'chart-' + s.name + '-' + lane + '-depth', false),
      s.rateSource === 'counters' ? chart(x.at, [{ values: x.inPerSecond, cls: 'in' }, { values: x.outPerSecond, cls: 'out' }], 'chart-' + s.name + '-' + lane + '-rates', false)
        : chart(x.at, [{ values: x.netPerSecond, cls: 'net' }], 'chart-' + s.name + '-' + lane + '-rates', true));
  }
  sec.append(grid);
  if (s.metricsProblem) sec.append(el('div', 'note: ' + s.metricsProblem, 'meta'));
  const letters = s.lanes.flatMap((l) => l.deadLetters.map((d) => Object.assign({ lane: l.lane }, d)));
  if (letters.length) {
    sec.append(el('h3', 'Dead letters'));
    const dt = table(['lane', 'id', 'events', 'attempts', 'failed at', 'last error', '']); dt.rows[0].cells[5].className = 'err';
    for (const d of letters) {
      const tr = el('tr'); tr.dataset.deadLetter = d.id;
      for (const v of [d.lane, d.id, d.eventsInS3 ? 'in S3' : d.events, d.attempts, d.failedAt.replace('T', ' ').slice(0, 19)]) tr.append(el('td', v));
      const err = el('td', undefined, 'err'); const lines = d.lastError.split(String.fromCharCode(10));
      if (lines.length === 1) err.textContent = d.lastError;
      else { const det = el('details'); det.append(el('summary', lines[0]), el('div', lines.slice(1).join(String.fromCharCode(10)))); err.append(det); }
      tr.append(err);
      const td = el('td'); td.append(button('Discard', () => act(s.name, d.lane, 'discard', [d.id]), 'discard-one-' + d.id)); tr.append(td);
      dt.append(tr);
    }
    sec.append(dt);
  }
  return sec;
}
let sampleSeconds = 10;
function render(r) {
  sampleSeconds = r.sampleSeconds;
  $('meta').textContent = r.sides.length + ' side(s) - ' + new Date(r.at).toLocaleString();
  $('weights').textContent = r.traffic.error ? r.traffic.error : 'weights (deploy/traffic.json): ' + Object.entries(r.traffic).map(([k, v]) => k + ' ' + v).join(' / ');
  $('ledger').textContent = r.ledger ? 'applied (ledger, both sides, last 60 s): ' + Object.entries(r.ledger).map(([k, v]) => k + ' ' + fmt(v) + '/s').join(', ') : '';
  $('sides').replaceChildren(...r.sides.map(renderSide));
  fillSides(r.sides.map((s) => s.name));
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
