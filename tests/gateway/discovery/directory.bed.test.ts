import { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../contract/log.js';
import { startModelDirectory, type RunningModelDirectory } from '../../../gateway/discovery/directory.js';
import type { GptOssModel } from '../../../operator/api/v1alpha1/gptOssModel.js';
import { grpcService, httpService, labelsFor } from '../../../operator/planner/children/objects.js';
import { CRD_FILE } from '../../../scripts/genCrd.js';
import { clusterAccess, ensureCrd, kubectl, useNamespace, waitFor } from '../../helpers/cluster.js';

/*
 * Discovery on the real control plane: the operator's own Service builders, pods on kwok nodes (which
 * kwok reports Running and Ready with an address of the node's pod range) and the real EndpointSlice
 * controller writing the slices the directory reads. No operator runs: the test writes what it would.
 */
const ns = useNamespace('gw-disc');
const other = useNamespace('gw-disc-other');

const modelJson = (namespace: string, name: string) =>
  JSON.stringify({
    apiVersion: 'gptoss.io/v1alpha1',
    kind: 'GptOssModel',
    metadata: { name, namespace },
    spec: { variant: 'gpt-oss-20b', replicas: 0, source: { hostPath: { path: '/models/gpt-oss-20b.gguf' } } },
  });

/** A runtime pod of the model on a kwok node: its labels and named ports are what the Services select. */
const runtimePod = (model: GptOssModel, name: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: model.metadata.namespace, labels: labelsFor(model) },
    spec: {
      nodeName: 'cpu-0',
      containers: [
        {
          name: 'runtime',
          image: 'runtime',
          ports: [
            { name: 'grpc', containerPort: 50051 },
            { name: 'http', containerPort: 8080 },
          ],
        },
      ],
    },
  });

/** The pods the EndpointSlice controller lists as Ready in the model's HTTP Service now. */
async function readyInSlices(namespace: string, model: string): Promise<string[]> {
  const slices = await clusterAccess()
    .kc.makeApiClient(DiscoveryV1Api)
    .listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${model}` });
  return slices.items
    .flatMap((s) => s.endpoints)
    .filter((e) => e.conditions?.ready)
    .map((e) => e.targetRef!.name!)
    .sort();
}

describe('the model directory on the real API server (EndpointSlices)', () => {
  let directory: RunningModelDirectory;
  let model: GptOssModel;
  const pods = () => directory.get(ns.name, 'chat')?.replicas.map((r) => r.pod) ?? null;

  beforeAll(async () => {
    ensureCrd(CRD_FILE);
    kubectl(['apply', '-f', '-'], modelJson(ns.name, 'chat'));
    kubectl(['apply', '-f', '-'], modelJson(other.name, 'chat'));
    model = JSON.parse(kubectl(['get', 'gom', 'chat', '-n', ns.name, '-o', 'json'])) as GptOssModel;
    for (const service of [httpService(model), grpcService(model)])
      kubectl(['apply', '-f', '-'], JSON.stringify(service));
    directory = await startModelDirectory({
      kc: clusterAccess().kc,
      config: { namespaces: [ns.name], replicaSource: 'endpointslices', informerStallSeconds: 300 },
      log: createLogger(process.env.GPTOSS_TEST_LOG ?? 'warn'),
    });
  });
  afterAll(async () => {
    await directory?.stop();
  });

  it('lists the models of the watched namespaces only, with no replica before any pod is Ready', () => {
    expect(directory.list()).toEqual([
      { namespace: ns.name, name: 'chat', replicas: [], scaling: { replicas: 0, mode: 'off' }, adapters: [] },
    ]);
    expect(directory.get(other.name, 'chat')).toBeUndefined();
  });

  it("a Ready pod becomes a replica: its name, its address and the slices' ports", async () => {
    kubectl(['apply', '-f', '-'], runtimePod(model, 'chat-a'));
    kubectl(['apply', '-f', '-'], runtimePod(model, 'chat-b'));
    await waitFor(() => pods()?.length === 2, 30_000, 'two replicas in the directory');
    const core = clusterAccess().kc.makeApiClient(CoreV1Api);
    const ips = await Promise.all(
      ['chat-a', 'chat-b'].map(
        async (name) => (await core.readNamespacedPod({ name, namespace: ns.name })).status!.podIP,
      ),
    );
    expect(directory.get(ns.name, 'chat')!.replicas).toEqual([
      { pod: 'chat-a', ip: ips[0], httpPort: 8080, grpcPort: 50051 },
      { pod: 'chat-b', ip: ips[1], httpPort: 8080, grpcPort: 50051 },
    ]);
  });

  it('follows the slices within a second: a deleted pod stops being a replica', async () => {
    kubectl(['delete', 'pod', 'chat-a', '-n', ns.name, '--wait=false']);
    await waitFor(
      async () => !(await readyInSlices(ns.name, 'chat')).includes('chat-a'),
      30_000,
      'the slice to drop chat-a',
      5,
    );
    await waitFor(() => pods()?.join() === 'chat-b', 1000, 'the directory to follow the slice');
  });

  it('a deleted model leaves the directory', async () => {
    kubectl(['delete', 'gom', 'chat', '-n', ns.name, '--wait=false']);
    await waitFor(() => directory.get(ns.name, 'chat') === undefined, 30_000, 'the model to go');
    expect(directory.list()).toEqual([]);
  });
});
