import { describe, expect, it } from 'vitest';
import { classesOfPool, gpuClasses, nodesMatching } from '../../../operator/planner/gpuClasses.js';
import { POOL } from '../../helpers/nodePool.js';

describe('classesOfPool: GPU classes once per node list and selector', () => {
  const L4 = { 'nvidia.com/gpu.product': 'NVIDIA-L4' };

  it.each([
    ['no selector', undefined],
    ['a selector', L4],
    ['a selector nothing matches', { 'nvidia.com/gpu.product': 'none' }],
  ] as const)('%s: the same classes as computing them afresh', (_what, selector) => {
    expect(classesOfPool()(POOL, selector)).toEqual(gpuClasses(nodesMatching(POOL, selector)));
  });

  it('the same list and selector (in any key order) give the same result; another list is computed again', () => {
    const classesOf = classesOfPool();
    const first = classesOf(POOL, { a: '1', b: '2' });
    expect(classesOf(POOL, { b: '2', a: '1' })).toBe(first);
    expect(classesOf(POOL, undefined)).not.toBe(first);
    const fewer = POOL.filter((n) => !n.labels['nvidia.com/gpu.product']?.includes('L4'));
    expect(classesOf(fewer, undefined)).toEqual(gpuClasses(fewer));
    expect(classesOf(fewer, undefined).some((c) => c.product === 'NVIDIA-L4')).toBe(false);
  });
});
