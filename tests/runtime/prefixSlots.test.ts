import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metric, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/**
 * A new request takes the free slot whose cached tokens share the longest prefix with its prompt,
 * so a conversation's next turn evaluates only what is new, even after another conversation used
 * the other slot since. Counted by the runtime's own metrics.
 */

const MODEL = 'gpt-oss-tiny-scripted-seed1';
const conversation = (topic: string) => [
  { role: 'system' as const, content: `You answer questions about ${topic}. ${'Be precise and brief. '.repeat(20)}` },
  { role: 'user' as const, content: `Tell me about ${topic}.` },
];

describe('slot choice by cached prefix', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('scripted', { parallel: 2 });
  });
  afterAll(() => t?.stop());

  const cached = () => metric(t.httpUrl, 'gptoss_runtime_prompt_tokens_cached_sum');
  const evaluated = () => metric(t.httpUrl, 'gptoss_runtime_prompt_tokens_evaluated_sum');

  it("a conversation's second turn lands on the slot holding its first; only what is new is evaluated", async () => {
    const rivers = conversation('rivers');
    // both at once, one slot each; rivers ends first, so its slot is not the last one freed
    const [first] = await Promise.all([
      t.openai.chat.completions.create({ model: MODEL, messages: rivers, max_tokens: 2 }),
      t.openai.chat.completions.create({ model: MODEL, messages: conversation('volcanoes'), max_tokens: 30 }),
    ]);
    const [cachedBefore, evaluatedBefore] = [await cached(), await evaluated()];
    const second = await t.openai.chat.completions.create({
      model: MODEL,
      messages: [...rivers, { role: 'assistant', content: 'Rivers flow.' }, { role: 'user', content: 'More?' }],
    });
    const reused = (await cached()) - cachedBefore;
    // the whole first prompt was held (and the answer's first token, `<|channel|>`, as the history renders it);
    // the other slot shares only the system message's opening
    expect(reused).toBeGreaterThanOrEqual(first.usage!.prompt_tokens);
    expect(reused).toBeLessThan(second.usage!.prompt_tokens);
    expect((await evaluated()) - evaluatedBefore).toBe(second.usage!.prompt_tokens - reused);
  });
});
