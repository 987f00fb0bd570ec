import { describe, expect, it } from 'vitest';
import { rulesFor, TurnGuide, type FormattingIds, type GuideVerdict } from '../../../runtime/engine/turnGuide.js';

/** A fake tokenizer for a pure unit: one token per character (1000 + its code). */
const encode = (text: string) => Promise.resolve([...text].map((c) => 1000 + c.charCodeAt(0)));
const ids: FormattingIds = { start: 1, end: 2, message: 3, channel: 4, constrain: 5, return: 6, call: 7 };
const chars = (text: string) => [...text].map((c) => 1000 + c.charCodeAt(0));
const textOf = (tokens: readonly number[]) =>
  tokens.map((t) => Object.entries(ids).find(([, id]) => id === t)?.[0] ?? String.fromCharCode(t - 1000));

async function guide(...args: Parameters<typeof rulesFor>) {
  return TurnGuide.create(ids, rulesFor(...args), encode);
}

/** Feeds tokens, checking each was allowed; returns the verdict of the last. */
function feed(g: TurnGuide, tokens: readonly number[]): GuideVerdict {
  let verdict: GuideVerdict = 'continue';
  for (const token of tokens) {
    const c = g.constraint();
    if (c.kind === 'tokens') expect(textOf(c.allowed)).toContain(textOf([token])[0]);
    if (c.kind === 'free') expect(c.banned).not.toContain(token);
    verdict = g.advance(token);
    if (verdict !== 'continue') break;
  }
  return verdict;
}

/** The characters the header may continue with now, sorted. */
const nextChars = (g: TurnGuide) => {
  const c = g.constraint();
  return c.kind === 'tokens' ? textOf(c.allowed).sort() : c.kind;
};

const header = (channel: string) => [ids.channel, ...chars(channel), ids.message];
const callHeader = (name: string) => [
  ids.channel,
  ...chars(`commentary to=functions.${name} `),
  ids.constrain,
  ...chars('json'),
  ids.message,
];
const opening = [ids.start, ...chars('assistant')];

describe('TurnGuide (pure): which tokens a harmony answer may take next', () => {
  it('auto: analysis, a preamble, a call to an offered function or the final answer; nothing else', async () => {
    const g = await guide({ mode: 'auto' }, ['get_weather', 'get_time'], false, false);
    expect(nextChars(g)).toEqual(['channel']);
    feed(g, [ids.channel]);
    expect(nextChars(g)).toEqual(['a', 'c', 'f']);
    feed(g, chars('commentary'));
    // a preamble ends its header here; a call goes on
    expect(nextChars(g)).toEqual([' ', 'message']);
    feed(g, chars(' to=functions.get_'));
    expect(nextChars(g)).toEqual(['t', 'w']);
  });

  it('a call: arguments under the JSON constraint of its function, then <|call|> ends the turn', async () => {
    const g = await guide({ mode: 'auto' }, ['get_weather'], false, false);
    expect(feed(g, [...header('analysis'), ...chars('Need weather.'), ids.end, ...opening])).toBe('continue');
    expect(feed(g, callHeader('get_weather'))).toBe('continue');
    expect(g.constraint()).toEqual({ kind: 'json', message: { channel: 'commentary', function: 'get_weather' } });
    expect(feed(g, [...chars('{}'), ids.call])).toBe('end');
    expect(g.opened).toEqual([
      { channel: 'analysis', function: null },
      { channel: 'commentary', function: 'get_weather' },
    ]);
    // the analysis message: its header (3 + 8 characters), 13 characters, its end
    expect(g.reasoningTokens).toBe(2 + 8 + 13 + 1);
  });

  it('between messages, <|start|>assistant is the only way on; free content may not open a message', async () => {
    const g = await guide({ mode: 'auto' }, [], true, false);
    feed(g, [...header('analysis'), ...chars('x')]);
    expect(g.constraint()).toEqual({ kind: 'free', banned: [ids.start, ids.channel, ids.message, ids.constrain] });
    feed(g, [ids.end]);
    for (const token of opening) {
      expect(g.constraint()).toEqual({ kind: 'tokens', allowed: [token] });
      g.advance(token);
    }
    expect(nextChars(g)).toEqual(['channel']);
  });

  it('parallel calls: after a call another may follow; any other message ends the turn unsaid', async () => {
    const g = await guide({ mode: 'auto' }, ['a', 'b'], true, false);
    expect(feed(g, [...callHeader('a'), ...chars('{}'), ids.call, ...opening])).toBe('continue');
    expect(feed(g, [...callHeader('b'), ...chars('{}'), ids.call, ...opening])).toBe('continue');
    expect(feed(g, [ids.channel, ...chars('a')])).toBe('endWithoutOpenMessage');
    expect(g.opened.map((m) => m.function)).toEqual(['a', 'b']);
  });

  it('parallel calls: after a call the model may end its turn instead of opening another message', async () => {
    const g = await guide({ mode: 'auto' }, ['a'], true, false);
    feed(g, [...callHeader('a'), ...chars('{}'), ids.call]);
    expect(g.constraint()).toEqual({ kind: 'tokens', allowed: [ids.start, ids.call, ids.return] });
    expect(g.advance(ids.return)).toBe('end');
    expect(g.opened.map((m) => m.function)).toEqual(['a']);
  });

  it('parallel calls: a preamble after a call ends the turn once its header says so', async () => {
    const g = await guide({ mode: 'auto' }, ['a'], true, false);
    feed(g, [...callHeader('a'), ...chars('{}'), ids.call, ...opening, ids.channel, ...chars('commentary')]);
    expect(g.advance(ids.message)).toBe('endWithoutOpenMessage');
  });

  it('none: no call can be written, even with functions offered', async () => {
    const g = await guide({ mode: 'none' }, ['get_weather'], true, false);
    feed(g, [ids.channel, ...chars('commentary')]);
    expect(nextChars(g)).toEqual(['message']);
  });

  it('required: reasoning or a call; no preamble, no final answer before a call', async () => {
    const g = await guide({ mode: 'required' }, ['get_weather'], false, false);
    feed(g, [ids.channel]);
    expect(nextChars(g)).toEqual(['a', 'c']);
    feed(g, chars('commentary'));
    expect(nextChars(g)).toEqual([' ']);
  });

  it('a named function: only that one', async () => {
    const g = await guide({ mode: 'function', name: 'get_time' }, ['get_weather', 'get_time'], true, false);
    feed(g, [ids.channel, ...chars('commentary to=functions.get_')]);
    expect(nextChars(g)).toEqual(['t']);
    expect(feed(g, [...chars('time '), ids.constrain, ...chars('json'), ids.message, ...chars('{}'), ids.call])).toBe(
      'end',
    );
  });

  it('structured output: the final answer is JSON; analysis stays free; the final message ends the turn', async () => {
    const g = await guide({ mode: 'auto' }, [], true, true);
    feed(g, header('analysis'));
    expect(g.constraint().kind).toBe('free');
    feed(g, [ids.end, ...opening, ...header('final')]);
    expect(g.constraint()).toEqual({ kind: 'json', message: { channel: 'final', function: null } });
    // <|end|> after a final answer ends the turn as <|return|> does
    expect(feed(g, [...chars('{}'), ids.end])).toBe('end');
  });

  it('a token outside what was allowed ends the turn', async () => {
    const g = await guide({ mode: 'auto' }, [], true, false);
    expect(g.advance(ids.message)).toBe('end');
  });
});
