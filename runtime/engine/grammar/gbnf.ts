/**
 * Writing GBNF, llama.cpp's grammar notation: quoted literals, character classes and named rules.
 * Text only; nothing here knows JSON.
 */

/** An inclusive range of Unicode code points. */
export type CodePointRange = readonly [number, number];

const hex = (cp: number, digits: number) => cp.toString(16).toUpperCase().padStart(digits, '0');

/** One code point escaped as llama.cpp's parser reads it (`\x41`, `\u00E9`, `\U0001F600`). */
function escaped(cp: number): string {
  if (cp <= 0xff) return `\\x${hex(cp, 2)}`;
  return cp <= 0xffff ? `\\u${hex(cp, 4)}` : `\\U${hex(cp, 8)}`;
}

/** Text as a GBNF literal: `"a\"b"`. Printable ASCII is kept, the rest escaped, so a grammar is ASCII. */
export function literal(text: string): string {
  const chars = [...text].map((c) => {
    const cp = c.codePointAt(0)!;
    if (c === '"' || c === '\\') return `\\${c}`;
    return cp >= 0x20 && cp < 0x7f ? c : escaped(cp);
  });
  return `"${chars.join('')}"`;
}

/**
 * A character class matching any code point in the ranges. Letters and digits are written as
 * themselves, everything else escaped: llama.cpp knows no escape for `^` or `-` in a class.
 */
export function charClass(ranges: readonly CodePointRange[]): string {
  const one = (cp: number) => (/^[A-Za-z0-9]$/.test(String.fromCodePoint(cp)) ? String.fromCodePoint(cp) : escaped(cp));
  return `[${ranges.map(([low, high]) => (low === high ? one(low) : `${one(low)}-${one(high)}`)).join('')}]`;
}

/** The ranges without the given code points. */
export function without(ranges: readonly CodePointRange[], excluded: Iterable<number>): CodePointRange[] {
  let result: CodePointRange[] = [...ranges];
  for (const cp of excluded) {
    result = result.flatMap(([low, high]): CodePointRange[] => {
      if (cp < low || cp > high) return [[low, high]];
      const parts: CodePointRange[] = [];
      if (cp > low) parts.push([low, cp - 1]);
      if (cp < high) parts.push([cp + 1, high]);
      return parts;
    });
  }
  return result;
}

/** `a | b | c` as one element: in parentheses when there is more than one. */
export function alternatives(options: readonly string[]): string {
  return options.length === 1 ? options[0]! : `( ${options.join(' | ')} )`;
}

/**
 * The rules of one grammar, in the order they were first named. Rule names are made from the schema
 * (a property's name, a definition's) and kept unique; llama.cpp allows letters, digits and dashes.
 */
export class RuleSet {
  private readonly bodies = new Map<string, string | null>();

  /** Reserves a fresh name made from the hint (the rule is defined later, once its body is known). */
  reserve(hint: string): string {
    const base =
      hint
        .replace(/[^a-zA-Z0-9-]+/g, '-')
        .replace(/-+/g, '-')
        .replace(/^-|-$/g, '') || 'rule';
    let name = base;
    for (let n = 2; this.bodies.has(name); n++) name = `${base}-${n}`;
    this.bodies.set(name, null);
    return name;
  }

  define(name: string, body: string): string {
    this.bodies.set(name, body);
    return name;
  }

  /** A rule by a fixed name, defined once however often it is asked for (the JSON primitives). */
  shared(name: string, body: () => string): string {
    if (!this.bodies.has(name)) {
      this.bodies.set(name, null);
      this.bodies.set(name, body());
    }
    return name;
  }

  get size(): number {
    return this.bodies.size;
  }

  text(): string {
    return [...this.bodies].map(([name, body]) => `${name} ::= ${body ?? ''}\n`).join('');
  }
}
