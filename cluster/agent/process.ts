import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { runs } from '../processes.js';

/**
 * One container instance as a local process: its own process group (so a signal reaches anything
 * it starts), stdout and stderr appended to a log file, and a pid file so an agent that died
 * without stopping its processes can stop them on its next start.
 */

export interface ExitStatus {
  exitCode: number;
  /** The number of the signal that ended the process, if one did. */
  signal: number | null;
}

export interface ContainerProcess {
  pid: number;
  exited: Promise<ExitStatus>;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs: number): Promise<ExitStatus>;
}

export interface ProcessSpec {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  logFile: string;
  pidDir: string;
}

/** Where pid files of running containers live. */
export const pidDir = (stateDir: string) => join(stateDir, 'pids');

const signalGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
};

export async function startProcess(spec: ProcessSpec): Promise<ContainerProcess> {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(spec.pidDir, { recursive: true });
  const out = openSync(spec.logFile, 'a');
  const child = spawn(spec.argv[0]!, spec.argv.slice(1), {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (cause) {
    throw new Error(`starting ${spec.argv.join(' ')} in ${spec.cwd}`, { cause });
  } finally {
    closeSync(out);
  }
  const pid = child.pid!;
  const pidFile = join(spec.pidDir, String(pid));
  writeFileSync(pidFile, spec.argv.join(' '));
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      rmSync(pidFile, { force: true });
      // as container runtimes report it: 128 + the signal's number when a signal ended it
      const number = signal ? constants.signals[signal] : null;
      resolve({ exitCode: code ?? 128 + (number ?? 0), signal: number });
    });
  });
  return {
    pid,
    exited,
    async stop(graceMs) {
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      const status = await exited;
      clearTimeout(timer);
      signalGroup(pid, 'SIGKILL'); // anything the container started that outlived it
      return status;
    },
  };
}

/** SIGKILLs the process groups a previous agent left behind (pid files whose pid still runs node). */
export function killOrphans(pidDir: string): number {
  let killed = 0;
  let files: string[];
  try {
    files = readdirSync(pidDir);
  } catch {
    return 0;
  }
  for (const file of files) {
    const pid = Number(file);
    if (Number.isInteger(pid) && runs(pid, process.execPath)) {
      signalGroup(pid, 'SIGKILL');
      killed++;
    }
    rmSync(join(pidDir, file), { force: true });
  }
  return killed;
}
