import { randomBytes, randomUUID } from 'node:crypto';
import type {
  AddonAction,
  CreateAddonInput,
  OAuthGrant,
  SandboxAddon,
  SandboxAddonState,
} from './types';

/**
 * The in-memory world of the Heroku stand-in: apps, add-on resources, grants, tokens and
 * rate-limit buckets. No HTTP here; `app.ts` maps requests onto these methods.
 */

export interface StoreSettings {
  accessTokenTtlSeconds: number;
  grantTtlSeconds: number;
  addonId: string;
  configVarsPrefix: string;
  configVars: string[];
  rateLimit: number;
  rateLimitRefillPerMinute: number;
  customDomain: boolean;
  now: () => number;
}

export interface AppRecord {
  id: string;
  name: string;
  /** The account that owns the app (Platform API `app.owner`). */
  owner: { id: string; email: string };
  region: string;
  createdAt: string;
  domains: DomainRecord[];
}

export interface DomainRecord {
  id: string;
  hostname: string;
  kind: 'heroku' | 'custom';
  cname: string | null;
  status: string;
  createdAt: string;
}

interface AddonRecord {
  uuid: string;
  name: string;
  plan: string;
  planId: string;
  region: string;
  state: SandboxAddonState;
  appId: string;
  config: Record<string, string>;
  userId: string;
  createdAt: string;
  updatedAt: string;
  provisionedAt?: string;
  deprovisionedAt?: string;
  actions: Record<AddonAction, number>;
  /** The one live grant code (minting a new one kills the old one). */
  grantCode?: string;
}

interface GrantRecord {
  code: string;
  addonUuid: string;
  expiresAt: number;
  used: boolean;
}

interface AccessTokenRecord {
  addonUuid: string;
  userId: string;
  expiresAt: number;
}

interface Bucket {
  remaining: number;
  updatedAt: number;
}

export type GrantExchange =
  | { ok: true; addonUuid: string; userId: string; accessToken: string; refreshToken: string; expiresIn: number; sessionNonce: string }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' | 'superseded' | 'deprovisioned'; addonUuid?: string };

export type RefreshExchange =
  | { ok: true; addonUuid: string; userId: string; accessToken: string; refreshToken: string; expiresIn: number; sessionNonce: string }
  | { ok: false; reason: 'unknown'; addonUuid?: string };

export type TokenCheck =
  | { ok: true; addonUuid: string; userId: string }
  | { ok: false; reason: 'unknown' | 'expired'; addonUuid?: string };

export class DuplicateAddonError extends Error {}

const ADJECTIVES = ['amber', 'brisk', 'calm', 'deft', 'eager', 'fuzzy', 'gentle', 'humble', 'jolly', 'lively', 'mellow', 'nimble', 'polished', 'quiet', 'rigid', 'sunny', 'tidy', 'vast', 'witty', 'zesty'];
const NOUNS = ['acorn', 'brook', 'cedar', 'dune', 'ember', 'fjord', 'glade', 'harbor', 'island', 'lagoon', 'meadow', 'orchard', 'prairie', 'ridge', 'summit', 'tundra', 'valley', 'willow'];

function pick<T>(list: T[]): T {
  return list[randomBytes(1)[0] % list.length];
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

export class HerokuStore {
  private apps = new Map<string, AppRecord>();
  private appIdByName = new Map<string, string>();
  private addons = new Map<string, AddonRecord>();
  private addonUuidByName = new Map<string, string>();
  private grants = new Map<string, GrantRecord>();
  private accessTokens = new Map<string, AccessTokenRecord>();
  /** refresh token → add-on uuid; refresh tokens do not expire. */
  private refreshTokens = new Map<string, { addonUuid: string; userId: string }>();
  private buckets = new Map<string, Bucket>();
  /** account ids by email: apps created with the same `owner` share one account. */
  private accountIds = new Map<string, string>();

  constructor(private readonly s: StoreSettings) {}

  get settings(): StoreSettings {
    return this.s;
  }

  private iso(ms = this.s.now()): string {
    return new Date(ms).toISOString();
  }

  reset(): void {
    this.apps.clear();
    this.appIdByName.clear();
    this.addons.clear();
    this.addonUuidByName.clear();
    this.grants.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
    this.buckets.clear();
    this.accountIds.clear();
  }

  // ---- apps ---------------------------------------------------------------------------------

  private account(email: string | undefined): { id: string; email: string } {
    const mail = email ?? `owner-${hex(4)}@example.com`;
    let id = this.accountIds.get(mail);
    if (!id) this.accountIds.set(mail, (id = randomUUID()));
    return { id, email: mail };
  }

  private ensureApp(name: string | undefined, region: string, owner?: string): AppRecord {
    if (name) {
      const id = this.appIdByName.get(name);
      if (id) return this.apps.get(id)!;
    }
    const appName = name ?? `${pick(ADJECTIVES)}-${pick(NOUNS)}-${1000 + (randomBytes(2).readUInt16BE(0) % 9000)}`;
    const createdAt = this.iso();
    const domains: DomainRecord[] = [];
    if (this.s.customDomain) {
      // First in the list on purpose: code that takes domains[0] as the app's host is wrong.
      domains.push({
        id: randomUUID(),
        hostname: `www.${appName}.example.com`,
        kind: 'custom',
        cname: `${pick(ADJECTIVES)}-${pick(NOUNS)}-${hex(4)}.herokudns.com`,
        status: 'succeeded',
        createdAt,
      });
    }
    domains.push({
      id: randomUUID(),
      // apps created since mid-2023: <name>-<12 hex>.herokuapp.com
      hostname: `${appName}-${hex(6)}.herokuapp.com`,
      kind: 'heroku',
      cname: null,
      status: 'none',
      createdAt,
    });
    const app: AppRecord = { id: randomUUID(), name: appName, owner: this.account(owner), region, createdAt, domains };
    this.apps.set(app.id, app);
    this.appIdByName.set(app.name, app.id);
    return app;
  }

  findApp(idOrName: string): AppRecord | undefined {
    const byId = this.apps.get(idOrName);
    if (byId) return byId;
    const id = this.appIdByName.get(idOrName);
    return id ? this.apps.get(id) : undefined;
  }

  /** The add-ons attached to an app (its own). */
  addonsOfApp(appId: string): string[] {
    return [...this.addons.values()].filter((a) => a.appId === appId).map((a) => a.uuid);
  }

  /** The app serving a host (one of its domains), if any. */
  appByHost(host: string): AppRecord | undefined {
    const h = host.toLowerCase().replace(/\.$/, '');
    for (const app of this.apps.values()) if (app.domains.some((d) => d.hostname === h)) return app;
    return undefined;
  }

  /**
   * `heroku apps:rename`: a new name and a new herokuapp.com host; the old host no longer exists.
   * Returns the app before and after, or an error message.
   */
  renameApp(idOrName: string, newName: string): { before: { name: string; host?: string }; app: AppRecord } | string {
    const app = this.findApp(idOrName);
    if (!app) return `unknown app ${idOrName}`;
    if (!/^[a-z][a-z0-9-]{1,28}[a-z0-9]$/.test(newName)) return 'Name must start with a letter, end with a letter or digit and can only contain lowercase letters, digits, and dashes.';
    if (this.appIdByName.has(newName) && this.appIdByName.get(newName) !== app.id) return 'Name is already taken';
    const heroku = app.domains.find((d) => d.kind === 'heroku');
    const before = { name: app.name, host: heroku?.hostname };
    this.appIdByName.delete(app.name);
    app.name = newName;
    this.appIdByName.set(newName, app.id);
    if (heroku) {
      heroku.id = randomUUID();
      heroku.hostname = `${newName}-${hex(6)}.herokuapp.com`;
      heroku.createdAt = this.iso();
    }
    return { before, app };
  }

  /** `heroku domains:add`: a custom domain (or a herokuapp.com one given back). */
  addDomain(idOrName: string, hostname: string): { app: AppRecord; domain: DomainRecord } | string {
    const app = this.findApp(idOrName);
    if (!app) return `unknown app ${idOrName}`;
    const h = hostname.toLowerCase().replace(/\.$/, '');
    if (!/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(h)) return `hostname ${hostname} is not valid`;
    if (this.appByHost(h)) return `${h} is already in use`;
    const herokuHost = h.endsWith('.herokuapp.com');
    const domain: DomainRecord = {
      id: randomUUID(),
      hostname: h,
      kind: herokuHost ? 'heroku' : 'custom',
      cname: herokuHost ? null : `${pick(ADJECTIVES)}-${pick(NOUNS)}-${hex(4)}.herokudns.com`,
      status: herokuHost ? 'none' : 'succeeded',
      createdAt: this.iso(),
    };
    app.domains.push(domain);
    return { app, domain };
  }

  /** `heroku domains:remove` (a herokuapp.com host too: as `domains:disable` does). */
  removeDomain(idOrName: string, hostname: string): { app: AppRecord; domain: DomainRecord } | string {
    const app = this.findApp(idOrName);
    if (!app) return `unknown app ${idOrName}`;
    const h = hostname.toLowerCase().replace(/\.$/, '');
    const i = app.domains.findIndex((d) => d.hostname === h);
    if (i < 0) return `${h} is not a domain of ${app.name}`;
    const [domain] = app.domains.splice(i, 1);
    return { app, domain };
  }

  appOf(addonUuid: string): AppRecord | undefined {
    const a = this.addons.get(addonUuid);
    return a ? this.apps.get(a.appId) : undefined;
  }

  // ---- add-ons ------------------------------------------------------------------------------

  createAddon(input: CreateAddonInput): { addon: AddonRecord; grant: OAuthGrant } {
    const uuid = input.uuid ?? randomUUID();
    if (this.addons.has(uuid)) throw new DuplicateAddonError(`add-on ${uuid} already exists`);
    const plan = input.plan.startsWith(`${this.s.addonId}:`) ? input.plan.slice(this.s.addonId.length + 1) : input.plan;
    const region = input.region ?? 'amazon-web-services::us-east-1';
    const app = this.ensureApp(input.appName, region, input.owner);
    let name = input.name ?? `${this.s.addonId}-${pick(ADJECTIVES)}-${hex(3)}`;
    while (this.addonUuidByName.has(name)) name = `${this.s.addonId}-${pick(ADJECTIVES)}-${hex(3)}`;
    const now = this.iso();
    const addon: AddonRecord = {
      uuid,
      name,
      plan,
      planId: randomUUID(),
      region,
      state: 'provisioning',
      appId: app.id,
      config: {},
      userId: randomUUID(),
      createdAt: now,
      updatedAt: now,
      actions: { provision: 0, deprovision: 0 },
    };
    this.addons.set(uuid, addon);
    this.addonUuidByName.set(name, uuid);
    return { addon, grant: this.mintGrant(uuid) };
  }

  mintGrant(uuid: string): OAuthGrant {
    const addon = this.addons.get(uuid);
    if (!addon) throw new Error(`unknown add-on ${uuid}`);
    if (addon.grantCode) this.grants.delete(addon.grantCode);
    const code = randomUUID();
    const expiresAt = this.s.now() + this.s.grantTtlSeconds * 1000;
    this.grants.set(code, { code, addonUuid: uuid, expiresAt, used: false });
    addon.grantCode = code;
    return { code, expires_at: this.iso(expiresAt), type: 'authorization_code' };
  }

  findAddon(idOrName: string): AddonRecord | undefined {
    const byId = this.addons.get(idOrName);
    if (byId) return byId;
    const uuid = this.addonUuidByName.get(idOrName);
    return uuid ? this.addons.get(uuid) : undefined;
  }

  view(uuid: string): SandboxAddon | undefined {
    const a = this.addons.get(uuid);
    if (!a) return undefined;
    const app = this.apps.get(a.appId)!;
    const v: SandboxAddon = {
      uuid: a.uuid,
      name: a.name,
      plan: a.plan,
      region: a.region,
      state: a.state,
      app: { id: app.id, name: app.name },
      config: { ...a.config },
      createdAt: a.createdAt,
    };
    if (a.provisionedAt) v.provisionedAt = a.provisionedAt;
    if (a.deprovisionedAt) v.deprovisionedAt = a.deprovisionedAt;
    return v;
  }

  /** The add-on as the Platform API shows it (`GET /addons/{id}`). */
  platformView(a: AddonRecord): Record<string, unknown> {
    const app = this.apps.get(a.appId)!;
    return {
      actions: [],
      addon_service: { id: randomUUIDFor(this.s.addonId), name: this.s.addonId },
      app: { id: app.id, name: app.name },
      billing_entity: { id: app.id, name: app.name, type: 'app' },
      billed_price: { cents: 0, contract: false, unit: 'month' },
      config_vars: Object.keys(a.config),
      created_at: a.createdAt,
      id: a.uuid,
      name: a.name,
      plan: { id: a.planId, name: `${this.s.addonId}:${a.plan}` },
      provider_id: a.uuid,
      state: a.state,
      updated_at: a.updatedAt,
      web_url: `https://addons-sso.heroku.com/apps/${app.id}/addons/${a.uuid}`,
    };
  }

  /** Checks a config PATCH; returns the message of the first problem, or null when all is well. */
  checkConfig(entries: unknown): string | null {
    if (!Array.isArray(entries)) return 'config must be an array of {name, value}';
    for (const e of entries) {
      if (typeof e !== 'object' || e === null) return 'config entries must be objects {name, value}';
      const { name, value } = e as { name?: unknown; value?: unknown };
      if (typeof name !== 'string' || name === '') return 'config entry name must be a non-empty string';
      if (!name.startsWith(`${this.s.configVarsPrefix}_`)) {
        return `Config var ${name} must start with ${this.s.configVarsPrefix}_`;
      }
      if (!this.s.configVars.includes(name)) {
        return `Config var ${name} is not declared in the add-on manifest (config_vars: ${this.s.configVars.join(', ')})`;
      }
      if (value !== null && typeof value !== 'string') return `Config var ${name} must have a string value (or null to unset it)`;
    }
    return null;
  }

  /** Applies an already-checked config PATCH (a null value unsets the var, as the schema's `value: string|null` allows). */
  setConfig(a: AddonRecord, entries: { name: string; value: string | null }[]): void {
    for (const { name, value } of entries) {
      if (value === null) delete a.config[name];
      else a.config[name] = value;
    }
    a.updatedAt = this.iso();
  }

  act(a: AddonRecord, action: AddonAction): void {
    a.actions[action] += 1;
    const now = this.iso();
    if (action === 'provision') {
      a.state = 'provisioned';
      if (!a.provisionedAt) a.provisionedAt = now;
    } else {
      a.state = 'deprovisioned';
      if (!a.deprovisionedAt) a.deprovisionedAt = now;
    }
    a.updatedAt = now;
  }

  actionCount(uuid: string, action: AddonAction): number {
    return this.addons.get(uuid)?.actions[action] ?? 0;
  }

  // ---- OAuth --------------------------------------------------------------------------------

  private issue(addonUuid: string, userId: string, refreshToken: string) {
    const accessToken = `HRKU-AA${hex(24)}`;
    this.accessTokens.set(accessToken, {
      addonUuid,
      userId,
      expiresAt: this.s.now() + this.s.accessTokenTtlSeconds * 1000,
    });
    return {
      ok: true as const,
      addonUuid,
      userId,
      accessToken,
      refreshToken,
      expiresIn: this.s.accessTokenTtlSeconds,
      sessionNonce: hex(8),
    };
  }

  exchangeGrant(code: string): GrantExchange {
    const g = this.grants.get(code);
    if (!g) return { ok: false, reason: 'unknown' };
    const addon = this.addons.get(g.addonUuid);
    if (!addon) return { ok: false, reason: 'unknown' };
    if (addon.grantCode !== code) return { ok: false, reason: 'superseded', addonUuid: g.addonUuid };
    if (g.used) return { ok: false, reason: 'used', addonUuid: g.addonUuid };
    if (this.s.now() >= g.expiresAt) return { ok: false, reason: 'expired', addonUuid: g.addonUuid };
    if (addon.state === 'deprovisioned') return { ok: false, reason: 'deprovisioned', addonUuid: g.addonUuid };
    g.used = true;
    const refreshToken = hex(32);
    this.refreshTokens.set(refreshToken, { addonUuid: g.addonUuid, userId: addon.userId });
    return this.issue(g.addonUuid, addon.userId, refreshToken);
  }

  refresh(refreshToken: string): RefreshExchange {
    const r = this.refreshTokens.get(refreshToken);
    if (!r || !this.addons.has(r.addonUuid)) return { ok: false, reason: 'unknown' };
    return this.issue(r.addonUuid, r.userId, refreshToken);
  }

  checkToken(token: string): TokenCheck {
    const t = this.accessTokens.get(token);
    if (!t) return { ok: false, reason: 'unknown' };
    if (this.s.now() >= t.expiresAt) return { ok: false, reason: 'expired', addonUuid: t.addonUuid };
    return { ok: true, addonUuid: t.addonUuid, userId: t.userId };
  }

  // ---- rate limit ---------------------------------------------------------------------------

  /** Remaining budget of an account after refill, without spending. */
  private bucket(account: string): Bucket {
    const now = this.s.now();
    let b = this.buckets.get(account);
    if (!b) {
      b = { remaining: this.s.rateLimit, updatedAt: now };
      this.buckets.set(account, b);
      return b;
    }
    const perMs = this.s.rateLimitRefillPerMinute / 60_000;
    if (perMs > 0 && now > b.updatedAt) {
      const refill = Math.floor((now - b.updatedAt) * perMs);
      if (refill > 0) {
        b.remaining = Math.min(this.s.rateLimit, b.remaining + refill);
        b.updatedAt += refill / perMs;
      }
      if (b.remaining >= this.s.rateLimit) b.updatedAt = now;
    } else if (perMs <= 0) {
      b.updatedAt = now;
    }
    return b;
  }

  /** What the account has left, without spending (for answers that spend nothing, e.g. injected faults). */
  peek(account: string): number {
    return this.bucket(account).remaining;
  }

  /** Spends one request of the account's budget; false when there is none left. */
  spend(account: string): { allowed: boolean; remaining: number } {
    const b = this.bucket(account);
    if (b.remaining <= 0) return { allowed: false, remaining: 0 };
    b.remaining -= 1;
    return { allowed: true, remaining: b.remaining };
  }
}

/** A stable uuid-looking id for the add-on service, derived from its slug. */
function randomUUIDFor(slug: string): string {
  let h = 0x811c9dc5;
  const out: number[] = [];
  for (let i = 0; i < 16; i++) {
    for (const ch of `${slug}:${i}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out.push(h & 0xff);
  }
  const b = Buffer.from(out);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = b.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
