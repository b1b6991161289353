// Monthly cost of each target against the rate, as plain SVG (log-log: $10 and $5000 on one chart).
// The Hetzner line stops where the box runs out; that rate is marked as the break-even.
import { CostReport } from './plan';

const W = 760;
const H = 420;
const PAD = { left: 70, right: 30, top: 40, bottom: 60 };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function logScale(min: number, max: number, from: number, to: number) {
  const a = Math.log10(min);
  const b = Math.log10(max);
  return (v: number) => from + ((Math.log10(v) - a) / (b - a)) * (to - from);
}

export function renderCostChart(r: CostReport): string {
  const rates = r.rates.map((p) => p.rps);
  const costs = r.rates.flatMap((p) => [p.eks.monthlyUsd, p.hetznerUsd ?? p.eks.monthlyUsd]);
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...costs)));
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...costs)));
  const x = logScale(rates[0], rates[rates.length - 1], PAD.left, W - PAD.right);
  const y = logScale(yMin, yMax, H - PAD.bottom, PAD.top);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${PAD.left}" y="22" font-size="14" font-weight="bold">Monthly cost by sustained rate (USD, log scales)</text>`,
  ];
  for (let v = yMin; v <= yMax; v *= 10) {
    out.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${PAD.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">$${v.toLocaleString('en-US')}</text>`);
  }
  for (const rps of rates) {
    out.push(`<line x1="${x(rps).toFixed(1)}" x2="${x(rps).toFixed(1)}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x(rps).toFixed(1)}" y="${H - PAD.bottom + 18}" text-anchor="middle">${rps.toLocaleString('en-US')}</text>`);
  }
  out.push(`<text x="${(W / 2).toFixed(0)}" y="${H - 16}" text-anchor="middle">requests per second</text>`);
  const eks = r.rates.map((p) => `${x(p.rps).toFixed(1)},${y(p.eks.monthlyUsd).toFixed(1)}`).join(' ');
  out.push(`<polyline points="${eks}" fill="none" stroke="#d9822b" stroke-width="2.5"/>`);
  const held = r.rates.filter((p) => p.hetznerUsd !== undefined).map((p) => p.rps);
  const hetznerEnd = Math.max(...held, r.breakEvenRps);
  const hy = y(r.hetzner.monthlyUsd).toFixed(1);
  out.push(`<line x1="${x(rates[0]).toFixed(1)}" x2="${x(hetznerEnd).toFixed(1)}" y1="${hy}" y2="${hy}" stroke="#2f6fdf" stroke-width="2.5"/>`);
  const bx = x(r.breakEvenRps).toFixed(1);
  out.push(`<line x1="${bx}" x2="${bx}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#c0392b" stroke-dasharray="5,4"/>`);
  out.push(`<text x="${(x(r.breakEvenRps) + 6).toFixed(1)}" y="${PAD.top + 14}" fill="#c0392b">${escape(`${r.hetzner.box} runs out: ${r.breakEvenRps.toLocaleString('en-US')} rps`)}</text>`);
  out.push(`<text x="${PAD.left + 10}" y="${(y(r.hetzner.monthlyUsd) - 8).toFixed(1)}" fill="#2f6fdf">${escape(`Hetzner ${r.hetzner.box}`)}</text>`);
  const last = r.rates[r.rates.length - 1];
  out.push(`<text x="${(x(last.rps) - 6).toFixed(1)}" y="${(y(last.eks.monthlyUsd) + 18).toFixed(1)}" text-anchor="end" fill="#d9822b">EKS (${escape(last.eks.region)})</text>`);
  out.push('</svg>', '');
  return out.join('\n');
}
