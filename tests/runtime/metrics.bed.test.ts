import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRIPTED_COMPLETION_TOKENS } from '../../runtime/synth/harmonyScript.js';
import { toolPath } from '../../scripts/tools.js';
import { collect, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('/metrics', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('scripted');
  });
  afterAll(() => t?.stop());

  const scrape = async () => (await fetch(`${t.httpUrl}/metrics`)).text();

  it('passes promtool check metrics after traffic, with every runtime metric present', async () => {
    await collect(t.grpc.Chat({ messages: [{ role: 'user', content: 'Hi' }] }));
    await collect(t.grpc.Chat({ messages: [], max_tokens: 1 })); // rejected: counted by reason
    const exposition = await scrape();
    const lint = spawnSync(toolPath('promtool'), ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
    for (const name of [
      'requests_running',
      'requests_waiting',
      'slots_busy',
      'slots_capacity',
      'kv_cache_cells_used',
      'kv_cache_cells_capacity',
      'device_memory_used_bytes',
      'device_memory_capacity_bytes',
      'prompt_tokens_total',
      'generated_tokens_total',
      'time_to_first_token_seconds_count',
      'inter_token_latency_seconds_count',
      'request_duration_seconds_count',
      'utilization',
    ]) {
      expect(exposition).toMatch(new RegExp(`^gptoss_runtime_${name}(\\{[^}]*\\})? `, 'm'));
    }
    expect(exposition).toMatch(/^gptoss_runtime_requests_total\{finish_reason="stop"\} 1$/m);
    expect(exposition).toMatch(/^gptoss_runtime_requests_rejected_total\{reason="invalid_argument"\} 1$/m);
    expect(exposition).toMatch(
      new RegExp(`^gptoss_runtime_generated_tokens_total ${SCRIPTED_COMPLETION_TOKENS}$`, 'm'),
    );
    expect(exposition).toMatch(/^gptoss_runtime_slots_capacity 2$/m);
    expect(exposition).toMatch(/^gptoss_runtime_kv_cache_cells_capacity 2048$/m);
  });

  it('/healthz and /readyz answer', async () => {
    expect((await fetch(`${t.httpUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});
