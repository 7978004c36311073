import { EnvironmentNotFoundError, isUpstreamError, UnexpectedResponseError } from '../clients/errors';
import { PermanentFailure, TransientFailure } from '../engine/outcomes';

/**
 * The preflight's lines: one per check, `ok`, `FAIL` (what is wrong `[fix: what to do]`) or `skip` (a check
 * it needs failed first, so it would only repeat that failure), and the summary `N passed, N failed`.
 */

/** A check that found something wrong: `why` it fails and the `fix`. */
export class CheckFailure extends Error {
  override name = 'CheckFailure';
  constructor(
    readonly why: string,
    readonly fix: string,
  ) {
    super(why);
  }
}

export type CheckStatus = 'ok' | 'fail' | 'skip';

export interface CheckLine {
  name: string;
  status: CheckStatus;
  text: string;
}

/** What an unexpected error means for the operator: the call that failed (scrubbed) and what usually fixes it. */
export function failureOf(err: unknown): CheckFailure {
  if (err instanceof CheckFailure) return err;
  // a step's own words (the smoke runs the provision's steps)
  if (err instanceof PermanentFailure) return new CheckFailure(err.reason, err.advice ?? 'see README "Going live" for what the platform must provide');
  if (err instanceof TransientFailure) return new CheckFailure(err.reason, 'run it again in a few minutes');
  if (err instanceof EnvironmentNotFoundError) {
    return new CheckFailure(err.message, 'set ANYPOINT_ENVIRONMENT to one of them, or create the environment (Access Management → Environments)');
  }
  if (err instanceof UnexpectedResponseError) return new CheckFailure(err.message, 'the platform answered in a shape this service does not know; report it with this line');
  if (isUpstreamError(err)) {
    const s = err.status;
    const fix =
      s === 401
        ? 'the credentials were refused: check them (for Anypoint: ANYPOINT_CLIENT_ID and ANYPOINT_CLIENT_SECRET, Access Management → Connected Apps)'
        : s === 403
          ? 'the connected app may not do this: grant it the scopes of README "Going live" for this organisation and environment'
          : s === undefined
            ? 'no answer: check the URL setting (ANYPOINT_BASE_URL, HEROKU_ID_URL, PUBLIC_URL) and the network, then run again'
            : s >= 500 || s === 429
              ? 'the platform did not answer properly; run the preflight again in a few minutes'
            : 'see the answer above; README "Going live" lists what the platform must provide';
    return new CheckFailure(err.message, fix);
  }
  return new CheckFailure(err instanceof Error ? err.message : String(err), 'an unexpected error: report it with this line');
}

export class Report {
  private readonly results = new Map<string, CheckStatus>();
  readonly lines: CheckLine[] = [];

  constructor(private readonly out: (line: string) => void) {}

  /**
   * Runs `fn` unless a check named in `needs` did not pass (then `skip`). `fn` returns a note for
   * the ok line, or throws (a `CheckFailure`, or any error: worded by `failureOf`). True when ok.
   */
  async check(name: string, fn: () => Promise<string | void>, needs: readonly string[] = []): Promise<boolean> {
    const missing = needs.find((n) => this.results.get(n) !== 'ok');
    if (missing) {
      this.add(name, 'skip', `skip ${name}: needs "${missing}"`);
      return false;
    }
    try {
      const note = await fn();
      this.add(name, 'ok', `ok   ${name}${note ? ` — ${note}` : ''}`);
      return true;
    } catch (err) {
      const f = failureOf(err);
      this.add(name, 'fail', `FAIL ${name}: ${f.why} [fix: ${f.fix}]`);
      return false;
    }
  }

  /** A check not run, and why. */
  skip(name: string, why: string): void {
    this.add(name, 'skip', `skip ${name}: ${why}`);
  }

  /** A line that is not a check (details under one). */
  detail(text: string): void {
    this.out(`     ${text}`);
  }

  passed(name: string): boolean {
    return this.results.get(name) === 'ok';
  }

  count(status: CheckStatus): number {
    return this.lines.filter((l) => l.status === status).length;
  }

  /** `N passed, N failed` (and the skipped, when any). */
  summary(): string {
    const skipped = this.count('skip');
    const line = `${this.count('ok')} passed, ${this.count('fail')} failed${skipped ? `, ${skipped} skipped` : ''}`;
    this.out(line);
    return line;
  }

  private add(name: string, status: CheckStatus, text: string): void {
    this.results.set(name, status);
    this.lines.push({ name, status, text });
    this.out(text);
  }
}
