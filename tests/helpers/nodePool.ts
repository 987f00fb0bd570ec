import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_NODES_FILE } from '../../cluster/cluster.js';
import type { NodeInfo } from '../../operator/planner/gpuClasses.js';

/** The local cluster's node pool (cluster/nodes.yaml) as the planner sees nodes. */
export const POOL: NodeInfo[] = parseAllDocuments(readFileSync(DEFAULT_NODES_FILE, 'utf8'))
  .map(
    (d) =>
      d.toJS() as {
        metadata: { name: string; labels: Record<string, string> };
        status: { allocatable: Record<string, string> };
      } | null,
  )
  .filter((n) => n !== null)
  .map((n) => ({ name: n.metadata.name, labels: n.metadata.labels, allocatable: n.status.allocatable }));
