import { ApiException, AppsV1Api, CoordinationV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { clusterAccess, kubectl, kubectlResult, useNamespace, waitEstablished, waitFor } from '../helpers/cluster.js';

/** The test bed is a real control plane: the scheduler, controllers, GC, CEL and RBAC decide here. */
describe('the local control plane with fake GPU nodes', () => {
  const ns = useNamespace('bed');
  const core = () => clusterAccess().kc.makeApiClient(CoreV1Api);
  const apps = () => clusterAccess().kc.makeApiClient(AppsV1Api);

  const gpuToleration = { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' };
  const pod = (name: string, spec: Partial<V1Pod['spec']> & { gpus?: number }): V1Pod => {
    const { gpus, ...rest } = spec;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns.name },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'runtime:test',
            ...(gpus ? { resources: { limits: { 'nvidia.com/gpu': String(gpus) } } } : {}),
          },
        ],
        tolerations: [gpuToleration],
        ...rest,
      },
    };
  };
  const apply = (objects: object[]) =>
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  const readPod = (name: string) => core().readNamespacedPod({ namespace: ns.name, name });
  const deletePods = (names: string[]) => kubectl(['delete', 'pod', '-n', ns.name, '--wait=false', ...names]);

  it('every fake node renews its Lease as kubelets do: never marked NotReady by the controller', async () => {
    const leases = await clusterAccess()
      .kc.makeApiClient(CoordinationV1Api)
      .listNamespacedLease({ namespace: 'kube-node-lease' });
    const nodes = await core().listNode({ labelSelector: 'type=kwok' });
    expect(leases.items.map((l) => l.metadata!.name).sort()).toEqual(
      expect.arrayContaining(nodes.items.map((n) => n.metadata!.name!).sort()),
    );
    for (const lease of leases.items)
      expect(Date.now() - new Date(lease.spec!.renewTime!).getTime()).toBeLessThan(60_000);
  });

  it('a one-GPU pod that needs more than 70000 MiB of GPU memory lands on an 80 GB node and runs', async () => {
    apply([
      pod('big-gpu', {
        gpus: 1,
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [{ key: 'nvidia.com/gpu.memory', operator: 'Gt', values: ['70000'] }],
                },
              ],
            },
          },
        },
      }),
    ]);
    await waitFor(async () => (await readPod('big-gpu')).status?.phase === 'Running', 30_000, 'big-gpu Running');
    const placed = await readPod('big-gpu');
    expect(placed.spec?.nodeName).toMatch(/^gpu-h100-\d$/);
    const node = await core().readNode({ name: placed.spec!.nodeName! });
    expect(Number(node.metadata?.labels?.['nvidia.com/gpu.memory'])).toBeGreaterThan(70000);
    deletePods(['big-gpu']);
  });

  it('a pod asking for more GPUs than any node has stays Pending with FailedScheduling', async () => {
    apply([pod('too-many', { gpus: 16 })]);
    await waitFor(
      async () => {
        const events = await core().listNamespacedEvent({
          namespace: ns.name,
          fieldSelector: 'involvedObject.name=too-many',
        });
        return events.items.some(
          (e) => e.reason === 'FailedScheduling' && /Insufficient nvidia.com\/gpu/.test(e.message ?? ''),
        );
      },
      30_000,
      'FailedScheduling for too-many',
    );
    const pending = await readPod('too-many');
    expect(pending.status?.phase).toBe('Pending');
    expect(pending.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
    });
    deletePods(['too-many']);
  });

  it('eight one-GPU pods fill the 8-GPU H200 node and the ninth goes elsewhere', async () => {
    const names = Array.from({ length: 9 }, (_, i) => `fill-${i}`);
    const preferH200 = {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            preference: {
              matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['gpu-h200-0'] }],
            },
          },
        ],
      },
    };
    // one at a time, so the scheduler sees each placement before the next
    for (const name of names) {
      apply([pod(name, { gpus: 1, affinity: preferH200 })]);
      await waitFor(async () => Boolean((await readPod(name)).spec?.nodeName), 30_000, `${name} scheduled`);
    }
    const nodes = await Promise.all(names.map(async (n) => (await readPod(n)).spec!.nodeName!));
    expect(nodes.slice(0, 8)).toEqual(Array(8).fill('gpu-h200-0'));
    expect(nodes[8]).not.toBe('gpu-h200-0');
    deletePods(names);
  });

  it('a Deployment gets ready pods on kwok nodes; deleting it removes its ReplicaSet and pods (GC)', async () => {
    apply([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: ns.name },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'web:test' }] },
          },
        },
      },
    ]);
    await waitFor(
      async () =>
        (await apps().readNamespacedDeployment({ namespace: ns.name, name: 'web' })).status?.readyReplicas === 3,
      60_000,
      '3 ready replicas',
    );
    const pods = await core().listNamespacedPod({ namespace: ns.name, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(3);
    for (const p of pods.items) {
      expect(p.spec?.nodeName).toMatch(/^cpu-\d$/); // GPU nodes are tainted; these pods do not tolerate it
      expect(p.metadata?.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
    }
    kubectl(['delete', 'deployment', 'web', '-n', ns.name, '--wait=false']);
    await waitFor(
      async () => {
        const [rs, left] = await Promise.all([
          apps().listNamespacedReplicaSet({ namespace: ns.name, labelSelector: 'app=web' }),
          core().listNamespacedPod({ namespace: ns.name, labelSelector: 'app=web' }),
        ]);
        return rs.items.length === 0 && left.items.length === 0;
      },
      60_000,
      'garbage collection of the ReplicaSet and pods',
    );
  });

  it('deleting a namespace with objects in it completes', async () => {
    const doomed = `${ns.name}-doomed`;
    kubectl(['create', 'namespace', doomed]);
    kubectl(['create', 'configmap', 'c', '-n', doomed, '--from-literal=a=b']);
    kubectl(['delete', 'namespace', doomed, '--wait=false']);
    await waitFor(
      async () =>
        core()
          .readNamespace({ name: doomed })
          .then(
            () => false,
            () => true,
          ),
      60_000,
      'the namespace to go',
    );
  });

  it('a PersistentVolumeClaim binds to a static PersistentVolume', async () => {
    const pv = `${ns.name}-pv`;
    apply([
      {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: pv },
        spec: {
          capacity: { storage: '20Gi' },
          accessModes: ['ReadOnlyMany'],
          storageClassName: 'static-weights',
          hostPath: { path: '/var/lib/weights' },
          claimRef: { namespace: ns.name, name: 'weights' },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'weights', namespace: ns.name },
        spec: {
          accessModes: ['ReadOnlyMany'],
          storageClassName: 'static-weights',
          resources: { requests: { storage: '15Gi' } },
        },
      },
    ]);
    await waitFor(
      async () =>
        (await core().readNamespacedPersistentVolumeClaim({ namespace: ns.name, name: 'weights' })).status?.phase ===
        'Bound',
      60_000,
      'the claim to bind',
    );
    expect((await core().readPersistentVolume({ name: pv })).status?.phase).toBe('Bound');
    kubectl(['delete', 'pvc', 'weights', '-n', ns.name, '--wait=false']);
    kubectl(['delete', 'pv', pv, '--wait=false']);
  });

  it("a CRD with a schema and a CEL rule rejects a bad object with the API server's own message", async () => {
    const group = `${ns.name}.test.gptoss.io`;
    apply([
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `ranges.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'ranges', singular: 'range', kind: 'Range' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      properties: { min: { type: 'integer', minimum: 0 }, max: { type: 'integer' } },
                      'x-kubernetes-validations': [
                        { rule: 'self.min <= self.max', message: 'min must not exceed max' },
                      ],
                    },
                  },
                },
              },
            },
          ],
        },
      },
    ]);
    waitEstablished([`crd/ranges.${group}`]);
    const range = (min: number, max: number) =>
      JSON.stringify({
        apiVersion: `${group}/v1`,
        kind: 'Range',
        metadata: { name: `r${min}-${max}`, namespace: ns.name },
        spec: { min, max },
      });
    const bad = kubectlResult(['create', '-f', '-'], range(5, 1));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/spec: Invalid value: "object": min must not exceed max/);
    const negative = kubectlResult(['create', '-f', '-'], range(-1, 1));
    expect(negative.stderr).toMatch(
      /spec.min: Invalid value: -1: spec.min in body should be greater than or equal to 0/,
    );
    expect(kubectlResult(['create', '-f', '-'], range(1, 5)).status).toBe(0);
    kubectl(['delete', 'crd', `ranges.${group}`, '--wait=false']);
  });

  it('a ServiceAccount with no rights gets 403: RBAC is enforced', async () => {
    kubectl(['create', 'serviceaccount', 'nobody', '-n', ns.name]);
    const token = kubectl(['create', 'token', 'nobody', '-n', ns.name]).trim();
    // a client that is only that ServiceAccount: the cluster's address and CA, the token, no admin certificate
    const admin = clusterAccess().kc;
    const cluster = admin.getCurrentCluster()!;
    const asNobody = new KubeConfig();
    asNobody.loadFromOptions({
      clusters: [{ name: 'c', server: cluster.server, caData: cluster.caData }],
      users: [{ name: 'nobody', token }],
      contexts: [{ name: 'c', cluster: 'c', user: 'nobody' }],
      currentContext: 'c',
    });
    const denied = await asNobody
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: ns.name })
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(ApiException);
    expect((denied as ApiException<string>).code).toBe(403);
    expect(String((denied as ApiException<string>).body)).toMatch(
      /system:serviceaccount:.*:nobody.*cannot list resource \\?"pods\\?"/,
    );
    const can = kubectlResult([
      'auth',
      'can-i',
      'list',
      'pods',
      '-n',
      ns.name,
      `--as=system:serviceaccount:${ns.name}:nobody`,
    ]);
    expect(can.stdout.trim()).toBe('no');
  });
});
