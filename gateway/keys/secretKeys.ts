import { KeySecretError, readKeySecret, secretKeyId, type KeySecretObject } from '../../contract/keys.js';
import type { Logger } from '../../contract/log.js';
import type { Caller, KeyDirectory } from '../types.js';
import { KeyIndex } from './keyIndex.js';

/**
 * The key directory as the watch on key Secrets feeds it: an added or changed Secret makes its key
 * usable, or, when it is invalid, unusable (an edit that breaks a working key's Secret disables the
 * key rather than keeping its old policy) with a warning naming the Secret and the field; a deleted
 * Secret revokes its key. Never logs a key or a digest.
 */
export class SecretKeyDirectory implements KeyDirectory {
  private readonly index = new KeyIndex();

  constructor(private readonly log: Logger) {}

  upsert(secret: KeySecretObject): void {
    const { name = '', namespace } = secret.metadata ?? {};
    try {
      const key = readKeySecret(secret);
      this.index.put(key);
      this.log.info({ kind: 'Secret', namespace, name, team: key.policy.team }, 'Loaded API key');
    } catch (error) {
      if (!(error instanceof KeySecretError)) throw error;
      const id = secretKeyId(name);
      if (id !== null) this.index.remove(id);
      this.log.warn(
        { kind: 'Secret', namespace, name, field: error.field, reason: error.reason },
        'Skipped invalid API key Secret',
      );
    }
  }

  remove(secret: KeySecretObject): void {
    const { name = '', namespace } = secret.metadata ?? {};
    const id = secretKeyId(name);
    if (id !== null && this.index.remove(id)) this.log.info({ kind: 'Secret', namespace, name }, 'Revoked API key');
  }

  /** Usable keys now. */
  get size(): number {
    return this.index.size;
  }

  authenticate(presented: string): Caller | null {
    return this.index.authenticate(presented);
  }
}
