/** `ts-node --transpile-only bench/profile-top.ts <file.cpuprofile> [n]`: self time by function (top n), for reading --cpu-prof output. */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const file = process.argv[2];
if (!file) throw new Error('usage: profile-top <file.cpuprofile> [n]');
const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] };
const total = prof.samples.length;
const byFn = new Map<string, number>();
const byFile = new Map<string, number>();
for (const n of prof.nodes) {
  const url = n.callFrame.url.replace(/^.*node_modules\//, 'nm:').replace(/^.*\/work\/main\//, '');
  const key = `${n.callFrame.functionName || '(anon)'} ${url}:${n.callFrame.lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + (n.hitCount ?? 0));
  const pkg = url.startsWith('nm:') ? url.split('/').slice(0, url.startsWith('nm:@') ? 2 : 1).join('/') : url || '(native)';
  byFile.set(pkg, (byFile.get(pkg) ?? 0) + (n.hitCount ?? 0));
}
const top = (m: Map<string, number>, k: number) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([name, c]) => `${((c / total) * 100).toFixed(1).padStart(5)}%  ${name}`)
    .join('\n');
const n = Number(process.argv[3] ?? 25);
console.log(`samples ${total}\n-- by function (self) --\n${top(byFn, n)}\n-- by package/file (self) --\n${top(byFile, n)}`);
