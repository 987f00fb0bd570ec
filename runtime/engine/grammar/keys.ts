import { charClass, literal, without, type RuleSet } from './gbnf.js';
import { rawChars } from './jsonText.js';

/**
 * The key of an additional property when the object also declares properties: any name but the
 * declared ones. A declared name written again as an extra key would be a duplicate key, which
 * JSON.parse resolves by keeping the last value, unchecked against the declared property's schema.
 *
 * "Any string but these" is a trie of the names: while the key follows a name, only the name's next
 * character keeps it there and any other leaves it; a key that ends on a full name is refused. The
 * `<|` rule of every string (jsonText.ts) is carried along, so each trie node has two states. Such
 * keys are written without escapes (`\u0061` would spell a declared `a` past the trie).
 */

interface TrieNode {
  children: Map<number, TrieNode>;
  /** A declared name ends here. */
  declared: boolean;
}

function trieOf(names: readonly string[]): TrieNode {
  const root: TrieNode = { children: new Map(), declared: false };
  for (const name of names) {
    let node = root;
    for (const char of name) {
      const cp = char.codePointAt(0)!;
      let child = node.children.get(cp);
      if (!child) node.children.set(cp, (child = { children: new Map(), declared: false }));
      node = child;
    }
    node.declared = true;
  }
  return root;
}

const LESS_THAN = 0x3c;

export function keyExcluding(rules: RuleSet, names: readonly string[], hint: string): string {
  const key = rules.reserve(`${hint}-key`);
  const ids = new Map<TrieNode, number>();
  const state = (node: TrieNode | null, afterLessThan: boolean): string => {
    if (node === null) return free(rules, afterLessThan);
    if (!ids.has(node)) ids.set(node, ids.size);
    const name = `${key}-${ids.get(node)}${afterLessThan ? '-lt' : ''}`;
    return rules.shared(name, () => {
      const options = node.declared ? [] : ['"\\""'];
      const allowed = rawChars(afterLessThan);
      const inClass = (cp: number) => allowed.some(([low, high]) => cp >= low && cp <= high);
      for (const [cp, child] of node.children) {
        if (inClass(cp) || cp === LESS_THAN) {
          options.push(`${literal(String.fromCodePoint(cp))} ${state(child, cp === LESS_THAN)}`);
        }
      }
      const others = without(allowed, node.children.keys());
      if (others.length) options.push(`${charClass(others)} ${state(null, false)}`);
      if (!node.children.has(LESS_THAN)) options.push(`"<" ${state(null, true)}`);
      return options.join(' | ');
    });
  };
  return rules.define(key, `"\\"" ${state(trieOf(names), false)}`);
}

/** The rest of a key that no longer follows any declared name: any unescaped characters. */
function free(rules: RuleSet, afterLessThan: boolean): string {
  return rules.shared(afterLessThan ? 'free-key-lt' : 'free-key', () => {
    const chars = charClass(rawChars(afterLessThan));
    return `"\\"" | ${chars} ${free(rules, false)} | "<" ${free(rules, true)}`;
  });
}
