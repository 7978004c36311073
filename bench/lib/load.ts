import { createHash, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

/** autocannon runs and the request bodies they send. */

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx3xx: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
}

export interface LoadOpts {
  url: string;
  connections: number;
  /** seconds (ignored when `amount` is given) */
  duration?: number;
  amount?: number;
  request: autocannon.Request;
  onResponse?: () => void;
}

export async function load(o: LoadOpts): Promise<LoadResult> {
  const statuses: Record<string, number> = {};
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const inst = autocannon(
      { url: o.url, connections: o.connections, pipelining: 1, timeout: 10, requests: [o.request], ...(o.amount ? { amount: o.amount } : { duration: o.duration ?? 10 }) },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    inst.on('response', (_client: unknown, statusCode: number) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      o.onResponse?.();
    });
  });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    non2xx3xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statuses,
  };
}

export function basicHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** A provision body shaped like Heroku's (fresh uuid and grant each call). */
export function provisionBody(uuid = randomUUID()): string {
  return JSON.stringify({
    uuid,
    name: `acme-inc-primary-database-${uuid.slice(0, 6)}`,
    plan: 'test',
    region: 'us',
    callback_url: `https://api.heroku.com/addons/${uuid}`,
    oauth_grant: { code: randomUUID(), expires_at: new Date(Date.now() + 300_000).toISOString(), type: 'authorization_code' },
    options: {},
    log_input_url: `https://token:t.${uuid}@1.us.logplex.io/logs`,
    log_drain_token: `d.${uuid}`,
  });
}

export function acceptRequest(auth: string): autocannon.Request {
  return {
    method: 'POST',
    path: '/heroku/resources',
    headers: { 'content-type': 'application/json', authorization: auth },
    setupRequest: (req) => ({ ...req, body: provisionBody() }),
  };
}

/**
 * `POST /sso/login` as Heroku's form carries it, for one of `ids` (round robin), timestamp now: a
 * valid resource_token and a user-scoped token for a user of its own per request (each sign-on
 * token works once, so every request must be a new sign-on, as it is in real use).
 */
export function ssoRequest(ids: string[], salt: string): autocannon.Request {
  let i = 0;
  return {
    method: 'POST',
    path: '/sso/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest: (req) => {
      const n = i++;
      const id = ids[n % ids.length];
      const ts = String(Math.floor(Date.now() / 1000));
      const token = createHash('sha1').update(`${id}:${salt}:${ts}`).digest('hex');
      const userId = `user-${n}`;
      const email = `dev-${n}@example.com`;
      const body = new URLSearchParams({
        resource_id: id,
        id,
        timestamp: ts,
        resource_token: token,
        user_scoped_resource_token: createHash('sha256').update(`${id}:${salt}:${ts}:${userId}:${email}`).digest('hex'),
        user_id: userId,
        email,
        app: 'acme-app',
        'nav-data': 'eyJhcHBuYW1lIjoiYWNtZS1hcHAifQ',
      }).toString();
      return { ...req, body };
    },
  };
}
