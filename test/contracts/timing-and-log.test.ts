/**
 * (d) validateRequest is cheap enough for a stand-in to call on every request of a load test;
 * and the ViolationLog the stand-ins hold.
 */
import { validateRequest, validateResponse, ViolationLog, type RequestInput, type Violation } from '@aag/contracts';

const ORG = '0a14e2fd-1cfe-4310-acbc-54bf93eb8420';
const ENV = 'b2c3d4e5-f6a7-8901-bcde-f12345678901';
const CREATE: RequestInput = {
  method: 'POST',
  path: `/apimanager/api/v1/organizations/${ORG}/environments/${ENV}/apis`,
  headers: { authorization: 'Bearer t', 'content-type': 'application/json', 'x-anypnt-org-id': ORG, 'x-anypnt-env-id': ENV },
  body: {
    spec: { groupId: ORG, assetId: 'aag-3f1c', version: '1.0.0' },
    instanceLabel: 'acme-primary-gateway',
    technology: 'flexGateway',
    endpoint: { type: 'http', deploymentType: 'HY', proxyUri: 'http://0.0.0.0:8081/aag-3f1c', isCloudHub: null },
    routing: [{ upstreams: [{ weight: 100, uri: 'https://acme-1a2b3c4d5e6f.herokuapp.com' }] }],
    deployment: { environmentId: ENV, type: 'HY', expectedStatus: 'deployed', targetId: 'gw-1', targetName: 'aag-us-1', gatewayVersion: '1.9.3' },
  },
};

/** Generous: measured at about 25–40 µs on a laptop-class CPU. CI machines are slower and noisier. */
const BOUND_MICROSECONDS = 1000;

describe('timing', () => {
  it(`validateRequest on a typical body stays under ${BOUND_MICROSECONDS} µs`, () => {
    for (let i = 0; i < 200; i++) validateRequest('anypoint', CREATE); // compile + warm up
    const n = 3000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      if (validateRequest('anypoint', CREATE).violations.length > 0) throw new Error('the timing body must be valid');
    }
    const micros = Number(process.hrtime.bigint() - started) / 1000 / n;
    console.log(`validateRequest: ${micros.toFixed(1)} µs per call (POST .../apis, ${n} calls)`);
    expect(micros).toBeLessThan(BOUND_MICROSECONDS);
  });

  it('validateResponse too', () => {
    const key = 'GET /apimanager/api/v1/organizations/{organizationId}/environments/{environmentId}/apis/{environmentApiId}';
    const body = { id: 42, instanceLabel: 'x', deprecated: false, endpoint: { uri: 'https://a', proxyUri: 'http://0.0.0.0:8081/' } };
    validateResponse('anypoint', key, { status: 200, contentType: 'application/json', body });
    const n = 3000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) validateResponse('anypoint', key, { status: 200, contentType: 'application/json', body });
    expect(Number(process.hrtime.bigint() - started) / 1000 / n).toBeLessThan(BOUND_MICROSECONDS);
  });
});

describe('ViolationLog', () => {
  const bad = (): Violation[] => validateRequest('anypoint', { ...CREATE, body: { ...(CREATE.body as object), technology: 'omni' } }).violations;

  it('records, lists and clears', () => {
    const log = new ViolationLog();
    log.record(bad());
    log.record(validateRequest('anypoint', CREATE).violations);
    expect(log.all()).toHaveLength(1);
    expect(log.unexpected()).toHaveLength(1);
    expect(ViolationLog.format(log.all())).toMatch(/^\[anypoint request\] POST \/apimanager\/.* body\.technology: must be one of/);
    log.clear();
    expect(log.all()).toEqual([]);
  });

  it('marks violations a test provokes on purpose as expected', () => {
    const log = new ViolationLog();
    log.expect({ where: 'body', operation: /\/apis$/ }, 1);
    log.record(bad());
    log.record(bad());
    expect(log.all().map((v) => v.expected ?? false)).toEqual([true, false]);
    expect(log.unexpected()).toHaveLength(1);
    expect(ViolationLog.format(log.all())).toMatch(/\[anypoint request, expected\]/);
  });

  it('unexpected() takes an allow-list (matcher objects or functions)', () => {
    const log = new ViolationLog();
    log.record(bad());
    log.record(validateRequest('anypoint', { method: 'GET', path: '/nowhere' }).violations);
    expect(log.unexpected({ message: /no such path/ })).toHaveLength(1);
    expect(log.unexpected([{ where: 'operation' }, (v) => v.where === 'body'])).toEqual([]);
    expect(log.unexpected({ api: 'heroku' })).toHaveLength(2);
  });
});
