import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { describeError } from '../../contract/errors.js';
import type { Clock } from '../../contract/clock.js';
import type { Logger } from '../../contract/log.js';
import { PART_SUFFIX, type FetchTarget } from '../../contract/argv/fetch.js';
import { displayUrl, type UrlPolicy } from '../../contract/fetchUrls.js';
import { LocalFileError, PermanentError, TransientError } from './errors.js';
import { guardedRequest } from './http.js';
import { PartFile } from './partFile.js';
import type { FetchProgress, FileProgress } from './progress.js';
import { http } from '../../contract/nodeHttp.js';

export interface DownloadOptions {
  /** Failed attempts in a row before giving up; an attempt that gets further than any before resets the count. */
  retries: number;
  /** An attempt with no response or no data for this long is abandoned (and retried). */
  timeoutSeconds: number;
  /** A file not complete this long after its download began is given up, and its .part removed. */
  deadlineSeconds: number;
  /** A file declared or received larger than this is refused, and its .part removed. */
  maxBytes: number;
  /** Where requests and redirects may go. */
  policy: UrlPolicy;
}

export interface DownloadDeps {
  clock: Clock;
  sleep: (seconds: number) => Promise<void>;
  log: Logger;
}

const MAX_BACKOFF_SECONDS = 30;

/** identity: the bytes counted, hashed and asked for by Range are the file's, not a compressed form. */
const IDENTITY = { 'Accept-Encoding': 'identity' };

/** 408, 429 and 5xx may pass; any other error status will not. */
const isTransient = (status: number) => status === 408 || status === 429 || status >= 500;

/** `bytes <start>-<end>/<total or *>` */
function parseContentRange(header: string | undefined): { start: number; total: number | null } | null {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header?.trim() ?? '');
  return m ? { start: Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) } : null;
}

function contentLength(headers: IncomingHttpHeaders): number | null {
  const value = headers['content-length'];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : null;
}

/**
 * The size a HEAD request reports, or null: sizes up front make the first percentages right, nothing
 * depends on them (a refused host or redirect is reported by the download itself).
 */
export async function probeSize(url: string, timeoutSeconds: number, policy: UrlPolicy): Promise<number | null> {
  try {
    const signal = AbortSignal.timeout(timeoutSeconds * 1000);
    const res = await guardedRequest(url, { method: 'HEAD', headers: IDENTITY, signal }, policy);
    res.resume();
    const status = res.statusCode ?? 0;
    return status >= 200 && status < 300 ? contentLength(res.headers) : null;
  } catch {
    return null;
  }
}

/** What a response to the request for the rest of the file means for the .part. */
interface Outcome {
  /** Append this response's body; false: ask again. */
  append: boolean;
  /** Why the .part starts over first, if it does. */
  restart?: string;
  /** The whole file's size, when the response says. */
  total: number | null;
}

function outcomeOf(res: IncomingMessage, offset: number): Outcome {
  const status = res.statusCode ?? 0;
  if (status === 206) {
    const header = res.headers['content-range'] ?? '';
    const range = parseContentRange(header);
    if (offset === 0) throw new PermanentError(`206 with Content-Range "${header}" for a request without Range`);
    if (range?.start !== offset)
      return { append: false, restart: `the server sent Content-Range "${header}" for bytes=${offset}-`, total: null };
    return { append: true, total: range.total };
  }
  if (status === 200)
    return {
      append: true,
      total: contentLength(res.headers),
      ...(offset > 0 && { restart: 'the server ignored Range' }),
    };
  if (status === 416 && offset > 0)
    return { append: false, restart: `the server refused bytes=${offset}-`, total: null };
  const message = `${status} ${http.STATUS_CODES[status] ?? ''}`.trimEnd();
  throw isTransient(status) ? new TransientError(message) : new PermanentError(message);
}

/** A body that is compressed, or declared larger than --max-bytes, is refused before a byte of it is written. */
function refuseBody(res: IncomingMessage, total: number | null, maxBytes: number): void {
  const encoding = res.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity')
    throw new PermanentError(`the server sent Content-Encoding ${encoding} although identity was asked for`);
  if (total !== null && total > maxBytes)
    throw new PermanentError(`the server declares ${total} bytes, more than --max-bytes ${maxBytes}`, {
      discardPart: true,
    });
}

/** The body, refused at the chunk that would take the file (`start` bytes so far) past `maxBytes`. */
async function* capped(body: AsyncIterable<Buffer>, start: number, maxBytes: number): AsyncGenerator<Buffer> {
  let bytes = start;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > maxBytes)
      throw new PermanentError(`the body is larger than --max-bytes ${maxBytes}`, { discardPart: true });
    yield chunk;
  }
}

/** One file's download under way: what each attempt needs. */
interface Download {
  target: FetchTarget;
  part: PartFile;
  file: FileProgress;
  options: DownloadOptions;
  /** Aborted, with the PermanentError to throw, once --deadline has passed. */
  deadline: AbortSignal;
  log: Logger;
}

/** What a failed attempt throws: the deadline's error, a local error as it is, anything else in GET's context. */
function attemptError(error: unknown, { target, deadline }: Download, stall: AbortSignal): unknown {
  if (deadline.aborted) return deadline.reason as PermanentError;
  if (error instanceof LocalFileError) return error;
  // aborted by the stall timer: its reason says why, not the AbortError the request threw
  const cause: unknown = stall.aborted ? stall.reason : error;
  const context = `GET ${displayUrl(target.url)}`;
  return cause instanceof PermanentError
    ? new PermanentError(context, { cause, discardPart: cause.discardPart })
    : new TransientError(context, { cause });
}

/**
 * One GET for the bytes the .part lacks, appended as they come. True when the body is complete;
 * false when the .part had to start over first (a Range refused) and it should ask again.
 */
async function requestRest(download: Download): Promise<boolean> {
  const { target, part, file, options, log } = download;
  const stall = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    const seconds = options.timeoutSeconds;
    timer = setTimeout(() => stall.abort(new TransientError(`no data for ${seconds} s`)), seconds * 1000);
  };
  const offset = part.bytes;
  let res: IncomingMessage | undefined;
  arm();
  try {
    const headers = { ...IDENTITY, ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}) };
    const signal = AbortSignal.any([stall.signal, download.deadline]);
    res = await guardedRequest(target.url, { method: 'GET', headers, signal }, options.policy);
    const { append, restart, total } = outcomeOf(res, offset);
    if (append) refuseBody(res, total, options.maxBytes);
    if (restart !== undefined) {
      log.info({ file: target.name, bytes: offset, reason: restart }, 'Restarted download');
      await part.restart();
    }
    if (!append) return false;
    if (offset > 0 && restart === undefined)
      log.info({ file: target.name, bytes: offset, bytesTotal: total }, 'Resumed download');
    file.bytesTotal = total ?? file.bytesTotal;
    file.bytesDone = part.bytes;
    await part.append(capped(res as AsyncIterable<Buffer>, part.bytes, options.maxBytes), () => {
      arm();
      file.bytesDone = part.bytes;
    });
    if (total !== null && part.bytes !== total)
      throw new TransientError(`the body ended after ${part.bytes} of ${total} bytes`);
    return true;
  } catch (error) {
    throw attemptError(error, download, stall.signal);
  } finally {
    clearTimeout(timer);
    if (res && !res.complete) res.destroy();
  }
}

/** Waits `seconds`, or less when the deadline passes first. */
async function sleepUntilDeadline(sleep: DownloadDeps['sleep'], seconds: number, deadline: AbortSignal) {
  let wake = () => {};
  const passed = new Promise<void>((resolve) => {
    wake = resolve;
    deadline.addEventListener('abort', wake, { once: true });
  });
  try {
    await Promise.race([sleep(seconds), passed]);
  } finally {
    // one listener per retry would pile up over a long download
    deadline.removeEventListener('abort', wake);
  }
}

/**
 * Requests until the .part holds the whole file with the right SHA-256: resumes with Range, retries
 * dropped connections and 5xx with backoff. A mismatch is permanent unless the bytes were pieced
 * together from several responses, which earns one download from the start.
 */
async function fillPart(download: Download, deps: DownloadDeps): Promise<void> {
  const { target, part, options, deadline, log } = download;
  // an attempt that got further than any before resets the count: a long download may drop many
  // times, but a server that drops at the same place again and again (and ignores Range) gives up
  let failures = 0;
  let furthest = part.bytes;
  let pieced = part.bytes > 0;
  for (;;) {
    if (deadline.aborted) throw deadline.reason as PermanentError;
    try {
      pieced ||= part.bytes > 0;
      if (!(await requestRest(download))) continue;
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
      await sleepUntilDeadline(deps.sleep, delaySeconds, deadline);
      continue;
    }
    const sha256 = part.digest();
    if (sha256 === target.sha256) return;
    download.file.bytesDone = 0;
    if (!pieced)
      throw new PermanentError(`sha256 of ${target.name} is ${sha256}, expected ${target.sha256}`, {
        discardPart: true,
      });
    // the file may have changed between two responses (or runs): once more, in one piece
    const reason = `sha256 of the resumed download is ${sha256}, expected ${target.sha256}`;
    log.warn({ file: target.name, bytes: part.bytes, reason }, 'Restarted download');
    await part.restart();
    pieced = false;
  }
}

/**
 * Downloads one file into `dir`: streams to `<name>.part` while hashing (fillPart) and renames to
 * `<name>` only when the SHA-256 matches. A failure that makes the bytes worthless (a mismatch, over
 * --max-bytes, past --deadline) removes the .part; an interrupted download keeps it for the next run.
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
  const deadline = new AbortController();
  const late = `gave up on ${target.name}: not complete after --deadline ${options.deadlineSeconds} s`;
  const timer = setTimeout(
    () => deadline.abort(new PermanentError(late, { discardPart: true })),
    options.deadlineSeconds * 1000,
  );
  try {
    await fillPart({ target, part, file, options, deadline: deadline.signal, log }, deps);
  } catch (error) {
    if (error instanceof PermanentError && error.discardPart) await part.remove();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  await part.commit(join(dir, target.name));
  file.bytesTotal = part.bytes;
  progress.set(target.name, 'done');
  log.info({ file: target.name, bytes: part.bytes, seconds: +(clock.now() - started).toFixed(3) }, 'Downloaded file');
}
