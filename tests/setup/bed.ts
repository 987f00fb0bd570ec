import type { TestProject } from 'vitest/node';
import { ensureClusterBinaries } from '../../scripts/clusterBinaries.js';
import { down, up } from '../../cluster/cluster.js';
import { ensureAllTools } from '../../scripts/tools.js';
import { ensureTestModels } from '../helpers/models.js';

const CLUSTER = 'test';

/**
 * Once per run: the synthetic models, the real clients (grpcurl, grpc-health-probe, promtool) and
 * the test cluster. A KUBECONFIG from the caller is used as it is; otherwise the `test` cluster is
 * brought up (or reused) and left running for the next run unless GPTOSS_CLUSTER_STOP=1.
 */
export default async function setup(project: TestProject) {
  await ensureTestModels();
  await ensureAllTools();
  const binaries = await ensureClusterBinaries();
  project.provide('kubectl', binaries.kubectl);
  if (process.env.KUBECONFIG) {
    project.provide('kubeconfig', process.env.KUBECONFIG);
    return undefined;
  }
  const state = await up({ name: CLUSTER });
  project.provide('kubeconfig', state.kubeconfig);
  return async () => {
    if (process.env.GPTOSS_CLUSTER_STOP === '1') await down(CLUSTER);
  };
}
