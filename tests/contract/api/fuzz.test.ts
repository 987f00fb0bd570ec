import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../contract/api/errors.js';
import { parseChatRequest, parseCountTokensRequest, parseGenerateRequest } from '../../../contract/api/requests.js';
import { parseResponsesRequest } from '../../../contract/api/responses.js';
import {
  anyBody,
  fuzzTimeoutMs,
  nearChatBody,
  nearCompletionBody,
  nearCountBody,
  nearResponsesBody,
  runs,
} from './arbitraries.js';

/**
 * The parsers under tens of thousands of generated bodies: each one is a request or a clear client
 * error (an ApiError that is not "internal", with a short message and the field named in it), and
 * nothing else is ever thrown.
 */
function acceptsOrRefusesClearly(parse: (body: unknown) => unknown) {
  // plain checks rather than expect(): this runs tens of thousands of times
  return (body: unknown) => {
    try {
      parse(body);
      return;
    } catch (error) {
      const clear =
        error instanceof ApiError &&
        (error.code === 'invalid_argument' || error.code === 'not_supported') &&
        error.message.length > 0 &&
        error.message.length < 400 &&
        (!error.field || error.message.startsWith(`${error.field}: `));
      if (!clear) throw new Error('not a clear client error', { cause: error });
    }
  };
}

describe('request parsers under fuzz', () => {
  it(
    'chat: arbitrary bodies and near-valid ones',
    () => {
      fc.assert(fc.property(anyBody, acceptsOrRefusesClearly(parseChatRequest)), { numRuns: runs(6000) });
      fc.assert(fc.property(nearChatBody, acceptsOrRefusesClearly(parseChatRequest)), { numRuns: runs(10_000) });
    },
    fuzzTimeoutMs(60_000),
  );

  it(
    'completions: arbitrary bodies and near-valid ones',
    () => {
      fc.assert(fc.property(anyBody, acceptsOrRefusesClearly(parseGenerateRequest)), { numRuns: runs(3000) });
      fc.assert(fc.property(nearCompletionBody, acceptsOrRefusesClearly(parseGenerateRequest)), {
        numRuns: runs(6000),
      });
    },
    fuzzTimeoutMs(60_000),
  );

  it(
    'CountTokens: arbitrary bodies and near-valid ones',
    () => {
      fc.assert(fc.property(anyBody, acceptsOrRefusesClearly(parseCountTokensRequest)), { numRuns: runs(2000) });
      fc.assert(fc.property(nearCountBody, acceptsOrRefusesClearly(parseCountTokensRequest)), {
        numRuns: runs(4000),
      });
    },
    fuzzTimeoutMs(60_000),
  );

  it(
    'Responses: arbitrary bodies and near-valid ones',
    () => {
      fc.assert(fc.property(anyBody, acceptsOrRefusesClearly(parseResponsesRequest)), { numRuns: runs(4000) });
      fc.assert(fc.property(nearResponsesBody, acceptsOrRefusesClearly(parseResponsesRequest)), {
        numRuns: runs(8000),
      });
    },
    fuzzTimeoutMs(60_000),
  );

  it('the generators reach valid requests too, not only errors, tool calling included', () => {
    const accepted = (parse: (body: unknown) => unknown, bodies: unknown[]) =>
      bodies.filter((body) => {
        try {
          parse(body);
          return true;
        } catch {
          return false;
        }
      });
    const chats = accepted(parseChatRequest, fc.sample(nearChatBody, { numRuns: 2000, seed: 1 }));
    expect(chats.length).toBeGreaterThan(400);
    const withTools = (body: unknown) => ((body as { tools?: unknown[] }).tools ?? []).length > 0;
    const withResults = (body: unknown) =>
      (body as { messages: Array<{ role: string }> }).messages.some((m) => m.role === 'tool');
    expect(chats.filter(withTools).length).toBeGreaterThan(50);
    expect(chats.filter(withResults).length).toBeGreaterThan(50);
    const responses = accepted(parseResponsesRequest, fc.sample(nearResponsesBody, { numRuns: 2000, seed: 1 }));
    expect(responses.length).toBeGreaterThan(400);
    expect(responses.filter(withTools).length).toBeGreaterThan(50);
  });
});
