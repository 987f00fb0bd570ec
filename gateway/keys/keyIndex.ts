import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { presentedKeyId, type StoredKey } from '../../contract/keys.js';
import type { Caller, KeyDirectory, KeyPolicy } from '../types.js';

interface IndexedKey {
  caller: Caller;
  digest: Buffer;
}

/**
 * The usable keys by id, and authentication against them. Every call hashes what was presented and
 * compares 32 bytes with crypto.timingSafeEqual, against a random decoy when the key is malformed or
 * its id unknown, so the time taken does not depend on how much of a guess was right. (Whether an id
 * exists may show in the map lookup's time; ids are not secret: every key and log shows its own.)
 */
export class KeyIndex implements KeyDirectory {
  private readonly byId = new Map<string, IndexedKey>();
  private readonly decoy = randomBytes(32);

  put(key: StoredKey): void {
    const policy: KeyPolicy = key.policy;
    this.byId.set(key.id, {
      caller: { keyId: key.secretName, policy },
      digest: Buffer.from(key.sha256, 'hex'),
    });
  }

  /** Whether the id had a usable key. */
  remove(id: string): boolean {
    return this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }

  authenticate(presented: string): Caller | null {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    const id = presentedKeyId(presented);
    const entry = id === null ? undefined : this.byId.get(id);
    const equal = timingSafeEqual(digest, entry?.digest ?? this.decoy);
    return equal && entry ? entry.caller : null;
  }
}
