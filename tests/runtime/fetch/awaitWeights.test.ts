import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AwaitWeightsConfig } from '../../../contract/argv/awaitWeights.js';
import { COMPLETE_MARKER } from '../../../contract/argv/fetch.js';
import { awaitWeights, inspectMark } from '../../../runtime/fetch/awaitWeights.js';

/**
 * The waiter on real folders. Its collaborators are fakes, named: a manual clock that only `sleep`
 * moves, a `sleep` that runs the test's script at each tick, and a logger writing JSON lines to an array.
 */

const scratch = mkdtempSync(join(tmpdir(), 'gptoss-await-weights-'));
let count = 0;
const newDir = () => {
  const dir = join(scratch, `cache-${++count}`);
  mkdirSync(dir);
  return dir;
};

const DIGEST = '0123456789abcdef';
const OTHER = 'fedcba9876543210';

interface Line {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** Runs awaitWeights on a manual clock; `atSecond` is called after each sleep with the clock's time. */
async function waitWith(
  config: AwaitWeightsConfig,
  atSecond: (t: number, stop: () => void) => void = () => undefined,
  maxSeconds = 600,
) {
  let now = 1000;
  const lines: Line[] = [];
  const log = pino(
    { base: undefined, timestamp: false, formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => lines.push(JSON.parse(line) as Line) },
  );
  const controller = new AbortController();
  const sleeps: number[] = [];
  const clock = { now: () => now, date: () => new Date(now * 1000) };
  const sleep = (seconds: number) => {
    sleeps.push(seconds);
    now += seconds;
    if (now - 1000 > maxSeconds) throw new Error(`still waiting after ${maxSeconds} s`);
    atSecond(now - 1000, () => controller.abort());
    return Promise.resolve();
  };
  const outcome = await awaitWeights(config, { clock, sleep, log }, controller.signal);
  return { outcome, lines, sleeps, seconds: now - 1000 };
}

const configFor = (dir: string, more: Partial<AwaitWeightsConfig> = {}): AwaitWeightsConfig => ({
  dir,
  digest: DIGEST,
  pollSeconds: 2,
  logEverySeconds: 30,
  ...more,
});

describe('awaitWeights', () => {
  it('returns at once on a complete cache, with one line and no wait', async () => {
    const dir = newDir();
    writeFileSync(join(dir, COMPLETE_MARKER), DIGEST);
    const r = await waitWith(configFor(dir));
    expect(r.outcome).toBe('found');
    expect(r.sleeps).toEqual([]);
    expect(r.lines).toEqual([{ level: 'info', msg: 'Found complete weights', dir, digest: DIGEST, seconds: 0 }]);
  });

  it('polls every --poll seconds until the right mark appears, logging at start and every --log-every', async () => {
    const dir = newDir();
    const r = await waitWith(configFor(dir, { pollSeconds: 2, logEverySeconds: 10 }), (t) => {
      if (t === 14) writeFileSync(join(dir, COMPLETE_MARKER), OTHER);
      if (t === 24) writeFileSync(join(dir, COMPLETE_MARKER), DIGEST);
    });
    expect(r.outcome).toBe('found');
    expect(r.seconds).toBe(24);
    expect(new Set(r.sleeps)).toEqual(new Set([2]));
    expect(r.lines).toEqual([
      { level: 'info', msg: 'Waiting for weights', dir, digest: DIGEST, found: 'no mark', seconds: 0 },
      { level: 'info', msg: 'Waiting for weights', dir, digest: DIGEST, found: 'no mark', seconds: 10 },
      {
        level: 'info',
        msg: 'Waiting for weights',
        dir,
        digest: DIGEST,
        found: 'another digest',
        mark: OTHER,
        seconds: 20,
      },
      { level: 'info', msg: 'Found complete weights', dir, digest: DIGEST, seconds: 24 },
    ]);
    // read only: the folder holds what the test wrote, nothing else
    expect(readdirSync(dir)).toEqual([COMPLETE_MARKER]);
  });

  it('keeps waiting on a mark of another digest, or one with a newline, until stopped', async () => {
    const dir = newDir();
    writeFileSync(join(dir, COMPLETE_MARKER), `${DIGEST}\n`);
    const r = await waitWith(configFor(dir, { pollSeconds: 5, logEverySeconds: 60 }), (t, stop) => {
      if (t === 100) writeFileSync(join(dir, COMPLETE_MARKER), OTHER);
      if (t === 200) stop();
    });
    expect(r.outcome).toBe('stopped');
    expect(r.lines.map((l) => [l.seconds, l.msg, l.found, l.mark])).toEqual([
      [0, 'Waiting for weights', 'another digest', `${DIGEST}\n`],
      [60, 'Waiting for weights', 'another digest', `${DIGEST}\n`],
      [120, 'Waiting for weights', 'another digest', OTHER],
      [180, 'Waiting for weights', 'another digest', OTHER],
      [200, 'Stopped waiting for weights', undefined, undefined],
    ]);
  });

  it('a folder not there yet is no mark; an unreadable mark is a warning with one line, no stack', async () => {
    const missing = join(scratch, 'not-yet');
    expect(await inspectMark(missing, DIGEST)).toEqual({ found: 'no mark' });
    const dir = newDir();
    mkdirSync(join(dir, COMPLETE_MARKER));
    const r = await waitWith(configFor(dir), (t, stop) => {
      if (t === 4) stop();
    });
    expect(r.outcome).toBe('stopped');
    expect(r.lines[0]).toEqual({
      level: 'warn',
      msg: 'Waiting for weights',
      dir,
      digest: DIGEST,
      found: 'unreadable mark',
      error: `${join(dir, COMPLETE_MARKER)} is not a regular file`,
      seconds: 0,
    });
    expect(JSON.stringify(r.lines)).not.toMatch(/\n\s+at /);
  });

  it('a long mark is read no further than 64 bytes', async () => {
    const dir = newDir();
    writeFileSync(join(dir, COMPLETE_MARKER), 'x'.repeat(10_000));
    expect(await inspectMark(dir, DIGEST)).toEqual({ found: 'another digest', mark: 'x'.repeat(64) });
  });
});
