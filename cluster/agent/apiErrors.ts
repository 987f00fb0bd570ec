import { ApiException } from '@kubernetes/client-node';

/** True for an API error with one of these HTTP codes (404 NotFound, 409 Conflict, ...). */
export function hasCode(error: unknown, ...codes: number[]): boolean {
  return error instanceof ApiException && codes.includes(error.code);
}

/** One short line for logs: the API server's own message rather than the client's whole response dump. */
export function apiErrorText(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown =
      typeof error.body === 'string'
        ? (() => {
            try {
              return JSON.parse(error.body) as unknown;
            } catch {
              return error.body;
            }
          })()
        : error.body;
    const message =
      typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : String(body);
    return `HTTP ${error.code}: ${message.slice(0, 500)}`;
  }
  const cause = error instanceof Error && error.cause !== undefined ? `: ${apiErrorText(error.cause)}` : '';
  return `${error instanceof Error ? error.message : String(error)}${cause}`;
}
