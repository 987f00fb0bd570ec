import type { Caller, KeyDirectory } from '../types.js';
import { Refusal } from './refusal.js';

/** Where each API carries the key: its words for it in the errors. */
const CARRIER = { http: 'the Authorization header', grpc: 'the authorization metadata' } as const;
export type Api = keyof typeof CARRIER;

const BEARER = /^Bearer +(\S+)$/i;

/**
 * The caller a request's `Authorization: Bearer <key>` belongs to. No key, a value that is not a
 * bearer key, or a key no Secret holds: 401, never echoing what was sent.
 */
export function authenticate(keys: KeyDirectory, authorization: string | undefined, api: Api): Caller {
  if (authorization === undefined || authorization.trim() === '') {
    throw new Refusal('unauthenticated', `no API key: send it in ${CARRIER[api]} as "Bearer <key>"`);
  }
  const key = BEARER.exec(authorization.trim())?.[1];
  if (key === undefined) throw new Refusal('unauthenticated', `${CARRIER[api]} must be "Bearer <key>"`);
  const caller = keys.authenticate(key);
  if (!caller) throw new Refusal('unauthenticated', 'the API key is not valid: it is unknown or was revoked');
  return caller;
}
