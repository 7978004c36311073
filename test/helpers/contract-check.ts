/**
 * After every test file: no stand-in of this file saw a request, or gave an answer, that breaks
 * the vendor's published contract (except what a test expected on purpose: `violations.expect`).
 * Reads the stand-ins' registry without loading them (files that use no stand-in pay nothing).
 */
import type { Violation } from '@aag/contracts';

afterAll(() => {
  const logs = (globalThis as unknown as Record<symbol, Set<{ name: string; log: { unexpected(): Violation[] } }> | undefined>)[Symbol.for('aag.standins.violationLogs')];
  if (!logs) return;
  const found = [...logs].flatMap((r) => r.log.unexpected().map((v) => `[${r.name} ${v.direction}] ${v.message}`));
  if (found.length) throw new Error(`${found.length} unexpected contract violation(s):\n${[...new Set(found)].slice(0, 30).join('\n')}`);
});
