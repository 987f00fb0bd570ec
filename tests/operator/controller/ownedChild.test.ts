import { describe, expect, it } from 'vitest';
import { ownedChild } from '../../../operator/controller/reads.js';

const ref = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', namespace: 'team', name: 'chat' };
const MODEL = 'model-uid';
const owner = (uid: string, controller?: boolean) => ({
  apiVersion: 'gptoss.io/v1alpha1',
  kind: 'GptOssModel',
  name: 'chat',
  uid,
  ...(controller === undefined ? {} : { controller }),
});
const budget = (ownerReferences?: ReturnType<typeof owner>[], uid: string | null = 'budget-uid') => ({
  metadata: { name: 'chat', namespace: 'team', uid: uid ?? undefined, ownerReferences },
});

/** Which child a prune may delete: only one that is there and that the model controls, named by its uid. */
describe('ownedChild', () => {
  it.each([
    ['not there', null, MODEL, null],
    ['not in the cache', undefined, MODEL, null],
    ['no owners (made by hand)', budget(), MODEL, null],
    ['owned by the model but not as controller', budget([owner(MODEL, false)]), MODEL, null],
    ['owned, controller flag absent', budget([owner(MODEL)]), MODEL, null],
    ['controlled by another model', budget([owner('other-uid', true)]), MODEL, null],
    ['the model has no uid (never read from the API server)', budget([owner(MODEL, true)]), undefined, null],
    ['an object without a uid', budget([owner(MODEL, true)], null), MODEL, null],
    ['controlled by the model', budget([owner(MODEL, true)]), MODEL, { ...ref, uid: 'budget-uid' }],
    [
      'controlled by the model among other owners',
      budget([owner('other-uid', false), owner(MODEL, true)]),
      MODEL,
      { ...ref, uid: 'budget-uid' },
    ],
  ])('%s', (_, found, modelUid, expected) => {
    expect(ownedChild(ref, found, modelUid)).toEqual(expected);
  });
});
