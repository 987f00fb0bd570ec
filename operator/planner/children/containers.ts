import { serveArgs } from '../../../contract/argv/serve.js';
import { FETCH_PORT, RUNTIME_GRPC_PORT, RUNTIME_GRPC_SERVICE, RUNTIME_HTTP_PORT } from '../../../contract/names.js';
import type { GptOssModel } from '../../api/v1alpha1/gptOssModel.js';
import type { Placed } from '../placement.js';
import { storageBytes } from '../storageSize.js';
import type { AdapterFiles } from './adapters.js';
import { WEIGHTS_MOUNT, type Download, type FetchAllowances, type Weights } from './weights.js';

/** What a runtime pod reads: the model's weights and every adapter's file. */
export interface PodFiles {
  weights: Weights;
  adapters: AdapterFiles[];
}

/** What the operator's config says about every runtime pod. */
export interface ChildrenConfig {
  runtimeImage: string;
  /** Assumed read speed of weights at start-up, to size the start-up probe. */
  loadMiBPerSecond: number;
  /** What the weights download may reach beyond public https hosts (from the admin policy); none: nothing. */
  fetchAllowances?: FetchAllowances;
}

type Obj = Record<string, unknown>;
const MiB = 1024 * 1024;

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
export function runtimeContainer(model: GptOssModel, placement: Placed, files: PodFiles, config: ChildrenConfig): Obj {
  const { spec, metadata } = model;
  const runtime = spec.runtime ?? {};
  const gpus = { [placement.resourceName]: String(placement.gpusPerReplica) };
  const w = files.weights;
  // every per-pod download stays in the pod's emptyDirs while the runtime runs: it requests them all
  const downloadedBytes = [w.fetch, ...files.adapters.map((a) => a.fetch)].reduce(
    (sum, d) => sum + (d ? storageBytes(d.storage) : 0),
    0,
  );
  const storage = downloadedBytes ? { 'ephemeral-storage': `${Math.ceil(downloadedBytes / MiB)}Mi` } : {};
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
      ...(files.adapters.length ? { adapter: files.adapters.map((a) => a.served) } : {}),
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
      ...files.adapters.map((a) => a.mount),
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
 * url sources: a container that downloads and verifies every file into `volume` (at `mountPath`); /progress on the pod
 * IP. The model's per-pod download (an init container named fetch), an adapter's, or the cache's Job. Node-local
 * downloads request the ephemeral storage they fill; the cache's Job fills its claim.
 */
export function fetchContainer(
  model: GptOssModel,
  download: Download,
  config: ChildrenConfig,
  { name = 'fetch', volume = 'weights', mountPath = WEIGHTS_MOUNT, nodeLocal = true } = {},
): Obj {
  return {
    name,
    image: model.spec.runtime?.image ?? config.runtimeImage,
    args: download.args,
    ports: [{ name: 'fetch', containerPort: FETCH_PORT }],
    env: [POD_IP_ENV],
    resources: { requests: nodeLocal ? { 'ephemeral-storage': download.storage } : {}, limits: {} },
    volumeMounts: [
      { name: volume, mountPath },
      { name: 'tmp', mountPath: '/tmp' },
    ],
    securityContext: CONTAINER_SECURITY,
    ...TERMINATION_MESSAGE,
  };
}

/** A cached url source: runtime pods wait, reading the claim only, until the cache's Job marked it complete. */
export function awaitWeightsContainer(model: GptOssModel, awaitArgs: string[], config: ChildrenConfig): Obj {
  return {
    name: 'await-weights',
    image: model.spec.runtime?.image ?? config.runtimeImage,
    args: awaitArgs,
    volumeMounts: [{ name: 'weights', mountPath: WEIGHTS_MOUNT, readOnly: true }],
    securityContext: CONTAINER_SECURITY,
    ...TERMINATION_MESSAGE,
  };
}
