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

/** The folder a hostPath source mounts: the file's own folder (`/` for a file at the root). */
export const hostPathFolder = (path: string) => path.replace(/\/[^/]+$/, '') || '/';

/** What the weights download may reach beyond public https hosts (the admin policy's allowances). */
export interface FetchAllowances {
  allowHttp: boolean;
  allowHosts: string[];
}

export function weights(
  model: GptOssModel,
  weightsBytes: number,
  allowances?: FetchAllowances,
): Weights | SourceProblem {
  const { source } = model.spec;
  if (source.pvc) {
    return {
      volume: { name: 'weights', persistentVolumeClaim: { claimName: source.pvc.claimName, readOnly: true } },
      modelPath: `${WEIGHTS_MOUNT}/${source.pvc.path.replace(/^\/+/, '')}`,
    };
  }
  if (source.hostPath) {
    const dir = hostPathFolder(source.hostPath.path);
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
  const storageBytes = fetchStorageBytes(weightsBytes);
  const storage = `${Math.ceil(storageBytes / MiB)}Mi`;
  // no file is larger than the whole model: the same figure caps each download (--max-bytes)
  const args = fetchArgs(files, WEIGHTS_MOUNT, FETCH_PORT, {
    listenAddress: '$(POD_IP)',
    maxBytes: storageBytes,
    ...(allowances?.allowHttp ? { allowHttp: true } : {}),
    ...(allowances?.allowHosts.length ? { allowHosts: allowances.allowHosts } : {}),
  });
  return {
    volume: { name: 'weights', emptyDir: { sizeLimit: storage } },
    modelPath,
    fetch: { args, storage },
  };
}
