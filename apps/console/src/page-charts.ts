/**
 * The page's chart code (plain JS, inlined into the page): small SVG line charts drawn with
 * createElementNS, no library. A null value breaks the line (the side could not be read then).
 */
export const CHART_SCRIPT = `
const SVG = 'http://www.w3.org/2000/svg';
function svgEl(tag, attrs) { const e = document.createElementNS(SVG, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); return e; }
function chart(at, lines, testId, signed) {
  const W = 200, H = 44, P = 2;
  const svg = svgEl('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, class: 'chart' });
  svg.dataset.test = testId;
  const values = lines.flatMap((l) => l.values.filter((v) => v !== null && v !== undefined));
  svg.dataset.points = String(Math.max(0, ...lines.map((l) => l.values.filter((v) => v !== null && v !== undefined).length)));
  svg.append(svgEl('rect', { x: 0, y: 0, width: W, height: H, class: 'bg' }));
  if (!at.length || !values.length) { const t = svgEl('text', { x: 6, y: 26, class: 'none' }); t.textContent = 'no samples yet'; svg.append(t); return svg; }
  const newest = at[at.length - 1], oldest = Math.max(at[0], newest - 3600e3);
  const hi = Math.max(...values, signed ? 0 : 1), lo = signed ? Math.min(...values, 0) : 0;
  const x = (t) => P + ((t - oldest) / Math.max(1, newest - oldest)) * (W - 2 * P);
  const y = (v) => H - P - ((v - lo) / Math.max(1e-9, hi - lo)) * (H - 2 * P);
  if (signed) svg.append(svgEl('line', { x1: 0, x2: W, y1: y(0), y2: y(0), class: 'zero' }));
  for (const line of lines) {
    let seg = [];
    const flush = () => { if (seg.length === 1) svg.append(svgEl('circle', { cx: seg[0][0], cy: seg[0][1], r: 1.5, class: line.cls })); else if (seg.length) svg.append(svgEl('polyline', { points: seg.map((p) => p.join(',')).join(' '), class: line.cls })); seg = []; };
    at.forEach((t, i) => { const v = line.values[i]; if (t < oldest) return; if (v === null || v === undefined) flush(); else seg.push([x(t).toFixed(1), y(v).toFixed(1)]); });
    flush();
  }
  const label = svgEl('text', { x: W - 4, y: 11, class: 'max', 'text-anchor': 'end' });
  label.textContent = 'max ' + (Math.abs(hi) >= 10 ? Math.round(hi) : hi.toFixed(1));
  svg.append(label);
  return svg;
}
function span(at) { if (at.length < 2) return ''; const s = (at[at.length - 1] - Math.max(at[0], at[at.length - 1] - 3600e3)) / 1000; return s < 120 ? Math.round(s) + ' s' : Math.round(s / 60) + ' min'; }
`;
