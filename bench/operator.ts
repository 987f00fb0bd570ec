/**
 * Operator benchmark: against the real control plane with a fake pool big enough that every
 * replica can be placed, apply N models at once and measure the time until all are reconciled
 * (status for their generation) and Ready, the reconciles done, reconcile latency p50/p99 (from
 * the operator's own histogram), its CPU and its resident memory (idle, and growth per model).
 * When Go is present, the controller-runtime twin (bench/twin.ts) runs the same sizes on the same
 * cluster, alternating with ours, and each figure is printed as the ratio ours / twin.
 *
 *   npm run bench:operator [-- --models 200,1000 --workers 4 --twin auto|off '--node-flags=<flags>']
 *
 * Ours runs on Node.js with the operator image's flags (scripts/images.ts) unless --node-flags says others ('' for
 * none).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { ApiException, CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { up, type ClusterState } from '../cluster/cluster.js';
import { freePort, waitFor } from '../cluster/processes.js';
import { PACKAGE_ROOT } from '../contract/paths.js';
import { GROUP, PLURAL, VERSION } from '../operator/api/v1alpha1/gptOssModel.js';
import { CRD_FILE } from '../scripts/genCrd.js';
import { bundleProgram } from '../scripts/bundle.js';
import { IMAGES } from '../scripts/images.js';
import { GPTOSS, hostPathPolicy, spawnOperator } from './operatorProcess.js';
import { median } from './streamStats.js';
import { buildTwin, spawnTwin, twinUnavailable } from './twin.js';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: '200,1000' },
    workers: { type: 'string', default: '4' },
    twin: { type: 'string', default: 'auto' },
    'node-flags': { type: 'string' },
    // bundle: the operator image's program (scripts/bundle.ts); built: dist/cli/gptoss.js, as `npm start` runs it
    program: { type: 'string', default: 'bundle' },
  },
});
if (!['bundle', 'built'].includes(args.program)) throw new Error('--program is bundle or built');
/** The image's bundle, inside the repository so that its external packages resolve from node_modules. */
const BUNDLE_DIR = join(PACKAGE_ROOT, 'dist', 'bundle', 'operator');
/** What ours runs on: the flags said, else the operator image's. */
const NODE_FLAGS = args['node-flags']?.split(' ').filter(Boolean) ?? IMAGES.operator.nodeFlags;
const SIZES = args.models.split(',').map(Number);
const GPUS_PER_NODE = 8;

/** Enough 8 x H100 nodes for every run's models at once, plus one node. */
function nodePool(gpus: number): string {
  const nodes = Array.from({ length: Math.ceil(gpus / GPUS_PER_NODE) }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: `bench-h100-${i}`,
      annotations: { 'kwok.x-k8s.io/node': 'fake' },
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': `bench-h100-${i}`,
        'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
        'nvidia.com/gpu.memory': '81559',
        'nvidia.com/gpu.count': String(GPUS_PER_NODE),
      },
    },
    spec: { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] },
    status: {
      allocatable: { cpu: '64', memory: '512Gi', pods: '110', 'nvidia.com/gpu': String(GPUS_PER_NODE) },
      capacity: { cpu: '64', memory: '512Gi', pods: '110', 'nvidia.com/gpu': String(GPUS_PER_NODE) },
    },
  }));
  const file = join(tmpdir(), 'gptoss-bench-nodes.yaml');
  writeFileSync(file, nodes.map((n) => stringify(n)).join('---\n'));
  return file;
}

/** Resident set (MiB) and CPU time used so far (s, user + system) of a process, from /proc. */
function usage(pid: number): { rssMiB: number; cpuS: number } {
  const rssMiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  // fields 14 and 15 (utime, stime) after the command's closing parenthesis, in clock ticks (100 a second on Linux)
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { rssMiB, cpuS: (Number(stat[11]) + Number(stat[12])) / 100 };
}

type Operator = 'ours' | 'twin';

/** The API server's requests so far by verb and resource (apiserver_request_total, summed over codes and scopes). */
function apiRequests(state: ClusterState): Map<string, number> {
  const metrics = execFileSync(
    state.binaries.kubectl,
    [`--kubeconfig=${state.kubeconfig}`, 'get', '--raw', '/metrics'],
    {
      encoding: 'utf8',
      maxBuffer: 256 * 2 ** 20,
    },
  );
  const counts = new Map<string, number>();
  for (const [, labels, value] of metrics.matchAll(/^apiserver_request_total\{([^}]*)\} (\S+)$/gm)) {
    const label = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(labels!)?.[1] ?? '';
    const key = `${label('verb')} ${label('resource')}${label('subresource') ? `/${label('subresource')}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(value));
  }
  return counts;
}

/** The control plane's CPU so far (s): the API server and etcd, which every operator's requests cost. */
const controlPlaneCpuS = (state: ClusterState) =>
  usage(state.processes['kube-apiserver'].pid).cpuS + usage(state.processes.etcd.pid).cpuS;

/** What each operator's /metrics calls its reconciles and their duration histogram. */
const SERIES: Record<Operator, { total: string; duration: string; labels: string }> = {
  ours: {
    total: 'gptoss_operator_reconciles_total',
    duration: 'gptoss_operator_reconcile_duration_seconds',
    labels: '',
  },
  twin: {
    total: 'controller_runtime_reconcile_total',
    duration: 'controller_runtime_reconcile_time_seconds',
    labels: 'controller="gptossmodel"',
  },
};

/** The successful reconciles, and histogram_quantile over the reconcile-duration buckets as Prometheus computes it. */
function reconcileFigures(metrics: string, operator: Operator) {
  const { total, duration, labels } = SERIES[operator];
  const series = (name: string) =>
    [...metrics.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))]
      .filter((m) => m[1]!.includes(labels))
      .map((m) => ({ labels: m[1]!, value: Number(m[2]) }));
  const reconciles = series(total).find((s) => s.labels.includes('result="success"'))?.value ?? 0;
  const buckets = series(`${duration}_bucket`).map((s) => ({
    le: Number(/le="([^"]+)"/.exec(s.labels)![1]!.replace('+Inf', 'Infinity')),
    count: s.value,
  }));
  const quantile = (q: number) => {
    const rank = q * (buckets.at(-1)?.count ?? 0);
    let previous = { le: 0, count: 0 };
    for (const b of buckets) {
      if (b.count >= rank) {
        if (b.le === Infinity) return previous.le;
        return previous.le + (b.le - previous.le) * ((rank - previous.count) / Math.max(1, b.count - previous.count));
      }
      previous = b;
    }
    return NaN;
  };
  return { reconciles, p50Ms: quantile(0.5) * 1000, p99Ms: quantile(0.99) * 1000 };
}

interface Result {
  operator: Operator;
  models: number;
  /** When the last model was created (s from the first create). */
  createdS: number;
  reconciledS: number;
  readyS: number;
  lagP50S: number;
  lagP99S: number;
  /** The API server's and etcd's CPU per model during the run. */
  controlPlaneMsPerModel: number;
  /** The API server's requests per model during the run, by verb and resource, the most first. */
  requestsPerModel: Array<[string, number]>;
  reconciles: number;
  p50Ms: number;
  p99Ms: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  cpuMsPerModel: number;
}

/** Starts one operator on the namespace; resolves with its process and metrics URL once it serves them. */
async function startOperator(operator: Operator, namespace: string, kubeconfig: string, twinBinary?: string) {
  if (operator === 'twin') {
    const port = await freePort();
    const child = spawnTwin(twinBinary!, namespace, kubeconfig, args.workers, port);
    return { child, metricsUrl: `http://127.0.0.1:${port}/metrics` };
  }
  // its models name files under /models (kwok's nodes run nothing)
  const child = spawnOperator({
    config: hostPathPolicy('/models'),
    namespace,
    kubeconfig,
    extraArgs: ['--workers', args.workers],
    nodeFlags: NODE_FLAGS,
    program: args.program === 'bundle' ? join(BUNDLE_DIR, 'gptoss.js') : GPTOSS,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await waitFor(() => /HTTP=(\S+)/.test(out), 60_000, 'the operator');
  return { child, metricsUrl: `${/HTTP=(\S+)/.exec(out)![1]!}/metrics` };
}

/** Creates N gpt-oss-20b models, 16 in flight, as a CI pipeline applying a folder would; when each was created. */
async function createModels(custom: CustomObjectsApi, namespace: string, models: number) {
  const names = Array.from({ length: models }, (_, i) => `m-${i}`);
  const createdAt = new Map<string, number>();
  for (let i = 0; i < names.length; i += 16) {
    await Promise.all(
      names.slice(i, i + 16).map(async (name) => {
        await custom.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURAL,
          body: {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: 'GptOssModel',
            metadata: { name, namespace },
            spec: { variant: 'gpt-oss-20b', source: { hostPath: { path: '/models/gpt-oss-20b.gguf' } } },
          },
        });
        createdAt.set(name, performance.now());
      }),
    );
  }
  return createdAt;
}

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/**
 * Seconds from `started` until every model has status for its generation, and until every one is Ready; and the lag
 * from each model's creation to the first poll (each second) that saw its status, p50 and p99.
 */
async function awaitModels(
  custom: CustomObjectsApi,
  namespace: string,
  createdAt: Map<string, number>,
  started: number,
) {
  const models = createdAt.size;
  type Listed = {
    items: Array<{
      metadata: { name: string; generation: number };
      status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string }> };
    }>;
  };
  let reconciledS = 0;
  const lags = new Map<string, number>();
  await waitFor(
    async () => {
      const list = (await custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
      })) as Listed;
      const polled = performance.now();
      const reconciled = list.items.filter((m) => m.status?.observedGeneration === m.metadata.generation);
      for (const m of reconciled) {
        if (!lags.has(m.metadata.name)) lags.set(m.metadata.name, polled - createdAt.get(m.metadata.name)!);
      }
      if (!reconciledS && reconciled.length === models) reconciledS = (performance.now() - started) / 1000;
      const ready = list.items.filter((m) =>
        m.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready.length === models;
    },
    1_800_000,
    `${models} models Ready`,
    1000,
  );
  const sorted = [...lags.values()].sort((a, b) => a - b);
  return {
    reconciledS,
    readyS: (performance.now() - started) / 1000,
    lagP50S: percentile(sorted, 0.5) / 1000,
    lagP99S: percentile(sorted, 0.99) / 1000,
  };
}

/**
 * Deletes a run's namespace and waits until it is gone: the next run, often the other operator's, starts on an API
 * server that is not still deleting a thousand models' Deployments and pods (which slowed whichever ran second).
 */
async function deleteNamespace(core: CoreV1Api, namespace: string) {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await waitFor(
    () =>
      core.readNamespace({ name: namespace }).then(
        () => false,
        (error: unknown) => error instanceof ApiException && error.code === 404,
      ),
    900_000,
    `namespace ${namespace} to be deleted`,
    1000,
  );
}

async function run(kc: KubeConfig, state: ClusterState, operator: Operator, models: number, twin?: string) {
  const { kubeconfig } = state;
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const leases = kc.makeApiClient(CoordinationV1Api);
  const namespace = `bench-${operator}-${models}-${Date.now().toString(36)}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  let child: ChildProcess | undefined;
  try {
    const started = await startOperator(operator, namespace, kubeconfig, twin);
    child = started.child;
    // both hold the Lease gptoss-operator in the namespace while they lead
    await waitFor(
      async () =>
        Boolean(
          (await leases.readNamespacedLease({ namespace, name: 'gptoss-operator' }).catch(() => null))?.spec
            ?.holderIdentity,
        ),
      60_000,
      `${operator} to lead`,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000)); // start-up settles before the baseline
    const before = usage(child.pid!);
    const [requestsBefore, controlPlaneBefore] = [apiRequests(state), controlPlaneCpuS(state)];
    const t0 = performance.now();
    const createdAt = await createModels(custom, namespace, models);
    const createdS = (performance.now() - t0) / 1000;
    const times = await awaitModels(custom, namespace, createdAt, t0);
    const after = usage(child.pid!);
    const controlPlaneMsPerModel = (1000 * (controlPlaneCpuS(state) - controlPlaneBefore)) / models;
    const requestsPerModel = [...apiRequests(state)]
      .map(([key, count]): [string, number] => [key, (count - (requestsBefore.get(key) ?? 0)) / models])
      .filter(([, perModel]) => perModel >= 0.05)
      .sort((a, b) => b[1] - a[1]);
    const figures = reconcileFigures(await (await fetch(started.metricsUrl)).text(), operator);
    return {
      operator,
      models,
      createdS,
      ...times,
      ...figures,
      controlPlaneMsPerModel,
      requestsPerModel,
      rssBeforeMiB: before.rssMiB,
      rssAfterMiB: after.rssMiB,
      cpuMsPerModel: (1000 * (after.cpuS - before.cpuS)) / models,
    };
  } finally {
    if (child) await stopGracefully(child);
    await deleteNamespace(core, namespace);
  }
}

/** SIGTERM, as the kubelet stops a pod (so that `--cpu-prof` among the node flags writes its profile), then SIGKILL. */
async function stopGracefully(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) child.kill('SIGKILL');
}

/** `nodes`: what the cluster has, which a reused cluster may have more of than this run's sizes need. */
function report(results: Result[], nodes: number) {
  const perModelKiB = (r: Result) => ((r.rssAfterMiB - r.rssBeforeMiB) * 1024) / r.models;
  console.log(
    `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `Node ${process.version}; ${nodes} ` +
      `fake 8 x H100 nodes; ${args.workers} workers; ours (${args.program}) on node ` +
      `${NODE_FLAGS.join(' ') || '(no flags)'}\n`,
  );
  console.log(
    '| models | operator | all reconciled | all Ready | reconciles | p50 | p99 | CPU/model ' +
      '| RSS before -> after | KiB/model |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.models} | ${r.operator} | ${r.reconciledS.toFixed(1)} s | ${r.readyS.toFixed(1)} s | ${r.reconciles} ` +
        `| ${r.p50Ms.toFixed(1)} ms | ${r.p99Ms.toFixed(1)} ms | ${r.cpuMsPerModel.toFixed(1)} ms ` +
        `| ${r.rssBeforeMiB.toFixed(0)} -> ${r.rssAfterMiB.toFixed(0)} MiB | ${perModelKiB(r).toFixed(0)} |`,
    );
  }
  console.log(
    "\nWhere the time and the API server went (lag: from a model's create to the first poll, each second, that saw " +
      'its status):\n',
  );
  console.log('| models | operator | all created | lag p50 | lag p99 | API server + etcd CPU/model | requests/model |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    const requests = r.requestsPerModel.map(([key, perModel]) => `${key} ${perModel.toFixed(2)}`).join(', ');
    console.log(
      `| ${r.models} | ${r.operator} | ${r.createdS.toFixed(1)} s | ${r.lagP50S.toFixed(1)} s ` +
        `| ${r.lagP99S.toFixed(1)} s | ${r.controlPlaneMsPerModel.toFixed(1)} ms | ${requests} |`,
    );
  }
  reportRatios(results);
}

/** The figures divided ours / twin, for the goals. */
const RATIOS: Array<(r: Result) => number> = [
  (r) => r.reconciledS,
  (r) => r.cpuMsPerModel,
  (r) => r.rssBeforeMiB,
  (r) => r.rssAfterMiB,
  (r) => r.reconciles,
];

/**
 * Each pair's ratios ours / twin in run order, then, for a size run more than once, their medians: a single pair's
 * "all reconciled" at 200 models moves by a third between runs of the same code (docs/benchmarks.md).
 */
function reportRatios(results: Result[]) {
  // each size ran one pair; without the twin there is nothing to divide by
  const pairs = results.flatMap((first, i) => {
    const second = results[i + 1];
    if (i % 2 || second?.models !== first.models || second.operator === first.operator) return [];
    return [first.operator === 'ours' ? { ours: first, twin: second } : { ours: second, twin: first }];
  });
  if (!pairs.length) return;
  console.log('\nours / twin (goals: reconciled <= 1.05, CPU <= 1.2, RSS <= 1.5, reconciles <= 1.00):\n');
  console.log('| models | all reconciled | CPU/model | RSS idle | RSS after | reconciles |');
  console.log('|---|---|---|---|---|---|');
  const row = (label: string, ratios: number[]) =>
    console.log(`| ${label} | ${ratios.map((r) => r.toFixed(2)).join(' | ')} |`);
  const ratiosOf = ({ ours, twin }: (typeof pairs)[number]) => RATIOS.map((f) => f(ours) / f(twin));
  for (const pair of pairs) row(String(pair.ours.models), ratiosOf(pair));
  for (const size of new Set(pairs.map((p) => p.ours.models))) {
    const ofSize = pairs.filter((p) => p.ours.models === size).map(ratiosOf);
    if (ofSize.length < 2) continue;
    row(
      `${size}, median of ${ofSize.length}`,
      RATIOS.map((_, k) => median(ofSize.map((ratios) => ratios[k]!))),
    );
  }
}

async function main() {
  const state = await up({ name: 'bench', nodesFile: nodePool(SIZES.reduce((a, b) => a + b, 0) + GPUS_PER_NODE) });
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  const kubectl = (...argv: string[]) =>
    execFileSync(state.binaries.kubectl, [`--kubeconfig=${state.kubeconfig}`, ...argv], { stdio: 'ignore' });
  kubectl('apply', '--server-side', '-f', CRD_FILE);
  kubectl('wait', '--for=condition=Established', 'crd/gptossmodels.gptoss.io');

  const unavailable = args.twin === 'off' ? 'turned off (--twin off)' : twinUnavailable();
  if (unavailable) process.stderr.write(`the twin does not run: ${unavailable}\n`);
  const twin = unavailable ? undefined : await buildTwin();
  if (args.program === 'bundle') await bundleProgram(IMAGES.operator.bundle, BUNDLE_DIR);
  const results: Result[] = [];
  for (const [pair, size] of SIZES.entries()) {
    // alternating, so that a disturbance of the machine falls on both, and which runs first too (ours, twin; then
    // twin, ours): the first run of a pair starts on a cluster just done deleting the namespace before
    const order = pair % 2 ? (['twin', 'ours'] as const) : (['ours', 'twin'] as const);
    for (const operator of twin ? order : (['ours'] as const)) {
      process.stderr.write(`applying ${size} models (${operator})...\n`);
      results.push(await run(kc, state, operator, size, twin));
    }
  }
  report(results, (await kc.makeApiClient(CoreV1Api).listNode()).items.length);
  console.log('\nThe bench cluster keeps running for a rerun: npm run cluster -- down --name bench');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
