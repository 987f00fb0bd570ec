import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ensureClusterBinaries } from '../../scripts/clusterBinaries.js';
import { CHART_DIR, parseObjects, renderChart, type K8sObject, type RenderOptions } from '../../scripts/chart.js';
import { ensureKedaCrd, SCALED_OBJECT_CRD } from '../../scripts/kedaCrd.js';
import { toolPath } from '../../scripts/tools.js';

export { CHART_DIR, parseObjects, type K8sObject };

export const CHART = parseYaml(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as {
  name: string;
  version: string;
  appVersion: string;
};

export async function helmPath(): Promise<string> {
  return (await ensureClusterBinaries()).helm;
}

/** The chart rendered by helm template, as objects. */
export async function render(options: RenderOptions = {}): Promise<{ text: string; objects: K8sObject[] }> {
  const text = renderChart(await helmPath(), options);
  return { text, objects: parseObjects(text) };
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

export function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = find(objects, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

interface Container {
  args: string[];
  image: string;
  [field: string]: unknown;
}
interface PodSpec {
  containers: Container[];
  serviceAccountName: string;
  [field: string]: unknown;
}
export const podSpec = (deployment: K8sObject) => (deployment.spec as { template: { spec: PodSpec } }).template.spec;

/**
 * The operator's command line as the chart's Deployment runs it, for a process on this machine:
 * the ConfigMap's settings written to `dir`, the pod's namespace put in, and loopback with a free
 * port in place of 0.0.0.0:8081 (flags given later win).
 */
export function operatorCommand(
  objects: K8sObject[],
  namespace: string,
  dir: string,
): { args: string[]; config: Record<string, unknown> } {
  const deployment = one(objects, 'Deployment');
  const configMap = one(
    objects,
    'ConfigMap',
    (podSpec(deployment) as unknown as { volumes: Array<{ configMap?: { name: string } }> }).volumes.find(
      (v) => v.configMap,
    )!.configMap!.name,
  );
  const text = (configMap as unknown as { data: Record<string, string> }).data['operator.yaml']!;
  const file = join(dir, 'operator.yaml');
  writeFileSync(file, text, { mode: 0o644 });
  const args = podSpec(deployment).containers[0]!.args.map((a) =>
    a.replace('--config=/etc/gptoss/operator.yaml', `--config=${file}`).replace('$(POD_NAMESPACE)', namespace),
  );
  return {
    args: [...args, '--listen-address=127.0.0.1', '--port=0'],
    config: parseYaml(text) as Record<string, unknown>,
  };
}

export interface RuleGroup {
  name: string;
  rules: Array<{ alert?: string; record?: string; expr: string; [field: string]: unknown }>;
}

export function ruleGroups(objects: K8sObject[]): RuleGroup[] {
  return (one(objects, 'PrometheusRule').spec as { groups: RuleGroup[] }).groups;
}

/** promtool with its output; `cwd` for relative rule files. */
export function promtool(args: string[], cwd?: string) {
  const r = spawnSync(toolPath('promtool'), args, { encoding: 'utf8', cwd });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

export const DASHBOARD_FILE = join(CHART_DIR, 'dashboards', 'gptoss.json');

interface Dashboard {
  panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string }> };
}
export const dashboard = () => JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;

/** Every query of the dashboard, with Grafana's variables replaced by what Prometheus could run. */
export function dashboardQueries(): Array<{ panel: string; expr: string }> {
  return dashboard().panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      panel: p.title,
      expr: t.expr.replaceAll('$__rate_interval', '5m').replace(/\$(namespace|model)\b/g, '.*'),
    })),
  );
}

/** gptoss_* metric names the dashboard and the alerts read. */
export function metricNamesUsed(exprs: string[]): Set<string> {
  return new Set(exprs.flatMap((e) => [...e.matchAll(/\bgptoss_[a-z_]+\b/g)].map((m) => m[0])));
}

/** Sample names of a Prometheus exposition (histograms give _bucket, _sum and _count). */
export function sampleNames(exposition: string): Set<string> {
  return new Set(
    exposition
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]),
  );
}

/**
 * The Prometheus Operator's CRDs (ServiceMonitor, PodMonitor, PrometheusRule), from its Go module, and KEDA's
 * ScaledObject, the one version the project pins (scripts/kedaCrd.ts).
 */
export const PROMETHEUS_OPERATOR = 'github.com/prometheus-operator/prometheus-operator@v0.85.0';
const moduleDir = (module: string) =>
  (JSON.parse(execFileSync('go', ['mod', 'download', '-json', module], { encoding: 'utf8' })) as { Dir: string }).Dir;
export async function thirdPartyCrdFiles(): Promise<Array<{ file: string; crd: string }>> {
  const monitoring = moduleDir(PROMETHEUS_OPERATOR);
  return [
    ...['servicemonitors', 'podmonitors', 'prometheusrules'].map((kind) => ({
      file: join(monitoring, 'example', 'prometheus-operator-crd', `monitoring.coreos.com_${kind}.yaml`),
      crd: `${kind}.monitoring.coreos.com`,
    })),
    { file: await ensureKedaCrd(), crd: SCALED_OBJECT_CRD.name },
  ];
}

/** Leaf keys of a values tree, dotted (lists and empty maps count as leaves). */
export function valueKeys(values: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(values).flatMap(([key, value]) =>
    value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length
      ? valueKeys(value as Record<string, unknown>, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}
