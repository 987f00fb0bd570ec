/**
 * Server-sent events as the runtime writes them: `event: NAME\n` (the Responses API) and one
 * `data: ...\n` line, each event ended by a blank line. The gateway cuts the byte stream into whole
 * events so it can read the one that carries usage and leave out the one the client did not ask for.
 */

const END = Buffer.from('\n\n');

/** Cuts a byte stream into whole events (each with its blank line); a partial event waits for its rest. */
export class SseEvents {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    const bytes = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const events: Buffer[] = [];
    let start = 0;
    for (let end = bytes.indexOf(END, start); end !== -1; end = bytes.indexOf(END, start)) {
      events.push(bytes.subarray(start, end + END.length));
      start = end + END.length;
    }
    this.pending = bytes.subarray(start);
    return events;
  }

  /** What is left when the stream ends: a last event without its blank line, if any. */
  rest(): Buffer {
    return this.pending;
  }
}

/** An event's name (`event:`) and data (its `data:` lines joined), as text. */
export function readEvent(event: Buffer): { name: string | undefined; data: string } {
  let name: string | undefined;
  const data: string[] = [];
  for (const line of event.toString('utf8').split('\n')) {
    if (line.startsWith('event:')) name = line.slice('event:'.length).trim();
    else if (line.startsWith('data:')) data.push(line.slice('data:'.length).replace(/^ /, ''));
  }
  return { name, data: data.join('\n') };
}

/** One event as the runtime writes it. */
export const writeEvent = (payload: object, name?: string) =>
  Buffer.from(`${name ? `event: ${name}\n` : ''}data: ${JSON.stringify(payload)}\n\n`);
