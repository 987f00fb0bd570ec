import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../contract/paths.js';

export { cacheRoot };

/*
 * Binaries the tests and the local cluster run, built from the Go module proxy on first use and
 * cached outside the repository, keyed by version. Builds report progress (packages compiled and
 * time) and land under a temporary name, renamed only when complete.
 */

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Runs go with `-v`, counting compiled packages instead of printing them, with a line every 30 s. */
export function runGo(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; label: string },
): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, {
      cwd: options.cwd,
      env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let packages = 0;
    let errors = '';
    const count = (chunk: Buffer) => {
      const text = chunk.toString();
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        if (/^[\w.-]+(\/[\w.@~+-]+)*$/.test(line.trim()) && !line.startsWith('go: ')) packages++;
        else errors += `${line}\n`;
      }
    };
    child.stdout.on('data', count);
    child.stderr.on('data', count);
    const ticker = setInterval(() => {
      log(`  ${options.label}: ${Math.round((Date.now() - started) / 1000)} s, ${packages} packages compiled`);
    }, 30_000);
    child.on('error', (error) => {
      clearInterval(ticker);
      reject(new Error(`running go for ${options.label}`, { cause: error }));
    });
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) {
        log(`  ${options.label}: done in ${Math.round((Date.now() - started) / 1000)} s (${packages} packages)`);
        resolve();
      } else {
        reject(
          new Error(
            `go ${args[0]} for ${options.label} exited ${code}: ${errors.trim().split('\n').slice(-5).join(' | ')}`,
          ),
        );
      }
    });
  });
}

export interface GoBinaries {
  /** Cache key, e.g. "kubernetes-v1.34.4". */
  key: string;
  /** Binaries the build must produce. */
  binaries: string[];
  /** Builds into `out` (a staging folder). */
  build(out: string, work: string): Promise<void>;
}

/** The folder holding `spec`'s binaries, building them first when any is missing. */
export async function ensureGoBinaries(spec: GoBinaries): Promise<string> {
  const dir = join(cacheRoot(), 'bin', spec.key);
  if (spec.binaries.every((b) => existsSync(join(dir, b)))) return dir;
  const staging = `${dir}.building-${process.pid}`;
  const work = join(cacheRoot(), 'build', spec.key);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  mkdirSync(work, { recursive: true });
  log(`Building ${spec.key} (first use only; cached in ${dir})`);
  try {
    await spec.build(staging, work);
    for (const b of spec.binaries) {
      if (!existsSync(join(staging, b))) throw new Error(`the build of ${spec.key} did not produce ${b}`);
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return dir;
}

/** `go install module@version` into the staging folder. */
export function goInstall(key: string, binary: string, module: string, version: string, ldflags = ''): GoBinaries {
  return {
    key,
    binaries: [binary],
    build: (out) =>
      runGo(['install', '-v', '-trimpath', ...(ldflags ? [`-ldflags=${ldflags}`] : []), `${module}@${version}`], {
        env: { GOBIN: out },
        label: key,
      }),
  };
}

/** A throwaway module that requires `requires` and builds `packages` in one `go build`. */
export function wrapperModule(options: {
  key: string;
  binaries: string[];
  goMod: (work: string) => Promise<string> | string;
  files?: Record<string, string>;
  packages: string[];
  ldflags: string;
  tags?: string;
}): GoBinaries {
  return {
    key: options.key,
    binaries: options.binaries,
    async build(out, work) {
      writeFileSync(join(work, 'go.mod'), await options.goMod(work));
      for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(work, name), text);
      await runGo(['mod', 'tidy'], { cwd: work, label: `${options.key} (resolving modules)` });
      await runGo(
        [
          'build',
          '-v',
          '-trimpath',
          ...(options.tags ? ['-tags', options.tags] : []),
          `-ldflags=${options.ldflags}`,
          '-o',
          `${out}/`,
          ...options.packages,
        ],
        { cwd: work, label: options.key },
      );
    },
  };
}
