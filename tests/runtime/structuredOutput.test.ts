import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRIPTED_REASONING } from '../../runtime/synth/harmonyScript.js';
import { collect, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/**
 * Structured output on a real runtime: the final answer is held to the schema by a grammar while
 * the analysis stays free, checked with a JSON Schema validator nobody here wrote (ajv). On random
 * weights too: the grammar alone makes any model's answer valid.
 */

/** Every kind of value, each bounded, so any model's answer ends within the tokens given. */
const SCHEMA = {
  type: 'object',
  properties: {
    answer: { type: 'string', maxLength: 16 },
    mood: { enum: ['happy', 'sad'] },
    ok: { type: 'boolean' },
    n: { type: 'integer' },
    tags: { type: 'array', items: { type: 'string', maxLength: 8 }, maxItems: 3 },
    note: { type: ['string', 'null'], maxLength: 4 },
  },
  required: ['answer', 'mood', 'ok', 'n', 'tags', 'note'],
  additionalProperties: false,
};
const validate = new Ajv({ strict: false }).compile(SCHEMA);
const FORMAT = { type: 'json_schema', json_schema: { name: 'reply', schema: SCHEMA, strict: true } } as const;

function expectValid(text: string | null | undefined) {
  const value: unknown = JSON.parse(text ?? '');
  expect(validate(value), `${text}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

describe('structured output, scripted model', () => {
  let t: TestRuntime;
  const model = 'gpt-oss-tiny-scripted-seed1';
  beforeAll(async () => {
    t = await startTestRuntime('scripted');
  });
  afterAll(() => t?.stop());

  it('chat completions: the answer is valid for the schema; the reasoning is the model’s own', async () => {
    const r = await t.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Hi' }],
      response_format: FORMAT,
    });
    expect(r.choices[0]!.finish_reason).toBe('stop');
    expect((r.choices[0]!.message as { reasoning_content?: string }).reasoning_content).toBe(SCRIPTED_REASONING.medium);
    expectValid(r.choices[0]!.message.content);
  });

  it('responses text.format: output_text is valid for the schema', async () => {
    const r = await t.openai.responses.create({
      model,
      input: 'Hi',
      text: { format: { type: 'json_schema', name: 'reply', schema: SCHEMA, strict: true } },
    });
    expect(r.status).toBe('completed');
    expectValid(r.output_text);
  });

  it('gRPC response_format: the final channel is valid for the schema', async () => {
    const { messages, error } = await collect(
      t.grpc.Chat({
        messages: [{ role: 'user', content: 'Hi' }],
        response_format: { json_schema: { name: 'reply', schema: JSON.stringify(SCHEMA), strict: true } },
      }),
    );
    expect(error).toBeNull();
    const final = messages.filter((m) => m.channel === 'CHANNEL_FINAL').map((m) => m.text as string);
    expectValid(final.join(''));
  });

  it('a schema keyword no grammar can hold is a 400 naming it, in each API’s own field names', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer', minimum: 1 } } };
    const chat = await t.openai.chat.completions
      .create({
        model,
        messages: [{ role: 'user', content: 'Hi' }],
        response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
      })
      .catch((e: unknown) => e as { status: number; param: string; message: string });
    expect(chat).toMatchObject({
      status: 400,
      param: 'response_format.json_schema.schema.properties.n.minimum',
      message: expect.stringContaining('the keyword "minimum" cannot be enforced while generating'),
    });
    const responses = await t.openai.responses
      .create({ model, input: 'Hi', text: { format: { type: 'json_schema', name: 'x', schema } } })
      .catch((e: unknown) => e as { status: number; param: string });
    expect(responses).toMatchObject({ status: 400, param: 'text.format.schema.properties.n.minimum' });
    const tools = await t.openai.responses
      .create({ model, input: 'Hi', tools: [{ type: 'function', name: 'f', parameters: schema, strict: false }] })
      .catch((e: unknown) => e as { status: number; param: string });
    expect(tools).toMatchObject({ status: 400, param: 'tools[0].parameters.properties.n.minimum' });
  });
});

describe('structured output, random weights', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('tiny');
  });
  afterAll(() => t?.stop());

  it('every answer a random model finishes is valid for the schema (eight seeds)', async () => {
    const finished: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const r = await t.openai.chat.completions.create({
        model: 'gpt-oss-tiny-seed1',
        messages: [{ role: 'user', content: 'Hi' }],
        response_format: FORMAT,
        max_tokens: 300,
        seed,
      });
      // random reasoning may not end within the tokens given; an answer it reaches must be valid
      if (r.choices[0]!.finish_reason === 'stop') finished.push(r.choices[0]!.message.content!);
    }
    expect(finished.length).toBeGreaterThan(0);
    finished.forEach(expectValid);
  });
});
