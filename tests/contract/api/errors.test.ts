import { describe, expect, it } from 'vitest';
import { ApiError, retryAfterSeconds, toApiError } from '../../../contract/api/errors.js';

describe('toApiError', () => {
  it('maps an aborted signal’s AbortError to cancelled, keeping the cause', () => {
    const controller = new AbortController();
    controller.abort();
    const abort: unknown = controller.signal.reason;
    const error = toApiError(abort);
    expect([error.code, error.message]).toEqual(['cancelled', 'the request was cancelled']);
    expect(error.cause).toBe(abort);
  });

  it('calls anything thrown after the client left cancelled, an unknown failure otherwise internal', () => {
    const failure = new Error('llama_decode failed');
    expect(toApiError(failure, true).code).toBe('cancelled');
    const internal = toApiError(failure);
    expect([internal.code, internal.message, internal.cause]).toEqual([
      'internal',
      'internal error while generating',
      failure,
    ]);
  });

  it('keeps an ApiError as it is, even once the client has left', () => {
    const full = new ApiError('queue_full', 'all slots are busy');
    expect(toApiError(full, true)).toBe(full);
  });
});

describe('retry advice', () => {
  it('says 1 s for a full queue and nothing where retrying cannot help', () => {
    expect(retryAfterSeconds('queue_full')).toBe(1);
    expect(retryAfterSeconds('invalid_argument')).toBeUndefined();
    expect(retryAfterSeconds('internal')).toBeUndefined();
  });
});
