import { fetchArgs, fetchedModelPath, fetchStorageBytes } from '../../../contract/argv/fetch.js';
import { FETCH_PORT } from '../../../contract/names.js';
import type { GptOssModel } from '../../api/v1alpha1/gptOssModel.js';

/** Where every runtime container sees the weights. */
export const WEIGHTS_MOUNT = '/models';
const MiB = 1024 * 1024;

/** Where the weights are mounted and the file the runtime loads; url sources add the fetch init container. */
export interface Weights {
  volume: Record<string, unknown>;
  modelPath: string;
  /** url sources: the init container's arguments, and the node-local storage the files need. */
  fetch?: { args: string[]; storage: string };
}

/**
 * A source that is valid to the API server but cannot be served (a URL without a file name, two files with one name).
 */
export type SourceProblem = { problem: string };

export function weights(model: GptOssModel, weightsBytes: number): Weights | SourceProblem {
  const { source } = model.spec;
  if (source.pvc) {
    return {
      volume: { name: 'weights', persistentVolumeClaim: { claimName: source.pvc.claimName, readOnly: true } },
      modelPath: `${WEIGHTS_MOUNT}/${source.pvc.path.replace(/^\/+/, '')}`,
    };
  }
  if (source.hostPath) {
    const dir = source.hostPath.path.replace(/\/[^/]+$/, '') || '/';
    return {
      volume: { name: 'weights', hostPath: { path: dir, type: 'Directory' } },
      modelPath: `${WEIGHTS_MOUNT}/${source.hostPath.path.slice(dir.length).replace(/^\/+/, '')}`,
    };
  }
  const files = source.url!.files;
  let modelPath: string;
  try {
    modelPath = fetchedModelPath(files, WEIGHTS_MOUNT);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  // node-local: the files count against the node's ephemeral storage, so the scheduler must know
  const storage = `${Math.ceil(fetchStorageBytes(weightsBytes) / MiB)}Mi`;
  return {
    volume: { name: 'weights', emptyDir: { sizeLimit: storage } },
    modelPath,
    fetch: { args: fetchArgs(files, WEIGHTS_MOUNT, FETCH_PORT, { listenAddress: '$(POD_IP)' }), storage },
  };
}
