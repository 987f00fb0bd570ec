import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SCRIPTED_ANSWER, SCRIPTED_REASONING } from '../../../runtime/synth/harmonyScript.js';
import { startTestRuntime, type TestRuntime } from '../../helpers/runtime.js';
import { KEY, modelOn, startRelayBench, type RelayBench } from './bench.js';

/**
 * The openai SDK with a key, through the relay to two scripted runtimes (the first one answers:
 * the bench's random source picks it whenever the counts tie): the answers as the runtime gives
 * them, the usage settled once with the runtime's numbers, the gateway's headers.
 */
describe('the OpenAI API through the relay', () => {
  let runtimes: TestRuntime[];
  let bench: RelayBench;
  const hi = [{ role: 'user' as const, content: 'Hi' }];

  beforeAll(async () => {
    runtimes = await Promise.all([0, 1].map(() => startTestRuntime('scripted', { modelName: 'chat' })));
    bench = await startRelayBench([modelOn('team-a', 'chat', runtimes)]);
    bench.keys.add('sk-low', 'key-low', { team: 'team-low', maxReasoningEffort: 'low' });
  });
  afterAll(async () => {
    await bench?.close();
    await Promise.all((runtimes ?? []).map((t) => t.stop()));
  });
  beforeEach(() => bench.quotas.reset());

  /** What a runtime itself reports for the same request: the numbers the relay must settle. */
  async function runtimeUsage(body: object) {
    const direct = await runtimes[0]!.openai.chat.completions.create({ model: 'chat', ...body, messages: hi });
    const { prompt_tokens, completion_tokens, completion_tokens_details } = direct.usage!;
    return {
      promptTokens: prompt_tokens,
      completionTokens: completion_tokens,
      reasoningTokens: completion_tokens_details!.reasoning_tokens!,
    };
  }

  it("chat, whole: the runtime's answer and usage; settled once with them", async () => {
    const answer = await bench.openai().chat.completions.create({ model: 'team-a/chat', messages: hi });
    expect(answer.choices[0]!.message.content).toBe(SCRIPTED_ANSWER);
    const usage = {
      promptTokens: answer.usage!.prompt_tokens,
      completionTokens: answer.usage!.completion_tokens,
      reasoningTokens: answer.usage!.completion_tokens_details!.reasoning_tokens!,
    };
    expect(usage).toEqual(await runtimeUsage({}));
    expect(bench.quotas.settled).toEqual([{ keyId: 'key-open', usage }]);
  });

  it('chat, streamed without include_usage: no usage chunk reaches the client, yet usage is settled', async () => {
    const stream = await bench.openai().chat.completions.create({ model: 'chat', messages: hi, stream: true });
    let content = '';
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      content += chunk.choices[0]?.delta.content ?? '';
    }
    expect(content).toBe(SCRIPTED_ANSWER);
    expect(chunks.filter((c) => c.usage || c.choices.length === 0)).toEqual([]);
    expect(bench.quotas.settled).toEqual([{ keyId: 'key-open', usage: await runtimeUsage({}) }]);
  });

  it('chat, streamed with include_usage: the usage chunk as the runtime sends it', async () => {
    const stream = await bench.openai().chat.completions.create({
      model: 'team-a/chat',
      messages: hi,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    const expected = await runtimeUsage({});
    expect(last.usage).toMatchObject({
      prompt_tokens: expected.promptTokens,
      completion_tokens: expected.completionTokens,
      completion_tokens_details: { reasoning_tokens: expected.reasoningTokens },
    });
    expect(bench.quotas.settled).toEqual([{ keyId: 'key-open', usage: expected }]);
  });

  it('completions, whole and streamed: the same text, settled once each', async () => {
    const whole = await bench.openai().completions.create({ model: 'team-a/chat', prompt: 'Hi', max_tokens: 5 });
    const stream = await bench
      .openai()
      .completions.create({ model: 'team-a/chat', prompt: 'Hi', max_tokens: 5, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(whole.choices[0]!.text);
    const usage = {
      promptTokens: whole.usage!.prompt_tokens,
      completionTokens: whole.usage!.completion_tokens,
      reasoningTokens: 0,
    };
    expect(bench.quotas.settled).toEqual([
      { keyId: 'key-open', usage },
      { keyId: 'key-open', usage },
    ]);
  });

  it('responses, whole and streamed: the answer, and response.usage (reasoning apart) settled', async () => {
    const whole = await bench.openai().responses.create({ model: 'team-a/chat', input: 'Hi', store: false });
    expect(whole.output_text).toBe(SCRIPTED_ANSWER);
    const stream = await bench
      .openai()
      .responses.create({ model: 'team-a/chat', input: 'Hi', store: false, stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe('response.completed');
    const usage = {
      promptTokens: whole.usage!.input_tokens,
      completionTokens: whole.usage!.output_tokens,
      reasoningTokens: whole.usage!.output_tokens_details.reasoning_tokens,
    };
    expect(usage.reasoningTokens).toBeGreaterThan(0);
    expect(bench.quotas.settled).toEqual([
      { keyId: 'key-open', usage },
      { keyId: 'key-open', usage },
    ]);
  });

  it("passes the QuotaKeeper's state as OpenAI's x-ratelimit-* headers", async () => {
    bench.quotas.state = {
      requests: { limit: 60, remaining: 59, resetSeconds: 1 },
      tokens: { limit: 150000, remaining: 149984, resetSeconds: 360 },
    };
    const { response } = await bench
      .openai()
      .chat.completions.create({ model: 'team-a/chat', messages: hi })
      .withResponse();
    const headers = Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('x-ratelimit-')));
    expect(headers).toEqual({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-reset-tokens': '6m0s',
    });
  });

  it("serves a request above its key's effort cap at the cap, and says so", async () => {
    const low = bench.openai('sk-low');
    const asked = await low.chat.completions
      .create({ model: 'team-a/chat', messages: hi, reasoning_effort: 'high' })
      .withResponse();
    expect(asked.response.headers.get('x-gptoss-reasoning-effort-capped')).toBe('high->low');
    expect((asked.data.choices[0]!.message as { reasoning_content?: string }).reasoning_content).toBe(
      SCRIPTED_REASONING.low,
    );
    // none asked is the runtime's default, medium
    const unasked = await low.chat.completions.create({ model: 'team-a/chat', messages: hi }).withResponse();
    expect(unasked.response.headers.get('x-gptoss-reasoning-effort-capped')).toBe('medium->low');
    const atCap = await low.chat.completions
      .create({ model: 'team-a/chat', messages: hi, reasoning_effort: 'low' })
      .withResponse();
    expect(atCap.response.headers.get('x-gptoss-reasoning-effort-capped')).toBeNull();
    // the Responses API's reasoning.effort, and a key without a cap
    const responses = await low.responses
      .create({ model: 'team-a/chat', input: 'Hi', store: false, reasoning: { effort: 'high' } })
      .withResponse();
    expect(responses.response.headers.get('x-gptoss-reasoning-effort-capped')).toBe('high->low');
    expect(responses.data.reasoning?.effort).toBe('low');
    const open = await bench
      .openai()
      .chat.completions.create({ model: 'team-a/chat', messages: hi, reasoning_effort: 'high' })
      .withResponse();
    expect(open.response.headers.get('x-gptoss-reasoning-effort-capped')).toBeNull();
  });

  it('lists and describes the models the key may use, ids <namespace>/<name>', async () => {
    const listed = [];
    for await (const model of bench.openai().models.list()) listed.push(model);
    expect(listed).toEqual([{ id: 'team-a/chat', object: 'model', created: 0, owned_by: 'team-a' }]);
    expect(await bench.openai().models.retrieve('team-a/chat')).toEqual(listed[0]);
    bench.keys.add('sk-none', 'key-none', { models: ['team-b/other'] });
    const none = [];
    for await (const model of bench.openai('sk-none').models.list()) none.push(model);
    expect(none).toEqual([]);
  });

  it('writes one access log line per request, without the prompt or the key', async () => {
    const secret = 'a prompt that must never be logged';
    bench.logs.length = 0;
    await bench
      .openai()
      .chat.completions.create({ model: 'team-a/chat', messages: [{ role: 'user', content: secret }] });
    const served = bench.logs.filter((line) => line.msg === 'Served request');
    expect(served).toEqual([
      expect.objectContaining({
        level: 30,
        api: 'http',
        endpoint: 'POST /v1/chat/completions',
        team: 'team-a',
        keyId: 'key-open',
        model: 'team-a/chat',
        status: 200,
        code: null,
        // which replica is routing's choice (tests/gateway/routing): a request still settling from the test before
        // counts as load and can move this one
        replica: expect.stringMatching(/^chat-[01]$/),
        retries: 0,
        tokens: bench.quotas.settled[0]!.usage,
      }),
    ]);
    const everything = JSON.stringify(bench.logs);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(KEY);
  });

  it('counts requests and tokens per team and model, reasoning apart from the answer', async () => {
    const before = {
      ok: await bench.metric('gptoss_gateway_requests_total{team="team-a",model="team-a/chat",code="200"}'),
      prompt: await bench.metric('gptoss_gateway_tokens_total{team="team-a",model="team-a/chat",kind="prompt"}'),
      completion: await bench.metric(
        'gptoss_gateway_tokens_total{team="team-a",model="team-a/chat",kind="completion"}',
      ),
      reasoning: await bench.metric('gptoss_gateway_tokens_total{team="team-a",model="team-a/chat",kind="reasoning"}'),
    };
    const answer = await bench.openai().chat.completions.create({ model: 'team-a/chat', messages: hi });
    const usage = answer.usage!;
    const reasoning = usage.completion_tokens_details!.reasoning_tokens!;
    expect(await bench.metric('gptoss_gateway_requests_total{team="team-a",model="team-a/chat",code="200"}')).toBe(
      before.ok + 1,
    );
    expect(await bench.metric('gptoss_gateway_tokens_total{team="team-a",model="team-a/chat",kind="prompt"}')).toBe(
      before.prompt + usage.prompt_tokens,
    );
    expect(await bench.metric('gptoss_gateway_tokens_total{team="team-a",model="team-a/chat",kind="completion"}')).toBe(
      before.completion + usage.completion_tokens - reasoning,
    );
    expect(await bench.metric('gptoss_gateway_tokens_total{team="team-a",model="team-a/chat",kind="reasoning"}')).toBe(
      before.reasoning + reasoning,
    );
    expect(
      await bench.metric('gptoss_gateway_routing_decisions_total{model="team-a/chat",reason="random"}'),
    ).toBeGreaterThan(0);
    // earlier tests streamed: each stream's first byte timed
    expect(await bench.metric('gptoss_gateway_time_to_first_token_seconds_count{model="team-a/chat"}')).toBeGreaterThan(
      0,
    );
    expect(await bench.metric('gptoss_gateway_request_duration_seconds_count{model="team-a/chat"}')).toBeGreaterThan(
      before.ok,
    );
  });
});
