import type { GptOssModel } from '../../api/v1alpha1/gptOssModel.js';
import type { NodeSelectorRequirement, Placed } from '../placement.js';
import {
  awaitWeightsContainer,
  fetchContainer,
  runtimeContainer,
  type ChildrenConfig,
  type PodFiles,
} from './containers.js';

/** Every pod the operator makes (runtime and the cache's download) runs as this non-root user under this profile. */
export const POD_SECURITY = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  seccompProfile: { type: 'RuntimeDefault' },
};

type Obj = Record<string, unknown>;

/** Our required terms ANDed with the user's: every pair of terms merged (terms are ORed, expressions ANDed). */
function andTerms(ours: NodeSelectorRequirement[][], theirs: Obj[] | undefined): Obj[] {
  const oursAsTerms = ours.map((expressions) => ({ matchExpressions: expressions }));
  if (!theirs?.length) return oursAsTerms;
  return oursAsTerms.flatMap((o) =>
    theirs.map((t) => ({
      ...t,
      matchExpressions: [...o.matchExpressions, ...((t.matchExpressions as Obj[] | undefined) ?? [])],
    })),
  );
}

const volumeOf = (mount: { name: string; mountPath: string }) => ({ volume: mount.name, mountPath: mount.mountPath });

/** Placement's node affinity (GPUs big enough, the chosen class preferred) merged with the user's. */
function affinity(model: GptOssModel, placement: Placed): Obj {
  const user = model.spec.gpu?.affinity ?? {};
  const userNode = (user.nodeAffinity ?? {}) as Obj;
  const userRequired = (userNode.requiredDuringSchedulingIgnoredDuringExecution as Obj | undefined)
    ?.nodeSelectorTerms as Obj[] | undefined;
  return {
    ...user,
    nodeAffinity: {
      ...userNode,
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: andTerms(placement.requiredTerms, userRequired),
      },
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, preference: { matchExpressions: placement.preferred } },
        ...((userNode.preferredDuringSchedulingIgnoredDuringExecution as Obj[] | undefined) ?? []),
      ],
    },
  };
}

/** The runtime pod: restricted pod security, GPU tolerations and affinity, the user's scheduling extras. */
export function podSpec(model: GptOssModel, placement: Placed, files: PodFiles, config: ChildrenConfig): Obj {
  const { spec } = model;
  const runtime = spec.runtime ?? {};
  const { weights, adapters } = files;
  const initContainers = [
    ...(weights.fetch ? [fetchContainer(model, weights.fetch, config)] : []),
    ...(weights.cache ? [awaitWeightsContainer(model, weights.cache.awaitArgs, config)] : []),
    ...adapters.flatMap((a) =>
      a.fetch ? [fetchContainer(model, a.fetch, config, { name: a.fetch.container, ...volumeOf(a.mount) })] : [],
    ),
  ];
  return {
    ...(initContainers.length ? { initContainers } : {}),
    containers: [runtimeContainer(model, placement, files, config)],
    volumes: [weights.volume, ...adapters.map((a) => a.volume), { name: 'tmp', emptyDir: {} }],
    securityContext: POD_SECURITY,
    tolerations: [
      { key: placement.resourceName, operator: 'Exists', effect: 'NoSchedule' },
      ...(spec.gpu?.tolerations ?? []),
    ],
    affinity: affinity(model, placement),
    ...(spec.gpu?.nodeSelector ? { nodeSelector: spec.gpu.nodeSelector } : {}),
    ...(runtime.imagePullSecrets ? { imagePullSecrets: runtime.imagePullSecrets } : {}),
    ...(runtime.priorityClassName ? { priorityClassName: runtime.priorityClassName } : {}),
    ...(runtime.topologySpreadConstraints ? { topologySpreadConstraints: runtime.topologySpreadConstraints } : {}),
    terminationGracePeriodSeconds: runtime.terminationGracePeriodSeconds ?? 60,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
  };
}
