/** Two bar charts side by side (rps, p99) as plain SVG: no charting dependency for three bars. */
interface Bar {
  key: string;
  rps: number;
  p99: number;
}

const COLORS: Record<string, string> = { absorber: '#2f6fdf', baseline: '#9bb8ec', fastify: '#8a8a8a', naive: '#d9822b' };
const NAMES: Record<string, string> = { absorber: 'absorber', baseline: 'absorber, earlier build', fastify: 'bare Fastify', naive: 'naive peer' };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function panel(bars: Bar[], x0: number, title: string, value: (b: Bar) => number, unit: string): string {
  const width = 330;
  const max = Math.max(...bars.map(value), 1e-9);
  const out = [`<text x="${x0}" y="50" font-weight="bold">${escape(title)}</text>`];
  bars.forEach((b, i) => {
    const y = 70 + i * 46;
    const w = Math.max(1, (value(b) / max) * width);
    out.push(
      `<text x="${x0}" y="${y + 12}">${escape(NAMES[b.key] ?? b.key)}</text>`,
      `<rect x="${x0}" y="${y + 18}" width="${w.toFixed(1)}" height="18" fill="${COLORS[b.key] ?? '#555'}"/>`,
      `<text x="${(x0 + w + 6).toFixed(1)}" y="${y + 32}">${value(b).toFixed(unit === 'ms' ? 1 : 0)} ${unit}</text>`,
    );
  });
  return out.join('\n  ');
}

export function renderPlot(bars: Bar[], title: string): string {
  const height = 90 + bars.length * 46;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="860" height="${height}" font-family="sans-serif" font-size="13">`,
    `  <rect width="100%" height="100%" fill="white"/>`,
    `  <text x="20" y="24" font-size="15" font-weight="bold">${escape(title)}</text>`,
    `  ${panel(bars, 20, 'requests/s (higher is better)', (b) => b.rps, 'rps')}`,
    `  ${panel(bars, 450, 'p99 latency (lower is better)', (b) => b.p99, 'ms')}`,
    '</svg>',
    '',
  ].join('\n');
}
