import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolPath } from '../../scripts/tools.js';
import { collect, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

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
