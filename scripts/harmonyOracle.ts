import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../contract/paths.js';
import { cacheRoot, ensureGoBinaries, type GoBinaries } from './goBuild.js';

/**
 * The harmony oracle: OpenAI's own harmony renderer (the PyPI package openai-harmony, Rust inside)
 * in a Python virtual environment cached outside the repository, with the o200k_base vocabulary it
 * tokenizes with, so tests compare our renderer with the reference byte for byte and token for
 * token, offline. The vocabulary comes from the tiktoken-rs crate on crates.io (a download of the
 * file from OpenAI's blob store is what the package would do on first use, and that needs the
 * internet at test time); both the crate and the file are checked by SHA-256. Built on first use
 * like the Go tools (goBuild.ts): staged, then renamed into place whole.
 */

const exec = promisify(execFile);

export const ORACLE_VERSIONS = {
  openaiHarmony: '0.0.8',
  tiktokenRs: '0.7.0',
} as const;

const CRATE_URL = `https://static.crates.io/crates/tiktoken-rs/tiktoken-rs-${ORACLE_VERSIONS.tiktokenRs}.crate`;
const CRATE_SHA256 = '25563eeba904d770acf527e8b370fe9a5547bacd20ff84a0b6c3bc41288e5625';
const VOCABULARY = 'o200k_base.tiktoken';
const VOCABULARY_IN_CRATE = `tiktoken-rs-${ORACLE_VERSIONS.tiktokenRs}/assets/${VOCABULARY}`;
const VOCABULARY_SHA256 = '446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d';

const PYTHON = 'venv/bin/python';
const ENCODINGS = 'encodings';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function checkSha256(what: string, data: Buffer, expected: string): void {
  const actual = sha256(data);
  if (actual !== expected) throw new Error(`${what} has SHA-256 ${actual}; expected ${expected}`);
}

/** The vocabulary file, out of the crate (a gzipped tar), into `folder`. */
async function fetchVocabulary(folder: string, work: string): Promise<void> {
  const response = await fetch(CRATE_URL);
  if (!response.ok) throw new Error(`downloading ${CRATE_URL}: HTTP ${response.status}`);
  const crate = Buffer.from(await response.arrayBuffer());
  checkSha256(CRATE_URL, crate, CRATE_SHA256);
  const crateFile = join(work, 'tiktoken-rs.crate');
  writeFileSync(crateFile, crate);
  await exec('tar', ['-xzf', crateFile, '-C', work, VOCABULARY_IN_CRATE]);
  checkSha256(VOCABULARY_IN_CRATE, readFileSync(join(work, VOCABULARY_IN_CRATE)), VOCABULARY_SHA256);
  mkdirSync(folder, { recursive: true });
  renameSync(join(work, VOCABULARY_IN_CRATE), join(folder, VOCABULARY));
  rmSync(crateFile);
  rmSync(join(work, VOCABULARY_IN_CRATE.split('/')[0]!), { recursive: true, force: true });
}

async function createVenv(out: string): Promise<void> {
  const python = process.env.PYTHON ?? 'python3';
  try {
    await exec(python, ['-m', 'venv', join(out, 'venv')]);
  } catch (error) {
    throw new Error(`creating a Python virtual environment with ${python} (needs Python 3.8+ and its venv module)`, {
      cause: error,
    });
  }
  const pip = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--only-binary=:all:'];
  await exec(join(out, PYTHON), [...pip, `openai-harmony==${ORACLE_VERSIONS.openaiHarmony}`]);
}

const ORACLE: GoBinaries = {
  key: `harmony-oracle-openai-harmony-${ORACLE_VERSIONS.openaiHarmony}`,
  binaries: [PYTHON, join(ENCODINGS, VOCABULARY)],
  async build(out, work) {
    await createVenv(out);
    await fetchVocabulary(join(out, ENCODINGS), work);
    // loads the encoding as the tests will: offline, from the folder just written
    await exec(join(out, PYTHON), ['-c', 'import openai_harmony as h; h.load_harmony_encoding("HarmonyGptOss")'], {
      env: { ...process.env, TIKTOKEN_ENCODINGS_BASE: join(out, ENCODINGS) },
    });
  },
};

/** The interpreter, the script and the environment that run the oracle. */
export interface HarmonyOracle {
  python: string;
  script: string;
  env: NodeJS.ProcessEnv;
}

const oracleAt = (dir: string): HarmonyOracle => ({
  python: join(dir, PYTHON),
  script: join(PACKAGE_ROOT, 'scripts', 'harmony_oracle.py'),
  env: { ...process.env, TIKTOKEN_ENCODINGS_BASE: join(dir, ENCODINGS) },
});

/** Where the oracle is (built or not). */
export const harmonyOracle = () => oracleAt(join(cacheRoot(), 'bin', ORACLE.key));

/** The oracle, built first when it is missing. */
export const ensureHarmonyOracle = async () => oracleAt(await ensureGoBinaries(ORACLE));

/** One case for the oracle: a ChatPrompt, the renderer's settings, and our rendering's pieces. */
export interface OracleCase {
  name: string;
  prompt: unknown;
  settings: unknown;
  pieces: unknown[];
}

/** The reference's rendering as text and token ids, and our pieces encoded as the reference encodes. */
export interface OracleRendering {
  name: string;
  text: string;
  tokens: number[];
  piecesTokens: number[];
}

/** Renders every case with the reference, in one Python process (scripts/harmony_oracle.py). */
export function renderWithOracle(oracle: HarmonyOracle, cases: readonly OracleCase[]): Promise<OracleRendering[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(oracle.python, [oracle.script], { env: oracle.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', (error) => reject(new Error(`running ${oracle.python}`, { cause: error })));
    child.on('close', (code) => {
      if (code !== 0)
        reject(new Error(`the harmony oracle exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as OracleRendering[]);
    });
    child.stdin.end(JSON.stringify(cases));
  });
}
