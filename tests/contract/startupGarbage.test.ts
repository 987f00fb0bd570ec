import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { transform } from 'esbuild-wasm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectStartupGarbage } from '../../contract/startupGarbage.js';

/**
 * Runs the module (its TypeScript stripped; it imports nothing) in a fresh Node.js with `flags` and returns V8's one
 * line a collection (`--trace-gc`) from the call on.
 */
async function collectionsTraced(flags: string[]): Promise<string[]> {
  const source = readFileSync(new URL('../../contract/startupGarbage.ts', import.meta.url), 'utf8');
  const { code } = await transform(source, { loader: 'ts', format: 'esm' });
  const program = `${code}\nconsole.log('START');\ncollectStartupGarbage();\n`;
  const run = spawnSync(process.execPath, [...flags, '--trace-gc', '--input-type=module', '-e', program], {
    encoding: 'utf8',
  });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout
    .slice(run.stdout.indexOf('START'))
    .split('\n')
    .filter((line) => /\bms: (Mark-Compact|Scavenge)/.test(line));
}

describe('collectStartupGarbage', () => {
  const exposed = (globalThis as { gc?: unknown }).gc;
  afterEach(() => {
    (globalThis as { gc?: unknown }).gc = exposed;
  });

  it.each([
    ['11.3.244.8-node.33', [[], []]],
    ['12.4.254.21-node.57', [[], [{ type: 'major', execution: 'sync', flavor: 'last-resort' }]]],
    ['13.6.233.10-node.30', [[], [{ type: 'major', execution: 'sync', flavor: 'last-resort' }]]],
  ])('on V8 %s collects twice, the second memory-reducing where V8 offers it', (v8Version, calls) => {
    // a fake gc: these cases are about the calls on each V8, the test below about what V8 does with them
    const gc = vi.fn();
    (globalThis as { gc?: unknown }).gc = gc;
    collectStartupGarbage(v8Version);
    expect(gc.mock.calls).toEqual(calls);
  });

  it('does nothing when Node.js does not expose gc', () => {
    delete (globalThis as { gc?: unknown }).gc;
    expect(() => collectStartupGarbage()).not.toThrow();
  });

  it('makes this Node.js run two full collections, the second memory-reducing from V8 12 on', async () => {
    const kinds = (await collectionsTraced(['--expose-gc'])).map(
      (line) => /(Mark-Compact|Scavenge)( \(reduce\))?/.exec(line)![0],
    );
    if (Number.parseInt(process.versions.v8, 10) >= 12) {
      // a regular one, then V8's last-resort collection: memory-reducing ones ("(reduce)") until nothing more is freed
      expect(kinds[0]).toBe('Mark-Compact');
      expect(kinds.length).toBeGreaterThanOrEqual(2);
      expect(new Set(kinds.slice(1))).toEqual(new Set(['Mark-Compact (reduce)']));
    } else {
      // V8 11 would read an options object as a minor collection (a Scavenge)
      expect(kinds).toEqual(['Mark-Compact', 'Mark-Compact']);
    }
    expect(await collectionsTraced([])).toEqual([]);
  });
});
