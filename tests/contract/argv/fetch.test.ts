import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { configure as configureFetch } from '../../../cli/fetch.js';
import { createHash } from 'node:crypto';
import {
  COMPLETE_MARKER,
  fetchArgs,
  fetchedModelPath,
  fetchStorageBytes,
  fetchTargets,
  type FetchConfig,
  type FetchFile,
  weightsDigest,
} from '../../../contract/argv/fetch.js';
import { ConfigError } from '../../../contract/errors.js';

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
    const options = {
      retries: 3,
      timeoutSeconds: 30,
      deadlineSeconds: 7200,
      maxBytes: fetchStorageBytes(63_379_686_848),
      // the third file is on a private address, over plain http: an administrator's policy allows it
      allowHttp: true,
      allowHosts: ['10.0.0.0/8', 'minio.storage.svc'],
      markComplete: true,
    };
    await program.parseAsync(fetchArgs(files, '/models', 8081, options), { from: 'user' });
    expect(parsed).toEqual({
      dest: '/models',
      listenAddress: '0.0.0.0',
      port: 8081,
      ...options,
      lingerSeconds: 0,
      files: [
        { ...files[0], sha256: 'a'.repeat(64), name: 'gpt-oss-120b-00001-of-00003.gguf' },
        { ...files[1], name: 'b c.gguf' },
        { ...files[2], name: 'third.gguf' },
      ],
    });
    expect(fetchedModelPath(files, '/models/')).toBe('/models/gpt-oss-120b-00001-of-00003.gguf');
  });

  it('without options: https to public hosts only, a 6 h deadline, 128 GiB per file', async () => {
    const files: FetchFile[] = [{ url: 'https://example.com/a.gguf', sha256: 'a'.repeat(64) }];
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
    const args = fetchArgs(files, '/models', 8081);
    expect(args).not.toContain('--allow-http');
    expect(args).not.toContain('--allow-host');
    expect(args).not.toContain('--mark-complete');
    await program.parseAsync(args, { from: 'user' });
    expect(parsed).toMatchObject({
      allowHttp: false,
      allowHosts: [],
      deadlineSeconds: 21_600,
      maxBytes: 2 ** 37,
      markComplete: false,
    });
  });

  it('fetchTargets refuses, by default, what the command refuses without allowances', () => {
    expect(() => fetchTargets([{ url: 'http://10.0.0.1/a.gguf', sha256: 'a'.repeat(64) }])).toThrow(
      new ConfigError('http://10.0.0.1/a.gguf: must be an https URL (http only with --allow-http)'),
    );
    expect(() => fetchTargets([{ url: 'https://10.0.0.1/a.gguf', sha256: 'a'.repeat(64) }])).toThrow(
      new ConfigError('https://10.0.0.1/a.gguf: 10.0.0.1 is a private address, not allowed without --allow-host'),
    );
    expect(() => fetchTargets([{ url: 'https://u:secret@example.com/a.gguf?sig=x', sha256: 'a'.repeat(64) }])).toThrow(
      new ConfigError('https://***@example.com/a.gguf?…: must not carry credentials (user:password@)'),
    );
    // names and checksums are checked after the URL, and name a URL without its secrets either
    expect(() => fetchTargets([{ url: 'https://example.com/?sig=secret', sha256: 'a'.repeat(64) }])).toThrow(
      new ConfigError('https://example.com/?…: the URL must end in a file name'),
    );
  });

  it('fetchStorageBytes: the files plus room for metadata, whole MiB', () => {
    const bytes = fetchStorageBytes(12_101_906_912);
    expect(bytes % 2 ** 20).toBe(0);
    expect(bytes).toBeGreaterThan(12_101_906_912 + 256 * 2 ** 20);
    expect(bytes).toBeLessThan(12_101_906_912 * 1.05);
  });

  it('fetchTargets refuses a file that would be saved as the completion mark', () => {
    expect(() => fetchTargets([{ url: `https://example.com/${COMPLETE_MARKER}`, sha256: 'a'.repeat(64) }])).toThrow(
      new ConfigError(
        'https://example.com/.gptoss-complete: the file name ".gptoss-complete" is kept for a shared cache\'s completion mark',
      ),
    );
  });
});

describe('weightsDigest (pure): what a complete shared cache of these files holds in its mark', () => {
  const first = { url: 'https://example.com/m/a-00001-of-00002.gguf?sig=x', sha256: 'A'.repeat(64) };
  const second = { url: 'https://mirror.example.org/b%20c.gguf', sha256: 'b'.repeat(64) };
  const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

  it.each([
    ['one file: name (not URL) and lower-case sha256', [first], sha(`a-00001-of-00002.gguf=${'a'.repeat(64)}`)],
    [
      'two files, in order, one line each, decoded names',
      [first, second],
      sha(`a-00001-of-00002.gguf=${'a'.repeat(64)}\nb c.gguf=${'b'.repeat(64)}`),
    ],
    [
      'the same files in another order differ',
      [second, first],
      sha(`b c.gguf=${'b'.repeat(64)}\na-00001-of-00002.gguf=${'a'.repeat(64)}`),
    ],
    [
      'another host with the same name and checksum: the same cache',
      [{ ...first, url: 'https://other.example.net/a-00001-of-00002.gguf' }],
      sha(`a-00001-of-00002.gguf=${'a'.repeat(64)}`),
    ],
  ])('%s', (_case, files, digest) => {
    expect(weightsDigest(files)).toBe(digest);
    expect(weightsDigest(files)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('a fixed value, so an operator and a runtime of other releases agree byte for byte', () => {
    expect(weightsDigest([{ url: 'https://example.com/m.gguf', sha256: '0'.repeat(64) }])).toBe('e43915bfb4e1aa3c');
  });
});
