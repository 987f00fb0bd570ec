import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * SHA-256 of what a file holds now, read once; the Hash is not finished, so a resumed download
 * keeps feeding it the bytes that follow.
 */
export async function hashFile(path: string, onBytes: (bytes: number) => void): Promise<{ hash: Hash; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 2 ** 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    onBytes(bytes);
  }
  return { hash, bytes };
}

export const newHash = () => createHash('sha256');
