import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  getLlama,
  LlamaGrammarEvaluationState,
  TokenBias,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import type { CompiledGrammar } from '../../../../runtime/engine/grammar/compile.js';
import { GrammarCache, utf8GuardOf } from '../../../../runtime/engine/grammar/grammars.js';
import type { Utf8Guard } from '../../../../runtime/engine/grammar/utf8Guard.js';
import { modelPath } from '../../../helpers/models.js';

/**
 * The 'tiny' synthetic gpt-oss with random weights, sampled the way the engine samples a message
 * held by a grammar: temperature 1, no top-k or top-p, the grammar and the UTF-8 guard's token bias
 * and nothing else. Its tokens are random, so whatever it writes that is valid JSON is the grammar's doing.
 */
export interface RandomModel {
  model: LlamaModel;
  sequence: LlamaContextSequence;
  grammars: GrammarCache;
  guard: Utf8Guard;
  dispose(): Promise<void>;
}

export async function loadRandomModel(): Promise<RandomModel> {
  const llama = await getLlama({ gpu: false, build: 'never' });
  const model = await llama.loadModel({ modelPath: modelPath('tiny') });
  // one thread: the machine's cores are shared with other test files, and llama.cpp's threads spin
  const context = await model.createContext({ contextSize: 8192, threads: 1 });
  return {
    model,
    sequence: context.getSequence(),
    grammars: new GrammarCache(llama),
    guard: utf8GuardOf(model),
    dispose: async () => {
      await context.dispose();
      await model.dispose();
    },
  };
}

export interface Sampled {
  text: string;
  tokens: Token[];
}

/** The most tokens one value may take; a grammar that let a value run on would fail the test here. */
const MAX_TOKENS = 4000;

/**
 * Samples one value under the grammar until llama.cpp's grammar allows nothing but an end of
 * generation token. `logits` adds to chosen tokens' logits (a model that prefers them); with
 * `upTo`, sampling stops after that many tokens, ended or not.
 */
export async function sample(
  m: RandomModel,
  compiled: CompiledGrammar,
  seed: number,
  { logits = new Map(), upTo }: { logits?: ReadonlyMap<Token, number>; upTo?: number } = {},
): Promise<Sampled> {
  const { model, sequence, guard } = m;
  const grammar = await m.grammars.grammarFor(compiled);
  await sequence.clearHistory();
  const tokens: Token[] = [];
  const tokenBias = () => {
    const bias = new TokenBias(model.tokenizer);
    for (const [token, logit] of logits) bias.set(token, { logit });
    for (const token of guard.bannedAfter(tokens.at(-1))) bias.set(token, 'never');
    return bias;
  };
  // the seed also varies the context, so that the random logits (a function of it) vary too
  const evaluation = sequence.evaluate(model.tokenize(`Value ${seed}:`, false), {
    temperature: 1,
    topK: 0,
    topP: 1,
    seed,
    grammarEvaluationState: new LlamaGrammarEvaluationState({ model, grammar }),
    tokenBias,
    yieldEogToken: true,
  });
  for await (const token of evaluation) {
    if (model.isEogToken(token)) break;
    tokens.push(token);
    if (tokens.length === upTo) break;
    if (tokens.length > MAX_TOKENS) {
      throw new Error(`no end after ${MAX_TOKENS} tokens: ${JSON.stringify(model.detokenize(tokens).slice(0, 200))}`);
    }
  }
  return { text: model.detokenize(tokens), tokens };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** A calendar date that exists (what ajv-formats checks too). */
function isDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The formats the compiler enforces, checked independently of its grammar. */
const FORMATS = {
  date: isDate,
  time: (text: string) => TIME.test(text),
  'date-time': (text: string) => {
    const [date, time, ...rest] = text.split('T');
    return rest.length === 0 && isDate(date!) && time !== undefined && TIME.test(time);
  },
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  ipv4: /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/,
  email:
    /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i,
};

/** A validator of the schema: JSON Schema 2020-12, or draft-07 for a schema that says so. */
export function validatorOf(schema: Record<string, unknown>): ValidateFunction {
  const options = { strict: false, allErrors: true, formats: FORMATS } as const;
  const draft07 = typeof schema.$schema === 'string' && schema.$schema.includes('draft-07');
  return draft07 ? new Ajv(options).compile(schema) : new Ajv2020(options).compile(schema);
}
