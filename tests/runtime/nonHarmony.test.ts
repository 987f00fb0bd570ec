import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, startTestRuntime, unary, type TestRuntime } from '../helpers/runtime.js';

describe('a llama model: the non-harmony path', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('llama');
  });
  afterAll(() => t?.stop());

  it('reports llama and no harmony; chat text is all final, reasoning effort has no channel to reach', async () => {
    const { response } = await unary(t.grpc.GetModelInfo.bind(t.grpc), {});
    expect(response).toMatchObject({ architecture: 'llama', harmony: false, served_name: 'llama-tiny-seed1' });
    const { messages, error } = await collect(
      t.grpc.Chat({
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 12,
        reasoning_effort: 'REASONING_EFFORT_HIGH',
      }),
    );
    expect(error).toBeNull();
    expect(messages.slice(0, -1).every((m) => m.channel === 'CHANNEL_FINAL')).toBe(true);
    expect(messages.at(-1)).toMatchObject({ finish_reason: 'FINISH_REASON_LENGTH', usage: { completion_tokens: 12 } });
  });
});

describe('OpenAI completions on a random gpt-oss model', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('tiny');
  });
  afterAll(() => t?.stop());

  it('not streamed: exactly max_tokens, finish_reason length', async () => {
    const completion = await t.openai.completions.create({
      model: 'gpt-oss-tiny-seed1',
      prompt: 'Once upon a time',
      max_tokens: 10,
      seed: 3,
    });
    expect(completion.object).toBe('text_completion');
    expect(completion.choices[0]!.finish_reason).toBe('length');
    expect(completion.usage).toMatchObject({ completion_tokens: 10 });
    expect(completion.choices[0]!.text.length).toBeGreaterThan(0);
  });

  it('streamed: the chunks add up to the same text for the same seed', async () => {
    const whole = await t.openai.completions.create({
      model: '',
      prompt: 'Once upon a time',
      max_tokens: 10,
      seed: 5,
      temperature: 0.8,
    });
    const stream = await t.openai.completions.create({
      model: '',
      prompt: 'Once upon a time',
      max_tokens: 10,
      seed: 5,
      temperature: 0.8,
      stream: true,
    });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(whole.choices[0]!.text);
    expect(finish).toBe('length');
  });

  it('without a seed every request samples on its own; with one, the same prompt gives the same text', async () => {
    const complete = (seed?: number) =>
      t.openai.completions
        .create({
          model: '',
          prompt: 'Once upon a time',
          max_tokens: 12,
          temperature: 1,
          ...(seed !== undefined && { seed }),
        })
        .then((completion) => completion.choices[0]!.text);
    // four at once, within one second: node-llama-cpp's default seed (the current second) would give them one answer
    const unseeded = await Promise.all([complete(), complete(), complete(), complete()]);
    expect(new Set(unseeded).size).toBe(4);
    const seeded = await Promise.all([complete(7), complete(7)]);
    expect(seeded[1]).toBe(seeded[0]);
  });

  it('GET /v1/models lists the served model', async () => {
    const models = await t.openai.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['gpt-oss-tiny-seed1']);
  });
});
