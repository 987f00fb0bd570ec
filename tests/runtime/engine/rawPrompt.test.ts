import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_DEFAULTS } from '../../../contract/api/chat.js';
import { systemClock } from '../../../contract/clock.js';
import { createLogger } from '../../../contract/log.js';
import { Engine } from '../../../runtime/engine/engine.js';
import type { Delta } from '../../../runtime/engine/types.js';
import { SCRIPTED_ANSWER, SCRIPTED_REASONING } from '../../../runtime/synth/harmonyScript.js';
import { modelPath } from '../../helpers/models.js';

let engine: Engine;
beforeAll(async () => {
  const quiet = { promptTokens() {}, firstToken() {}, interDelta() {}, generated() {}, finished() {} };
  const options = {
    modelPath: modelPath('scripted'),
    modelName: 'scripted',
    parallel: 1,
    contextSize: 1024,
    reasoningEffort: 'medium' as const,
    currentDate: 'none',
    threads: 1,
    gpu: 'cpu' as const,
    maxQueue: 4,
  };
  engine = await Engine.load(options, quiet, systemClock, createLogger('warn'));
});
afterAll(() => engine?.dispose());

describe('a raw harmony prompt (/v1/completions, Generate)', () => {
  it("goes on past the analysis message's <|end|> to the answer, and stops at <|return|> (not shown)", async () => {
    const prompt = engine.renderText({ ...CHAT_DEFAULTS, model: '', messages: [{ role: 'user', content: 'Hi' }] });
    const deltas: Delta[] = [];
    const outcome = await engine.generate(
      { model: '', prompt, stop: [], maxTokens: 100 },
      (d) => deltas.push(d),
      new AbortController().signal,
    );
    const text = deltas.map((d) => (d.type === 'text' ? d.text : '')).join('');
    expect(text).toBe(
      `<|channel|>analysis<|message|>${SCRIPTED_REASONING.medium}<|end|>` +
        `<|start|>assistant<|channel|>final<|message|>${SCRIPTED_ANSWER}`,
    );
    expect(outcome.finishReason).toBe('stop');
  });
});
