import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASONING_EFFORTS } from '../../contract/models.js';
import { SCRIPTED_ANSWER, SCRIPTED_COMPLETION_TOKENS, SCRIPTED_REASONING } from '../../runtime/synth/harmonyScript.js';
import { collect, startTestRuntime, unary, type TestRuntime } from '../helpers/runtime.js';

/** The scripted gpt-oss model answers in harmony with known text: channels and effort end to end. */
describe('harmony channels and reasoning effort (scripted gpt-oss model)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('scripted', { reasoningEffort: 'high' });
  });
  afterAll(() => t?.stop());

  const hi = [{ role: 'user', content: 'Hi' }];

  it("loads as llama.cpp's gpt-oss architecture and speaks harmony", async () => {
    const { response, error } = await unary(t.grpc.GetModelInfo.bind(t.grpc), {});
    expect(error).toBeNull();
    expect(response).toMatchObject({
      architecture: 'gpt-oss',
      harmony: true,
      parallel_slots: 2,
      context_size: 1024,
      gpu: 'cpu',
    });
  });

  for (const effort of REASONING_EFFORTS) {
    it(`gRPC Chat at ${effort} effort streams the analysis then the final message, apart`, async () => {
      const wireEffort = `REASONING_EFFORT_${effort.toUpperCase()}`;
      const { messages, error } = await collect(
        t.grpc.Chat({ messages: hi, reasoning_effort: wireEffort, temperature: 0.7 }),
      );
      expect(error).toBeNull();
      const deltas = messages.slice(0, -1);
      const channels = deltas.map((m) => m.channel);
      const firstFinal = channels.indexOf('CHANNEL_FINAL');
      expect(channels.slice(0, firstFinal).every((c) => c === 'CHANNEL_ANALYSIS')).toBe(true);
      expect(channels.slice(firstFinal).every((c) => c === 'CHANNEL_FINAL')).toBe(true);
      const text = (channel: string) =>
        deltas
          .filter((m) => m.channel === channel)
          .map((m) => m.text)
          .join('');
      expect(text('CHANNEL_ANALYSIS')).toBe(SCRIPTED_REASONING[effort]);
      expect(text('CHANNEL_FINAL')).toBe(SCRIPTED_ANSWER);
      const last = messages.at(-1)!;
      expect(last.finish_reason).toBe('FINISH_REASON_STOP');
      expect(last.text ?? '').toBe('');
      const { response: counted } = await unary(t.grpc.CountTokens.bind(t.grpc), {
        messages: hi,
        reasoning_effort: wireEffort,
      });
      expect(last.usage).toMatchObject({
        prompt_tokens: counted!.tokens,
        completion_tokens: SCRIPTED_COMPLETION_TOKENS,
      });
    });
  }

  it('uses the server default effort when the request names none', async () => {
    const { messages } = await collect(t.grpc.Chat({ messages: hi }));
    const analysis = messages
      .filter((m) => m.channel === 'CHANNEL_ANALYSIS')
      .map((m) => m.text)
      .join('');
    expect(analysis).toBe(SCRIPTED_REASONING.high);
  });

  it('OpenAI SDK, not streamed: reasoning_content apart from content', async () => {
    const completion = await t.openai.chat.completions.create({
      model: 'gpt-oss-tiny-scripted-seed1',
      messages: [{ role: 'user', content: 'Hi' }],
      reasoning_effort: 'low',
    });
    const message = completion.choices[0]!.message as (typeof completion.choices)[0]['message'] & {
      reasoning_content?: string;
    };
    expect(message.content).toBe(SCRIPTED_ANSWER);
    expect(message.reasoning_content).toBe(SCRIPTED_REASONING.low);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ completion_tokens: SCRIPTED_COMPLETION_TOKENS });
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + SCRIPTED_COMPLETION_TOKENS);
  });

  it('OpenAI SDK, streamed: reasoning deltas then content deltas, usage on request', async () => {
    const stream = await t.openai.chat.completions.create({
      model: 'gpt-oss-tiny-scripted-seed1',
      messages: [{ role: 'user', content: 'Hi' }],
      reasoning_effort: 'medium',
      stream: true,
      stream_options: { include_usage: true },
    });
    let reasoning = '';
    let content = '';
    let finish: string | null = null;
    let usage: unknown = null;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      if (delta?.reasoning_content) {
        expect(content).toBe(''); // all reasoning comes before the answer
        reasoning += delta.reasoning_content;
      }
      if (delta?.content) content += delta.content;
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(reasoning).toBe(SCRIPTED_REASONING.medium);
    expect(content).toBe(SCRIPTED_ANSWER);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: SCRIPTED_COMPLETION_TOKENS });
  });
});
