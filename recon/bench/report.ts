/** BENCHMARKS.md: one section per benchmark, with the machine it ran on. */
import { cpus, totalmem } from 'node:os';

export interface Table {
  title: string;
  note: string;
  header: string[];
  rows: (string | number)[][];
}

export function machineLine(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown CPU'} × ${c.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
}

function cell(v: string | number): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
  return v.replace(/\|/g, '\\|');
}

export function renderMarkdown(tables: Table[], date = new Date()): string {
  const out = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${date.toISOString().slice(0, 10)}: ${machineLine()}.`,
    'Peers run in the same process tree on the same files. Timings are wall seconds (best of a few runs); software-driver numbers say nothing about GPUs.',
    '',
  ];
  for (const t of tables) {
    out.push(`## ${t.title}`, '', t.note, '', `| ${t.header.join(' | ')} |`, `| ${t.header.map(() => '---').join(' | ')} |`);
    for (const r of t.rows) out.push(`| ${r.map(cell).join(' | ')} |`);
    out.push('');
  }
  return out.join('\n');
}
