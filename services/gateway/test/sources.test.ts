import { Messages, type AnalyzeSource } from '@aoe/contracts';
import { startGateway, type Gateway } from './gateway-harness';

describe('gateway: POST /v1/sources', () => {
  let gateway: Gateway;
  const commands: AnalyzeSource[] = [];
  const auth = () => ({ authorization: `Bearer ${gateway.keys.write}` });

  beforeAll(async () => {
    gateway = await startGateway('gw');
    await gateway.bus.subscribe({
      service: 'analysis-probe',
      definitions: [Messages.AnalyzeSource],
      handler: async (m) => {
        commands.push(m.payload);
      },
    });
  });
  afterAll(() => gateway.stop());

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}/v1/sources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth(), ...headers },
      body,
    });

  const validSpec = {
    kind: 'postgres',
    connection: { host: 'db.internal', database: 'shop', user: 'etl', password: { env: 'SHOP_DB_PASSWORD' } },
    table: { schema: 'public', name: 'orders' },
  };

  it('stores a valid source and publishes aoe.cmd.source.analyze', async () => {
    const res = await post(JSON.stringify({ name: 'shop-orders', spec: validSpec }), { 'x-request-id': 'req-1' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ name: 'shop-orders', kind: 'postgres', status: 'registered' });

    const stored = await gateway.store.sources.get(body.id);
    expect(stored?.spec).toEqual(validSpec);
    const deadline = Date.now() + 10_000;
    while (!commands.some((c) => c.sourceId === body.id) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(commands.find((c) => c.sourceId === body.id)?.spec).toEqual(validSpec);

    const get = await fetch(`${gateway.url}/v1/sources/${body.id}`, { headers: auth() });
    expect(get.status).toBe(200);
    expect(((await get.json()) as any).id).toBe(body.id);
  });

  it('answers 409 when the name is taken', async () => {
    const body = JSON.stringify({ name: 'twice', spec: { kind: 'file', path: 'a.csv' } });
    expect((await post(body)).status).toBe(202);
    const res = await post(body);
    expect(res.status).toBe(409);
    expect(((await res.json()) as any).message).toContain('twice');
  });

  it('answers malformed JSON with 400', async () => {
    const res = await post('{"spec": {"kind": "file",');
    expect(res.status).toBe(400);
    expect((await res.json()) as any).toMatchObject({ statusCode: 400, message: 'request body is not valid JSON' });
  });

  it('answers unknown fields with 400 and the zod issue', async () => {
    const res = await post(JSON.stringify({ spec: { kind: 'file', path: 'a.csv', sneaky: true } }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.message).toBe('request body is not a valid SourceRegistration');
    expect(body.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'unrecognized_keys', path: 'spec' })]),
    );
  });

  it('answers a missing field with 400 naming the path', async () => {
    const res = await post(JSON.stringify({ spec: { kind: 's3', prefix: 'x/' } }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'spec.bucket' })]));
  });

  it('refuses an inline password, and never echoes it', async () => {
    const secret = 'hunter2-very-secret';
    const inline = { ...validSpec, connection: { ...validSpec.connection, password: secret } };
    const res = await post(JSON.stringify({ spec: inline }));
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('credentials must be a reference');
    expect(text).not.toContain(secret);

    const inUrl = { ...validSpec, connection: { url: `postgres://etl:${secret}@db.internal/shop` } };
    const res2 = await post(JSON.stringify({ spec: inUrl }));
    expect(res2.status).toBe(400);
    const text2 = await res2.text();
    expect(text2).toContain('embeds a password');
    expect(text2).not.toContain(secret);
  });

  it('answers an oversized body with 413', async () => {
    const res = await post(JSON.stringify({ spec: { kind: 'file', path: 'x'.repeat(2 * 1024 * 1024) } }));
    expect(res.status).toBe(413);
  });

  it('answers 404 for an unknown source', async () => {
    const res = await fetch(`${gateway.url}/v1/sources/nope`, { headers: auth() });
    expect(res.status).toBe(404);
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { bus: { ok: true }, store: { ok: true } } });
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain('aoe_bus_published_total');
    expect(metrics).toContain('aoe_process_cpu_seconds_total');
  });
});
