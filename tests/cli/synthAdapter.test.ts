import { describe, expect, it } from 'vitest';
import { parseSynthFlags } from '../../cli/synthModel.js';
import { ConfigError } from '../../contract/errors.js';

// the command exits 2 with these lines: tests/cli/synthAdapter.bed.test.ts
describe('gptoss synth-model --adapter-for: its flags, apart from the model flags', () => {
  it('an adapter takes --adapter-for, --rank, --alpha, --out and --seed', () => {
    expect(parseSynthFlags({ adapterFor: '/m.gguf', rank: '8', alpha: '16', out: '/a.gguf' })).toEqual({
      kind: 'adapter',
      flags: { adapterFor: '/m.gguf', rank: 8, alpha: 16, out: '/a.gguf', seed: 1 },
    });
    expect(parseSynthFlags({ arch: 'llama', preset: 'tiny', out: '/m.gguf' })).toMatchObject({ kind: 'model' });
  });

  it.each([
    [{ adapterFor: '/m.gguf', out: '/a.gguf' }, '--rank is required with --adapter-for'],
    [{ adapterFor: '/m.gguf', rank: '0', out: '/a.gguf' }, '--rank must be at least 1'],
    [{ adapterFor: '/m.gguf', rank: 'four', out: '/a.gguf' }, '--rank must be a number'],
    [{ adapterFor: '/m.gguf', rank: '2.5', out: '/a.gguf' }, '--rank must be a whole number'],
    [{ adapterFor: '/m.gguf', rank: '4', alpha: '0', out: '/a.gguf' }, '--alpha must be more than 0'],
    [{ adapterFor: '/m.gguf', rank: '4' }, '--out is required'],
    [{ adapterFor: '', rank: '4', out: '/a.gguf' }, '--adapter-for must name a file'],
    [
      { adapterFor: '/m.gguf', rank: '4', out: '/a.gguf', preset: 'tiny' },
      '--preset does not go with --adapter-for (an adapter takes its shape from the model)',
    ],
    [{ adapterFor: '/m.gguf', rank: '4', out: '/a.gguf', sparse: true }, '--sparse does not go with --adapter-for'],
    [{ arch: 'gpt-oss', preset: 'tiny', out: '/m.gguf', rank: '4' }, '--rank needs --adapter-for'],
    [{ arch: 'gpt-oss', preset: 'tiny', out: '/m.gguf', alpha: '4' }, '--alpha needs --adapter-for'],
  ])('%j', (flags, message) => {
    const parse = () => parseSynthFlags(flags);
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(message);
  });
});
