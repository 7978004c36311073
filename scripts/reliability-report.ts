/**
 * Merges the figures rows the reliability tests wrote (test-artifacts/reliability/*.json) into the
 * table in RELIABILITY.md (between the figures markers) and prints it.
 * Run by `npm run test:reliability` after jest; `--print` only prints.
 */
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FigureRow } from '../test/reliability/support/harness';

type Row = FigureRow;

const ROOT = path.resolve(__dirname, '..');
const DIR = path.join(ROOT, 'test-artifacts', 'reliability');
const DOC = path.join(ROOT, 'RELIABILITY.md');
const START = '<!-- figures:start -->';
const END = '<!-- figures:end -->';
const ORDER = ['crash-fast', 'crash-matrix', 'lost-job', 'duplicates', 'faults-fast', 'faults-200', 'redis-outage', 'scale-out', 'fuzz', 'secrets-truth'];

const cell = (s: unknown) => String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

function rows(): { file: string; rows: Row[] }[] {
  if (!existsSync(DIR)) return [];
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
  const parsed = files.map((f) => JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as { file: string; rows: Row[] });
  const rank = (n: string) => (ORDER.indexOf(n) < 0 ? 99 : ORDER.indexOf(n));
  return parsed.sort((a, b) => rank(a.file) - rank(b.file) || a.file.localeCompare(b.file));
}

function machine(): string {
  let nproc = String(os.cpus().length);
  try {
    nproc = execSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    /* nproc missing: keep os.cpus() */
  }
  return `nproc ${nproc}, node ${process.version}, ${os.platform()} ${os.release()}`;
}

const CONTRACTS = path.join(ROOT, 'test-artifacts', 'contracts');

/** The contract tally the test files wrote (AAG_CONTRACT_TALLY): one line for the report. */
function contracts(): string | undefined {
  if (!existsSync(CONTRACTS)) return undefined;
  const files = readdirSync(CONTRACTS)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(CONTRACTS, f), 'utf8')) as { file: string; standins: number; unexpected: number; expected: number });
  const withStandins = files.filter((f) => f.standins > 0);
  const unexpected = files.reduce((n, f) => n + f.unexpected, 0);
  const expected = files.reduce((n, f) => n + f.expected, 0);
  return `Contract violations (every request to a stand-in checked against the vendor spec of its operation, every answer against its response schema): **${unexpected} unexpected** across ${withStandins.length} test files that ran stand-ins${expected ? ` (${expected} provoked on purpose by fault tests and expected)` : ''}.`;
}

export function table(groups: { file: string; rows: Row[] }[]): string {
  const all = groups.flatMap((g) => g.rows.map((r) => ({ ...r, file: g.file })));
  const passed = all.filter((r) => r.result === 'pass').length;
  const lines = [
    `Run ${new Date().toISOString().slice(0, 10)} · machine: ${machine()} · command: \`npm run test:reliability\``,
    '',
    `${passed}/${all.length} scenarios passed.`,
    '',
    ...(contracts() ? [contracts() as string, ''] : []),
    '| # | scenario | subset | add-ons | result | left in Anypoint | outcome | timing | note |',
    '|---|---|---|---|---|---|---|---|---|',
    ...all.map((r, i) => `| ${i + 1} | ${cell(r.scenario)} | ${r.subset} | ${r.addons} | ${r.result === 'pass' ? 'pass' : '**FAIL**'} | ${cell(r.anypoint)} | ${cell(r.outcome)} | ${cell(r.timing)} | ${cell(r.note ?? '')} |`),
  ];
  return lines.join('\n');
}

function main() {
  const groups = rows();
  const t = table(groups);
  console.log(`\nReliability figures\n\n${t}\n`);
  if (process.argv.includes('--print')) return;
  if (!existsSync(DOC)) {
    console.error(`${DOC} not found; table printed only`);
    return;
  }
  const doc = readFileSync(DOC, 'utf8');
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) {
    console.error(`RELIABILITY.md has no ${START} … ${END} block; table printed only`);
    return;
  }
  writeFileSync(DOC, `${doc.slice(0, a + START.length)}\n${t}\n${doc.slice(b)}`);
  console.log(`RELIABILITY.md updated (${groups.reduce((n, g) => n + g.rows.length, 0)} rows)`);
}

main();
