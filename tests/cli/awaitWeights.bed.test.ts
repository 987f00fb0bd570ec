import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { awaitWeightsArgs } from '../../contract/argv/awaitWeights.js';
import { COMPLETE_MARKER } from '../../contract/argv/fetch.js';
import { runGptoss, spawnGptoss } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

/** The built `gptoss await-weights` as a process, as a runtime pod's init container runs it, on a temp folder. */

const scratch = mkdtempSync(join(tmpdir(), 'gptoss-await-weights-cli-'));
let count = 0;
const newDir = () => join(scratch, `cache-${++count}`);
const DIGEST = '0123456789abcdef';

const logLines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Starts the command on `dir` (polling every second) and resolves once it logged that it waits. */
async function startWaiting(dir: string) {
  const p = spawnGptoss([...awaitWeightsArgs(dir, DIGEST), '--poll', '1']);
  await waitFor(() => p.stderr().includes('"msg":"Waiting for weights"'), 30_000, 'Waiting for weights');
  return p;
}

describe('gptoss await-weights', () => {
  it('waits on a folder not there yet and exits 0 once the test writes the mark', async () => {
    const dir = newDir();
    const p = await startWaiting(dir);
    mkdirSync(dir);
    writeFileSync(join(dir, COMPLETE_MARKER), DIGEST);
    expect(await p.exited, p.stderr()).toBe(0);
    expect(logLines(p.stderr()).map((l) => [l.msg, l.dir, l.digest, l.found])).toEqual([
      ['Waiting for weights', dir, DIGEST, 'no mark'],
      ['Found complete weights', dir, DIGEST, undefined],
    ]);
    expect(p.stdout()).toBe('');
    expect(readdirSync(dir)).toEqual([COMPLETE_MARKER]);
  });

  it('stops promptly on SIGTERM with 143 (not 0: the pod must not start without its weights)', async () => {
    const p = await startWaiting(newDir());
    const sent = Date.now();
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(143);
    expect(Date.now() - sent).toBeLessThan(2000);
    expect(logLines(p.stderr()).at(-1)).toMatchObject({ msg: 'Stopped waiting for weights' });
  });

  it('refuses a bad flag with one line and exit 2', () => {
    const r = runGptoss(['await-weights', '--dir', scratch, '--digest', 'ABC']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'gptoss await-weights: --digest must be 16 lower-case hex characters (weightsDigest of the files)\n',
    );
  });
});
