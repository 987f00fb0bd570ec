import type { ChatMessage } from '../../../contract/api/chat.js';

/** One stored response: what GET returns, and the conversation previous_response_id continues. */
export interface StoredResponse {
  /** The response object, as it was answered. */
  response: object;
  /**
   * The conversation up to and including this response's output, its instructions aside (OpenAI
   * does not carry instructions over to the next response).
   */
  conversation: ChatMessage[];
}

export interface StoreLimits {
  /** Responses held at most. */
  maxResponses: number;
  /** Their size at most, counted as JSON in UTF-8 (response object and conversation). */
  maxBytes: number;
}

/**
 * A few hundred conversations of agent loops fit: each continued response holds its whole history,
 * so a long loop's entries grow with it, and the byte bound keeps them from holding the process's
 * memory (64 MiB is 64 requests at their largest text, MAX_REQUEST_TEXT_BYTES).
 */
export const RESPONSE_STORE_LIMITS: StoreLimits = { maxResponses: 500, maxBytes: 64 * 1024 * 1024 };

/**
 * The runtime's memory of responses stored with `store` (OpenAI's default), least recently used
 * first out once either bound is passed. In memory, per process: a restart, another replica, or
 * eviction loses it, and the id is then refused as unknown.
 */
export class ResponseStore {
  private readonly entries = new Map<string, { stored: StoredResponse; bytes: number }>();
  private totalBytes = 0;

  constructor(readonly limits: StoreLimits = RESPONSE_STORE_LIMITS) {}

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Stores a response, evicting the least recently used; false when it alone exceeds the byte bound. */
  put(id: string, stored: StoredResponse): boolean {
    const bytes = Buffer.byteLength(JSON.stringify(stored), 'utf8');
    this.delete(id);
    if (bytes > this.limits.maxBytes) return false;
    this.entries.set(id, { stored, bytes });
    this.totalBytes += bytes;
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.limits.maxResponses && this.totalBytes <= this.limits.maxBytes) break;
      this.delete(oldest);
    }
    return true;
  }

  /** The stored response, now the most recently used; undefined if never stored, deleted or evicted. */
  get(id: string): StoredResponse | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.stored;
  }

  delete(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    this.totalBytes -= entry.bytes;
    return true;
  }
}
