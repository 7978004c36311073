import { createHmac } from 'node:crypto';
import express, { Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../logger';
import { isUuid } from '../domain/naming';
import { safeEqual } from '../domain/sso';
import { withEvent } from '../domain/progress';
import type { AddonStore } from '../store/addons';
import type { WebhookEvents } from '../store/webhook-events';
import type { JobQueues } from '../jobs';
import type { SecretBox } from '../secrets';
import { describeZodError } from './schemas';

/**
 * `POST /heroku/webhooks/:uuid`: Heroku's add-on webhook deliveries (follow the app). Thin and
 * fast: the `Authorization` value and `Heroku-Webhook-Hmac-SHA256` (base64 HMAC-SHA256 of the raw
 * body) checked in constant time against the add-on's own sealed secrets (401, nothing written),
 * the body validated (400, nothing written), the event id claimed once (a repeat answers 204 and
 * does nothing), then the reason recorded on the add-on and `follow-app` queued: 204. An unknown or
 * removed add-on answers 204 (logged), so Heroku stops retrying.
 */

const eventSchema = z.looseObject({
  id: z.string().min(1).max(200),
  action: z.string().min(1).max(50),
  resource: z.string().min(1).max(100),
  data: z.looseObject({}),
  webhook_metadata: z
    .looseObject({
      event: z.looseObject({ id: z.string().min(1).max(200).optional(), include: z.string().max(100).optional() }).optional(),
    })
    .optional(),
});

/** Whether `signature` is the base64 HMAC-SHA256 of `raw` under `secret` (constant time). */
export function signatureMatches(signature: unknown, secret: string, raw: Buffer): boolean {
  if (typeof signature !== 'string' || signature.length > 200) return false;
  return safeEqual(signature.trim(), createHmac('sha256', secret).update(raw).digest('base64'));
}

export interface WebhookRouteDeps {
  store: AddonStore;
  jobs: JobQueues;
  box: SecretBox;
  events: WebhookEvents;
  logger: Logger;
  now?: () => Date;
}

const LIVE = new Set(['provisioning', 'provisioned']);

export function webhookRoutes(deps: WebhookRouteDeps): Router {
  const r = Router();
  const now = deps.now ?? (() => new Date());
  r.post('/heroku/webhooks/:uuid', express.raw({ type: () => true, limit: '256kb' }), async (req, res) => {
    const uuid = String(req.params.uuid);
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const rec = isUuid(uuid) ? await deps.store.get(uuid) : null;
    if (!rec || !rec.webhookSecretsSealed || !LIVE.has(rec.state)) {
      req.log.info({ addon: uuid.slice(0, 64), known: !!rec, state: rec?.state }, 'webhook for an unknown or removed add-on ignored');
      res.status(204).end();
      return;
    }
    const secrets = deps.box.openField<{ authorization: string; secret: string }>(uuid, 'webhookSecretsSealed', rec.webhookSecretsSealed);
    const authorized = safeEqual(String(req.headers.authorization ?? ''), secrets.authorization);
    const signed = signatureMatches(req.headers['heroku-webhook-hmac-sha256'], secrets.secret, raw);
    if (!authorized || !signed) {
      req.log.warn({ addon: uuid, authorized, signed }, 'webhook refused: bad authorization or signature');
      res.status(401).json({ message: 'bad authorization or signature' });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      res.status(400).json({ message: 'request body is not valid JSON' });
      return;
    }
    const parsed = eventSchema.safeParse(json);
    if (!parsed.success) {
      res.status(400).json({ message: `invalid event: ${describeZodError(parsed.error)}` });
      return;
    }
    const ev = parsed.data;
    const eventId = ev.webhook_metadata?.event?.id ?? ev.id;
    if (!(await deps.events.claim(uuid, eventId))) {
      req.log.info({ addon: uuid, event: eventId }, 'webhook event already taken');
      res.status(204).end();
      return;
    }
    const include = ev.webhook_metadata?.event?.include ?? `api:${ev.resource}`;
    const why = `Heroku told us: ${ev.resource} ${ev.action} (${include})`;
    try {
      await deps.store.update(uuid, (cur) =>
        LIVE.has(cur.state)
          ? withEvent({ ...cur, resources: { ...cur.resources, followReason: why } }, { workflow: 'follow-app', step: 'webhook', status: 'done', at: now().toISOString(), message: why })
          : null,
      );
      await deps.jobs.enqueue({ workflow: 'follow-app', id: uuid, key: `evt-${eventId}` });
    } catch (err) {
      // not taken after all: Heroku's next try must be
      await deps.events.release(uuid, eventId).catch(() => undefined);
      throw err;
    }
    req.log.info({ addon: uuid, event: eventId, resource: ev.resource, action: ev.action }, 'webhook event queued');
    res.status(204).end();
  });
  return r;
}
