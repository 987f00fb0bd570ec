import type { GptOssModel } from '../../api/v1alpha1/gptOssModel.js';
import { REASONS } from '../../api/v1alpha1/reasons.js';
import { fetchContainer, type ChildrenConfig } from './containers.js';
import { childMeta, weightsLabelsFor } from './objects.js';
import { POD_SECURITY } from './pod.js';
import type { SourceProblem, WeightCachePlan } from './weights.js';
import type { Placed } from '../placement.js';

type Obj = Record<string, unknown>;

/** A StorageClass as the planner needs it. */
export interface StorageClassInfo {
  name: string;
  provisioner: string;
  /** storageclass.kubernetes.io/is-default-class is "true". */
  isDefault: boolean;
}

/**
 * Provisioners whose volumes attach to one node: a claim of theirs can never be ReadWriteMany. Kubernetes does not say
 * what a class offers, so a class of any other provisioner is tried, and a claim it cannot bind is reported from the
 * claim's status (WaitingForWeightCache).
 */
export const READ_WRITE_ONCE_PROVISIONERS: readonly string[] = [
  'ebs.csi.aws.com',
  'kubernetes.io/aws-ebs',
  'pd.csi.storage.gke.io',
  'kubernetes.io/gce-pd',
  'disk.csi.azure.com',
  'kubernetes.io/azure-disk',
  'rancher.io/local-path',
  'kubernetes.io/no-provisioner',
  'csi.vsphere.vmware.com',
  'kubernetes.io/cinder',
  'cinder.csi.openstack.org',
  'dobs.csi.digitalocean.com',
  'topolvm.io',
];

/** Why the cache's storage class cannot hold it, or null: the class (named, or the default) exists and may be RWX. */
export function storageClassProblem(plan: WeightCachePlan, classes: readonly StorageClassInfo[]): SourceProblem | null {
  const field = 'spec.source.url.cache.storageClassName';
  const chosen = plan.storageClassName
    ? classes.find((c) => c.name === plan.storageClassName)
    : classes.find((c) => c.isDefault);
  if (!chosen) {
    return {
      reason: REASONS.storageClassNotFound,
      problem: plan.storageClassName
        ? `${field}: StorageClass ${plan.storageClassName} does not exist`
        : `${field} is not set and the cluster has no default StorageClass`,
    };
  }
  if (READ_WRITE_ONCE_PROVISIONERS.includes(chosen.provisioner)) {
    return {
      reason: REASONS.storageClassNotReadWriteMany,
      problem:
        `${field}: StorageClass ${chosen.name} (provisioner ${chosen.provisioner}) offers no ReadWriteMany ` +
        'volumes; name a class of a shared file system (NFS, CephFS, EFS, Filestore, Azure Files)',
    };
  }
  return null;
}

/** The cache's claim: ReadWriteMany, owned by the model (deleted with it) unless the cache is retained. */
export function weightCacheClaim(model: GptOssModel, plan: WeightCachePlan): Obj {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: childMeta(model, plan.claimName, { labels: weightsLabelsFor(model), owned: !plan.retain }),
    spec: {
      accessModes: ['ReadWriteMany'],
      ...(plan.storageClassName ? { storageClassName: plan.storageClassName } : {}),
      resources: { requests: { storage: plan.size } },
    },
  };
}

/**
 * Attempts of the download Job: `gptoss fetch` retries a failing transfer itself, so a pod that fails has met
 * something a retry cannot mend (a checksum mismatch, a file too large); one more pod covers a lost node.
 */
const DOWNLOAD_BACKOFF_LIMIT = 1;

/** The Job that fills the claim once, verifies every checksum and marks it complete; /progress on its pod's IP. */
export function weightsDownloadJob(
  model: GptOssModel,
  plan: WeightCachePlan,
  placement: Pick<Placed, 'resourceName'>,
  config: ChildrenConfig,
): Obj {
  const labels = weightsLabelsFor(model);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      ...childMeta(model, plan.jobName, { labels }),
      annotations: { 'gptoss.io/weights-digest': plan.digest },
    },
    spec: {
      backoffLimit: DOWNLOAD_BACKOFF_LIMIT,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [fetchContainer(model, plan.download, config, { nodeLocal: false })],
          volumes: [
            { name: 'weights', persistentVolumeClaim: { claimName: plan.claimName } },
            { name: 'tmp', emptyDir: {} },
          ],
          // the claim's files belong to the runtime's group, which reads them
          securityContext: { ...POD_SECURITY, fsGroup: POD_SECURITY.runAsGroup },
          // where the model's replicas may run (a zonal file system is then near them); it needs no GPU of its own
          ...(model.spec.gpu?.nodeSelector ? { nodeSelector: model.spec.gpu.nodeSelector } : {}),
          tolerations: [
            { key: placement.resourceName, operator: 'Exists', effect: 'NoSchedule' },
            ...(model.spec.gpu?.tolerations ?? []),
          ],
          ...(model.spec.runtime?.imagePullSecrets ? { imagePullSecrets: model.spec.runtime.imagePullSecrets } : {}),
          automountServiceAccountToken: false,
          enableServiceLinks: false,
        },
      },
    },
  };
}
