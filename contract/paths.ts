import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, found from this file whether it runs from source or from dist/. */
export const PACKAGE_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${dir}`);
    dir = parent;
  }
  return dir;
})();

/** Generated things (models, built binaries, local clusters) live here, outside the repository. */
export function cacheRoot(): string {
  return process.env.GPTOSS_CACHE_ROOT ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'gptoss');
}

/** Where generated models live: outside the repository, reused across runs. */
export function modelCacheDir(): string {
  return join(cacheRoot(), 'models');
}
