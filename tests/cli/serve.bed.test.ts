import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { RuntimeClient } from '../../contract/grpc/protos.js';
import { SCRIPTED_ANSWER, SCRIPTED_REASONING } from '../../runtime/synth/harmonyScript.js';
import { toolPath } from '../../scripts/tools.js';
import { runGptoss, startServe, type ServeProcess } from '../helpers/cli.js';
import { modelPath } from '../helpers/models.js';
import { plainChat, collect, type RuntimeStub } from '../helpers/runtime.js';

const scratch = mkdtempSync(join(tmpdir(), 'gptoss-process-'));

/** Exactly one line on stderr, no stack trace. */
function expectOneLine(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('gptoss serve: a bad model file or bad flags give one clear line and a non-zero exit', () => {
  it('missing file', () => {
    const r = runGptoss(['serve', '--model', join(scratch, 'absent.gguf')]);
    expect(r.status).toBe(1);
    expectOneLine(r.stderr, /^gptoss serve: model file .*absent\.gguf: no such file$/);
  });

  it('not a GGUF file', () => {
    const path = join(scratch, 'notes.gguf');
    writeFileSync(path, 'these are not weights\n');
    const r = runGptoss(['serve', '--model', path]);
    expect(r.status).toBe(1);
    expectOneLine(r.stderr, /^gptoss serve: model file .*notes\.gguf: not a GGUF file/);
  });

  it('truncated GGUF file', () => {
    const path = join(scratch, 'truncated.gguf');
    copyFileSync(modelPath('tiny'), path);
    truncateSync(path, Math.floor(readFileSync(path).length / 2));
    const r = runGptoss(['serve', '--model', path, '--grpc-port', '0', '--http-port', '0', '--gpu', 'cpu']);
    expect(r.status).toBe(1);
    expectOneLine(r.stderr, /^gptoss serve: cannot load model .*truncated\.gguf: /);
  });

  it.each([
    [['--parallel', '0'], /^gptoss serve: --parallel must be between 1 and 256$/],
    [['--context-size', 'lots'], /^gptoss serve: --context-size must be a number$/],
    [['--reasoning-effort', 'extreme'], /^gptoss serve: --reasoning-effort must be low, medium or high$/],
    [['--gpu', 'tpu'], /^gptoss serve: --gpu must be auto, cuda, vulkan or cpu$/],
    [['--grpc-port', '70000'], /^gptoss serve: --grpc-port must be between 0 and 65535$/],
  ])('bad flag %j', (flags, message) => {
    const r = runGptoss(['serve', '--model', modelPath('tiny'), ...flags]);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr, message);
  });

  it('a context larger than the model was trained for', () => {
    const r = runGptoss([
      'serve',
      '--model',
      modelPath('llama'),
      '--context-size',
      '65536',
      '--grpc-port',
      '0',
      '--http-port',
      '0',
      '--gpu',
      'cpu',
    ]);
    expect(r.status).toBe(1);
    expectOneLine(r.stderr, /--context-size 65536 exceeds the model's trained context of 32768 tokens/);
  });
});

describe('gptoss serve as a process: real clients, sharded models and SIGTERM', () => {
  const running: ServeProcess[] = [];
  afterAll(() => {
    for (const p of running) p.child.kill('SIGKILL');
  });
  const serve = async (args: string[]) => {
    const p = await startServe(args);
    running.push(p);
    return p;
  };
  const client = (p: ServeProcess) => new RuntimeClient(p.grpc, credentials.createInsecure()) as RuntimeStub;
  const grpcurl = (...args: string[]) =>
    spawnSync(toolPath('grpcurl'), ['-plaintext', ...args], { encoding: 'utf8', timeout: 30_000 });
  const healthProbe = (addr: string) =>
    spawnSync(toolPath('grpc-health-probe'), [`-addr=${addr}`], { encoding: 'utf8', timeout: 30_000 });

  it('grpcurl works through reflection alone; grpc-health-probe reports SERVING; errors carry details', async () => {
    const p = await serve(['--model', modelPath('scripted'), '--reasoning-effort', 'low']);
    const list = grpcurl(p.grpc, 'list');
    expect(list.status).toBe(0);
    expect(list.stdout.split('\n')).toEqual(
      expect.arrayContaining(['gptoss.runtime.v1.Runtime', 'grpc.health.v1.Health']),
    );
    const chat = grpcurl(
      '-d',
      '{"messages":[{"role":"user","content":"Hi"}]}',
      p.grpc,
      'gptoss.runtime.v1.Runtime/Chat',
    );
    expect(chat.status).toBe(0);
    // grpcurl prints one JSON object per streamed message, with the proto's field names
    const messages = chat.stdout
      .trim()
      .split(/\n(?=\{)/)
      .map((m) => JSON.parse(m) as { text?: string; channel?: string; finish_reason?: string });
    expect(
      messages
        .filter((m) => m.channel === 'CHANNEL_ANALYSIS')
        .map((m) => m.text)
        .join(''),
    ).toBe(SCRIPTED_REASONING.low);
    expect(
      messages
        .filter((m) => m.channel === 'CHANNEL_FINAL')
        .map((m) => m.text)
        .join(''),
    ).toBe(SCRIPTED_ANSWER);
    expect(messages.at(-1)!.finish_reason).toBe('FINISH_REASON_STOP');
    const bad = grpcurl(
      '-d',
      '{"messages":[{"role":"user","content":"Hi"}],"temperature":7}',
      p.grpc,
      'gptoss.runtime.v1.Runtime/Chat',
    );
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/Code: InvalidArgument/);
    expect(bad.stderr).toMatch(/temperature: must be between 0 and 2/);
    // the details decode through reflection alone: BadRequest names the field
    expect(bad.stderr).toMatch(/"@type": "type\.googleapis\.com\/google\.rpc\.BadRequest"/);
    expect(bad.stderr).toMatch(/"field": "temperature"/);
    const health = healthProbe(p.grpc);
    expect(health.status).toBe(0);
    expect(health.stdout + health.stderr).toMatch(/SERVING/);
  });

  it('serves a sharded model from its first shard', async () => {
    const out = join(scratch, 'sharded.gguf');
    const synth = runGptoss([
      'synth-model',
      '--arch',
      'gpt-oss',
      '--preset',
      'tiny',
      '--scripted',
      '--shards',
      '3',
      '--out',
      out,
    ]);
    expect(synth.status).toBe(0);
    const shards = synth.stdout.trim().split('\n');
    expect(shards).toEqual([1, 2, 3].map((i) => join(scratch, `sharded-0000${i}-of-00003.gguf`)));
    const p = await serve(['--model', shards[0]!]);
    expect(await plainChat(client(p))).toEqual({ error: null, answer: SCRIPTED_ANSWER });
    const info = await fetch(`${p.http}/v1/models`).then((r) => r.json());
    expect(info).toMatchObject({ data: [{ id: 'sharded' }] });
  });

  it('SIGTERM: health goes NOT_SERVING, new requests are refused, in-flight streams finish, exit 0', async () => {
    const p = await serve(['--model', modelPath('tiny'), '--context-size', '8192', '--grace-seconds', '60']);
    const stub = client(p);
    // seeded: the tiny model's random weights may sample an end token, and whether one comes within 4000 tokens
    // must not depend on the run (an unseeded run once stopped at 1500)
    const call = stub.Generate({ prompt: 'go on', max_tokens: 4000, seed: 7 });
    const result = collect(call);
    await new Promise((resolve) => call.once('data', resolve));
    p.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const health = healthProbe(p.grpc);
    expect(health.status).not.toBe(0);
    expect(health.stdout + health.stderr).toMatch(/NOT_SERVING/);
    const refused = await collect(stub.Generate({ prompt: 'late', max_tokens: 4 }));
    expect(refused.error?.code).toBe(14); // UNAVAILABLE
    const ready = await fetch(`${p.http}/readyz`);
    expect(ready.status).toBe(503);
    const { messages, error } = await result;
    expect(error).toBeNull();
    expect(messages.at(-1)).toMatchObject({
      finish_reason: 'FINISH_REASON_LENGTH',
      usage: { completion_tokens: 4000 },
    });
    expect(await p.exited).toBe(0);
  });

  it('SIGTERM past the grace period cancels in-flight streams with finish reason CANCELLED, exit 0', async () => {
    const p = await serve(['--model', modelPath('tiny'), '--context-size', '16384', '--grace-seconds', '0']);
    const call = client(p).Generate({ prompt: 'go on', max_tokens: 16000 });
    const result = collect(call);
    await new Promise((resolve) => call.once('data', resolve));
    p.child.kill('SIGTERM');
    const { messages, error } = await result;
    expect(error).toBeNull();
    const last = messages.at(-1)! as { finish_reason: string; usage: { completion_tokens: number } };
    expect(last.finish_reason).toBe('FINISH_REASON_CANCELLED');
    expect(last.usage.completion_tokens).toBeLessThan(16000);
    expect(await p.exited).toBe(0);
  });
});
