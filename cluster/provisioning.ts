import { isAbsolute, relative } from 'node:path';
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { pvcDir } from './agent/volumes.js';
import { DEV_PROVISIONER, DEV_STORAGE_CLASS, PROVISIONED_BY_ANNOTATION } from './storage.js';

/**
 * What the dev provisioner does about one claim or one volume of the gptoss-shared class: pure
 * decisions over the informers' view, executed by cluster/agent/provisioner.ts. Every agent of a
 * cluster runs them; the writes are idempotent (the volume's name comes from the claim's uid).
 */

export type ProvisionAction =
  | { action: 'none'; why: string }
  | { action: 'create'; volume: V1PersistentVolume; folder: string }
  | { action: 'refuse'; reason: 'ProvisioningFailed'; message: string };

export type ReclaimAction =
  | { action: 'none'; why: string }
  /** folder null: it is not ours to remove (outside the class's root, or a newer claim of that name uses it). */
  | { action: 'delete'; name: string; folder: string | null };

export const isOurClaim = (claim: V1PersistentVolumeClaim) => claim.spec?.storageClassName === DEV_STORAGE_CLASS;
export const isOurVolume = (volume: V1PersistentVolume) =>
  volume.metadata?.annotations?.[PROVISIONED_BY_ANNOTATION] === DEV_PROVISIONER;

/** The claim's folder under the class's root: the same layout as a dev agent's own claim folders. */
export const claimFolder = (root: string, claim: V1PersistentVolumeClaim) =>
  pvcDir(root, claim.metadata!.namespace!, claim.metadata!.name!);

const isInside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

/** Why the class cannot serve this claim as asked, or null. */
function refusal(claim: V1PersistentVolumeClaim): string | null {
  const spec = claim.spec ?? {};
  if (spec.volumeMode === 'Block') return 'volumeMode Block is not supported: the class provides folders (Filesystem)';
  if (spec.selector) return 'spec.selector is not supported: the class provisions a new volume for every claim';
  if (spec.dataSource || spec.dataSourceRef)
    return 'spec.dataSource is not supported: the class provisions empty folders (no snapshots or clones)';
  if (!spec.accessModes?.length) return 'spec.accessModes is empty: name at least one access mode';
  if (!spec.resources?.requests?.storage) return 'spec.resources.requests.storage is missing: name the size';
  return null;
}

/** The PersistentVolume for a claim: its request and access modes, bound to it by claimRef, a folder under root. */
export function volumeFor(claim: V1PersistentVolumeClaim, root: string): V1PersistentVolume {
  const { namespace, name, uid } = claim.metadata!;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `pvc-${uid}`, annotations: { [PROVISIONED_BY_ANNOTATION]: DEV_PROVISIONER } },
    spec: {
      capacity: { storage: claim.spec!.resources!.requests!.storage! },
      accessModes: claim.spec!.accessModes,
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: DEV_STORAGE_CLASS,
      volumeMode: 'Filesystem',
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name, uid },
      hostPath: { path: claimFolder(root, claim), type: 'Directory' },
    },
  };
}

/** A claim of the class: provision a volume for it, refuse it, or nothing (bound, binding, being deleted). */
export function provisionAction(
  claim: V1PersistentVolumeClaim,
  volumes: readonly V1PersistentVolume[],
  root: string,
): ProvisionAction {
  if (!isOurClaim(claim)) return { action: 'none', why: 'another storage class' };
  if (claim.metadata?.deletionTimestamp) return { action: 'none', why: 'being deleted' };
  if (claim.spec?.volumeName) return { action: 'none', why: 'has a volume' };
  if ((claim.status?.phase ?? 'Pending') !== 'Pending') return { action: 'none', why: `phase ${claim.status?.phase}` };
  if (volumes.some((v) => v.spec?.claimRef?.uid === claim.metadata?.uid))
    return { action: 'none', why: 'volume created, waiting for the PV controller to bind it' };
  const refused = refusal(claim);
  if (refused) return { action: 'refuse', reason: 'ProvisioningFailed', message: refused };
  const volume = volumeFor(claim, root);
  return { action: 'create', volume, folder: volume.spec!.hostPath!.path };
}

/**
 * A volume of ours: delete it (and its folder) once Released with reclaim policy Delete. The folder
 * goes only when it lies under root and no claim of that namespace and name holds it now (a folder
 * is per claim name, so a claim made again under the old name uses the same folder).
 */
export function reclaimAction(
  volume: V1PersistentVolume,
  claims: readonly V1PersistentVolumeClaim[],
  root: string,
): ReclaimAction {
  if (!isOurVolume(volume)) return { action: 'none', why: 'provisioned by someone else' };
  if (volume.metadata?.deletionTimestamp) return { action: 'none', why: 'being deleted' };
  if (volume.status?.phase !== 'Released') return { action: 'none', why: `phase ${volume.status?.phase ?? 'unknown'}` };
  if (volume.spec?.persistentVolumeReclaimPolicy !== 'Delete')
    return { action: 'none', why: `reclaim policy ${volume.spec?.persistentVolumeReclaimPolicy}` };
  const ref = volume.spec.claimRef;
  const folder = volume.spec.hostPath?.path;
  const reused = claims.some(
    (c) => c.metadata?.namespace === ref?.namespace && c.metadata?.name === ref?.name && c.metadata?.uid !== ref?.uid,
  );
  return {
    action: 'delete',
    name: volume.metadata!.name!,
    folder: folder !== undefined && isInside(root, folder) && !reused ? folder : null,
  };
}

/**
 * The claims whose folders an agent links into its own state folder: every claim of the class it does
 * not refuse, until the claim is gone (one being deleted may still be mounted).
 */
export function linkedClaims(claims: readonly V1PersistentVolumeClaim[]): V1PersistentVolumeClaim[] {
  return claims.filter((c) => isOurClaim(c) && refusal(c) === null);
}
