import { Router } from 'express';
import { parseFaultRules } from './faults';
import { HttpError, intQuery, isObject, type Ctx } from './http';
import type { SandboxConfigPatch } from './types';

/** Checks an untrusted configure() patch; throws an Error naming the first problem. */
export function parseConfigPatch(input: unknown): SandboxConfigPatch {
  if (!isObject(input)) throw new Error('config patch must be an object');
  const out: SandboxConfigPatch = {};
  for (const [k, v] of Object.entries(input)) {
    switch (k) {
      case 'deployDelayMs':
      case 'gatewayCreateDelayMs':
      case 'apiGoLiveDelayMs':
      case 'gatewayApiLimit':
      case 'tokenTtlSeconds':
      case 'policyApplyDelayMs':
      case 'contractApplyDelayMs':
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${k} must be a non-negative number`);
        out[k] = v;
        break;
      case 'failDeployments':
      case 'neverReady':
      case 'hardDeletionEnabled':
      case 'ltsRuntimes':
        if (typeof v !== 'boolean') throw new Error(`${k} must be a boolean`);
        out[k] = v;
        break;
      case 'scopes':
        if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x)) throw new Error(`${k} must be a list of scope names`);
        out[k] = [...(v as string[])];
        break;
      default:
        throw new Error(`unknown config key ${k}`);
    }
  }
  return out;
}

export interface ControlHooks {
  configure(patch: SandboxConfigPatch): void;
  reset(): void;
}

/** The /__sandbox/* endpoints: no auth, no faults, not logged. */
export function controlRouter(ctx: Ctx, hooks: ControlHooks): Router {
  const r = Router();
  const bad = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
  };

  r.get('/resources', (_req, res) => {
    res.json(ctx.state.inventory());
  });

  r.get('/faults', (_req, res) => {
    res.json({ faults: ctx.faults.list() });
  });
  r.post('/faults', (req, res) => {
    bad(() => ctx.faults.set(parseFaultRules(req.body)));
    res.json({ faults: ctx.faults.list() });
  });
  r.delete('/faults', (_req, res) => {
    ctx.faults.clear();
    res.status(204).end();
  });

  r.get('/config', (_req, res) => {
    res.json(ctx.state.config);
  });
  r.post('/config', (req, res) => {
    bad(() => hooks.configure(parseConfigPatch(req.body)));
    res.json(ctx.state.config);
  });

  r.post('/reset', (_req, res) => {
    hooks.reset();
    res.status(204).end();
  });

  r.get('/calls', (req, res) => {
    const limit = intQuery(req, 'limit');
    const all = ctx.calls.list();
    res.json({
      total: ctx.calls.total,
      counts: ctx.calls.countsByTemplate(),
      gateway: { ...ctx.state.gatewayStats },
      calls: limit === undefined ? all : all.slice(Math.max(0, all.length - limit)),
    });
  });
  r.delete('/calls', (_req, res) => {
    ctx.calls.clear();
    res.status(204).end();
  });

  return r;
}
