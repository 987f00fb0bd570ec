import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CustomObjectsApi, type CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { DEV_AGENT_TAINT } from '../cluster/agent/config.js';
import { waitFor } from '../cluster/processes.js';
import { DEV_STORAGE_CLASS } from '../cluster/storage.js';
import { MODEL_LABEL, RUNTIME_APP_LABELS, RUNTIME_GRPC_PORT, hostPort } from '../contract/names.js';
import { GROUP, PLURAL, VERSION } from '../operator/api/v1alpha1/gptOssModel.js';
import type { Kubectl } from './localStack.js';
import { startRateLimitedFiles, type RateLimitedFiles } from './rateLimitedFiles.js';
import { firstToken } from './serveBaseline.js';
import { median } from './streamStats.js';

/**
 * The weight cache in the stack benchmark (issue 15): the time for a second replica to serve its first token, for a
 * url model with `cache` (one download Job fills a ReadWriteMany claim that every replica mounts) and one without
 * (every pod downloads the files in its own init container), in the same run, against a loopback file server that
 * sends at a fixed rate so that the download is the dominant cost.
 */

/** The file server's rate: the demo model (2.4 MiB) in about 10 s. */
export const WEIGHTS_BYTES_PER_SECOND = 256 * 1024;

/** What the operator's policy needs over stack.ts's own for the bench's file server: http on loopback. */
export const LOOPBACK_URL_POLICY = { urlSchemes: ['https', 'http'], internalHosts: ['127.0.0.0/8'] };

export type CacheMode = 'cached' | 'uncached';

export interface SecondReplicaRow {
  round: number;
  mode: CacheMode;
  /** `kubectl apply` (replicas 1) to the model Ready: the first replica's download included. */
  firstReadyMs: number;
  /** `kubectl scale --replicas 2` to the new replica's first streamed token over gRPC from its pod IP. */
  secondTokenMs: number;
  /** GETs of the model's file the server answered, both replicas (and the download Job) together. */
  gets: number;
}

export interface WeightCacheBench {
  kubectl: Kubectl;
  kc: KubeConfig;
  core: CoreV1Api;
  namespace: string;
  /** The dev agent's node, where the pods run. */
  node: string;
  /** The GGUF file the server sends (the demo model). */
  modelFile: string;
}

const WAIT_MS = 180_000;

function urlModel(bench: WeightCacheBench, name: string, url: string, sha256: string, mode: CacheMode) {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'GptOssModel',
    metadata: { name, namespace: bench.namespace },
    spec: {
      variant: 'gpt-oss-20b',
      // the settings of stack.ts's other models (and its baseline)
      contextSize: 1024,
      parallelSlots: 2,
      replicas: 1,
      source: {
        url: {
          files: [{ url, sha256 }],
          ...(mode === 'cached' ? { cache: { storageClassName: DEV_STORAGE_CLASS, size: '20Gi' } } : {}),
        },
      },
      gpu: { nodeSelector: { 'kubernetes.io/hostname': bench.node }, tolerations: [DEV_AGENT_TAINT] },
      runtime: { args: ['--gpu', 'cpu', '--threads', '1'], terminationGracePeriodSeconds: 10 },
    },
  };
}

interface ModelStatus {
  readyReplicas?: number;
  conditions?: Array<{ type: string; status: string }>;
}

/** The model has `replicas` ready and says Ready=True. */
async function modelReady(bench: WeightCacheBench, name: string, replicas: number): Promise<boolean> {
  const model = (await bench.kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: bench.namespace,
    plural: PLURAL,
    name,
  })) as { status?: ModelStatus };
  const status = model.status;
  return (
    status?.readyReplicas === replicas && !!status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

/** The model's runtime pods (not its download Job's), those being deleted left out. */
async function runtimePods(bench: WeightCacheBench, name: string) {
  const labelSelector = `app.kubernetes.io/name=${RUNTIME_APP_LABELS['app.kubernetes.io/name']},${MODEL_LABEL}=${name}`;
  const pods = await bench.core.listNamespacedPod({ namespace: bench.namespace, labelSelector });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp);
}

/** The IP of the model's runtime pod other than `first`, once it has one. */
async function secondPodIp(bench: WeightCacheBench, name: string, first: string | undefined): Promise<string> {
  let ip: string | undefined;
  await waitFor(
    async () => {
      ip = (await runtimePods(bench, name)).find((p) => p.metadata?.name !== first)?.status?.podIP;
      return ip !== undefined;
    },
    WAIT_MS,
    `${name}'s second replica's pod IP`,
    50,
  );
  return ip!;
}

/**
 * Deletes the model and waits for its cache's volume to go too: the claim goes with the model (no retain) and the dev
 * agent deletes the Released volume and its folder, which it cannot do once the bench has stopped it.
 */
async function deleteModel(bench: WeightCacheBench, name: string): Promise<void> {
  bench.kubectl(['delete', PLURAL, name, '-n', bench.namespace, '--wait=true']);
  const claim = `${name}-weights`;
  await waitFor(
    async () =>
      !(await bench.core.listPersistentVolume()).items.some(
        (v) => v.spec?.claimRef?.namespace === bench.namespace && v.spec.claimRef.name === claim,
      ),
    WAIT_MS,
    `the volume of claim ${claim} to be deleted`,
    200,
  );
}

/** Applies one model at 1 replica, waits for it to be Ready, scales it to 2 and times the new replica's first token. */
async function secondReplica(
  bench: WeightCacheBench,
  files: RateLimitedFiles,
  round: number,
  mode: CacheMode,
): Promise<SecondReplicaRow> {
  const body = readFileSync(bench.modelFile);
  const name = `${mode}-${round}`;
  const file = `${name}.gguf`;
  files.serve(file, body);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const applied = performance.now();
  bench.kubectl(['apply', '-f', '-'], JSON.stringify(urlModel(bench, name, files.url(file), sha256, mode)));
  try {
    await waitFor(() => modelReady(bench, name, 1), WAIT_MS, `${name} Ready with 1 replica`, 100);
    const firstReadyMs = performance.now() - applied;
    const [first] = await runtimePods(bench, name);
    const scaled = performance.now();
    bench.kubectl(['scale', `${PLURAL}/${name}`, '-n', bench.namespace, '--replicas', '2']);
    const ip = await secondPodIp(bench, name, first?.metadata?.name);
    const secondTokenMs = await firstToken(hostPort(ip, RUNTIME_GRPC_PORT), scaled);
    return { round, mode, firstReadyMs, secondTokenMs, gets: files.gets(file) };
  } finally {
    // also when a step failed: the next run starts from an empty namespace
    await deleteModel(bench, name);
  }
}

/** `rounds` rounds of both models, one after the other, which goes first alternating so drift hits both alike. */
export async function weightCacheRounds(bench: WeightCacheBench, rounds: number): Promise<SecondReplicaRow[]> {
  const files = await startRateLimitedFiles(WEIGHTS_BYTES_PER_SECOND);
  const rows: SecondReplicaRow[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const order: CacheMode[] = round % 2 ? ['cached', 'uncached'] : ['uncached', 'cached'];
      for (const mode of order) rows.push(await secondReplica(bench, files, round, mode));
    }
  } finally {
    await files.close();
  }
  return rows;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The rows as the bench's markdown table, then the medians and the ratio cached / uncached. */
export function printWeightCache(rows: SecondReplicaRow[], fileBytes: number): void {
  const downloadS = fileBytes / WEIGHTS_BYTES_PER_SECOND;
  console.log(
    `\nSecond replica with and without the weight cache: the file (${fileBytes} bytes) served at ` +
      `${WEIGHTS_BYTES_PER_SECOND / 1024} KiB/s from 127.0.0.1, ${downloadS.toFixed(1)} s a download`,
  );
  console.log('| round | model | apply to Ready (1 replica) | scale to 2: first token of the new replica | GETs |');
  console.log('|---|---|---|---|---|');
  for (const r of rows)
    console.log(`| ${r.round} | ${r.mode} | ${seconds(r.firstReadyMs)} | ${seconds(r.secondTokenMs)} | ${r.gets} |`);
  const medianOf = (mode: CacheMode, field: 'firstReadyMs' | 'secondTokenMs') =>
    median(rows.filter((r) => r.mode === mode).map((r) => r[field]));
  for (const mode of ['cached', 'uncached'] as const)
    console.log(
      `| median | ${mode} | ${seconds(medianOf(mode, 'firstReadyMs'))} | ` +
        `${seconds(medianOf(mode, 'secondTokenMs'))} | |`,
    );
  const ratio = medianOf('cached', 'secondTokenMs') / medianOf('uncached', 'secondTokenMs');
  console.log(`\nSecond replica's first token, cached / uncached (medians): ${ratio.toFixed(2)}`);
}
