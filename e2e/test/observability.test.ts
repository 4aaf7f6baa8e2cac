import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Client } from 'pg';
import { startScriptedChatServer, type ScriptedChatServer } from '@aoe/agents';
import { Namespace } from '@aoe/messaging';
import { uniqueName } from '@aoe/testing';
import { eventually, gatewayClient, MeshHarness, type MeshProcessView } from './mesh-harness';
import { alertRules, dashboardTargets, RULE_FILES_DIR } from './observability-deploy';
import { prometheusInstalled, PROMETHEUS_BIN, PROMTOOL_BIN, TestPrometheus } from './observability-prometheus';

/*
 * The dashboards and alert rules against a real Prometheus scraping a real
 * multi-process mesh (`aoe mesh up`, every service its own process) that has
 * run pipelines: every panel query parses and returns data, every rule parses.
 * CI installs Debian's prometheus package (.ci/run); without it this is skipped.
 */
const describeWithPrometheus = prometheusInstalled() ? describe : describe.skip;
if (!prometheusInstalled()) {
  console.warn(`${PROMETHEUS_BIN} is not installed (apt-get install -y prometheus): observability test skipped`);
}

const ROWS = 40;

function csv(rows: number, withRegion: boolean): string {
  const header = withRegion ? 'id,customer,amount,region' : 'id,customer,amount';
  const lines = Array.from({ length: rows }, (_, i) =>
    withRegion ? `${i + 1},c${i % 7},${(i * 1.5).toFixed(2)},eu` : `${i + 1},c${i % 7},${(i * 1.5).toFixed(2)}`,
  );
  return `${[header, ...lines].join('\n')}\n`;
}

describeWithPrometheus('Grafana dashboards and alert rules on a real Prometheus scraping the mesh', () => {
  let mesh: MeshHarness;
  let chat: ScriptedChatServer;
  let processes: MeshProcessView[];
  let prometheus: TestPrometheus | undefined;
  const targetSchema = uniqueName('obs_target');
  const files: string[] = [];

  beforeAll(async () => {
    // A model endpoint that always errors: the planner asks it, the guard falls back to rules (fallback metrics).
    chat = await startScriptedChatServer();
    mesh = await MeshHarness.create('obs', {
      AOE_LLM_MODEL: 'scripted',
      AOE_LLM_BASE_URL: chat.baseURL,
      AOE_SCHEDULER_INTERVAL_MS: '0',
    });
    processes = await mesh.up('--replicas', '1', '--base-port', '19600', '--grpc-base-port', '19700');
    prometheus = await TestPrometheus.start(
      processes.map((p) => ({ service: p.service, address: new URL(p.url).host })),
      readdirSync(RULE_FILES_DIR).map((f) => join(RULE_FILES_DIR, f)),
    );
  }, 240_000);

  afterAll(async () => {
    await prometheus?.stop();
    await mesh?.destroy();
    await chat?.close();
    await Promise.all(files.map((f) => rm(f, { force: true })));
    const client = new Client({ connectionString: mesh.env.DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${targetSchema}" CASCADE`);
    await client.end();
  });

  it('drives pipelines through the mesh: runs succeed, a run fails, a message is dead-lettered', async () => {
    const gateway = gatewayClient(processes.find((p) => p.service === 'gateway')!.url, await mesh.writeKey());
    const runPipeline = async (file: string, table: string, before?: () => Promise<void>) => {
      const source = (await gateway.post('/v1/sources', { name: table, spec: { kind: 'file', path: file } })) as {
        id: string;
      };
      const pipeline = (await gateway.post('/v1/pipelines', {
        sourceId: source.id,
        target: {
          kind: 'postgres',
          connection: { url: mesh.env.DATABASE_URL },
          table: { schema: targetSchema, name: table },
        },
      })) as { id: string };
      await eventually(async () => {
        const detail = (await gateway.get(`/v1/pipelines/${pipeline.id}`)) as { plan: unknown };
        return detail.plan ? detail : undefined;
      }, `a plan for ${table}`);
      await before?.();
      return { source: source.id, pipeline: pipeline.id, run: await startRun(pipeline.id) };
    };
    const startRun = async (pipelineId: string) => {
      const { runId } = (await gateway.post('/v1/runs', { pipelineId })) as { runId: string };
      return eventually(
        async () => {
          const run = (await gateway.get(`/v1/runs/${runId}`)) as { status: string };
          return ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
        },
        `run ${runId} to end`,
        120_000,
      );
    };

    const orders = join(mesh.home, 'orders.csv');
    files.push(orders);
    await writeFile(orders, csv(ROWS, false));
    const first = await runPipeline(orders, 'orders');
    expect(first.run.status).toBe('succeeded');

    const client = new Client({ connectionString: mesh.env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM "${targetSchema}"."orders"`);
      expect(rows[0].n).toBe(ROWS);
    } finally {
      await client.end();
    }

    // The source grows a column and is analysed again: the next run is a schema-drift anomaly.
    await writeFile(orders, csv(ROWS, true));
    await gateway.post(`/v1/sources/${first.source}/analyze`, {});
    const store = await mesh.openStore();
    try {
      await eventually(async () => {
        const profile = await store.profiles.latest(first.source);
        return profile?.profile.columns.some((c) => c.name === 'region') ? profile : undefined;
      }, 'the new profile');
    } finally {
      await store.close();
    }
    await startRun(first.pipeline);

    // A source that is gone when its run starts: the run fails, the monitor and recovery react.
    const vanishing = join(mesh.home, 'vanishing.csv');
    await writeFile(vanishing, csv(5, true));
    const failed = await runPipeline(vanishing, 'vanishing', () => rm(vanishing));
    expect(failed.run.status).toBe('failed');

    // Bytes no contract accepts: dead-lettered by the consuming service, never lost.
    const nc = await connect({ servers: mesh.env.NATS_URL });
    try {
      await jetstream(nc).publish(
        new Namespace(mesh.env.AOE_BUS_NAMESPACE).subject('aoe.cmd.run.requested'),
        new TextEncoder().encode('{"not":"an envelope"}'),
      );
    } finally {
      await nc.close();
    }
  }, 300_000);

  it('every dashboard panel query parses and returns data', async () => {
    const targets = dashboardTargets();
    expect(targets.length).toBeGreaterThanOrEqual(20);
    const empty: string[] = [];
    for (const { dashboard, panel, expr } of targets) {
      const outcome = await eventually(
        async () => {
          const result = await prometheus!.query(expr);
          if (result.status === 'error') return result;
          return result.data!.result.length > 0 ? result : undefined;
        },
        `data for "${dashboard} / ${panel}"`,
        60_000,
      ).catch(() => undefined);
      if (outcome?.status === 'error') throw new Error(`${dashboard} / ${panel}: ${outcome.error} in ${expr}`);
      if (!outcome) empty.push(`${dashboard} / ${panel}: ${expr}`);
    }
    expect(empty).toEqual([]);
  }, 600_000);

  it('every alert rule parses, loads in Prometheus and evaluates', async () => {
    for (const rule of alertRules()) {
      const result = await prometheus!.query(rule.expr);
      expect({ alert: rule.alert, status: result.status, error: result.error }).toEqual({
        alert: rule.alert,
        status: 'success',
        error: undefined,
      });
    }
    const loaded = await eventually(async () => {
      const rules = await prometheus!.get<{
        data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
      }>('/api/v1/rules');
      const all = rules.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
    }, 'the rules to be evaluated');
    expect(loaded.map((r) => r.name).sort()).toEqual(
      alertRules()
        .map((r) => r.alert)
        .sort(),
    );
    expect(loaded.filter((r) => r.health !== 'ok')).toEqual([]);
    const { stdout } = await promisify(execFile)(PROMTOOL_BIN, [
      'check',
      'rules',
      ...readdirSync(RULE_FILES_DIR).map((f) => join(RULE_FILES_DIR, f)),
    ]);
    expect(stdout).toContain('SUCCESS');
  });

  it('every process of the mesh is a healthy scrape target', async () => {
    const up = await prometheus!.query('up{job="aoe"}');
    expect(up.data!.result.map((r) => `${r.metric.service}=${r.value[1]}`).sort()).toEqual(
      processes.map((p) => `${p.service}=1`).sort(),
    );
  });
});
