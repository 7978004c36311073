import express, { Router, type Request, type RequestHandler } from 'express';
import type { z } from 'zod';
import * as commands from '../commands';
import { isUuid } from '../domain/naming';
import { badRequest, notFound, unprocessable } from './errors';
import { describeZodError, planChangeBodySchema, provisionBodySchema } from './schemas';

/** The Heroku Add-on Partner API (v3): provision, plan change, deprovision. Thin: parse, call, answer. */

function parseBody<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  if (req.body === undefined || req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
    throw badRequest('request body must be a JSON object (Content-Type: application/json)');
  }
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) throw unprocessable(`invalid request: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

function resourceId(req: Request): string {
  const id = String(req.params.id ?? '');
  if (!isUuid(id)) throw notFound(`no add-on ${id.slice(0, 64)}`);
  return id;
}

/** What each command outcome answers. */
const STATUS = {
  changed: 200,
  unchanged: 200,
  refused: 422,
  'not-found': 404,
  gone: 410,
  conflict: 409,
} as const;

/** Heroku sends `application/json` or `application/vnd.heroku-addons+json; version=3`. */
export const jsonBody = express.json({ limit: '64kb', type: ['application/json', 'application/*+json'], strict: true });

export function herokuRoutes(deps: commands.CommandDeps, auth: RequestHandler): Router {
  const r = Router();
  // Credentials first, so a stranger learns nothing from body validation. A GET is no call of
  // Heroku's (the SSO v1 form `GET /heroku/resources/:id?token=` ended in 2023 and is not served):
  // it falls through to the app's 404, unchallenged, so a browser following an old link gets no
  // Basic-auth prompt and nothing signs in.
  r.use('/heroku/resources', (req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next('router') : auth(req, res, next)), jsonBody);

  r.post('/heroku/resources', async (req, res) => {
    const out = await commands.provision(deps, parseBody(provisionBodySchema, req));
    if (out.outcome === 'accepted') res.status(202).json({ id: out.id, message: out.message });
    else res.status(STATUS[out.outcome]).json({ message: out.message });
  });

  r.put('/heroku/resources/:id', async (req, res) => {
    const id = resourceId(req);
    const out = await commands.changePlan(deps, id, parseBody(planChangeBodySchema, req));
    res.status(STATUS[out.outcome]).json({ message: out.message });
  });

  r.delete('/heroku/resources/:id', async (req, res) => {
    const out = await commands.deprovision(deps, resourceId(req));
    if (out.outcome === 'not-found') res.status(404).json({ message: out.message });
    else res.status(204).end();
  });

  return r;
}
