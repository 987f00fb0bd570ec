import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { configure as configureAwaitWeights } from '../../../cli/awaitWeights.js';
import {
  awaitWeightsArgs,
  loadAwaitWeightsConfig,
  type AwaitWeightsConfig,
} from '../../../contract/argv/awaitWeights.js';
import { ConfigError } from '../../../contract/errors.js';

const DIGEST = '0123456789abcdef';

/** What `gptoss await-weights` makes of an argv, through its own commander command and schema (nothing waited for). */
async function parseAwaitWeights(argv: string[]): Promise<AwaitWeightsConfig> {
  let parsed: AwaitWeightsConfig | undefined;
  const program = new Command('gptoss').exitOverride();
  configureAwaitWeights(
    program
      .command('await-weights')
      .exitOverride()
      .configureOutput({ writeErr: () => undefined }),
    () => 'error',
    'await-weights',
    async (config) => {
      parsed = config;
    },
  );
  await program.parseAsync(argv, { from: 'user' });
  if (!parsed) throw new Error('await-weights did not run');
  return parsed;
}

describe('awaitWeightsArgs (pure): what the operator writes is what gptoss await-weights reads', () => {
  it('writes --dir and --digest only, and the command reads them back with the defaults', async () => {
    const argv = awaitWeightsArgs('/cache/chat', DIGEST);
    expect(argv).toEqual(['await-weights', '--dir', '/cache/chat', '--digest', DIGEST]);
    expect(await parseAwaitWeights(argv)).toEqual({
      dir: '/cache/chat',
      digest: DIGEST,
      pollSeconds: 2,
      logEverySeconds: 30,
    });
  });

  it('reads --poll and --log-every at their bounds', async () => {
    const base = awaitWeightsArgs('/c', DIGEST);
    expect(await parseAwaitWeights([...base, '--poll', '1', '--log-every', '3600'])).toMatchObject({
      pollSeconds: 1,
      logEverySeconds: 3600,
    });
    expect(await parseAwaitWeights([...base, '--poll', '60', '--log-every', '1'])).toMatchObject({
      pollSeconds: 60,
      logEverySeconds: 1,
    });
  });

  it('refuses an option it does not know (nothing is silently ignored)', async () => {
    await expect(parseAwaitWeights([...awaitWeightsArgs('/c', DIGEST), '--timeout', '5'])).rejects.toThrow(
      "error: unknown option '--timeout'",
    );
  });
});

describe('loadAwaitWeightsConfig refuses every bad flag with one exact line', () => {
  const good = { dir: '/c', digest: DIGEST };
  it.each([
    [{ digest: DIGEST }, '--dir is required'],
    [{ dir: '', digest: DIGEST }, '--dir is required'],
    [{ dir: '/c' }, '--digest is required'],
    [{ ...good, digest: '' }, '--digest must be 16 lower-case hex characters (weightsDigest of the files)'],
    [
      { ...good, digest: DIGEST.toUpperCase() },
      '--digest must be 16 lower-case hex characters (weightsDigest of the files)',
    ],
    [{ ...good, digest: DIGEST + '0' }, '--digest must be 16 lower-case hex characters (weightsDigest of the files)'],
    [
      { ...good, digest: 'g123456789abcdef' },
      '--digest must be 16 lower-case hex characters (weightsDigest of the files)',
    ],
    [{ ...good, poll: '0' }, '--poll must be between 1 and 60'],
    [{ ...good, poll: '61' }, '--poll must be between 1 and 60'],
    [{ ...good, poll: '1.5' }, '--poll must be a whole number'],
    [{ ...good, poll: 'soon' }, '--poll must be a number'],
    [{ ...good, logEvery: '0' }, '--log-every must be between 1 and 3600'],
    [{ ...good, logEvery: '3601' }, '--log-every must be between 1 and 3600'],
    [{ ...good, logEvery: '2.5' }, '--log-every must be a whole number'],
    [{ ...good, logEvery: 'often' }, '--log-every must be a number'],
  ])('%j: %s', (flags, message) => {
    expect(() => loadAwaitWeightsConfig(flags)).toThrow(new ConfigError(message));
  });
});
