import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { MINUTE_SLOTS, parseSlot, PATH_SLOTS, PATHS_PER_SLOT, QUARTER_SLOTS, type Slot, type StoredTraffic } from '../domain/traffic';
import { Script } from './script';

/**
 * Gateway traffic in Redis, per add-on, with bounded memory:
 *
 * - `traffic:cursor` (hash, uuid → `<cursor>:<from>`): events before `cursor` (epoch ms) are
 *   handled; of the ones from `from` on, the handled ids are in the add-on's `seen` set (the dedup
 *   window: the last `overlapMs` before the cursor, at most `maxSeen` ids; when more calls came in
 *   that time, `from` moves up to the oldest id kept: a busier add-on re-reads less of the past).
 * - `traffic:seen:<uuid>` (sorted set by event time of 72-bit hashes of the message ids, 12
 *   characters): the dedup window. 128 ids at most keep it a compact listpack.
 * - `traffic:outbox:<uuid>` (list of `<ISO time> <line>`): lines not yet accepted by the app's log
 *   input, oldest first, at most `maxOutbox` (beyond it the oldest are dropped and counted).
 * - `traffic:pending` (set): add-ons whose outbox holds lines.
 * - `traffic:agg:<uuid>` (hash, a ring): 60 minute slots `m<i>` and 96 quarter-hour slots `q<i>`,
 *   each `period,n,limited,blocked,c4,c5,peak,<latency bins>`; a slot is overwritten when its
 *   period comes round again. 156 short fields: Redis keeps it as a compact listpack.
 * - `traffic:path:<uuid>:<t|h>:<slot>` (sorted set, path → calls, ≤ 12 paths + `(other)`): top
 *   paths per 10-minute slot (kept 70 minutes) and per hour (kept 25 hours); they expire on their own.
 * - `traffic:drain` (hash, uuid → `<failures>:<next try at>`): the log input's backoff.
 *
 * Every key but the path keys carries a 25-hour TTL refreshed by each commit, so an add-on that is
 * gone (or silent for a day) leaves nothing behind. One commit per add-on and window writes its
 * lines, ids, counts and cursor in one Lua script, compare-and-set on the cursor: a window is
 * committed once, even when two workers read it.
 */

/** Keys of one add-on expire this long after its last commit. */
export const TRAFFIC_TTL_MS = 25 * 3600_000;

// KEYS: cursor hash, seen, outbox, pending, agg, path keys…
// ARGV: uuid, expected cursor value ('' = none), cursor, horizon, maxSeen, maxOutbox, ttl, path cap,
//   the expected cursor's from (events before it are handled, or came before the add-on served), nIds, (score, id)…, nLines, line…, nMinutes, packed minute…, nPaths, (key index, path, count)…, expire-at per path key…
// → {1, dropped lines, new cursor value} committed | {0, 0} the cursor moved meanwhile (another commit covered this window)
const COMMIT = new Script(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if (cur or '') ~= ARGV[2] then return {0, 0} end
local prevFrom = tonumber(ARGV[9])
local ttl = tonumber(ARGV[7])
local i = 10
-- the dedup window: the ids kept and the new ones from the horizon on, the newest maxSeen of them,
-- written afresh (a set that never grows past maxSeen stays a compact listpack)
local horizon = tonumber(ARGV[4])
local maxSeen = tonumber(ARGV[5])
local all = {}
local kept = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for k = 1, #kept, 2 do
  local sc = tonumber(kept[k + 1])
  if sc >= horizon then all[#all + 1] = {sc, kept[k]} end
end
local nIds = tonumber(ARGV[i]); i = i + 1
for k = 1, nIds do
  local sc = tonumber(ARGV[i])
  if sc >= horizon then all[#all + 1] = {sc, ARGV[i + 1]} end
  i = i + 2
end
table.sort(all, function(a, b) if a[1] == b[1] then return a[2] < b[2] end return a[1] < b[1] end)
local from = math.max(horizon, prevFrom)
local drop = #all - maxSeen
if drop > 0 then from = math.max(from, all[drop][1] + 1) end
redis.call('DEL', KEYS[2])
local zargs = {}
for k = math.max(1, drop + 1), #all do
  zargs[#zargs + 1] = all[k][1]
  zargs[#zargs + 1] = all[k][2]
end
if #zargs > 0 then
  redis.call('ZADD', KEYS[2], unpack(zargs))
  redis.call('PEXPIRE', KEYS[2], ttl)
end
local nLines = tonumber(ARGV[i]); i = i + 1
local dropped = 0
if nLines > 0 then
  local len = 0
  for k = 1, nLines do len = redis.call('RPUSH', KEYS[3], ARGV[i]); i = i + 1 end
  local max = tonumber(ARGV[6])
  if len > max then dropped = len - max; redis.call('LTRIM', KEYS[3], dropped, -1) end
  redis.call('PEXPIRE', KEYS[3], ttl)
  redis.call('SADD', KEYS[4], ARGV[1])
end
local BINS = 12
local function addInto(field, period, d, dh)
  local v = redis.call('HGET', KEYS[5], field)
  local s = {period, 0, 0, 0, 0, 0, 0}
  local sh = {}
  for b = 1, BINS do sh[b] = 0 end
  if v then
    local t = {}
    for x in string.gmatch(v, '[^,]+') do t[#t + 1] = x end
    local p = tonumber(t[1])
    if p > period then return nil, nil end
    if p == period then
      for k = 2, 7 do s[k] = tonumber(t[k]) end
      local b = 1
      for x in string.gmatch(t[8], '[^:]+') do sh[b] = tonumber(x); b = b + 1 end
    end
  end
  for k = 2, 6 do s[k] = s[k] + d[k] end
  for b = 1, BINS do sh[b] = sh[b] + (dh[b] or 0) end
  return s, sh
end
local function put(field, s, sh)
  local head = {}
  for k = 1, 7 do head[k] = string.format('%.0f', s[k]) end
  redis.call('HSET', KEYS[5], field, table.concat(head, ',') .. ',' .. table.concat(sh, ':'))
end
local nMinutes = tonumber(ARGV[i]); i = i + 1
for k = 1, nMinutes do
  local t = {}
  for x in string.gmatch(ARGV[i], '[^,]+') do t[#t + 1] = x end
  i = i + 1
  local d = {}
  for j = 1, 6 do d[j] = tonumber(t[j]) end
  local dh = {}
  for x in string.gmatch(t[7], '[^:]+') do dh[#dh + 1] = tonumber(x) end
  local minute = d[1]
  local ms, msh = addInto('m' .. string.format('%.0f', minute % ${MINUTE_SLOTS}), minute, d, dh)
  if ms then ms[7] = ms[2]; put('m' .. string.format('%.0f', minute % ${MINUTE_SLOTS}), ms, msh) end
  local q = math.floor(minute / 15)
  local qs, qsh = addInto('q' .. string.format('%.0f', q % ${QUARTER_SLOTS}), q, d, dh)
  if qs then
    local busiest = d[2]
    if ms then busiest = ms[2] end
    if busiest > qs[7] then qs[7] = busiest end
    put('q' .. string.format('%.0f', q % ${QUARTER_SLOTS}), qs, qsh)
  end
end
if nMinutes > 0 then redis.call('PEXPIRE', KEYS[5], ttl) end
local cap = tonumber(ARGV[8])
local nPaths = tonumber(ARGV[i]); i = i + 1
for k = 1, nPaths do
  local key = KEYS[5 + tonumber(ARGV[i])]
  local path = ARGV[i + 1]
  if not redis.call('ZSCORE', key, path) and redis.call('ZCARD', key) >= cap then path = '(other)' end
  redis.call('ZINCRBY', key, ARGV[i + 2], path)
  i = i + 3
end
for k = 6, #KEYS do
  redis.call('PEXPIREAT', KEYS[k], ARGV[i]); i = i + 1
end
local stored = ARGV[3] .. ':' .. string.format('%.0f', math.min(from, tonumber(ARGV[3])))
redis.call('HSET', KEYS[1], ARGV[1], stored)
return {1, dropped, stored}
`);

// KEYS: cursor hash; ARGV: cursor, horizon, (uuid, floor of from)… → moves each cursor forward (never back)
const ADVANCE = new Script(`
local c1 = tonumber(ARGV[1])
local h1 = tonumber(ARGV[2])
for k = 3, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[1], ARGV[k])
  local c, f = 0, tonumber(ARGV[k + 1])
  if cur then
    local a, b = string.match(cur, '^(%d+):(%d+)$')
    c = tonumber(a) or 0
    f = math.max(tonumber(b) or 0, f)
  end
  local nc = math.max(c, c1)
  local nf = math.min(math.max(f, h1), nc)
  redis.call('HSET', KEYS[1], ARGV[k], string.format('%.0f', nc) .. ':' .. string.format('%.0f', nf))
end
return (#ARGV - 2) / 2
`);

// KEYS: outbox, pending; ARGV: the batch's last line, uuid, batch size → lines removed from the head
const ACK = new Script(`
local pos = redis.call('LPOS', KEYS[1], ARGV[1], 'MAXLEN', tonumber(ARGV[3]))
if pos then redis.call('LTRIM', KEYS[1], pos + 1, -1) end
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
if pos then return pos + 1 end
return 0
`);

/** Where an add-on's reading stands. */
export interface Cursor {
  /** Everything before this (epoch ms) is handled. */
  cursor: number;
  /** Events from here on are checked against the seen ids; earlier ones are handled. */
  from: number;
  /** The stored value (compare-and-set), '' when none. */
  raw: string;
}

function parseCursor(raw: string | null | undefined): Cursor | undefined {
  const m = raw ? /^(\d+):(\d+)$/.exec(raw) : null;
  return m ? { cursor: Number(m[1]), from: Number(m[2]), raw: raw as string } : undefined;
}

/** Where `advance` leaves a cursor (the same rule as its script). */
export function advanced(c: Cursor, cursor: number, overlapMs: number): Cursor {
  const nc = Math.max(c.raw ? c.cursor : 0, cursor);
  const nf = Math.min(Math.max(c.from, cursor - overlapMs), nc);
  return { cursor: nc, from: nf, raw: `${nc}:${nf}` };
}

export interface CommitInput {
  expected: Cursor;
  /** The new cursor (end of the window read). */
  cursor: number;
  /** Ids of the new events and their times. */
  ids: { id: string; at: number }[];
  /** Outbox entries (`<ISO time> <line>`); none when the add-on has no log input. */
  lines: string[];
  /** Packed minute counts (domain/traffic `minuteDeltas`). */
  minutes: string[];
  /** Path counts per slot (domain/traffic `pathDeltas`). */
  paths: { kind: 't' | 'h'; slot: number; path: string; count: number }[];
}

export interface TrafficLimits {
  /** The dedup window: how far before the cursor ids are kept … */
  overlapMs: number;
  /** … and how many at most. */
  maxSeen: number;
  /** Lines an outbox keeps at most while its log input does not take them. */
  maxOutbox: number;
}

export const DEFAULT_TRAFFIC_LIMITS: TrafficLimits = { overlapMs: 10_000, maxSeen: 128, maxOutbox: 10_000 };

/** What the dedup window keeps of a message id: 72 bits of its SHA-1, base64url (12 characters). */
export function seenId(id: string): string {
  return createHash('sha1').update(id).digest('base64url').slice(0, 12);
}

export class TrafficStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly limits: TrafficLimits = DEFAULT_TRAFFIC_LIMITS,
  ) {}

  private k(...parts: string[]): string {
    return [this.prefix, 'traffic', ...parts].join(':');
  }

  get cursorKey(): string {
    return this.k('cursor');
  }
  get pendingKey(): string {
    return this.k('pending');
  }
  get drainKey(): string {
    return this.k('drain');
  }
  seenKey(uuid: string): string {
    return this.k('seen', uuid);
  }
  outboxKey(uuid: string): string {
    return this.k('outbox', uuid);
  }
  aggKey(uuid: string): string {
    return this.k('agg', uuid);
  }
  pathKey(uuid: string, kind: 't' | 'h', slot: number): string {
    return this.k('path', uuid, kind, String(slot));
  }
  /** The keys of one add-on whose size does not depend on time (for the memory figures). */
  keysOf(uuid: string): string[] {
    return [this.seenKey(uuid), this.outboxKey(uuid), this.aggKey(uuid)];
  }

  /** The cursors of these add-ons (absent: none yet). */
  async cursors(uuids: readonly string[]): Promise<Map<string, Cursor>> {
    const out = new Map<string, Cursor>();
    for (let i = 0; i < uuids.length; i += 1_000) {
      const chunk = uuids.slice(i, i + 1_000);
      const raws = await this.redis.hmget(this.cursorKey, ...chunk);
      chunk.forEach((uuid, j) => {
        const c = parseCursor(raws[j]);
        if (c) out.set(uuid, c);
      });
    }
    return out;
  }

  /** Every add-on that has a cursor. */
  async trackedIds(): Promise<string[]> {
    return this.redis.hkeys(this.cursorKey);
  }

  /** Which of `ids` the add-on handled already. */
  async seen(uuid: string, ids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += 5_000) {
      const chunk = ids.slice(i, i + 5_000);
      const scores = (await this.redis.call('ZMSCORE', this.seenKey(uuid), ...chunk.map(seenId))) as (string | null)[];
      chunk.forEach((id, j) => scores[j] !== null && out.add(id));
    }
    return out;
  }

  /** Writes one add-on's window (see the class comment). `committed: false` when its cursor moved meanwhile. */
  async commit(uuid: string, c: CommitInput): Promise<{ committed: boolean; dropped: number; cursor?: Cursor }> {
    const pathKeys: string[] = [];
    const expireAt: string[] = [];
    const pathArgs: string[] = [];
    for (const p of c.paths) {
      const key = this.pathKey(uuid, p.kind, p.slot);
      let idx = pathKeys.indexOf(key);
      if (idx === -1) {
        idx = pathKeys.push(key) - 1;
        const spec = PATH_SLOTS.find((s) => s.kind === p.kind)!;
        expireAt.push(String((p.slot + spec.keep) * spec.ms));
      }
      pathArgs.push(String(idx + 1), p.path, String(p.count));
    }
    const keys = [this.cursorKey, this.seenKey(uuid), this.outboxKey(uuid), this.pendingKey, this.aggKey(uuid), ...pathKeys];
    const args = [
      uuid,
      c.expected.raw,
      String(c.cursor),
      String(c.cursor - this.limits.overlapMs),
      String(this.limits.maxSeen),
      String(this.limits.maxOutbox),
      String(TRAFFIC_TTL_MS),
      String(PATHS_PER_SLOT),
      String(c.expected.from),
      String(c.ids.length),
      ...c.ids.flatMap((x) => [String(x.at), seenId(x.id)]),
      String(c.lines.length),
      ...c.lines,
      String(c.minutes.length),
      ...c.minutes,
      String(c.paths.length),
      ...pathArgs,
      ...expireAt,
    ];
    const [ok, dropped, stored] = (await COMMIT.run(this.redis, keys, args)) as [number, number, string?];
    return ok === 1 && stored ? { committed: true, dropped, cursor: parseCursor(stored) } : { committed: false, dropped: 0 };
  }

  /** Moves the cursors of add-ons that had no new events in a window to its end (`floor`: a new cursor's `from`). */
  async advance(list: readonly { uuid: string; floor: number }[], cursor: number): Promise<void> {
    for (let i = 0; i < list.length; i += 1_000) {
      const args = list.slice(i, i + 1_000).flatMap((x) => [x.uuid, String(Math.round(x.floor))]);
      await ADVANCE.run(this.redis, [this.cursorKey], [String(cursor), String(cursor - this.limits.overlapMs), ...args]);
    }
  }

  /** Add-ons with lines waiting for their log input. */
  async pending(): Promise<string[]> {
    return this.redis.smembers(this.pendingKey);
  }

  /** The oldest `n` waiting lines of an add-on. */
  async batch(uuid: string, n: number): Promise<string[]> {
    return this.redis.lrange(this.outboxKey(uuid), 0, n - 1);
  }

  /** Removes a batch (sent, or refused for good) from the head of the outbox; answers how many lines went. */
  async ack(uuid: string, batch: readonly string[]): Promise<number> {
    if (!batch.length) return 0;
    return (await ACK.run(this.redis, [this.outboxKey(uuid), this.pendingKey], [batch[batch.length - 1], uuid, String(batch.length)])) as number;
  }

  /** Takes an add-on off the pending set when its outbox is empty. */
  async release(uuid: string): Promise<void> {
    await ACK.run(this.redis, [this.outboxKey(uuid), this.pendingKey], ['\u0000', uuid, '1']);
  }

  /** Until when the export asked us to wait (a 429), epoch ms; 0 when it did not. */
  async exportPausedUntil(): Promise<number> {
    return Number((await this.redis.get(this.k('export', 'paused-until'))) ?? 0);
  }

  async pauseExport(untilMs: number, now = Date.now()): Promise<void> {
    const ms = Math.max(1, Math.round(untilMs - now));
    await this.redis.set(this.k('export', 'paused-until'), String(Math.round(untilMs)), 'PX', ms);
  }

  async outboxLength(uuid: string): Promise<number> {
    return this.redis.llen(this.outboxKey(uuid));
  }

  /** The log input's backoff: failures in a row and when to try again. */
  async drainState(uuid: string): Promise<{ failures: number; nextAt: number }> {
    const raw = await this.redis.hget(this.drainKey, uuid);
    const m = raw ? /^(\d+):(\d+)$/.exec(raw) : null;
    return m ? { failures: Number(m[1]), nextAt: Number(m[2]) } : { failures: 0, nextAt: 0 };
  }

  async setDrainState(uuid: string, s: { failures: number; nextAt: number } | null): Promise<void> {
    if (!s || s.failures === 0) await this.redis.hdel(this.drainKey, uuid);
    else await this.redis.hset(this.drainKey, uuid, `${s.failures}:${Math.round(s.nextAt)}`);
  }

  /** Forgets an add-on that is gone; answers the lines its outbox still held. Its path keys expire on their own. */
  async forget(uuid: string): Promise<number> {
    const [[, len]] = (await this.redis
      .multi()
      .llen(this.outboxKey(uuid))
      .del(this.seenKey(uuid), this.outboxKey(uuid), this.aggKey(uuid))
      .hdel(this.cursorKey, uuid)
      .hdel(this.drainKey, uuid)
      .srem(this.pendingKey, uuid)
      .exec()) as [[Error | null, number], ...unknown[]];
    return len;
  }

  /** What the dashboard reads: the add-on's slots and the path slots of the last day. */
  async read(uuid: string, now: number): Promise<StoredTraffic> {
    const pipe = this.redis.pipeline();
    pipe.hgetall(this.aggKey(uuid));
    const wanted: { kind: 't' | 'h'; slot: number }[] = [];
    for (const s of PATH_SLOTS) {
      const last = Math.floor(now / s.ms);
      for (let slot = last - s.keep + 1; slot <= last; slot++) {
        wanted.push({ kind: s.kind, slot });
        pipe.zrange(this.pathKey(uuid, s.kind, slot), '0', '-1', 'WITHSCORES');
      }
    }
    const res = (await pipe.exec()) ?? [];
    const agg = (res[0]?.[1] ?? {}) as Record<string, string>;
    const minutes: Slot[] = [];
    const quarters: Slot[] = [];
    for (const [field, raw] of Object.entries(agg)) {
      const slot = parseSlot(raw);
      if (!slot) continue;
      if (field.startsWith('m')) minutes.push(slot);
      else if (field.startsWith('q')) quarters.push(slot);
    }
    const paths = wanted.map((w, i) => {
      const flat = (res[i + 1]?.[1] ?? []) as string[];
      const counts = new Map<string, number>();
      for (let j = 0; j + 1 < flat.length; j += 2) counts.set(flat[j], Number(flat[j + 1]));
      return { ...w, counts };
    });
    return { minutes, quarters, paths };
  }
}
