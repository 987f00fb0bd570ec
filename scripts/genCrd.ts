import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { renderApiDocs } from '../operator/api/v1alpha1/apiDocs.js';
import { gptOssModelCrd } from '../operator/api/v1alpha1/crd.js';
import { PACKAGE_ROOT } from '../contract/paths.js';

/**
 * crds/, the Helm chart's CRD template and docs/api.md are generated from the API types: `npm run gen`. A test
 * fails when a committed file drifts.
 */
export const CRD_FILE = join(PACKAGE_ROOT, 'crds', 'gptoss.io_gptossmodels.yaml');
export const CHART_CRD_FILE = join(PACKAGE_ROOT, 'helm', 'templates', 'crd.yaml');
export const API_DOCS_FILE = join(PACKAGE_ROOT, 'docs', 'api.md');

export const renderDocs = () => renderApiDocs(gptOssModelCrd() as never);

const HEADER = '# Generated from operator/api/v1alpha1 by npm run gen; do not edit.\n';
// the API server reads YAML 1.1, where a bare off is false
const toYaml = (value: unknown) => stringify(value, { lineWidth: 0, version: '1.1' });

export function renderCrd(): string {
  return `${HEADER}${toYaml(gptOssModelCrd())}`;
}

/**
 * The same CRD as a chart template: installed and upgraded with the release unless crds.install is
 * false, and kept on uninstall (helm.sh/resource-policy: keep) so users' models survive.
 */
export function renderChartCrd(crd: ReturnType<typeof gptOssModelCrd> = gptOssModelCrd()): string {
  const LABELS = '__chart_labels__';
  const withMeta = {
    ...crd,
    metadata: { ...crd.metadata, labels: LABELS, annotations: { 'helm.sh/resource-policy': 'keep' } },
  };
  const yaml = toYaml(withMeta);
  // a description with {{ would be read by Helm as a template
  if (yaml.includes('{{')) throw new Error('the CRD holds "{{", which Helm would read as a template');
  const template = yaml.replace(
    `labels: ${LABELS}`,
    'labels:\n    {{- include "gptoss-operator.labels" . | nindent 4 }}',
  );
  return `{{- if .Values.crds.install }}\n${HEADER}${template}{{- end }}\n`;
}

if (process.argv[1]?.endsWith('genCrd.js')) {
  writeFileSync(CRD_FILE, renderCrd());
  writeFileSync(CHART_CRD_FILE, renderChartCrd());
  writeFileSync(API_DOCS_FILE, renderDocs());
  process.stdout.write(`wrote ${CRD_FILE}, ${CHART_CRD_FILE} and ${API_DOCS_FILE}
`);
}
