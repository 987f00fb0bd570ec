import { describe, expect, it } from 'vitest';
import { byCodeUnits } from '../../contract/order.js';

describe('byCodeUnits', () => {
  it("orders as Array.prototype.sort's default does, in any locale: upper case before lower, accents last", () => {
    const words = ['b', 'é', 'B', 'a', 'Z', 'a-b', 'a', 'ab', '2', '10'];
    expect([...words].sort(byCodeUnits)).toEqual([...words].sort());
    expect([...words].sort(byCodeUnits)).toEqual(['10', '2', 'B', 'Z', 'a', 'a', 'a-b', 'ab', 'b', 'é']);
    expect(byCodeUnits('x', 'x')).toBe(0);
    expect(byCodeUnits('a', 'b')).toBeLessThan(0);
    expect(byCodeUnits('b', 'a')).toBeGreaterThan(0);
  });
});
