/**
 * Orders strings by UTF-16 code units, as `Array.prototype.sort` does by default: the same on every Node.js, ICU
 * and locale, unlike `localeCompare`, whose first call also loads ICU's collator (about 3 MiB resident, which the
 * operator's idle memory would pay for sorting a few keys; docs/operator.md).
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
