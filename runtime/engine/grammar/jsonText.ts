import { alternatives, charClass, literal, without, type CodePointRange, type RuleSet } from './gbnf.js';

/**
 * The pieces of JSON text every grammar shares: whitespace, strings, numbers, literals and any
 * value. What these allow is what any schema's output may contain, so each choice here is a choice
 * for every structured answer:
 *
 * - Whitespace goes only where a pretty-printer puts it (after `{`, `[` and `,`, before `}` and `]`,
 *   one space after `:`) and each run is at most a newline and 32 spaces or tabs of indentation:
 *   compact JSON costs no extra token, pretty-printed JSON stays possible, and no run is endless.
 * - A string never holds the two characters `<|` unescaped. Every harmony control token's text
 *   begins with them, and llama.cpp matches a control token against a grammar by that text: left
 *   to a plain JSON string rule, a model could write `<|end|>` or `<|channel|>` as a token in the
 *   middle of a value and break the message around it. `<\u007c` (or `\u003c|`) still writes the
 *   same value, so nothing is lost but a token.
 * - Control characters, DEL and lone surrogates are only written escaped, and a `\u` escape of a
 *   surrogate comes as a high-low pair: every string decodes to well-formed Unicode.
 * - Numbers have at most 16 integer and 16 fraction digits and a two-digit exponent, so each one
 *   ends and none overflows a double (JSON.parse would make 1e999 Infinity).
 */

/** Code points a string may hold as themselves: printable, not `"` or `\`, not DEL, no surrogate. */
const RAW: readonly CodePointRange[] = [
  [0x20, 0x21],
  [0x23, 0x5b],
  [0x5d, 0x7e],
  [0x80, 0xd7ff],
  [0xe000, 0x10ffff],
];
const LESS_THAN = 0x3c;
const PIPE = 0x7c;

/** Code points a string may hold here as themselves, given whether the one before was `<`. */
export const rawChars = (afterLessThan: boolean): CodePointRange[] =>
  without(RAW, afterLessThan ? [LESS_THAN, PIPE] : [LESS_THAN]);

/** Longest whitespace run: a newline and this much indentation. */
export const MAX_INDENT = 32;

export const ws = (rules: RuleSet): string => rules.shared('ws', () => `( " " | "\\n" [ \\t]{0,${MAX_INDENT}} )?`);

const HEX = '[0-9A-Fa-f]';

function escape(rules: RuleSet): string {
  return rules.shared('escape', () => {
    // \uXXXX of anything but a surrogate, or a high surrogate followed by a low one
    const unit = alternatives([
      `[0-9A-Ca-cE-Fe-f] ${HEX}{3}`,
      `[Dd] [0-7] ${HEX}{2}`,
      `[Dd] [89ABab] ${HEX}{2} "\\\\u" [Dd] [C-Fc-f] ${HEX}{2}`,
    ]);
    return `"\\\\" ( ${charClass([
      [0x22, 0x22],
      [0x2f, 0x2f],
      [0x5c, 0x5c],
    ])} | [bfnrt] | "u" ${unit} )`;
  });
}

/** One character of a string, spelled as itself or escaped; after `<`, neither `<` nor `|` (see above). */
export function char(rules: RuleSet, afterLessThan: boolean): string {
  const name = afterLessThan ? 'char-after-lt' : 'char';
  return rules.shared(name, () => `${charClass(rawChars(afterLessThan))} | ${escape(rules)}`);
}

/**
 * A string of any length: a two-state machine (whether the last character was `<`), each state a
 * rule that writes the rest of the string and its closing quote.
 */
export function string(rules: RuleSet): string {
  return rules.shared('string', () => `"\\"" ${stringTail(rules, false)}`);
}

function stringTail(rules: RuleSet, afterLessThan: boolean): string {
  const name = afterLessThan ? 'string-tail-lt' : 'string-tail';
  return rules.shared(name, () => {
    const next = `${char(rules, afterLessThan)} ${stringTail(rules, false)}`;
    return `"\\"" | ${next} | "<" ${stringTail(rules, true)}`;
  });
}

/**
 * A string of `min` to `max` characters (no `max`: at least `min`). The same machine as `string`,
 * unrolled once per character so each state knows how many came before: two rules a character,
 * `NAME-K` and `NAME-K-lt` (the K-th character follows a `<`). JSON Schema counts code points, and
 * so does this: an escape, or an escaped surrogate pair, is one.
 */
export function boundedString(rules: RuleSet, min: number, max: number | undefined): string {
  const name = `string-${min}-${max ?? 'up'}`;
  const steps = max ?? min;
  const state = (k: number, afterLessThan: boolean): string => {
    if (k < steps) return `${name}-${k}${afterLessThan ? '-lt' : ''}`;
    return max === undefined ? stringTail(rules, afterLessThan) : '"\\""';
  };
  return rules.shared(name, () => {
    // built in order, not recursively: thousands of states must not take thousands of stack frames
    for (let k = 0; k < steps; k++) {
      for (const afterLessThan of k === 0 ? [false] : [false, true]) {
        const close = k >= min ? ['"\\""'] : [];
        const next = [`${char(rules, afterLessThan)} ${state(k + 1, false)}`, `"<" ${state(k + 1, true)}`];
        rules.define(state(k, afterLessThan), [...close, ...next].join(' | '));
      }
    }
    return `"\\"" ${state(0, false)}`;
  });
}

export const integer = (rules: RuleSet): string => rules.shared('integer', () => '"-"? ( "0" | [1-9] [0-9]{0,15} )');

export const number = (rules: RuleSet): string =>
  rules.shared('number', () => `${integer(rules)} ( "." [0-9]{1,16} )? ( [eE] ( "+" | "-" )? [0-9]{1,2} )?`);

export const boolean = (rules: RuleSet): string => rules.shared('boolean', () => '"true" | "false"');

export const nullValue = (rules: RuleSet): string => rules.shared('null', () => '"null"');

/** Any JSON value (a schema of `{}` or `true`; json_object's members). */
export function anyValue(rules: RuleSet): string {
  return rules.shared('value', () =>
    [anyObject(rules), anyArray(rules), string(rules), number(rules), boolean(rules), nullValue(rules)].join(' | '),
  );
}

/** Any JSON object (response_format json_object). */
export function anyObject(rules: RuleSet): string {
  return rules.shared('object', () => {
    const member = rules.shared('member', () => `${string(rules)} ":" " "? ${anyValue(rules)}`);
    return `"{" ${ws(rules)} ( ${member} ( "," ${ws(rules)} ${member} )* ${ws(rules)} )? "}"`;
  });
}

/** Any JSON array (a schema of type array that declares nothing else). */
export function anyArray(rules: RuleSet): string {
  return rules.shared('array', () => {
    const value = anyValue(rules);
    return `"[" ${ws(rules)} ( ${value} ( "," ${ws(rules)} ${value} )* ${ws(rules)} )? "]"`;
  });
}

/**
 * A JSON value's text as JSON.stringify writes it, `<|` inside strings written `<\u007c` (the same
 * value: see above). Outside strings JSON has neither character, so the replacement is exact.
 */
export const jsonText = (value: unknown): string => JSON.stringify(value).replaceAll('<|', '<\\u007c');

/** A JSON value as a grammar literal: the one spelling of an enum's or a const's value. */
export const jsonLiteral = (value: unknown): string => literal(jsonText(value));
