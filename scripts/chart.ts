import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { PACKAGE_ROOT } from '../contract/paths.js';

/** The Helm chart, rendered with the real helm binary (tests, and `npm run gen` for deploy/). */
export const CHART_DIR = join(PACKAGE_ROOT, 'helm');

export interface RenderOptions {
  release?: string;
  namespace?: string;
  values?: Record<string, unknown>;
  chartDir?: string;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** helm, with `values` (if any) passed in a file; the result whether it succeeded or not. */
export function runHelm(helm: string, args: string[], values?: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'gptoss-values-'));
  try {
    const file = join(dir, 'values.yaml');
    if (values) writeFileSync(file, stringify(values));
    const r = spawnSync(helm, values ? [...args, '--values', file] : args, { encoding: 'utf8' });
    if (r.error) throw new Error(`running ${helm}`, { cause: r.error });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm template` as text; throws with helm's message when rendering fails. */
export function renderChart(helm: string, options: RenderOptions = {}): string {
  const r = runHelm(
    helm,
    [
      'template',
      options.release ?? 'gptoss-operator',
      options.chartDir ?? CHART_DIR,
      '--namespace',
      options.namespace ?? 'gptoss-system',
    ],
    options.values ?? {},
  );
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr.trim()}`);
  return r.stdout;
}

export function parseObjects(yaml: string): K8sObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}
