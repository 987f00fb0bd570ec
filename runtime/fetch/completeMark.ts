import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { COMPLETE_MARKER, PART_SUFFIX } from '../../contract/argv/fetch.js';
import { isRegularFile, local, syncPath } from './localFiles.js';

/**
 * A shared cache's completion mark, `<dir>/.gptoss-complete`: the fetch removes it before anything
 * else and writes it last; `gptoss await-weights` only reads it.
 */

export const markPath = (dir: string) => join(dir, COMPLETE_MARKER);

/** Removes the mark (none there is fine), so no waiter sees a stale one while files change. */
export async function removeCompleteMark(dir: string): Promise<void> {
  const path = markPath(dir);
  await local('removing', path, () => rm(path, { force: true }));
}

/**
 * Writes the mark atomically: `<mark>.part` flushed, renamed, the folder flushed. A waiter reads either
 * no mark or the whole digest, and a crash cannot leave a mark the disk does not hold.
 */
export async function writeCompleteMark(dir: string, digest: string): Promise<void> {
  const path = markPath(dir);
  const part = path + PART_SUFFIX;
  await local('writing', part, async () => {
    const handle = await open(part, 'w');
    try {
      await handle.writeFile(digest);
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
  await local(`renaming ${part} to`, path, () => rename(part, path));
  await syncPath(dir);
}

/** Longer than any digest: a mark this long is reported, not read whole. */
const MAX_MARK_BYTES = 64;

/**
 * What the mark holds (at most 64 bytes of it), or null when there is none. Something there that is
 * not a regular file (a FIFO would block) is a LocalFileError, as any read error is.
 */
export async function readCompleteMark(dir: string): Promise<string | null> {
  const path = markPath(dir);
  if (!(await isRegularFile(path))) return null;
  return local('reading', path, async () => {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(MAX_MARK_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, MAX_MARK_BYTES, 0);
      return buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  });
}
