/** JSON Schema's types, and which a JSON value is. */

export const TYPES = ['string', 'number', 'integer', 'boolean', 'null', 'object', 'array'] as const;
export type SchemaType = (typeof TYPES)[number];

export const isSchemaType = (value: unknown): value is SchemaType => TYPES.includes(value as SchemaType);

/** Whether a JSON value is of a type (an integer is also a number; 1.0 is an integer, as JSON Schema says). */
export function hasType(value: unknown, type: SchemaType): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}

/** The type a value is reported as: integers are numbers (what disjointness compares). */
export const kindOf = (value: unknown): SchemaType => TYPES.find((type) => type !== 'integer' && hasType(value, type))!;
