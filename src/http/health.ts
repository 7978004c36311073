import { Router } from 'express';

export interface HealthDeps {
  /** Resolves with details when ready; rejects (or returns ok:false) when not. */
  readiness?: () => Promise<{ ok: boolean; [k: string]: unknown }>;
}

export function healthRoutes(deps: HealthDeps): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    if (!deps.readiness) return res.json({ status: 'ok' });
    try {
      const out = await deps.readiness();
      res.status(out.ok ? 200 : 503).json({ status: out.ok ? 'ok' : 'unavailable', ...out });
    } catch (err) {
      res.status(503).json({ status: 'unavailable', reason: err instanceof Error ? err.message : 'unknown' });
    }
  });
  return r;
}
