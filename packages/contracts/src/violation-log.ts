/**
 * In-memory record of contract violations, held by a stand-in (or a test's nock scope).
 *
 *   const log = new ViolationLog();
 *   log.record(validateRequest('anypoint', req).violations);
 *   log.expect({ where: 'body', operation: /\/apis$/ });   // the next test sends a bad body on purpose
 *   expect(log.unexpected()).toEqual([]);
 */
import type { Violation } from './types';

export type ViolationMatcher =
  | ((v: Violation) => boolean)
  | {
      api?: Violation['api'];
      direction?: Violation['direction'];
      where?: Violation['where'];
      /** Operation key (exact) or a pattern. */
      operation?: string | RegExp;
      /** Substring of the message, or a pattern. */
      message?: string | RegExp;
    };

export function matches(m: ViolationMatcher, v: Violation): boolean {
  if (typeof m === 'function') return m(v);
  if (m.api && m.api !== v.api) return false;
  if (m.direction && m.direction !== v.direction) return false;
  if (m.where && m.where !== v.where) return false;
  if (m.operation !== undefined && !(typeof m.operation === 'string' ? v.operation === m.operation : m.operation.test(v.operation))) return false;
  if (m.message !== undefined && !(typeof m.message === 'string' ? v.message.includes(m.message) : m.message.test(v.message))) return false;
  return true;
}

export class ViolationLog {
  private entries: Violation[] = [];
  private expectations: Array<{ matcher: ViolationMatcher; remaining: number }> = [];

  /** Records violations; one matching an expectation (see expect) is marked `expected: true`. */
  record(v: Violation | readonly Violation[]): void {
    for (const one of Array.isArray(v) ? (v as readonly Violation[]) : [v as Violation]) {
      const exp = this.expectations.find((e) => e.remaining > 0 && matches(e.matcher, one));
      if (exp) exp.remaining -= 1;
      this.entries.push(exp ? { ...one, expected: true } : { ...one });
    }
  }

  /**
   * Marks the next `times` violations matching `matcher` as expected (a test that sends a wrong
   * body on purpose). Default: every matching violation until clear().
   */
  expect(matcher: ViolationMatcher, times = Number.POSITIVE_INFINITY): void {
    this.expectations.push({ matcher, remaining: times });
  }

  all(): Violation[] {
    return [...this.entries];
  }

  /** Violations neither expected nor matching `allow`. */
  unexpected(allow?: ViolationMatcher | readonly ViolationMatcher[]): Violation[] {
    const allowed: ViolationMatcher[] = allow === undefined ? [] : Array.isArray(allow) ? [...(allow as ViolationMatcher[])] : [allow as ViolationMatcher];
    return this.entries.filter((v) => !v.expected && !allowed.some((m) => matches(m, v)));
  }

  /** Forgets violations and expectations. */
  clear(): void {
    this.entries = [];
    this.expectations = [];
  }

  /** One violation per line, for a failing test's message. */
  static format(vs: readonly Violation[]): string {
    return vs.map((v) => `[${v.api} ${v.direction}${v.expected ? ', expected' : ''}] ${v.message}`).join('\n');
  }
}
