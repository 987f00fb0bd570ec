import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolPath } from '../../scripts/tools.js';
import { SCRIPTED_ANSWER } from '../../runtime/synth/harmonyScript.js';
import { collect, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/** Run asynchronously: the runtime answering grpcurl lives in this very process. */
async function grpcurl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(toolPath('grpcurl'), ['-plaintext', ...args], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** grpcurl prints each message of a stream as an indented JSON object of its own. */
const streamed = (stdout: string): Array<Record<string, unknown>> =>
  stdout
    .trim()
    .split(/\n(?=\{)/)
    .map((text) => JSON.parse(text) as Record<string, unknown>);

/** grpcurl knows only what reflection tells it: the new fields and error details must be described there. */
describe('grpcurl, through reflection alone', () => {
  let t: TestRuntime;
  let occupant: ReturnType<TestRuntime['grpc']['Generate']>;
  let occupied: ReturnType<typeof collect>;

  beforeAll(async () => {
    t = await startTestRuntime('tiny', { parallel: 1, maxQueue: 0, contextSize: 8192 });
  });
  afterAll(async () => {
    occupant?.cancel();
    await occupied;
    await t?.stop();
  });

  it('sends the sampling extensions, and reads BadRequest for a bad one', async () => {
    const good = await grpcurl(
      '-d',
      '{"prompt":"x","max_tokens":2,"top_k":40,"min_p":0.05,"repeat_penalty":1.1,"frequency_penalty":0.5}',
      t.runtime.grpcAddress,
      'gptoss.runtime.v1.Runtime/Generate',
    );
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/"finish_reason": "FINISH_REASON_LENGTH"/);
    const bad = await grpcurl(
      '-d',
      '{"prompt":"x","top_k":-5}',
      t.runtime.grpcAddress,
      'gptoss.runtime.v1.Runtime/Generate',
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Code: InvalidArgument/);
    expect(bad.stderr).toMatch(/"field": "top_k"/);
  });

  it('decodes RetryInfo on a full queue', async () => {
    occupant = t.grpc.Generate({ prompt: 'go on', max_tokens: 8000 });
    occupied = collect(occupant);
    await new Promise((resolve) => occupant.once('data', resolve));
    const full = await grpcurl('-d', '{"prompt":"x"}', t.runtime.grpcAddress, 'gptoss.runtime.v1.Runtime/Generate');
    expect(full.stderr).toMatch(/Code: ResourceExhausted/);
    expect(full.stderr).toMatch(/"@type": "type\.googleapis\.com\/google\.rpc\.RetryInfo"/);
    expect(full.stderr).toMatch(/"retry_delay": \{\s*"seconds": "1"\s*\}/);
    expect(full.stderr).not.toMatch(/is not recognized/);
  });
});

const SERVICES: Record<string, string[]> = {
  'gptoss.runtime.v1.Runtime': ['Chat', 'CountTokens', 'Generate', 'GetModelInfo'],
  'grpc.health.v1.Health': ['Check', 'List', 'Watch'],
  'grpc.reflection.v1.ServerReflection': ['ServerReflectionInfo'],
  'grpc.reflection.v1alpha.ServerReflection': ['ServerReflectionInfo'],
};

const WEATHER_TOOL = {
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: JSON.stringify({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
  },
};

/**
 * Every service reflection lists is described and called through grpcurl (Go's protobuf, which
 * refuses descriptors protobufjs alone writes: grpc.health.v1's map entry).
 */
describe('grpcurl: every service the reflection lists', () => {
  let t: TestRuntime;
  let address: string;
  beforeAll(async () => {
    t = await startTestRuntime('scripted');
    address = t.runtime.grpcAddress;
  });
  afterAll(() => t?.stop());

  it('lists Runtime, Health and reflection v1 and v1alpha', async () => {
    const listed = await grpcurl(address, 'list');
    expect([listed.code, listed.stderr]).toEqual([0, '']);
    expect(listed.stdout.trim().split('\n')).toEqual(Object.keys(SERVICES));
  });

  for (const [service, methods] of Object.entries(SERVICES)) {
    it(`describes ${service} with its methods`, async () => {
      const described = await grpcurl(address, 'describe', service);
      expect([described.code, described.stderr]).toEqual([0, '']);
      expect(described.stdout).toMatch(new RegExp(`^${service.replaceAll('.', '\\.')} is a service:`));
      const rpcs = [...described.stdout.matchAll(/^\s*rpc (\w+) \(/gm)].map((m) => m[1]);
      expect(rpcs).toEqual(methods);
    });
  }

  it('describes the tool-calling messages', async () => {
    const request = await grpcurl(address, 'describe', 'gptoss.runtime.v1.ChatRequest');
    expect(request.stdout).toContain('repeated .gptoss.runtime.v1.Tool tools = 14;');
    expect(request.stdout).toContain('.gptoss.runtime.v1.ToolChoice tool_choice = 15;');
    expect(request.stdout).toContain('.gptoss.runtime.v1.ResponseFormat response_format = 17;');
    const response = await grpcurl(address, 'describe', 'gptoss.runtime.v1.GenerateResponse');
    expect(response.stdout).toContain('.gptoss.runtime.v1.ToolCallDelta tool_call = 5;');
  });

  it('Health: Check answers SERVING for the server and for Runtime', async () => {
    for (const service of ['', 'gptoss.runtime.v1.Runtime']) {
      const checked = await grpcurl('-d', JSON.stringify({ service }), address, 'grpc.health.v1.Health/Check');
      expect([checked.code, JSON.parse(checked.stdout)]).toEqual([0, { status: 'SERVING' }]);
    }
    const unknown = await grpcurl('-d', '{"service":"nope"}', address, 'grpc.health.v1.Health/Check');
    expect(unknown.stderr).toMatch(/Code: NotFound/);
  });

  it('Health: List answers the map of statuses (the map reflection used to describe wrongly)', async () => {
    const listed = await grpcurl('-d', '{}', address, 'grpc.health.v1.Health/List');
    expect([listed.code, JSON.parse(listed.stdout)]).toEqual([
      0,
      { statuses: { '': { status: 'SERVING' }, 'gptoss.runtime.v1.Runtime': { status: 'SERVING' } } },
    ]);
  });

  it('Health: Watch sends the current status first', async () => {
    // Watch streams until the client leaves: grpcurl leaves at -max-time, with DeadlineExceeded
    const watched = await grpcurl('-max-time', '5', '-d', '{}', address, 'grpc.health.v1.Health/Watch');
    expect(streamed(watched.stdout)[0]).toEqual({ status: 'SERVING' });
    expect(watched.stderr).toMatch(/Code: DeadlineExceeded/);
  });

  for (const version of ['v1', 'v1alpha']) {
    it(`ServerReflection ${version}: list_services names every service`, async () => {
      const answered = await grpcurl(
        '-d',
        '{"list_services": "*"}',
        address,
        `grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
      );
      expect(answered.code).toBe(0);
      const { list_services_response: list } = JSON.parse(answered.stdout) as {
        list_services_response: { service: Array<{ name: string }> };
      };
      expect(list.service.map((s) => s.name).sort()).toEqual(Object.keys(SERVICES));
    });
  }

  it('Runtime: GetModelInfo and CountTokens', async () => {
    const info = await grpcurl('-d', '{}', address, 'gptoss.runtime.v1.Runtime/GetModelInfo');
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ harmony: true, parallel_slots: 2 });
    const plain = { messages: [{ role: 'user', content: 'Hi' }] };
    const count = async (request: object) =>
      Number(
        (
          JSON.parse(
            (await grpcurl('-d', JSON.stringify(request), address, 'gptoss.runtime.v1.Runtime/CountTokens')).stdout,
          ) as { tokens: number }
        ).tokens,
      );
    expect(await count(plain)).toBeGreaterThan(0);
    expect(await count({ ...plain, tools: [WEATHER_TOOL] })).toBeGreaterThan(await count(plain));
  });

  it('Runtime: Chat answers on the final channel; Generate continues a prompt', async () => {
    const chat = await grpcurl(
      '-d',
      '{"messages":[{"role":"user","content":"Hi"}]}',
      address,
      'gptoss.runtime.v1.Runtime/Chat',
    );
    expect(chat.code).toBe(0);
    const messages = streamed(chat.stdout);
    const final = messages.filter((m) => m.channel === 'CHANNEL_FINAL').map((m) => m.text as string);
    expect(final.join('')).toBe(SCRIPTED_ANSWER);
    expect(messages.at(-1)).toMatchObject({ finish_reason: 'FINISH_REASON_STOP' });
    const generated = await grpcurl(
      '-d',
      // a raw harmony turn: the scripted model starts its analysis, cut at two tokens
      JSON.stringify({ prompt: '<|start|>user<|message|>Hi<|end|><|start|>assistant', max_tokens: 2 }),
      address,
      'gptoss.runtime.v1.Runtime/Generate',
    );
    expect(streamed(generated.stdout).at(-1)).toMatchObject({ finish_reason: 'FINISH_REASON_LENGTH' });
  });

  it("Runtime: docs/runtime.md's tool call example streams the call, then FINISH_REASON_TOOL_CALL", async () => {
    const request = {
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [WEATHER_TOOL],
      tool_choice: { mode: 'TOOL_CHOICE_MODE_REQUIRED' },
    };
    const chat = await grpcurl('-d', JSON.stringify(request), address, 'gptoss.runtime.v1.Runtime/Chat');
    expect([chat.code, chat.stderr]).toEqual([0, '']);
    const messages = streamed(chat.stdout);
    const calls = messages.flatMap((m) => (m.tool_call ? [m.tool_call as Record<string, string>] : []));
    // JSON printers leave proto3 zeros out: the first call's index 0 is not printed
    expect(calls[0]).toMatchObject({ id: expect.stringMatching(/^call_/) as string, name: 'get_weather' });
    expect(calls.every((call) => call.index === undefined)).toBe(true);
    const args = JSON.parse(calls.map((call) => call.arguments ?? '').join('')) as Record<string, unknown>;
    expect(typeof args.city).toBe('string');
    expect(messages.at(-1)).toMatchObject({ finish_reason: 'FINISH_REASON_TOOL_CALL' });
  });
});
