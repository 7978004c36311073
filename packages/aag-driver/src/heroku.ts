import type { ProvisionRequestBody, SandboxAddon } from '@aag/standins';
import { brief, call, joinUrl } from './http';

/** The Heroku stand-in's control endpoints (`/__sandbox/...`), over HTTP: it may run in another process. */

export interface StandInAddon extends SandboxAddon {
  actions: { provision: number; deprovision: number };
}

export interface NewAddonInput {
  plan: string;
  appName?: string;
  options?: Record<string, string>;
  uuid?: string;
}

export class StandIn {
  constructor(readonly url: string) {}

  /** A new add-on as `heroku addons:create` makes it: the provision body, with a fresh OAuth grant. */
  async createAddon(input: NewAddonInput): Promise<ProvisionRequestBody> {
    const res = await call(joinUrl(this.url, '/__sandbox/addons'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(input),
    });
    if (res.status !== 201 || typeof (res.json as { uuid?: unknown } | undefined)?.uuid !== 'string') {
      throw new Error(`the Heroku stand-in refused a new add-on: ${res.status} ${brief(res.text)}`);
    }
    return res.json as ProvisionRequestBody;
  }

  /** `heroku apps:rename` of the add-on's app (the stand-in's control endpoint): its hosts before and after, and the webhook deliveries it started. */
  async renameApp(uuid: string, name: string): Promise<{ status: number; oldHost?: string; newHost?: string; deliveries?: number; message?: string }> {
    const res = await call(joinUrl(this.url, `/__sandbox/addons/${encodeURIComponent(uuid)}/rename`), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    return { status: res.status, ...((res.json as object | undefined) ?? {}) };
  }

  /** `heroku domains:add|remove` on the add-on's app. */
  async changeDomain(uuid: string, op: 'add' | 'remove', hostname: string): Promise<{ status: number; deliveries?: number; message?: string }> {
    const base = `/__sandbox/addons/${encodeURIComponent(uuid)}/domains`;
    const res =
      op === 'add'
        ? await call(joinUrl(this.url, base), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ hostname }) })
        : await call(joinUrl(this.url, `${base}/${encodeURIComponent(hostname)}`), { method: 'DELETE' });
    return { status: res.status, ...((res.json as object | undefined) ?? {}) };
  }

  /** The add-on's webhook subscriptions as Heroku holds them (no secrets). */
  async webhooks(uuid: string): Promise<{ url: string; include: string[]; level: string }[]> {
    const res = await call(joinUrl(this.url, `/__sandbox/addons/${encodeURIComponent(uuid)}/webhooks`));
    const subs = (res.json as { subscriptions?: unknown } | undefined)?.subscriptions;
    if (res.status !== 200 || !Array.isArray(subs)) throw new Error(`the Heroku stand-in answered ${res.status} for the webhooks of ${uuid}: ${brief(res.text)}`);
    return subs as { url: string; include: string[]; level: string }[];
  }

  /** Has the stand-in send one delivery to the add-on's webhook (signed as Heroku signs, or forged); the service's status. */
  async testDelivery(uuid: string, opts: { tamper?: 'signature' | 'authorization' | 'body'; eventId?: string } = {}): Promise<{ status: number; eventId: string }> {
    const res = await call(joinUrl(this.url, `/__sandbox/addons/${encodeURIComponent(uuid)}/webhooks/test-delivery`), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(opts),
    });
    if (res.status !== 200) throw new Error(`no delivery: the Heroku stand-in answered ${res.status} ${brief(res.text)}`);
    return res.json as { status: number; eventId: string };
  }

  /** The hosts of the add-on's app. */
  async domains(uuid: string): Promise<{ hostname: string; kind: string }[]> {
    const res = await call(joinUrl(this.url, `/__sandbox/addons/${encodeURIComponent(uuid)}/domains`));
    if (res.status !== 200 || !Array.isArray(res.json)) throw new Error(`the Heroku stand-in answered ${res.status} for the domains of ${uuid}: ${brief(res.text)}`);
    return res.json as { hostname: string; kind: string }[];
  }

  async addon(uuid: string): Promise<StandInAddon | undefined> {
    const res = await call(joinUrl(this.url, `/__sandbox/addons/${encodeURIComponent(uuid)}`));
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`the Heroku stand-in answered ${res.status} for add-on ${uuid}: ${brief(res.text)}`);
    return res.json as StandInAddon;
  }

  /**
   * Polls until the add-on leaves `provisioning` (provisioned, or deprovisioned = failed) or
   * `waitMs` passes. Answers the last view seen.
   */
  async waitForProvisionOutcome(uuid: string, waitMs: number, pollMs = 100): Promise<{ addon?: StandInAddon; timedOut: boolean }> {
    const until = Date.now() + waitMs;
    let last: StandInAddon | undefined;
    for (;;) {
      last = await this.addon(uuid);
      if (last && (last.state === 'provisioned' || last.state === 'deprovisioned')) return { addon: last, timedOut: false };
      if (Date.now() >= until) return { addon: last, timedOut: true };
      await sleep(Math.min(pollMs, Math.max(0, until - Date.now())));
    }
  }
}

export interface StandInLogLine {
  at: string;
  receivedAt: string;
  source: string;
  proc: string;
  message: string;
}

export interface StandInLogs {
  app: string | null;
  lines: StandInLogLine[];
}

/** The lines of the add-on's app log (its log input), oldest first; undefined for an unknown add-on. */
export async function standInLogs(standIn: StandIn, uuid: string): Promise<StandInLogs | undefined> {
  const res = await call(joinUrl(standIn.url, `/__sandbox/addons/${encodeURIComponent(uuid)}/logs`));
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`the Heroku stand-in answered ${res.status} for the logs of ${uuid}: ${brief(res.text)}`);
  return res.json as StandInLogs;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
