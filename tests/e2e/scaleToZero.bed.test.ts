import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cluster/processes.js';
import { SCRIPTED_ANSWER } from '../../runtime/synth/harmonyScript.js';
import { eventsAbout, kubectl, waitFor } from '../helpers/cluster.js';
import { condition, readModel } from '../helpers/operator.js';
import { applyModel, e2eModel, podClients, readyRuntimePods, useStack } from '../helpers/stack.js';
import { createKey, useGateway } from '../gateway/process.js';

/*
 * Scale to zero and prefix-aware routing on the real control plane: the operator (its builtin
 * autoscaler reading the gateway's held requests), the dev agent running real runtimes on the
 * scripted model, and two gateways (one with a hold limit of 2 s), all as processes; clients are the
 * openai SDK and fetch.
 */
const settings = { autoscaler: { intervalSeconds: 1, scrapeTimeoutMs: 500, gateways: [] as string[] } };
const gatewayArgs: string[] = ['--hold-seconds', '120'];

describe('idle models hold no replica; requests held at the gateway wake them', () => {
  // the gateway's ops port is chosen before the operator starts, so its autoscaler knows where to read
  beforeAll(async () => {
    const ops = await freePort();
    settings.autoscaler.gateways.push(`127.0.0.1:${ops}`);
    gatewayArgs.push('--ops-port', String(ops));
  });
  const stack = useStack('zero', settings);
  const { ns, agent } = stack;
  const served = useGateway(ns, gatewayArgs);
  const impatient = useGateway(ns, ['--hold-seconds', '2']);
  let key = '';
  const id = (name: string) => `${ns.name}/${name}`;
  const openai = (gateway = served.gateway) =>
    new OpenAI({ baseURL: `${gateway.http}/v1`, apiKey: key, maxRetries: 0 });
  const gatewayMetric = async (sample: string) => {
    const text = await (await fetch(`${served.gateway.ops}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
    return line === undefined ? 0 : Number(line.slice(sample.length + 1));
  };
  const held = (name: string) => gatewayMetric(`gptoss_gateway_held_requests{model="${id(name)}"}`);
  const specReplicas = (name: string) =>
    Number(kubectl(['get', 'gom', name, '-n', ns.name, '-o', 'jsonpath={.spec.replicas}']));
  const atZero = async (name: string) => {
    const model = readModel(ns.name, name);
    return (
      model.spec.replicas === 0 &&
      condition(model, 'Ready')?.reason === 'ScaledToZero' &&
      (await readyRuntimePods(ns.name, name)).length === 0
    );
  };
  const ask = (name: string, content: string, signal?: AbortSignal) =>
    openai().chat.completions.create(
      { model: id(name), messages: [{ role: 'user', content }], max_tokens: 64 },
      { signal },
    );
  const sleepy = {
    replicas: 1,
    parallelSlots: 1,
    autoscaling: { mode: 'builtin', minReplicas: 0, maxReplicas: 1, scaleToZeroAfterSeconds: 3 },
  };

  beforeAll(async () => {
    applyModel(e2eModel(ns.name, 'sleepy', agent.nodeName, 'scripted', sleepy));
    applyModel(
      e2eModel(ns.name, 'parked', agent.nodeName, 'scripted', { replicas: 0, autoscaling: { mode: 'external' } }),
    );
    applyModel(e2eModel(ns.name, 'pair', agent.nodeName, 'scripted', { replicas: 2 }));
    key = createKey(ns.name, ['--team', 'zero']).key;
  });
  afterAll(() => {
    kubectl(['delete', 'gom', '--all', '-n', ns.name, '--wait=false']);
  });

  it('a model scales to zero after its idle time, and its status says so', async () => {
    await waitFor(() => atZero('sleepy'), 120_000, `sleepy at zero: ${stack.operator.logs()}`);
    const events = eventsAbout(ns.name, 'sleepy', 'ScaledDown');
    expect(events.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/: every replica idle for [\d.]+s \(scaleToZeroAfterSeconds 3\): 1 -> 0 replicas$/),
    );
    expect(condition(readModel(ns.name, 'sleepy'), 'Ready')).toMatchObject({ status: 'False', reason: 'ScaledToZero' });
  });

  it('eight requests sent at zero wake it and all complete, in order, with their tokens', async () => {
    await waitFor(() => atZero('sleepy'), 60_000, 'sleepy at zero');
    const finished: number[] = [];
    const decisions = new Set<string>();
    let maxHeld = 0;
    const answers: Array<Promise<OpenAI.ChatCompletion>> = [];
    const watch = setInterval(() => {
      const status = readModel(ns.name, 'sleepy').status as { autoscaling?: { lastDecision?: { message: string } } };
      const message = status.autoscaling?.lastDecision?.message;
      if (message) decisions.add(message);
    }, 250);
    for (let n = 0; n < 8; n++) {
      answers.push(
        ask('sleepy', `question ${n}`).then((answer) => {
          finished.push(n);
          return answer;
        }),
      );
      // each held before the next is sent; once a replica is up they go straight to it, a moment apart
      await waitFor(
        async () => (await held('sleepy')) === n + 1 || (await readyRuntimePods(ns.name, 'sleepy')).length > 0,
        10_000,
        `request ${n} held`,
        20,
      );
      const holding = await held('sleepy');
      maxHeld = Math.max(maxHeld, holding);
      if (holding !== n + 1) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const done = await Promise.all(answers).finally(() => clearInterval(watch));
    expect(finished).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const answer of done) {
      expect(answer.choices[0]!.message.content).toBe(SCRIPTED_ANSWER);
      expect(answer.usage!.completion_tokens).toBeGreaterThan(0);
    }
    expect(specReplicas('sleepy')).toBe(1);
    expect(served.gateway.stdout() + served.gateway.stderr()).toMatch(/"msg":"Woke model"/);
    // the autoscaler counted what the gateway held as demand (8 wanted, at most 1 allowed)
    expect(
      [...decisions].some((m) => /request\(s\) held at the gateways/.test(m)),
      [...decisions].join('\n'),
    ).toBe(true);
    expect(await held('sleepy')).toBe(0);
    // every request held was served: none timed out, left or found the queue full
    const outcome = (o: string) =>
      gatewayMetric(`gptoss_gateway_held_requests_total{model="${id('sleepy')}",outcome="${o}"}`);
    expect(maxHeld).toBeGreaterThanOrEqual(1);
    expect(await outcome('served')).toBeGreaterThanOrEqual(maxHeld);
    for (const o of ['timeout', 'left', 'full']) expect(await outcome(o), o).toBe(0);
  });

  it('a held request whose client leaves is dropped from the queue', async () => {
    await waitFor(() => atZero('sleepy'), 60_000, 'sleepy at zero again');
    const leaving = new AbortController();
    const gone = ask('sleepy', 'never mind', leaving.signal).catch((error: unknown) => error);
    await waitFor(async () => (await held('sleepy')) === 1, 10_000, 'the request held', 20);
    leaving.abort();
    expect(await gone).toBeInstanceOf(OpenAI.APIUserAbortError);
    await waitFor(async () => (await held('sleepy')) === 0, 10_000, 'the request dropped', 20);
    expect(await gatewayMetric(`gptoss_gateway_held_requests_total{model="${id('sleepy')}",outcome="left"}`)).toBe(1);
  });

  it('held past the hold limit: 503 with retry-after', async () => {
    const res = await fetch(`${impatient.gateway.http}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: id('parked'), messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(await res.json()).toEqual({
      error: {
        message: `model "${id('parked')}" had no ready replica within the hold limit of 2s; retry later`,
        type: 'server_error',
        param: null,
        code: 'unavailable',
      },
    });
    // external mode: KEDA wakes it, never the gateway
    expect(specReplicas('parked')).toBe(0);
  });

  it("a conversation's second turn lands on its first turn's replica; conversations spread over both", async () => {
    await waitFor(async () => (await readyRuntimePods(ns.name, 'pair')).length === 2, 120_000, 'two replicas of pair');
    const client = openai();
    const servedLines = () =>
      (served.gateway.stdout() + served.gateway.stderr())
        .split('\n')
        .filter((l) => l.includes('"Served request"') && l.includes(`"${id('pair')}"`));
    let count = servedLines().length;
    /** The replica of the request just answered: its access log line follows the answer by a moment. */
    const replicaOfLast = async () => {
      count += 1;
      await waitFor(() => servedLines().length >= count, 5000, 'the access log line', 10);
      return (JSON.parse(servedLines()[count - 1]!) as { replica: string }).replica;
    };
    const homes: Array<[string, string]> = [];
    for (let c = 0; c < 16; c++) {
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: 'system', content: `You are assistant number ${c}.` },
        { role: 'user', content: `Conversation ${c}: tell me a story.` },
      ];
      const first = await client.chat.completions.create({ model: id('pair'), messages, max_tokens: 64 });
      const firstReplica = await replicaOfLast();
      messages.push(first.choices[0]!.message, { role: 'user', content: 'And then?' });
      const second = await client.chat.completions.create({ model: id('pair'), messages, max_tokens: 64 });
      homes.push([firstReplica, await replicaOfLast()]);
      // the second turn found its first turn's tokens in a slot of that replica: only what is new was evaluated
      expect(second.usage!.prompt_tokens_details!.cached_tokens).toBeGreaterThanOrEqual(first.usage!.prompt_tokens / 2);
    }
    for (const [first, second] of homes) expect(second).toBe(first);
    expect(new Set(homes.map(([first]) => first)).size).toBe(2);
    expect(
      await gatewayMetric(`gptoss_gateway_routing_decisions_total{model="${id('pair')}",reason="prefix_hash"}`),
    ).toBeGreaterThanOrEqual(16);
    // in the pods, the second turns found their first turn's tokens in a slot
    let cached = 0;
    for (const pod of await readyRuntimePods(ns.name, 'pair')) {
      const text = await (await fetch(`${podClients(pod).httpUrl}/metrics`)).text();
      cached += Number(/^gptoss_runtime_prompt_tokens_cached_sum (\S+)$/m.exec(text)?.[1] ?? 0);
    }
    expect(cached).toBeGreaterThan(0);
  });
});
