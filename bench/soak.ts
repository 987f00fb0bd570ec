/**
 * Soak: churn on the local stack for a while (default an hour) and compare resident memory and
 * open handles of the operator and of one long-lived runtime at the start and at the end. Each
 * cycle creates a model, waits for it to serve, opens streams on it (half cancelled part way, half
 * run to the end), scales it to two replicas and back, and deletes it; meanwhile streams are
 * opened and cancelled on the long-lived model. Not in CI.
 *
 *   npm run bench:soak [-- --minutes 60]
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { credentials, type ClientReadableStream } from '@grpc/grpc-js';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { DEV_AGENT_TAINT } from '../cluster/agent/config.js';
import { up } from '../cluster/cluster.js';
import { ensureDemoModel } from '../cluster/demo.js';
import { waitFor } from '../cluster/processes.js';
import { RuntimeClient } from '../contract/grpc/protos.js';
import { MODEL_LABEL, RUNTIME_GRPC_PORT, hostPort } from '../contract/names.js';
import { PACKAGE_ROOT } from '../contract/paths.js';
import { CRD_FILE } from '../scripts/genCrd.js';
import { hostPathPolicy, spawnOperator } from './operatorProcess.js';

const { values: args } = parseArgs({ options: { minutes: { type: 'string', default: '60' } } });
const MINUTES = Number(args.minutes);
const AGENT = join(PACKAGE_ROOT, 'dist', 'cluster', 'agent', 'cli.js');
const CLUSTER = 'soak';
const NAMESPACE = 'bench-soak';
const NODE = 'soak-dev-0';
const STEADY = 'steady';

type Chat = ClientReadableStream<{ text?: string }>;
interface Sample {
  rssMiB: number;
  handles: number;
}

/** Resident memory and open file descriptors (sockets, files, pipes) of a process. */
function sample(pid: number): Sample {
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { rssMiB: Number(rss) / 1024, handles: readdirSync(`/proc/${pid}/fd`).length };
}

/** The pid of the runtime process serving a model (the dev agent runs pods as local processes). */
function runtimePid(model: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes('serve') && argv[argv.indexOf('--model-name') + 1] === model) return Number(entry);
    } catch {
      // the process ended meanwhile
    }
  }
  throw new Error(`no runtime process serves ${model}`);
}

function modelSpec(name: string, modelFile: string, replicas = 1) {
  return JSON.stringify({
    apiVersion: 'gptoss.io/v1alpha1',
    kind: 'GptOssModel',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      variant: 'gpt-oss-20b',
      replicas,
      contextSize: 1024,
      parallelSlots: 2,
      source: { hostPath: { path: modelFile } },
      gpu: { nodeSelector: { 'kubernetes.io/hostname': NODE }, tolerations: [DEV_AGENT_TAINT] },
      runtime: { args: ['--gpu', 'cpu', '--threads', '1'] },
    },
  });
}

/** Opens a stream; cancels it after `cancelAfter` deltas, or lets it end. */
function stream(address: string, cancelAfter: number | null): Promise<void> {
  const client = new RuntimeClient(address, credentials.createInsecure()) as { Chat(r: object): Chat; close(): void };
  return new Promise<void>((resolve) => {
    const call = client.Chat({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 64 });
    let deltas = 0;
    call.on('data', () => {
      deltas++;
      if (cancelAfter !== null && deltas === cancelAfter) call.cancel();
    });
    call.on('error', () => resolve());
    call.on('end', () => resolve());
  }).finally(() => client.close());
}

async function main() {
  const modelFile = await ensureDemoModel();
  const cluster = await up({ name: CLUSTER });
  const kubectl = (a: string[], input?: string) =>
    execFileSync(cluster.binaries.kubectl, [`--kubeconfig=${cluster.kubeconfig}`, ...a], { input, encoding: 'utf8' });
  kubectl(['apply', '--server-side', '--field-manager=gptoss-bench', '-f', CRD_FILE]);
  kubectl(['wait', '--for=condition=Established', 'crd/gptossmodels.gptoss.io', '--timeout=60s']);
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }));
  const agent = spawn(
    process.execPath,
    [AGENT, '--kubeconfig', cluster.kubeconfig, '--node-name', NODE, '--log-level', 'warn'],
    {
      stdio: 'ignore',
    },
  );
  const operator = spawnOperator({
    config: hostPathPolicy(dirname(modelFile)),
    namespace: NAMESPACE,
    kubeconfig: cluster.kubeconfig,
  });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const readyPods = async (name: string) =>
    (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `${MODEL_LABEL}=${name}` })).items.filter(
      (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
  const address = (pod: V1Pod) => hostPort(pod.status!.podIP!, RUNTIME_GRPC_PORT);
  let cycles = 0;
  let streams = 0;
  try {
    kubectl(['apply', '-f', '-'], modelSpec(STEADY, modelFile));
    await waitFor(async () => (await readyPods(STEADY)).length === 1, 180_000, 'the steady model');
    const [steadyPod] = await readyPods(STEADY);
    // warm both processes up before the first sample
    await Promise.all(Array.from({ length: 8 }, (_, i) => stream(address(steadyPod!), i % 2 ? 3 : null)));
    const operatorStart = sample(operator.pid!);
    const runtimeStart = sample(runtimePid(STEADY));
    const deadline = Date.now() + MINUTES * 60_000;
    while (Date.now() < deadline) {
      const name = `churn-${cycles % 5}`;
      kubectl(['apply', '-f', '-'], modelSpec(name, modelFile));
      await waitFor(async () => (await readyPods(name)).length === 1, 180_000, `${name} to serve`);
      const [pod] = await readyPods(name);
      const load = Array.from({ length: 6 }, (_, i) =>
        stream(address(i % 3 ? pod! : steadyPod!), i % 2 ? 2 + (i % 5) : null),
      );
      streams += load.length;
      await Promise.all(load);
      kubectl(['scale', 'gom', name, '-n', NAMESPACE, '--replicas=2']);
      await waitFor(async () => (await readyPods(name)).length === 2, 180_000, `${name} at two replicas`);
      kubectl(['scale', 'gom', name, '-n', NAMESPACE, '--replicas=1']);
      kubectl(['delete', 'gom', name, '-n', NAMESPACE, '--wait=true']);
      cycles++;
    }
    const operatorEnd = sample(operator.pid!);
    const runtimeEnd = sample(runtimePid(STEADY));
    const row = (what: string, start: Sample, end: Sample) =>
      `| ${what} | ${start.rssMiB.toFixed(1)} -> ${end.rssMiB.toFixed(1)} MiB ` +
      `| ${(end.rssMiB / start.rssMiB).toFixed(2)} ` +
      `| ${start.handles} -> ${end.handles} | ${(end.handles / start.handles).toFixed(2)} |`;
    console.log(
      `Soak: ${MINUTES} min, ${cycles} model cycles (create, serve, stream, scale 2 and back, delete), ` +
        `${streams} streams\n`,
    );
    console.log('| process | resident memory | ratio | open handles | ratio |');
    console.log('|---|---|---|---|---|');
    console.log(row('operator', operatorStart, operatorEnd));
    console.log(row(`runtime (${STEADY})`, runtimeStart, runtimeEnd));
  } finally {
    operator.kill('SIGTERM');
    agent.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
