import { createHash } from 'node:crypto';
import { realSleep } from '../http';

/**
 * Slowing down on Heroku's `RateLimit-Remaining` before Heroku answers 429.
 *
 * Heroku gives each account a budget of about 4,500 Platform API requests, refilled about 75 a
 * minute (one every 0.8 s), and tells what is left on every answer in `RateLimit-Remaining`; over
 * it, `429 {"id":"rate_limit"}`. The rule, kept per token (one lane per Heroku authorisation; the
 * token itself is never kept, only a hash of it):
 *
 * 1. Every answer's header (errors and 429s included) resets the lane's estimate to the value
 *    given; calls still in flight are taken off it (the answer may not have counted them).
 * 2. Between answers each call sent spends one from the estimate, and the refill (75/min) adds back.
 * 3. While the estimate is at least `lowWater` (450, a tenth of the budget), or no answer was seen
 *    yet, calls go at once.
 * 4. Below it, calls of the lane are spaced: a call starts no sooner than the previous one's start
 *    plus   pause = maxPauseMs × (lowWater − remaining) / lowWater   (0 … maxPauseMs).
 *    With maxPauseMs = 1,000 the pace at 0 left (one a second) is under the refill (one per 0.8 s),
 *    so the budget settles above zero instead of running into 429.
 * 5. No call waits more than `maxWaitMs` (10 s) for its turn, however many are queued.
 */

export interface PacerOptions {
  /** Below this many requests left, calls are spaced. 0 turns the pacing off. */
  lowWater?: number;
  /** The spacing when nothing is left (ms). */
  maxPauseMs?: number;
  /** The longest one call waits for its turn (ms). */
  maxWaitMs?: number;
  /** Heroku's refill, requests per minute. */
  refillPerMinute?: number;
  /** Heroku's budget per account (the estimate never refills above it). */
  budget?: number;
  /** Lanes kept at most (the least recently used go first). */
  maxLanes?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const HEROKU_RATE_LIMIT = { budget: 4_500, refillPerMinute: 75 } as const;
export const PACER_DEFAULTS = { lowWater: 450, maxPauseMs: 1_000, maxWaitMs: 10_000, maxLanes: 1_000 } as const;

interface Lane {
  /** The last `RateLimit-Remaining` seen, and when. */
  seen?: number;
  seenAt: number;
  /** Calls started since that answer. */
  sentSince: number;
  inFlight: number;
  /** Earliest start of the next paced call (epoch ms). */
  nextSlot: number;
}

/** A lane's key: a short hash of the bearer token (never the token itself). */
export function laneKey(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 24);
}

/** `RateLimit-Remaining` as a number, or undefined when absent or malformed. */
export function remainingFrom(headers: Record<string, string> | undefined): number | undefined {
  const v = headers?.['ratelimit-remaining']?.trim();
  return v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : undefined;
}

export class RateLimitPacer {
  private readonly lanes = new Map<string, Lane>();
  private readonly o: Required<Omit<PacerOptions, 'now' | 'sleep'>>;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(opts: PacerOptions = {}) {
    this.o = {
      lowWater: opts.lowWater ?? PACER_DEFAULTS.lowWater,
      maxPauseMs: opts.maxPauseMs ?? PACER_DEFAULTS.maxPauseMs,
      maxWaitMs: opts.maxWaitMs ?? PACER_DEFAULTS.maxWaitMs,
      refillPerMinute: opts.refillPerMinute ?? HEROKU_RATE_LIMIT.refillPerMinute,
      budget: opts.budget ?? HEROKU_RATE_LIMIT.budget,
      maxLanes: opts.maxLanes ?? PACER_DEFAULTS.maxLanes,
    };
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? realSleep;
  }

  /** What the lane is believed to have left now (undefined before its first answer). */
  remaining(key: string): number | undefined {
    const lane = this.lanes.get(key);
    return lane ? this.estimate(lane, this.now()) : undefined;
  }

  /** The spacing rule (4. above) for an estimate. */
  pauseFor(remaining: number | undefined): number {
    const { lowWater, maxPauseMs } = this.o;
    if (remaining === undefined || lowWater <= 0 || remaining >= lowWater) return 0;
    const low = Math.min(lowWater, Math.max(0, lowWater - remaining));
    return Math.ceil((maxPauseMs * low) / lowWater);
  }

  /** Before a call: waits for the lane's turn as the rule says, then counts the call as sent. */
  async before(key: string): Promise<number> {
    const lane = this.lane(key);
    const now = this.now();
    const pause = this.pauseFor(this.estimate(lane, now));
    lane.sentSince += 1;
    lane.inFlight += 1;
    if (pause === 0) return 0;
    const at = Math.max(now, lane.nextSlot);
    lane.nextSlot = at + pause;
    const wait = Math.min(at - now, this.o.maxWaitMs);
    if (wait > 0) await this.sleep(wait);
    return wait;
  }

  /** An answer of a call of the lane came: its `RateLimit-Remaining`, if any, is the new truth. */
  observe(key: string, headers: Record<string, string> | undefined): void {
    const seen = remainingFrom(headers);
    if (seen === undefined) return;
    const lane = this.lane(key);
    lane.seen = seen;
    lane.seenAt = this.now();
    // the answering call is still in flight until `settle`; the others may not have been counted
    lane.sentSince = Math.max(0, lane.inFlight - 1);
  }

  /** The call is over (answered or not). */
  settle(key: string): void {
    const lane = this.lanes.get(key);
    if (lane) lane.inFlight = Math.max(0, lane.inFlight - 1);
  }

  private estimate(lane: Lane, now: number): number | undefined {
    if (lane.seen === undefined) return undefined;
    const refilled = (Math.max(0, now - lane.seenAt) * this.o.refillPerMinute) / 60_000;
    return Math.max(0, Math.min(this.o.budget, lane.seen + Math.floor(refilled)) - lane.sentSince);
  }

  private lane(key: string): Lane {
    let lane = this.lanes.get(key);
    if (lane) {
      // most recently used last, so the first key is the one to drop
      this.lanes.delete(key);
    } else {
      lane = { seenAt: 0, sentSince: 0, inFlight: 0, nextSlot: 0 };
      if (this.lanes.size >= this.o.maxLanes) {
        const oldest = this.lanes.keys().next().value;
        if (oldest !== undefined) this.lanes.delete(oldest);
      }
    }
    this.lanes.set(key, lane);
    return lane;
  }
}
