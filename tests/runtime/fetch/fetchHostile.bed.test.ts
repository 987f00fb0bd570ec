import { spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FetchFile } from '../../../contract/argv/fetch.js';
import type { ProgressSnapshot } from '../../../runtime/fetch/progress.js';
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
  runFetch,
  scratchFolders,
  sha256,
  useFileServers,
} from './fetchRuns.js';

/**
 * A tenant who creates a GptOssModel chooses the URLs `gptoss fetch` requests from inside the cluster.
 * Each attack here ends with one line that says what was refused, exit 1 (2 when the arguments alone
 * show it), and no file left behind.
 */

const { newDest } = scratchFolders('gptoss-fetch-hostile-');
const serveFiles = useFileServers();
const SINGLE = 'gpt-oss-tiny.gguf';
const NOT_ALLOWED = 'not allowed without --allow-host';
let single: Buffer;
let singleFiles: Record<string, Buffer>;

beforeAll(() => {
  single = readFileSync(modelPath('scripted'));
  singleFiles = { [SINGLE]: single };
});

const portOf = (server: FileServer) => new URL(server.url(SINGLE)).port;
/** The same file, by another name for the same server. */
const viaHost = (server: FileServer, host: string, name = SINGLE) => `http://${host}:${portOf(server)}/${name}`;
const fileAt = (url: string): FetchFile[] => [{ url, sha256: sha256(single) }];

/** The first loopback address `localhost` resolves to here, as the fetch orders them (IPv4 first). */
async function localhostAddress(): Promise<string> {
  const [first] = await lookup('localhost', { all: true, order: 'ipv4first' });
  return first!.address;
}

describe('refused from the arguments alone: exit 2, nothing created, nothing requested', () => {
  it.each([
    [
      'credentials in the URL, echoed nowhere',
      'https://alice:s3cr=t@models.example/a.gguf',
      'https://***@models.example/a.gguf: must not carry credentials (user:password@)',
    ],
    [
      'plain http',
      'http://models.example/a.gguf',
      'http://models.example/a.gguf: must be an https URL (http only with --allow-http)',
    ],
    [
      'the cloud metadata address',
      'https://169.254.169.254/latest/a.gguf',
      `https://169.254.169.254/latest/a.gguf: 169.254.169.254 is a link-local address, ${NOT_ALLOWED}`,
    ],
    [
      'the API server by its in-cluster name',
      'https://kubernetes.default.svc/a.gguf',
      `https://kubernetes.default.svc/a.gguf: kubernetes.default.svc is an in-cluster name, ${NOT_ALLOWED}`,
    ],
    [
      "another namespace's service",
      'https://minio.storage.svc.cluster.local:9000/a.gguf',
      'https://minio.storage.svc.cluster.local:9000/a.gguf: minio.storage.svc.cluster.local is an in-cluster name, ' +
        NOT_ALLOWED,
    ],
    [
      'loopback over IPv6',
      'https://[::1]:8080/a.gguf',
      `https://[::1]:8080/a.gguf: ::1 is a loopback address, ${NOT_ALLOWED}`,
    ],
    [
      'loopback spelled as one number',
      'https://2130706433/a.gguf',
      `https://2130706433/a.gguf: 127.0.0.1 is a loopback address, ${NOT_ALLOWED}`,
    ],
    [
      'a private network',
      'https://10.96.0.1/a.gguf',
      `https://10.96.0.1/a.gguf: 10.96.0.1 is a private address, ${NOT_ALLOWED}`,
    ],
  ])('%s', (_name, url, message) => {
    const dest = newDest();
    const r = runGptoss(['fetch', '--dest', dest, '--port', '0', '--file', `${url}=${'0'.repeat(64)}`]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(errorLine(r.stderr)).toBe(`gptoss fetch: ${message}`);
    expect(r.stderr).not.toMatch(/alice|s3cr/);
    expect(existsSync(dest)).toBe(false);
  });
});

describe('refused once resolved or redirected: exit 1, on stderr and in /progress, nothing left', () => {
  it('a name that resolves to loopback: refused before connecting', async () => {
    const server = await serveFiles(singleFiles);
    const url = viaHost(server, 'localhost');
    const message = `GET ${url}: localhost resolves to ${await localhostAddress()}, a loopback address, ${NOT_ALLOWED}`;
    const dest = newDest();
    const p = spawnGptoss(argsFor(fileAt(url), dest, ['--linger', '3'], { allowHttp: true }));
    const base = await p.printed(/HTTP=(\S+)/);
    let last: ProgressSnapshot | undefined;
    await waitFor(
      async () => {
        last = (await getJson(base, '/progress')).json;
        return last.phase === 'failed';
      },
      10_000,
      'phase failed',
    );
    expect(last).toMatchObject({ phase: 'failed', error: message, files: [{ name: SINGLE, state: 'failed' }] });
    expect(await p.exited).toBe(1);
    expect(errorLine(p.stderr())).toBe(`gptoss fetch: ${message}`);
    expect(server.requests).toEqual([]);
    expectOnly(dest, []);
  });

  it('a name allowed as such is fetched, whatever it resolves to', async () => {
    const server = await serveFiles(singleFiles);
    const dest = newDest();
    const policy = { allowHttp: true, allowHosts: ['localhost'] };
    const r = await runFetch(argsFor(fileAt(viaHost(server, 'localhost')), dest, [], policy));
    expect(r.code, r.stderr).toBe(0);
    expect(sha256(readFileSync(join(dest, SINGLE)))).toBe(sha256(single));
  });

  it('a redirect from an allowed host to loopback is refused before it is followed', async () => {
    const target = await serveFiles(singleFiles);
    const redirector = await serveFiles({}, { redirects: { [SINGLE]: target.url(SINGLE) } }, '127.0.0.2');
    const dest = newDest();
    const policy = { allowHttp: true, allowHosts: ['127.0.0.2'] };
    const r = await runFetch(argsFor(fileAt(redirector.url(SINGLE)), dest, [], policy));
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toBe(
      `gptoss fetch: GET ${redirector.url(SINGLE)}: redirected to ${target.url(SINGLE)}: ` +
        `127.0.0.1 is a loopback address, ${NOT_ALLOWED}`,
    );
    expect(redirector.gets(SINGLE)).toHaveLength(1);
    expect(target.requests).toEqual([]);
    expectOnly(dest, []);
  });

  it('a redirect to a name is checked once the name is resolved', async () => {
    const target = await serveFiles(singleFiles);
    const redirector = await serveFiles({}, { redirects: { [SINGLE]: viaHost(target, 'localhost') } }, '127.0.0.2');
    const dest = newDest();
    const r = await runFetch(
      argsFor(fileAt(redirector.url(SINGLE)), dest, [], { allowHttp: true, allowHosts: ['127.0.0.2'] }),
    );
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toBe(
      `gptoss fetch: GET ${redirector.url(SINGLE)}: redirected to ${viaHost(target, 'localhost')}: ` +
        `localhost resolves to ${await localhostAddress()}, a loopback address, ${NOT_ALLOWED}`,
    );
    expect(target.requests).toEqual([]);
    expectOnly(dest, []);
  });

  it('redirects between allowed hosts are followed, at most 5', async () => {
    const target = await serveFiles(singleFiles);
    const redirects = { [SINGLE]: target.url(SINGLE), 'loop.gguf': '/loop.gguf' };
    const redirector = await serveFiles({}, { redirects }, '127.0.0.2');
    const policy = { allowHttp: true, allowHosts: ['127.0.0.0/8'] };
    const dest = newDest();
    const r = await runFetch(argsFor(fileAt(redirector.url(SINGLE)), dest, [], policy));
    expect(r.code, r.stderr).toBe(0);
    expect(target.gets(SINGLE).map((g) => g.status)).toEqual([200]);
    expect(sha256(readFileSync(join(dest, SINGLE)))).toBe(sha256(single));

    const looped = await runFetch(argsFor(fileAt(redirector.url('loop.gguf')), newDest(), [], policy));
    expect(looped.code).toBe(1);
    expect(errorLine(looped.stderr)).toBe(`gptoss fetch: GET ${redirector.url('loop.gguf')}: more than 5 redirects`);
    expect(redirector.gets('loop.gguf')).toHaveLength(6);
  });
});

describe('bounded: size and time', () => {
  it('a declared size over --max-bytes is refused before a byte is written', async () => {
    const server = await serveFiles(singleFiles);
    const dest = newDest();
    const r = await runFetch(argsFor(filesOf(server, singleFiles), dest, ['--max-bytes', '100000']));
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toBe(
      `gptoss fetch: GET ${server.url(SINGLE)}: ` +
        `the server declares ${single.length} bytes, more than --max-bytes 100000`,
    );
    expect(server.gets(SINGLE)).toHaveLength(1);
    expectOnly(dest, []);
  });

  it('an endless body without a declared size stops at --max-bytes; the .part is removed', async () => {
    const server = await serveFiles({}, { endless: ['endless.gguf'] });
    const dest = newDest();
    const url = server.url('endless.gguf');
    const r = await runFetch(argsFor([{ url, sha256: '0'.repeat(64) }], dest, ['--max-bytes', '1000000']));
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toBe(`gptoss fetch: GET ${url}: the body is larger than --max-bytes 1000000`);
    expect(server.gets('endless.gguf')).toHaveLength(1);
    expectOnly(dest, []);
  });

  it('a trickle that never stalls long enough for --timeout ends at --deadline; the .part is removed', async () => {
    const server = await serveFiles(singleFiles, { trickle: { chunkBytes: 1, intervalMs: 100 } });
    const dest = newDest();
    const r = await runFetch(argsFor(filesOf(server, singleFiles), dest, ['--deadline', '2', '--timeout', '60']));
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toBe(`gptoss fetch: gave up on ${SINGLE}: not complete after --deadline 2 s`);
    expectOnly(dest, []);
  });
});

describe('local files: failures are permanent, immediate and named', () => {
  it('a local error while downloading is not retried; the message names the path and the errno', async () => {
    const dest = newDest();
    // the folder goes away between the request and the first write, as a volume that vanishes would
    const server = await serveFiles(singleFiles, { onGet: () => rmSync(dest, { recursive: true, force: true }) });
    const r = await runFetch(argsFor(filesOf(server, singleFiles), dest));
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toBe(
      `gptoss fetch: writing ${join(dest, SINGLE)}.part: ENOENT (no such file or directory)`,
    );
    expect(server.gets(SINGLE)).toHaveLength(1);
    expect(existsSync(dest)).toBe(false);
  });

  it('a destination under /proc fails at once (it hung), before any request', async () => {
    const server = await serveFiles(singleFiles);
    const r = await runFetch(argsFor(filesOf(server, singleFiles), '/proc/gptoss-fetch-test'));
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toBe(
      'gptoss fetch: creating /proc/gptoss-fetch-test: ENOENT (no such file or directory)',
    );
    expect(server.requests).toEqual([]);
  });

  it('a FIFO under the final name is refused, not read (that blocked), and left alone', async () => {
    const server = await serveFiles(singleFiles);
    const dest = newDest();
    mkdirSync(dest);
    expect(spawnSync('mkfifo', [join(dest, SINGLE)]).status).toBe(0);
    const r = await runFetch(argsFor(filesOf(server, singleFiles), dest));
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toBe(`gptoss fetch: ${join(dest, SINGLE)} is not a regular file`);
    expect(server.requests).toEqual([]);
    expectOnly(dest, [SINGLE]);
  });
});
