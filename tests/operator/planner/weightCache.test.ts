import { describe, expect, it } from 'vitest';
import { weightsDigest } from '../../../contract/argv/fetch.js';
import { planChildren } from '../../../operator/planner/children.js';
import { weightsJobName } from '../../../operator/planner/children/weights.js';
import { storageBytes } from '../../../operator/planner/storageSize.js';
import { CHILDREN_CONFIG, STORAGE_CLASSES, children, model, placed, type Obj } from '../../helpers/plannedChildren.js';

const files = [
  { url: 'https://models.example/gpt-oss-20b-00001-of-00002.gguf', sha256: 'a'.repeat(64) },
  { url: 'https://models.example/gpt-oss-20b-00002-of-00002.gguf', sha256: 'c'.repeat(64) },
];
const cached = (cache: Record<string, unknown>) =>
  model('ns', { variant: 'gpt-oss-20b', source: { url: { files, cache } } });
const digest = weightsDigest(files);

describe('the shared weight cache (pure)', () => {
  it('one ReadWriteMany claim owned by the model, one Job that fills it, pods that wait and mount it read-only', () => {
    const { byKind, cache } = children(cached({ storageClassName: 'shared', size: '20Gi' }));
    const claim = byKind('PersistentVolumeClaim', 'chat-weights');
    expect(claim.spec).toEqual({
      accessModes: ['ReadWriteMany'],
      storageClassName: 'shared',
      resources: { requests: { storage: '20Gi' } },
    });
    expect(claim.metadata.ownerReferences[0].uid).toBe('2f9d1c1e-1111-4222-8333-444455556666');
    expect(claim.metadata.labels['app.kubernetes.io/name']).toBe('gptoss-weights');

    const job = byKind('Job', weightsJobName('chat', digest));
    const jobPod = job.spec.template.spec;
    expect(job.spec.template.metadata.labels['app.kubernetes.io/name']).toBe('gptoss-weights');
    expect(jobPod.restartPolicy).toBe('Never');
    expect(jobPod.volumes[0]).toEqual({ name: 'weights', persistentVolumeClaim: { claimName: 'chat-weights' } });
    const fetch = jobPod.containers[0];
    expect(fetch.args).toContain('--mark-complete');
    expect(fetch.args[fetch.args.indexOf('--dest') + 1]).toBe(`/models/${digest}`);
    expect(fetch.args[fetch.args.indexOf('--max-bytes') + 1]).toBe(String(storageBytes('20Gi')));
    expect(fetch.resources.requests).toEqual({});

    const pod = byKind('Deployment').spec.template.spec as Obj;
    expect(pod.volumes[0]).toEqual({
      name: 'weights',
      persistentVolumeClaim: { claimName: 'chat-weights', readOnly: true },
    });
    expect(pod.initContainers).toHaveLength(1);
    expect(pod.initContainers[0].args).toEqual(['await-weights', '--dir', `/models/${digest}`, '--digest', digest]);
    expect(pod.initContainers[0].volumeMounts).toEqual([{ name: 'weights', mountPath: '/models', readOnly: true }]);
    const runtime = pod.containers[0];
    expect(runtime.args[runtime.args.indexOf('--model') + 1]).toBe(`/models/${digest}/gpt-oss-20b-00001-of-00002.gguf`);
    // nothing node-local to ask for: the files are on the claim
    expect(runtime.resources.requests['ephemeral-storage']).toBeUndefined();
    expect(cache?.jobName).toBe(job.metadata.name);
  });

  it('cache.retain leaves the claim without an owner, so deleting the model keeps it', () => {
    const claim = children(cached({ size: '20Gi', retain: true })).byKind('PersistentVolumeClaim', 'chat-weights');
    expect(claim.metadata.ownerReferences).toBeUndefined();
    expect(claim.spec.storageClassName).toBeUndefined(); // the default class: 'shared' in STORAGE_CLASSES
  });

  it('other files, another Job (a Job cannot change), with a name that fits a label however long the model', () => {
    const other = weightsJobName('chat', weightsDigest([files[0]!]));
    expect(other).not.toBe(weightsJobName('chat', digest));
    const long = 'm'.repeat(58);
    expect(weightsJobName(long, digest)).toHaveLength(63);
    expect(weightsJobName(long, digest)).not.toBe(weightsJobName(`${'m'.repeat(57)}n`, digest));
  });

  it.each([
    [
      'a class that does not exist',
      { storageClassName: 'nfs', size: '20Gi' },
      STORAGE_CLASSES,
      'StorageClassNotFound',
      'spec.source.url.cache.storageClassName: StorageClass nfs does not exist',
    ],
    [
      'no class named and no default class',
      { size: '20Gi' },
      [],
      'StorageClassNotFound',
      'spec.source.url.cache.storageClassName is not set and the cluster has no default StorageClass',
    ],
    [
      'a block-storage class',
      { storageClassName: 'block', size: '20Gi' },
      STORAGE_CLASSES,
      'StorageClassNotReadWriteMany',
      'spec.source.url.cache.storageClassName: StorageClass block (provisioner ebs.csi.aws.com) offers no ' +
        'ReadWriteMany volumes; name a class of a shared file system (NFS, CephFS, EFS, Filestore, Azure Files)',
    ],
    [
      'a cache smaller than the files',
      { storageClassName: 'shared', size: '10Gi' },
      STORAGE_CLASSES,
      'WeightCacheTooSmall',
      'spec.source.url.cache.size: 10Gi is smaller than the 11.7 GiB the files of a gpt-oss-20b need',
    ],
  ])('%s is a condition naming it, and no child is made', (_, cache, storageClasses, reason, message) => {
    const m = cached(cache);
    expect(planChildren(m, placed(m), CHILDREN_CONFIG, { storageClasses })).toEqual({ ok: false, reason, message });
  });

  it.each([
    ['20Gi', 20 * 2 ** 30],
    ['1.5Ti', 1.5 * 2 ** 40],
    ['13G', 13e9],
    ['500M', 500e6],
    ['123', 123],
  ])('storage size %s is %d bytes', (size, bytes) => {
    expect(storageBytes(size)).toBe(bytes);
  });
});
