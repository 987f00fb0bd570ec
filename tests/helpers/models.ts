import { join } from 'node:path';
import { cacheRoot } from '../../contract/paths.js';
import { ensureSynthModel } from '../../runtime/synth/synthModel.js';

/** Synthetic models the tests share, written once per machine into a cache outside the repo. */
export const MODELS_DIR = join(cacheRoot(), 'test-models');

export const TEST_MODELS = {
  /** random gpt-oss, harmony wrapper, random text */
  tiny: { arch: 'gpt-oss', preset: 'tiny', scripted: false, file: 'gpt-oss-tiny-seed1.gguf' },
  /** answers with the harmony script (see runtime/synth/harmonyScript.ts) */
  scripted: { arch: 'gpt-oss', preset: 'tiny', scripted: true, file: 'gpt-oss-tiny-scripted-seed1.gguf' },
  /** the non-harmony path */
  llama: { arch: 'llama', preset: 'tiny', scripted: false, file: 'llama-tiny-seed1.gguf' },
} as const;

export type TestModel = keyof typeof TEST_MODELS;

export const modelPath = (name: TestModel) => join(MODELS_DIR, TEST_MODELS[name].file);

export async function ensureTestModels(): Promise<void> {
  for (const [name, m] of Object.entries(TEST_MODELS)) {
    const out = modelPath(name as TestModel);
    await ensureSynthModel({ arch: m.arch, preset: m.preset, scripted: m.scripted, seed: 1, out });
  }
}
