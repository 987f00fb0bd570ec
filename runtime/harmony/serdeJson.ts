/**
 * JSON as the harmony reference writes a value into a prompt (a `// default:` comment): its Rust
 * code prints serde_json values, whose text differs from JSON.stringify's in numbers only. serde_json
 * keeps an integer literal within 64 bits as an integer; any other number is a double printed by the
 * ryu crate (`0.5`, `1e-6`, `1.5e20`), where JavaScript would write `0.000001` or
 * `150000000000000000000`. Strings are escaped alike by both; keys keep their order.
 */

const I64_MIN = -(2 ** 63);
const U64_END = 2 ** 64;

export function serdeJson(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return serdeNumber(value);
  if (typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(serdeJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([key, v]) => `${JSON.stringify(key)}:${serdeJson(v)}`).join(',')}}`;
  }
  throw new Error(`not a JSON value: ${typeof value}`);
}

/**
 * A number as serde_json prints it. A whole number within 64 bits was (as far as JSON.parse lets us
 * know) an integer literal; the rest is a double in ryu's layout.
 */
export function serdeNumber(n: number): string {
  if (Number.isInteger(n) && n >= I64_MIN && n < U64_END) return String(n);
  return (n < 0 ? '-' : '') + ryu(Math.abs(n));
}

/** ryu's format64: the shortest digits that read back as `n`, laid out by where the decimal point falls. */
function ryu(n: number): string {
  const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  // n = 0.digits * 10^point
  const point = Number(exponent) + 1;
  const zeros = point - digits.length;
  if (zeros >= 0 && point <= 16) return `${digits}${'0'.repeat(zeros)}.0`;
  if (point > 0 && point <= 16) return `${digits.slice(0, point)}.${digits.slice(point)}`;
  if (point > -5 && point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  const fraction = digits.length === 1 ? '' : `.${digits.slice(1)}`;
  return `${digits[0]}${fraction}e${point - 1}`;
}
