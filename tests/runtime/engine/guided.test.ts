import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_DEFAULTS, type ChatJob } from '../../../contract/api/chat.js';
import { systemClock } from '../../../contract/clock.js';
import { createLogger } from '../../../contract/log.js';
import { Engine } from '../../../runtime/engine/engine.js';
import type { Delta, Outcome } from '../../../runtime/engine/types.js';
import { modelPath } from '../../helpers/models.js';

/**
 * Guided generation on RANDOM weights: whatever a model would write, the structure of its answer
 * comes from the guide (headers, calls only where tool_choice allows them) and its JSON from a grammar.
 */

let engine: Engine;
const quiet = { promptTokens() {}, firstToken() {}, interDelta() {}, generated() {}, finished() {} };
beforeAll(async () => {
  engine = await Engine.load(
    {
      modelPath: modelPath('tiny'),
      modelName: 'tiny',
      parallel: 1,
      contextSize: 2048,
      reasoningEffort: 'low',
      currentDate: 'none',
      threads: 1,
      gpu: 'cpu',
      maxQueue: 4,
    },
    quiet,
    systemClock,
    createLogger('warn'),
  );
});
afterAll(() => engine?.dispose());

const WEATHER = {
  name: 'get_weather',
  description: 'Current weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const TIME = { name: 'get_time', parameters: { type: 'object', properties: {} } };

async function chat(job: Partial<ChatJob>, seed: number): Promise<{ deltas: Delta[]; outcome: Outcome }> {
  const deltas: Delta[] = [];
  const outcome = await engine.chat(
    {
      ...CHAT_DEFAULTS,
      model: '',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      stop: [],
      maxTokens: 1500,
      seed,
      ...job,
    },
    (d) => deltas.push(d),
    new AbortController().signal,
  );
  return { deltas, outcome };
}

const calls = (deltas: Delta[]) => {
  const found: Array<{ id: string; name: string; arguments: string }> = [];
  for (const d of deltas) {
    if (d.type === 'toolCall') found[d.index] = { id: d.id, name: d.name, arguments: '' };
    if (d.type === 'toolArguments') found[d.index]!.arguments += d.text;
  }
  return found;
};

const SEEDS = [1, 2, 3, 4, 5];

describe('guided harmony turns on random weights', () => {
  // the scripted model shows the call made (tests/runtime/agentLoop.test.ts); random weights, that nothing else is
  it('tool_choice naming a function: no other call, no answer; a call made is that one, JSON', async () => {
    for (const seed of SEEDS) {
      const { deltas, outcome } = await chat(
        { tools: [WEATHER, TIME], toolChoice: { mode: 'function', name: 'get_time' } },
        seed,
      );
      expect(calls(deltas).every((c) => c.name === 'get_time')).toBe(true);
      expect(deltas.filter((d) => d.type === 'text' && d.channel !== 'analysis')).toEqual([]);
      if (outcome.finishReason === 'length') continue;
      expect(outcome.finishReason, `seed ${seed}`).toBe('tool_calls');
      const [call, ...more] = calls(deltas);
      expect(more).toEqual([]);
      expect(call!.name).toBe('get_time');
      expect(call!.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
      expect(() => JSON.parse(call!.arguments) as unknown, call!.arguments).not.toThrow();
    }
  });

  it('tool_choice none: no call, whatever the model would write', async () => {
    for (const seed of SEEDS) {
      const { deltas, outcome } = await chat({ tools: [WEATHER], toolChoice: { mode: 'none' }, maxTokens: 400 }, seed);
      expect(calls(deltas)).toEqual([]);
      expect(outcome.finishReason).not.toBe('tool_calls');
    }
  });

  it('structured output: the final answer is JSON; reasoning counted apart', async () => {
    let answered = 0;
    for (const seed of SEEDS) {
      const { deltas, outcome } = await chat({ responseFormat: { type: 'json_object' } }, seed);
      if (outcome.finishReason !== 'stop') continue;
      const final = deltas.map((d) => (d.type === 'text' && d.channel === 'final' ? d.text : '')).join('');
      expect(() => JSON.parse(final) as unknown, final).not.toThrow();
      const reasoning = deltas.some((d) => d.type === 'text' && d.channel === 'analysis');
      if (reasoning) expect(outcome.usage.reasoningTokens).toBeGreaterThan(0);
      answered++;
    }
    expect(answered).toBeGreaterThan(0);
  });
});
