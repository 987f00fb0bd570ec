import type { KubernetesObject, ObjectCallback } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ByModel } from '../../../operator/controller/byModel.js';

/** An informer's event side (a named fake: the index is the unit under test). */
class FakeInformer {
  private readonly handlers = new Map<string, Array<ObjectCallback<KubernetesObject>>>();
  on(verb: string, callback: ObjectCallback<KubernetesObject>) {
    this.handlers.set(verb, [...(this.handlers.get(verb) ?? []), callback]);
  }
  emit(verb: 'add' | 'update' | 'delete', o: KubernetesObject) {
    for (const callback of this.handlers.get(verb) ?? []) callback(o);
  }
}

const pod = (name: string, model?: string, namespace = 'ns'): KubernetesObject => ({
  metadata: { name, namespace, labels: model ? { 'gptoss.io/model': model } : {} },
});
const names = (objects: KubernetesObject[]) => objects.map((o) => o.metadata?.name).sort();

describe('ByModel: an informer’s objects by model', () => {
  it('files objects by namespace and model label, follows updates, label changes and deletes', () => {
    const informer = new FakeInformer();
    const index = new ByModel(informer, [pod('a-1', 'a')]);
    informer.emit('add', pod('a-2', 'a'));
    informer.emit('add', pod('b-1', 'b'));
    informer.emit('add', pod('a-1', 'a', 'other'));
    informer.emit('add', pod('unlabelled'));
    expect(names(index.of('ns', 'a'))).toEqual(['a-1', 'a-2']);
    expect(names(index.of('other', 'a'))).toEqual(['a-1']);
    informer.emit('update', pod('a-2', 'b')); // relabelled
    expect(names(index.of('ns', 'a'))).toEqual(['a-1']);
    expect(names(index.of('ns', 'b'))).toEqual(['a-2', 'b-1']);
    informer.emit('delete', pod('a-1', 'a'));
    expect(index.of('ns', 'a')).toEqual([]);
    expect(names(index.of('other', 'a'))).toEqual(['a-1']);
  });

  it('an update replaces the object held', () => {
    const informer = new FakeInformer();
    const index = new ByModel(informer);
    informer.emit('add', { ...pod('a-1', 'a'), kind: 'old' });
    informer.emit('update', { ...pod('a-1', 'a'), kind: 'new' });
    expect(index.of('ns', 'a').map((o) => o.kind)).toEqual(['new']);
  });
});
