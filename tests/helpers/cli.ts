import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../contract/paths.js';

/** The built command, as users run it (npm test builds dist/ first). */
export const GPTOSS = join(PACKAGE_ROOT, 'dist', 'cli', 'gptoss.js');

export function runGptoss(args: string[], timeoutMs = 60_000) {
  const result = spawnSync(process.execPath, [GPTOSS, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface StartedProcess {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts a process and resolves once its stdout satisfies `ready`; rejects if it exits first, or with
 * what it printed if it is not ready within `readyWithinMs` (then it is killed).
 */
export function startProcess(
  command: string,
  args: string[],
  ready: (stdout: string) => boolean,
  env: NodeJS.ProcessEnv = process.env,
  readyWithinMs = 120_000,
): Promise<StartedProcess> {
  const child = spawn(command, args, { env });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const late = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.slice(0, 3).join(' ')} not ready in ${readyWithinMs} ms: ${out}\n${err}`));
    }, readyWithinMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!ready(out)) return;
      clearTimeout(late);
      resolve({ child, stdout: () => out, stderr: () => err, exited });
    });
    void exited.then((code) => {
      clearTimeout(late);
      reject(new Error(`${command} ${args.slice(0, 3).join(' ')} exited ${code} before it was ready: ${err}`));
    });
  });
}

export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  grpc: string;
  http: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** The GRPC= and HTTP= lines `gptoss serve` prints once it is ready. */
export const serveAddresses = (stdout: string) => {
  const grpc = /GRPC=(\S+)/.exec(stdout)?.[1];
  const http = /HTTP=(\S+)/.exec(stdout)?.[1];
  return grpc && http ? { grpc, http } : null;
};

/** Starts `gptoss serve` and resolves once it prints its GRPC= and HTTP= lines. */
export async function startServe(args: string[]): Promise<ServeProcess> {
  const started = await startProcess(
    process.execPath,
    [GPTOSS, 'serve', '--grpc-port', '0', '--http-port', '0', '--threads', '1', '--gpu', 'cpu', ...args],
    (out) => serveAddresses(out) !== null,
  );
  return { child: started.child, ...serveAddresses(started.stdout())!, stderr: started.stderr, exited: started.exited };
}

export interface GptossProcess {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when the process ends, with its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** The first capture group of `pattern` once stdout matches it. */
  printed: (pattern: RegExp) => Promise<string>;
}

/** Starts `gptoss <args>` without blocking the event loop (tests that serve it something in-process need that). */
export function spawnGptoss(args: string[]): GptossProcess {
  const child = spawn(process.execPath, [GPTOSS, ...args]);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const printed = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(out);
        if (m) {
          child.stdout.off('data', check);
          resolve(m[1] ?? m[0]);
        }
      };
      child.stdout.on('data', check);
      check();
      void exited.then((code) =>
        reject(new Error(`gptoss ${args[0]} exited ${code} before printing ${pattern}: ${err}`)),
      );
    });
  return { child, stdout: () => out, stderr: () => err, exited, printed };
}
