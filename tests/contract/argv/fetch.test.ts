import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { configure as configureFetch } from '../../../cli/fetch.js';
import {
  fetchArgs,
  fetchedModelPath,
  fetchStorageBytes,
  type FetchConfig,
  type FetchFile,
} from '../../../contract/argv/fetch.js';

describe('fetchArgs (pure): what the operator writes is what the command reads', () => {
  it('round-trips through the command\'s own parser, URLs with "=" and encoded names included', async () => {
    const files: FetchFile[] = [
      {
        url: 'https://huggingface.co/org/repo/resolve/main/gpt-oss-120b-00001-of-00003.gguf?download=true&x=1',
        sha256: 'A'.repeat(64),
      },
      { url: 'https://example.com/a/b%20c.gguf', sha256: 'b'.repeat(64) },
      { url: 'http://10.0.0.1:8000/m/third.gguf#frag', sha256: 'c'.repeat(64) },
    ];
    let parsed: FetchConfig | undefined;
    const program = new Command('gptoss');
    configureFetch(
      program.command('fetch'),
      () => 'info',
      'fetch',
      async (config) => {
        parsed = config;
      },
    );
    await program.parseAsync(fetchArgs(files, '/models', 8081, { retries: 3, timeoutSeconds: 30 }), { from: 'user' });
    expect(parsed).toEqual({
      dest: '/models',
      listenAddress: '0.0.0.0',
      port: 8081,
      retries: 3,
      timeoutSeconds: 30,
      lingerSeconds: 0,
      files: [
        { ...files[0], sha256: 'a'.repeat(64), name: 'gpt-oss-120b-00001-of-00003.gguf' },
        { ...files[1], name: 'b c.gguf' },
        { ...files[2], name: 'third.gguf' },
      ],
    });
    expect(fetchedModelPath(files, '/models/')).toBe('/models/gpt-oss-120b-00001-of-00003.gguf');
  });

  it('fetchStorageBytes: the files plus room for metadata, whole MiB', () => {
    const bytes = fetchStorageBytes(12_101_906_912);
    expect(bytes % 2 ** 20).toBe(0);
    expect(bytes).toBeGreaterThan(12_101_906_912 + 256 * 2 ** 20);
    expect(bytes).toBeLessThan(12_101_906_912 * 1.05);
  });
});
