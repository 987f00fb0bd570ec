import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { COMPLETE_MARKER, fetchTargets, weightsDigest, type FetchFile } from '../../../contract/argv/fetch.js';
import { systemClock } from '../../../contract/clock.js';
import { urlPolicy } from '../../../contract/fetchUrls.js';
import { fetchAll } from '../../../runtime/fetch/fetchAll.js';
import { FetchProgress } from '../../../runtime/fetch/progress.js';
import { filesOf, useFileServers } from './fetchRuns.js';

/** A shared cache's completion mark, through the real fetch: a file server on loopback and real folders. */

const scratch = mkdtempSync(join(tmpdir(), 'gptoss-complete-mark-'));
let count = 0;
const newDest = () => join(scratch, `dest-${++count}`);
const serveFiles = useFileServers();

const FILES = { 'a-00001-of-00002.gguf': Buffer.from('first shard'), 'a-00002-of-00002.gguf': Buffer.from('second') };
const NAMES = Object.keys(FILES);

/** fetchAll as `gptoss fetch --mark-complete` runs it, allowed the test server (http on loopback), logs discarded. */
function fetchInto(dest: string, files: FetchFile[], markComplete = true) {
  const policy = { allowHttp: true, allowHosts: ['127.0.0.1'] };
  const targets = fetchTargets(files, urlPolicy(policy));
  const config = {
    dest,
    files: targets,
    retries: 0,
    timeoutSeconds: 10,
    deadlineSeconds: 60,
    maxBytes: 2 ** 20,
    ...policy,
    markComplete,
  };
  const deps = { clock: systemClock, sleep: () => Promise.resolve(), log: pino({ level: 'silent' }) };
  return fetchAll(config, new FetchProgress(targets.map((t) => t.name)), deps);
}

const mark = (dest: string) => join(dest, COMPLETE_MARKER);

describe('gptoss fetch --mark-complete', () => {
  it("writes the files' digest, no newline, once every file is verified; nothing else is left", async () => {
    const server = await serveFiles(FILES);
    const files = filesOf(server, FILES);
    const dest = newDest();
    await fetchInto(dest, files);
    expect(readFileSync(mark(dest), 'utf8')).toBe(weightsDigest(files));
    expect(readdirSync(dest).sort()).toEqual([COMPLETE_MARKER, ...NAMES].sort());
  });

  it('removes a stale mark before the first request, and writes the right digest over it', async () => {
    const server = await serveFiles(FILES);
    const files = filesOf(server, FILES);
    const dest = newDest();
    mkdirSync(dest);
    writeFileSync(mark(dest), 'ffffffffffffffff');
    const markAtGet: boolean[] = [];
    server.behaviour.onGet = () => markAtGet.push(existsSync(mark(dest)));
    await fetchInto(dest, files);
    expect(markAtGet).toEqual([false, false]);
    expect(readFileSync(mark(dest), 'utf8')).toBe(weightsDigest(files));
  });

  it('on a full cache only verifies (no download) and marks it complete again', async () => {
    const server = await serveFiles(FILES);
    const files = filesOf(server, FILES);
    const dest = newDest();
    await fetchInto(dest, files);
    writeFileSync(mark(dest), 'stale content');
    const before = server.requests.length;
    await fetchInto(dest, files);
    expect(server.requests.slice(before)).toEqual([]);
    expect(readFileSync(mark(dest), 'utf8')).toBe(weightsDigest(files));
  });

  it('a failed fetch (a checksum mismatch) leaves no mark, the stale one removed', async () => {
    const server = await serveFiles(FILES);
    const files = filesOf(server, FILES);
    const wrong = [files[0]!, { ...files[1]!, sha256: 'e'.repeat(64) }];
    const dest = newDest();
    mkdirSync(dest);
    writeFileSync(mark(dest), weightsDigest(wrong));
    await expect(fetchInto(dest, wrong)).rejects.toThrow(
      `sha256 of ${NAMES[1]} is ${filesOf(server, FILES)[1]!.sha256}, expected ${'e'.repeat(64)}`,
    );
    expect(readdirSync(dest)).toEqual([NAMES[0]]);
  });

  it('without the flag no mark is written', async () => {
    const server = await serveFiles(FILES);
    const dest = newDest();
    await fetchInto(dest, filesOf(server, FILES), false);
    expect(readdirSync(dest).sort()).toEqual(NAMES);
  });
});
