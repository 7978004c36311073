import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isPermanent, UpstreamError } from '../../src/clients/errors';
import { HttpClient } from '../../src/clients/http';
import { ExchangeClient } from '../../src/clients/anypoint';

/**
 * Links from answers (issue 15 item 2): the org-wide token goes to the configured origin only. Two
 * real servers on loopback: ours (the base URL) and an attacker's (another port: another origin).
 * A link is followed only when its origin is ours; anything else is a permanent error, raised before
 * the token is even read, so no Authorization header ever leaves.
 */

const TOKEN = 'org-wide-token-0123456789';

interface Seen {
  path: string;
  authorization?: string;
}

function server(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_q, r) => r.end('{"status":"completed"}')) {
  const seen: Seen[] = [];
  const s = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    res.setHeader('Content-Type', 'application/json');
    answer(req, res);
  });
  return {
    seen,
    async start() {
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    },
    close: () => new Promise<void>((r) => s.close(() => r())),
  };
}

const ours = server();
const evil = server();
let OURS: string;
let EVIL: string;
let tokenReads = 0;

beforeAll(async () => {
  OURS = await ours.start();
  EVIL = await evil.start();
});
afterAll(async () => {
  await ours.close();
  await evil.close();
});
beforeEach(() => {
  ours.seen.length = 0;
  evil.seen.length = 0;
  tokenReads = 0;
});

function client(api = 'exchange') {
  return new HttpClient({
    api,
    baseURL: OURS,
    maxTries: 3,
    sleep: async () => undefined,
    auth: {
      get: async () => {
        tokenReads++;
        return TOKEN;
      },
      refresh: async () => TOKEN,
    },
  });
}

const evilHostPort = () => new URL(EVIL).host;

describe('a link to another origin is refused, permanently, and no token leaves', () => {
  const cases: [string, () => string][] = [
    ['protocol-relative //host', () => `//${evilHostPort()}/x`],
    ['absolute, other origin', () => `${EVIL}/x`],
    ['same host, other port', () => `${EVIL}/exchange/api/v2/status`],
    ['userinfo that looks like ours', () => `${OURS}@${evilHostPort()}/x`],
    ['credentials on our own origin', () => `${OURS.replace('http://', 'http://user:pw@')}/x`],
    ['scheme without slashes (http:host)', () => `http:${evilHostPort()}/x`],
    ['backslashes', () => `/\\${evilHostPort()}/x`],
    ['backslash authority', () => `\\\\${evilHostPort()}\\x`],
    ['a control character', () => `/x\n${EVIL}`],
    ['another scheme', () => 'file:///etc/passwd'],
  ];

  it.each(cases)('%s', async (_name, link) => {
    let err: unknown;
    try {
      await client().get(link());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ code: 'OFF_ORIGIN_LINK', retryable: false });
    expect(isPermanent(err)).toBe(true);
    expect(String((err as Error).message)).not.toContain(TOKEN);
    expect(evil.seen).toEqual([]);
    expect(ours.seen).toEqual([]);
    expect(tokenReads).toBe(0);
  });
});

describe('links that stay on our origin', () => {
  it('a same-origin absolute link is followed, with the token', async () => {
    await client().get(`${OURS}/exchange/api/v2/organizations/o/assets/a/status?x=1`);
    expect(ours.seen).toEqual([{ path: '/exchange/api/v2/organizations/o/assets/a/status?x=1', authorization: `Bearer ${TOKEN}` }]);
    expect(evil.seen).toEqual([]);
  });

  it('an absolute link of ours whose path starts with // (the demonstrated leak) stays on our origin', async () => {
    await client().get(`${OURS}//${evilHostPort()}/steal`);
    expect(ours.seen.map((s) => s.path)).toEqual([`//${evilHostPort()}/steal`]);
    expect(evil.seen).toEqual([]);
  });

  it('encoded slashes stay encoded, on our origin', async () => {
    await client().get(`/%2F%2F${evilHostPort()}/x`);
    expect(ours.seen.map((s) => s.path)).toEqual([`/%2F%2F${evilHostPort()}/x`]);
    expect(evil.seen).toEqual([]);
  });
});

describe('Exchange publication link (the one link followed today)', () => {
  it('a publicationStatusLink to another origin fails the create for good; the org token never reaches it', async () => {
    const base = server((req, res) => {
      if (req.method === 'POST') {
        res.statusCode = 202;
        res.end(JSON.stringify({ publicationStatusLink: `${EVIL}/exchange/api/v2/organizations/o/assets/g/a/1.0.0/publication/status/1` }));
      } else res.end('{}');
    });
    const url = await base.start();
    try {
      const http = new HttpClient({ api: 'exchange', baseURL: url, maxTries: 2, sleep: async () => undefined, auth: { get: async () => TOKEN, refresh: async () => TOKEN } });
      const exchange = new ExchangeClient(http, async () => ({ orgId: 'o', envId: 'e', envName: 'Sandbox' }), { sleep: async () => undefined });
      await expect(exchange.createAsset({ groupId: 'g', assetId: 'a', version: '1.0.0', name: 'n' })).rejects.toMatchObject({ code: 'OFF_ORIGIN_LINK', retryable: false });
      expect(base.seen).toHaveLength(1);
      expect(evil.seen).toEqual([]);
    } finally {
      await base.close();
    }
  });
});
