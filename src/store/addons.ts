import type { Redis } from 'ioredis';
import { type AddonRecord, canMove, isFinal, needsWork, TransitionError } from '../domain/addon';
import { isFreePlan } from '../domain/plans';
import { Script } from './script';

/**
 * Add-on records in Redis: one JSON value per uuid, plus a set of the uuids that still have work
 * to do (provisioning / deprovisioning) for the sweeper. Every write is atomic: creation is
 * SET-if-absent, updates are compare-and-set on the whole value (a Lua script), retried on a lost
 * race. Deprovisioned records stay as tombstones so a late provision gets 410.
 *
 * Tombstones expire: a write that puts a record in a final state (`deprovisioned`, `failed`; see
 * `isFinal`) gives its key a TTL (`tombstoneTtlMs`, from TOMBSTONE_TTL_DAYS) in the same atomic
 * script; any other write clears it (a `failed` add-on that Heroku then removes lives on until its
 * teardown ends). This is the one place a record's lifetime is decided: workflows just write states.
 *
 * Fair use: the live add-ons (provisioning or provisioned) of each Heroku app, of each app owner
 * and of the free plan are sets, kept by the same atomic writes as the records (never a scan). A
 * write that would add a record to a set already at its limit is refused as a whole.
 *
 * All keys of one store share the prefix, so a hash-tagged prefix (e.g. `{aag}`) keeps them in one
 * Redis Cluster slot.
 */

// KEYS: record, active set[, free-plan set]; ARGV: json, uuid[, free limit]
// → {0, existing} | {1} created | {2} the free plan is full
const CREATE_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur then return {0, cur} end
if KEYS[3] and redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[3]) then return {2} end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
if KEYS[3] then redis.call('SADD', KEYS[3], ARGV[2]) end
return {1}
`;

// KEYS: record, active set, fair-use sets…; ARGV: raw, json, uuid, needs work, TTL ms ('' none),
// then per fair-use set its op ('+' / '-') and limit (0: none) → 1 written | 0 stale raw | -i set i is full
const CAS_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur ~= ARGV[1] then return 0 end
local n = #KEYS - 2
for i = 1, n do
  local limit = tonumber(ARGV[5 + 2 * i])
  if ARGV[4 + 2 * i] == '+' and limit > 0 and redis.call('SISMEMBER', KEYS[2 + i], ARGV[3]) == 0 and redis.call('SCARD', KEYS[2 + i]) >= limit then
    return -i
  end
end
if ARGV[5] ~= '' then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[5]) else redis.call('SET', KEYS[1], ARGV[2]) end
if ARGV[4] == '1' then redis.call('SADD', KEYS[2], ARGV[3]) else redis.call('SREM', KEYS[2], ARGV[3]) end
for i = 1, n do
  if ARGV[4 + 2 * i] == '+' then redis.call('SADD', KEYS[2 + i], ARGV[3]) else redis.call('SREM', KEYS[2 + i], ARGV[3]) end
end
return 1
`;

const CAS = new Script(CAS_LUA);

export type Mutation = (rec: AddonRecord) => AddonRecord | null;

export class StoreConflictError extends Error {}

/** TOMBSTONE_TTL_DAYS' default: 30 days. */
export const DEFAULT_TOMBSTONE_TTL_MS = 30 * 24 * 3600_000;

export interface AddonStoreOptions {
  /** How long a record in a final state is kept (ms). */
  tombstoneTtlMs?: number;
}

/** Which fair-use set a refused write would have overfilled. */
export type FairUseLimit = 'app' | 'owner' | 'free';

export interface FairUseLimits {
  perApp?: number;
  perOwner?: number;
}

/** Live add-ons are the ones fair use counts. */
const live = (rec: AddonRecord) => rec.state === 'provisioning' || rec.state === 'provisioned';

export class AddonStore {
  /** The stored JSON each record returned by this store was read from (lets an update skip a read). */
  private readonly raws = new WeakMap<AddonRecord, string>();
  readonly tombstoneTtlMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    opts: AddonStoreOptions = {},
  ) {
    this.tombstoneTtlMs = opts.tombstoneTtlMs ?? DEFAULT_TOMBSTONE_TTL_MS;
  }

  key(uuid: string): string {
    return `${this.prefix}:addon:${uuid}`;
  }

  get activeKey(): string {
    return `${this.prefix}:addons:active`;
  }

  /** The set of live add-ons of one kind: `app:<id>`, `owner:<id>`, `plan:free`. */
  fairUseKey(kind: FairUseLimit, id = ''): string {
    return kind === 'free' ? `${this.prefix}:fair:plan:free` : `${this.prefix}:fair:${kind}:${encodeURIComponent(id)}`;
  }

  /** The fair-use sets a record belongs to while live, with the kind of each. */
  private memberships(rec: AddonRecord): [string, FairUseLimit][] {
    if (!live(rec)) return [];
    const out: [string, FairUseLimit][] = [];
    const r = rec.resources;
    // per app and owner only once the limits were checked (knowing the app is not enough: findUpstream knows it first)
    if (r.limitsChecked && r.herokuAppId) out.push([this.fairUseKey('app', r.herokuAppId), 'app']);
    if (r.limitsChecked && r.herokuOwnerId) out.push([this.fairUseKey('owner', r.herokuOwnerId), 'owner']);
    if (isFreePlan(rec.plan)) out.push([this.fairUseKey('free'), 'free']);
    return out;
  }

  /** How many live add-ons a fair-use set holds. */
  async countLive(kind: FairUseLimit, id = ''): Promise<number> {
    return this.redis.scard(this.fairUseKey(kind, id));
  }

  /**
   * Writes the record unless one exists. Returns the record that is stored and whether it is new;
   * `full` when `freeLimit` is given, the record is on the free plan and that many live free
   * add-ons exist already (nothing written).
   * Sent as a plain EVAL (never EVALSHA): a command pipelined after it (the provision's job add)
   * must never run before it, as it would after a NOSCRIPT fallback.
   */
  async create(rec: AddonRecord, opts: { freeLimit?: number } = {}): Promise<{ created: boolean; record: AddonRecord; full?: boolean }> {
    const free = isFreePlan(rec.plan) ? [this.fairUseKey('free')] : [];
    const limit = free.length ? [String(opts.freeLimit ?? Number.MAX_SAFE_INTEGER)] : [];
    const [status, existing] = (await this.redis.eval(CREATE_LUA, 2 + free.length, this.key(rec.uuid), this.activeKey, ...free, JSON.stringify(rec), rec.uuid, ...limit)) as [number, string?];
    if (status === 0 && existing) return { created: false, record: this.parse(existing) };
    if (status === 2) return { created: false, record: rec, full: true };
    return { created: true, record: rec };
  }

  async get(uuid: string): Promise<AddonRecord | null> {
    const raw = await this.redis.get(this.key(uuid));
    return raw ? this.parse(raw) : null;
  }

  private parse(raw: string): AddonRecord {
    const rec = JSON.parse(raw) as AddonRecord;
    this.raws.set(rec, raw);
    return rec;
  }

  /** Whether a record (or tombstone) exists: one EXISTS, no value transferred. */
  async exists(uuid: string): Promise<boolean> {
    return (await this.redis.exists(this.key(uuid))) === 1;
  }

  /**
   * Applies `fn` to the current record atomically. `fn` returns the new record, or null to leave it
   * as it is (the current record is returned). Throws when the record does not exist.
   *
   * `from`, a record this store returned, is taken as the current one without reading it again (the
   * compare-and-set still checks it: a stale `from` costs one more round trip, never a lost write).
   */
  async update(
    uuid: string,
    fn: Mutation,
    opts: { from?: AddonRecord; maxTries?: number; limits?: FairUseLimits } = {},
  ): Promise<{ record: AddonRecord; changed: boolean; refused?: FairUseLimit }> {
    let known = opts.from ? this.raws.get(opts.from) : undefined;
    for (let i = 0; i < (opts.maxTries ?? 50); i++) {
      const raw = known ?? (await this.redis.get(this.key(uuid)));
      known = undefined;
      if (!raw) throw new RecordNotFoundError(uuid);
      const cur = this.parse(raw);
      const next = fn(cur);
      if (!next) return { record: cur, changed: false };
      if (!canMove(cur.state, next.state)) throw new TransitionError('invalid', `add-on ${uuid} cannot move from ${cur.state} to ${next.state}`);
      const stored: AddonRecord = { ...next, rev: cur.rev + 1, updatedAt: new Date().toISOString() };
      const json = JSON.stringify(stored);
      // the fair-use sets: joined while live (again on every write: idempotent, self-healing), left otherwise
      const want = this.memberships(stored);
      const gone = this.memberships(cur).filter(([k]) => !want.some(([w]) => w === k));
      const limitOf = (kind: FairUseLimit) => (kind === 'app' ? opts.limits?.perApp : kind === 'owner' ? opts.limits?.perOwner : undefined) ?? 0;
      const sets = [...want.map(([k, kind]) => [k, '+', String(limitOf(kind)), kind] as const), ...gone.map(([k, kind]) => [k, '-', '0', kind] as const)];
      const ttl = isFinal(stored.state) ? String(this.tombstoneTtlMs) : '';
      const ok = (await CAS.run(
        this.redis,
        [this.key(uuid), this.activeKey, ...sets.map((s) => s[0])],
        [raw, json, uuid, needsWork(stored) ? '1' : '0', ttl, ...sets.flatMap((s) => [s[1], s[2]])],
      )) as number;
      if (ok === 1) {
        this.raws.set(stored, json);
        return { record: stored, changed: true };
      }
      if (ok < 0) return { record: cur, changed: false, refused: sets[-ok - 1][3] };
      // lost a race (or `from` was stale): read again and re-apply
    }
    throw new StoreConflictError(`could not update add-on ${uuid}: too much contention`);
  }

  /** Uuids of records with work outstanding (provisioning, deprovisioning, a plan change to apply). */
  async activeIds(): Promise<string[]> {
    return this.redis.smembers(this.activeKey);
  }

  /** The records of these uuids that exist (MGET, 500 at a time). */
  async getMany(uuids: readonly string[]): Promise<AddonRecord[]> {
    const out: AddonRecord[] = [];
    for (let i = 0; i < uuids.length; i += 500) {
      const raws = await this.redis.mget(...uuids.slice(i, i + 500).map((u) => this.key(u)));
      for (const raw of raws) if (raw) out.push(this.parse(raw));
    }
    return out;
  }

  /** Every uuid with a record under this prefix (SCAN; tombstones included). */
  async allIds(): Promise<string[]> {
    const out: string[] = [];
    let cursor = '0';
    const match = `${this.prefix}:addon:*`;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', match, 'COUNT', 500);
      cursor = next;
      for (const k of keys) out.push(k.slice(k.lastIndexOf(':') + 1));
    } while (cursor !== '0');
    return out;
  }
}

export class RecordNotFoundError extends Error {
  constructor(uuid: string) {
    super(`no add-on record for ${uuid}`);
  }
}
