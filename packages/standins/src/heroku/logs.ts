import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';

/**
 * Heroku's log input (logplex) as an add-on meets it: each provision body carries a
 * `log_input_url` with credentials of its own (`http://token:<secret>@<stand-in>/logs`); a POST
 * there of `application/logplex-1` octet-counted RFC 5424 frames, with `Logplex-Msg-Count`, puts
 * the lines in the app's log (`heroku logs`). This stand-in checks what logplex needs and keeps
 * the lines per app:
 *
 * - Basic credentials of a known log input, else 401; `Content-Type: application/logplex-1`, else 415.
 * - `Logplex-Msg-Count` present and equal to the frames in the body, else 400.
 * - every frame `<len> <message>` with `len` the message's UTF-8 byte count, and every message
 *   RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]` (PRI 0–191,
 *   RFC 3339 time, header fields printable ASCII without spaces), else 400 naming the first problem;
 *   nothing of a refused body is kept.
 * - accepted: 204 (as logplex answers). A log input can be told to refuse with a status
 *   (`refuse(uuid, 403)`) to play a drain that refuses for good; the fault rules of the stand-in
 *   (path `/logs`) play one that fails for a while.
 */

export interface LogLine {
  /** The frame's TIMESTAMP (when the call happened). */
  at: string;
  /** When the stand-in accepted it. */
  receivedAt: string;
  /** APP-NAME and PROCID of the frame: shown as `<source>[<proc>]`, as `heroku logs` does. */
  source: string;
  proc: string;
  message: string;
}

interface Input {
  uuid: string;
  app: string;
  secret: string;
  refuse: number | null;
}

const HEADER_FIELD = /^[\x21-\x7e]+$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;
/** Lines kept per app (the oldest go first). */
const MAX_LINES_PER_APP = 50_000;
const USER = 'token';

export class LogInputs {
  private readonly byUser = new Map<string, Input>();
  private readonly byUuid = new Map<string, Input>();
  private lines = new Map<string, LogLine[]>();
  stats = { accepted: 0, refused: 0, invalid: 0, frames: 0 };

  /** A log input for the add-on's app: the URL (with its credentials) that goes into the provision body. */
  urlFor(uuid: string, app: string, base: string | undefined): string {
    const secret = `t.${randomBytes(16).toString('hex')}`;
    const input: Input = { uuid, app, secret, refuse: null };
    this.byUser.set(secret, input);
    this.byUuid.set(uuid, input);
    if (!base) return `https://${USER}:${secret}@1.us.logplex.io/logs`;
    const u = new URL('/logs', base);
    u.username = USER;
    u.password = secret;
    return u.toString();
  }

  /** The lines an app's log holds (its add-ons', in the order they came). */
  appLines(app: string): LogLine[] {
    return [...(this.lines.get(app) ?? [])];
  }

  appOf(uuid: string): string | undefined {
    return this.byUuid.get(uuid)?.app;
  }

  /** Makes an add-on's log input answer `status` to every post (null: accept again). */
  refuse(uuid: string, status: number | null): boolean {
    const input = this.byUuid.get(uuid);
    if (!input) return false;
    input.refuse = status;
    return true;
  }

  reset(): void {
    this.byUser.clear();
    this.byUuid.clear();
    this.lines = new Map();
    this.stats = { accepted: 0, refused: 0, invalid: 0, frames: 0 };
  }

  private who(req: Request): Input | undefined {
    const m = /^Basic\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    if (at < 0 || decoded.slice(0, at) !== USER) return undefined;
    const given = decoded.slice(at + 1);
    const input = this.byUser.get(given);
    // constant time on the secret itself (the map lookup only finds the candidate)
    if (!input || given.length !== input.secret.length || !timingSafeEqual(Buffer.from(given), Buffer.from(input.secret))) return undefined;
    return input;
  }

  /** `POST /logs` (mount after the fault rules, before the Platform API's contract check). */
  router(now: () => number): Router {
    const r = Router();
    r.post('/logs', express.raw({ type: () => true, limit: '1mb' }), (req: Request, res: Response) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      // the call log keeps the frame count, never the lines
      req.body = undefined;
      const input = this.who(req);
      if (!input) {
        this.stats.refused += 1;
        res.status(401).json({ id: 'unauthorized', message: 'Unknown log input credentials.' });
        return;
      }
      if (input.refuse !== null) {
        this.stats.refused += 1;
        res.status(input.refuse).json({ id: 'refused', message: `This log input refuses posts (${input.refuse}).` });
        return;
      }
      const invalid = (message: string, status = 400) => {
        this.stats.invalid += 1;
        res.status(status).json({ id: 'invalid_framing', message });
      };
      if (!/^application\/logplex-1\s*(;|$)/i.test(req.headers['content-type'] ?? '')) return invalid('Content-Type must be application/logplex-1', 415);
      const declared = req.headers['logplex-msg-count'];
      if (typeof declared !== 'string' || !/^\d+$/.test(declared)) return invalid('Logplex-Msg-Count header missing or not a number');
      const parsed = parseFrames(body);
      if ('error' in parsed) return invalid(parsed.error);
      if (parsed.messages.length !== Number(declared)) return invalid(`Logplex-Msg-Count says ${declared}, the body holds ${parsed.messages.length} frames`);
      const lines: LogLine[] = [];
      for (const [i, m] of parsed.messages.entries()) {
        const line = parseSyslog(m);
        if ('error' in line) return invalid(`frame ${i + 1}: ${line.error}`);
        lines.push({ ...line, receivedAt: new Date(now()).toISOString() });
      }
      const list = this.lines.get(input.app) ?? [];
      list.push(...lines);
      if (list.length > MAX_LINES_PER_APP) list.splice(0, list.length - MAX_LINES_PER_APP);
      this.lines.set(input.app, list);
      this.stats.accepted += 1;
      this.stats.frames += lines.length;
      res.status(204).end();
    });
    return r;
  }
}

/** Octet-counted frames (RFC 6587 §3.4.1): `<len> <message>` repeated; the length counts bytes. */
export function parseFrames(body: Buffer): { messages: string[] } | { error: string } {
  const messages: string[] = [];
  let pos = 0;
  while (pos < body.length) {
    let end = pos;
    while (end < body.length && body[end] >= 0x30 && body[end] <= 0x39) end++;
    if (end === pos || end - pos > 7 || body[end] !== 0x20) return { error: `frame ${messages.length + 1}: expected "<length> " at byte ${pos}` };
    const len = Number(body.subarray(pos, end).toString('ascii'));
    const start = end + 1;
    if (len === 0 || start + len > body.length) return { error: `frame ${messages.length + 1}: length ${len} runs past the body` };
    messages.push(body.subarray(start, start + len).toString('utf8'));
    pos = start + len;
  }
  if (!messages.length) return { error: 'the body holds no frame' };
  return { messages };
}

/** One RFC 5424 message, as far as logplex reads it. */
export function parseSyslog(m: string): Omit<LogLine, 'receivedAt'> | { error: string } {
  const head = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(m);
  if (!head) return { error: 'not an RFC 5424 message (<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID …)' };
  const [all, pri, version, time, host, app, proc, msgid] = head;
  if (Number(pri) > 191) return { error: `PRI ${pri} is out of range` };
  if (version !== '1') return { error: `VERSION must be 1, not ${version}` };
  if (time !== '-' && !RFC3339.test(time)) return { error: `TIMESTAMP ${time} is not RFC 3339` };
  for (const [name, v, max] of [['HOSTNAME', host, 255], ['APP-NAME', app, 48], ['PROCID', proc, 128], ['MSGID', msgid, 32]] as const) {
    if (!HEADER_FIELD.test(v) || v.length > max) return { error: `${name} must be 1–${max} printable ASCII characters` };
  }
  const rest = m.slice(all.length);
  let msg: string;
  if (rest.startsWith('-')) msg = rest.slice(1).replace(/^ /, '');
  else if (rest.startsWith('[')) {
    const close = rest.indexOf('] ');
    if (close < 0) return { error: 'STRUCTURED-DATA is not closed' };
    msg = rest.slice(close + 2);
  } else return { error: 'STRUCTURED-DATA must be "-" or [...]' };
  return { at: time, source: app, proc, message: msg };
}
