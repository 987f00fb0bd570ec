/** How a download fails: whether another try may help decides between retrying and stopping. */

/** A failure another try cannot fix (404, checksum mismatch, a refused host): the fetch stops at once. */
export class PermanentError extends Error {
  /** The .part's bytes are not worth keeping (over --max-bytes, past --deadline): it is removed. */
  readonly discardPart: boolean;

  constructor(message: string, options: { cause?: unknown; discardPart?: boolean } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.discardPart = options.discardPart ?? false;
  }
}

/** A failure another try may fix (503, a short body, a dropped connection). */
export class TransientError extends Error {}

/** A local file that cannot be read or written (disk full, EACCES): no network try fixes that. */
export class LocalFileError extends PermanentError {}
