import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { V1StorageClass } from '@kubernetes/client-node';

/**
 * The local cluster's StorageClass for shared claims. Its volumes are folders on the dev machine;
 * every dev agent of the cluster links a claim's folder into its own state folder, so pods on
 * different agent nodes see the same files and ReadWriteMany really holds. The dev agents
 * provision it (cluster/agent/provisioner.ts); `up` creates the class.
 */

export const DEV_STORAGE_CLASS = 'gptoss-shared';
export const DEV_PROVISIONER = 'dev.gptoss.io/folder';
/** The StorageClass parameter that names the folder under which the class's volumes live. */
export const ROOT_PARAMETER = 'root';
/** The annotation the PV controller reads to leave provisioning and deletion to an external provisioner. */
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';

/** Where a cluster's shared volumes live: in its state folder, so `down` removes them with the rest. */
export const sharedVolumesDir = (clusterDir: string) => join(clusterDir, 'volumes');

export function devStorageClass(root: string): V1StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: DEV_STORAGE_CLASS,
      annotations: {
        'kubernetes.io/description':
          'A folder on the dev machine, shared by every fake node (the dev agents link it into their state ' +
          'folders), so ReadWriteMany holds. Provisioned by the dev agent; deleted with its claim.',
      },
    },
    provisioner: DEV_PROVISIONER,
    parameters: { [ROOT_PARAMETER]: root },
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    allowVolumeExpansion: false,
  };
}

/** Creates the class, or leaves it as it is (kubectl apply; its parameters cannot change, and do not). */
export function ensureDevStorageClass(kubectlPath: string, kubeconfig: string, clusterDir: string): void {
  try {
    execFileSync(kubectlPath, [`--kubeconfig=${kubeconfig}`, 'apply', '-f', '-'], {
      input: JSON.stringify(devStorageClass(sharedVolumesDir(clusterDir))),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (cause) {
    const stderr = (cause as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`creating StorageClass ${DEV_STORAGE_CLASS}${stderr ? `: ${stderr}` : ''}`, { cause });
  }
}
