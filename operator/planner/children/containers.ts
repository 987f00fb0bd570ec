import { serveArgs } from '../../../contract/argv/serve.js';
import { FETCH_PORT, RUNTIME_GRPC_PORT, RUNTIME_GRPC_SERVICE, RUNTIME_HTTP_PORT } from '../../../contract/names.js';
import type { GptOssModel } from '../../api/v1alpha1/gptOssModel.js';
import type { Placed } from '../placement.js';
import { WEIGHTS_MOUNT, type FetchAllowances, type Weights } from './weights.js';

/** What the operator's config says about every runtime pod. */
export interface ChildrenConfig {
  runtimeImage: string;
  /** Assumed read speed of weights at start-up, to size the start-up probe. */
  loadMiBPerSecond: number;
  /** What the weights download may reach beyond public https hosts (from the admin policy); none: nothing. */
  fetchAllowances?: FetchAllowances;
}

type Obj = Record<string, unknown>;

/**
 * How often the kubelet asks a starting runtime whether it serves: its period is the most a new
 * replica waits, once loaded, to turn Ready; a wake from zero pays it (bench:zero). One gRPC health
 * call a second while starting costs nothing.
 */
const STARTUP_PERIOD_SECONDS = 1;
const POD_IP_ENV = { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } };
/** The last log line (the CLI's one-line error) becomes the termination message the operator shows. */
const TERMINATION_MESSAGE = { terminationMessagePolicy: 'FallbackToLogsOnError' };
const CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};
const GRPC_PROBE = { grpc: { port: RUNTIME_GRPC_PORT, service: RUNTIME_GRPC_SERVICE } };

/** CPUs of a quantity ("2", "1500m", 4), rounded down; null when unset or not a CPU quantity. */
export function cpuCount(quantity: string | number | undefined): number | null {
  if (quantity === undefined) return null;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(String(quantity));
  if (!m) return null;
  return Math.floor(Number(m[1]) / (m[2] ? 1000 : 1));
}

/** The `gptoss serve` container: the model's settings as flags, GPUs from placement, probes sized to the weights. */
export function runtimeContainer(model: GptOssModel, placement: Placed, w: Weights, config: ChildrenConfig): Obj {
  const { spec, metadata } = model;
  const runtime = spec.runtime ?? {};
  const gpus = { [placement.resourceName]: String(placement.gpusPerReplica) };
  const storage = w.fetch ? { 'ephemeral-storage': w.fetch.storage } : {};
  const cpus = cpuCount(runtime.resources?.requests?.cpu ?? runtime.resources?.limits?.cpu);
  const args = [
    ...serveArgs({
      model: w.modelPath,
      modelName: metadata.name,
      variant: spec.variant,
      // the pod's own address (downward API), as the probes and the operator reach it there
      listenAddress: '$(POD_IP)',
      grpcPort: RUNTIME_GRPC_PORT,
      httpPort: RUNTIME_HTTP_PORT,
      parallel: spec.parallelSlots,
      contextSize: spec.contextSize,
      reasoningEffort: spec.reasoningEffort,
      gpu: 'cuda',
      // one core stays with the event loop (see runtime/engine/threads.ts)
      ...(cpus !== null ? { threads: Math.max(1, cpus - 1) } : {}),
    }),
    ...(runtime.args ?? []),
  ];
  // long enough to read the weights at the assumed speed; checked every 2 s so a fast load is ready fast
  const loadSeconds = Math.ceil(placement.need.weightsMiB / config.loadMiBPerSecond) + 60;
  return {
    name: 'runtime',
    image: runtime.image ?? config.runtimeImage,
    args,
    ports: [
      { name: 'grpc', containerPort: RUNTIME_GRPC_PORT },
      { name: 'http', containerPort: RUNTIME_HTTP_PORT },
    ],
    env: [POD_IP_ENV, ...(runtime.env ?? [])],
    resources: {
      requests: { ...(runtime.resources?.requests ?? {}), ...storage, ...gpus },
      limits: { ...(runtime.resources?.limits ?? {}), ...gpus },
    },
    volumeMounts: [
      { name: 'weights', mountPath: WEIGHTS_MOUNT, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ],
    startupProbe: {
      ...GRPC_PROBE,
      periodSeconds: STARTUP_PERIOD_SECONDS,
      failureThreshold: Math.ceil(loadSeconds / STARTUP_PERIOD_SECONDS),
    },
    readinessProbe: { ...GRPC_PROBE, periodSeconds: 5, failureThreshold: 2 },
    // liveness on HTTP: the process answers while it drains, when gRPC health is NOT_SERVING on purpose
    livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, failureThreshold: 6 },
    securityContext: CONTAINER_SECURITY,
    ...TERMINATION_MESSAGE,
  };
}

/**
 * url sources: the init container that downloads and verifies every file before the runtime starts; /progress on the
 * pod IP.
 */
export function fetchContainer(model: GptOssModel, fetch: NonNullable<Weights['fetch']>, config: ChildrenConfig): Obj {
  const storage = { 'ephemeral-storage': fetch.storage };
  return {
    name: 'fetch',
    image: model.spec.runtime?.image ?? config.runtimeImage,
    args: fetch.args,
    ports: [{ name: 'fetch', containerPort: FETCH_PORT }],
    env: [POD_IP_ENV],
    resources: { requests: storage, limits: {} },
    volumeMounts: [
      { name: 'weights', mountPath: WEIGHTS_MOUNT },
      { name: 'tmp', mountPath: '/tmp' },
    ],
    securityContext: CONTAINER_SECURITY,
    ...TERMINATION_MESSAGE,
  };
}
