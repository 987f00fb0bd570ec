import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { renderApiDocs } from '../operator/api/v1alpha1/apiDocs.js';
import { gptOssModelCrd } from '../operator/api/v1alpha1/crd.js';
import { PACKAGE_ROOT } from '../runtime/paths.js';

/** crds/ and docs/api.md are generated from the API types: `npm run gen`. A test fails when a committed file drifts. */
export const CRD_FILE = join(PACKAGE_ROOT, 'crds', 'gptoss.io_gptossmodels.yaml');
export const API_DOCS_FILE = join(PACKAGE_ROOT, 'docs', 'api.md');

export const renderDocs = () => renderApiDocs(gptOssModelCrd() as never);

export function renderCrd(): string {
  return `# Generated from operator/api/v1alpha1 by npm run gen; do not edit.\n${stringify(gptOssModelCrd(), { lineWidth: 0, version: '1.1' }) /* the API server reads YAML 1.1, where a bare off is false */}`;
}

if (process.argv[1]?.endsWith('genCrd.js')) {
  writeFileSync(CRD_FILE, renderCrd());
  writeFileSync(API_DOCS_FILE, renderDocs());
  process.stdout.write(`wrote ${CRD_FILE} and ${API_DOCS_FILE}\n`);
}
