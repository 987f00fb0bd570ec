import { beforeAll, describe, expect, it } from 'vitest';
import { getLlama, type Llama, type LlamaGrammar } from 'node-llama-cpp';
import {
  compileJsonSchema,
  JSON_OBJECT_GRAMMAR,
  type CompiledGrammar,
} from '../../../../runtime/engine/grammar/compile.js';
import { GrammarCache } from '../../../../runtime/engine/grammar/grammars.js';

/**
 * The grammars as llama.cpp reads them: exactly which texts each accepts, checked with llama.cpp's
 * own matcher (node-llama-cpp's internal `_testText`: the text's code points through the grammar,
 * true when it ends complete), no model needed.
 */

let llama: Llama;
let cache: GrammarCache;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never' });
  cache = new GrammarCache(llama);
});

/** node-llama-cpp 3.21.1's LlamaGrammar has a matcher it keeps internal. */
const accepts = (grammar: LlamaGrammar, text: string): boolean =>
  (grammar as unknown as { _testText(text: string): boolean })._testText(text);

async function check(compiled: CompiledGrammar, yes: readonly string[], no: readonly string[]): Promise<void> {
  const grammar = await cache.grammarFor(compiled);
  expect(yes.filter((text) => !accepts(grammar, text))).toEqual([]);
  expect(no.filter((text) => accepts(grammar, text))).toEqual([]);
}

const schema = (value: unknown) =>
  compileJsonSchema(value as Record<string, unknown>, 'response_format.json_schema.schema');

describe('what the grammars accept', () => {
  it('strings: any text but `<|` unescaped, control characters escaped, surrogates in pairs', async () => {
    await check(
      schema({ type: 'string' }),
      [
        '""',
        '"a|b"',
        '"a<b"',
        '"<<"',
        '"<"',
        '"x<\\u007cend|>"',
        '"\\u003c|"',
        '"\\"\\\\\\/\\b\\f\\n\\r\\t"',
        '"\\ud83d\\ude00"',
        '"naïve ☃ 😀"',
        '"| <"',
      ],
      ['"a<|b"', '"<<|"', '"\n"', '"\\u0"', '"\\ud800"', '"\\udc00"', '"\\x41"', '"a', 'a"', '"\u007f"', ' ""'],
    );
  });

  it('counted strings count characters, escapes as one', async () => {
    await check(
      schema({ type: 'string', minLength: 2, maxLength: 3 }),
      ['"ab"', '"abc"', '"a\\n"', '"\\ud83d\\ude00😀"', '"<<<"', '"a<"'],
      ['"a"', '"abcd"', '"<|"', '"a<|"', '""'],
    );
  });

  it('numbers: JSON numbers of bounded size', async () => {
    await check(
      schema({ type: 'number' }),
      ['0', '-0', '12', '1.5', '-0.25e+10', '1E5', '1e05', '9999999999999999', '0.1234567890123456'],
      ['01', '+1', '.5', '1.', '1e', '1e100', '99999999999999999', 'NaN', '0x10', '1.2.3'],
    );
    await check(schema({ type: 'integer' }), ['0', '-42'], ['1.0', '1e3', '-']);
  });

  it('whitespace where a pretty-printer puts it, at most a newline and 32 of indentation', async () => {
    const object = schema({ type: 'object', properties: { a: { type: 'array', items: { type: 'integer' } } } });
    await check(
      object,
      ['{}', '{ }', '{"a":[]}', '{"a": [1,2]}', '{\n  "a": [\n    1,\n    2\n  ]\n}', `{\n${' '.repeat(32)}"a":[]}`],
      [' {}', '{} ', '{"a" :[]}', '{"a":  []}', '{\n\n"a":[]}', `{\n${' '.repeat(33)}"a":[]}`, '{"a":[1 ,2]}'],
    );
  });

  it('objects: declared properties in order, required ones always, no key twice', async () => {
    const object = schema({
      type: 'object',
      properties: { id: { type: 'integer' }, tag: { type: 'string' } },
      required: ['id'],
      additionalProperties: { type: 'boolean' },
    });
    await check(
      object,
      [
        '{"id":1}',
        '{"id":1,"tag":"x"}',
        '{"id":1,"i":true}',
        '{"id":1,"idx":false,"":true}',
        '{"id":1,"tag":"x","t":true}',
      ],
      [
        '{}',
        '{"tag":"x","id":1}',
        '{"id":1,"id":true}',
        '{"id":1,"tag":true}',
        '{"id":1,"x":1}',
        '{"id":1,"\\u0069d":true}',
      ],
    );
  });

  it('formats: only real dates and times, canonical addresses', async () => {
    await check(
      schema({ type: 'string', format: 'date' }),
      ['"2024-02-29"', '"2000-02-29"', '"2023-12-31"', '"2023-04-30"', '"0000-01-01"'],
      ['"2023-02-29"', '"1900-02-29"', '"2023-04-31"', '"2023-13-01"', '"2023-00-10"', '"2023-1-01"'],
    );
    await check(
      schema({ type: 'string', format: 'date-time' }),
      ['"2024-02-29T23:59:59Z"', '"2024-01-01T00:00:00.123+05:30"'],
      ['"2024-01-01T24:00:00Z"', '"2024-01-01T12:60:00Z"', '"2024-01-01T12:00:00"', '"2024-01-01 12:00:00Z"'],
    );
    await check(
      schema({ type: 'string', format: 'ipv4' }),
      ['"0.0.0.0"', '"255.255.255.255"', '"192.168.1.10"'],
      ['"256.1.1.1"', '"01.1.1.1"', '"1.1.1"'],
    );
    await check(
      schema({ type: 'string', format: 'uuid' }),
      ['"123e4567-e89b-12d3-a456-426614174000"'],
      ['"123e4567e89b12d3a456426614174000"', '"123e4567-e89b-12d3-a456-42661417400g"'],
    );
    await check(
      schema({ type: 'string', format: 'email' }),
      ['"a.b+c@example.co.uk"', '"x@y.z"'],
      ['"a..b@example.com"', '"a@example"', '"@example.com"', '"a@-example.com"'],
    );
  });

  it('enums, consts and recursion', async () => {
    await check(schema({ enum: ['a<|b', 1, null] }), ['"a<\\u007cb"', '1', 'null'], ['"a<|b"', '"a"', '1.0']);
    const list = schema({
      $defs: {
        node: {
          type: 'object',
          properties: { next: { anyOf: [{ $ref: '#/$defs/node' }, { type: 'null' }] } },
          required: ['next'],
        },
      },
      $ref: '#/$defs/node',
    });
    await check(list, ['{"next":null}', '{"next":{"next":{"next":null}}}'], ['{}', '{"next":{}}']);
  });

  it('json_object: any object, and nothing else', async () => {
    await check(
      JSON_OBJECT_GRAMMAR,
      ['{}', '{"a":[1,{"b":null}],"c":"d"}', '{"a":{"a":1}}'],
      ['[]', '"x"', '1', 'null', '{"a":1,}', "{'a':1}"],
    );
  });
});

describe('GrammarCache', () => {
  it('one grammar per distinct text, the least recently used dropped past its capacity', async () => {
    const small = new GrammarCache(llama, 2);
    const [a, b, c] = [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }].map(schema) as [
      CompiledGrammar,
      CompiledGrammar,
      CompiledGrammar,
    ];
    const first = await small.grammarFor(a);
    expect(await small.grammarFor(schema({ type: 'string' }))).toBe(first);
    expect(await small.grammarFor(b)).not.toBe(first);
    await small.grammarFor(a);
    await small.grammarFor(c);
    expect(small.size).toBe(2);
    // b was the least recently used: made again; a was kept
    expect(await small.grammarFor(a)).toBe(first);
  });

  it('a grammar llama.cpp cannot parse is an internal error, and is not kept', async () => {
    const broken = { gbnf: 'root ::= (\n' };
    const before = cache.size;
    await expect(cache.grammarFor(broken)).rejects.toThrow('creating the grammar of a JSON schema');
    expect(cache.size).toBe(before);
  });
});
