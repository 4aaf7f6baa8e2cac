import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/** The repository's deploy/ folder, from e2e/test. */
export const DEPLOY_DIR = join(__dirname, '..', '..', 'deploy');

/** Every panel query of every dashboard under deploy/grafana/dashboards. */
export function dashboardTargets(): Array<{ dashboard: string; panel: string; expr: string }> {
  const dir = join(DEPLOY_DIR, 'grafana', 'dashboards');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((file) => {
      const dashboard = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        title: string;
        panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
      };
      return dashboard.panels.flatMap((panel) =>
        (panel.targets ?? []).map((t) => ({ dashboard: dashboard.title, panel: panel.title, expr: t.expr })),
      );
    });
}

export const RULE_FILES_DIR = join(DEPLOY_DIR, 'prometheus', 'rules');

/** Every alert rule under deploy/prometheus/rules. */
export function alertRules(): Array<{ file: string; alert: string; expr: string }> {
  return readdirSync(RULE_FILES_DIR)
    .filter((f) => f.endsWith('.yml'))
    .flatMap((file) => {
      const doc = parse(readFileSync(join(RULE_FILES_DIR, file), 'utf8')) as {
        groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
      };
      return doc.groups.flatMap((g) => g.rules.map((r) => ({ file, alert: r.alert, expr: r.expr })));
    });
}

/** All YAML documents of a file, failing on the first parse error. */
export function yamlDocuments(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8'), { merge: true }).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0].message}`);
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  });
}
