import { describe, expect, it } from 'vitest';
import {
  chatAffinity,
  grpcAffinity,
  httpAffinity,
  PROMPT_KEY_CHARS,
  promptAffinity,
  responsesAffinity,
  servedIdAffinity,
} from '../../../gateway/routing/affinity.js';

const system = { role: 'system', content: 'You are a terse assistant.' };
const user = (content: unknown) => ({ role: 'user', content });
const assistant = (content: unknown) => ({ role: 'assistant', content });
const weather = { type: 'function', function: { name: 'weather', parameters: {} } };

describe('chatAffinity: the messages up to and including the first user message', () => {
  const turn1 = [system, user('Plan a trip to Lisbon')];
  const turn2 = [...turn1, assistant('Three days?'), user('Yes, in May')];
  const key = chatAffinity(turn1);

  it('is a short hex hash', () => expect(key).toMatch(/^[0-9a-f]{32}$/));

  const same: Array<[string, unknown]> = [
    ['the next turn of the conversation', turn2],
    ['a turn after a tool call', [...turn2, { role: 'tool', tool_call_id: 'c1', content: '21 C' }]],
    [
      'content as text parts, joined',
      [
        system,
        user([
          { type: 'text', text: 'Plan a trip ' },
          { type: 'text', text: 'to Lisbon' },
        ]),
      ],
    ],
  ];
  for (const [title, messages] of same) it(`the same for ${title}`, () => expect(chatAffinity(messages)).toBe(key));

  const other: Array<[string, unknown]> = [
    ['another first user message', [system, user('Plan a trip to Porto')]],
    [
      'another system prompt',
      [{ role: 'system', content: 'You are a verbose assistant.' }, user('Plan a trip to Lisbon')],
    ],
    ['no system prompt', [user('Plan a trip to Lisbon')]],
    ['the same text under another role', [{ ...system, role: 'developer' }, user('Plan a trip to Lisbon')]],
    ['the text moved across the message boundary', [system, user('Plan a trip to Lisbon'.slice(0, 4))]],
  ];
  for (const [title, messages] of other) it(`differs for ${title}`, () => expect(chatAffinity(messages)).not.toBe(key));

  it('does not read the tools (the request around the messages)', () => {
    // the tools are not an argument: two requests with the same messages and other tools share a key
    expect(httpAffinity('/v1/chat/completions', { messages: turn1, tools: [weather] })).toBe(key);
  });

  it('keeps the system and user text apart (no concatenation collides)', () => {
    expect(chatAffinity([{ role: 'system', content: 'ab' }, user('c')])).not.toBe(
      chatAffinity([{ role: 'system', content: 'a' }, user('bc')]),
    );
  });

  const none: Array<[string, unknown]> = [
    ['no messages', []],
    ['messages absent', undefined],
    ['messages not a list', 'hi'],
  ];
  for (const [title, messages] of none) it(`none for ${title}`, () => expect(chatAffinity(messages)).toBeUndefined());

  it('never throws on a body the runtime will refuse: odd entries count as empty', () => {
    expect(chatAffinity([null, 3, { role: 7, content: { text: 'x' } }, user([null, { text: 5 }])])).toMatch(
      /^[0-9a-f]+$/,
    );
  });

  it('without a user message: all the messages', () => {
    expect(chatAffinity([system])).not.toBe(chatAffinity([system, assistant('Hello')]));
  });
});

describe('promptAffinity: the first PROMPT_KEY_CHARS characters of a raw prompt', () => {
  const head = 'x'.repeat(PROMPT_KEY_CHARS);

  it('the same for prompts that share the head, whatever follows', () => {
    expect(promptAffinity(`${head} turn one`)).toBe(promptAffinity(`${head} turn one, and turn two`));
  });
  it('differs for another head', () => {
    expect(promptAffinity(`y${head}`)).not.toBe(promptAffinity(head));
  });
  it('a prompt shorter than the head is keyed whole', () => {
    expect(promptAffinity('Once upon a time')).not.toBe(promptAffinity('Once upon a time there was'));
  });
  it('is not a chat key of the same text', () => {
    expect(promptAffinity('Hi')).not.toBe(chatAffinity([{ role: '', content: 'Hi' }]));
  });
  for (const prompt of ['', undefined, ['Hi'], 42]) {
    it(`none for ${JSON.stringify(prompt)}`, () => expect(promptAffinity(prompt)).toBeUndefined());
  }
});

describe('responsesAffinity: instructions, then the input items up to and including the first user message', () => {
  const key = responsesAffinity('Be terse.', 'Plan a trip to Lisbon');

  const same: Array<[string, unknown, unknown]> = [
    ['the input as one user message item', 'Be terse.', [{ role: 'user', content: 'Plan a trip to Lisbon' }]],
    [
      'the next turn, as items with input_text parts',
      'Be terse.',
      [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Plan a trip to Lisbon' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Three days?' }] },
        { role: 'user', content: 'Yes' },
      ],
    ],
  ];
  for (const [title, instructions, input] of same) {
    it(`the same for ${title}`, () => expect(responsesAffinity(instructions, input)).toBe(key));
  }

  const other: Array<[string, unknown, unknown]> = [
    ['another first user message', 'Be terse.', 'Plan a trip to Porto'],
    ['other instructions', 'Be verbose.', 'Plan a trip to Lisbon'],
    ['no instructions', undefined, 'Plan a trip to Lisbon'],
  ];
  for (const [title, instructions, input] of other) {
    it(`differs for ${title}`, () => expect(responsesAffinity(instructions, input)).not.toBe(key));
  }

  it('a system prompt sent as the first item: the user message after it tells conversations apart', () => {
    const start = (question: string) => [
      { role: 'developer', content: 'You plan trips.' },
      { role: 'user', content: question },
    ];
    expect(responsesAffinity(null, start('Lisbon?'))).not.toBe(responsesAffinity(null, start('Porto?')));
  });

  it("a function's output is read by its text", () => {
    const after = (output: string) => [
      { type: 'function_call', call_id: 'c1', name: 'weather', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c1', output },
    ];
    expect(responsesAffinity(null, after('21 C'))).not.toBe(responsesAffinity(null, after('5 C')));
  });

  for (const input of ['', [], undefined, 3]) {
    it(`none for the input ${JSON.stringify(input)}`, () =>
      expect(responsesAffinity('Be terse.', input)).toBeUndefined());
  }
});

describe('httpAffinity and grpcAffinity: by endpoint and method', () => {
  const messages = [system, user('Plan a trip to Lisbon')];
  const table: Array<[string, string | undefined, string | undefined]> = [
    ['chat', httpAffinity('/v1/chat/completions', { model: 'chat', messages }), chatAffinity(messages)],
    ['chat, with a query string', httpAffinity('/v1/chat/completions?x=1', { messages }), chatAffinity(messages)],
    ['completions', httpAffinity('/v1/completions', { prompt: 'Hi' }), promptAffinity('Hi')],
    ['responses', httpAffinity('/v1/responses', { instructions: 'I', input: 'Hi' }), responsesAffinity('I', 'Hi')],
    ['an unknown path', httpAffinity('/v1/embeddings', { input: 'Hi' }), undefined],
    ['a path like an own property name', httpAffinity('constructor', { messages }), undefined],
    // the proto's Message has role and content as a string: a conversation keeps its key across the APIs
    ['gRPC Chat, as HTTP chat', grpcAffinity('Chat', { model: 'chat', messages }), chatAffinity(messages)],
    ['gRPC Generate, as completions', grpcAffinity('Generate', { prompt: 'Hi' }), promptAffinity('Hi')],
    ['gRPC CountTokens: no conversation to keep', grpcAffinity('CountTokens', { messages }), undefined],
    ['gRPC GetModelInfo', grpcAffinity('GetModelInfo', {}), undefined],
    ['gRPC, a request that is not an object', grpcAffinity('Chat', null), undefined],
  ];
  for (const [title, got, expected] of table) it(title, () => expect(got).toBe(expected));

  it('the keys are defined where a conversation is', () => {
    expect(chatAffinity(messages)).toBeDefined();
    expect(promptAffinity('Hi')).toBeDefined();
    expect(responsesAffinity('I', 'Hi')).toBeDefined();
  });
});

describe('servedIdAffinity: an adapter is another conversation (its slots share no KV cache with the base)', () => {
  const key = chatAffinity([user('Plan a trip to Lisbon')])!;

  it('the base model keeps the key as it is', () => expect(servedIdAffinity(key, null)).toBe(key));
  it('each adapter gets a key of its own, stable across turns', () => {
    const fr = servedIdAffinity(key, 'fr');
    expect(fr).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set([key, fr, servedIdAffinity(key, 'de')]).size).toBe(3);
    expect(
      servedIdAffinity(chatAffinity([user('Plan a trip to Lisbon'), assistant('Sure'), user('In May')]), 'fr'),
    ).toBe(fr);
  });
  it('no conversation, no key, adapter or not', () => expect(servedIdAffinity(undefined, 'fr')).toBeUndefined());
});
