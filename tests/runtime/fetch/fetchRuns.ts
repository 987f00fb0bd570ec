import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { fetchArgs, type FetchArgsOptions, type FetchFile } from '../../../contract/argv/fetch.js';
import type { ProgressSnapshot } from '../../../runtime/fetch/progress.js';
import { spawnGptoss } from '../../helpers/cli.js';
import { startFileServer, type FileServer, type FileServerBehaviour } from '../../helpers/fileServer.js';

/** What the bed tests of `gptoss fetch` share: file servers, folders, the command's arguments and its output. */

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** File servers on loopback, closed after each test. */
export function useFileServers() {
  const servers: FileServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (files: Record<string, Buffer>, behaviour: FileServerBehaviour = {}, host = '127.0.0.1') => {
    const server = await startFileServer(files, behaviour, host);
    servers.push(server);
    return server;
  };
}

/** A scratch folder, and a new destination in it for each call. */
export function scratchFolders(prefix: string) {
  const scratch = mkdtempSync(join(tmpdir(), prefix));
  let count = 0;
  return { scratch, newDest: () => join(scratch, `dest-${++count}`) };
}

export const filesOf = (server: FileServer, files: Record<string, Buffer>): FetchFile[] =>
  Object.entries(files).map(([name, data]) => ({ url: server.url(name), sha256: sha256(data) }));

/** What the test servers need: plain http on 127.0.0.1, which an administrator's policy would have to allow. */
export const LOCAL_SERVERS: FetchArgsOptions = { allowHttp: true, allowHosts: ['127.0.0.1'] };
export const LOCAL_SERVER_FLAGS = ['--allow-http', '--allow-host', '127.0.0.1'];

/** The arguments the operator would write (fetchArgs), on loopback, with a free progress port. */
export const argsFor = (
  files: FetchFile[],
  dest: string,
  extra: string[] = [],
  policy: FetchArgsOptions = LOCAL_SERVERS,
) => [...fetchArgs(files, dest, 0, { listenAddress: '127.0.0.1', ...policy }), ...extra];

export async function runFetch(args: string[]) {
  const p = spawnGptoss(args);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** The structured log lines with this message. */
export const logged = (stderr: string, msg: string) =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg);

/** Exactly one line that is not a JSON log line, no stack trace. */
export function errorLine(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('{'));
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

export const expectOnly = (dest: string, names: string[]) =>
  expect(readdirSync(dest).sort()).toEqual([...names].sort());

export const getJson = async (base: string, path: string) => {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, json: (await res.json()) as ProgressSnapshot & { status?: string } };
};
