import request from 'supertest';
import { createHash } from 'node:crypto';
import { encryptionKeyring, secretValues } from '../../src/config';
import { SecretBox } from '../../src/secrets';
import { startStack, startUpstream, type Stack } from '../helpers/stack';

let stack: Stack;
let upstream: Awaited<ReturnType<typeof startUpstream>>;

beforeAll(async () => {
  stack = await startStack('e2e-secrets', { config: { LOG_LEVEL: 'debug' } });
  upstream = await startUpstream();
});
afterAll(async () => {
  await stack.close();
  await upstream.close();
});

it('a provision / SSO / plan change / deprovision sequence logs no password, salt, token or secret', async () => {
  const body = stack.heroku.createAddon({ plan: 'test', options: { upstream: upstream.url } });
  const uuid = body.uuid;
  expect((await request(stack.app).post('/heroku/resources').set('Authorization', stack.auth).send(body)).status).toBe(202);
  const rec = await stack.waitForState(uuid, 'provisioned');
  const tokens = new SecretBox(encryptionKeyring(stack.config)).openField<{ accessToken: string; refreshToken: string }>(uuid, 'herokuTokensSealed', rec.herokuTokensSealed!);

  const ts = String(Math.floor(Date.now() / 1000));
  const ssoToken = createHash('sha1').update(`${uuid}:${stack.config.SSO_SALT}:${ts}`).digest('hex');
  const sso = await request(stack.app).post('/sso/login').type('form').send({ resource_id: uuid, timestamp: ts, resource_token: ssoToken });
  expect(sso.status).toBe(302);
  const sessionCookie = ([] as string[]).concat(sso.headers['set-cookie'])[0].split(';')[0];
  // an old SSO v1 link puts its token in the query string: not served (404), and the token must not reach the log either
  expect((await request(stack.app).get(`/heroku/resources/${uuid}`).query({ token: ssoToken, timestamp: ts })).status).toBe(404);
  // nor does a replay of the form post log it
  expect((await request(stack.app).post('/sso/login').type('form').send({ resource_id: uuid, timestamp: ts, resource_token: ssoToken })).status).toBe(403);
  // a wrong password is logged as a 401, without the password
  expect((await request(stack.app).put(`/heroku/resources/${uuid}`).set('Authorization', 'Basic ' + Buffer.from('anypoint-api-gateway:wrong-password-123').toString('base64')).send({ plan: 'basic' })).status).toBe(401);
  expect((await request(stack.app).put(`/heroku/resources/${uuid}`).set('Authorization', stack.auth).send({ plan: 'basic' })).status).toBe(200);
  await stack.waitFor(uuid, (r) => r.placement?.policyPlan === 'basic');
  expect((await request(stack.app).delete(`/heroku/resources/${uuid}`).set('Authorization', stack.auth)).status).toBe(204);
  await stack.waitForState(uuid, 'deprovisioned');

  const logs = stack.logs.text();
  expect(logs.length).toBeGreaterThan(0);
  expect(logs).toContain(uuid); // the sequence really was logged
  const forbidden = [
    ...secretValues(stack.config),
    body.oauth_grant!.code,
    tokens.accessToken,
    tokens.refreshToken,
    ssoToken,
    sessionCookie.split('=')[1],
    stack.auth.split(' ')[1],
    'wrong-password-123',
  ];
  for (const s of forbidden) expect(logs).not.toContain(s);

  // job data holds ids only
  for (const q of stack.jobs.all()) {
    const jobs = await q.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active']);
    for (const j of jobs) for (const s of forbidden) expect(JSON.stringify(j.data)).not.toContain(s);
  }
});
