import type { Redis } from 'ioredis';
import type { Tracked } from '../domain/progress';
import type { Region } from '../domain/regions';
import { gatewayNameFor, gatewaySlotId } from '../domain/targets';
import { Script } from './script';

/**
 * The pool of shared managed Omni Gateways, per region. Each slot `n` of a region is one gateway
 * (`aag-<region>-<n>`): its record (JSON, written by its workflows through the engine), a small hash
 * with the fields the atomic scripts decide on (state, API limit, since when it is empty), and the
 * set of add-ons it holds. A reservation is one Lua script, so a burst of add-ons fills the slots in
 * order and makes exactly the slots it needs: never two gateways for one slot, never more add-ons
 * on a gateway than its limit.
 *
 * Keys (all under the store's prefix, so a hash-tagged prefix keeps them in one Cluster slot):
 *   <p>:gw:<slot>        record JSON        <p>:gw:<slot>:meta   hash {state, limit, failedAt, emptySince}
 *   <p>:gw:<slot>:apis   set of add-on ids  <p>:gws:<region>     sorted set of the region's slot numbers
 *   <p>:gws:active       slots with work outstanding (creating, removing), for the sweeper
 */

export type GatewayState = 'creating' | 'running' | 'failed' | 'removing' | 'removed';

export interface GatewayRecord extends Tracked {
  slot: string;
  region: Region;
  n: number;
  name: string;
  state: GatewayState;
  /** The space (CloudHub 2.0 deployment target) the gateway runs in. */
  targetId?: string;
  runtimeVersion?: string;
  gatewayId?: string;
  publicUrl?: string;
  /** APIs the platform lets the gateway hold. */
  apiLimit?: number;
  createdAt: string;
  updatedAt: string;
  failedAt?: string;
  failureReason?: string;
  /** Since when the gateway holds no API (epoch ms), while it is empty. */
  emptySince?: number;
  /** Add-ons it holds (read from the set; not stored in the JSON). */
  members?: number;
  rev: number;
}

/** Work a gateway slot still needs. */
export function gatewayWork(rec: Pick<GatewayRecord, 'state'>): 'gateway' | 'gateway-remove' | null {
  return rec.state === 'creating' ? 'gateway' : rec.state === 'removing' ? 'gateway-remove' : null;
}

/** How long a slot whose gateway could not be made stays failed before a new add-on tries again. */
export const FAILED_SLOT_RETRY_MS = 5 * 60_000;

const RESERVE_LUA = `
local uuid, fallback, k, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local retry, configured = tonumber(ARGV[6]), tonumber(ARGV[8])
for i = 1, k do
  if redis.call('SISMEMBER', KEYS[3 * i + 2], uuid) == 1 then return i end
end
for i = 1, k do
  local meta = KEYS[3 * i + 1]
  local state = redis.call('HGET', meta, 'state')
  if state == 'creating' or state == 'running' then
    -- the operator's limit, else the platform's, else the documented fallback; never above the platform's
    local platform = tonumber(redis.call('HGET', meta, 'limit'))
    local limit = configured > 0 and configured or (platform or fallback)
    if platform and limit > platform then limit = platform end
    if redis.call('SCARD', KEYS[3 * i + 2]) < limit then
      redis.call('SADD', KEYS[3 * i + 2], uuid)
      redis.call('HDEL', meta, 'emptySince')
      return i
    end
  end
end
for i = 1, k do
  local meta = KEYS[3 * i + 1]
  local state = redis.call('HGET', meta, 'state')
  local failedAt = tonumber(redis.call('HGET', meta, 'failedAt')) or 0
  if (not state) or state == 'removed' or (state == 'failed' and now - failedAt >= retry) then
    local rec = string.gsub(ARGV[5], '__N__', tostring(i))
    redis.call('SET', KEYS[3 * i], rec)
    redis.call('DEL', meta)
    redis.call('HSET', meta, 'state', 'creating')
    redis.call('SADD', KEYS[3 * i + 2], uuid)
    redis.call('ZADD', KEYS[1], i, i)
    redis.call('SADD', KEYS[2], ARGV[7] .. '-' .. i)
    return i
  end
end
return 0
`;

const RELEASE_LUA = `
local uuid, now = ARGV[1], ARGV[2]
local released = 0
for i = 1, #KEYS, 2 do
  if redis.call('SREM', KEYS[i + 1], uuid) == 1 then
    released = released + 1
    if redis.call('SCARD', KEYS[i + 1]) == 0 then redis.call('HSET', KEYS[i], 'emptySince', now) end
  end
end
return released
`;

/** state running, slot beyond the first, empty for the whole grace → removing (atomic with reservations). */
const RETIRE_LUA = `
local meta, apis, active = KEYS[1], KEYS[2], KEYS[3]
if redis.call('HGET', meta, 'state') ~= 'running' then return 0 end
if redis.call('SCARD', apis) > 0 then return 0 end
local since = tonumber(redis.call('HGET', meta, 'emptySince'))
if not since or tonumber(ARGV[2]) - since < tonumber(ARGV[3]) then return 0 end
redis.call('HSET', meta, 'state', 'removing')
redis.call('SADD', active, ARGV[1])
return 1
`;

/** Compare-and-set of the record JSON, with the fields the scripts decide on. */
const CAS_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], 'state', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[2], 'limit', ARGV[4]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], 'failedAt', ARGV[5]) else redis.call('HDEL', KEYS[2], 'failedAt') end
if ARGV[6] == '1' then redis.call('SADD', KEYS[3], ARGV[7]) else redis.call('SREM', KEYS[3], ARGV[7]) end
return 1
`;

const RESERVE = new Script(RESERVE_LUA);
const RELEASE = new Script(RELEASE_LUA);
const RETIRE = new Script(RETIRE_LUA);
const CAS = new Script(CAS_LUA);

const SLOT_RE = /^(us|eu)-(\d+)$/;

export class GatewayStore {
  private readonly raws = new WeakMap<GatewayRecord, string>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  key(slot: string): string {
    return `${this.prefix}:gw:${slot}`;
  }

  private metaKey(slot: string): string {
    return `${this.key(slot)}:meta`;
  }

  private apisKey(slot: string): string {
    return `${this.key(slot)}:apis`;
  }

  private indexKey(region: Region): string {
    return `${this.prefix}:gws:${region}`;
  }

  get activeKey(): string {
    return `${this.prefix}:gws:active`;
  }

  /** The record with the scripts' fields (state, emptySince) and its member count; null for a slot never made. */
  async get(slot: string): Promise<GatewayRecord | null> {
    const [[, raw], [, meta], [, members]] = (await this.redis
      .multi()
      .get(this.key(slot))
      .hgetall(this.metaKey(slot))
      .scard(this.apisKey(slot))
      .exec()) as [[unknown, string | null], [unknown, Record<string, string>], [unknown, number]];
    if (!raw) return null;
    const rec = JSON.parse(raw) as GatewayRecord;
    this.raws.set(rec, raw);
    if (meta.state) rec.state = meta.state as GatewayState;
    rec.emptySince = meta.emptySince ? Number(meta.emptySince) : undefined;
    rec.members = members;
    return rec;
  }

  /** Atomic read-modify-write of the record (the engine's subject store). */
  async update(slot: string, fn: (r: GatewayRecord) => GatewayRecord | null, from?: GatewayRecord): Promise<GatewayRecord> {
    let known = from ? this.raws.get(from) : undefined;
    let base = from;
    for (let i = 0; i < 50; i++) {
      if (!known || !base) {
        const cur = await this.get(slot);
        if (!cur) throw new Error(`no gateway slot ${slot}`);
        base = cur;
        known = this.raws.get(cur);
      }
      const next = fn(base);
      if (!next) return base;
      const { members: _m, emptySince: _e, ...stored } = { ...next, rev: base.rev + 1, updatedAt: new Date().toISOString() };
      const json = JSON.stringify(stored);
      const ok = await CAS.run(
        this.redis,
        [this.key(slot), this.metaKey(slot), this.activeKey],
        [known as string, json, stored.state, stored.apiLimit ? String(stored.apiLimit) : '', stored.failedAt ? String(Date.parse(stored.failedAt)) : '', gatewayWork(stored) ? '1' : '0', slot],
      );
      if (ok === 1) {
        const rec = { ...stored, emptySince: base.emptySince, members: base.members } as GatewayRecord;
        this.raws.set(rec, json);
        return rec;
      }
      known = undefined;
    }
    throw new Error(`could not update gateway slot ${slot}: too much contention`);
  }

  /**
   * Reserves room for `uuid` on the region's pool: the gateway it already holds, else the first
   * live one with room, else a new slot (its record is created in state `creating`, for the gateway
   * workflow). A gateway holds at most `limits.configured` APIs when set, else what the platform
   * reported for it, else `limits.fallback`; never more than the platform's figure.
   */
  async reserve(uuid: string, region: Region, limits: { configured?: number; fallback: number }, now = Date.now()): Promise<{ slot: string; created: boolean }> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const known = (await this.redis.zrange(this.indexKey(region), '0', '-1')).map(Number);
      const k = Math.max(0, ...known) + 1;
      const keys = [this.indexKey(region), this.activeKey];
      for (let n = 1; n <= k; n++) {
        const slot = gatewaySlotId(region, n);
        keys.push(this.key(slot), this.metaKey(slot), this.apisKey(slot));
      }
      const at = new Date(now).toISOString();
      const template: GatewayRecord = {
        slot: gatewaySlotId(region, 0).replace(/0$/, '__N__'),
        region,
        n: 0,
        name: gatewayNameFor(region, 0).replace(/0$/, '__N__'),
        state: 'creating',
        createdAt: at,
        updatedAt: at,
        timeline: [],
        rev: 1,
      };
      const json = JSON.stringify(template).replace('"n":0', '"n":__N__');
      const before = new Set(known);
      const args = [uuid, String(limits.fallback), String(k), String(now), json, String(FAILED_SLOT_RETRY_MS), region, String(limits.configured ?? 0)];
      const n = Number(await RESERVE.run(this.redis, keys, args));
      if (n > 0) return { slot: gatewaySlotId(region, n), created: !before.has(n) };
      // every slot we looked at was taken meanwhile: look again with the newer index
    }
    throw new Error(`could not reserve room on the ${region} gateway pool: too much contention`);
  }

  /** Gives `uuid`'s room back in every slot of the region; a slot left empty starts its idle time. */
  async release(uuid: string, region: Region, now = Date.now()): Promise<number> {
    const slots = (await this.redis.zrange(this.indexKey(region), '0', '-1')).map((n) => gatewaySlotId(region, Number(n)));
    if (!slots.length) return 0;
    const keys = slots.flatMap((s) => [this.metaKey(s), this.apisKey(s)]);
    return Number(await RELEASE.run(this.redis, keys, [uuid, String(now)]));
  }

  /** The slot that holds `uuid` in the region, if any. */
  async slotOf(uuid: string, region: Region): Promise<string | null> {
    for (const n of await this.redis.zrange(this.indexKey(region), '0', '-1')) {
      const slot = gatewaySlotId(region, Number(n));
      if (await this.redis.sismember(this.apisKey(slot), uuid)) return slot;
    }
    return null;
  }

  /** Marks an empty gateway beyond the region's first for removal once it stayed empty `graceMs`. */
  async retireIfIdle(slot: string, graceMs: number, now = Date.now()): Promise<boolean> {
    const m = SLOT_RE.exec(slot);
    if (!m || Number(m[2]) <= 1) return false;
    return Number(await RETIRE.run(this.redis, [this.metaKey(slot), this.apisKey(slot), this.activeKey], [slot, String(now), String(graceMs)])) === 1;
  }

  /** Every slot of a region (or both), in order. */
  async list(region?: Region): Promise<GatewayRecord[]> {
    const out: GatewayRecord[] = [];
    for (const r of region ? [region] : (['us', 'eu'] as const)) {
      for (const n of await this.redis.zrange(this.indexKey(r), '0', '-1')) {
        const rec = await this.get(gatewaySlotId(r, Number(n)));
        if (rec) out.push(rec);
      }
    }
    return out;
  }

  /** Slots with work outstanding (for the sweeper). */
  async activeSlots(): Promise<string[]> {
    return this.redis.smembers(this.activeKey);
  }
}
