import type { Redis } from 'ioredis';
import { type AddonRecord, canMove, isFinal, needsWork, TransitionError } from '../domain/addon';
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
 * All keys of one store share the prefix, so a hash-tagged prefix (e.g. `{aag}`) keeps them in one
 * Redis Cluster slot.
 */

const CREATE_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur then return cur end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return false
`;

const CAS_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur ~= ARGV[1] then return 0 end
if ARGV[5] ~= '' then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[5]) else redis.call('SET', KEYS[1], ARGV[2]) end
if ARGV[4] == '1' then redis.call('SADD', KEYS[2], ARGV[3]) else redis.call('SREM', KEYS[2], ARGV[3]) end
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

  /**
   * Writes the record unless one exists. Returns the record that is stored and whether it is new.
   * Sent as a plain EVAL (never EVALSHA): a command pipelined after it (the provision's job add)
   * must never run before it, as it would after a NOSCRIPT fallback.
   */
  async create(rec: AddonRecord): Promise<{ created: boolean; record: AddonRecord }> {
    const existing = (await this.redis.eval(CREATE_LUA, 2, this.key(rec.uuid), this.activeKey, JSON.stringify(rec), rec.uuid)) as string | null;
    if (existing) return { created: false, record: this.parse(existing) };
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
  async update(uuid: string, fn: Mutation, opts: { from?: AddonRecord; maxTries?: number } = {}): Promise<{ record: AddonRecord; changed: boolean }> {
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
      const ttl = isFinal(stored.state) ? String(this.tombstoneTtlMs) : '';
      const ok = await CAS.run(this.redis, [this.key(uuid), this.activeKey], [raw, json, uuid, needsWork(stored) ? '1' : '0', ttl]);
      if (ok === 1) {
        this.raws.set(stored, json);
        return { record: stored, changed: true };
      }
      // lost a race (or `from` was stale): read again and re-apply
    }
    throw new StoreConflictError(`could not update add-on ${uuid}: too much contention`);
  }

  /** Uuids of records with work outstanding (provisioning, deprovisioning, a plan change to apply). */
  async activeIds(): Promise<string[]> {
    return this.redis.smembers(this.activeKey);
  }

  /** Test and tooling helper: every uuid with a record under this prefix. */
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
