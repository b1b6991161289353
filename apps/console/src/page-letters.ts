/**
 * The page's dead-letter finder and event tracer (markup and plain JS, inlined into the page).
 * Filters mean what queue:redrive's flags mean (libs/ops letter-filter, applied by the server);
 * every action is confirmed in a dialog that states the count and the filter first.
 */
export const LETTERS_STYLE = `
.panel{background:#fff;border:1px solid #d5d9e0;border-radius:6px;padding:12px;margin-top:16px}
.panel form label{margin-right:10px;white-space:nowrap} .panel input{width:150px} #t-id{width:320px}
.panel td{vertical-align:top} .panel td.err{max-width:420px}
pre.payload,pre.error{max-height:320px;overflow:auto;background:#f4f6f9;padding:6px;margin:4px 0;text-align:left;white-space:pre-wrap;word-break:break-word}
.event{border-top:1px solid #e3e6eb;padding:6px 0} .trace{font-family:monospace;white-space:pre-wrap;margin:4px 0}
`;

export const LETTERS_HTML = `
<section class="panel" id="finder"><h2>Find dead letters</h2>
<form id="find">
<label>side <select id="f-side"></select></label>
<label>lane <select id="f-lane"><option>all</option><option>critical</option><option>normal</option><option>low</option></select></label>
<label>type <input id="f-type" placeholder="order.*"></label>
<label>error text <input id="f-grep" placeholder="SMTP"></label>
<label>key <input id="f-key" placeholder="c-1 or tenant:t1/c-1"></label>
<label>since <input id="f-since" placeholder="2026-12-06T10:00:00Z"></label>
<button>Find</button></form>
<p class="meta" id="f-summary" data-test="letters-summary"></p>
<div id="f-actions" hidden>
<button type="button" id="redrive-selected" data-test="redrive-selected">Redrive selected</button>
<button type="button" id="discard-selected" data-test="discard-selected">Discard selected</button>
<button type="button" id="redrive-matching" data-test="redrive-matching">Redrive all matching</button>
<button type="button" id="discard-matching" data-test="discard-matching">Discard all matching</button>
</div>
<div id="f-table"></div>
<div id="letter" data-test="letter"></div>
</section>
<section class="panel" id="tracer"><h2>Trace one event</h2>
<form id="trace"><label>event id <input id="t-id" placeholder="from a 202, a log line or a webhook delivery"></label> <button>Trace</button></form>
<div id="t-out"></div>
</section>
`;

export const LETTERS_SCRIPT = `
const enc = encodeURIComponent;
let sideNames = [];
let found;
function fillSides(names) {
  if (names.join() === sideNames.join()) return;
  sideNames = names;
  $('f-side').replaceChildren(...names.map((n) => { const o = el('option', n); o.value = n; return o; }));
}
function filterOf() {
  const f = {};
  for (const k of ['type', 'grep', 'key', 'since']) { const v = $('f-' + k).value.trim(); if (v) f[k] = v; }
  return f;
}
let findSeq = 0;
/** Only the latest find renders (one started by an action may still be answering). */
async function findLetters() {
  const mine = ++findSeq;
  const side = $('f-side').value, lane = $('f-lane').value, filter = filterOf();
  $('f-summary').textContent = 'looking on ' + side + '...';
  $('f-actions').hidden = true; $('f-table').replaceChildren(); $('letter').replaceChildren();
  try {
    const r = await api('/api/sides/' + enc(side) + '/lanes/' + lane + '/letters?' + new URLSearchParams(filter));
    if (mine !== findSeq) return;
    found = { side, lane, filter, r };
    renderFound();
  } catch (e) { if (mine === findSeq) { found = undefined; $('f-summary').textContent = 'find failed: ' + e.message; } }
}
/** Unfiltered, the broker's count may be the larger (an SQS FIFO dead-letter queue hides a group's later letters). */
function countOf(r) { return Object.keys(found.filter).length ? r.letters.length : r.lanes.reduce((n, l) => n + Math.max(l.matching, l.counted), 0); }
function renderFound() {
  const r = found.r;
  const per = r.lanes.filter((l) => l.lookedAt || l.counted).map((l) => l.lane + ': ' + l.matching + ' of ' + l.lookedAt + ' looked at, ' + l.counted + ' counted by the broker' + (l.stoppedAtMax ? ' (stopped at ' + r.max + ': more may match)' : ''));
  $('f-summary').textContent = r.letters.length + ' of ' + r.lookedAt + ' dead letter(s) looked at on ' + r.side + ' match ' + r.filter + (per.length ? ' \\u2014 ' + per.join('; ') : '') + (r.driver === 'sqs' ? ' (SQS: read by a bounded receive of up to ' + r.max + ' per lane, made visible again after)' : '');
  $('f-actions').hidden = countOf(r) === 0;
  for (const a of ['redrive', 'discard']) $(a + '-matching').textContent = (a === 'redrive' ? 'Redrive' : 'Discard') + ' all ' + countOf(r) + ' matching';
  if (!r.letters.length) { $('f-table').replaceChildren(); return; }
  const t = table(['', 'lane', 'id', 'events', 'keys', 'attempts', 'failed at', 'last error', '']); t.rows[0].cells[7].className = 'err';
  for (const d of r.letters) {
    const tr = el('tr'); tr.dataset.letter = d.id; tr.dataset.events = d.events.map((e) => e.id).join(' ');
    const pick = el('input'); pick.type = 'checkbox'; pick.value = d.id; pick.dataset.lane = d.lane; pick.dataset.test = 'pick-' + d.id;
    const td0 = el('td'); td0.append(pick); tr.append(td0);
    // A claim-checked letter (SQS) is listed without reading S3: its events show when it is opened.
    const s3 = d.eventsInS3 ? 'in S3 (' + (d.eventsInS3.bytes === null ? 'size not recorded' : d.eventsInS3.bytes + ' bytes') + '): open to read' : null;
    for (const v of [d.lane, d.id, s3 ?? d.events.map((e) => e.type).join(', '), s3 ? '' : d.events.map((e) => e.key === null ? '-' : e.key).join(', '), d.attempts, d.failedAt.replace('T', ' ').slice(0, 19)]) tr.append(el('td', v));
    tr.append(el('td', d.lastError.split(String.fromCharCode(10))[0], 'err'));
    const td = el('td');
    td.append(button('Open', () => openLetter(r.side, d.lane, d.id), 'open-' + d.id), button('Redrive', () => actOn('redrive', [d]), 'letter-redrive-' + d.id), button('Discard', () => actOn('discard', [d]), 'letter-discard-' + d.id));
    tr.append(td); t.append(tr);
  }
  $('f-table').replaceChildren(t);
}
function picked() { return [...document.querySelectorAll('#f-table input[type=checkbox]:checked')].map((c) => ({ id: c.value, lane: c.dataset.lane })); }
/** letters: one or a selection (by id, per lane); undefined: everything the filter matches. */
async function actOn(action, letters) {
  const { side, lane, filter, r } = found;
  const verb = action === 'redrive' ? 'Redrive' : 'Delete for good';
  const calls = [];
  let question;
  if (letters) {
    if (!letters.length) { $('notice').textContent = 'nothing selected'; return; }
    question = verb + ' ' + letters.length + ' dead letter(s) on ' + side + ' (' + letters.map((d) => d.lane + ' ' + d.id).join(', ') + ')?';
    const lanes = [...new Set(letters.map((d) => d.lane))];
    for (const l of lanes) calls.push([l, { confirm: side + '/' + l, ids: letters.filter((d) => d.lane === l).map((d) => d.id) }]);
  } else {
    const n = countOf(r);
    const filtered = Object.keys(filter).length > 0;
    question = verb + ' ' + (filtered ? n + ' dead letter(s) on ' + side + ' matching ' + r.filter + ' (of ' + r.lookedAt + ' looked at)?' : 'every dead letter on ' + side + ' ' + r.filter + ' (' + n + ' counted)?');
    calls.push([lane, filtered ? { confirm: side + '/' + lane, filter, expect: n, max: r.max } : { confirm: side + '/' + lane }]);
  }
  if (!confirm(question)) return;
  let done = 0;
  try {
    for (const [l, body] of calls) { const a = await api('/api/sides/' + enc(side) + '/lanes/' + l + '/' + action, body); done += action === 'redrive' ? a.moved : a.removed; }
    $('notice').textContent = side + ': ' + done + (action === 'redrive' ? ' moved back to their lane' : ' discarded') + (letters ? '' : ' (' + r.filter + ')');
  } catch (e) { $('notice').textContent = action + ' failed after ' + done + ': ' + e.message; }
  refresh(true);
  await findLetters();
}
async function openLetter(side, lane, id) {
  const box = $('letter');
  box.replaceChildren(el('p', 'opening ' + id + '...', 'meta'));
  let l;
  try { l = await api('/api/sides/' + enc(side) + '/lanes/' + lane + '/letters/' + enc(id)); } catch (e) { box.replaceChildren(el('p', 'open failed: ' + e.message, 'bad')); return; }
  const head = el('h3', 'Letter ' + l.id + ' on ' + l.side + ' / ' + l.lane);
  const tries = el('p', l.attempts + ' attempt(s), the last failed at ' + l.failedAt + '; its error:'); tries.dataset.test = 'letter-attempts';
  box.replaceChildren(head, tries, el('pre', l.lastError, 'error'));
  for (const e of l.events) {
    const div = el('div', undefined, 'event'); div.dataset.test = 'event-' + e.id;
    div.append(el('div', e.type + ' \\u00b7 ' + e.id + (e.key === null ? '' : ' \\u00b7 key ' + e.key) + (e.origin ? ' \\u00b7 ' + e.origin.kind + ':' + e.origin.name : '') + ' \\u00b7 received ' + e.receivedAt));
    const pre = el('pre', e.payload, 'payload'); pre.dataset.test = 'payload-' + e.id;
    div.append(pre);
    if (e.truncated) {
      const note = el('div', 'showing ' + e.payload.length + ' of ' + e.chars + ' characters ', 'meta');
      note.append(button('Show all ' + e.chars + ' characters', async () => {
        try { const w = await api('/api/sides/' + enc(side) + '/lanes/' + lane + '/letters/' + enc(id) + '/events/' + enc(e.id)); pre.textContent = w.payload; note.remove(); }
        catch (err) { note.textContent = 'fetch failed: ' + err.message; }
      }, 'whole-' + e.id));
      div.append(note);
    }
    box.append(div);
  }
}
async function traceIt() {
  const id = $('t-id').value.trim();
  if (!id) return;
  const out = $('t-out');
  out.replaceChildren(...sideNames.map((s) => { const d = el('div', s + ': tracing...', 'trace'); d.dataset.test = 'trace-' + s; return d; }));
  await Promise.all(sideNames.map(async (s, i) => {
    const d = out.children[i];
    try { const t = await api('/api/sides/' + enc(s) + '/events/' + enc(id)); d.textContent = s + ': ' + t.text; d.dataset.state = t.state; }
    catch (e) { d.textContent = s + ': trace failed: ' + e.message; d.dataset.state = 'error'; }
  }));
}
$('find').onsubmit = (e) => { e.preventDefault(); findLetters(); };
$('trace').onsubmit = (e) => { e.preventDefault(); traceIt(); };
$('redrive-selected').onclick = () => actOn('redrive', picked());
$('discard-selected').onclick = () => actOn('discard', picked());
$('redrive-matching').onclick = () => actOn('redrive');
$('discard-matching').onclick = () => actOn('discard');
`;
