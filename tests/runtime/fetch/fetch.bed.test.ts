import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { beforeAll, describe, expect, it } from 'vitest';
import { fetchedModelPath } from '../../../contract/argv/fetch.js';
import type { ProgressSnapshot } from '../../../runtime/fetch/progress.js';
import { synthModel } from '../../../runtime/synth/synthModel.js';
import { runGptoss, spawnGptoss } from '../../helpers/cli.js';
import type { FileServer } from '../../helpers/fileServer.js';
import { modelPath } from '../../helpers/models.js';
import { waitFor } from '../../helpers/wait.js';
import {
  argsFor,
  errorLine,
  expectOnly,
  filesOf,
  getJson,
  LOCAL_SERVER_FLAGS,
  logged,
  runFetch,
  scratchFolders,
  sha256,
  useFileServers,
} from './fetchRuns.js';

const folders = scratchFolders('gptoss-fetch-');
const { scratch } = folders;

const SINGLE = 'gpt-oss-tiny.gguf';
let single: Buffer;
/** The tiny model in three shards, as gguf-split names them. */
let shards: Record<string, Buffer>;
let shardNames: string[];

beforeAll(async () => {
  single = readFileSync(modelPath('scripted'));
  mkdirSync(join(scratch, 'source'));
  const written = await synthModel({
    arch: 'gpt-oss',
    preset: 'tiny',
    seed: 1,
    shards: 3,
    out: join(scratch, 'source', 'sharded.gguf'),
  });
  shardNames = written.files.map((f) => f.slice(f.lastIndexOf('/') + 1));
  shards = Object.fromEntries(written.files.map((f, i) => [shardNames[i]!, readFileSync(f)]));
});

const serveFiles = useFileServers();
const newDest = () => folders.newDest();

describe('gptoss fetch downloads and verifies', () => {
  it("a single file: saved under its URL's name, right bytes, loads, nothing else left, exit 0", async () => {
    const files = { [SINGLE]: single };
    const server = await serveFiles(files);
    const dest = newDest();
    const r = await runFetch(argsFor(filesOf(server, files), dest));
    expect(r.stderr).not.toMatch(/"level":"(warn|error)"/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^HTTP=http:\/\/127\.0\.0\.1:\d+\n$/);
    expectOnly(dest, [SINGLE]);
    expect(sha256(readFileSync(join(dest, SINGLE)))).toBe(sha256(single));
    expect(logged(r.stderr, 'Downloaded file')).toEqual([
      expect.objectContaining({ file: SINGLE, bytes: single.length, seconds: expect.any(Number) }),
    ]);
    const info = await readGgufFileInfo(join(dest, SINGLE), { logWarnings: false });
    expect(info.metadata.general.architecture).toBe('gpt-oss');
    expect(server.gets(SINGLE).map((g) => g.range)).toEqual([undefined]);
  });

  it('a sharded model: every shard, in order; node-llama-cpp splices them from the first', async () => {
    const server = await serveFiles(shards);
    const dest = newDest();
    const files = filesOf(server, shards);
    const r = await runFetch(argsFor(files, dest));
    expect(r.code, r.stderr).toBe(0);
    expectOnly(dest, shardNames);
    for (const name of shardNames) expect(sha256(readFileSync(join(dest, name))), name).toBe(sha256(shards[name]!));
    expect(logged(r.stderr, 'Downloaded file').map((l) => l.file)).toEqual(shardNames);
    const first = fetchedModelPath(files, dest);
    expect(first).toBe(join(dest, shardNames[0]!));
    const info = await readGgufFileInfo(first, { logWarnings: false });
    expect(info.splicedParts).toBe(3);
    const source = await readGgufFileInfo(join(scratch, 'source', shardNames[0]!), { logWarnings: false });
    expect(info.fullTensorInfo!.map((t) => t.name)).toEqual(source.fullTensorInfo!.map((t) => t.name));
  });

  it('an empty file is a file too', async () => {
    const files = { 'empty.bin': Buffer.alloc(0) };
    const server = await serveFiles(files);
    const dest = newDest();
    const r = await runFetch(argsFor(filesOf(server, files), dest));
    expect(r.code, r.stderr).toBe(0);
    expectOnly(dest, ['empty.bin']);
    expect(statSync(join(dest, 'empty.bin')).size).toBe(0);
  });

  it('files already there and right are not asked for again; a wrong one is removed and downloaded again', async () => {
    const server = await serveFiles(shards);
    const dest = newDest();
    mkdirSync(dest, { recursive: true });
    const [first, second, third] = shardNames as [string, string, string];
    writeFileSync(join(dest, first), shards[first]!);
    writeFileSync(join(dest, second), Buffer.from('not the second shard'));
    writeFileSync(join(dest, third), shards[third]!);
    const r = await runFetch(argsFor(filesOf(server, shards), dest));
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.filter((q) => q.name !== second)).toEqual([]);
    expect(server.gets(second)).toHaveLength(1);
    expect(logged(r.stderr, 'Verified file').map((l) => l.file)).toEqual([first, third]);
    expect(logged(r.stderr, 'Removed file with wrong checksum')).toEqual([
      expect.objectContaining({ file: second, expected: sha256(shards[second]!) }),
    ]);
    for (const name of shardNames) expect(sha256(readFileSync(join(dest, name))), name).toBe(sha256(shards[name]!));
    expectOnly(dest, shardNames);
  });
});

describe('gptoss fetch resumes', () => {
  const N = 100_000;

  /**
   * Runs a fetch whose first GET stops after N bytes; once /progress says all N are on disk the
   * server destroys the socket (dropped earlier, bytes still in the client's buffers would be lost
   * and the resume would start before N).
   */
  async function fetchDroppedAtN(server: FileServer, args: string[]) {
    const p = spawnGptoss(args);
    const base = await p.printed(/HTTP=(\S+)/);
    await waitFor(
      async () => ((await (await fetch(`${base}/progress`)).json()) as ProgressSnapshot).bytesDone === N,
      20_000,
      `${N} bytes on disk`,
    );
    server.dropStalled();
    return { code: await p.exited, stdout: p.stdout(), stderr: p.stderr() };
  }

  it('a connection dropped half way: the next request asks for the rest with Range; the file completes', async () => {
    const files = { [SINGLE]: single };
    const server = await serveFiles(files, { stallAfter: N });
    const dest = newDest();
    const r = await fetchDroppedAtN(server, argsFor(filesOf(server, files), dest));
    expect(r.code, r.stderr).toBe(0);
    expect(server.gets(SINGLE).map((g) => [g.range, g.status])).toEqual([
      [undefined, 200],
      [`bytes=${N}-`, 206],
    ]);
    expect(logged(r.stderr, 'Retrying download')).toEqual([
      expect.objectContaining({ file: SINGLE, bytes: N, failures: 1 }),
    ]);
    expect(logged(r.stderr, 'Resumed download')).toEqual([
      expect.objectContaining({ file: SINGLE, bytes: N, bytesTotal: single.length }),
    ]);
    expect(sha256(readFileSync(join(dest, SINGLE)))).toBe(sha256(single));
    expectOnly(dest, [SINGLE]);
  });

  it('a server that ignores Range (200 on resume): the .part starts over and the file is still right', async () => {
    const files = { [SINGLE]: single };
    const server = await serveFiles(files, { stallAfter: N, ignoreRange: true });
    const dest = newDest();
    const r = await fetchDroppedAtN(server, argsFor(filesOf(server, files), dest));
    expect(r.code, r.stderr).toBe(0);
    expect(server.gets(SINGLE).map((g) => [g.range, g.status])).toEqual([
      [undefined, 200],
      [`bytes=${N}-`, 200],
    ]);
    expect(logged(r.stderr, 'Restarted download')).toEqual([
      expect.objectContaining({ file: SINGLE, bytes: N, reason: 'the server ignored Range' }),
    ]);
    expect(sha256(readFileSync(join(dest, SINGLE)))).toBe(sha256(single));
    expectOnly(dest, [SINGLE]);
  });

  it('a .part that is not the start of the file: one download from the start, then the right file', async () => {
    const files = { [SINGLE]: single };
    const server = await serveFiles(files);
    const dest = newDest();
    mkdirSync(dest, { recursive: true });
    writeFileSync(join(dest, `${SINGLE}.part`), Buffer.alloc(1000, 7));
    const r = await runFetch(argsFor(filesOf(server, files), dest));
    expect(r.code, r.stderr).toBe(0);
    expect(server.gets(SINGLE).map((g) => [g.range, g.status])).toEqual([
      ['bytes=1000-', 206],
      [undefined, 200],
    ]);
    expect(logged(r.stderr, 'Restarted download')).toEqual([
      expect.objectContaining({
        file: SINGLE,
        bytes: single.length,
        reason: expect.stringMatching(/^sha256 of the resumed download is [0-9a-f]{64}, expected /),
      }),
    ]);
    expect(sha256(readFileSync(join(dest, SINGLE)))).toBe(sha256(single));
    expectOnly(dest, [SINGLE]);
  });

  it('a stalled connection: --timeout abandons it and the retry resumes', async () => {
    const files = { [SINGLE]: single };
    const server = await serveFiles(files, { stallAfter: N });
    const dest = newDest();
    const r = await runFetch(argsFor(filesOf(server, files), dest, ['--timeout', '1']));
    expect(r.code, r.stderr).toBe(0);
    expect(server.gets(SINGLE).map((g) => g.range)).toEqual([undefined, `bytes=${N}-`]);
    expect(logged(r.stderr, 'Retrying download')[0]!.error).toMatch(/no data for 1 s/);
    expect(sha256(readFileSync(join(dest, SINGLE)))).toBe(sha256(single));
  });

  it('a 503 is retried with backoff; with --retries 0 it is the end', async () => {
    const files = { [SINGLE]: single };
    const server = await serveFiles(files, { failFirst: 1 });
    const r = await runFetch(argsFor(filesOf(server, files), newDest()));
    expect(r.code, r.stderr).toBe(0);
    expect(server.gets(SINGLE).map((g) => g.status)).toEqual([503, 200]);
    expect(logged(r.stderr, 'Retrying download')).toEqual([
      expect.objectContaining({ delaySeconds: 1, error: `GET ${server.url(SINGLE)}: 503 Service Unavailable` }),
    ]);

    const strict = await serveFiles(files, { failFirst: 1 });
    const dest = newDest();
    const failed = await runFetch(argsFor(filesOf(strict, files), dest, ['--retries', '0']));
    expect(failed.code).toBe(1);
    expect(errorLine(failed.stderr)).toBe(
      `gptoss fetch: gave up on ${SINGLE} after 1 failed attempts: GET ${strict.url(SINGLE)}: 503 Service Unavailable`,
    );
    expect(existsSync(join(dest, SINGLE))).toBe(false);
  });

  it('a process killed half way (SIGKILL): the next run resumes from the .part with Range and completes', async () => {
    const files = { [SINGLE]: single };
    const server = await serveFiles(files, { trickle: { chunkBytes: 4096, intervalMs: 40 } });
    const dest = newDest();
    const args = argsFor(filesOf(server, files), dest);
    const part = join(dest, `${SINGLE}.part`);
    const first = spawnGptoss(args);
    await waitFor(() => existsSync(part) && statSync(part).size >= 32 * 1024, 20_000, '32 KiB in the .part');
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const kept = statSync(part).size;
    expect(kept).toBeLessThan(single.length);
    expect(existsSync(join(dest, SINGLE))).toBe(false);

    server.behaviour.trickle = undefined;
    const r = await runFetch(args);
    expect(r.code, r.stderr).toBe(0);
    expect(server.gets(SINGLE).map((g) => g.range)).toEqual([undefined, `bytes=${kept}-`]);
    expect(logged(r.stderr, 'Resumed download')).toEqual([expect.objectContaining({ bytes: kept })]);
    expect(sha256(readFileSync(join(dest, SINGLE)))).toBe(sha256(single));
    expectOnly(dest, [SINGLE]);
  });
});

describe('gptoss fetch fails clearly, leaving nothing behind', () => {
  it('a wrong checksum: the message names both hashes, no final file and no .part, no second try', async () => {
    const files = { [SINGLE]: single };
    const server = await serveFiles(files);
    const dest = newDest();
    const wrong = 'ab'.repeat(32);
    const r = await runFetch(argsFor([{ url: server.url(SINGLE), sha256: wrong }], dest));
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toBe(`gptoss fetch: sha256 of ${SINGLE} is ${sha256(single)}, expected ${wrong}`);
    expectOnly(dest, []);
    expect(server.gets(SINGLE)).toHaveLength(1);
  });

  it('a 404 fails at once, with the URL', async () => {
    const server = await serveFiles({});
    const dest = newDest();
    const url = server.url('absent.gguf');
    const r = await runFetch(argsFor([{ url, sha256: 'cd'.repeat(32) }], dest));
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toBe(`gptoss fetch: GET ${url}: 404 Not Found`);
    expect(server.gets('absent.gguf')).toHaveLength(1);
    expectOnly(dest, []);
  });

  it('a progress port in use: exit 1 naming the address, nothing downloaded', async () => {
    const files = { [SINGLE]: single };
    const server = await serveFiles(files);
    const taken = Number(new URL(server.url(SINGLE)).port);
    const dest = newDest();
    const r = await runFetch([...argsFor(filesOf(server, files), dest), '--port', String(taken)]);
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      new RegExp(`^gptoss fetch: binding HTTP to 127\\.0\\.0\\.1:${taken}: listen EADDRINUSE`),
    );
    expect(server.requests).toEqual([]);
    expect(existsSync(dest)).toBe(false);
  });

  it.each([
    [
      'a file without its sha256',
      ['--file', 'http://127.0.0.1:9/a.gguf'],
      /^gptoss fetch: --file http:\/\/127\.0\.0\.1:9\/a\.gguf: expected <url>=<sha256>$/,
    ],
    [
      'a sha256 that is not 64 hex',
      ['--file', 'http://127.0.0.1:9/a.gguf=abc123'],
      /^gptoss fetch: http:\/\/127\.0\.0\.1:9\/a\.gguf: sha256 must be 64 hex characters, got "abc123"$/,
    ],
    [
      'two files with one name',
      [
        '--file',
        `http://127.0.0.1:9/x/a.gguf=${'0'.repeat(64)}`,
        '--file',
        `http://127.0.0.1:9/y/a.gguf=${'1'.repeat(64)}`,
      ],
      new RegExp(
        String.raw`^gptoss fetch: http://127\.0\.0\.1:9/x/a\.gguf and http://127\.0\.0\.1:9/y/a\.gguf ` +
          String.raw`would both be saved as a\.gguf$`,
      ),
    ],
    [
      'a URL that is not http(s)',
      ['--file', `ftp://127.0.0.1:9/a.gguf=${'0'.repeat(64)}`],
      /^gptoss fetch: ftp:\/\/127\.0\.0\.1:9\/a\.gguf: must be an http or https URL$/,
    ],
    [
      'a URL without a file name',
      ['--file', `http://127.0.0.1:9/models/=${'0'.repeat(64)}`],
      /: the URL must end in a file name$/,
    ],
    [
      'a name that would leave the folder',
      ['--file', `http://127.0.0.1:9/..%2Fetc%2Fpasswd=${'0'.repeat(64)}`],
      /: the file name "\.\.\/etc\/passwd" is not a plain file name$/,
    ],
    ['no --file', [], /^gptoss fetch: --file is required: at least one <url>=<sha256>$/],
    [
      'a port out of range',
      ['--file', `http://127.0.0.1:9/a.gguf=${'0'.repeat(64)}`, '--port', '70000'],
      /^gptoss fetch: --port must be between 0 and 65535$/,
    ],
    [
      'an allowance that is no host, address or CIDR',
      ['--file', `http://127.0.0.1:9/a.gguf=${'0'.repeat(64)}`, '--allow-host', '10.0.0.0/33'],
      /^gptoss fetch: --allow-host 10\.0\.0\.0\/33: not a host name, IP address or CIDR$/,
    ],
    [
      'a size cap of 0',
      ['--file', `http://127.0.0.1:9/a.gguf=${'0'.repeat(64)}`, '--max-bytes', '0'],
      /^gptoss fetch: --max-bytes must be between 1 and 9007199254740991$/,
    ],
    [
      'a deadline of 0',
      ['--file', `http://127.0.0.1:9/a.gguf=${'0'.repeat(64)}`, '--deadline', '0'],
      /^gptoss fetch: --deadline must be between 1 and 604800$/,
    ],
  ])('bad arguments exit 2 with one line: %s', (_name, args, message) => {
    const dest = newDest();
    const r = runGptoss(['fetch', '--dest', dest, ...LOCAL_SERVER_FLAGS, ...args]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(errorLine(r.stderr)).toMatch(message);
    expect(existsSync(dest)).toBe(false);
  });
});

describe('gptoss fetch progress over HTTP', () => {
  const get = getJson;

  it('GET /progress while a slow download runs: bytesDone grows, bytesTotal is the size, then phase done', async () => {
    const files = { [SINGLE]: single };
    const server = await serveFiles(files, { trickle: { chunkBytes: 16 * 1024, intervalMs: 50 } });
    const p = spawnGptoss(argsFor(filesOf(server, files), newDest(), ['--linger', '3']));
    const base = await p.printed(/HTTP=(\S+)/);
    expect(await get(base, '/healthz')).toEqual({ status: 200, json: { status: 'ok' } });
    const seen: ProgressSnapshot[] = [];
    await waitFor(
      async () => {
        const { json } = await get(base, '/progress');
        seen.push(json);
        return json.phase === 'done';
      },
      30_000,
      'phase done',
      50,
    );
    expect(seen.slice(0, -1).map((s) => s.phase)).toEqual(seen.slice(0, -1).map(() => 'downloading'));
    // before the GET the file is pending (its size comes from the HEAD); from the GET on, the size is known
    const downloading = seen.filter((s) => s.files[0]!.state === 'downloading');
    const done = downloading.map((s) => s.bytesDone);
    expect(new Set(done).size).toBeGreaterThanOrEqual(3);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    for (const s of downloading) {
      expect(s.bytesTotal).toBe(single.length);
      expect(s.files).toEqual([
        { name: SINGLE, bytesDone: s.bytesDone, bytesTotal: single.length, state: 'downloading' },
      ]);
    }
    expect(seen.at(-1)).toEqual({
      phase: 'done',
      bytesDone: single.length,
      bytesTotal: single.length,
      files: [{ name: SINGLE, bytesDone: single.length, bytesTotal: single.length, state: 'done' }],
    });
    expect(await p.exited).toBe(0);
  });

  it('a failed fetch says so on /progress, with the error, while it lingers', async () => {
    const server = await serveFiles({});
    const url = server.url('absent.gguf');
    const p = spawnGptoss(argsFor([{ url, sha256: 'cd'.repeat(32) }], newDest(), ['--linger', '3']));
    const base = await p.printed(/HTTP=(\S+)/);
    let last: ProgressSnapshot | undefined;
    await waitFor(
      async () => {
        last = (await get(base, '/progress')).json;
        return last.phase === 'failed';
      },
      10_000,
      'phase failed',
    );
    expect(last).toEqual({
      phase: 'failed',
      bytesDone: 0,
      bytesTotal: null,
      error: `GET ${url}: 404 Not Found`,
      files: [{ name: 'absent.gguf', bytesDone: 0, bytesTotal: null, state: 'failed' }],
    });
    expect(await p.exited).toBe(1);
  });
});
