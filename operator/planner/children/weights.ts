import { createHash } from 'node:crypto';
import {
  fetchArgs,
  fetchedModelPath,
  fetchStorageBytes,
  weightsDigest,
  type FetchFile,
} from '../../../contract/argv/fetch.js';
import { awaitWeightsArgs } from '../../../contract/argv/awaitWeights.js';
import { FETCH_PORT } from '../../../contract/names.js';
import type { GptOssModel } from '../../api/v1alpha1/gptOssModel.js';
import { REASONS } from '../../api/v1alpha1/reasons.js';
import { storageBytes } from '../storageSize.js';

/** Where every runtime container sees the weights. */
export const WEIGHTS_MOUNT = '/models';
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** url sources: one download (an init container, or the cache's Job) of these files into the weights volume. */
export interface Download {
  args: string[];
  /** What the download may write, as a quantity: the pod's ephemeral storage, or the claim's size. */
  storage: string;
}

/** url sources with spec.source.url.cache: one claim per model, filled once by a Job, mounted read-only by replicas. */
export interface WeightCachePlan {
  claimName: string;
  jobName: string;
  /** weightsDigest of the files: the completion mark the Job writes and runtime pods wait for. */
  digest: string;
  size: string;
  storageClassName?: string;
  retain: boolean;
  download: Download;
  /** The runtime pods' init container: `gptoss await-weights` until the mark holds the digest. */
  awaitArgs: string[];
}

/** Where the weights are mounted and the file the runtime loads; url sources download them (per pod or once). */
export interface Weights {
  volume: Record<string, unknown>;
  modelPath: string;
  /** url sources without a cache: the init container that downloads into the pod's own volume. */
  fetch?: Download;
  cache?: WeightCachePlan;
}

/**
 * A source that is valid to the API server but cannot be served (a URL without a file name, two files with one name,
 * a cache smaller than the files), with the reason its condition carries.
 */
export type SourceProblem = { problem: string; reason: string };

/** The folder a hostPath source mounts: the file's own folder (`/` for a file at the root). */
export const hostPathFolder = (path: string) => path.replace(/\/[^/]+$/, '') || '/';

/**
 * A pvc or hostPath source as a read-only volume named `volumeName` mounted at `mountPath`, and the file's path
 * there; null for a url source (downloaded, not mounted). The model's weights and every adapter's file alike.
 */
export function mountedSource(
  source: GptOssModel['spec']['source'],
  volumeName: string,
  mountPath: string,
): { volume: Record<string, unknown>; path: string } | null {
  if (source.pvc) {
    return {
      volume: { name: volumeName, persistentVolumeClaim: { claimName: source.pvc.claimName, readOnly: true } },
      path: `${mountPath}/${source.pvc.path.replace(/^\/+/, '')}`,
    };
  }
  if (source.hostPath) {
    const dir = hostPathFolder(source.hostPath.path);
    return {
      volume: { name: volumeName, hostPath: { path: dir, type: 'Directory' } },
      path: `${mountPath}/${source.hostPath.path.slice(dir.length).replace(/^\/+/, '')}`,
    };
  }
  return null;
}

/** What the weights download may reach beyond public https hosts (the admin policy's allowances). */
export interface FetchAllowances {
  allowHttp: boolean;
  allowHosts: string[];
}

/** The cache's claim: `<model>-weights`. */
export const weightCacheClaimName = (model: string) => `${model}-weights`;

/**
 * The cache's download Job, named for the files it fetches (a Job's pod template cannot change: other files, another
 * Job). Its pods carry the name in a label, so it fits in 63 characters; the hash covers the model's name too, as the
 * prefix may be cut.
 */
export function weightsJobName(model: string, digest: string): string {
  const suffix = createHash('sha256').update(`${model}\n${digest}`).digest('hex').slice(0, 10);
  return `${model.slice(0, 63 - '-weights-'.length - suffix.length)}-weights-${suffix}`;
}

/** One url download's arguments: checked against the admin's allowances, each file at most `maxBytes`. */
export function downloadArgs(
  files: readonly FetchFile[],
  dest: string,
  maxBytes: number,
  allowances: FetchAllowances | undefined,
  markComplete = false,
): string[] {
  return fetchArgs(files, dest, FETCH_PORT, {
    listenAddress: '$(POD_IP)',
    maxBytes,
    ...(allowances?.allowHttp ? { allowHttp: true } : {}),
    ...(allowances?.allowHosts.length ? { allowHosts: allowances.allowHosts } : {}),
    ...(markComplete ? { markComplete: true } : {}),
  });
}

export function weights(
  model: GptOssModel,
  weightsBytes: number,
  allowances?: FetchAllowances,
): Weights | SourceProblem {
  const { source } = model.spec;
  const mounted = mountedSource(source, 'weights', WEIGHTS_MOUNT);
  if (mounted) return { volume: mounted.volume, modelPath: mounted.path };
  const { files, cache } = source.url!;
  let modelPath: string;
  try {
    modelPath = fetchedModelPath(files, WEIGHTS_MOUNT);
  } catch (error) {
    return { problem: `spec.source.url: ${(error as Error).message}`, reason: REASONS.invalidSource };
  }
  // the files' room: no file is larger than the whole model, so the same figure caps each download (--max-bytes)
  const needBytes = fetchStorageBytes(weightsBytes);
  if (cache) {
    const sizeBytes = storageBytes(cache.size);
    if (sizeBytes < needBytes) {
      return {
        reason: REASONS.weightCacheTooSmall,
        problem:
          `spec.source.url.cache.size: ${cache.size} is smaller than the ${(needBytes / GiB).toFixed(1)} GiB ` +
          `the files of a ${model.spec.variant} need`,
      };
    }
    const digest = weightsDigest(files);
    const claimName = weightCacheClaimName(model.metadata.name);
    // a folder per set of files: a Job of earlier files that is still stopping never writes beside the new ones
    const folder = `${WEIGHTS_MOUNT}/${digest}`;
    return {
      volume: { name: 'weights', persistentVolumeClaim: { claimName, readOnly: true } },
      modelPath: fetchedModelPath(files, folder),
      cache: {
        claimName,
        jobName: weightsJobName(model.metadata.name, digest),
        digest,
        size: cache.size,
        ...(cache.storageClassName ? { storageClassName: cache.storageClassName } : {}),
        retain: cache.retain,
        download: { args: downloadArgs(files, folder, sizeBytes, allowances, true), storage: cache.size },
        awaitArgs: awaitWeightsArgs(folder, digest),
      },
    };
  }
  // node-local: the files count against the node's ephemeral storage, so the scheduler must know
  const storage = `${Math.ceil(needBytes / MiB)}Mi`;
  return {
    volume: { name: 'weights', emptyDir: { sizeLimit: storage } },
    modelPath,
    fetch: { args: downloadArgs(files, WEIGHTS_MOUNT, needBytes, allowances), storage },
  };
}
