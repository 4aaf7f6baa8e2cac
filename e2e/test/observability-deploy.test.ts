import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { alertRules, dashboardTargets, DEPLOY_DIR, RULE_FILES_DIR, yamlDocuments } from './observability-deploy';
import { PROMTOOL_BIN } from './observability-prometheus';

const AOE_BIN = join(__dirname, '..', '..', 'services', 'cli', 'bin', 'aoe.js');

/** The services `aoe mesh up` starts (the CLI's own discovery: services/* tagged type:service). */
async function discoveredServices(): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [AOE_BIN, 'mesh', 'services', '--json']);
  return (JSON.parse(stdout) as Array<{ name: string }>).map((s) => s.name).sort();
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'airflow' && dir === DEPLOY_DIR ? [] : yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

type K8sObject = { kind: string; metadata: { name: string }; spec: any };

describe('deploy/: compose, Kubernetes, Prometheus and Grafana files', () => {
  let services: string[];
  beforeAll(async () => {
    services = await discoveredServices();
  });

  it('every YAML file parses', () => {
    const files = yamlFiles(DEPLOY_DIR);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) expect(() => yamlDocuments(file)).not.toThrow();
  });

  it('compose runs the whole stack and exactly the services the mesh discovers', () => {
    const [compose] = yamlDocuments(join(DEPLOY_DIR, 'docker-compose.yml')) as Array<{
      services: Record<string, { command?: string[]; volumes?: string[]; environment?: Record<string, string> }>;
    }>;
    const names = Object.keys(compose.services);
    expect(names).toEqual(expect.arrayContaining(['nats', 'postgres', 'minio', 'airflow', 'prometheus', 'grafana']));
    const mesh = names.filter((n) => compose.services[n].command?.[1]?.startsWith('services/')).sort();
    expect(mesh).toEqual(services);
    for (const name of mesh) {
      expect(compose.services[name].command).toEqual(['node', `services/${name}/dist/src/main.js`]);
      expect(compose.services[name].environment).toMatchObject({ NATS_URL: 'nats://nats:4222', PORT: '3000' });
    }
    expect(compose.services.airflow.volumes).toContain('./airflow/dags:/opt/airflow/dags:ro');
    expect(compose.services.grafana.volumes).toEqual(
      expect.arrayContaining(['./grafana/provisioning:/etc/grafana/provisioning:ro']),
    );
  });

  it('Prometheus scrapes every discovered service', () => {
    const [config] = yamlDocuments(join(DEPLOY_DIR, 'prometheus', 'prometheus.yml')) as Array<{
      scrape_configs: Array<{ job_name: string; dns_sd_configs?: Array<{ names: string[] }> }>;
    }>;
    const aoe = config.scrape_configs.find((c) => c.job_name === 'aoe');
    expect([...(aoe?.dns_sd_configs?.[0].names ?? [])].sort()).toEqual(services);
  });

  it('Kubernetes: a Deployment with probes, a Service and a CPU autoscaler per service, all in the kustomization', () => {
    const dir = join(DEPLOY_DIR, 'k8s');
    const [kustomization] = yamlDocuments(join(dir, 'kustomization.yaml')) as Array<{ resources: string[] }>;
    for (const resource of kustomization.resources) expect(existsSync(join(dir, resource))).toBe(true);
    const objects = kustomization.resources.flatMap((r) => yamlDocuments(join(dir, r))) as K8sObject[];
    const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
    expect(find('ConfigMap', 'aoe-config')).toBeDefined();
    expect(find('Secret', 'aoe-secrets')).toBeDefined();
    for (const service of services) {
      const container = find('Deployment', service)?.spec.template.spec.containers[0];
      expect(container?.command).toEqual(['node', `services/${service}/dist/src/main.js`]);
      expect(container?.readinessProbe.httpGet.path).toBe('/readyz');
      expect(container?.livenessProbe.httpGet.path).toBe('/healthz');
      expect(find('Service', service)).toBeDefined();
      const hpa = find('HorizontalPodAutoscaler', service);
      expect(hpa?.spec.scaleTargetRef.name).toBe(service);
      expect(hpa?.spec.metrics[0].resource.name).toBe('cpu');
    }
  });

  it('the alert rules cover the issue list and pass promtool', async () => {
    const exprs = alertRules()
      .map((r) => r.expr)
      .join('\n');
    for (const metric of [
      'aoe_runs_total{status="failed"}',
      'aoe_bus_dead_lettered_total',
      'aoe_bus_consumer_pending_messages',
      'aoe_alerts_total{kind="freshness"}',
    ]) {
      expect(exprs).toContain(metric);
    }
    if (!existsSync(PROMTOOL_BIN)) {
      console.warn(`${PROMTOOL_BIN} is not installed (apt-get install prometheus): promtool check skipped`);
      return;
    }
    const files = readdirSync(RULE_FILES_DIR).map((f) => join(RULE_FILES_DIR, f));
    const { stdout } = await promisify(execFile)(PROMTOOL_BIN, ['check', 'rules', ...files]);
    expect(stdout).toContain('SUCCESS');
  });

  it('dashboards use the provisioned Prometheus data source and only metrics the services export', () => {
    const [datasources] = yamlDocuments(
      join(DEPLOY_DIR, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'),
    ) as Array<{
      datasources: Array<{ uid: string }>;
    }>;
    expect(datasources.datasources[0].uid).toBe('prometheus');
    const targets = dashboardTargets();
    expect(new Set(targets.map((t) => t.dashboard))).toEqual(
      new Set(['AOE / Mesh', 'AOE / Pipelines', 'AOE / Agents']),
    );
    const exported = exportedMetricNames();
    for (const { panel, expr } of targets) {
      for (const metric of expr.match(/\baoe_[a-z_]+/g) ?? []) {
        const base = metric.replace(/_(bucket|sum|count)$/, '');
        expect({ panel, metric, exported: exported.has(base) || base.startsWith('aoe_process_') }).toEqual({
          panel,
          metric,
          exported: true,
        });
      }
    }
  });
});

/** Metric names registered in the code (libs/telemetry, services/*): `name: 'aoe_…'`, or the monitor's counter helper. */
function exportedMetricNames(): Set<string> {
  const root = join(DEPLOY_DIR, '..');
  const files = [
    join(root, 'libs', 'telemetry', 'src', 'metrics.ts'),
    ...readdirSync(join(root, 'services')).flatMap((s) => {
      const dir = join(root, 'services', s, 'src', 'metrics');
      return existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
    }),
  ];
  const names = new Set<string>();
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(/'(aoe_[a-z_]+)'/g)) names.add(match[1]);
  }
  return names;
}
