import type { Hash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hashFile, newHash } from './hash.js';
import { isRegularFile, local, syncPath } from './localFiles.js';

/**
 * `<name>.part`: the bytes received so far and their running SHA-256. Every chunk is hashed only
 * after it is written, so the hash always matches the file, whatever interrupts the download. Every
 * file operation that fails is a LocalFileError naming the path and the errno: not retried.
 */
export class PartFile {
  private constructor(
    readonly path: string,
    private hash: Hash,
    public bytes: number,
  ) {}

  /**
   * Opens the .part as it is (re-hashing what an earlier run left), or an empty one, created by the
   * first append; something there that is not a regular file (a FIFO would block) is an error.
   */
  static async open(path: string, onBytes: (bytes: number) => void): Promise<PartFile> {
    if (!(await isRegularFile(path))) return new PartFile(path, newHash(), 0);
    const { hash, bytes } = await local('reading', path, () => hashFile(path, onBytes));
    return new PartFile(path, hash, bytes);
  }

  /** Empties the file: the next bytes are the file's first. */
  async restart(): Promise<void> {
    await local('writing', this.path, async () => (await open(this.path, 'w')).close());
    this.hash = newHash();
    this.bytes = 0;
  }

  /**
   * Appends a body, chunk by chunk; on error the file holds exactly the chunks counted in `bytes`.
   * An error of the body (the network) passes as it is; one of the file is a LocalFileError.
   */
  async append(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, onChunk: () => void): Promise<void> {
    const handle = await local('writing', this.path, () => open(this.path, this.bytes === 0 ? 'w' : 'a'));
    try {
      for await (const chunk of body) {
        await local('writing', this.path, () => handle.write(chunk));
        this.hash.update(chunk);
        this.bytes += chunk.length;
        onChunk();
      }
    } finally {
      await local('writing', this.path, () => handle.close());
    }
  }

  /** The SHA-256 of everything received; the PartFile cannot take more bytes after this. */
  digest(): string {
    return this.hash.digest('hex');
  }

  remove(): Promise<void> {
    return local('removing', this.path, () => rm(this.path, { force: true }));
  }

  /** Flushes the bytes to disk, then gives the file its final name: a crash leaves either name, never a torn file. */
  async commit(finalPath: string): Promise<void> {
    await syncPath(this.path);
    await local(`renaming ${this.path} to`, finalPath, () => rename(this.path, finalPath));
    await syncPath(dirname(finalPath));
  }
}
