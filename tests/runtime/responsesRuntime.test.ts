import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRIPTED_ANSWER, SCRIPTED_COMPLETION_TOKENS, SCRIPTED_REASONING } from '../../runtime/synth/harmonyScript.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const MODEL = 'gpt-oss-tiny-scripted-seed1';

/**
 * The HTTP surfaces on the real runtime (the scripted gpt-oss model, which answers with known text):
 * the Responses API, /apply-template and a raw harmony prompt on /v1/completions.
 */
describe('the Responses API and /apply-template on the scripted gpt-oss model', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('scripted', { reasoningEffort: 'high' });
  });
  afterAll(() => t?.stop());

  it('responses.create: the analysis as a reasoning item, the answer as a message', async () => {
    const response = await t.openai.responses.create({ model: MODEL, input: 'Hi', reasoning: { effort: 'low' } });
    expect(response.status).toBe('completed');
    expect(response.output).toMatchObject([
      { type: 'reasoning', content: [{ type: 'reasoning_text', text: SCRIPTED_REASONING.low }] },
      { type: 'message', content: [{ type: 'output_text', text: SCRIPTED_ANSWER }] },
    ]);
    expect(response.output_text).toBe(SCRIPTED_ANSWER);
    expect(response.usage).toMatchObject({ output_tokens: SCRIPTED_COMPLETION_TOKENS });
    expect(response.usage!.total_tokens).toBe(response.usage!.input_tokens + response.usage!.output_tokens);
  });

  it('responses.stream: the same items, streamed; previous_response_id continues it', async () => {
    const stream = t.openai.responses.stream({ model: MODEL, input: 'Hi', reasoning: { effort: 'medium' } });
    let reasoning = '';
    stream.on('response.reasoning_text.delta', (e) => (reasoning += e.delta));
    const first = await stream.finalResponse();
    expect(reasoning).toBe(SCRIPTED_REASONING.medium);
    expect(first.output_text).toBe(SCRIPTED_ANSWER);
    const second = await t.openai.responses.create({ model: MODEL, input: 'Again', previous_response_id: first.id });
    expect(second.output_text).toBe(SCRIPTED_ANSWER);
    // the history holds the first turn: its question and answer are in the prompt
    expect(second.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens);
  });

  it('/apply-template answers the harmony text the model sees', async () => {
    const res = await fetch(`${t.httpUrl}/apply-template`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const { prompt } = (await res.json()) as { prompt: string };
    expect(prompt).toMatch(/^<\|start\|>system<\|message\|>You are ChatGPT/);
    expect(prompt).toContain('<|start|>developer<|message|># Instructions\n\nBe brief.<|end|>');
    expect(prompt.endsWith('<|start|>user<|message|>Hi<|end|><|start|>assistant')).toBe(true);
  });

  it('/v1/completions on the rendered prompt runs past the analysis to the final answer', async () => {
    const render = await fetch(`${t.httpUrl}/apply-template`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], reasoning_effort: 'low' }),
    });
    const { prompt } = (await render.json()) as { prompt: string };
    const completion = await t.openai.completions.create({ model: MODEL, prompt });
    const [choice] = completion.choices;
    expect(choice!.finish_reason).toBe('stop');
    // the whole turn, formatting tokens written out; <|return|> ended it and is not text
    expect(choice!.text).toBe(
      `<|channel|>analysis<|message|>${SCRIPTED_REASONING.low}<|end|>` +
        `<|start|>assistant<|channel|>final<|message|>${SCRIPTED_ANSWER}`,
    );
  });
});
