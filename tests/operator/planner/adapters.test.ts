import { describe, expect, it } from 'vitest';
import { fetchStorageBytes } from '../../../contract/argv/fetch.js';
import { gptOssModelSpec } from '../../../operator/api/v1alpha1/schema.js';
import { planChildren } from '../../../operator/planner/children.js';
import { replicaMemory } from '../../../operator/planner/memory.js';
import { CHILDREN_CONFIG, children, model, placed, type Obj } from '../../helpers/plannedChildren.js';

const SHA = 'b'.repeat(64);
const base = { variant: 'gpt-oss-20b', source: { hostPath: { path: '/srv/models/base.gguf' } } };
const withAdapters = {
  ...base,
  adapters: [
    { name: 'support-tone', source: { pvc: { claimName: 'adapters', path: '/tone/lora.gguf' } }, scale: 0.5 },
    { name: 'legal', source: { hostPath: { path: '/srv/adapters/legal.gguf' } } },
    { name: 'sql.v2', source: { url: { files: [{ url: 'https://models.example/sql-v2.gguf', sha256: SHA }] } } },
  ],
};

const podOf = (m: ReturnType<typeof model>) => children(m).byKind('Deployment').spec.template.spec as Obj;

describe('LoRA adapters in the runtime pod (pure)', () => {
  it('each adapter is a read-only volume and an --adapter NAME=PATH:SCALE argument, url ones fetched first', () => {
    const pod = podOf(model('ns', withAdapters));
    const runtime = pod.containers[0];
    const adapterArgs = runtime.args.flatMap((a: string, i: number) =>
      runtime.args[i - 1] === '--adapter' ? [a] : [],
    );
    expect(adapterArgs).toEqual([
      'support-tone=/adapters/0/tone/lora.gguf:0.5',
      'legal=/adapters/1/legal.gguf:1',
      'sql.v2=/adapters/2/sql-v2.gguf:1',
    ]);
    expect(pod.volumes.slice(1, 4)).toEqual([
      { name: 'adapter-0', persistentVolumeClaim: { claimName: 'adapters', readOnly: true } },
      { name: 'adapter-1', hostPath: { path: '/srv/adapters', type: 'Directory' } },
      { name: 'adapter-2', emptyDir: { sizeLimit: `${fetchStorageBytes(256 * 2 ** 20) / 2 ** 20}Mi` } },
    ]);
    expect(runtime.volumeMounts.filter((m: Obj) => m.name.startsWith('adapter-'))).toEqual([
      { name: 'adapter-0', mountPath: '/adapters/0', readOnly: true },
      { name: 'adapter-1', mountPath: '/adapters/1', readOnly: true },
      { name: 'adapter-2', mountPath: '/adapters/2', readOnly: true },
    ]);
    const [fetch] = pod.initContainers;
    expect(fetch.name).toBe('fetch-adapter-2');
    expect(fetch.volumeMounts[0]).toEqual({ name: 'adapter-2', mountPath: '/adapters/2' });
    expect(fetch.args).toContain(`https://models.example/sql-v2.gguf=${SHA}`);
    // the download stays in the pod while the runtime runs: the runtime asks the scheduler for its room
    expect(runtime.resources.requests['ephemeral-storage']).toBe(fetch.resources.requests['ephemeral-storage']);
  });

  it('a model without adapters gets exactly the pod it had before adapters existed', () => {
    const pod = podOf(model('ns', base));
    expect(pod.initContainers).toBeUndefined();
    expect(pod.volumes.map((v: Obj) => v.name)).toEqual(['weights', 'tmp']);
    expect(pod.containers[0].args).not.toContain('--adapter');
  });

  it('each adapter adds its tensors, a KV cache and compute buffers of its own to the memory of a replica', () => {
    const spec = (adapters?: unknown) => gptOssModelSpec.parse({ ...base, ...(adapters ? { adapters } : {}) });
    const none = replicaMemory(spec());
    const two = replicaMemory(
      spec([
        { name: 'a', source: base.source, sizeMiB: 100 },
        { name: 'b', source: base.source },
      ]),
    );
    expect(none.adaptersMiB).toBe(0);
    expect(two.adaptersMiB).toBe(100 + 256 + 2 * none.kvCacheMiB + 2 * none.computeMiB);
    expect(two.perGpuMiB - none.perGpuMiB).toBeGreaterThanOrEqual(two.adaptersMiB);
    // and the placement records it
    const placement = placed(model('ns', { ...base, adapters: [{ name: 'a', source: base.source }] }));
    expect(placement.need.adaptersMiB).toBe(256 + none.kvCacheMiB + none.computeMiB);
  });

  it('an adapter url that names no file is a condition naming the adapter', () => {
    const m = model('ns', {
      ...base,
      adapters: [{ name: 'x', source: { url: { files: [{ url: 'https://models.example/', sha256: SHA }] } } }],
    });
    expect(planChildren(m, placed(m), CHILDREN_CONFIG, { storageClasses: [] })).toEqual({
      ok: false,
      reason: 'InvalidSource',
      message: 'spec.adapters[0].source.url: https://models.example/: the URL must end in a file name',
    });
  });
});
