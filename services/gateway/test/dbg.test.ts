import { api, startGateway } from './gateway-harness';
it('dbg', async () => {
  const g = await startGateway('dbg');
  const r = await api(g, undefined)('POST', '/v1/sources');
  console.log(r.status, r.text);
  await g.stop();
}, 30000);
