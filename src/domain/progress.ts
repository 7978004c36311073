/**
 * How far workflows got on a record: the progress of each run and the timeline users see. Pure.
 * The engine (src/engine/) writes these; the dashboard reads them.
 */

/** Progress of one workflow on one record. */
export interface RunState {
  startedAt: string;
  /** Steps done, in order. */
  done: string[];
  /** Set when the run failed for good: the reason shown to users. Compensation runs while set. */
  failure?: string;
  /** Compensation steps done. */
  compensated?: string[];
  /** What a best-effort step could not remove ("<step>: <why>"). */
  leftovers?: string[];
}

export type EventStatus = 'done' | 'retrying' | 'failed';

export interface StepEvent {
  /** The workflow the step belongs to. */
  workflow?: string;
  step: string;
  status: EventStatus;
  at: string;
  message?: string;
}

/** What the engine needs of a record. */
export interface Tracked {
  timeline: StepEvent[];
  runs?: Record<string, RunState>;
}

export const TIMELINE_LIMIT = 60;

/** The record with one more timeline event (the oldest dropped past the limit). */
export function withEvent<R extends Tracked>(rec: R, ev: StepEvent): R {
  const timeline = [...rec.timeline, ev];
  if (timeline.length > TIMELINE_LIMIT) timeline.splice(0, timeline.length - TIMELINE_LIMIT);
  return { ...rec, timeline };
}

/** The record with the run of `workflow` set, or removed (undefined). */
export function withRun<R extends Tracked>(rec: R, workflow: string, run: RunState | undefined): R {
  const runs = { ...rec.runs };
  if (run) runs[workflow] = run;
  else delete runs[workflow];
  return { ...rec, runs: Object.keys(runs).length ? runs : undefined };
}
