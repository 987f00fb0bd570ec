import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureGoBinaries, type GoBinaries } from './goBuild.js';

/**
 * KEDA's ScaledObject CustomResourceDefinition, so the bed lane validates the ScaledObject example
 * (deploy/examples/keda-autoscaling.yaml) against the schema a cluster with KEDA installed has. It
 * comes from KEDA's Go module through the Go module proxy, as the Go tools do (goBuild.ts):
 * `go mod download` fetches the module (about 3 MB), the module's hash is checked against the one
 * pinned here (as well as Go's checksum database, unless the environment turns that off) and the
 * CRD file against its SHA-256; only that file is kept, in the cache outside the repository, keyed
 * by version.
 */

const exec = promisify(execFile);

export const KEDA_VERSION = 'v2.21.0';
const MODULE = `github.com/kedacore/keda/v2@${KEDA_VERSION}`;
/** The module's hash as go.sum writes it (h1: the SHA-256 of its file list). */
const MODULE_SUM = 'h1:R6z2HZvstK4RLUMxroNACzBj74xGxt3kG59b5Xc+Xps=';
const CRD_IN_MODULE = join('config', 'crd', 'bases');

/** The CRD: its file name in the module and in the cache, its SHA-256, and its object's name. */
export const SCALED_OBJECT_CRD = {
  file: 'keda.sh_scaledobjects.yaml',
  sha256: 'af35555862a83933b074af14ad439c4b4ceabaf4daa3e9338e9b23e36d308d80',
  name: 'scaledobjects.keda.sh',
} as const;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The module, downloaded (or found) in Go's module cache; Go's reason when it cannot. */
async function downloadModule(work: string): Promise<{ Dir: string; Sum: string }> {
  try {
    const { stdout } = await exec('go', ['mod', 'download', '-json', MODULE], { cwd: work });
    return JSON.parse(stdout) as { Dir: string; Sum: string };
  } catch (error) {
    // go prints its reason in the JSON's Error field, on stdout
    const quoted = /"Error":\s*("(?:[^"\\]|\\.)*")/.exec((error as { stdout?: string }).stdout ?? '')?.[1];
    const reason = quoted ? `: ${(JSON.parse(quoted) as string).replace(/\s+/g, ' ')}` : '';
    throw new Error(`go mod download ${MODULE}${reason}`, { cause: error });
  }
}

const KEDA_CRD: GoBinaries = {
  key: `keda-crd-${KEDA_VERSION}`,
  binaries: [SCALED_OBJECT_CRD.file],
  async build(out, work) {
    const module = await downloadModule(work);
    if (module.Sum !== MODULE_SUM) throw new Error(`${MODULE} has hash ${module.Sum}; expected ${MODULE_SUM}`);
    const crd = readFileSync(join(module.Dir, CRD_IN_MODULE, SCALED_OBJECT_CRD.file));
    const actual = sha256(crd);
    if (actual !== SCALED_OBJECT_CRD.sha256)
      throw new Error(
        `${SCALED_OBJECT_CRD.file} of ${MODULE} has SHA-256 ${actual}; expected ${SCALED_OBJECT_CRD.sha256}`,
      );
    writeFileSync(join(out, SCALED_OBJECT_CRD.file), crd);
  },
};

/** The ScaledObject CRD's file, fetched first when it is not in the cache. */
export async function ensureKedaCrd(): Promise<string> {
  return join(await ensureGoBinaries(KEDA_CRD), SCALED_OBJECT_CRD.file);
}
