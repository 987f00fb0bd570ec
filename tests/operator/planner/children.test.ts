import { describe, expect, it } from 'vitest';
import { fetchStorageBytes } from '../../../contract/argv/fetch.js';
import { cpuCount, planChildren } from '../../../operator/planner/children.js';
import { CHILDREN_CONFIG as CONFIG, children, model, placed } from '../../helpers/plannedChildren.js';

describe('children of a GptOssModel (pure)', () => {
  const pvc120b = {
    variant: 'gpt-oss-120b',
    source: { pvc: { claimName: 'weights', path: '/gpt-oss-120b/model-00001-of-00003.gguf' } },
    runtime: { resources: { requests: { cpu: '8', memory: '96Gi' } } },
  };

  it('a Deployment running gptoss serve with flags from the spec, on the planned GPUs', () => {
    const { byKind } = children(model('ns', pvc120b));
    const deployment = byKind('Deployment');
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(container.image).toBe(CONFIG.runtimeImage);
    expect(container.args).toEqual([
      'serve',
      '--model',
      '/models/gpt-oss-120b/model-00001-of-00003.gguf',
      '--model-name',
      'chat',
      '--variant',
      'gpt-oss-120b',
      '--listen-address',
      '$(POD_IP)',
      '--grpc-port',
      '50051',
      '--http-port',
      '8080',
      '--parallel',
      '4',
      '--context-size',
      '8192',
      '--reasoning-effort',
      'medium',
      '--gpu',
      'cuda',
      '--threads',
      '7',
    ]);
    expect(container.env).toEqual([{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }]);
    expect(container.resources).toEqual({
      requests: { cpu: '8', memory: '96Gi', 'nvidia.com/gpu': '1' },
      limits: { 'nvidia.com/gpu': '1' },
    });
    expect(container.readinessProbe.grpc).toEqual({ port: 50051, service: 'gptoss.runtime.v1.Runtime' });
    expect(container.startupProbe).toMatchObject({
      periodSeconds: 1,
      failureThreshold: Math.ceil(60444 / 500) + 60,
    });
    expect(pod.volumes[0]).toEqual({
      name: 'weights',
      persistentVolumeClaim: { claimName: 'weights', readOnly: true },
    });
    expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]).toEqual({
      matchExpressions: [{ key: 'nvidia.com/gpu.memory', operator: 'Gt', values: ['65650'] }],
    });
    expect(deployment.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'gptoss.io/v1alpha1',
        kind: 'GptOssModel',
        name: 'chat',
        uid: '2f9d1c1e-1111-4222-8333-444455556666',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(deployment.spec.template.metadata.labels).toMatchObject({
      'app.kubernetes.io/name': 'gptoss-runtime',
      'app.kubernetes.io/instance': 'chat',
      'gptoss.io/model': 'chat',
    });
  });

  it('an HTTP Service, a headless gRPC Service, and a PodDisruptionBudget only with more than one replica', () => {
    const one = children(model('ns', pvc120b));
    expect(one.byKind('Service').spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http' }]);
    expect(one.byKind('Service', 'chat-grpc').spec).toMatchObject({
      clusterIP: 'None',
      ports: [{ name: 'grpc', port: 50051, targetPort: 'grpc' }],
    });
    expect(one.byKind('PodDisruptionBudget')).toBeUndefined();
    // one left from when there were more replicas goes
    expect(one.prune).toEqual([
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', namespace: 'ns', name: 'chat' },
    ]);
    const three = children(model('ns', { ...pvc120b, replicas: 3 }));
    expect(three.byKind('PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    expect(three.prune).toEqual([]);
  });

  it('user affinity and node selector are ANDed with the plan; a hostPath file is mounted by its folder', () => {
    const m = model('ns', {
      variant: 'gpt-oss-20b',
      source: { hostPath: { path: '/data/models/gpt-oss-20b.gguf' } },
      gpu: {
        nodeSelector: { pool: 'inference' },
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['a'] }] },
              ],
            },
          },
        },
      },
    });
    const pod = children(m).byKind('Deployment').spec.template.spec;
    expect(pod.nodeSelector).toEqual({ pool: 'inference' });
    const terms = pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(terms).toHaveLength(3); // GFD, Karpenter and GKE terms, each with the zone
    for (const term of terms)
      expect(term.matchExpressions.at(-1)).toEqual({
        key: 'topology.kubernetes.io/zone',
        operator: 'In',
        values: ['a'],
      });
    expect(pod.volumes[0]).toEqual({ name: 'weights', hostPath: { path: '/data/models', type: 'Directory' } });
    expect(pod.containers[0].args.slice(1, 3)).toEqual(['--model', '/models/gpt-oss-20b.gguf']);
    expect(pod.containers[0].args).not.toContain('--threads'); // no CPU request: the runtime reads its cgroup quota
  });

  it('the spec hash is stable and follows the spec', () => {
    const a = children(model('ns', pvc120b)).specHash;
    expect(children(model('ns', pvc120b)).specHash).toBe(a);
    expect(children(model('ns', { ...pvc120b, contextSize: 16384 })).specHash).not.toBe(a);
    // scaling (by hand or by an autoscaler) changes the replicas, never the pod template: no rollout
    const scaled = children(model('ns', { ...pvc120b, replicas: 5 }));
    expect(scaled.specHash).toBe(a);
    expect(scaled.byKind('Deployment').spec.template).toEqual(
      children(model('ns', pvc120b)).byKind('Deployment').spec.template,
    );
  });

  // with the storage it needs requested
  it('url sources: a fetch init container downloads every shard into a node-local volume', () => {
    const files = [1, 2, 3].map((i) => ({
      url: `https://models.example/gpt-oss-120b/model-0000${i}-of-00003.gguf`,
      sha256: String(i).repeat(64),
    }));
    const m = model('ns', { variant: 'gpt-oss-120b', source: { url: { files } } });
    const pod = children(m).byKind('Deployment').spec.template.spec;
    const [fetch] = pod.initContainers;
    expect(fetch.args).toEqual([
      'fetch',
      '--dest',
      '/models',
      '--listen-address',
      '$(POD_IP)',
      '--port',
      '8090',
      // no file may be larger than the whole model's weights with their margin (60,444 MiB)
      '--max-bytes',
      String(fetchStorageBytes(60_444 * 2 ** 20)),
      ...files.flatMap((f) => ['--file', `${f.url}=${f.sha256}`]),
    ]);
    expect(fetch.image).toBe(CONFIG.runtimeImage);
    expect(fetch.volumeMounts[0]).toEqual({ name: 'weights', mountPath: '/models' });
    expect(pod.containers[0].volumeMounts[0]).toEqual({ name: 'weights', mountPath: '/models', readOnly: true });
    expect(pod.containers[0].args.slice(1, 3)).toEqual(['--model', '/models/model-00001-of-00003.gguf']);
    // 60,444 MiB of weights, 2% and 256 MiB of room
    const storage = pod.volumes[0].emptyDir.sizeLimit;
    expect(Number.parseInt(storage, 10)).toBeGreaterThan(60_444);
    expect(Number.parseInt(storage, 10)).toBeLessThan(60_444 * 1.03 + 256);
    expect(fetch.resources.requests['ephemeral-storage']).toBe(storage);
    expect(pod.containers[0].resources.requests['ephemeral-storage']).toBe(storage);
  });

  it('a url the API server accepts but that names no file is a condition, not a crash loop', () => {
    const m = model('ns', {
      variant: 'gpt-oss-20b',
      source: { url: { files: [{ url: 'https://models.example/', sha256: 'a'.repeat(64) }] } },
    });
    expect(planChildren(m, placed(m), CONFIG, { storageClasses: [] })).toEqual({
      ok: false,
      reason: 'InvalidSource',
      message: 'spec.source.url: https://models.example/: the URL must end in a file name',
    });
  });

  it.each([
    ['2', 2],
    ['1500m', 1],
    [4, 4],
    ['500m', 0],
    ['lots', null],
    [undefined, null],
  ] as const)('cpuCount(%j) = %j', (q, n) => {
    expect(cpuCount(q)).toBe(n);
  });
});
