import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectStartupGarbage } from '../../contract/startupGarbage.js';

describe('collectStartupGarbage', () => {
  const exposed = (globalThis as { gc?: () => void }).gc;
  afterEach(() => {
    (globalThis as { gc?: () => void }).gc = exposed;
  });

  it('collects twice when Node.js exposes gc (--expose-gc), and does nothing when it does not', () => {
    // a fake gc: this test is about the calls, not V8's collector
    const gc = vi.fn();
    (globalThis as { gc?: () => void }).gc = gc;
    collectStartupGarbage();
    expect(gc).toHaveBeenCalledTimes(2);
    delete (globalThis as { gc?: () => void }).gc;
    expect(() => collectStartupGarbage()).not.toThrow();
  });
});
