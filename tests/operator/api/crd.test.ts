import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fieldDocs } from '../../../operator/api/v1alpha1/apiDocs.js';
import { gptOssModelCrd } from '../../../operator/api/v1alpha1/crd.js';
import { API_DOCS_FILE, CRD_FILE, renderCrd, renderDocs } from '../../../scripts/genCrd.js';

describe('the GptOssModel CRD is generated from the API types', () => {
  it('crds/ matches the types (run npm run gen after changing operator/api)', () => {
    expect(readFileSync(CRD_FILE, 'utf8')).toBe(renderCrd());
  });

  it('docs/api.md matches the types too', () => {
    expect(readFileSync(API_DOCS_FILE, 'utf8')).toBe(renderDocs());
  });

  it('every field has a description (kubectl explain is the documentation)', () => {
    const schema = gptOssModelCrd().spec.versions[0]!.schema.openAPIV3Schema.properties;
    const fields = [...fieldDocs(schema.spec as never, 'spec'), ...fieldDocs(schema.status as never, 'status')];
    expect(fields.length).toBeGreaterThan(60);
    expect(fields.filter((f) => !f.description).map((f) => f.path)).toEqual([]);
  });
});
