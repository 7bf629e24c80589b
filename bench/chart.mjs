// A chart of one benchmark report: for each workload, each client's "how many times better
// than ws" (ratio of medians; inverted for lower-is-better metrics), on a log scale, against
// the native server. Written as SVG; also as PNG when rsvg-convert (Debian: librsvg2-bin) exists.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const COLORS = {
  'ours-whatwg': '#1b7837', 'ours-engine': '#5aae61', 'ours-mirror': '#a6dba0',
  ws: '#2166ac', 'ws-nobu': '#92c5de', undici: '#d6604d', raw: '#999999',
};

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** Returns the files written (base + .svg, maybe .png). */
export function renderChart(report, base) {
  const server = report.results.some((r) => r.server === 'go') ? 'go' : report.results[0]?.server;
  const rows = report.workloads.map((w) => ({
    name: w.name,
    bars: report.results
      .filter((r) => r.server === server && r.workload === w.name && r.status === 'ok' && r.ratioToWs)
      .map((r) => ({ client: r.client, value: r.better === 'lower' ? 1 / r.ratioToWs : r.ratioToWs })),
  })).filter((r) => r.bars.length);
  const clients = [...new Set(rows.flatMap((r) => r.bars.map((b) => b.client)))];
  const barH = 11;
  const gap = 10;
  const left = 150;
  const width = 900;
  const plotW = width - left - 60;
  const top = 60;
  const height = top + rows.reduce((h, r) => h + r.bars.length * barH + gap, 0) + 40;
  const lo = Math.log2(1 / 8);
  const hi = Math.log2(8);
  const x = (v) => left + ((Math.min(hi, Math.max(lo, Math.log2(v))) - lo) / (hi - lo)) * plotW;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="10" y="18" font-size="14" font-weight="bold">netstack-websocket benchmark: times better than ws (median; server ${escape(server)}; ${escape(report.date)})</text>`);
  let lx = 10;
  for (const c of clients) {
    out.push(`<rect x="${lx}" y="30" width="10" height="10" fill="${COLORS[c] ?? '#444'}"/><text x="${lx + 14}" y="39">${escape(c)}</text>`);
    lx += 24 + c.length * 7;
  }
  for (const v of [1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8]) {
    const px = x(v);
    out.push(`<line x1="${px}" y1="${top - 5}" x2="${px}" y2="${height - 30}" stroke="${v === 1 ? '#000' : '#ddd'}"/>`);
    out.push(`<text x="${px}" y="${height - 16}" text-anchor="middle">${v < 1 ? `1/${1 / v}` : v}x</text>`);
  }
  let y = top;
  for (const row of rows) {
    out.push(`<text x="${left - 6}" y="${y + (row.bars.length * barH) / 2 + 4}" text-anchor="end">${escape(row.name)}</text>`);
    for (const bar of row.bars) {
      const x0 = x(1);
      const x1 = x(bar.value);
      out.push(`<rect x="${Math.min(x0, x1)}" y="${y}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${barH - 2}" fill="${COLORS[bar.client] ?? '#444'}"/>`);
      out.push(`<text x="${Math.max(x0, x1) + 3}" y="${y + barH - 3}" font-size="9">${bar.value.toFixed(2)}</text>`);
      y += barH;
    }
    y += gap;
  }
  out.push('</svg>');
  const files = [];
  fs.writeFileSync(`${base}.svg`, out.join('\n'));
  files.push(`${base}.svg`);
  try {
    execFileSync('rsvg-convert', ['-o', `${base}.png`, `${base}.svg`], { stdio: 'ignore' });
    files.push(`${base}.png`);
  } catch { /* no rsvg-convert: SVG only */ }
  return files;
}
