import { spawnSync } from 'node:child_process';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { RuntimeClient } from '../../contract/grpc/protos.js';
import { SCRIPTED_ANSWER, SCRIPTED_REASONING } from '../../runtime/synth/harmonyScript.js';
import { toolPath } from '../../scripts/tools.js';
import { dashboardQueries, metricNamesUsed } from '../helpers/chart.js';
import { waitFor } from '../helpers/cluster.js';
import { converged } from '../helpers/operator.js';
import { collect, type RuntimeStub } from '../helpers/runtime.js';
import { applyModel, e2eModel, useStack } from '../helpers/stack.js';
import { createKey, gptossKeys, useGateway } from './process.js';

/*
 * The gateway on the real control plane, with the operator, the dev agent and the gateway as
 * processes: models applied with kubectl, keys made with `gptoss keys`, clients nobody here wrote
 * (the openai SDK, grpc-js, grpcurl) with a key.
 */
describe('the gateway end to end', () => {
  const stack = useStack('gw-e2e');
  const { ns, agent } = stack;
  const served = useGateway(ns);
  /** A key for every model, and one for the idle model only. */
  let everything = '';
  let idleOnly = '';
  const openai = (key: string) => new OpenAI({ baseURL: `${served.gateway.http}/v1`, apiKey: key, maxRetries: 0 });
  const post = (path: string, body: unknown, key?: string) =>
    fetch(`${served.gateway.http}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  /** Whether the gateway knows the key: GET /v1/models authenticates, and counts against no quota. */
  const known = async (key: string) =>
    (await fetch(`${served.gateway.http}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status === 200;
  const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'Hi' }] });
  const errorOf = async (response: Response) =>
    ((await response.json()) as { error: { message: string; type: string; code: string; param: string | null } }).error;

  beforeAll(async () => {
    applyModel(e2eModel(ns.name, 'chat', agent.nodeName, 'scripted'));
    applyModel(e2eModel(ns.name, 'idle', agent.nodeName, 'scripted', { replicas: 0 }));
    await waitFor(() => converged(ns.name, 'chat', 1), 120_000, `the model to be Ready: ${stack.operator.logs()}`);
    everything = createKey(ns.name, ['--team', 'research']).key;
    idleOnly = createKey(ns.name, ['--team', 'interns', '--models', `${ns.name}/idle`]).key;
    // the gateway sees the Ready pod and both keys (watches) before the first test
    await waitFor(
      async () => (await post('/v1/chat/completions', chat('chat'), everything)).status === 200,
      10_000,
      `the gateway to serve chat: ${served.gateway.stderr()}`,
      100,
    );
  });

  it('the openai SDK with a key, not streamed and streamed, by <name> and by <namespace>/<name>', async () => {
    const client = openai(everything);
    const completion = await client.chat.completions.create({ ...chat('chat'), reasoning_effort: 'low' } as never);
    const message = completion.choices[0]!.message as { content: string; reasoning_content?: string };
    expect(message.content).toBe(SCRIPTED_ANSWER);
    expect(message.reasoning_content).toBe(SCRIPTED_REASONING.low);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({ ...chat(`${ns.name}/chat`), stream: true } as never);
    let content = '';
    let chunks = 0;
    for await (const chunk of stream as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) {
      chunks += 1;
      content += chunk.choices[0]?.delta.content ?? '';
    }
    expect(content).toBe(SCRIPTED_ANSWER);
    expect(chunks).toBeGreaterThan(2);
  });

  it('GET /v1/models lists what the key may use, ids <namespace>/<name>', async () => {
    const ids = async (key: string) => (await openai(key).models.list()).data.map((m) => m.id);
    expect(await ids(everything)).toEqual([`${ns.name}/chat`, `${ns.name}/idle`]);
    expect(await ids(idleOnly)).toEqual([`${ns.name}/idle`]);
  });

  it('grpc-js through the gateway, with the key in the authorization metadata', async () => {
    const client = new RuntimeClient(served.gateway.grpc, credentials.createInsecure()) as RuntimeStub & {
      Chat(request: object, metadata: Metadata): ReturnType<RuntimeStub['Chat']>;
    };
    try {
      const withKey = new Metadata();
      withKey.set('authorization', `Bearer ${everything}`);
      const { messages, error } = await collect(client.Chat({ ...chat('chat') }, withKey));
      expect(error).toBeNull();
      const final = messages.filter((m) => m.channel === 'CHANNEL_FINAL').map((m) => m.text as string);
      expect(final.join('')).toBe(SCRIPTED_ANSWER);

      const refused = await collect(client.Chat({ ...chat('chat') }, new Metadata()));
      expect(refused.error?.code).toBe(16); // UNAUTHENTICATED
      expect((refused.error as ServiceError).details).toBe(
        'no API key: send it in the authorization metadata as "Bearer <key>"',
      );
    } finally {
      client.close();
    }
  });

  it('grpcurl through the gateway: reflection, then a Chat with the key as a header', () => {
    const list = spawnSync(toolPath('grpcurl'), ['-plaintext', served.gateway.grpc, 'list'], { encoding: 'utf8' });
    expect(list.status).toBe(0);
    expect(list.stdout).toContain('gptoss.runtime.v1.Runtime');
    const r = spawnSync(
      toolPath('grpcurl'),
      [
        '-plaintext',
        '-H',
        `authorization: Bearer ${everything}`,
        '-d',
        JSON.stringify(chat('chat')),
        served.gateway.grpc,
        'gptoss.runtime.v1.Runtime/Chat',
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('CHANNEL_FINAL');
  });

  it.each<[string, () => [string, unknown, string | undefined], number, string, string]>([
    [
      'no key: 401',
      () => ['/v1/chat/completions', chat('chat'), undefined],
      401,
      'unauthenticated',
      'no API key: send it in the Authorization header as "Bearer <key>"',
    ],
    [
      'an unknown key: 401',
      () => ['/v1/chat/completions', chat('chat'), `gptoss_000000000000_${'0'.repeat(64)}`],
      401,
      'unauthenticated',
      'the API key is not valid: it is unknown or was revoked',
    ],
    [
      'a model the key may not use: 403',
      () => ['/v1/chat/completions', chat(`${ns.name}/chat`), idleOnly],
      403,
      'permission_denied',
      `model "${ns.name}/chat" is not allowed for this API key`,
    ],
    [
      'a model that does not exist, to a key limited to others: 403, the same words',
      () => ['/v1/chat/completions', chat(`${ns.name}/ghost`), idleOnly],
      403,
      'permission_denied',
      `model "${ns.name}/ghost" is not allowed for this API key`,
    ],
    [
      'no such model: 404',
      () => ['/v1/chat/completions', chat('ghost'), everything],
      404,
      'model_not_found',
      'model "ghost" is not served here; GET /v1/models lists the models this API key may use',
    ],
    [
      'a model with no ready replica: 503 with retry-after',
      () => ['/v1/chat/completions', chat('idle'), everything],
      503,
      'unavailable',
      `model "${ns.name}/idle" has no ready replica; retry later`,
    ],
    [
      'a malformed body: 400, worded as the runtime words it',
      () => ['/v1/chat/completions', '{"model": "chat",', everything],
      400,
      'invalid_argument',
      'the request body is not valid JSON: ',
    ],
  ])('%s', async (_, request, status, code, message) => {
    const [path, body, key] = request();
    const response = await post(path, body, key);
    expect(response.status).toBe(status);
    if (status === 503) expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const error = await errorOf(response);
    expect(error.code).toBe(code);
    if (message.endsWith(': ')) expect(error.message.startsWith(message)).toBe(true);
    else expect(error.message).toBe(message);
  });

  it('a quota of 3 requests a minute: the headers count down, and the 4th request gets 429', async () => {
    const { key } = createKey(ns.name, ['--team', 'quota', '--requests-per-minute', '3']);
    await waitFor(() => known(key), 5000, 'the key to be known', 50);
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await post('/v1/chat/completions', chat('chat'), key);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ratelimit-limit-requests')).toBe('3');
      remaining.push(r.headers.get('x-ratelimit-remaining-requests')!);
      await r.arrayBuffer();
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const refused = await post('/v1/chat/completions', chat('chat'), key);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(refused.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+m)?\d+(\.\d+)?s$/);
    const error = await errorOf(refused);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.type).toBe('rate_limit_error');
    expect(error.message).toBe(
      `rate limit reached for requests per minute (limit 3) on this API key; retry after ${retryAfter}s`,
    );
  });

  it('a new key works, and a revoked one is refused, within 5 s in the running gateway', async () => {
    const { key, id } = createKey(ns.name, ['--team', 'research']);
    await waitFor(
      async () => (await post('/v1/chat/completions', chat('chat'), key)).status === 200,
      5000,
      'the new key to work',
      50,
    );
    const revoked = gptossKeys(['revoke', '--namespace', ns.name, id]);
    expect(revoked.status).toBe(0);
    await waitFor(async () => !(await known(key)), 5000, 'the revoked key to be refused', 50);
    const refused = await post('/v1/chat/completions', chat('chat'), key);
    expect(refused.status).toBe(401);
    expect((await errorOf(refused)).message).toBe('the API key is not valid: it is unknown or was revoked');
  });

  it('its probes: /healthz, and /readyz once models and keys are synced', async () => {
    expect((await fetch(`${served.gateway.ops}/healthz`)).status).toBe(200);
    const ready = await fetch(`${served.gateway.ops}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    // not on the API's port: what fronts the API never exposes them
    expect((await fetch(`${served.gateway.http}/metrics`)).status).toBe(404);
  });

  it("the gateway's /metrics count per team and model, and carry what the dashboard reads", async () => {
    const text = await (await fetch(`${served.gateway.ops}/metrics`)).text();
    expect(text).toContain(`gptoss_gateway_requests_total{team="research",model="${ns.name}/chat",code="200"}`);
    expect(text).toMatch(
      new RegExp(`gptoss_gateway_tokens_total\\{team="research",model="${ns.name}/chat",kind="prompt"\\} [1-9]`),
    );
    // every gateway metric the dashboard reads is one the gateway declares (a counter with no sample yet, such as
    // retries, is declared all the same)
    const declared = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    const used = [...metricNamesUsed(dashboardQueries().map((q) => q.expr))].filter((n) =>
      n.startsWith('gptoss_gateway_'),
    );
    expect(used.length).toBeGreaterThan(4);
    expect(used.filter((name) => !declared.has(name.replace(/_bucket$/, '')))).toEqual([]);
  });
});
