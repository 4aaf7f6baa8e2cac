/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- JSON answers are checked by expect() */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status,
  type GrpcObject,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { GATEWAY_PROTO, protoRoot } from '../src/grpc/proto-path';
import { api, startGateway, type Gateway } from './gateway-harness';

describe('gateway: JWT bearer tokens and rate limits', () => {
  let gateway: Gateway;
  let jwks: Server;
  let key: KeyLike;
  let stranger: KeyLike;
  const ISSUER = 'https://issuer.test';
  const AUDIENCE = 'aoe-gateway';

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    stranger = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const port = (jwks.address() as AddressInfo).port;
    gateway = await startGateway('gwjwt', {
      AOE_JWT_ISSUER: ISSUER,
      AOE_JWT_AUDIENCE: AUDIENCE,
      AOE_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      AOE_RATE_LIMIT_RPS: '1',
      AOE_RATE_LIMIT_BURST: '3',
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await new Promise((resolve) => jwks.close(resolve));
    for (const name of [
      'AOE_JWT_ISSUER',
      'AOE_JWT_AUDIENCE',
      'AOE_JWKS_URL',
      'AOE_RATE_LIMIT_RPS',
      'AOE_RATE_LIMIT_BURST',
    ])
      delete process.env[name];
  });

  const token = (
    claims: Record<string, unknown>,
    options: { sub: string; exp?: string | number; iss?: string; aud?: string; signer?: KeyLike },
  ) => {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject(options.sub)
      .setIssuer(options.iss ?? ISSUER)
      .setAudience(options.aud ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m');
    return jwt.sign(options.signer ?? key);
  };

  it('accepts a valid token with its scope, and refuses one without enough scope', async () => {
    const read = await token({ scope: 'aoe:read' }, { sub: 'alice' });
    expect((await api(gateway, read)('GET', '/v1/runs')).status).toBe(200);
    expect((await api(gateway, read)('POST', '/v1/runs', { pipelineId: 'x' })).status).toBe(403);
    const writer = await token({ scp: ['read', 'write'] }, { sub: 'bob' });
    expect((await api(gateway, writer)('POST', '/v1/runs', { pipelineId: 'missing' })).status).toBe(404);
    const none = await token({ scope: 'openid profile' }, { sub: 'carol' });
    expect((await api(gateway, none)('GET', '/v1/runs')).status).toBe(403);
  });

  it('refuses an expired token, a wrong issuer or audience, and a foreign signature with 401', async () => {
    const cases = {
      expired: await token({ scope: 'aoe:admin' }, { sub: 'dave', exp: Math.floor(Date.now() / 1000) - 60 }),
      issuer: await token({ scope: 'aoe:admin' }, { sub: 'erin', iss: 'https://evil.test' }),
      audience: await token({ scope: 'aoe:admin' }, { sub: 'frank', aud: 'someone-else' }),
      signature: await token({ scope: 'aoe:admin' }, { sub: 'grace', signer: stranger }),
    };
    for (const [name, jwt] of Object.entries(cases)) {
      const res = await api(gateway, jwt)('GET', '/v1/runs');
      expect([name, res.status]).toEqual([name, 401]);
      if (name === 'expired') expect(res.body.message).toContain('expired');
    }
  });

  it('limits each principal with a token bucket: 429 with Retry-After, others unaffected', async () => {
    const call = api(gateway, gateway.keys.read);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call('GET', '/v1/alerts')).status);
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses).toContain(429);
    const limited = await call('GET', '/v1/alerts');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await api(gateway, gateway.keys.write)('GET', '/v1/alerts')).status).toBe(200);
    // health stays open and unlimited
    for (let i = 0; i < 5; i++) expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
  });

  it('answers RESOURCE_EXHAUSTED with retry-after over gRPC', async () => {
    const definition = loadSync(GATEWAY_PROTO, { includeDirs: [protoRoot()], defaults: true });
    const v1 = (loadPackageDefinition(definition).aoe as GrpcObject).v1 as GrpcObject;
    const Alerts = v1.Alerts as ServiceClientConstructor;
    const client = new Alerts(`127.0.0.1:${gateway.grpcPort}`, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set('x-api-key', gateway.keys.admin);
    const list = () =>
      new Promise<any>((resolve) => (client as any).ListAlerts({}, metadata, (error: any) => resolve(error)));
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await list());
    client.close();
    const exhausted = results.find((e) => e?.code === status.RESOURCE_EXHAUSTED);
    expect(exhausted).toBeDefined();
    expect(exhausted.metadata.get('retry-after')[0]).toEqual(expect.any(String));
  });
});
