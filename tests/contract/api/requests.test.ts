import { CHAT_DEFAULTS } from '../../../contract/api/chat.js';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGES, MAX_REQUEST_TEXT_BYTES } from '../../../contract/api/limits.js';
import { parseChatRequest, parseCountTokensRequest, parseGenerateRequest } from '../../../contract/api/requests.js';
import { LEGACY_FUNCTIONS } from '../../../contract/api/unsupported.js';
import { refusal, refusesEach, type Refused } from './refusals.js';

const user = [{ role: 'user', content: 'Hi' }];
const PER_REQUEST = 'at most 1048576 bytes per request';

const CHAT_REFUSED: Refused[] = [
  { name: 'an unknown field', body: { messages: user, foo: 1 }, field: 'foo', message: 'foo: unknown field' },
  {
    name: 'several unknown fields',
    body: { messages: user, foo: 1, bar: 2, baz: 3 },
    field: 'foo',
    message: 'foo: unknown field (also unknown: "bar", "baz")',
  },
  {
    name: 'an unknown field with a long name, cut short',
    body: { messages: user, ['k'.repeat(100)]: 1 },
    field: `${'k'.repeat(64)}...`,
    message: `${'k'.repeat(64)}...: unknown field`,
  },
  {
    name: 'an unknown message field',
    body: { messages: [{ role: 'user', content: 'x', mood: 'happy' }] },
    field: 'messages[0].mood',
    message: 'messages[0].mood: unknown field',
  },
  {
    name: 'an unknown content part field',
    body: { messages: [{ role: 'user', content: [{ type: 'text', text: 'a', cache_control: {} }] }] },
    field: 'messages[0].content[0].cache_control',
    message: 'messages[0].content[0].cache_control: unknown field',
  },
  {
    name: 'an unknown stream_options field',
    body: { messages: user, stream: true, stream_options: { include_usage: true, chunk_size: 3 } },
    field: 'stream_options.chunk_size',
    message: 'stream_options.chunk_size: unknown field',
  },
  {
    name: 'tool_choice "auto" without tools',
    body: { messages: user, tool_choice: 'auto' },
    field: 'tool_choice',
    message: 'tool_choice: "auto" needs tools to choose from; give tools, or leave tool_choice out',
  },
  {
    name: 'functions (deprecated by OpenAI)',
    body: { messages: user, functions: [{ name: 'f' }] },
    code: 'not_supported',
    field: 'functions',
    message: `functions: ${LEGACY_FUNCTIONS}`,
  },
  {
    name: 'function_call "auto" (deprecated by OpenAI)',
    body: { messages: user, function_call: 'auto' },
    code: 'not_supported',
    field: 'function_call',
    message: `function_call: ${LEGACY_FUNCTIONS}`,
  },
  {
    name: 'logprobs true',
    body: { messages: user, logprobs: true },
    code: 'not_supported',
    field: 'logprobs',
    message: 'logprobs: log probabilities are not supported by this runtime',
  },
  {
    name: 'top_logprobs 3',
    body: { messages: user, top_logprobs: 3 },
    code: 'not_supported',
    field: 'top_logprobs',
    message: 'top_logprobs: log probabilities are not supported by this runtime',
  },
  {
    name: 'n 2',
    body: { messages: user, n: 2 },
    code: 'not_supported',
    field: 'n',
    message: 'n: only n = 1 is supported',
  },
  {
    name: 'logit_bias',
    body: { messages: user, logit_bias: { '50256': -100 } },
    code: 'not_supported',
    field: 'logit_bias',
    message: 'logit_bias: logit_bias is not supported by this runtime',
  },
  {
    name: 'store true',
    body: { messages: user, store: true },
    code: 'not_supported',
    field: 'store',
    message: 'store: this runtime stores no completions',
  },
  {
    name: 'a participant name',
    body: { messages: [{ role: 'user', content: 'x', name: 'bob' }] },
    code: 'not_supported',
    field: 'messages[0].name',
    message: 'messages[0].name: participant names are not supported by this runtime; put the name in the content',
  },
  {
    name: 'a tool call without its type',
    body: { messages: [{ role: 'assistant', tool_calls: [{ id: 'c' }] }, ...user] },
    field: 'messages[0].tool_calls[0].type',
    message: 'messages[0].tool_calls[0].type: is required',
  },
  {
    name: 'an image part',
    body: { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] },
    code: 'not_supported',
    field: 'messages[0].content[0].type',
    message: 'messages[0].content[0].type: image input is not supported by this runtime (gpt-oss reads text only)',
  },
  {
    name: 'an unknown part type',
    body: { messages: [{ role: 'user', content: [{ type: 'video' }] }] },
    field: 'messages[0].content[0].type',
    message: 'messages[0].content[0].type: unknown content part type "video"; expected "text"',
  },
  {
    name: 'a role that is not a string',
    body: { messages: [{ role: 7, content: 'x' }] },
    field: 'messages[0].role',
    message: 'messages[0].role: must be a string',
  },
  {
    name: 'a long unknown role, echoed cut short',
    body: { messages: [{ role: 'r'.repeat(1000), content: 'x' }] },
    field: 'messages[0].role',
    message:
      `messages[0].role: unknown role "${'r'.repeat(64)}..."; ` +
      'expected one of system, developer, user, assistant, tool',
  },
  {
    name: 'a message that is not an object',
    body: { messages: ['Hi'] },
    field: 'messages[0]',
    message: 'messages[0]: must be a message: {"role": ..., "content": ...}',
  },
  {
    name: 'reasoning on a user message',
    body: { messages: [{ role: 'user', content: 'x', reasoning_content: 'hmm' }] },
    field: 'messages[0].reasoning_content',
    message: 'messages[0].reasoning_content: only assistant messages carry reasoning',
  },
  {
    name: 'stream that is not a boolean',
    body: { messages: user, stream: 'yes' },
    field: 'stream',
    message: 'stream: must be true or false',
  },
  {
    name: 'stream_options without stream',
    body: { messages: user, stream_options: { include_usage: true } },
    field: 'stream_options',
    message: 'stream_options: only allowed when stream is true',
  },
  {
    name: 'stream obfuscation',
    body: { messages: user, stream: true, stream_options: { include_obfuscation: true } },
    code: 'not_supported',
    field: 'stream_options.include_obfuscation',
    message: 'stream_options.include_obfuscation: stream obfuscation is not supported by this runtime',
  },
  {
    name: 'max_tokens and max_completion_tokens disagreeing',
    body: { messages: user, max_tokens: 5, max_completion_tokens: 6 },
    field: 'max_completion_tokens',
    message: 'max_completion_tokens: give max_tokens or max_completion_tokens (its newer name), not both',
  },
  {
    name: 'a huge max_tokens',
    body: { messages: user, max_tokens: 1e300 },
    field: 'max_tokens',
    message: 'max_tokens: must be at most 131072 (the largest context)',
  },
  {
    name: 'a fractional max_tokens',
    body: { messages: user, max_tokens: 1.5 },
    field: 'max_tokens',
    message: 'max_tokens: must be an integer',
  },
  {
    name: 'a fractional max_completion_tokens',
    body: { messages: user, max_completion_tokens: 2.5 },
    field: 'max_completion_tokens',
    message: 'max_completion_tokens: must be an integer',
  },
  {
    name: 'a negative top_k',
    body: { messages: user, top_k: -1 },
    field: 'top_k',
    message: 'top_k: must be at least 0 (0 turns it off)',
  },
  {
    name: 'a fractional top_k',
    body: { messages: user, top_k: 1.5 },
    field: 'top_k',
    message: 'top_k: must be an integer',
  },
  {
    name: 'min_p above 1',
    body: { messages: user, min_p: 1.5 },
    field: 'min_p',
    message: 'min_p: must be between 0 and 1',
  },
  {
    name: 'repeat_penalty 0',
    body: { messages: user, repeat_penalty: 0 },
    field: 'repeat_penalty',
    message: 'repeat_penalty: must be greater than 0 and at most 2',
  },
  {
    name: 'presence_penalty 3',
    body: { messages: user, presence_penalty: 3 },
    field: 'presence_penalty',
    message: 'presence_penalty: must be between -2 and 2',
  },
  {
    name: 'frequency_penalty -2.5',
    body: { messages: user, frequency_penalty: -2.5 },
    field: 'frequency_penalty',
    message: 'frequency_penalty: must be between -2 and 2',
  },
  {
    name: 'an empty stop',
    body: { messages: user, stop: '' },
    field: 'stop[0]',
    message: 'stop[0]: must not be empty',
  },
  {
    name: 'five stops',
    body: { messages: user, stop: ['a', 'b', 'c', 'd', 'e'] },
    field: 'stop',
    message: 'stop: takes at most 4 sequences',
  },
  {
    name: 'a stop that is a number',
    body: { messages: user, stop: 5 },
    field: 'stop',
    message: 'stop: must be a string or a list of strings',
  },
  {
    name: 'a model that is a number',
    body: { model: 5, messages: user },
    field: 'model',
    message: 'model: must be a string',
  },
  {
    name: 'a seed beyond 32 bits',
    body: { messages: user, seed: 2 ** 32 },
    field: 'seed',
    message: 'seed: must fit in 32 bits',
  },
  {
    name: 'more messages than the cap',
    body: { messages: Array.from({ length: MAX_MESSAGES + 1 }, () => user[0]) },
    field: 'messages',
    message: `messages: at most ${MAX_MESSAGES} messages per request; got ${MAX_MESSAGES + 1}`,
  },
  {
    name: 'more text than the cap',
    body: { messages: [{ role: 'user', content: 'x'.repeat(MAX_REQUEST_TEXT_BYTES + 1) }] },
    field: 'messages',
    message: `messages: the request's text is ${MAX_REQUEST_TEXT_BYTES + 1} bytes (UTF-8); ${PER_REQUEST}`,
  },
  {
    name: 'more text than the cap, counted in UTF-8 bytes over messages and stops',
    body: {
      messages: [
        { role: 'system', content: 'é'.repeat(MAX_REQUEST_TEXT_BYTES / 4) },
        { role: 'user', content: 'é'.repeat(MAX_REQUEST_TEXT_BYTES / 4) },
      ],
      stop: ['!'],
    },
    field: 'messages',
    message: `messages: the request's text is ${MAX_REQUEST_TEXT_BYTES + 1} bytes (UTF-8); ${PER_REQUEST}`,
  },
  { name: 'a body that is a list', body: [user], field: undefined, message: 'the request body must be a JSON object' },
];

describe('chat requests: strict, naming the field', () => {
  refusesEach(parseChatRequest, CHAT_REFUSED);

  it('accepts what the openai SDK and common clients send, nulls and defaults included', () => {
    const { job, delivery } = parseChatRequest({
      model: 'gpt-oss-20b',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hi ' },
            { type: 'text', text: 'there' },
          ],
        },
        { role: 'assistant', content: 'Hello.', reasoning_content: 'Greet back.', refusal: null, tool_calls: [] },
        { role: 'developer', content: 'Answer in English.' },
        { role: 'user', content: 'How are you?', name: null },
      ],
      stream: true,
      stream_options: { include_usage: true, include_obfuscation: false },
      max_completion_tokens: 64,
      temperature: 0.7,
      top_p: 0.9,
      seed: 42,
      stop: 'END',
      reasoning_effort: 'high',
      user: 'user-1234',
      safety_identifier: 'abc',
      n: 1,
      logprobs: false,
      top_logprobs: null,
      tools: [],
      tool_choice: 'none',
      parallel_tool_calls: false,
      response_format: { type: 'text' },
      logit_bias: {},
      modalities: ['text'],
      service_tier: 'auto',
      store: false,
      metadata: null,
      frequency_penalty: 0.5,
      presence_penalty: -0.5,
    });
    expect(delivery).toEqual({ stream: true, includeUsage: true });
    expect(job).toEqual({
      ...CHAT_DEFAULTS,
      // asked for, if asking nothing without tools: kept as sent
      toolChoice: { mode: 'none' },
      parallelToolCalls: false,
      model: 'gpt-oss-20b',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi there' },
        { role: 'assistant', content: 'Hello.', reasoning: 'Greet back.' },
        { role: 'developer', content: 'Answer in English.' },
        { role: 'user', content: 'How are you?' },
      ],
      reasoningEffort: 'high',
      maxTokens: 64,
      temperature: 0.7,
      topP: 0.9,
      seed: 42,
      stop: ['END'],
      topK: undefined,
      minP: undefined,
      repeatPenalty: undefined,
      presencePenalty: -0.5,
      frequencyPenalty: 0.5,
    });
  });

  it('passes the vendor extensions through; null means not given', () => {
    const { job, delivery } = parseChatRequest({
      messages: user,
      top_k: 40,
      min_p: 0.05,
      repeat_penalty: 1.1,
      temperature: null,
      max_tokens: null,
      stop: null,
      stream: null,
      stream_options: null,
    });
    expect(delivery).toEqual({ stream: false, includeUsage: false });
    expect(job).toMatchObject({ topK: 40, minP: 0.05, repeatPenalty: 1.1, stop: [], model: '' });
    expect(job.temperature).toBeUndefined();
    expect(job.maxTokens).toBeUndefined();
  });

  it('takes max_tokens and max_completion_tokens when they agree', () => {
    expect(parseChatRequest({ messages: user, max_tokens: 9, max_completion_tokens: 9 }).job.maxTokens).toBe(9);
    expect(parseChatRequest({ messages: user, max_tokens: 7 }).job.maxTokens).toBe(7);
  });

  it('accepts exactly the caps', () => {
    const many = Array.from({ length: MAX_MESSAGES }, () => user[0]);
    expect(parseChatRequest({ messages: many }).job.messages).toHaveLength(MAX_MESSAGES);
    const text = 'x'.repeat(MAX_REQUEST_TEXT_BYTES);
    expect(parseChatRequest({ messages: [{ role: 'user', content: text }] }).job.messages[0]!.content).toBe(text);
  });
});

const GENERATE_REFUSED: Refused[] = [
  {
    name: 'a list of prompts',
    body: { prompt: ['a', 'b'] },
    field: 'prompt',
    message: 'prompt: give one prompt as a string',
  },
  { name: 'no prompt', body: {}, field: 'prompt', message: 'prompt: is required and must be a string' },
  { name: 'messages', body: { prompt: 'x', messages: user }, field: 'messages', message: 'messages: unknown field' },
  {
    name: 'best_of 2',
    body: { prompt: 'x', best_of: 2 },
    code: 'not_supported',
    field: 'best_of',
    message: 'best_of: only best_of = 1 is supported',
  },
  {
    name: 'echo',
    body: { prompt: 'x', echo: true },
    code: 'not_supported',
    field: 'echo',
    message: 'echo: echo is not supported by this runtime',
  },
  {
    name: 'a suffix',
    body: { prompt: 'x', suffix: 'y' },
    code: 'not_supported',
    field: 'suffix',
    message: 'suffix: suffix (insertion) is not supported by this runtime',
  },
  {
    name: 'logprobs 0 (the sampled token only is still a log probability)',
    body: { prompt: 'x', logprobs: 0 },
    code: 'not_supported',
    field: 'logprobs',
    message: 'logprobs: log probabilities are not supported by this runtime',
  },
  {
    name: 'more text than the cap',
    body: { prompt: 'x'.repeat(MAX_REQUEST_TEXT_BYTES), stop: ['yy'] },
    field: 'prompt',
    message: `prompt: the request's text is ${MAX_REQUEST_TEXT_BYTES + 2} bytes (UTF-8); ${PER_REQUEST}`,
  },
];

describe('completion requests: strict, naming the field', () => {
  refusesEach(parseGenerateRequest, GENERATE_REFUSED);

  it('accepts the openai SDK completion fields with their defaults', () => {
    const { job, delivery } = parseGenerateRequest({
      model: 'm',
      prompt: 'Once',
      max_tokens: 8,
      n: 1,
      best_of: 1,
      echo: false,
      suffix: null,
      logprobs: null,
      stream: true,
      user: 'u',
      top_k: 0,
    });
    expect(delivery).toEqual({ stream: true, includeUsage: false });
    expect(job).toMatchObject({ model: 'm', prompt: 'Once', maxTokens: 8, topK: 0, stop: [] });
  });
});

describe('CountTokens requests', () => {
  it('counts a prompt or messages, not both, not neither', () => {
    expect(parseCountTokensRequest({ prompt: 'abc' })).toEqual({ kind: 'text', model: '', prompt: 'abc' });
    expect(parseCountTokensRequest({ messages: user, reasoning_effort: 'low' })).toEqual({
      kind: 'chat',
      job: {
        tools: [],
        responseFormat: { type: 'text' },
        model: '',
        messages: [{ role: 'user', content: 'Hi' }],
        reasoningEffort: 'low',
      },
    });
    const both = refusal(parseCountTokensRequest, { prompt: 'abc', messages: user });
    expect([both.field, both.message]).toEqual(['prompt', 'prompt: give a prompt or messages to count, not both']);
    const neither = refusal(parseCountTokensRequest, { messages: [] });
    expect([neither.field, neither.message]).toEqual(['prompt', 'prompt: give a prompt or messages to count']);
    const unknown = refusal(parseCountTokensRequest, { prompt: 'abc', max_tokens: 3 });
    expect([unknown.field, unknown.message]).toEqual(['max_tokens', 'max_tokens: unknown field']);
  });
});
