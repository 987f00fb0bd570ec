import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import { describeError } from '../../contract/errors.js';
import type { Clock } from '../../contract/clock.js';
import type { Logger } from '../../contract/log.js';
import { PART_SUFFIX, type FetchTarget } from '../../contract/argv/fetch.js';
import { PartFile } from './partFile.js';
import type { FetchProgress, FileProgress } from './progress.js';

/** A failure that another try cannot fix (404, checksum mismatch): the fetch stops at once. */
export class PermanentError extends Error {}

/** A failure another try may fix (503, a short body), already described: not wrapped again. */
class TransientError extends Error {}

export interface DownloadOptions {
  /** Failed attempts in a row before giving up; an attempt that gets further than any before resets the count. */
  retries: number;
  /** An attempt with no response or no data for this long is abandoned (and retried). */
  timeoutSeconds: number;
}

export interface DownloadDeps {
  clock: Clock;
  sleep: (seconds: number) => Promise<void>;
  log: Logger;
}

const MAX_BACKOFF_SECONDS = 30;

/** 408, 429 and 5xx may pass; any other error status will not. */
const isTransient = (status: number) => status === 408 || status === 429 || status >= 500;

/** `bytes <start>-<end>/<total or *>` */
function parseContentRange(header: string | null): { start: number; total: number | null } | null {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header?.trim() ?? '');
  return m ? { start: Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) } : null;
}

function contentLength(headers: Headers): number | null {
  const value = headers.get('content-length');
  return value !== null && /^\d+$/.test(value) ? Number(value) : null;
}

/**
 * The size a HEAD request reports, or null: sizes up front make the first percentages right, nothing depends on them.
 */
export async function probeSize(url: string, timeoutSeconds: number): Promise<number | null> {
  try {
    const res = await fetch(url, {
      method: 'HEAD',
      headers: { 'Accept-Encoding': 'identity' },
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
    return res.ok ? contentLength(res.headers) : null;
  } catch {
    return null;
  }
}

/**
 * One GET for the bytes the .part lacks, appended as they come. True when the body is complete;
 * false when the .part had to start over first (a Range refused) and it should ask again.
 */
async function requestRest(
  target: FetchTarget,
  part: PartFile,
  file: FileProgress,
  timeoutSeconds: number,
  log: Logger,
): Promise<boolean> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${timeoutSeconds} s`)), timeoutSeconds * 1000);
  };
  const offset = part.bytes;
  const restart = async (reason: string) => {
    log.info({ file: target.name, bytes: offset, reason }, 'Restarted download');
    await part.restart();
  };
  arm();
  try {
    // identity: the bytes counted, hashed and asked for by Range are the file's, not a compressed form
    const headers: Record<string, string> = {
      'Accept-Encoding': 'identity',
      ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}),
    };
    const res = await fetch(target.url, { headers, signal: controller.signal });
    const encoding = res.headers.get('content-encoding');
    let total: number | null;
    if (res.status === 206) {
      const contentRange = res.headers.get('content-range');
      const range = parseContentRange(contentRange);
      if (range?.start !== offset || offset === 0) {
        await res.body?.cancel();
        if (offset === 0)
          throw new PermanentError(
            `GET ${target.url}: 206 with Content-Range "${contentRange}" for a request without Range`,
          );
        await restart(`the server sent Content-Range "${contentRange}" for bytes=${offset}-`);
        return false;
      }
      total = range.total;
      log.info({ file: target.name, bytes: offset, bytesTotal: total }, 'Resumed download');
    } else if (res.status === 200) {
      if (offset > 0) await restart('the server ignored Range');
      total = contentLength(res.headers);
    } else if (res.status === 416 && offset > 0) {
      await res.body?.cancel();
      await restart(`the server refused bytes=${offset}-`);
      return false;
    } else {
      await res.body?.cancel();
      const message = `GET ${target.url}: ${res.status} ${res.statusText || STATUS_CODES[res.status] || ''}`.trimEnd();
      throw isTransient(res.status) ? new TransientError(message) : new PermanentError(message);
    }
    if (encoding !== null && encoding !== 'identity') {
      await res.body?.cancel();
      throw new PermanentError(
        `GET ${target.url}: the server sent Content-Encoding ${encoding} although identity was asked for`,
      );
    }
    file.bytesTotal = total ?? file.bytesTotal;
    file.bytesDone = part.bytes;
    await part.append(res.body ?? [], () => {
      arm();
      file.bytesDone = part.bytes;
    });
    if (total !== null && part.bytes !== total)
      throw new TransientError(`GET ${target.url}: the body ended after ${part.bytes} of ${total} bytes`);
    return true;
  } catch (error) {
    if (error instanceof PermanentError || error instanceof TransientError) throw error;
    // aborted by our own timer: its reason says why, not the AbortError the body threw
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`GET ${target.url}`, { cause: controller.signal.aborted ? controller.signal.reason : error });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Downloads one file into `dir`: streams to `<name>.part` while hashing, resumes what is there with a
 * Range request, retries dropped connections and 5xx with backoff, and renames to `<name>` only when
 * the SHA-256 matches. A mismatch removes the .part; it is permanent unless the bytes were pieced
 * together from several responses, which earns one download from the start.
 */
export async function downloadFile(
  target: FetchTarget,
  dir: string,
  options: DownloadOptions,
  progress: FetchProgress,
  deps: DownloadDeps,
): Promise<void> {
  const { clock, log } = deps;
  const file = progress.file(target.name);
  const started = clock.now();
  const part = await PartFile.open(join(dir, target.name + PART_SUFFIX), (bytes) => {
    progress.set(target.name, 'verifying');
    file.bytesDone = bytes;
  });
  progress.set(target.name, 'downloading');

  // an attempt that got further than any before resets the count: a long download may drop many
  // times, but a server that drops at the same place again and again (and ignores Range) gives up
  let failures = 0;
  let furthest = part.bytes;
  let pieced = part.bytes > 0;
  for (;;) {
    try {
      pieced ||= part.bytes > 0;
      if (!(await requestRest(target, part, file, options.timeoutSeconds, log))) continue;
    } catch (error) {
      if (error instanceof PermanentError) throw error;
      failures = part.bytes > furthest ? 1 : failures + 1;
      furthest = Math.max(furthest, part.bytes);
      if (failures > options.retries)
        throw new Error(`gave up on ${target.name} after ${failures} failed attempts`, { cause: error });
      const delaySeconds = Math.min(MAX_BACKOFF_SECONDS, 2 ** (failures - 1));
      log.warn(
        { file: target.name, bytes: part.bytes, failures, delaySeconds, error: describeError(error) },
        'Retrying download',
      );
      await deps.sleep(delaySeconds);
      continue;
    }
    const sha256 = part.digest();
    if (sha256 === target.sha256) break;
    file.bytesDone = 0;
    if (!pieced) {
      await part.remove();
      throw new PermanentError(`sha256 of ${target.name} is ${sha256}, expected ${target.sha256}`);
    }
    // the file may have changed between two responses (or runs): once more, in one piece
    log.warn(
      {
        file: target.name,
        bytes: part.bytes,
        reason: `sha256 of the resumed download is ${sha256}, expected ${target.sha256}`,
      },
      'Restarted download',
    );
    await part.restart();
    pieced = false;
  }
  await part.commit(join(dir, target.name));
  file.bytesTotal = part.bytes;
  progress.set(target.name, 'done');
  log.info({ file: target.name, bytes: part.bytes, seconds: +(clock.now() - started).toFixed(3) }, 'Downloaded file');
}
