/**
 * After every test file: no stand-in of this file saw a request, or gave an answer, that breaks
 * the vendor's published contract (except what a test expected on purpose: `violations.expect`).
 * Reads the stand-ins' registry without loading them (files that use no stand-in pay nothing).
 *
 * With AAG_CONTRACT_TALLY set (`npm run test:reliability`), each file also writes its count to
 * test-artifacts/contracts/ for the run's report.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Violation } from '@aag/contracts';

afterAll(() => {
  const logs = (globalThis as unknown as Record<symbol, Set<{ name: string; log: { unexpected(): Violation[]; all(): Violation[] } }> | undefined>)[Symbol.for('aag.standins.violationLogs')];
  const found = [...(logs ?? [])].flatMap((r) => r.log.unexpected().map((v) => `[${r.name} ${v.direction}] ${v.message}`));
  const testPath = expect.getState().testPath;
  if (process.env.AAG_CONTRACT_TALLY && testPath) {
    const all = [...(logs ?? [])].reduce((n, r) => n + r.log.all().length, 0);
    const dir = path.resolve(__dirname, '..', '..', 'test-artifacts', 'contracts');
    mkdirSync(dir, { recursive: true });
    const file = path.relative(path.resolve(__dirname, '..', '..'), testPath);
    writeFileSync(path.join(dir, `${file.replace(/[\\/]/g, '__')}.json`), JSON.stringify({ file, standins: logs?.size ?? 0, unexpected: found.length, expected: all - found.length }));
  }
  if (found.length) throw new Error(`${found.length} unexpected contract violation(s):\n${[...new Set(found)].slice(0, 30).join('\n')}`);
});
