import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (the kernel picks it; we close and hand it on). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts a daemon in its own session, output to a log file; it outlives this process. */
export function startDaemon(
  binary: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const out = openSync(logFile, 'a');
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', out, out], env });
  closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new Error(`starting ${binary}`);
  return child.pid;
}

/** True when `pid` runs `binary` (not some other process that reused the pid). */
export function runs(pid: number, binary: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === binary;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; only processes that still run `binary`. */
export async function stopDaemon(pid: number, binary: string, graceMs = 10_000): Promise<void> {
  if (!runs(pid, binary)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (runs(pid, binary) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (runs(pid, binary)) process.kill(pid, 'SIGKILL');
  while (runs(pid, binary)) await new Promise((r) => setTimeout(r, 20));
}

/** Polls `check` (a throw counts as not yet) until it holds, or fails naming what it waited for. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  what = 'condition',
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
