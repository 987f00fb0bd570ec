import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PART_SUFFIX } from '../../contract/argv/fetch.js';
import { LocalFileError } from './errors.js';

const errnoOf = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

/**
 * `<action> <path>: ENOSPC (no space left on device)` for a failed file operation, so a full disk or
 * a permission reads as what it is; an error without an errno is returned as it is.
 */
export function localError(action: string, path: string, error: unknown): unknown {
  const code = errnoOf(error);
  if (error instanceof LocalFileError || typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) return error;
  const why = /^E[A-Z0-9]+: ([^,]+)/.exec((error as Error).message)?.[1];
  return new LocalFileError(`${action} ${path}: ${code}${why ? ` (${why})` : ''}`);
}

/** Runs a file operation; its errno error becomes a LocalFileError naming `action` and `path`. */
export async function local<T>(action: string, path: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw localError(action, path, error);
  }
}

/**
 * Whether a regular file is at `path` (symbolic links followed). Anything else there (a FIFO, a
 * device, a folder) is an error: reading it could block or never end.
 */
export async function isRegularFile(path: string): Promise<boolean> {
  let kind;
  try {
    kind = await stat(path);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false;
    throw localError('reading', path, error);
  }
  if (!kind.isFile()) throw new LocalFileError(`${path} is not a regular file`);
  return true;
}

/** mkdir once: true when `path` is a folder now, false when its parent is missing. */
async function mkdirOnce(path: string): Promise<boolean> {
  try {
    await mkdir(path);
    return true;
  } catch (error) {
    const code = errnoOf(error);
    if (
      code === 'EEXIST' &&
      (await stat(path).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    )
      return true;
    if (code === 'ENOENT' && dirname(path) !== path) return false;
    throw localError('creating', path, error);
  }
}

/**
 * `mkdir -p`. Not fs.mkdir's recursive mode: where mkdir answers ENOENT although the parent exists
 * (under /proc) that one retries forever; this creates the parents, tries once more, and says why.
 */
export async function makeDirectory(path: string): Promise<void> {
  if (await mkdirOnce(path)) return;
  await makeDirectory(dirname(path));
  if (!(await mkdirOnce(path))) throw new LocalFileError(`creating ${path}: ENOENT (no such file or directory)`);
}

/** A folder that takes no files fails here, before anything is asked of the network. */
export async function checkWritable(dir: string): Promise<void> {
  // a name ending in .part is never a target's: the check cannot meet a downloaded file
  const probe = join(dir, `.gptoss-fetch-check${PART_SUFFIX}`);
  await local('creating a file in', dir, async () => {
    await (await open(probe, 'w')).close();
    await rm(probe);
  });
}

/** fsync of a file or a folder (a folder's flush makes a rename in it durable). */
export async function syncPath(path: string): Promise<void> {
  await local('flushing', path, async () => {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}
