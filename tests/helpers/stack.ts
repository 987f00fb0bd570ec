import { credentials } from '@grpc/grpc-js';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import OpenAI from 'openai';
import { RuntimeClient } from '../../contract/grpc/protos.js';
import { afterAll, beforeAll } from 'vitest';
import { DEV_AGENT_TAINT } from '../../cluster/agent/config.js';
import { CRD_FILE } from '../../scripts/genCrd.js';
import { useAgentProcess } from './agent.js';
import { clusterAccess, ensureCrd, kubectl, useNamespace } from './cluster.js';
import { MODELS_DIR, TEST_MODELS, type TestModel } from './models.js';
import { startOperatorProcess, type OperatorProcess } from './operator.js';
import type { RuntimeStub } from './runtime.js';

/**
 * A GptOssModel for the end-to-end tests: a synthetic test model on the host (hostPath), pinned to
 * one dev agent's node, on CPU with one thread (runtime.args come after the operator's, so they win).
 */
export function e2eModel(
  namespace: string,
  name: string,
  nodeName: string,
  model: TestModel,
  spec: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    apiVersion: 'gptoss.io/v1alpha1',
    kind: 'GptOssModel',
    metadata: { name, namespace },
    spec: {
      variant: 'gpt-oss-20b',
      contextSize: 1024,
      parallelSlots: 2,
      source: { hostPath: { path: `${MODELS_DIR}/${TEST_MODELS[model].file}` } },
      gpu: {
        nodeSelector: { 'gptoss.io/dev-agent': 'true', 'kubernetes.io/hostname': nodeName },
        tolerations: [DEV_AGENT_TAINT],
      },
      runtime: { args: ['--gpu', 'cpu', '--threads', '1'], terminationGracePeriodSeconds: 10 },
      ...spec,
    },
  });
}

export const applyModel = (json: string) => kubectl(['apply', '-f', '-'], json);

/** The model's ready runtime pods, as the operator sees them. */
export async function readyRuntimePods(namespace: string, model: string): Promise<V1Pod[]> {
  const pods = await clusterAccess()
    .kc.makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace, labelSelector: `gptoss.io/model=${model}` });
  return pods.items.filter(
    (p) =>
      !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
}

/** Clients of one runtime pod, by its IP, as an in-cluster client would reach it. */
export function podClients(pod: V1Pod) {
  const ip = pod.status!.podIP!;
  return {
    ip,
    grpc: new RuntimeClient(`${ip}:50051`, credentials.createInsecure()) as RuntimeStub,
    openai: new OpenAI({ baseURL: `http://${ip}:8080/v1`, apiKey: 'unused', maxRetries: 0 }),
    httpUrl: `http://${ip}:8080`,
  };
}

/**
 * The stack an end-to-end test file runs on: a namespace of its own, a dev agent (its node runs the
 * pods), the CRD and `gptoss operator` watching the namespace with `settings`, stopped after.
 */
export function useStack(prefix: string, settings: Record<string, unknown> = {}) {
  const ns = useNamespace(prefix);
  const agent = useAgentProcess(prefix);
  const stack = { ns, agent, operator: null as unknown as OperatorProcess };
  beforeAll(async () => {
    ensureCrd(CRD_FILE);
    stack.operator = await startOperatorProcess(ns.name, prefix, settings);
  });
  afterAll(() => {
    stack.operator?.kill('SIGTERM');
  });
  return stack;
}
