import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGptoss } from '../helpers/cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'gptoss-synth-cli-'));

describe('gptoss synth-model refuses bad arguments with one clear line and writes nothing', () => {
  it.each([
    [
      ['--arch', 'gpt-oss', '--preset', 'huge'],
      2,
      /^gptoss synth-model: --preset must be tiny, small, gpt-oss-20b or gpt-oss-120b$/m,
    ],
    [['--arch', 'mamba', '--preset', 'tiny'], 2, /^gptoss synth-model: --arch must be gpt-oss or llama$/m],
    [['--preset', 'tiny'], 2, /^gptoss synth-model: --arch must be gpt-oss or llama$/m],
    [
      ['--arch', 'llama', '--preset', 'gpt-oss-20b'],
      2,
      /^gptoss synth-model: preset gpt-oss-20b exists only for --arch gpt-oss$/m,
    ],
    [
      ['--arch', 'gpt-oss', '--preset', 'gpt-oss-20b', '--scripted'],
      2,
      /^gptoss synth-model: --scripted works with the tiny and small presets$/m,
    ],
    [['--arch', 'gpt-oss', '--preset', 'tiny', '--seed', '-4'], 2, /^gptoss synth-model: --seed must be at least 0$/m],
    [
      ['--arch', 'gpt-oss', '--preset', 'tiny', '--shards', '0'],
      2,
      /^gptoss synth-model: --shards must be between 1 and 99$/m,
    ],
  ])('%j', (args, code, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'gptoss-args-'));
    const r = runGptoss(['synth-model', ...args, '--out', join(dir, 'm.gguf')]);
    expect(r.status).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an unwritable path', () => {
    const out = join(scratch, 'no-such-dir', 'm.gguf');
    const r = runGptoss(['synth-model', '--arch', 'gpt-oss', '--preset', 'tiny', '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^gptoss synth-model: cannot write .*no-such-dir\/m\.gguf: ENOENT: no such file or directory/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
