import { expect, it } from 'vitest';
import { ApiError, type ErrorCode } from '../../../contract/api/errors.js';

/** The error a parser throws for a body, or a failure if it accepts it. */
export function refusal(parse: (body: unknown) => unknown, body: unknown): ApiError {
  try {
    parse(body);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(body).slice(0, 200)}`);
}

/** A bad request and the exact error a client sees for it. */
export interface Refused {
  name: string;
  body: unknown;
  /** invalid_argument unless said. */
  code?: ErrorCode;
  field: string | undefined;
  message: string;
}

/** One test per case: the code, the field and the whole message. */
export function refusesEach(parse: (body: unknown) => unknown, cases: readonly Refused[]): void {
  for (const c of cases) {
    it(`refuses ${c.name}`, () => {
      const error = refusal(parse, c.body);
      expect({ code: error.code, field: error.field, message: error.message }).toEqual({
        code: c.code ?? 'invalid_argument',
        field: c.field,
        message: c.message,
      });
    });
  }
}
