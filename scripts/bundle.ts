import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, stop, type Plugin } from 'esbuild-wasm';
import { PACKAGE_ROOT } from '../contract/paths.js';

/** What one image's program is bundled from: the commands it runs and the packages left to node_modules. */
export interface BundleSpec {
  /** `gptoss` subcommands bundled in; any other fails as not part of the image. */
  commands: readonly string[];
  /** Packages (and their subpaths) imported from node_modules at run time, not bundled. */
  external: readonly string[];
  /**
   * Packages bundled from another module (a path from the repository root) that exports what the program uses of
   * them; only the package's own name is replaced (that module may import the package's files).
   */
  replace?: Readonly<Record<string, string>>;
}

/**
 * The other subcommands' modules stay outside: gptoss.js loads only the subcommand it runs, so their `import()`
 * fails, as in an image without their component, with the missing file named ("not part of this image").
 */
const onlyCommands = (commands: readonly string[]): Plugin => ({
  name: 'only-commands',
  setup(builder) {
    const kept = new Set(commands.map((command) => `./${command}.js`));
    builder.onResolve({ filter: /^\.\/[\w.-]+\.js$/ }, ({ path, importer, kind }) =>
      kind === 'dynamic-import' && importer.endsWith(join('dist', 'cli', 'gptoss.js')) && !kept.has(path)
        ? { path, external: true }
        : undefined,
    );
  },
});

/** `spec.replace`: esbuild's own alias would rewrite the package's subpaths too, which the replacement imports. */
const replacePackages = (replace: Readonly<Record<string, string>>, root: string): Plugin => ({
  name: 'replace-packages',
  setup(builder) {
    // bare package names only; a subpath is not the package's name
    builder.onResolve({ filter: /^[^./]/ }, ({ path }) =>
      Object.hasOwn(replace, path) ? { path: join(root, replace[path]!) } : undefined,
    );
  },
});

const REQUIRE_BANNER =
  "import { createRequire as createRequire$0 } from 'node:module'; const require = createRequire$0(import.meta.url);";

/**
 * Bundles `dist/cli/gptoss.js` with only `spec.commands` into one file, `outDir/gptoss.js`. One minified file
 * starts in less memory than the same code as a hundred ES modules in node_modules: the module loader and each
 * module's record and source cost resident memory, and the operator's idle memory is what a cluster pays for it
 * always (docs/benchmarks.md). Not split into chunks: the image runs one command, which loads nearly all of it, and
 * resolving a dozen chunk files at start ran Node.js's URL-to-path code hot enough for V8 to optimise it, whose
 * compiler then stays resident (4 MiB). Modules imported dynamically are still evaluated only when first imported.
 * ASCII output keeps the source strings V8 holds one byte a character. CommonJS dependencies and node:http are
 * loaded by `require`, as they would be unbundled (contract/nodeHttp.ts says why). Needs dist/ (npm run build).
 */
export async function bundleProgram(spec: BundleSpec, outDir: string, root = PACKAGE_ROOT): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  try {
    await build({
      entryPoints: { gptoss: join(root, 'dist', 'cli', 'gptoss.js') },
      outdir: outDir,
      bundle: true,
      splitting: false,
      format: 'esm',
      platform: 'node',
      target: 'node20.19',
      minify: true,
      charset: 'ascii',
      legalComments: 'none',
      logLevel: 'error',
      external: spec.external.flatMap((name) => [name, `${name}/*`]),
      plugins: [onlyCommands(spec.commands), replacePackages(spec.replace ?? {}, root)],
      // each file's require() for the CommonJS dependencies' builtins, which esbuild's ES output otherwise refuses
      banner: { js: REQUIRE_BANNER },
    });
  } catch (cause) {
    throw new Error(`bundling ${spec.commands.join(', ')} into ${outDir}`, { cause });
  } finally {
    // esbuild's service process would otherwise live as long as ours (a benchmark's)
    await stop();
  }
}
