import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureClusterBinaries } from './clusterBinaries.js';
import { PACKAGE_ROOT } from '../contract/paths.js';
import { renderChart } from './chart.js';

/**
 * deploy/gptoss-operator.yaml is the chart rendered with its default values into gptoss-system, so
 * `kubectl apply -k deploy/` installs the same operator without Helm: `npm run gen` writes it and a
 * test fails when it drifts. Only Helm's own bookkeeping differs: no helm.sh/chart label, managed-by
 * kubectl, and no resource-policy annotation (which only Helm reads).
 */
export const DEPLOY_FILE = join(PACKAGE_ROOT, 'deploy', 'gptoss-operator.yaml');
export const DEPLOY_NAMESPACE = 'gptoss-system';

export function renderDeploy(helm: string): string {
  const rendered = renderChart(helm, { release: 'gptoss-operator', namespace: DEPLOY_NAMESPACE });
  const text = rendered
    .replace(/^ *helm\.sh\/chart: .*\n/gm, '')
    .replace(/app\.kubernetes\.io\/managed-by: Helm/g, 'app.kubernetes.io/managed-by: kubectl')
    .replace(/^ *annotations:\n *helm\.sh\/resource-policy: keep\n/gm, '');
  if (/helm\.sh|: Helm$/m.test(text)) throw new Error('Helm bookkeeping left in the rendered chart');
  return `# Generated from helm/ (default values) by npm run gen; do not edit.\n${text}`;
}

if (process.argv[1]?.endsWith('genDeploy.js')) {
  const { helm } = await ensureClusterBinaries();
  writeFileSync(DEPLOY_FILE, renderDeploy(helm));
  process.stdout.write(`wrote ${DEPLOY_FILE}\n`);
}
