import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureClusterBinaries } from './clusterBinaries.js';
import { PACKAGE_ROOT } from '../contract/paths.js';
import { renderChart } from './chart.js';

/**
 * deploy/gptoss-operator.yaml is the chart rendered with its default values into gptoss-system, so
 * `kubectl apply -k deploy/` installs the same operator without Helm; deploy/gateway/gptoss-gateway.yaml
 * is what `gateway.enabled=true` adds (`kubectl apply -k deploy/gateway/` installs both). `npm run gen`
 * writes them and a test fails when they drift. Only Helm's own bookkeeping differs: no helm.sh/chart
 * label, managed-by kubectl, and no resource-policy annotation (which only Helm reads).
 */
export const DEPLOY_FILE = join(PACKAGE_ROOT, 'deploy', 'gptoss-operator.yaml');
export const GATEWAY_DEPLOY_FILE = join(PACKAGE_ROOT, 'deploy', 'gateway', 'gptoss-gateway.yaml');
export const DEPLOY_NAMESPACE = 'gptoss-system';

const RELEASE = 'gptoss-operator';

/** The rendered chart without Helm's bookkeeping. */
function withoutHelm(rendered: string): string {
  const text = rendered
    .replace(/^ *helm\.sh\/chart: .*\n/gm, '')
    .replace(/app\.kubernetes\.io\/managed-by: Helm/g, 'app.kubernetes.io/managed-by: kubectl')
    .replace(/^ *annotations:\n *helm\.sh\/resource-policy: keep\n/gm, '');
  if (/helm\.sh|: Helm$/m.test(text)) throw new Error('Helm bookkeeping left in the rendered chart');
  return text;
}

export function renderDeploy(helm: string): string {
  const text = withoutHelm(renderChart(helm, { release: RELEASE, namespace: DEPLOY_NAMESPACE }));
  return `# Generated from helm/ (default values) by npm run gen; do not edit.\n${text}`;
}

/** The documents of the chart's gateway templates (templates/gateway-*.yaml), with the gateway on. */
export function renderGatewayDeploy(helm: string): string {
  const rendered = renderChart(helm, {
    release: RELEASE,
    namespace: DEPLOY_NAMESPACE,
    values: { gateway: { enabled: true } },
  });
  const documents = withoutHelm(rendered)
    .split(/^---\n/m)
    .filter((doc) => doc.startsWith(`# Source: ${RELEASE}/templates/gateway-`));
  if (documents.length === 0) throw new Error('the chart rendered no gateway object');
  return `# Generated from helm/ (gateway.enabled=true, its objects only) by npm run gen; do not edit.\n${documents
    .map((doc) => `---\n${doc}`)
    .join('')}`;
}

if (process.argv[1]?.endsWith('genDeploy.js')) {
  const { helm } = await ensureClusterBinaries();
  writeFileSync(DEPLOY_FILE, renderDeploy(helm));
  writeFileSync(GATEWAY_DEPLOY_FILE, renderGatewayDeploy(helm));
  process.stdout.write(`wrote ${DEPLOY_FILE} and ${GATEWAY_DEPLOY_FILE}\n`);
}
