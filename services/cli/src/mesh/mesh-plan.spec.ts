import { createServer, type Server } from 'node:net';
import { parseReplicaRequest, planMesh } from './mesh-plan';
import { discoverServices, findWorkspaceRoot } from './service-discovery';

describe('mesh plan', () => {
  const known = ['gateway', 'planner'];

  it('reads --replicas and --service name=N', () => {
    expect(parseReplicaRequest('2', ['planner=3', 'gateway=0'], known)).toEqual({
      replicas: 2,
      perService: { planner: 3, gateway: 0 },
    });
    expect(parseReplicaRequest(undefined, [], known)).toEqual({ replicas: 1, perService: {} });
  });

  it('refuses an unknown service, a malformed pair and a bad count', () => {
    expect(() => parseReplicaRequest('1', ['nope=1'], known)).toThrow(
      'unknown service "nope" (one of gateway, planner)',
    );
    expect(() => parseReplicaRequest('1', ['planner'], known)).toThrow('--service takes name=N, got "planner"');
    expect(() => parseReplicaRequest('-1', [], known)).toThrow('--replicas must be a whole number from 0 to 16');
    expect(() => parseReplicaRequest('1', ['planner=99'], known)).toThrow('--service planner must be');
  });

  describe('ports', () => {
    let busy: Server;
    let busyPort: number;
    beforeAll(async () => {
      busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
      busyPort = (busy.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

    it('gives every replica its own free HTTP and gRPC port and log file, skipping ports in use', async () => {
      const services = [
        { name: 'gateway', main: '/x/gateway/main.js' },
        { name: 'planner', main: '/x/planner/main.js' },
      ];
      const specs = await planMesh(
        services,
        { replicas: 2, perService: { gateway: 1 } },
        { host: '127.0.0.1', basePort: busyPort, grpcBasePort: busyPort, logDir: '/logs' },
      );
      expect(specs.map((s) => `${s.service}-${s.replica}`)).toEqual(['gateway-0', 'planner-0', 'planner-1']);
      expect(specs.map((s) => s.port)).not.toContain(busyPort);
      expect(new Set(specs.map((s) => s.port)).size).toBe(3);
      expect(new Set(specs.map((s) => s.grpcPort)).size).toBe(3);
      expect(specs[2].log).toBe('/logs/planner-1.log');
    });
  });

  it('discovers the services of this workspace (type:service with a main), not the CLI', async () => {
    const names = (await discoverServices(findWorkspaceRoot())).map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining(['gateway', 'source-analysis', 'planner', 'optimizer', 'dispatcher', 'monitor']),
    );
    expect(names).not.toContain('cli');
  });
});
