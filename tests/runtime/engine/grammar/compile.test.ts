import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../contract/api/errors.js';
import { compileJsonSchema, JSON_OBJECT_GRAMMAR } from '../../../../runtime/engine/grammar/compile.js';

/** The compiler on its own: the exact grammar of small schemas, and the exact error of each refusal. */

const FIELD = 'response_format.json_schema.schema';

/** A grammar's rules by name. */
function rulesOf(gbnf: string): Map<string, string> {
  return new Map(
    gbnf
      .trimEnd()
      .split('\n')
      .map((line) => {
        const [name, body] = line.split(' ::= ') as [string, string];
        return [name, body];
      }),
  );
}

const rules = (schema: unknown) => rulesOf(compileJsonSchema(schema as Record<string, unknown>, FIELD).gbnf);

/** The JSON text every grammar shares (jsonText.ts), written out once. */
const RAW = '\\x20-\\x21\\x23-\\x3B\\x3D-\\x5B\\x5D';
const UNICODE = '\\x80-\\uD7FF\\uE000-\\U0010FFFF';
const PRIMITIVES = {
  ws: '( " " | "\\n" [ \\t]{0,32} )?',
  string: '"\\"" string-tail',
  'string-tail': '"\\"" | char string-tail | "<" string-tail-lt',
  'string-tail-lt': '"\\"" | char-after-lt string-tail | "<" string-tail-lt',
  char: `[${RAW}-\\x7E${UNICODE}] | escape`,
  'char-after-lt': `[${RAW}-\\x7B\\x7D-\\x7E${UNICODE}] | escape`,
  escape:
    '"\\\\" ( [\\x22\\x2F\\x5C] | [bfnrt] | "u" ( [0-9A-Ca-cE-Fe-f] [0-9A-Fa-f]{3} | [Dd] [0-7] [0-9A-Fa-f]{2} | ' +
    '[Dd] [89ABab] [0-9A-Fa-f]{2} "\\\\u" [Dd] [C-Fc-f] [0-9A-Fa-f]{2} ) )',
  integer: '"-"? ( "0" | [1-9] [0-9]{0,15} )',
  number: 'integer ( "." [0-9]{1,16} )? ( [eE] ( "+" | "-" )? [0-9]{1,2} )?',
  boolean: '"true" | "false"',
  null: '"null"',
};

describe('compileJsonSchema: the grammar', () => {
  it('an object with a required and an optional property, in the schema order, whole', () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' } },
      required: ['name'],
    };
    const { gbnf } = compileJsonSchema(schema, FIELD);
    const expected = [
      'root ::= "{" ws "\\"name\\":" " "? string ( "," ws "\\"age\\":" " "? integer )? ws "}"',
      `string ::= ${PRIMITIVES.string}`,
      `string-tail ::= ${PRIMITIVES['string-tail']}`,
      `char ::= ${PRIMITIVES.char}`,
      `escape ::= ${PRIMITIVES.escape}`,
      `string-tail-lt ::= ${PRIMITIVES['string-tail-lt']}`,
      `char-after-lt ::= ${PRIMITIVES['char-after-lt']}`,
      `integer ::= ${PRIMITIVES.integer}`,
      `ws ::= ${PRIMITIVES.ws}`,
    ];
    expect(gbnf).toBe(expected.join('\n') + '\n');
  });

  it('optional members before the first required one bring their comma after them', () => {
    const schema = {
      type: 'object',
      properties: { a: { type: 'null' }, b: { type: 'null' }, c: { type: 'null' } },
      required: ['b'],
    };
    expect(rules(schema).get('root')).toBe(
      '"{" ws ( "\\"a\\":" " "? null "," ws )? "\\"b\\":" " "? null ( "," ws "\\"c\\":" " "? null )? ws "}"',
    );
  });

  it('with no required member, one alternative per first member and a rule for what may follow it', () => {
    const schema = {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'boolean' }, c: { type: 'null' } },
    };
    const grammar = rules(schema);
    expect(grammar.get('root')).toBe(
      '"{" ws ( ( "\\"a\\":" " "? string root-rest-2 | "\\"b\\":" " "? boolean root-rest | ' +
        '"\\"c\\":" " "? null ) ws )? "}"',
    );
    expect(grammar.get('root-rest-2')).toBe('( "," ws "\\"b\\":" " "? boolean )? root-rest');
    expect(grammar.get('root-rest')).toBe('( "," ws "\\"c\\":" " "? null )?');
  });

  it('an object that declares nothing is any object; properties: {} is the empty object', () => {
    expect(rules({ type: 'object' }).get('root')).toBe('object');
    expect(rules({ type: 'object', properties: {} }).get('root')).toBe('"{" ws "}"');
  });

  it('additional properties after the declared ones, their keys never a declared name', () => {
    const schema = {
      type: 'object',
      properties: { id: { type: 'integer' } },
      required: ['id'],
      additionalProperties: { type: 'boolean' },
    };
    const grammar = rules(schema);
    expect(grammar.get('root')).toBe('"{" ws "\\"id\\":" " "? integer ( "," ws root-key ":" " "? boolean )* ws "}"');
    const others = (skip: string) => `[${RAW}-${skip}${UNICODE}] free-key | "<" free-key-lt`;
    expect(grammar.get('root-key')).toBe('"\\"" root-key-0');
    // "" and "i" are keys, "id" is not: it ends without a closing quote, and anything after it leaves the name
    expect(grammar.get('root-key-0')).toBe(`"\\"" | "i" root-key-1 | ${others('hj-\\x7E')}`);
    expect(grammar.get('root-key-1')).toBe(`"\\"" | "d" root-key-2 | ${others('ce-\\x7E')}`);
    expect(grammar.get('root-key-2')).toBe(others('\\x7E'));
    expect(grammar.get('free-key')).toBe(`"\\"" | [${RAW}-\\x7E${UNICODE}] free-key | "<" free-key-lt`);
    expect(grammar.get('free-key-lt')).toBe(`"\\"" | [${RAW}-\\x7B\\x7D-\\x7E${UNICODE}] free-key | "<" free-key-lt`);
  });

  it('a map (additionalProperties alone) takes any string key', () => {
    expect(rules({ type: 'object', additionalProperties: { type: 'integer' } }).get('root')).toBe(
      '"{" ws ( string ":" " "? integer ( "," ws string ":" " "? integer )* ws )? "}"',
    );
  });

  it('arrays: counted items repeat one rule; a tuple is written whole', () => {
    const counted = rules({ type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 5 });
    expect(counted.get('root')).toBe('"[" ws integer root-next{1,4} ws "]"');
    expect(counted.get('root-next')).toBe('"," ws integer');
    expect(rules({ type: 'array', items: { enum: ['x', 1, null] }, maxItems: 2 }).get('root')).toBe(
      '"[" ws ( ( "\\"x\\"" | "1" | "null" ) ( "," ws ( "\\"x\\"" | "1" | "null" ) )? ws )? "]"',
    );
    expect(rules({ type: 'array', prefixItems: [{ type: 'boolean' }, { type: 'null' }] }).get('root')).toBe(
      '"[" ws boolean "," ws null ws "]"',
    );
    expect(rules({ type: 'array', items: [{ type: 'boolean' }], additionalItems: { type: 'null' } }).get('root')).toBe(
      '"[" ws boolean ( "," ws null )* ws "]"',
    );
    // after a tuple without `items`, only what minItems asks for, of any value
    expect(rules({ type: 'array', prefixItems: [{ type: 'null' }], minItems: 2, maxItems: 5 }).get('root')).toBe(
      '"[" ws null ( "," ws value ) ws "]"',
    );
    expect(rules({ type: 'array' }).get('root')).toBe('array');
  });

  it('a counted string: two states a character, unrolled', () => {
    const grammar = rules({ type: 'string', minLength: 1, maxLength: 2 });
    expect(grammar.get('root')).toBe('string-1-2');
    expect(grammar.get('string-1-2')).toBe('"\\"" string-1-2-0');
    expect(grammar.get('string-1-2-0')).toBe('char string-1-2-1 | "<" string-1-2-1-lt');
    expect(grammar.get('string-1-2-1')).toBe('"\\"" | char "\\"" | "<" "\\""');
    expect(grammar.get('string-1-2-1-lt')).toBe('"\\"" | char-after-lt "\\"" | "<" "\\""');
    const atLeast = rules({ type: 'string', minLength: 1 });
    expect(atLeast.get('string-1-up-0')).toBe('char string-tail | "<" string-tail-lt');
  });

  it('enum and const: each value as JSON.stringify writes it, `<|` in strings escaped', () => {
    expect(rules({ enum: ['a', 2, true, null, { k: [1] }] }).get('root')).toBe(
      '( "\\"a\\"" | "2" | "true" | "null" | "{\\"k\\":[1]}" )',
    );
    expect(rules({ const: 'x<|end|>' }).get('root')).toBe('"\\"x<\\\\u007cend|>\\""');
    expect(rules({ type: 'integer', enum: [1, 1.5, 'one', 2.0] }).get('root')).toBe('( "1" | "2" )');
    expect(rules({ enum: ['a', 'b'], const: 'b' }).get('root')).toBe('"\\"b\\""');
  });

  it('type lists, anyOf, a oneOf that is provably exclusive, allOf of objects', () => {
    expect(rules({ type: ['string', 'null'] }).get('root')).toBe('( string | null )');
    expect(rules({ type: ['integer', 'number'] }).get('root')).toBe('number');
    expect(rules({ anyOf: [{ type: 'string' }, { type: 'integer' }] }).get('root')).toBe('( string | integer )');
    const tagged = {
      oneOf: [
        { type: 'object', properties: { kind: { const: 'a' } }, required: ['kind'] },
        { type: 'object', properties: { kind: { const: 'b' } }, required: ['kind'] },
      ],
    };
    const grammar = rules(tagged);
    expect(grammar.get('root')).toBe('( root-0 | root-1 )');
    expect(grammar.get('root-1')).toBe('"{" ws "\\"kind\\":" " "? "\\"b\\"" ws "}"');
    const extended = {
      allOf: [
        { type: 'object', properties: { a: { type: 'null' } }, required: ['a'] },
        { properties: { b: { type: 'null' } } },
      ],
    };
    expect(rules(extended).get('root')).toBe('"{" ws "\\"a\\":" " "? null ( "," ws "\\"b\\":" " "? null )? ws "}"');
    expect(rules({ allOf: [{ type: 'boolean' }], description: 'one schema' }).get('root')).toBe('boolean');
  });

  it('$ref: each target once, recursion through a value allowed, "#" the root', () => {
    const list = {
      $defs: {
        node: {
          type: 'object',
          properties: { next: { anyOf: [{ $ref: '#/$defs/node' }, { type: 'null' }] } },
          required: ['next'],
        },
      },
      $ref: '#/$defs/node',
    };
    const grammar = rules(list);
    expect(grammar.get('root')).toBe('def-node');
    expect(grammar.get('def-node')).toBe('"{" ws "\\"next\\":" " "? ( def-node | null ) ws "}"');
    const tree = { type: 'array', items: { $ref: '#' }, maxItems: 1 };
    expect(rules(tree).get('root')).toBe('"[" ws ( root ws )? "]"');
    const legacy = { definitions: { 'a b': { type: 'null' } }, properties: { x: { $ref: '#/definitions/a%20b' } } };
    expect(rules(legacy).get('def-a-b')).toBe('null');
  });

  it('formats and annotations', () => {
    const grammar = rules({ type: 'string', format: 'date', title: 'Day', description: 'd', examples: ['2024-01-01'] });
    expect(grammar.get('root')).toBe('format-date');
    expect(grammar.get('format-date')).toBe('"\\"" date "\\""');
    expect(grammar.get('date')).toBe(
      '[0-9]{4} "-" ( ( "0" [13578] | "1" [02] ) "-" ( "0" [1-9] | [12] [0-9] | "3" [01] ) | ' +
        '( "0" [469] | "11" ) "-" ' +
        '( "0" [1-9] | [12] [0-9] | "30" ) | "02-" ( "0" [1-9] | "1" [0-9] | "2" [0-8] ) ) | ( [0-9]{2} ( "0" [48] | ' +
        '[2468] [048] | [13579] [26] ) | ( [02468] [048] | [13579] [26] ) "00" ) "-02-29"',
    );
    expect(rules({ 'x-vendor': 1, $comment: 'c', default: 1, deprecated: true }).get('root')).toBe('value');
  });

  it('JSON_OBJECT_GRAMMAR: any object', () => {
    const grammar = rulesOf(JSON_OBJECT_GRAMMAR.gbnf);
    expect(grammar.get('root')).toBe('object');
    expect(grammar.get('object')).toBe('"{" ws ( member ( "," ws member )* ws )? "}"');
    expect(grammar.get('member')).toBe('string ":" " "? value');
    expect(grammar.get('value')).toBe('object | array | string | number | boolean | null');
    expect(grammar.get('array')).toBe('"[" ws ( value ( "," ws value )* ws )? "]"');
    for (const [name, body] of Object.entries(PRIMITIVES)) expect(grammar.get(name)).toBe(body);
  });
});

/** The client's error for a schema: its field and message. */
function refusal(schema: unknown, field = FIELD): { field?: string; message: string } {
  try {
    compileJsonSchema(schema as Record<string, unknown>, field);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    const { code, field: at, message } = error as ApiError;
    expect(code).toBe('invalid_argument');
    return { field: at, message };
  }
  throw new Error(`no error for ${JSON.stringify(schema)}`);
}

/** Asserts the refusal's message, and that its field is the path the message begins with. */
function expectRefused(schema: unknown, message: string, field = FIELD): void {
  const refused = refusal(schema, field);
  expect(refused.message).toBe(message);
  expect(message.startsWith(`${refused.field}: `)).toBe(true);
}

const REFUSED_KEYWORDS: [string, unknown][] = [
  ['pattern', '^[a-z]+$'],
  ['minimum', 0],
  ['maximum', 10],
  ['exclusiveMinimum', 0],
  ['exclusiveMaximum', 10],
  ['multipleOf', 2],
  ['uniqueItems', true],
  ['contains', { type: 'string' }],
  ['minContains', 1],
  ['maxContains', 2],
  ['if', { type: 'string' }],
  ['then', { type: 'string' }],
  ['else', { type: 'string' }],
  ['not', { type: 'string' }],
  ['dependentSchemas', { a: {} }],
  ['dependentRequired', { a: ['b'] }],
  ['dependencies', { a: ['b'] }],
  ['patternProperties', { '^x': {} }],
  ['propertyNames', { maxLength: 3 }],
  ['minProperties', 1],
  ['maxProperties', 3],
  ['unevaluatedProperties', false],
  ['unevaluatedItems', false],
  ['contentSchema', {}],
  ['$dynamicRef', '#meta'],
  ['$recursiveRef', '#'],
  ['$recursiveAnchor', true],
];

describe('compileJsonSchema: refusals, each naming its keyword and place', () => {
  it.each(REFUSED_KEYWORDS)('%s', (keyword, value) => {
    const at = `${FIELD}.properties.age.${keyword}`;
    expectRefused(
      { type: 'object', properties: { age: { [keyword]: value } } },
      `${at}: the keyword "${keyword}" cannot be enforced while generating; remove it or check it after`,
    );
  });

  it('in a tool: the field the caller names', () => {
    expectRefused(
      { type: 'object', properties: { n: { type: 'integer', minimum: 1 } } },
      'tools[2].function.parameters.properties.n.minimum: the keyword "minimum" cannot be enforced while generating; ' +
        'remove it or check it after',
      'tools[2].function.parameters',
    );
  });

  it('keywords that are not JSON Schema', () => {
    expectRefused(
      { type: 'integer', nullable: true },
      `${FIELD}.nullable: the keyword "nullable" is OpenAPI's, not JSON Schema's; ` +
        'write "type": ["<type>", "null"] instead',
    );
    expectRefused(
      { type: 'integer', colour: 'red' },
      `${FIELD}.colour: the keyword "colour" is not one this server knows; ` +
        'remove it (annotations may use an "x-" prefix)',
    );
  });

  const cases: [string, unknown, string][] = [
    ['not a schema', 'text', `${FIELD}: must be a schema: an object, true or false`],
    ['the false schema', false, `${FIELD}: the schema false allows no value`],
    [
      'an unknown type',
      { type: 'strin' },
      `${FIELD}.type: "strin" is not a JSON Schema type; ` +
        'the types are string, number, integer, boolean, null, object, array',
    ],
    ['an empty type list', { type: [] }, `${FIELD}.type: must be a type or a non-empty list of types`],
    [
      'properties as a list',
      { type: 'object', properties: [] },
      `${FIELD}.properties: must be an object mapping property names to schemas`,
    ],
    ['required as a string', { type: 'object', required: 'a' }, `${FIELD}.required: must be a list of property names`],
    [
      'additionalProperties as a number',
      { type: 'object', additionalProperties: 3 },
      `${FIELD}.additionalProperties: must be a schema`,
    ],
    [
      'a property that is not a schema',
      { type: 'object', properties: { a: 3 } },
      `${FIELD}.properties.a: must be a schema: an object, true or false`,
    ],
    [
      'a required property whose schema is false',
      { type: 'object', properties: { a: false }, required: ['a'] },
      `${FIELD}.properties.a: "a" is required, but its schema allows no value`,
    ],
    [
      'a required name no property may have',
      { type: 'object', properties: { a: {} }, required: ['b'], additionalProperties: false },
      `${FIELD}.required: "b" is required, but it is not among "properties" and no other property is allowed`,
    ],
    [
      'a keyword the type excludes',
      { type: 'string', properties: {} },
      `${FIELD}.properties: applies only to objects, and "type" allows no object`,
    ],
    ['an empty enum', { enum: [] }, `${FIELD}.enum: must be a non-empty list of values`],
    ['a const outside the enum', { enum: [1, 2], const: 3 }, `${FIELD}.const: 3 is not among the values of "enum"`],
    [
      'an enum of another type',
      { type: 'string', enum: [1, 2] },
      `${FIELD}.enum: holds no value of the types "type" allows`,
    ],
    [
      'a keyword beside enum',
      { enum: ['a'], maxLength: 3 },
      `${FIELD}.maxLength: cannot be combined with "enum" here; list only values that satisfy it`,
    ],
    [
      'minLength over maxLength',
      { type: 'string', minLength: 5, maxLength: 3 },
      `${FIELD}.minLength: 5 is more than maxLength 3`,
    ],
    [
      'a length past what is enforced',
      { type: 'string', maxLength: 5000 },
      `${FIELD}.maxLength: at most 1000 can be enforced while generating; lower it or check it after`,
    ],
    ['a fractional length', { type: 'string', maxLength: 1.5 }, `${FIELD}.maxLength: must be a non-negative integer`],
    [
      'a format that cannot be enforced',
      { type: 'string', format: 'uri' },
      `${FIELD}.format: "uri" cannot be enforced while generating; the formats that can are ` +
        'date, time, date-time, uuid, ipv4, email',
    ],
    [
      'a format of numbers (OpenAPI)',
      { type: 'integer', format: 'int32' },
      `${FIELD}.format: "int32" cannot be enforced while generating; the formats that can are ` +
        'date, time, date-time, uuid, ipv4, email',
    ],
    [
      'a format with a length',
      { type: 'string', format: 'date', maxLength: 10 },
      `${FIELD}.maxLength: cannot be enforced together with "format"; remove one of them`,
    ],
    [
      'minItems over maxItems',
      { type: 'array', minItems: 3, maxItems: 1 },
      `${FIELD}.minItems: 3 is more than maxItems 1`,
    ],
    [
      'more items than a closed tuple holds',
      { type: 'array', prefixItems: [{}], items: false, minItems: 2 },
      `${FIELD}.minItems: 2 items cannot be written: no item may follow the tuple`,
    ],
    [
      'a list of items and prefixItems',
      { type: 'array', items: [{}], prefixItems: [{}] },
      `${FIELD}.items: a list of "items" and "prefixItems" cannot be combined`,
    ],
    [
      'additionalItems without a list of items',
      { type: 'array', additionalItems: false },
      `${FIELD}.additionalItems: applies only after a list of "items"`,
    ],
    [
      'a reference to another document',
      { $ref: 'https://example.com/schema.json' },
      `${FIELD}.$ref: "https://example.com/schema.json" is not a reference within this schema; only "#" and ` +
        'JSON Pointers such as "#/$defs/NAME" can be followed',
    ],
    [
      'a reference to nothing',
      { $ref: '#/$defs/missing' },
      `${FIELD}.$ref: "#/$defs/missing" points to nothing in this schema`,
    ],
    [
      'a keyword beside $ref',
      { $defs: { a: { type: 'string' } }, $ref: '#/$defs/a', maxLength: 2 },
      `${FIELD}.maxLength: cannot be combined with "$ref" here; move it into the schema the reference points to`,
    ],
    [
      'a keyword beside anyOf',
      { anyOf: [{ type: 'string' }], type: 'string' },
      `${FIELD}.type: cannot be combined with "anyOf" here; move it into each of its schemas`,
    ],
    [
      'left recursion through anyOf',
      { $defs: { a: { anyOf: [{ $ref: '#/$defs/a' }, { type: 'null' }] } }, $ref: '#/$defs/a' },
      `${FIELD}.$defs.a.anyOf[0].$ref: leads back to itself before any value is written, so no grammar can generate it`,
    ],
    [
      'references that only refer to each other',
      { $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' },
      `${FIELD}.$defs.a.$ref: leads back to itself before any value is written, so no grammar can generate it`,
    ],
    [
      'a oneOf whose schemas overlap',
      { oneOf: [{ type: 'number' }, { type: 'integer' }] },
      `${FIELD}.oneOf: schemas 0 and 1 may both match one value, and a grammar cannot enforce "exactly one"; ` +
        'use "anyOf", or make them differ by type or by a "const" property',
    ],
    [
      'allOf of something not an object',
      { allOf: [{ type: 'object' }, { type: 'string' }] },
      `${FIELD}.allOf[1].type: "allOf" can only combine object schemas here ` +
        '(type object, properties, required, additionalProperties)',
    ],
    [
      'allOf declaring a property twice',
      { allOf: [{ properties: { a: { type: 'string' } } }, { properties: { a: { type: 'string' } } }] },
      `${FIELD}.allOf[1].properties.a: "a" is declared by two schemas of "allOf"; declare it once`,
    ],
    [
      'allOf with additional properties',
      { allOf: [{ properties: { a: {} }, additionalProperties: true }, { properties: { b: {} } }] },
      `${FIELD}.allOf[0].additionalProperties: only false can be combined by "allOf" here`,
    ],
    [
      'allOf closed against another member',
      { allOf: [{ properties: { a: {} }, additionalProperties: false }, { properties: { b: {} } }] },
      `${FIELD}.allOf[0].additionalProperties: false forbids "b", which another schema of "allOf" declares`,
    ],
    [
      'a client key echoed cut short',
      { properties: { ['k'.repeat(100)]: { minimum: 1 } } },
      `${FIELD}.properties.${'k'.repeat(64)}....minimum: the keyword "minimum" cannot be enforced while generating; ` +
        'remove it or check it after',
    ],
  ];
  it.each(cases)('%s', (_name, schema, message) => expectRefused(schema, message));

  it('a schema nested deeper than 64 subschemas', () => {
    let schema: Record<string, unknown> = { type: 'null' };
    for (let i = 0; i < 70; i++) schema = { type: 'array', items: schema };
    const refused = refusal(schema);
    expect(refused.message).toBe(`${FIELD}${'.items'.repeat(65)}: nests deeper than 64 schemas`);
  });

  it('a schema whose grammar would be too large', () => {
    const properties = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [`p${i}`, { type: 'string', maxLength: 1000 - i }]),
    );
    expect(refusal({ type: 'object', properties }).message).toMatch(
      new RegExp(`^${FIELD}: makes a grammar of \\d+ characters, over the 1000000 built for a schema$`),
    );
  });
});
