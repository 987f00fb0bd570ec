import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../contract/paths.js';
import { bundleProgram, type BundleSpec } from './bundle.js';

/**
 * What goes into each container image, in one place. The Dockerfiles (images/) run
 * `node dist/scripts/images.js assemble <image> <dir>` after `npm run build`, and
 * tests/images/images.bed.test.ts assembles the same trees and runs them read-only as a non-root user:
 * with no Docker engine on our machines, that is how the images' contents are proven.
 */
export interface ImageContents {
  /** Built output and data files copied from the repository (source maps left out). */
  files: string[];
  /** Dependencies of package.json an image without a bundle leaves out, with all they alone pull in. */
  withoutDependencies?: string[];
  /**
   * The program as one bundle (scripts/bundle.ts) in dist/cli/ instead of the built modules: the image then installs
   * only the bundle's external packages.
   */
  bundle?: BundleSpec;
  /**
   * node-llama-cpp's prebuilt binaries are optional dependencies, every platform's installed by
   * default; the image takes only these, at the version the lockfile pins.
   */
  nativePackages: string[];
  /** Node.js flags in the image's ENTRYPOINT, before the program (a test checks the Dockerfile says them). */
  nodeFlags: string[];
}

export const IMAGES = {
  /**
   * gptoss operator: Kubernetes client, planner and controller, bundled; no inference engine. A cluster pays for the
   * operator's memory always, so it starts lean (bench:operator runs ours as the image does, bundle and flags):
   */
  operator: {
    files: [],
    // client-node only for kubeconfigs that need its KubeConfig (exec plugins, auth providers: contract/kube/target.ts)
    bundle: {
      commands: ['operator'],
      external: ['@kubernetes/client-node'],
      replace: { 'prom-client': 'scripts/bundle/promClientCore.mjs' },
    },
    nativePackages: [],
    /**
     * - 2 MiB young-generation semi-spaces instead of 16: a watch event's garbage is small and short-lived.
     * - A heap sized for memory rather than speed (`--optimize-for-size`): about 3 MiB less at idle, CPU per model
     *   within the goal at 200 and 1000 models (docs/benchmarks.md).
     * - V8's baseline compiler and no optimising one (`--max-opt=1`): an optimising compiler, once used, stays
     *   resident (2-4 MiB of the binary, and its code), and the operator's own work is too short-lived and
     *   I/O-bound to repay it: 2-5 MiB less at idle, 11-13 less after 1000 models, CPU a model within 7%.
     * - `gc()` for the operator to collect start-up's garbage once it has started (contract/startupGarbage.ts).
     */
    nodeFlags: ['--max-semi-space-size=2', '--optimize-for-size', '--max-opt=1', '--expose-gc'],
  },
  /** gptoss gateway: Kubernetes client, gRPC and HTTP servers, the protos it serves; no inference engine. */
  gateway: {
    files: ['dist/cli', 'dist/contract', 'dist/gateway', 'contract/proto'],
    withoutDependencies: ['node-llama-cpp', 'express'],
    nativePackages: [],
    nodeFlags: [],
  },
  /** gptoss serve: node-llama-cpp with its CUDA 13 binaries, and the CPU ones for --gpu cpu. */
  runtime: {
    files: ['dist/cli', 'dist/contract', 'dist/runtime', 'contract/proto'],
    withoutDependencies: [],
    nativePackages: ['@node-llama-cpp/linux-x64', '@node-llama-cpp/linux-x64-cuda'],
    nodeFlags: [],
  },
} as const satisfies Record<string, ImageContents>;

export type ImageName = keyof typeof IMAGES;

/** The image's ENTRYPOINT as the Dockerfile writes it (exec form): node, its flags, the program. */
export const imageEntrypoint = (image: ImageName) =>
  JSON.stringify(['node', ...IMAGES[image].nodeFlags, '/app/dist/cli/gptoss.js']).replaceAll('","', '", "');

/** The Node.js release the images run (the Dockerfiles' NODE_VERSION must match; a test checks). */
export const IMAGE_NODE_VERSION = '24.21.0';

interface PackageJson {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  [field: string]: unknown;
}

/** package.json for the image: production dependencies, less the left-out ones, plus the native packages. */
export function imagePackageJson(image: ImageName, root = PACKAGE_ROOT): PackageJson {
  const spec = IMAGES[image] as ImageContents;
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const installed = (name: string) =>
    spec.bundle ? spec.bundle.external.includes(name) : !spec.withoutDependencies?.includes(name);
  const dependencies = Object.fromEntries(Object.entries(pkg.dependencies).filter(([name]) => installed(name)));
  for (const name of spec.nativePackages) {
    const locked = lock.packages[`node_modules/${name}`]?.version;
    if (!locked) throw new Error(`${name} is not in package-lock.json`);
    dependencies[name] = locked;
  }
  return {
    name: pkg.name,
    version: pkg.version,
    private: true,
    type: pkg.type,
    license: pkg.license,
    engines: pkg.engines,
    bin: pkg.bin,
    dependencies,
  };
}

/**
 * Builds the image's tree in `out`: package.json and the lockfile, `npm ci --omit=dev
 * --omit=optional` (install scripts off: nothing is built or downloaded besides the packages), then
 * the listed files or the bundle. Needs dist/ (npm run build) and the npm registry or its cache.
 */
export async function assembleImage(image: ImageName, out: string, root = PACKAGE_ROOT): Promise<void> {
  const spec = IMAGES[image] as ImageContents;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(imagePackageJson(image, root), null, 2)}\n`);
  cpSync(join(root, 'package-lock.json'), join(out, 'package-lock.json'));
  try {
    execFileSync(
      'npm',
      ['ci', '--omit=dev', '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
      { cwd: out, stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (cause) {
    throw new Error(`npm ci for the ${image} image`, { cause });
  }
  if (spec.bundle) await bundleProgram(spec.bundle, join(out, 'dist', 'cli'), root);
  for (const path of spec.files) {
    const from = join(root, path);
    if (!existsSync(from)) throw new Error(`${path} is missing: run npm run build first`);
    cpSync(from, join(out, path), { recursive: true, filter: (source) => !source.endsWith('.map') });
  }
}

if (process.argv[1]?.endsWith('images.js')) {
  const [command, image, out] = process.argv.slice(2);
  if (command !== 'assemble' || !image || !(image in IMAGES) || !out) {
    process.stderr.write(`usage: node dist/scripts/images.js assemble <${Object.keys(IMAGES).join('|')}> <dir>\n`);
    process.exit(2);
  }
  await assembleImage(image as ImageName, out);
  process.stdout.write(`assembled the ${image} image in ${out}\n`);
}
