import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../contract/paths.js';
import { CRD_FILE } from '../../../scripts/genCrd.js';
import { ensureCrd, kubectl, useNamespace, waitFor } from '../../helpers/cluster.js';

const EXAMPLE = join(PACKAGE_ROOT, 'deploy', 'examples', 'external-autoscaling.yaml');

/** autoscaling.mode external: the real HPA controller scales a GptOssModel through its scale subresource. */
describe('external autoscaling with a HorizontalPodAutoscaler (deploy/examples)', () => {
  const ns = useNamespace('hpa');
  beforeAll(() => ensureCrd(CRD_FILE));

  it("the HPA controller reports AbleToScale=True against the model's scale subresource", async () => {
    kubectl(['apply', '-n', ns.name, '-f', '-'], readFileSync(EXAMPLE, 'utf8'));
    type Hpa = { status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> } };
    const conditions = () =>
      (JSON.parse(kubectl(['get', 'hpa', 'gpt-oss-20b-hpa', '-n', ns.name, '-o', 'json'])) as Hpa).status?.conditions ??
      [];
    await waitFor(
      () => conditions().some((c) => c.type === 'AbleToScale'),
      90_000,
      'the HPA controller to look at the model',
    );
    expect(conditions().find((c) => c.type === 'AbleToScale')).toMatchObject({
      status: 'True',
      reason: 'SucceededGetScale',
    });
    // the scale subresource is what it reads: kubectl sees the same
    expect(
      kubectl(['get', '--raw', `/apis/gptoss.io/v1alpha1/namespaces/${ns.name}/gptossmodels/gpt-oss-20b-hpa/scale`]),
    ).toContain('"replicas":1');
  });
});
