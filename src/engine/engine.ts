import type { Logger } from '../logger';
import { isPermanent, isUpstreamError } from '../clients/errors';
import { type EventStatus, type RunState, type Tracked, withEvent, withRun } from '../domain/progress';
import type { SubjectLocks } from '../store/lock';
import { describeError, PermanentFailure, Wait } from './outcomes';

/**
 * The workflow engine. A workflow is a name and an ordered list of named steps; the engine, not the
 * step, persists each step's result and decides what runs next:
 *
 *   lock the subject → read its record → for each step not yet done: checkpoint, run, checkpoint,
 *   write (the step's change + "done" + a timeline event, one atomic write) → the final write.
 *
 * - A step that throws `Wait` re-schedules the job (delayed): waiting never holds a worker slot.
 * - A step that throws `PermanentFailure`, or an error a client marked permanent (an upstream 4xx),
 *   ends the run: the failure is recorded, the workflow's compensation steps run (best effort),
 *   then its `failed` record is written.
 * - Any other error is thrown to the job queue, which retries with backoff; past the workflow's
 *   deadline it counts as permanent.
 * - Progress is kept on the record (`runs[<workflow>]`), so a run cut short (a crash, a wait, a
 *   retry) resumes at the first step not done. Steps still look up before they create: a crash
 *   between a remote call and the write re-runs that step.
 * - One run at a time per subject (a Redis lock); a busy subject re-schedules the job.
 */

export interface SubjectStore<R> {
  get(id: string): Promise<R | null>;
  /** Atomic read-modify-write; `fn` returns null to leave the record as it is. `from` may save the read. */
  update(id: string, fn: (r: R) => R | null, from?: R): Promise<R>;
}

export interface StepContext<R, D> {
  deps: D;
  rec: R;
  now: Date;
  workflow: string;
}

export interface StepResult<R> {
  /** The record change this step made (remote ids), written with its "done". */
  change?: (r: R) => R;
  /** A line for the timeline. */
  note?: string;
}

export interface Step<R, D> {
  name: string;
  /** Words for users (dashboard, failure reasons). */
  label: string;
  run(ctx: StepContext<R, D>): Promise<StepResult<R> | void>;
}

/** A list of steps, or the list that fits a record (e.g. the steps of the add-on's target). */
export type StepList<R, D> = readonly Step<R, D>[] | ((rec: R) => readonly Step<R, D>[]);

export function stepsOf<R, D>(list: StepList<R, D> | undefined, rec: R): readonly Step<R, D>[] {
  return typeof list === 'function' ? list(rec) : (list ?? []);
}

export interface Workflow<R extends Tracked, D> {
  name: string;
  steps: StepList<R, D>;
  /** Runs more than once in a subject's life (its jobs carry a key, e.g. the plan asked for). */
  repeatable?: boolean;
  /** Whether the record has work for this workflow; otherwise the run ends as 'not-applicable'. */
  applies(rec: R): boolean;
  /** Checked before each step and with the final write: false stops the run (e.g. a DELETE came in). */
  wanted?(rec: R): boolean;
  /** Epoch ms after which a retryable failure counts as permanent. */
  deadline?(rec: R, run: RunState, deps: D): number | undefined;
  /** Steps that undo what a failed run made; best effort (a step refused for good is a leftover). */
  compensation?: StepList<R, D>;
  /** The steps themselves are best effort (teardown): a step refused for good is a leftover, the next runs. */
  bestEffort?: boolean;
  /** What users should do after this workflow failed for good (ends the failure reason). */
  advice?: string;
  /** The record once every step is done (written only while `wanted`). */
  succeeded(rec: R, run: RunState, now: Date): R;
  /** The record after a permanent failure and its compensation. */
  failed(rec: R, run: RunState, now: Date): R;
}

export type WorkflowOutcome = 'succeeded' | 'failed' | 'stopped';

export type RunOutcome =
  | { kind: 'finished'; outcome: WorkflowOutcome | 'not-applicable' | 'absent' }
  | { kind: 'wait'; ms: number; why: string }
  | { kind: 'busy' };

export interface EngineHooks {
  step?: (workflow: string, step: string, outcome: EventStatus | 'waiting', ms: number) => void;
  finished?: (workflow: string, outcome: WorkflowOutcome, rec: unknown) => void;
  /** A piece a best-effort step or a compensation could not remove for good: the operator removes it. */
  leftover?: (workflow: string, step: string) => void;
  /** Test seam: `<workflow>.<step>:before` and `:after` around each step's remote work. */
  checkpoint?: (point: string) => Promise<void> | void;
}

/**
 * The one place that words what users see of a failure (the record's failureReason, the dashboard,
 * the timeline): the step's label, what went wrong in plain words (`describeError`: never the
 * upstream's ids, environment names or bodies) and what to do. The operator log gets the upstream
 * error itself (`errorFields`).
 */
export function permanentReason(step: { label: string }, err: unknown, advice?: string): string | null {
  if (!(err instanceof PermanentFailure) && !isPermanent(err)) return null;
  return userReason(step, describeError(err), err instanceof PermanentFailure ? (err.advice ?? advice) : advice);
}

/** `<label> failed: <what>.[ <advice>]` */
function userReason(step: { label: string }, what: string, advice?: string): string {
  return `${step.label} failed: ${what}.${advice ? ` ${advice}` : ''}`;
}

/** What the timeline says of a try that failed and will be tried again. */
export function retryNote(err: unknown): string {
  return `${describeError(err)}; trying again automatically`;
}

export interface EngineOptions {
  locks: SubjectLocks;
  logger: Logger;
  hooks?: EngineHooks;
  now?: () => Date;
}

export class Engine {
  private readonly now: () => Date;

  constructor(private readonly opts: EngineOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** Runs what remains of `wf` on subject `id`, holding the subject's lock. Retryable errors are thrown. */
  async run<R extends Tracked, D>(wf: Workflow<R, D>, store: SubjectStore<R>, id: string, deps: D): Promise<RunOutcome> {
    const held = await this.opts.locks.withLock(id, () => this.runLocked(wf, store, id, deps));
    return held.acquired ? held.value : { kind: 'busy' };
  }

  private async runLocked<R extends Tracked, D>(wf: Workflow<R, D>, store: SubjectStore<R>, id: string, deps: D): Promise<RunOutcome> {
    const hooks = this.opts.hooks ?? {};
    let rec = await store.get(id);
    if (!rec) return { kind: 'finished', outcome: 'absent' };
    if (!rec.runs?.[wf.name] && !wf.applies(rec)) return { kind: 'finished', outcome: 'not-applicable' };
    const at = () => this.now().toISOString();
    if (!rec.runs?.[wf.name]) {
      const fresh: RunState = { startedAt: at(), done: [] };
      rec = await store.update(id, (r) => (r.runs?.[wf.name] ? null : withRun(r, wf.name, fresh)), rec);
    }
    const runOf = (r: R): RunState => r.runs?.[wf.name] ?? { startedAt: at(), done: [] };
    const wanted = (r: R) => (wf.wanted ? wf.wanted(r) : true);

    if (!runOf(rec).failure) {
      for (const step of stepsOf(wf.steps, rec)) {
        if (runOf(rec).done.includes(step.name)) continue;
        if (!wanted(rec)) return this.stop(wf, store, id, rec);
        const t0 = Date.now();
        let result: StepResult<R> | void;
        try {
          await hooks.checkpoint?.(`${wf.name}.${step.name}:before`);
          result = await step.run({ deps, rec, now: this.now(), workflow: wf.name });
          await hooks.checkpoint?.(`${wf.name}.${step.name}:after`);
        } catch (err) {
          if (err instanceof Wait) {
            hooks.step?.(wf.name, step.name, 'waiting', Date.now() - t0);
            return { kind: 'wait', ms: err.ms, why: err.why };
          }
          let reason = permanentReason(step, err, wf.bestEffort ? undefined : wf.advice);
          if (reason === null) {
            const deadline = wf.deadline?.(rec, runOf(rec), deps);
            if (deadline === undefined || this.now().getTime() < deadline) {
              hooks.step?.(wf.name, step.name, 'retrying', Date.now() - t0);
              const message = retryNote(err);
              await store.update(id, (r) => withEvent(r, { workflow: wf.name, step: step.name, status: 'retrying', at: at(), message })).catch(() => undefined);
              throw err;
            }
            const minutes = Math.round((deadline - Date.parse(runOf(rec).startedAt)) / 60_000);
            reason = userReason(step, `it could not finish within ${minutes} minutes (the last try: ${describeError(err)})`, wf.advice);
          }
          hooks.step?.(wf.name, step.name, 'failed', Date.now() - t0);
          this.opts.logger.warn({ workflow: wf.name, step: step.name, subject: id, err: errorFields(err) }, 'step failed for good');
          if (wf.bestEffort) {
            const left = `${step.name}: ${reason}`;
            this.leftover(wf.name, step.name, id, left);
            rec = await store.update(
              id,
              (r) => {
                const run = runOf(r);
                const next = withRun(r, wf.name, { ...run, done: [...run.done, step.name], leftovers: [...(run.leftovers ?? []), left] });
                return withEvent(next, { workflow: wf.name, step: step.name, status: 'failed', at: at(), message: reason });
              },
              rec,
            );
            continue;
          }
          const failure = reason;
          rec = await store.update(
            id,
            (r) => withEvent(withRun(r, wf.name, { ...runOf(r), failure }), { workflow: wf.name, step: step.name, status: 'failed', at: at(), message: failure }),
            rec,
          );
          break;
        }
        hooks.step?.(wf.name, step.name, 'done', Date.now() - t0);
        const change = result?.change;
        const note = result?.note;
        rec = await store.update(
          id,
          (r) => {
            const run = runOf(r);
            const changed = change ? change(r) : r;
            const next = withRun(changed, wf.name, { ...run, done: [...run.done, step.name] });
            return withEvent(next, { workflow: wf.name, step: step.name, status: 'done', at: at(), ...(note ? { message: note } : {}) });
          },
          rec,
        );
      }
    }

    if (runOf(rec).failure) return this.fail(wf, store, id, rec, deps);
    // every step done: the final write, unless the run is no longer wanted (a DELETE came in)
    let stopped = false;
    rec = await store.update(
      id,
      (r) => {
        const run = runOf(r);
        if (!wanted(r)) {
          stopped = true;
          return withRun(r, wf.name, undefined);
        }
        return withRun(wf.succeeded(r, run, this.now()), wf.name, undefined);
      },
      rec,
    );
    const outcome: WorkflowOutcome = stopped ? 'stopped' : 'succeeded';
    hooks.finished?.(wf.name, outcome, rec);
    return { kind: 'finished', outcome };
  }

  private async stop<R extends Tracked, D>(wf: Workflow<R, D>, store: SubjectStore<R>, id: string, rec: R): Promise<RunOutcome> {
    const after = await store.update(id, (r) => withRun(r, wf.name, undefined), rec);
    this.opts.hooks?.finished?.(wf.name, 'stopped', after);
    return { kind: 'finished', outcome: 'stopped' };
  }

  /** Compensation (best effort, resumable), then the workflow's failed record. */
  private async fail<R extends Tracked, D>(wf: Workflow<R, D>, store: SubjectStore<R>, id: string, rec: R, deps: D): Promise<RunOutcome> {
    const hooks = this.opts.hooks ?? {};
    const at = () => this.now().toISOString();
    const name = `${wf.name}`;
    const runOf = (r: R): RunState => r.runs?.[name] as RunState;
    for (const step of stepsOf(wf.compensation, rec)) {
      if (runOf(rec).compensated?.includes(step.name)) continue;
      const t0 = Date.now();
      let result: StepResult<R> | void = undefined;
      let left: string | undefined;
      try {
        await hooks.checkpoint?.(`${wf.name}.${step.name}:before`);
        result = await step.run({ deps, rec, now: this.now(), workflow: wf.name });
        await hooks.checkpoint?.(`${wf.name}.${step.name}:after`);
      } catch (err) {
        if (err instanceof Wait) return { kind: 'wait', ms: err.ms, why: err.why };
        // a leftover: the operator removes it (logged below); the failure's own advice still stands
        const reason = permanentReason(step, err);
        if (reason === null) {
          hooks.step?.(wf.name, step.name, 'retrying', Date.now() - t0);
          throw err;
        }
        this.opts.logger.warn({ workflow: wf.name, step: step.name, subject: id, err: errorFields(err) }, 'compensation step refused for good');
        left = `${step.name}: ${reason}`;
        this.leftover(wf.name, step.name, id, left);
      }
      hooks.step?.(wf.name, step.name, left ? 'failed' : 'done', Date.now() - t0);
      const change = result?.change;
      const note = result?.note;
      rec = await store.update(
        id,
        (r) => {
          const run = runOf(r);
          const changed = change ? change(r) : r;
          const next = withRun(changed, name, {
            ...run,
            compensated: [...(run.compensated ?? []), step.name],
            ...(left ? { leftovers: [...(run.leftovers ?? []), left] } : {}),
          });
          const message = left ?? note;
          return withEvent(next, { workflow: wf.name, step: step.name, status: left ? 'failed' : 'done', at: at(), ...(message ? { message } : {}) });
        },
        rec,
      );
    }
    rec = await store.update(id, (r) => withRun(wf.failed(r, runOf(r), this.now()), name, undefined), rec);
    hooks.finished?.(wf.name, 'failed', rec);
    return { kind: 'finished', outcome: 'failed' };
  }

  /** A piece left in the platform: the record keeps it; the operator log and the leftover hook (a metric) make it seen. */
  private leftover(workflow: string, step: string, subject: string, what: string): void {
    this.opts.logger.error({ workflow, step, subject, leftover: what }, 'leftover: a piece could not be removed; the operator must remove it');
    this.opts.hooks?.leftover?.(workflow, step);
  }
}

/** What the operator log gets of an error: its name, message and the upstream's status and excerpt. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (isUpstreamError(err)) return err.toJSON();
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { message: String(err) };
}
