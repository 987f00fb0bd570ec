import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { pvcDir } from '../../../cluster/agent/volumes.js';
import { linkedClaims, provisionAction, reclaimAction, volumeFor } from '../../../cluster/provisioning.js';
import { syncLinks } from '../../../cluster/sharedFolders.js';
import { DEV_PROVISIONER, DEV_STORAGE_CLASS, devStorageClass } from '../../../cluster/storage.js';

const ROOT = '/state/volumes';

const claim = (
  spec: Partial<NonNullable<V1PersistentVolumeClaim['spec']>> = {},
  meta: Partial<NonNullable<V1PersistentVolumeClaim['metadata']>> = {},
  phase = 'Pending',
): V1PersistentVolumeClaim => ({
  metadata: { namespace: 'serving', name: 'weights', uid: 'u-1', ...meta },
  spec: {
    storageClassName: DEV_STORAGE_CLASS,
    accessModes: ['ReadWriteMany'],
    resources: { requests: { storage: '20Gi' } },
    ...spec,
  },
  status: { phase },
});

const volume = (
  overrides: {
    phase?: string;
    policy?: string;
    path?: string;
    claimUid?: string;
    provisioner?: string;
    deleting?: boolean;
  } = {},
): V1PersistentVolume => ({
  metadata: {
    name: 'pvc-u-1',
    annotations: { 'pv.kubernetes.io/provisioned-by': overrides.provisioner ?? DEV_PROVISIONER },
    ...(overrides.deleting ? { deletionTimestamp: new Date(0) } : {}),
  },
  spec: {
    persistentVolumeReclaimPolicy: overrides.policy ?? 'Delete',
    claimRef: { namespace: 'serving', name: 'weights', uid: overrides.claimUid ?? 'u-1' },
    hostPath: { path: overrides.path ?? `${ROOT}/pvcs/serving/weights` },
  },
  status: { phase: overrides.phase ?? 'Bound' },
});

describe('volumeFor (pure)', () => {
  it("is the claim's request and access modes, bound by claimRef, a folder per claim under the root", () => {
    expect(volumeFor(claim(), ROOT)).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pvc-u-1', annotations: { 'pv.kubernetes.io/provisioned-by': 'dev.gptoss.io/folder' } },
      spec: {
        capacity: { storage: '20Gi' },
        accessModes: ['ReadWriteMany'],
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: 'gptoss-shared',
        volumeMode: 'Filesystem',
        claimRef: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          namespace: 'serving',
          name: 'weights',
          uid: 'u-1',
        },
        hostPath: { path: '/state/volumes/pvcs/serving/weights', type: 'Directory' },
      },
    });
  });
});

describe('provisionAction (pure)', () => {
  const cases: Array<[string, V1PersistentVolumeClaim, V1PersistentVolume[], string, string?]> = [
    ['a Pending claim of the class without a volume', claim(), [], 'create'],
    ['a claim of another class', claim({ storageClassName: 'standard' }), [], 'none', 'another storage class'],
    ['a claim without a class', claim({ storageClassName: undefined }), [], 'none', 'another storage class'],
    ['a claim being deleted', claim({}, { deletionTimestamp: new Date(0) }), [], 'none', 'being deleted'],
    ['a claim with a volume', claim({ volumeName: 'pvc-u-1' }), [], 'none', 'has a volume'],
    ['a Bound claim', claim({}, {}, 'Bound'), [], 'none', 'phase Bound'],
    ['a Lost claim', claim({}, {}, 'Lost'), [], 'none', 'phase Lost'],
    [
      'a claim whose volume exists but is not bound yet',
      claim(),
      [volume({ phase: 'Available' })],
      'none',
      'volume created, waiting for the PV controller to bind it',
    ],
    [
      "a claim whose name's old volume is Released",
      claim(),
      [volume({ phase: 'Released', claimUid: 'u-0' })],
      'create',
    ],
    [
      'a Block claim',
      claim({ volumeMode: 'Block' }),
      [],
      'refuse',
      'volumeMode Block is not supported: the class provides folders (Filesystem)',
    ],
    [
      'a claim with a selector',
      claim({ selector: { matchLabels: { a: 'b' } } }),
      [],
      'refuse',
      'spec.selector is not supported: the class provisions a new volume for every claim',
    ],
    [
      'a claim from a snapshot',
      claim({ dataSource: { kind: 'VolumeSnapshot', name: 's' } }),
      [],
      'refuse',
      'spec.dataSource is not supported: the class provisions empty folders (no snapshots or clones)',
    ],
    [
      'a claim with a dataSourceRef',
      claim({ dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'p' } }),
      [],
      'refuse',
      'spec.dataSource is not supported: the class provisions empty folders (no snapshots or clones)',
    ],
    [
      'a claim without access modes',
      claim({ accessModes: [] }),
      [],
      'refuse',
      'spec.accessModes is empty: name at least one access mode',
    ],
    [
      'a claim without a size',
      claim({ resources: {} }),
      [],
      'refuse',
      'spec.resources.requests.storage is missing: name the size',
    ],
  ];
  it.each(cases)('%s', (_, c, volumes, action, detail) => {
    const got = provisionAction(c, volumes, ROOT);
    expect(got.action).toBe(action);
    if (got.action === 'none') expect(got.why).toBe(detail);
    if (got.action === 'refuse') expect(got).toEqual({ action, reason: 'ProvisioningFailed', message: detail });
    if (got.action === 'create') {
      expect(got.volume).toEqual(volumeFor(c, ROOT));
      expect(got.folder).toBe('/state/volumes/pvcs/serving/weights');
    }
  });

  it('creates a volume with every access mode the claim asks for', () => {
    const got = provisionAction(claim({ accessModes: ['ReadOnlyMany', 'ReadWriteOncePod'] }), [], ROOT);
    expect(got.action === 'create' && got.volume.spec?.accessModes).toEqual(['ReadOnlyMany', 'ReadWriteOncePod']);
  });
});

describe('reclaimAction (pure)', () => {
  const folder = `${ROOT}/pvcs/serving/weights`;
  const cases: Array<[string, V1PersistentVolume, V1PersistentVolumeClaim[], object]> = [
    [
      'a Released volume of ours, its claim gone',
      volume({ phase: 'Released' }),
      [],
      { action: 'delete', name: 'pvc-u-1', folder },
    ],
    ['a Bound volume', volume(), [claim()], { action: 'none', why: 'phase Bound' }],
    ['an Available volume', volume({ phase: 'Available' }), [], { action: 'none', why: 'phase Available' }],
    ['a Failed volume', volume({ phase: 'Failed' }), [], { action: 'none', why: 'phase Failed' }],
    [
      'a Released volume kept by its policy',
      volume({ phase: 'Released', policy: 'Retain' }),
      [],
      { action: 'none', why: 'reclaim policy Retain' },
    ],
    [
      "another provisioner's volume",
      volume({ phase: 'Released', provisioner: 'ebs.csi.aws.com' }),
      [],
      { action: 'none', why: 'provisioned by someone else' },
    ],
    [
      'a volume being deleted',
      volume({ phase: 'Released', deleting: true }),
      [],
      { action: 'none', why: 'being deleted' },
    ],
    [
      'a Released volume whose claim name has a new claim: the folder stays',
      volume({ phase: 'Released' }),
      [claim({}, { uid: 'u-2' })],
      { action: 'delete', name: 'pvc-u-1', folder: null },
    ],
    [
      'a Released volume whose claim of another namespace has that name: the folder goes',
      volume({ phase: 'Released' }),
      [claim({}, { uid: 'u-2', namespace: 'other' })],
      { action: 'delete', name: 'pvc-u-1', folder },
    ],
    [
      'a Released volume with a folder outside the root: the folder stays',
      volume({ phase: 'Released', path: '/' }),
      [],
      { action: 'delete', name: 'pvc-u-1', folder: null },
    ],
    [
      'a Released volume whose folder climbs out of the root: the folder stays',
      volume({ phase: 'Released', path: `${ROOT}/../etc` }),
      [],
      { action: 'delete', name: 'pvc-u-1', folder: null },
    ],
    [
      'a Released volume whose folder is the root itself: the folder stays',
      volume({ phase: 'Released', path: ROOT }),
      [],
      { action: 'delete', name: 'pvc-u-1', folder: null },
    ],
  ];
  it.each(cases)('%s', (_, v, claims, expected) => {
    expect(reclaimAction(v, claims, ROOT)).toEqual(expected);
  });
});

describe('linkedClaims (pure)', () => {
  it('links every claim of the class it accepts, those being deleted too (pods may still mount them)', () => {
    const deleting = claim({}, { name: 'old', uid: 'u-3', deletionTimestamp: new Date(0) });
    const bound = claim({ volumeName: 'pvc-u-4' }, { name: 'bound', uid: 'u-4' }, 'Bound');
    const names = linkedClaims([
      claim(),
      bound,
      deleting,
      claim({ storageClassName: 'standard' }, { name: 'other' }),
      claim({ volumeMode: 'Block' }, { name: 'block' }),
    ]).map((c) => c.metadata?.name);
    expect(names).toEqual(['weights', 'bound', 'old']);
  });
});

describe('devStorageClass (pure)', () => {
  it('is the shared folder class: Immediate, Delete, our provisioner, its root as a parameter', () => {
    expect(devStorageClass('/c/volumes')).toMatchObject({
      metadata: { name: 'gptoss-shared' },
      provisioner: 'dev.gptoss.io/folder',
      parameters: { root: '/c/volumes' },
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    });
    expect(devStorageClass('/c/volumes').metadata?.annotations?.['kubernetes.io/description']).toMatch(
      /shared by every fake node.*ReadWriteMany/,
    );
  });
});

describe("syncLinks (the agent's claim folders, in a temporary folder)", () => {
  let dir = '';
  const setUp = () => {
    dir = mkdtempSync(join(tmpdir(), 'gptoss-links-'));
    return { state: join(dir, 'agent'), root: join(dir, 'volumes') };
  };
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const named = (name: string, meta: Partial<NonNullable<V1PersistentVolumeClaim['metadata']>> = {}) =>
    claim({}, { name, uid: `u-${name}`, ...meta });

  it("links each claim's shared folder, made if missing, into the agent's claim folder", () => {
    const { state, root } = setUp();
    expect(syncLinks(state, root, [named('a'), named('b')])).toEqual([]);
    for (const name of ['a', 'b']) {
      expect(readlinkSync(pvcDir(state, 'serving', name))).toBe(pvcDir(root, 'serving', name));
      expect(lstatSync(pvcDir(root, 'serving', name)).isDirectory()).toBe(true);
    }
    writeFileSync(join(pvcDir(state, 'serving', 'a'), 'f'), 'x');
    expect(existsSync(join(pvcDir(root, 'serving', 'a'), 'f'))).toBe(true);
    // again: nothing changes
    expect(syncLinks(state, root, [named('a'), named('b')])).toEqual([]);
    expect(readlinkSync(pvcDir(state, 'serving', 'a'))).toBe(pvcDir(root, 'serving', 'a'));
  });

  it('removes the links of claims that are gone, and only links into the root', () => {
    const { state, root } = setUp();
    syncLinks(state, root, [named('a'), named('b')]);
    mkdirSync(join(dir, 'elsewhere'));
    symlinkSync(join(dir, 'elsewhere'), pvcDir(state, 'serving', 'foreign'));
    mkdirSync(pvcDir(state, 'serving', 'own'));
    syncLinks(state, root, [named('b')]);
    expect(existsSync(pvcDir(state, 'serving', 'a'))).toBe(false);
    expect(readlinkSync(pvcDir(state, 'serving', 'b'))).toBe(pvcDir(root, 'serving', 'b'));
    expect(readlinkSync(pvcDir(state, 'serving', 'foreign'))).toBe(join(dir, 'elsewhere'));
    expect(lstatSync(pvcDir(state, 'serving', 'own')).isDirectory()).toBe(true);
  });

  it("replaces an empty folder of the agent's own; keeps a non-empty one and says so", () => {
    const { state, root } = setUp();
    mkdirSync(pvcDir(state, 'serving', 'empty'), { recursive: true });
    mkdirSync(pvcDir(state, 'serving', 'full'), { recursive: true });
    writeFileSync(join(pvcDir(state, 'serving', 'full'), 'data'), 'x');
    const blocked = syncLinks(state, root, [named('empty'), named('full')]);
    expect(blocked.map((c) => c.metadata?.name)).toEqual(['full']);
    expect(readlinkSync(pvcDir(state, 'serving', 'empty'))).toBe(pvcDir(root, 'serving', 'empty'));
    expect(lstatSync(pvcDir(state, 'serving', 'full')).isDirectory()).toBe(true);
  });

  it('links a claim being deleted but does not make its shared folder again', () => {
    const { state, root } = setUp();
    syncLinks(state, root, [named('old', { deletionTimestamp: new Date(0) })]);
    expect(readlinkSync(pvcDir(state, 'serving', 'old'))).toBe(pvcDir(root, 'serving', 'old'));
    expect(existsSync(pvcDir(root, 'serving', 'old'))).toBe(false);
  });
});
