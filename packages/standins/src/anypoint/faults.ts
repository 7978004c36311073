import type { Request, RequestHandler, Response } from 'express';
import { mulberry32 } from './prng';
import type { FaultRule } from './types';

interface ActiveRule {
  rule: FaultRule;
  re: RegExp;
  used: number;
}

type Decision =
  | { kind: 'drop' }
  | { kind: 'hang'; ms: number }
  | { kind: 'status'; status: number }
  | { kind: 'rate-limit' }
  | { kind: 'error'; status: number }
  | { kind: 'pass' };

const RATE_KEYS = ['errorRate', 'rateLimitRate', 'hangRate', 'dropRate'] as const;
const NON_NEGATIVE_KEYS = ['latencyMs', 'retryAfterSeconds', 'hangMs'] as const;

/** Checks an untrusted rule list; throws an Error naming the first problem. */
export function parseFaultRules(input: unknown): FaultRule[] {
  if (!Array.isArray(input)) throw new Error('faults must be an array of rules');
  return input.map((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null) throw new Error(`rule ${i}: must be an object`);
    const r = raw as Record<string, unknown>;
    if (typeof r.path !== 'string' || r.path === '') throw new Error(`rule ${i}: path must be a regex source`);
    try {
      new RegExp(r.path);
    } catch {
      throw new Error(`rule ${i}: path is not a valid regex`);
    }
    if (r.method !== undefined && typeof r.method !== 'string') throw new Error(`rule ${i}: method must be a string`);
    for (const k of RATE_KEYS) {
      const v = r[k];
      if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v <= 1))) {
        throw new Error(`rule ${i}: ${k} must be a number in 0..1`);
      }
    }
    for (const k of NON_NEGATIVE_KEYS) {
      const v = r[k];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
        throw new Error(`rule ${i}: ${k} must be a non-negative number`);
      }
    }
    const isStatus = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 100 && v <= 599;
    if (r.status !== undefined && !isStatus(r.status)) throw new Error(`rule ${i}: status must be an HTTP status`);
    if (
      r.errorStatuses !== undefined &&
      (!Array.isArray(r.errorStatuses) || r.errorStatuses.length === 0 || !r.errorStatuses.every(isStatus))
    ) {
      throw new Error(`rule ${i}: errorStatuses must be a non-empty array of HTTP statuses`);
    }
    if (r.times !== undefined && (typeof r.times !== 'number' || !Number.isInteger(r.times) || r.times < 0)) {
      throw new Error(`rule ${i}: times must be a non-negative integer`);
    }
    if (r.rateLimitResetHeader !== undefined && typeof r.rateLimitResetHeader !== 'boolean') {
      throw new Error(`rule ${i}: rateLimitResetHeader must be a boolean`);
    }
    return { ...(r as unknown as FaultRule) };
  });
}

/**
 * Fault injection for the control plane. The first matching rule that is not spent decides; all
 * random draws for a request happen synchronously on arrival (before any latency), so a given
 * seed, rule set and request order always give the same outcomes. setFaults/clear re-seed.
 */
export class FaultEngine {
  private rules: ActiveRule[] = [];
  private rng: () => number;
  private readonly pending = new Map<NodeJS.Timeout, Request>();

  constructor(private readonly seed: number) {
    this.rng = mulberry32(seed);
  }

  set(rules: FaultRule[]): void {
    this.rules = parseFaultRules(rules).map((rule) => ({ rule, re: new RegExp(rule.path), used: 0 }));
    this.rng = mulberry32(this.seed);
  }

  clear(): void {
    this.rules = [];
    this.rng = mulberry32(this.seed);
  }

  list(): (FaultRule & { used: number; spent: boolean })[] {
    return this.rules.map((r) => ({ ...r.rule, used: r.used, spent: this.spent(r) }));
  }

  /** Ends pending latency/hang timers, destroying the sockets they hold. */
  cancelAll(): void {
    for (const [t, req] of this.pending) {
      clearTimeout(t);
      req.socket.destroy();
    }
    this.pending.clear();
  }

  private spent(r: ActiveRule): boolean {
    return r.rule.times !== undefined && r.used >= r.rule.times;
  }

  private match(req: Request): ActiveRule | undefined {
    return this.rules.find(
      (r) =>
        !this.spent(r) &&
        (r.rule.method === undefined || r.rule.method.toUpperCase() === req.method.toUpperCase()) &&
        r.re.test(req.path),
    );
  }

  private decide(rule: FaultRule): Decision {
    const roll = (rate: number | undefined) => rate !== undefined && rate > 0 && this.rng() < rate;
    if (roll(rule.dropRate)) return { kind: 'drop' };
    if (roll(rule.hangRate)) return { kind: 'hang', ms: rule.hangMs ?? 30_000 };
    if (rule.status !== undefined) return { kind: 'status', status: rule.status };
    if (roll(rule.rateLimitRate)) return { kind: 'rate-limit' };
    if (roll(rule.errorRate)) {
      const statuses = rule.errorStatuses ?? [500, 502, 503];
      return { kind: 'error', status: statuses[Math.floor(this.rng() * statuses.length)] };
    }
    return { kind: 'pass' };
  }

  private later(req: Request, res: Response, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, ms);
    this.pending.set(t, req);
    // The client went away first: nothing left to do for this request.
    res.once('close', () => {
      if (this.pending.delete(t)) clearTimeout(t);
    });
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      const active = this.match(req);
      if (!active) return next();
      active.used += 1;
      const rule = active.rule;
      const decision = this.decide(rule);
      const apply = () => {
        if (req.socket.destroyed) return;
        this.apply(decision, rule, req, res, next);
      };
      if (rule.latencyMs && rule.latencyMs > 0) {
        res.locals.fault = 'latency';
        this.later(req, res, rule.latencyMs, apply);
      } else {
        apply();
      }
    };
  }

  private apply(d: Decision, rule: FaultRule, req: Request, res: Response, next: () => void): void {
    switch (d.kind) {
      case 'pass':
        return next();
      case 'drop':
        res.locals.fault = 'drop';
        req.socket.destroy();
        return;
      case 'hang':
        res.locals.fault = 'hang';
        this.later(req, res, d.ms, () => req.socket.destroy());
        return;
      case 'status':
        res.locals.fault = 'status';
        res.set('X-Sandbox-Fault', 'status');
        res.status(d.status).json({ status: d.status, message: 'Injected fault (fixed status)' });
        return;
      case 'rate-limit': {
        res.locals.fault = 'rate-limit';
        res.set('X-Sandbox-Fault', 'rate-limit');
        if (rule.rateLimitResetHeader) {
          const secs = rule.retryAfterSeconds ?? 1;
          res.set('X-RateLimit-Reset', String(Math.ceil(Date.now() / 1000 + secs)));
        } else if (rule.retryAfterSeconds !== undefined) {
          res.set('Retry-After', String(Math.ceil(rule.retryAfterSeconds)));
        }
        res.status(429).json({ status: 429, message: 'Too Many Requests (injected fault)' });
        return;
      }
      case 'error':
        res.locals.fault = 'error';
        res.set('X-Sandbox-Fault', 'error');
        res.status(d.status).json({ status: d.status, message: 'Injected fault (error)' });
        return;
    }
  }
}
