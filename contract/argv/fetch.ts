import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ConfigError } from '../errors.js';
import { flagsSchema, int, parseFlags, toArgv, type FlagTable } from '../flags.js';
import { FETCH_PORT } from '../names.js';
import { displayUrl, refuseCredentials, STRICT_POLICY, urlPolicy, urlProblem, type UrlPolicy } from '../fetchUrls.js';

/**
 * The contract between the operator and `gptoss fetch`: the operator builds the init container's
 * arguments with fetchArgs and the command parses them back with the same table and functions, so
 * the two cannot disagree about the format or about where a file lands. Pure.
 */

/** One file of a model, as the GptOssModel's spec.source.url.files lists it. */
export interface FetchFile {
  url: string;
  sha256: string;
}

/** A file checked and named: what `gptoss fetch` downloads to `<dest>/<name>`. */
export interface FetchTarget extends FetchFile {
  name: string;
}

export interface FetchArgsOptions {
  /** Default 0.0.0.0: the operator reads /progress from the pod IP. */
  listenAddress?: string;
  retries?: number;
  timeoutSeconds?: number;
  /** Per file; the operator passes fetchStorageBytes of the variant's size. */
  maxBytes?: number;
  deadlineSeconds?: number;
  /** An administrator's policy: plain http URLs (and redirects to them) are fetched. */
  allowHttp?: boolean;
  /** An administrator's policy: host names, addresses or CIDRs fetched although they are not public. */
  allowHosts?: readonly string[];
  /** A shared cache: write `<dest>/.gptoss-complete` once every file is verified (see COMPLETE_MARKER). */
  markComplete?: boolean;
}

/** What `--max-bytes` is without the operator's figure: above any gpt-oss GGUF (the 120b is 59 GiB). */
const DEFAULT_MAX_BYTES = 128 * 2 ** 30;

/** Suffix of a download in progress; the final name appears only once the sha256 matched. */
export const PART_SUFFIX = '.part';

/**
 * A shared cache's completion mark, `<dest>/.gptoss-complete`: written (holding weightsDigest of the
 * files) only once every file is verified, removed when a fetch starts. Runtime pods wait for it with
 * `gptoss await-weights`, so they never load a cache that is still being written.
 */
export const COMPLETE_MARKER = '.gptoss-complete';

/** `--file <url>=<sha256>`: the sha256 is 64 hex characters, so the last "=" is always the separator. */
export const fileArg = (file: FetchFile) => `${file.url}=${file.sha256}`;

/** `gptoss fetch`'s flags, keyed as commander names them. */
export const FETCH_FLAGS = {
  dest: {
    flag: '--dest <dir>',
    help: 'folder the files are saved in, each under the last segment of its URL',
    schema: z.string({ error: 'is required' }).min(1, 'is required'),
  },
  listenAddress: {
    flag: '--listen-address <addr>',
    help: 'address of the progress server (pods use 0.0.0.0)',
    schema: z.string().min(1).default('127.0.0.1'),
  },
  port: {
    flag: '--port <port>',
    help: 'port of the progress server: GET /progress, /healthz (0 picks a free one)',
    schema: int(0, 65535).default(FETCH_PORT),
  },
  retries: {
    flag: '--retries <n>',
    help:
      'failed attempts in a row per file before giving up ' +
      '(an attempt that gets further than any before resets the count)',
    schema: int(0, 1000).default(5),
  },
  timeout: {
    flag: '--timeout <seconds>',
    help: 'abandon and retry an attempt after this long without a response or data',
    schema: int(1, 86_400).default(60),
  },
  deadline: {
    flag: '--deadline <seconds>',
    help: 'give up on a file (and remove its .part) when it is not complete this long after its download began',
    schema: int(1, 604_800).default(6 * 3600),
  },
  maxBytes: {
    flag: '--max-bytes <bytes>',
    help: 'refuse a file whose declared size or body is larger (and remove its .part)',
    schema: int(1, Number.MAX_SAFE_INTEGER).default(DEFAULT_MAX_BYTES),
  },
  allowHttp: {
    flag: '--allow-http',
    help: 'fetch plain http URLs and follow redirects to them (https only without it)',
    schema: z.boolean().default(false),
  },
  allowHost: {
    flag: '--allow-host <host-or-cidr>',
    help:
      'fetch from this host name, address or CIDR although it is not public ' +
      '(loopback, link-local, private, in-cluster); repeat for more',
    repeat: true,
    schema: z.array(z.string()).default([]),
  },
  linger: {
    flag: '--linger <seconds>',
    help: 'keep answering /progress this long after the end, so a poller sees done or failed',
    schema: int(0, 3600).default(0),
  },
  markComplete: {
    flag: '--mark-complete',
    help:
      "write <dest>/.gptoss-complete holding the files' digest once every file is verified " +
      "(a shared cache's completion mark); removed at start",
    schema: z.boolean().default(false),
  },
  file: {
    flag: '--file <url=sha256>',
    help: 'a file and its SHA-256 (64 hex); repeat for every shard, first shard first',
    repeat: true,
    schema: z
      .array(z.string(), { error: 'is required: at least one <url>=<sha256>' })
      .min(1, 'is required: at least one <url>=<sha256>'),
  },
} satisfies FlagTable;

const fetchFlagsSchema = flagsSchema(FETCH_FLAGS);

/** `gptoss fetch` arguments (after the executable) that download `files` into `dest`. */
export function fetchArgs(
  files: readonly FetchFile[],
  dest: string,
  port: number,
  options: FetchArgsOptions = {},
): string[] {
  return [
    'fetch',
    ...toArgv(FETCH_FLAGS, {
      dest,
      listenAddress: options.listenAddress ?? '0.0.0.0',
      port,
      retries: options.retries,
      timeout: options.timeoutSeconds,
      deadline: options.deadlineSeconds,
      maxBytes: options.maxBytes,
      allowHttp: options.allowHttp,
      allowHost: options.allowHosts,
      markComplete: options.markComplete,
      file: files.map(fileArg),
    }),
  ];
}

export interface FetchConfig {
  dest: string;
  files: FetchTarget[];
  listenAddress: string;
  port: number;
  retries: number;
  timeoutSeconds: number;
  deadlineSeconds: number;
  maxBytes: number;
  allowHttp: boolean;
  allowHosts: string[];
  lingerSeconds: number;
  markComplete: boolean;
}

/** Defaults and validation, once at start-up: every file is checked before anything is downloaded. */
export function loadFetchConfig(flags: unknown): FetchConfig {
  const {
    dest,
    file,
    listenAddress,
    port,
    retries,
    timeout,
    deadline,
    maxBytes,
    allowHttp,
    allowHost,
    linger,
    markComplete,
  } = parseFlags(fetchFlagsSchema, flags);
  const policy = urlPolicy({ allowHttp, allowHosts: allowHost });
  return {
    dest,
    files: fetchTargets(file.map(parseFileArg), policy),
    listenAddress,
    port,
    retries,
    timeoutSeconds: timeout,
    deadlineSeconds: deadline,
    maxBytes,
    allowHttp,
    allowHosts: allowHost,
    lingerSeconds: linger,
    markComplete,
  };
}

/** The inverse of fileArg; a value without "=<sha256>" is a usage error. */
export function parseFileArg(value: string): FetchFile {
  // before the split: a password may hold "=" too
  refuseCredentials(value);
  const separator = value.lastIndexOf('=');
  if (separator < 0) throw new ConfigError(`--file ${displayUrl(value)}: expected <url>=<sha256>`);
  return { url: value.slice(0, separator), sha256: value.slice(separator + 1) };
}

/** The file name a URL downloads to: its last path segment, decoded, that cannot leave the folder. */
export function fileNameOf(url: string): string {
  const shown = displayUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${shown}: not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ConfigError(`${shown}: must be an http or https URL`);
  const segment = parsed.pathname.slice(parsed.pathname.lastIndexOf('/') + 1);
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    throw new ConfigError(`${shown}: the file name "${segment}" is not valid percent-encoding`);
  }
  if (name === '') throw new ConfigError(`${shown}: the URL must end in a file name`);
  if (name === '.' || name === '..' || /[/\\\0]/.test(name))
    throw new ConfigError(`${shown}: the file name "${name}" is not a plain file name`);
  if (name.endsWith(PART_SUFFIX))
    throw new ConfigError(
      `${shown}: the file name "${name}" ends in ${PART_SUFFIX}, which is kept for partial downloads`,
    );
  if (name === COMPLETE_MARKER)
    throw new ConfigError(`${shown}: the file name "${name}" is kept for a shared cache's completion mark`);
  if (Buffer.byteLength(name) > 255) throw new ConfigError(`${shown}: the file name is longer than 255 bytes`);
  return name;
}

/**
 * Checks every file (its checksum, its URL under `policy`) and names it; two files with one name would
 * overwrite each other.
 */
export function fetchTargets(files: readonly FetchFile[], policy: UrlPolicy = STRICT_POLICY): FetchTarget[] {
  if (files.length === 0) throw new ConfigError('no files to fetch');
  const byName = new Map<string, FetchTarget>();
  for (const file of files) {
    const shown = displayUrl(file.url);
    if (!/^[0-9a-fA-F]{64}$/.test(file.sha256))
      throw new ConfigError(`${shown}: sha256 must be 64 hex characters, got "${file.sha256}"`);
    const problem = urlProblem(file.url, policy);
    if (problem) throw new ConfigError(`${shown}: ${problem}`);
    const target = { url: file.url, sha256: file.sha256.toLowerCase(), name: fileNameOf(file.url) };
    const other = byName.get(target.name);
    if (other) throw new ConfigError(`${displayUrl(other.url)} and ${shown} would both be saved as ${target.name}`);
    byName.set(target.name, target);
  }
  return [...byName.values()];
}

/**
 * What a complete cache of `files` holds in its COMPLETE_MARKER: the first 16 hex characters of the
 * SHA-256 of `<name>=<sha256>` lines, in order, so a cache of other files (or of the same names with
 * other contents) never reads as complete. Pure.
 */
export function weightsDigest(files: readonly FetchFile[]): string {
  const lines = files.map((file) => `${fileNameOf(file.url)}=${file.sha256.toLowerCase()}`);
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

/** The file the runtime loads: the first one (the first shard of a sharded model). */
export function fetchedModelPath(files: readonly FetchFile[], dest: string): string {
  return `${dest.replace(/\/+$/, '')}/${fileNameOf(files[0]!.url)}`;
}

const MiB = 2 ** 20;

/**
 * Disk the weights volume needs for a model of `weightsBytes`: a .part is renamed, never copied, so
 * the peak is the files themselves, plus room for GGUF metadata (the tokenizer: tens of MiB) and 2 %
 * for a file that is a little larger than the reference shape.
 */
export function fetchStorageBytes(weightsBytes: number): number {
  return Math.ceil((weightsBytes * 1.02 + 256 * MiB) / MiB) * MiB;
}
