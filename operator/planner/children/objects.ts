import { createHash } from 'node:crypto';
import {
  MODEL_LABEL,
  RUNTIME_APP_LABELS,
  RUNTIME_GRPC_PORT,
  RUNTIME_HTTP_PORT,
  WEIGHTS_APP_LABELS,
  grpcServiceName,
  httpServiceName,
} from '../../../contract/names.js';
import type { GptOssModel } from '../../api/v1alpha1/gptOssModel.js';

type Obj = Record<string, unknown>;

/** The labels of every runtime object of a model; its pods are selected by them. */
export function labelsFor(model: GptOssModel): Record<string, string> {
  return {
    ...RUNTIME_APP_LABELS,
    'app.kubernetes.io/instance': model.metadata.name,
    [MODEL_LABEL]: model.metadata.name,
  };
}

/** A label selector's text form (k=v,k=v), as the API and the scale subresource take it. */
export const selectorText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** The labels of a model's weight cache objects: not the runtime's, so its Services never select the download. */
export function weightsLabelsFor(model: GptOssModel): Record<string, string> {
  return {
    ...WEIGHTS_APP_LABELS,
    'app.kubernetes.io/instance': model.metadata.name,
    [MODEL_LABEL]: model.metadata.name,
  };
}

/**
 * Metadata of a child: its labels (the runtime's by default), managed-by, and the model as its controlling owner
 * (garbage collection) unless the child is to outlive it.
 */
export function childMeta(
  model: GptOssModel,
  name: string,
  { labels = labelsFor(model), owned = true }: { labels?: Record<string, string>; owned?: boolean } = {},
): Obj {
  const owner = {
    apiVersion: model.apiVersion,
    kind: model.kind,
    name: model.metadata.name,
    uid: model.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  return {
    name,
    namespace: model.metadata.namespace,
    labels: { ...labels, 'app.kubernetes.io/managed-by': 'gptoss-operator' },
    ...(owned ? { ownerReferences: [owner] } : {}),
  };
}

/**
 * Children carry a hash of what made them, so drift is cheap to see (KubeAI's habit); not of the
 * replicas: the hash is in the pod template too, and scaling must not roll every pod.
 */
export const specHashOf = (podSpec: Obj) =>
  createHash('sha256').update(JSON.stringify(podSpec)).digest('hex').slice(0, 16);

export function deployment(model: GptOssModel, podSpec: Obj, specHash: string): Obj {
  const runtime = model.spec.runtime ?? {};
  const labels = labelsFor(model);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { ...childMeta(model, model.metadata.name), annotations: { 'gptoss.io/spec-hash': specHash } },
    spec: {
      replicas: model.spec.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: {
          labels: { ...(runtime.podLabels ?? {}), ...labels },
          annotations: { ...(runtime.podAnnotations ?? {}), 'gptoss.io/spec-hash': specHash },
        },
        spec: podSpec,
      },
    },
  };
}

/** ClusterIP for HTTP (OpenAI API and /metrics). */
export function httpService(model: GptOssModel): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMeta(model, httpServiceName(model.metadata.name)),
    spec: {
      type: 'ClusterIP',
      selector: labelsFor(model),
      ports: [{ name: 'http', port: RUNTIME_HTTP_PORT, targetPort: 'http' }],
    },
  };
}

/** Headless for gRPC: clients balance per stream across the pods' own addresses. */
export function grpcService(model: GptOssModel): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMeta(model, grpcServiceName(model.metadata.name)),
    spec: {
      clusterIP: 'None',
      selector: labelsFor(model),
      ports: [{ name: 'grpc', port: RUNTIME_GRPC_PORT, targetPort: 'grpc' }],
    },
  };
}

export const PDB_TYPE = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' } as const;

/** At most one runtime pod voluntarily down at a time. */
export function disruptionBudget(model: GptOssModel): Obj {
  return {
    ...PDB_TYPE,
    metadata: childMeta(model, model.metadata.name),
    spec: { maxUnavailable: 1, selector: { matchLabels: labelsFor(model) } },
  };
}
