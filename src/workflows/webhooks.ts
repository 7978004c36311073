import { randomBytes } from 'node:crypto';
import { isPermanent, isUpstreamError } from '../clients/errors';
import { WebhooksUnavailable } from '../clients/heroku';
import { describeError } from '../engine';
import { type AddonStep, made, platformFor, type WorkflowDeps } from './deps';

/**
 * Heroku's add-on webhooks (follow the app): provisioning subscribes the add-on to its app's
 * changes (`api:app`, `api:domain`, `api:addon-attachment`, level `sync`), with an `Authorization`
 * value and an HMAC secret of its own, sealed on the record before Heroku ever sees them, so a
 * webhook an earlier try made (found by its URL and adopted) always carries the secrets we hold.
 * Heroku refusing the feature (403/404: not enabled for this partner) is noted and provisioning
 * goes on: the periodic re-check follows the app then. The teardown deletes the webhook.
 */

export const WEBHOOK_INCLUDES = ['api:app', 'api:domain', 'api:addon-attachment'];

export interface WebhookSecrets {
  authorization: string;
  secret: string;
}

/** Where Heroku delivers an add-on's events (null without PUBLIC_URL). */
export function webhookUrlFor(deps: Pick<WorkflowDeps, 'config'>, uuid: string): string | null {
  const base = deps.config.PUBLIC_URL?.replace(/\/+$/, '');
  return base ? `${base}/heroku/webhooks/${uuid}` : null;
}

export const subscribeWebhooks: AddonStep = {
  name: 'subscribeWebhooks',
  label: 'Subscribing to the app’s changes',
  async run({ deps, rec }) {
    if (rec.resources.webhookState) return;
    const url = webhookUrlFor(deps, rec.uuid);
    if (!url) return made({ webhookState: 'no-url' }, {}, 'PUBLIC_URL is not set: no webhooks; the periodic re-check follows the app');
    let sealed = rec.webhookSecretsSealed;
    if (!sealed) {
      const fresh: WebhookSecrets = { authorization: `Bearer ${randomBytes(32).toString('hex')}`, secret: randomBytes(32).toString('hex') };
      const mine = deps.box.sealField(rec.uuid, 'webhookSecretsSealed', fresh);
      // stored before Heroku is asked: whatever a later try adopts was made with these
      const { record } = await deps.store.update(rec.uuid, (r) => (r.webhookSecretsSealed ? null : { ...r, webhookSecretsSealed: mine }));
      sealed = record.webhookSecretsSealed ?? mine;
    }
    const secrets = deps.box.openField<WebhookSecrets>(rec.uuid, 'webhookSecretsSealed', sealed);
    const platform = platformFor(deps, rec);
    try {
      const existing = (await platform.listWebhooks(rec.uuid)).find((w) => w.url === url);
      if (existing) return made({ webhookId: existing.id, webhookState: 'subscribed' }, {}, 'webhook of an earlier try adopted');
      const w = await platform.createWebhook(rec.uuid, { url, include: WEBHOOK_INCLUDES, level: 'sync', ...secrets });
      return made({ webhookId: w.id, webhookState: 'subscribed' }, {}, `subscribed to ${WEBHOOK_INCLUDES.join(', ')}`);
    } catch (err) {
      if (err instanceof WebhooksUnavailable) {
        deps.logger.info({ addon: rec.uuid, status: err.status }, 'Heroku refused add-on webhooks; the periodic re-check follows the app');
        return made({ webhookState: 'refused' }, {}, `Heroku refused add-on webhooks (${err.status}): the periodic re-check follows the app instead`);
      }
      // any other refusal for good of the subscription (a 422 on our URL, say) costs the add-on no more
      // than the webhooks: it is provisioned, and the periodic re-check follows the app
      const status = isUpstreamError(err) ? err.status : undefined;
      if (isPermanent(err) && status !== undefined && status >= 400 && status < 500 && status !== 401) {
        deps.logger.warn({ addon: rec.uuid, status }, 'Heroku refused the add-on webhook subscription; the periodic re-check follows the app');
        return made({ webhookState: 'refused' }, {}, `Heroku refused the webhook subscription (${status}): the periodic re-check follows the app instead`);
      }
      throw err;
    }
  },
};

/** Deletes the add-on's webhook (the one recorded and any found by its URL); 404 = gone. Heroku refusing for good: it goes with the add-on. */
export const removeWebhook: AddonStep = {
  name: 'removeWebhook',
  label: 'Unsubscribing from the app’s changes',
  async run({ deps, rec }) {
    const cleared = made({ webhookId: undefined, webhookState: undefined }, { webhookSecretsSealed: undefined });
    if (!rec.herokuTokensSealed || (!rec.resources.webhookId && !rec.webhookSecretsSealed)) return cleared;
    const platform = platformFor(deps, rec);
    const url = webhookUrlFor(deps, rec.uuid);
    try {
      const ids = new Set<string>(rec.resources.webhookId ? [rec.resources.webhookId] : []);
      if (url) {
        const listed = await platform.listWebhooks(rec.uuid).catch((err: unknown) => {
          if (err instanceof WebhooksUnavailable) return [];
          throw err;
        });
        for (const w of listed) if (w.url === url) ids.add(w.id);
      }
      for (const id of ids) await platform.deleteWebhook(rec.uuid, id);
    } catch (err) {
      if (!isPermanent(err)) throw err;
      // the add-on is gone on Heroku's side (its token refused): its webhooks went with it
      return { ...cleared, note: `left to Heroku: ${describeError(err)}` };
    }
    return cleared;
  },
};
