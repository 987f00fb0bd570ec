import { fetchedModelPath, fetchStorageBytes } from '../../../contract/argv/fetch.js';
import type { ServedAdapter } from '../../../contract/argv/serve.js';
import type { GptOssModel } from '../../api/v1alpha1/gptOssModel.js';
import { REASONS } from '../../api/v1alpha1/reasons.js';
import { downloadArgs, mountedSource, type Download, type FetchAllowances, type SourceProblem } from './weights.js';

/** Where adapter i is mounted in the runtime container (its own volume: names may be anything the runtime takes). */
const adapterMount = (index: number) => `/adapters/${index}`;
const MiB = 1024 * 1024;

/** One adapter's volume, where the runtime finds its file, and (url sources) the init container that downloads it. */
export interface AdapterFiles {
  served: ServedAdapter;
  volume: Record<string, unknown>;
  mount: { name: string; mountPath: string; readOnly: true };
  /** url sources: downloaded by every pod (adapters are small) before the runtime starts. */
  fetch?: Download & { container: string };
}

/**
 * Every spec.adapters entry as files the runtime container mounts read-only and `--adapter NAME=PATH:SCALE`
 * arguments; or the first source that cannot be served.
 */
export function adapterFiles(model: GptOssModel, allowances?: FetchAllowances): AdapterFiles[] | SourceProblem {
  const planned: AdapterFiles[] = [];
  for (const [index, adapter] of (model.spec.adapters ?? []).entries()) {
    const volumeName = `adapter-${index}`;
    const mountPath = adapterMount(index);
    const mount = { name: volumeName, mountPath, readOnly: true as const };
    const served = (path: string): ServedAdapter => ({ name: adapter.name, path, scale: adapter.scale });
    const { url } = adapter.source;
    const mounted = mountedSource(adapter.source, volumeName, mountPath);
    if (mounted) {
      planned.push({ served: served(mounted.path), volume: mounted.volume, mount });
    } else {
      const needBytes = fetchStorageBytes(adapter.sizeMiB * MiB);
      const storage = `${Math.ceil(needBytes / MiB)}Mi`;
      let path: string;
      try {
        path = fetchedModelPath(url!.files, mountPath);
      } catch (error) {
        return {
          problem: `spec.adapters[${index}].source.url: ${(error as Error).message}`,
          reason: REASONS.invalidSource,
        };
      }
      planned.push({
        served: served(path),
        volume: { name: volumeName, emptyDir: { sizeLimit: storage } },
        mount,
        fetch: {
          container: `fetch-adapter-${index}`,
          args: downloadArgs(url!.files, mountPath, needBytes, allowances),
          storage,
        },
      });
    }
  }
  return planned;
}
