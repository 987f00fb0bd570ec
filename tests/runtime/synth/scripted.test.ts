import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type Llama, type LlamaContext, type LlamaModel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASONING_EFFORTS } from '../../../contract/models.js';
import {
  SCRIPTED_MAX_NAME_TOKENS,
  SCRIPTED_MAX_RESULT_TOKENS,
  SCRIPTED_TOKENS,
  SCRIPTED_TURN,
} from '../../../runtime/synth/harmonyScript.js';
import { synthModel } from '../../../runtime/synth/synthModel.js';
import { modelPath } from '../../helpers/models.js';
import { GET_TIME, GET_WEATHER, askPrompt, resultPrompt, type PromptFunction } from './harmonyPrompts.js';

/**
 * The scripted model in llama.cpp itself (no runtime, no grammar, no guide): harmony prompts as the
 * reference renders them, tokenized with harmony's tokens as tokens, and the tokens it samples
 * compared one by one with the documented script (docs/synthetic-models.md), greedy and at
 * temperature 1. What it writes comes from its weights alone.
 */

let llama: Llama;
let model: LlamaModel;
let context: LlamaContext;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never' });
  model = await llama.loadModel({ modelPath: modelPath('scripted') });
  // one thread: the machine's cores are shared with other test files
  context = await model.createContext({ contextSize: 2048, threads: 1 });
});
afterAll(async () => {
  await context?.dispose();
  await model?.dispose();
});

const ENDS_TURN = new Set(['<|return|>', '<|call|>']);

interface Sampled {
  tokens: Token[];
  /** Each token as its text. */
  pieces: string[];
}

/** Samples after the prompt's tokens until the turn ends, `stopAt` is sampled, or `max` tokens. */
async function sample(
  prompt: readonly Token[],
  { temperature, seed = 1, stopAt = ENDS_TURN }: { temperature: number; seed?: number; stopAt?: Set<string> },
  on: LlamaContext = context,
  max = 300,
): Promise<Sampled> {
  const sequence = on.getSequence();
  try {
    const sampled: Sampled = { tokens: [], pieces: [] };
    for await (const token of sequence.evaluate([...prompt], { temperature, seed, yieldEogToken: true })) {
      sampled.tokens.push(token);
      sampled.pieces.push(model.detokenize([token], true));
      if (stopAt.has(sampled.pieces.at(-1)!) || sampled.tokens.length >= max) break;
    }
    return sampled;
  } finally {
    await sequence.dispose();
  }
}

/** Harmony text with harmony's tokens as tokens (the tests' prompts hold no other control strings). */
const harmony = (text: string) => model.tokenize(text, true);

/** The turn's tokens, as their text, after a prompt written in harmony text. */
async function complete(prompt: string, temperature: number, seed = 1): Promise<string[]> {
  return (await sample(harmony(prompt), { temperature, seed })).pieces;
}

/** How the prompt's tokenizer splits a function's name in `type NAME =`, and a result in its message. */
const nameTokens = (name: string) => pieces(` ${name}`).slice(1);
const pieces = (text: string) => model.tokenize(text, false).map((t) => model.detokenize([t], true));

const SAMPLINGS = [
  { name: 'greedy', temperature: 0, seed: 1 },
  ...[1, 2, 3].map((seed) => ({ name: `temperature 1, seed ${seed}`, temperature: 1, seed })),
];

describe.each(SAMPLINGS)('the scripted model, $name', ({ temperature, seed }) => {
  it.each(REASONING_EFFORTS)(
    '(a) no tools, effort %s: the analysis for the effort, then the answer',
    async (effort) => {
      const out = await complete(askPrompt(effort), temperature, seed);
      expect(out).toEqual(SCRIPTED_TOKENS.answer(effort));
      expect(out.join('')).toBe(SCRIPTED_TURN.answer(effort));
    },
  );

  it('(b) one function: the analysis, then a call to it with `{}`', async () => {
    const out = await complete(askPrompt('medium', [GET_WEATHER]), temperature, seed);
    expect(out).toEqual(SCRIPTED_TOKENS.call('medium', nameTokens('get_weather')));
    expect(out.join('')).toBe(SCRIPTED_TURN.call('medium', 'get_weather'));
  });

  it('(c) two functions: the first is called', async () => {
    for (const [first, second] of [
      [GET_WEATHER, GET_TIME],
      [GET_TIME, GET_WEATHER],
    ] as const) {
      const out = await complete(askPrompt('low', [first, second]), temperature, seed);
      expect(out).toEqual(SCRIPTED_TOKENS.call('low', nameTokens(first.name)));
      expect(out.join('')).toBe(SCRIPTED_TURN.call('low', first.name));
    }
  });

  it("(d) the function's result: the analysis, then the answer quoting it", async () => {
    const result = '{"temp_c": 21, "sky": "clear"}';
    const prompt = resultPrompt('high', [GET_WEATHER], 'Deep thinking: check everything.', result);
    const out = await complete(prompt, temperature, seed);
    expect(out).toEqual(SCRIPTED_TOKENS.toolAnswer('high', pieces(result)));
    expect(out.join('')).toBe(SCRIPTED_TURN.toolAnswer('high', result));
  });

  it('a call header the engine cut short (a preamble): the empty message closed, then the answer', async () => {
    // as the engine goes on: the model's own analysis, then the header the engine allowed (no call)
    const ask = harmony(askPrompt('medium', [GET_WEATHER]));
    const analysis = await sample(ask, { temperature, seed, stopAt: new Set(['<|end|>']) });
    expect(analysis.pieces).toEqual(SCRIPTED_TOKENS.answer('medium').slice(0, 8));
    const preamble = harmony('<|start|>assistant<|channel|>commentary<|message|>');
    const out = await sample([...ask, ...analysis.tokens, ...preamble], { temperature, seed });
    expect(out.pieces).toEqual(SCRIPTED_TOKENS.afterRefusedCall());
  });
});

describe('the copy at its documented limits', () => {
  const longName = (tokens: number) => 'f'.repeat(tokens);

  it(`a name of ${SCRIPTED_MAX_NAME_TOKENS} tokens is called by its whole name`, async () => {
    const name = longName(SCRIPTED_MAX_NAME_TOKENS);
    expect(nameTokens(name)).toHaveLength(SCRIPTED_MAX_NAME_TOKENS);
    const tool: PromptFunction = { name, description: 'A long name', parameters: '()' };
    const out = await complete(askPrompt('medium', [tool]), 0);
    expect(out.join('')).toBe(SCRIPTED_TURN.call('medium', name));
  });

  it(`a result of ${SCRIPTED_MAX_RESULT_TOKENS} tokens is quoted whole`, async () => {
    // letters no merge joins: one token each
    const result = Array.from({ length: SCRIPTED_MAX_RESULT_TOKENS }, (_, i) => 'zqkvwbxy'[i % 8]).join('');
    expect(pieces(result)).toHaveLength(SCRIPTED_MAX_RESULT_TOKENS);
    const out = await complete(resultPrompt('low', [GET_WEATHER], 'Quick look: answer now.', result), 0);
    expect(out.join('')).toBe(SCRIPTED_TURN.toolAnswer('low', result));
  });
});

describe("--scripted --preset small: the same script at the small preset's size and cost", () => {
  it('answers, calls the first function and quotes its result, greedy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gptoss-scripted-small-'));
    const file = join(dir, 'small.gguf');
    await synthModel({ arch: 'gpt-oss', preset: 'small', scripted: true, seed: 1, out: file });
    const small = await llama.loadModel({ modelPath: file });
    const onSmall = await small.createContext({ contextSize: 2048, threads: 1 });
    try {
      const turn = async (prompt: string) => (await sample(harmony(prompt), { temperature: 0 }, onSmall)).pieces;
      expect(await turn(askPrompt('high'))).toEqual(SCRIPTED_TOKENS.answer('high'));
      expect(await turn(askPrompt('medium', [GET_WEATHER]))).toEqual(
        SCRIPTED_TOKENS.call('medium', nameTokens('get_weather')),
      );
      const result = 'sunny 21';
      expect(await turn(resultPrompt('low', [GET_WEATHER], 'x', result))).toEqual(
        SCRIPTED_TOKENS.toolAnswer('low', pieces(result)),
      );
    } finally {
      await onSmall.dispose();
      await small.dispose();
      rmSync(dir, { recursive: true });
    }
  }, 120_000);
});
