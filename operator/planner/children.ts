import { createHash } from 'node:crypto';
import type { GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import { fetchArgs, fetchedModelPath, fetchStorageBytes } from '../../runtime/fetch/args.js';
import type { NodeSelectorRequirement, Placed } from './placement.js';

/**
 * The objects that serve one GptOssModel, as plain data: a Deployment running `gptoss serve`, a
 * ClusterIP Service for HTTP (OpenAI API and /metrics), a headless Service for gRPC (clients
 * balance per stream across pods) and, with more than one replica, a PodDisruptionBudget. Pure:
 * the executor applies them with server-side apply.
 */

export interface ChildrenConfig {
  runtimeImage: string;
  /** Assumed read speed of weights at start-up, to size the start-up probe. */
  loadMiBPerSecond: number;
}

export const HTTP_PORT = 8080;
export const GRPC_PORT = 50051;
/** `gptoss fetch`'s /progress, which the operator reads from the pod IP. */
export const FETCH_PORT = 8090;
const MiB = 1024 * 1024;
const STARTUP_PERIOD_SECONDS = 2;
const WEIGHTS_MOUNT = '/models';
const RUNTIME_SERVICE = 'gptoss.runtime.v1.Runtime';

type Obj = Record<string, unknown>;

const POD_IP_ENV = { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } };
/** The last log line (the CLI's one-line error) becomes the termination message the operator shows. */
const TERMINATION_MESSAGE = { terminationMessagePolicy: 'FallbackToLogsOnError' };
const CONTAINER_SECURITY = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };

export function labelsFor(model: GptOssModel): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'gptoss-runtime',
    'app.kubernetes.io/instance': model.metadata.name,
    'gptoss.io/model': model.metadata.name,
  };
}

/** A label selector's text form (k=v,k=v), as the API and the scale subresource take it. */
export const selectorText = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');

/** CPUs of a quantity ("2", "1500m", 4), rounded down; null when unset or not a CPU quantity. */
export function cpuCount(quantity: string | number | undefined): number | null {
  if (quantity === undefined) return null;
  const text = String(quantity);
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(text);
  if (!m) return null;
  return Math.floor(Number(m[1]) / (m[2] ? 1000 : 1));
}

/** Where the weights are mounted and the file the runtime loads; url sources add the fetch init container. */
interface Weights {
  volume: Obj;
  modelPath: string;
  /** url sources: the init container that downloads into the volume, and the node-local storage it needs. */
  fetch?: { args: string[]; storage: string };
}

/** A source that is valid to the API server but cannot be served (a URL without a file name, two files with one name). */
type SourceProblem = { problem: string };

function weights(model: GptOssModel, weightsBytes: number): Weights | SourceProblem {
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

/** Our required terms ANDed with the user's: every pair of terms merged (terms are ORed, expressions ANDed). */
function andTerms(ours: NodeSelectorRequirement[][], theirs: Obj[] | undefined): Obj[] {
  const oursAsTerms = ours.map((expressions) => ({ matchExpressions: expressions }));
  if (!theirs?.length) return oursAsTerms;
  return oursAsTerms.flatMap((o) => theirs.map((t) => ({
    ...t,
    matchExpressions: [...o.matchExpressions, ...((t.matchExpressions as Obj[] | undefined) ?? [])],
  })));
}

function affinity(model: GptOssModel, placement: Placed): Obj {
  const user = (model.spec.gpu?.affinity ?? {}) as Obj;
  const userNode = (user.nodeAffinity ?? {}) as Obj;
  const userRequired = (userNode.requiredDuringSchedulingIgnoredDuringExecution as Obj | undefined)?.nodeSelectorTerms as Obj[] | undefined;
  return {
    ...user,
    nodeAffinity: {
      ...userNode,
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: andTerms(placement.requiredTerms, userRequired) },
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, preference: { matchExpressions: placement.preferred } },
        ...((userNode.preferredDuringSchedulingIgnoredDuringExecution as Obj[] | undefined) ?? []),
      ],
    },
  };
}

/** A child the plan no longer wants (the PodDisruptionBudget below two replicas). */
export interface ChildRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export type PlannedChildren =
  | { ok: true; objects: Obj[]; prune: ChildRef[]; specHash: string }
  | { ok: false; reason: 'InvalidSource'; message: string };

export function planChildren(model: GptOssModel, placement: Placed, config: ChildrenConfig): PlannedChildren {
  const w = weights(model, placement.need.weightsMiB * MiB);
  if ('problem' in w) return { ok: false, reason: 'InvalidSource', message: `spec.source.url: ${w.problem}` };
  const { spec, metadata } = model;
  const name = metadata.name;
  const namespace = metadata.namespace;
  const labels = labelsFor(model);
  const owner = { apiVersion: model.apiVersion, kind: model.kind, name, uid: metadata.uid, controller: true, blockOwnerDeletion: true };
  const meta = (objectName: string) => ({ name: objectName, namespace, labels: { ...labels, 'app.kubernetes.io/managed-by': 'gptoss-operator' }, ownerReferences: [owner] });
  const runtime = spec.runtime ?? {};
  const storage = w.fetch ? { 'ephemeral-storage': w.fetch.storage } : {};
  const requests = { ...(runtime.resources?.requests ?? {}), ...storage, [placement.resourceName]: String(placement.gpusPerReplica) };
  const limits = { ...(runtime.resources?.limits ?? {}), [placement.resourceName]: String(placement.gpusPerReplica) };
  const cpus = cpuCount(runtime.resources?.requests?.cpu ?? runtime.resources?.limits?.cpu);
  const args = [
    'serve', '--model', w.modelPath, '--model-name', name, '--variant', spec.variant,
    // the pod's own address (downward API), as the probes and the operator reach it there
    '--listen-address', '$(POD_IP)', '--grpc-port', String(GRPC_PORT), '--http-port', String(HTTP_PORT),
    '--parallel', String(spec.parallelSlots), '--context-size', String(spec.contextSize),
    '--reasoning-effort', spec.reasoningEffort, '--gpu', 'cuda',
    // one core stays with the event loop (see runtime/engine/threads.ts)
    ...(cpus !== null ? ['--threads', String(Math.max(1, cpus - 1))] : []),
    ...(runtime.args ?? []),
  ];
  // long enough to read the weights at the assumed speed; checked every 2 s so a fast load is ready fast
  const loadSeconds = Math.ceil(placement.need.weightsMiB / config.loadMiBPerSecond) + 60;
  const container = {
    name: 'runtime',
    image: runtime.image ?? config.runtimeImage,
    args,
    ports: [{ name: 'grpc', containerPort: GRPC_PORT }, { name: 'http', containerPort: HTTP_PORT }],
    env: [POD_IP_ENV, ...(runtime.env ?? [])],
    resources: { requests, limits },
    volumeMounts: [{ name: 'weights', mountPath: WEIGHTS_MOUNT, readOnly: true }, { name: 'tmp', mountPath: '/tmp' }],
    startupProbe: { grpc: { port: GRPC_PORT, service: RUNTIME_SERVICE }, periodSeconds: STARTUP_PERIOD_SECONDS, failureThreshold: Math.ceil(loadSeconds / STARTUP_PERIOD_SECONDS) },
    readinessProbe: { grpc: { port: GRPC_PORT, service: RUNTIME_SERVICE }, periodSeconds: 5, failureThreshold: 2 },
    // liveness on HTTP: the process answers while it drains, when gRPC health is NOT_SERVING on purpose
    livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, failureThreshold: 6 },
    securityContext: CONTAINER_SECURITY,
    ...TERMINATION_MESSAGE,
  };
  // url sources: download and verify every file before the runtime starts; /progress on the pod IP
  const fetch = w.fetch && {
    name: 'fetch',
    image: runtime.image ?? config.runtimeImage,
    args: w.fetch.args,
    ports: [{ name: 'fetch', containerPort: FETCH_PORT }],
    env: [POD_IP_ENV],
    resources: { requests: storage, limits: {} },
    volumeMounts: [{ name: 'weights', mountPath: WEIGHTS_MOUNT }, { name: 'tmp', mountPath: '/tmp' }],
    securityContext: CONTAINER_SECURITY,
    ...TERMINATION_MESSAGE,
  };
  const podSpec = {
    ...(fetch ? { initContainers: [fetch] } : {}),
    containers: [container],
    volumes: [w.volume, { name: 'tmp', emptyDir: {} }],
    securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
    tolerations: [{ key: placement.resourceName, operator: 'Exists', effect: 'NoSchedule' }, ...(spec.gpu?.tolerations ?? [])],
    affinity: affinity(model, placement),
    ...(spec.gpu?.nodeSelector ? { nodeSelector: spec.gpu.nodeSelector } : {}),
    ...(runtime.imagePullSecrets ? { imagePullSecrets: runtime.imagePullSecrets } : {}),
    ...(runtime.priorityClassName ? { priorityClassName: runtime.priorityClassName } : {}),
    ...(runtime.topologySpreadConstraints ? { topologySpreadConstraints: runtime.topologySpreadConstraints } : {}),
    terminationGracePeriodSeconds: runtime.terminationGracePeriodSeconds ?? 60,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
  };
  // children carry a hash of what made them, so drift is cheap to see (KubeAI's habit); not of
  // the replicas: the hash is in the pod template too, and scaling must not roll every pod
  const specHash = createHash('sha256').update(JSON.stringify(podSpec)).digest('hex').slice(0, 16);
  const objects: Obj[] = [
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { ...meta(name), annotations: { 'gptoss.io/spec-hash': specHash } },
      spec: {
        replicas: spec.replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels: { ...(runtime.podLabels ?? {}), ...labels }, annotations: { ...(runtime.podAnnotations ?? {}), 'gptoss.io/spec-hash': specHash } },
          spec: podSpec,
        },
      },
    },
    {
      apiVersion: 'v1', kind: 'Service', metadata: meta(name),
      spec: { type: 'ClusterIP', selector: labels, ports: [{ name: 'http', port: HTTP_PORT, targetPort: 'http' }] },
    },
    {
      apiVersion: 'v1', kind: 'Service', metadata: meta(`${name}-grpc`),
      spec: { clusterIP: 'None', selector: labels, ports: [{ name: 'grpc', port: GRPC_PORT, targetPort: 'grpc' }] },
    },
  ];
  const pdb = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' };
  const prune: ChildRef[] = [];
  // a budget of one unavailable protects nothing below two replicas: the children match the plan exactly
  if (spec.replicas > 1) objects.push({ ...pdb, metadata: meta(name), spec: { maxUnavailable: 1, selector: { matchLabels: labels } } });
  else prune.push({ ...pdb, namespace: namespace!, name });
  return { ok: true, objects, prune, specHash };
}
