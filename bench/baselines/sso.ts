/**
 * Baseline for Heroku SSO: the least an Express 5 app can do for `POST /sso/login` — parse the
 * form, check resource_token = sha1(`id:salt:timestamp`) in constant time and the timestamp's age,
 * answer 302 with a cookie. No record lookup, no signed session. Env: PORT, SSO_SALT.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express from 'express';

const port = Number(process.env.PORT ?? 0);
const salt = process.env.SSO_SALT ?? '';

const app = express();
app.disable('x-powered-by');
app.get('/healthz', (_req, res) => {
  res.json({ ok: true });
});
app.post('/sso/login', express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }), (req, res) => {
  const f = (req.body ?? {}) as Record<string, string | undefined>;
  const id = String(f.resource_id ?? '');
  const ts = String(f.timestamp ?? '');
  const expected = Buffer.from(createHash('sha1').update(`${id}:${salt}:${ts}`).digest('hex'));
  const given = Buffer.from(String(f.resource_token ?? ''));
  const age = Math.floor(Date.now() / 1000) - Number(ts);
  if (given.length !== expected.length || !timingSafeEqual(given, expected) || !(age >= -60 && age <= 300)) {
    res.status(403).send('forbidden');
    return;
  }
  res.cookie('session', id, { httpOnly: true, sameSite: 'lax', path: '/' });
  res.redirect(302, `/dashboard/${id}`);
});

const server = app.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
