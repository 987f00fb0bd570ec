import { describe, expect, it } from 'vitest';
import { HARMONY_TOKENS, type HarmonyToken } from '../../../runtime/harmony/format.js';
import { HarmonyParser, parseHeader, type ParsedDelta, type TokenReader } from '../../../runtime/harmony/parser.js';

/**
 * A fake tokenizer (the parser's collaborator): tokens are strings; formatting tokens are harmony's;
 * `é1` + `é2` are the two halves of an `é`, as byte-level tokens split a character.
 */
const fakeReader: TokenReader<string> = {
  formatting: (t) => ((Object.values(HARMONY_TOKENS) as string[]).includes(t) ? (t as HarmonyToken) : null),
  text: (tokens) => tokens.join('').replaceAll('é1é2', 'é').replaceAll('é1', '\uFFFD').replaceAll('é2', '\uFFFD'),
};

function parse(tokens: string[], role: string | null = 'assistant') {
  const parser = new HarmonyParser(fakeReader, role);
  const deltas: ParsedDelta[] = [];
  for (const t of tokens) deltas.push(...parser.push(t));
  deltas.push(...parser.finish());
  return {
    parser,
    deltas,
    text: (channel: string | null) =>
      deltas
        .filter((d) => d.channel === channel)
        .map((d) => d.text)
        .join(''),
  };
}

const C = HARMONY_TOKENS;

describe('harmony output, parsed as it streams (pure)', () => {
  it('reasoning then the answer, each on its channel; <|return|> ends the generation', () => {
    const { parser, deltas, text } = parse([
      C.channel,
      'analysis',
      C.message,
      'Think',
      'ing.',
      C.end,
      C.start,
      'assistant',
      C.channel,
      'final',
      C.message,
      'Hello',
      ' world',
      C.return,
    ]);
    expect(text('analysis')).toBe('Thinking.');
    expect(text('final')).toBe('Hello world');
    expect(deltas.map((d) => d.text)).toEqual(['Think', 'ing.', 'Hello', ' world']);
    expect(parser.ended).toBe('return');
    expect(parser.messages).toEqual([
      { role: 'assistant', channel: 'analysis', recipient: null, contentType: null, content: 'Thinking.' },
      { role: 'assistant', channel: 'final', recipient: null, contentType: null, content: 'Hello world' },
    ]);
  });

  it('a character split across tokens waits for its second half', () => {
    const { deltas } = parse([C.channel, 'final', C.message, 'caf', 'é1', 'é2', '!', C.return]);
    expect(deltas.map((d) => d.text)).toEqual(['caf', 'é', '!']);
  });

  it('a tool call: recipient and constrained content type from the header, ended by <|call|>', () => {
    const { parser } = parse([
      ' to=functions.get_weather',
      C.channel,
      'commentary',
      ' ',
      C.constrain,
      'json',
      C.message,
      '{"city":',
      '"Oslo"}',
      C.call,
    ]);
    expect(parser.ended).toBe('call');
    expect(parser.messages).toEqual([
      {
        role: 'assistant',
        channel: 'commentary',
        recipient: 'functions.get_weather',
        contentType: '<|constrain|>json',
        content: '{"city":"Oslo"}',
      },
    ]);
  });

  it('text where the header should be is the answer (a model that skipped the format)', () => {
    const { text, parser } = parse(['Hello', ' there']);
    expect(text(null)).toBe('Hello there');
    expect(parser.ended).toBeNull();
  });

  it('an endless header becomes content rather than being held forever', () => {
    const { text } = parse([C.channel, ...Array.from({ length: 300 }, () => 'x')]);
    expect(text(null)).toBe(`${C.channel}${'x'.repeat(300)}`);
  });

  it('header tokens inside content are shown as written; max tokens mid-message keeps what came', () => {
    const { text } = parse([C.channel, 'final', C.message, 'a', C.message, 'b']);
    expect(text('final')).toBe(`a${C.message}b`);
  });

  it.each([
    ['assistant<|channel|>final', null, { role: 'assistant', channel: 'final', recipient: null, contentType: null }],
    [
      '<|channel|>analysis',
      'assistant',
      { role: 'assistant', channel: 'analysis', recipient: null, contentType: null },
    ],
    [
      'assistant to=functions.f<|channel|>commentary <|constrain|>json',
      null,
      { role: 'assistant', channel: 'commentary', recipient: 'functions.f', contentType: '<|constrain|>json' },
    ],
    [
      'assistant<|channel|>commentary to=functions.f <|constrain|>json',
      null,
      { role: 'assistant', channel: 'commentary', recipient: 'functions.f', contentType: '<|constrain|>json' },
    ],
    [
      'assistant<|channel|>analysis to=python',
      null,
      { role: 'assistant', channel: 'analysis', recipient: 'python', contentType: null },
    ],
    [
      'functions.get_weather to=assistant<|channel|>commentary',
      null,
      { role: 'functions.get_weather', channel: 'commentary', recipient: 'assistant', contentType: null },
    ],
  ] as const)('header %j (role %j)', (header, role, expected) => {
    expect(parseHeader(header, role)).toEqual(expected);
  });
});
