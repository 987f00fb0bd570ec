import { describe, expect, it } from 'vitest';
import { namespacedName, objectKey } from '../../../contract/kube/objectKey.js';

describe('objectKey', () => {
  it('keys a namespaced object namespace/name and a cluster-scoped one /name', () => {
    expect(objectKey({ metadata: { namespace: 'team-a', name: 'chat' } })).toBe('team-a/chat');
    expect(objectKey({ metadata: { name: 'gpu-node-0' } })).toBe('/gpu-node-0');
    expect(namespacedName(undefined, 'gpu-node-0')).toBe(objectKey({ metadata: { name: 'gpu-node-0' } }));
  });
});
