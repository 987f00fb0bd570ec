import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import { notRunnable, type NotRunnable } from './containerSpec.js';

/**
 * Volumes as local folders: hostPath is the same path; emptyDir a folder of the pod's, removed
 * with it; a persistentVolumeClaim a folder per claim that outlives pods
 * (<state>/pvcs/<namespace>/<claimName>). The service-account token volume the API server adds
 * to every pod is skipped: processes here get no in-cluster credentials.
 */

export const podDir = (stateDir: string, uid: string) => join(stateDir, 'pods', uid);
export const pvcDir = (stateDir: string, namespace: string, claimName: string) =>
  join(stateDir, 'pvcs', namespace, claimName);

const isServiceAccountToken = (volume: V1Volume) =>
  volume.projected?.sources?.some((s) => s.serviceAccountToken) ?? false;

/** Each volume's local folder, created (hostPath only with type DirectoryOrCreate); or why the pod cannot run. */
export function prepareVolumes(pod: V1Pod, stateDir: string): { dirs: Map<string, string> } | NotRunnable {
  const dirs = new Map<string, string>();
  const uid = pod.metadata!.uid!;
  for (const volume of pod.spec?.volumes ?? []) {
    let dir: string;
    if (volume.hostPath) dir = volume.hostPath.path;
    else if (volume.emptyDir) dir = join(podDir(stateDir, uid), 'volumes', volume.name);
    else if (volume.persistentVolumeClaim)
      dir = pvcDir(stateDir, pod.metadata!.namespace!, volume.persistentVolumeClaim.claimName);
    else if (isServiceAccountToken(volume)) continue;
    else {
      const kind = Object.keys(volume).find((k) => k !== 'name') ?? 'unknown';
      return notRunnable(
        'VolumeNotSupportedByDevAgent',
        `volume ${volume.name}: ${kind} volumes are not supported by the dev agent ` +
          '(hostPath, emptyDir and persistentVolumeClaim are)',
      );
    }
    if (!volume.hostPath || volume.hostPath.type === 'DirectoryOrCreate') {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (cause) {
        throw new Error(`creating the folder of volume ${volume.name} at ${dir}`, { cause });
      }
    }
    dirs.set(volume.name, dir);
  }
  return { dirs };
}

/** The pod's own folder (its emptyDirs and working folder); PVC folders and logs stay. */
export function removePodDir(stateDir: string, uid: string): void {
  rmSync(podDir(stateDir, uid), { recursive: true, force: true });
}
