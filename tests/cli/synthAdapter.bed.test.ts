import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGptoss, startServe } from '../helpers/cli.js';
import { modelPath } from '../helpers/models.js';

const scratch = mkdtempSync(join(tmpdir(), 'gptoss-adapter-cli-'));

/** Exactly one line on stderr, no stack trace. */
function expectOneLine(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

/** Writes an adapter for a test model with the built command; its path. */
function adapterFor(model: 'tiny' | 'llama'): string {
  const out = join(scratch, `${model}-adapter.gguf`);
  const r = runGptoss(['synth-model', '--adapter-for', modelPath(model), '--rank', '4', '--out', out]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout.trim()).toBe(out);
  return out;
}

describe('gptoss synth-model --adapter-for: exit codes', () => {
  it.each([
    [
      ['--adapter-for', '/no/such.gguf', '--rank', '4'],
      /^gptoss synth-model: --adapter-for file \/no\/such\.gguf: no such file$/,
    ],
    [['--adapter-for', 'TINY', '--rank', '0'], /^gptoss synth-model: --rank must be at least 1$/],
    [
      ['--adapter-for', 'TINY', '--rank', '33'],
      /^gptoss synth-model: --rank 33 is larger than the model's smallest projection dimension, 32$/,
    ],
    [['--adapter-for', 'TINY', '--rank', '4', '--arch', 'llama'], /^gptoss synth-model: --arch does not go with/],
  ])('%j: exit 2, one line, nothing written', (args, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'gptoss-adapter-args-'));
    const r = runGptoss([
      'synth-model',
      ...args.map((a) => (a === 'TINY' ? modelPath('tiny') : a)),
      '--out',
      join(dir, 'a.gguf'),
    ]);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr, message);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('gptoss serve --adapter: exit codes', () => {
  it('a bad --adapter value: exit 2', () => {
    const r = runGptoss(['serve', '--model', modelPath('tiny'), '--adapter', 'fr']);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr, /^gptoss serve: --adapter "fr" must be NAME=PATH\[:SCALE\]$/);
  });

  it('an adapter for another architecture: exit 1, naming the mismatch, before loading anything', () => {
    const r = runGptoss(['serve', '--model', modelPath('tiny'), '--adapter', `fr=${adapterFor('llama')}`]);
    expect(r.status).toBe(1);
    expectOneLine(
      r.stderr,
      /^gptoss serve: adapter fr \(.*\) does not fit the model: made for architecture "llama" but the model is "gpt-oss"$/,
    );
  });

  it('a fitting adapter is served beside the base', async () => {
    const serve = await startServe(['--model', modelPath('tiny'), '--adapter', `fr=${adapterFor('tiny')}:0.5`]);
    try {
      const models = (await (await fetch(`${serve.http}/v1/models`)).json()) as { data: Array<{ id: string }> };
      expect(models.data.map((m) => m.id)).toEqual(['gpt-oss-tiny-seed1', 'gpt-oss-tiny-seed1:fr']);
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });
});
