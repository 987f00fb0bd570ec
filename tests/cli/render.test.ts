import { describe, expect, it } from 'vitest';
import { renderRequest } from '../../cli/render.js';
import type { ChatMessage } from '../../contract/api/chat.js';
import { ConfigError } from '../../contract/errors.js';
import { HARMONY_CASES } from '../runtime/harmony/cases.js';
import { REFERENCE_TEXTS } from '../runtime/harmony/referenceTexts.js';

const NOW = new Date('2031-05-17T23:59:59Z');
const body = (request: unknown) => JSON.stringify(request);
const hi = { messages: [{ role: 'user', content: 'Hi' }] };

/** The message V8 gives for text that is not JSON (its wording is the engine's, not ours). */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} is JSON`);
}

/** A chat message as a client sends it. */
function wireMessage(m: ChatMessage) {
  switch (m.role) {
    case 'assistant':
      return {
        role: m.role,
        content: m.content,
        ...(m.reasoning ? { reasoning_content: m.reasoning } : {}),
        ...(m.toolCalls
          ? {
              tool_calls: m.toolCalls.map((c) => ({
                id: c.id,
                type: 'function',
                function: { name: c.name, arguments: c.arguments },
              })),
            }
          : {}),
      };
    case 'tool':
      return { role: m.role, tool_call_id: m.toolCallId, content: m.content };
    default:
      return { role: m.role, content: m.content };
  }
}

/** A case of the harmony suite as the Chat Completions body a client sends, and the flags of its settings. */
function caseRequest(name: string) {
  const { prompt, settings } = HARMONY_CASES.find((c) => c.name === name)!;
  const format = prompt.responseFormat;
  const request = {
    messages: prompt.messages.map(wireMessage),
    ...(prompt.reasoningEffort ? { reasoning_effort: prompt.reasoningEffort } : {}),
    ...(prompt.tools.length > 0 ? { tools: prompt.tools.map((f) => ({ type: 'function', function: f })) } : {}),
    ...(format.type === 'json_schema'
      ? { response_format: { type: format.type, json_schema: { ...format, type: undefined } } }
      : {}),
  };
  const flags = { reasoningEffort: settings.reasoningEffort, currentDate: settings.currentDate ?? 'none' };
  return { body: body(request), flags };
}

describe('gptoss render (the command function)', () => {
  it.each([
    'no current date, low effort',
    'reasoning of earlier final answers is dropped',
    'control strings in instructions and user text',
    "the guide's three functions with instructions",
    'a call and its result: the reasoning is kept',
    'a finished tool loop, then a new question: its reasoning is dropped',
    'parallel calls and their results',
    'defaults of every kind',
    "the guide's shopping list response format",
  ])("%s: prints the reference's rendering, formatting tokens written out, nothing after it", (name) => {
    const { body: request, flags } = caseRequest(name);
    expect(renderRequest(request, flags, NOW)).toBe(REFERENCE_TEXTS[name]);
  });

  it("defaults as serve's: today's date (UTC) and medium effort; the request's effort wins over the flag", () => {
    const text = renderRequest(body(hi), {}, NOW);
    expect(text).toContain('\nCurrent date: 2031-05-17\n\nReasoning: medium\n\n');
    const asked = renderRequest(body({ ...hi, reasoning_effort: 'high' }), { reasoningEffort: 'low' }, NOW);
    expect(asked).toContain('\nReasoning: high\n\n');
    expect(renderRequest(body(hi), { currentDate: '1999-12-31' }, NOW)).toContain('\nCurrent date: 1999-12-31\n');
  });

  it.each([
    ['not json', {}, `the request is not valid JSON: ${jsonError('not json')}`],
    ['[1, 2]', {}, 'the request body must be a JSON object'],
    [body({ messages: [] }), {}, 'messages: must contain at least one message'],
    [body({}), {}, 'messages: is required and must be a list'],
    [
      body({ messages: [{ role: 'assistant', content: 'Hi' }] }),
      {},
      'messages[0].role: the last message must not be from the assistant',
    ],
    [body({ ...hi, frobnicate: true }), {}, 'frobnicate: unknown field'],
    [body(hi), { currentDate: 'yesterday' }, '--current-date must be today, none or a date YYYY-MM-DD'],
    [body(hi), { currentDate: '2025-02-30' }, '--current-date must be today, none or a date YYYY-MM-DD'],
    [body(hi), { reasoningEffort: 'extreme' }, '--reasoning-effort must be low, medium or high'],
  ])('refuses %s %j: %s', (text, flags, message) => {
    let thrown: unknown;
    try {
      renderRequest(text, flags, NOW);
    } catch (error) {
      thrown = error;
    }
    // a ConfigError: the command prints its message on one line and exits 2
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toBe(message);
  });
});
