import { type GptOssModel } from '../../operator/api/v1alpha1/gptOssModel.js';
import { gptOssModelSpec } from '../../operator/api/v1alpha1/schema.js';
import { planChildren, type StorageClassInfo } from '../../operator/planner/children.js';
import { DEFAULT_CATALOGUE, gpuClasses } from '../../operator/planner/gpuClasses.js';
import { planPlacement } from '../../operator/planner/placement.js';
import { POOL } from './nodePool.js';

/**
 * The children of a model as the planner builds them, on the test node pool (tests of the planner and of admission).
 */

export const CHILDREN_CONFIG = { runtimeImage: 'ghcr.io/example/gptoss-runtime:0.1.0', loadMiBPerSecond: 500 };

/** A model as the API server would hand it over: spec defaulted by the same schema the CRD comes from. */
export function model(namespace: string, spec: Record<string, unknown>): GptOssModel {
  return {
    apiVersion: 'gptoss.io/v1alpha1',
    kind: 'GptOssModel',
    metadata: { name: 'chat', namespace, uid: '2f9d1c1e-1111-4222-8333-444455556666', generation: 1 },
    spec: gptOssModelSpec.parse(spec),
  };
}

export const placed = (m: GptOssModel) => {
  const p = planPlacement(m.spec, gpuClasses(POOL), { catalogue: DEFAULT_CATALOGUE });
  if (!p.placed) throw new Error(p.message);
  return p;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the planned objects are JSON the tests walk
export type Obj = Record<string, any>;

/** The cluster's StorageClasses as a test's plan sees them: a shared file system (the default) and a block store. */
export const STORAGE_CLASSES: StorageClassInfo[] = [
  { name: 'shared', provisioner: 'nfs.csi.k8s.io', isDefault: true },
  { name: 'block', provisioner: 'ebs.csi.aws.com', isDefault: false },
];

export const children = (m: GptOssModel, storageClasses = STORAGE_CLASSES) => {
  const planned = planChildren(m, placed(m), CHILDREN_CONFIG, { storageClasses });
  if (!planned.ok) throw new Error(planned.message);
  return {
    ...planned,
    byKind: (kind: string, name = 'chat') =>
      planned.objects.find((o: Obj) => o.kind === kind && o.metadata.name === name) as Obj,
  };
};
