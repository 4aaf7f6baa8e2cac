import { eventually, gatewayClient, MeshHarness, type MeshProcessView } from './mesh-harness';

/*
 * `aoe mesh` on real NATS and PostgreSQL: every replica its own Node process
 * (services/<name>/dist/src/main.js, so the workspace must be built first:
 * `npm test` builds it).
 */
describe('aoe mesh: services as processes, replicas, a replica dying, a clean stop', () => {
  let mesh: MeshHarness;
  let processes: MeshProcessView[];

  beforeAll(async () => {
    mesh = await MeshHarness.create('mesh');
  });
  afterAll(() => mesh.destroy());

  it('starts two replicas of two services, each on its own port and ready', async () => {
    processes = await mesh.up(
      '--replicas',
      '0',
      '--service',
      'gateway=2',
      '--service',
      'source-analysis=2',
      '--base-port',
      '19400',
      '--grpc-base-port',
      '19500',
    );
    expect(processes.map((p) => `${p.service}-${p.replica}`).sort()).toEqual([
      'gateway-0',
      'gateway-1',
      'source-analysis-0',
      'source-analysis-1',
    ]);
    expect(new Set(processes.map((p) => p.url)).size).toBe(4);
    expect(new Set(processes.map((p) => p.pid)).size).toBe(4);

    const status = await mesh.status();
    expect(status.every((p) => p.running && p.readiness === 'ready')).toBe(true);
    for (const p of processes) {
      expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${p.url}/metrics`)).text()).toContain(`service="${p.service}"`);
    }
    const again = await mesh.aoe('mesh', 'up', '--detach');
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('already running');
  }, 240_000);

  it('keeps serving when one replica of each service is killed', async () => {
    const victims = processes.filter((p) => p.replica === 0);
    for (const victim of victims) process.kill(victim.pid, 'SIGKILL');
    const status = await eventually(async () => {
      const now = await mesh.status();
      return now.filter((p) => !p.running).length === 2 ? now : undefined;
    }, 'the killed replicas to be reported exited');
    expect(status.filter((p) => !p.running).map((p) => p.replica)).toEqual([0, 0]);
    expect((await mesh.aoe('mesh', 'status')).code).toBe(1);

    // The surviving gateway takes a request; the surviving source-analysis does the work it causes.
    const gateway = gatewayClient(
      processes.find((p) => p.service === 'gateway' && p.replica === 1)!.url,
      await mesh.writeKey(),
    );
    const source = await gateway.post('/v1/sources', {
      name: 'events',
      spec: { kind: 'file', path: `${process.cwd()}/examples/events.csv` },
    });
    const profiled = await eventually(async () => {
      const now = (await gateway.get(`/v1/sources/${source.id as string}`)) as { status: string; name: string };
      return now.status === 'profiled' ? now : undefined;
    }, 'the source to be profiled by the surviving replica');
    expect(profiled.name).toBe('events');
  }, 120_000);

  it('mesh down stops every process and leaves none behind', async () => {
    const down = await mesh.aoe('mesh', 'down', '--grace', '20');
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/gateway-1 \(pid \d+\): (stopped|killed)/);
    expect(down.stdout).toMatch(/source-analysis-0 \(pid \d+\): not-running/);
    expect(await mesh.processesOfThisMesh()).toEqual([]);
    expect((await mesh.aoe('mesh', 'status')).stdout).toContain('no mesh is running');
  });

  it('in the foreground, Ctrl-C stops the mesh it started', async () => {
    const { child, stderr } = mesh.spawnAoe(
      'mesh',
      'up',
      '--replicas',
      '0',
      '--service',
      'planner=1',
      '--base-port',
      '19450',
    );
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await eventually(
      async () => (stderr().includes('Ctrl-C stops them') ? true : undefined),
      'the mesh to be up',
      120_000,
    );
    expect(await mesh.processesOfThisMesh()).toHaveLength(1);
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(stderr()).toContain('stopping the mesh');
    expect(await mesh.processesOfThisMesh()).toEqual([]);
  }, 180_000);
});
