import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { tokenFingerprint } from '../domain/sso';

/**
 * Dashboard sessions and used SSO tokens, in Redis under the service's key prefix.
 *
 * - A session is a random id (`sid`, 32 bytes) named by the signed cookie; Redis keeps what the
 *   dashboard needs under `<prefix>:session:<sha256(sid)>` (the id itself is never a key: reading
 *   the keys does not hand out sessions) until SESSION_TTL_SECONDS pass or the user signs out.
 * - A used SSO token is kept as `<prefix>:sso:used:<sha256(token)>` until its window closes, so the
 *   same form cannot sign in twice.
 */

export interface StoredSession {
  uuid: string;
  /** `verified`: Heroku's user-scoped token vouched for userId and email; otherwise neither is kept. */
  identity: 'verified' | 'unverified';
  userId?: string;
  email?: string;
  app?: string;
  /** The logout form's anti-forgery token. */
  csrf: string;
  createdAt: string;
}

const digest = (v: string) => createHash('sha256').update(v).digest('hex');

export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  sessionKey(sid: string): string {
    return `${this.prefix}:session:${digest(sid)}`;
  }

  usedTokenKey(token: string): string {
    return `${this.prefix}:sso:used:${tokenFingerprint(token)}`;
  }

  /** A new session; answers its id (for the cookie) and the stored data. */
  async create(data: Omit<StoredSession, 'csrf' | 'createdAt'>, ttlSeconds: number, now = new Date()): Promise<{ sid: string; session: StoredSession }> {
    const sid = randomBytes(32).toString('base64url');
    const session: StoredSession = { ...data, csrf: randomBytes(24).toString('base64url'), createdAt: now.toISOString() };
    await this.redis.set(this.sessionKey(sid), JSON.stringify(session), 'EX', ttlSeconds);
    return { sid, session };
  }

  async get(sid: string): Promise<StoredSession | null> {
    const raw = await this.redis.get(this.sessionKey(sid));
    if (!raw) return null;
    try {
      return JSON.parse(raw) as StoredSession;
    } catch {
      return null;
    }
  }

  /** Ends a session server-side: its cookie opens nothing afterwards. */
  async end(sid: string): Promise<void> {
    await this.redis.del(this.sessionKey(sid));
  }

  /**
   * Marks SSO tokens used for `ttlSeconds` (SET NX each, one round trip). Answers, per token, whether
   * this call was the first to use it.
   */
  async claimTokens(tokens: readonly string[], ttlSeconds: number): Promise<boolean[]> {
    if (!tokens.length) return [];
    const p = this.redis.pipeline();
    for (const t of tokens) p.set(this.usedTokenKey(t), '1', 'EX', ttlSeconds, 'NX');
    const results = (await p.exec()) ?? [];
    return results.map(([err, res]) => {
      if (err) throw err;
      return res === 'OK';
    });
  }
}
