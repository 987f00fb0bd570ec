/**
 * Operator benchmark: against the real control plane with a fake pool big enough that every
 * replica can be placed, apply N models at once and measure the time until all are reconciled
 * (status for their generation) and Ready, reconciles per second, reconcile latency p50/p99 (from
 * the operator's own histogram) and the operator's memory per model (resident set growth / N).
 * The baseline of the same run is the smallest N: larger runs are reported as ratios of time per
 * model and memory per model to it, so linear scaling reads 1.0.
 *
 *   npm run bench:operator [-- --models 200,1000 --workers 4]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { up } from '../cluster/cluster.js';
import { waitFor } from '../cluster/processes.js';
import { GROUP, PLURAL, VERSION } from '../operator/api/v1alpha1/gptOssModel.js';
import { CRD_FILE } from '../scripts/genCrd.js';
import { hostPathPolicy, spawnOperator } from './operatorProcess.js';

const { values: args } = parseArgs({
  options: { models: { type: 'string', default: '200,1000' }, workers: { type: 'string', default: '4' } },
});
const SIZES = args.models.split(',').map(Number);
const GPUS_PER_NODE = 8;

/** Enough 8 x H100 nodes for the largest run plus the one before it still draining. */
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

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

/** histogram_quantile over the operator's reconcile-duration buckets, as Prometheus computes it. */
function quantile(metrics: string, q: number): number {
  const buckets = [
    ...metrics.matchAll(/^gptoss_operator_reconcile_duration_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm),
  ].map((m) => ({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) }));
  const total = buckets.at(-1)!.count;
  const rank = q * total;
  let previous = { le: 0, count: 0 };
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return previous.le;
      return previous.le + (b.le - previous.le) * ((rank - previous.count) / Math.max(1, b.count - previous.count));
    }
    previous = b;
  }
  return NaN;
}

interface Result {
  models: number;
  reconciledS: number;
  readyS: number;
  reconciles: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
}

async function run(kc: KubeConfig, kubeconfig: string, models: number): Promise<Result> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const namespace = `bench-${models}-${Date.now().toString(36)}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  // its models name files under /models (kwok's nodes run nothing)
  const child = spawnOperator({
    config: hostPathPolicy('/models'),
    namespace,
    kubeconfig,
    extraArgs: ['--workers', args.workers],
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  try {
    await waitFor(() => /HTTP=(\S+)/.test(out), 60_000, 'the operator');
    const url = /HTTP=(\S+)/.exec(out)![1]!;
    await waitFor(
      async () => /^gptoss_operator_leader 1$/m.test(await (await fetch(`${url}/metrics`)).text()),
      30_000,
      'leadership',
    );
    const rssBeforeMiB = rssMiB(child.pid!);

    const started = performance.now();
    const names = Array.from({ length: models }, (_, i) => `m-${i}`);
    // 16 creates in flight, as a CI pipeline applying a folder would
    for (let i = 0; i < names.length; i += 16) {
      await Promise.all(
        names.slice(i, i + 16).map((name) =>
          custom.createNamespacedCustomObject({
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
          }),
        ),
      );
    }
    type Listed = {
      items: Array<{
        metadata: { generation: number };
        status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string }> };
      }>;
    };
    let reconciledS = 0;
    await waitFor(
      async () => {
        const list = (await custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURAL,
        })) as Listed;
        const reconciled = list.items.filter((m) => m.status?.observedGeneration === m.metadata.generation).length;
        if (!reconciledS && reconciled === models) reconciledS = (performance.now() - started) / 1000;
        return (
          list.items.filter((m) => m.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
            .length === models
        );
      },
      1_800_000,
      `${models} models Ready`,
      1000,
    );
    const readyS = (performance.now() - started) / 1000;
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const reconciles = Number(/^gptoss_operator_reconciles_total\{result="success"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
    return {
      models,
      reconciledS,
      readyS,
      reconciles,
      perSecond: reconciles / readyS,
      p50Ms: quantile(metrics, 0.5) * 1000,
      p99Ms: quantile(metrics, 0.99) * 1000,
      rssBeforeMiB,
      rssAfterMiB: rssMiB(child.pid!),
    };
  } finally {
    child.kill('SIGKILL');
    // the namespace goes in the background; the pool is sized for two runs at once
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  }
}

async function main() {
  const state = await up({ name: 'bench', nodesFile: nodePool(SIZES.reduce((a, b) => a + b, 0) + GPUS_PER_NODE) });
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  const { execFileSync } = await import('node:child_process');
  execFileSync(state.binaries.kubectl, [`--kubeconfig=${state.kubeconfig}`, 'apply', '--server-side', '-f', CRD_FILE], {
    stdio: 'ignore',
  });
  execFileSync(
    state.binaries.kubectl,
    [`--kubeconfig=${state.kubeconfig}`, 'wait', '--for=condition=Established', 'crd/gptossmodels.gptoss.io'],
    { stdio: 'ignore' },
  );

  const results: Result[] = [];
  for (const size of SIZES) {
    process.stderr.write(`applying ${size} models...\n`);
    results.push(await run(kc, state.kubeconfig, size));
  }
  const base = results[0]!;
  const perModelMiB = (r: Result) => (r.rssAfterMiB - r.rssBeforeMiB) / r.models;
  console.log(
    `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `Node ${process.version}; ${Math.ceil((SIZES.reduce((a, b) => a + b, 0) + GPUS_PER_NODE) / GPUS_PER_NODE)} ` +
      `fake 8 x H100 nodes; ${args.workers} workers\n`,
  );
  console.log(
    '| models | all reconciled | all Ready | reconciles | reconciles/s | p50 | p99 | RSS before -> after ' +
      '| MiB/model | time/model vs first | MiB/model vs first |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.models} | ${r.reconciledS.toFixed(1)} s | ${r.readyS.toFixed(1)} s | ${r.reconciles} ` +
        `| ${r.perSecond.toFixed(1)} | ${r.p50Ms.toFixed(1)} ms | ${r.p99Ms.toFixed(1)} ms ` +
        `| ${r.rssBeforeMiB.toFixed(0)} -> ${r.rssAfterMiB.toFixed(0)} MiB | ${perModelMiB(r).toFixed(3)} ` +
        `| ${(r.readyS / r.models / (base.readyS / base.models)).toFixed(2)} ` +
        `| ${(perModelMiB(r) / perModelMiB(base)).toFixed(2)} |`,
    );
  }
  console.log('\nThe bench cluster keeps running for a rerun: npm run cluster -- down --name bench');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
