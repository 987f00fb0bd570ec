import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { stateDir } from '../../cluster/cluster.js';
import { runs } from '../../cluster/processes.js';
import { SCRIPTED_ANSWER, SCRIPTED_REASONING } from '../../runtime/synth/harmonyScript.js';
import { toolPath } from '../../scripts/tools.js';
import { GPTOSS } from '../helpers/cli.js';

const CLUSTER = 'demo-test';
const env = { ...process.env, GPTOSS_DEMO_CLUSTER: CLUSTER };

function gptoss(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [GPTOSS, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/**
 * `npm start` is `gptoss start`: the whole local stack, one streamed answer, then it returns with everything running;
 * `npm run stop` ends it.
 */
describe('the local demo (gptoss start / stop), on a cluster of its own', () => {
  // real clients use the KUBECONFIG, GRPC and HTTP it prints
  it('starts the stack, streams reasoning and answer apart, prints where it runs, and stops it all', async () => {
    const start = await gptoss(['start'], 600_000);
    expect(start.code, start.stderr).toBe(0);
    const line = (key: string) => new RegExp(`^${key}=(\\S+)$`, 'm').exec(start.stdout)?.[1] ?? '';
    const [kubeconfig, grpc, http] = [line('KUBECONFIG'), line('GRPC'), line('HTTP')];
    expect(kubeconfig).toBe(join(stateDir(CLUSTER), 'kubeconfig'));
    expect(grpc).toMatch(/^127\.\d+\.\d+\.\d+:50051$/);
    expect(start.stderr).toContain(`reasoning: ${SCRIPTED_REASONING.medium}`);
    expect(start.stderr).toContain(`answer:    ${SCRIPTED_ANSWER}`);
    expect(start.stderr).toMatch(/Ready=True Ready: 1\/1 replicas ready/);
    expect(start.stderr).toContain('grpcurl -plaintext');

    // the printed addresses work for clients nobody here wrote, after `gptoss start` has returned
    const grpcurl = spawnSync(
      toolPath('grpcurl'),
      [
        '-plaintext',
        '-d',
        '{"messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"REASONING_EFFORT_LOW"}',
        grpc,
        'gptoss.runtime.v1.Runtime/Chat',
      ],
      { encoding: 'utf8' },
    );
    expect(grpcurl.status, grpcurl.stderr).toBe(0);
    expect(grpcurl.stdout).toContain('CHANNEL_FINAL');
    const openai = new OpenAI({ baseURL: `${http}/v1`, apiKey: 'unused', maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model: 'gpt-oss-demo',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(completion.choices[0]!.message.content).toBe(SCRIPTED_ANSWER);
    const processes = JSON.parse(readFileSync(join(stateDir(CLUSTER), 'demo.json'), 'utf8')) as {
      operator: { pid: number };
      agent: { pid: number };
    };

    // a second start finds everything running and only waits and answers again
    const again = await gptoss(['start'], 120_000);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('started the');

    const stop = await gptoss(['stop'], 120_000);
    expect(stop.code, stop.stderr).toBe(0);
    // runs() reads /proc: a process that exited but was not yet reaped (a zombie) counts as gone
    expect(runs(processes.operator.pid, process.execPath)).toBe(false);
    expect(runs(processes.agent.pid, process.execPath)).toBe(false);
    expect(existsSync(join(stateDir(CLUSTER), 'state.json'))).toBe(false);
    await expect(fetch(`${http}/healthz`)).rejects.toThrow(); // the runtime process went with the agent
  }, 900_000);
});
