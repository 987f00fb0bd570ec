import type { Logger } from '../contract/log.js';
import type { TokenUsage } from './types.js';

/**
 * One request as the access log has it. Never the prompt, the answer or the key: the key is named
 * by its id (its Secret's name), the model by the id discovery gave it ("" when it resolved to none).
 */
export interface AccessLogEntry {
  api: 'http' | 'grpc';
  /** The HTTP method and path ("POST /v1/chat/completions") or the gRPC method ("Chat"). */
  endpoint: string;
  team: string;
  keyId: string;
  model: string;
  /** The HTTP status sent, or the gRPC status's name ("OK", "RESOURCE_EXHAUSTED"). */
  status: number | string;
  /** The error catalogue's code when the request failed (contract/api/errors.ts), null when it did not. */
  code: string | null;
  durationSeconds: number;
  tokens: TokenUsage | null;
  /** The pod that answered, null when none did. */
  replica: string | null;
  /** Attempts on other replicas before the one that answered. */
  retries: number;
}

/** One structured line per request, Kubernetes style: "Served request" with the request's fields. */
export function logServed(log: Logger, entry: AccessLogEntry): void {
  log.info({ ...entry, durationSeconds: +entry.durationSeconds.toFixed(4) }, 'Served request');
}
