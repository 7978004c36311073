import type { FaultRule } from './types';

/**
 * Injected faults: a matching request waits `latencyMs`, then gets `status` instead of the real
 * answer (or goes on to the real handler when the rule only adds latency).
 */

interface ActiveRule {
  rule: FaultRule;
  re: RegExp;
  method?: string;
  left: number;
}

export interface FaultHit {
  latencyMs: number;
  status?: number;
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** `/addons/:uuid/config` → one segment per `:name`; `*` → anything (also across `/`). */
export function pathPattern(path: string): RegExp {
  const parts = path.split(/(:[A-Za-z_][A-Za-z0-9_]*|\*)/);
  const body = parts
    .map((p) => (p === '*' ? '.*' : p.startsWith(':') && p.length > 1 ? '[^/]+' : escapeRe(p)))
    .join('');
  return new RegExp(`^${body}/?$`);
}

export class Faults {
  private rules: ActiveRule[] = [];

  set(rules: FaultRule[]): void {
    this.rules = rules.map((rule) => {
      if (typeof rule?.path !== 'string' || rule.path === '') throw new TypeError('fault rule needs a path');
      if (rule.errorRate !== undefined && !(rule.errorRate >= 0 && rule.errorRate <= 1)) {
        throw new TypeError('errorRate must be between 0 and 1');
      }
      if (rule.status !== undefined && !(Number.isInteger(rule.status) && rule.status >= 100 && rule.status <= 599)) {
        throw new TypeError('status must be an HTTP status');
      }
      if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times >= 0)) {
        throw new TypeError('times must be a whole number');
      }
      if (rule.latencyMs !== undefined && !(typeof rule.latencyMs === 'number' && rule.latencyMs >= 0)) {
        throw new TypeError('latencyMs must be a number >= 0');
      }
      return {
        rule: { ...rule },
        re: pathPattern(rule.path),
        method: rule.method?.toUpperCase(),
        left: rule.times ?? Number.POSITIVE_INFINITY,
      };
    });
  }

  clear(): void {
    this.rules = [];
  }

  list(): (FaultRule & { remaining: number | null })[] {
    return this.rules.map((r) => ({ ...r.rule, remaining: Number.isFinite(r.left) ? r.left : null }));
  }

  /** The first rule that matches and fires for this request, spending one of its `times`. */
  match(method: string, path: string): FaultHit | undefined {
    for (const r of this.rules) {
      if (r.left <= 0) continue;
      if (r.method && r.method !== method.toUpperCase()) continue;
      if (!r.re.test(path)) continue;
      const rate = r.rule.errorRate ?? 1;
      if (rate < 1 && Math.random() >= rate) continue;
      r.left -= 1;
      const onlyLatency = r.rule.status === undefined && r.rule.latencyMs !== undefined;
      return { latencyMs: r.rule.latencyMs ?? 0, status: onlyLatency ? undefined : (r.rule.status ?? 500) };
    }
    return undefined;
  }
}

export function errorIdFor(status: number): string {
  switch (status) {
    case 400: return 'bad_request';
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 409: return 'conflict';
    case 422: return 'invalid_params';
    case 429: return 'rate_limit';
    case 503: return 'service_unavailable';
    default: return status >= 500 ? 'internal_server_error' : 'bad_request';
  }
}
