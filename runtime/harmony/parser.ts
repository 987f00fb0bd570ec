import { HARMONY_TOKENS, type HarmonyToken } from './format.js';

/**
 * Harmony output, parsed as it streams (after the reference's StreamableParser): a header
 * (`assistant<|channel|>analysis`, a recipient, a content type) up to `<|message|>`, then content
 * up to `<|end|>`, `<|return|>` or `<|call|>`. Content streams out as deltas; a token that splits a
 * UTF-8 character waits for the rest. Lenient where a model strays: text where a header should be
 * is a final answer, and an overlong header is content.
 */

/** How the parser sees token ids: a formatting token, or text. */
export interface TokenReader<T> {
  formatting(token: T): HarmonyToken | null;
  /** The text of some text tokens; U+FFFD at the end marks a character whose bytes are still to come. */
  text(tokens: readonly T[]): string;
}

export interface HarmonyHeader {
  role: string;
  channel: string | null;
  recipient: string | null;
  contentType: string | null;
}

export interface ParsedDelta extends HarmonyHeader {
  text: string;
}

export interface ParsedMessage extends HarmonyHeader {
  content: string;
}

const REPLACEMENT = '\uFFFD';
/** A character is at most 4 bytes: past that many tokens, U+FFFD is what the model wrote. */
const MAX_PENDING_TOKENS = 4;
const MAX_HEADER_CHARS = 256;
const IN_CONTENT = new Set<HarmonyToken>([HARMONY_TOKENS.channel, HARMONY_TOKENS.constrain, HARMONY_TOKENS.message]);

type State =
  | { kind: 'expectStart' }
  | { kind: 'header'; role: string | null; text: string }
  | { kind: 'content'; header: HarmonyHeader; text: string };

export class HarmonyParser<T> {
  readonly messages: ParsedMessage[] = [];
  /** How generation ended, once it has: `<|return|>` (done) or `<|call|>` (a tool call). */
  ended: 'return' | 'call' | null = null;
  private state: State;
  private pending: T[] = [];

  /** Output with no harmony structure (another chat format): all of it is one final answer. */
  static plain<T>(reader: TokenReader<T>): HarmonyParser<T> {
    const parser = new HarmonyParser(reader);
    parser.state = {
      kind: 'content',
      header: { role: 'assistant', channel: null, recipient: null, contentType: null },
      text: '',
    };
    return parser;
  }

  /** `role`: the role the prompt opened (`<|start|>assistant`), or null when the output starts with `<|start|>`. */
  constructor(
    private readonly reader: TokenReader<T>,
    role: string | null = 'assistant',
  ) {
    this.state = role === null ? { kind: 'expectStart' } : { kind: 'header', role, text: '' };
  }

  /** Feeds one sampled token; returns the content it completes. */
  push(token: T): ParsedDelta[] {
    const formatting = this.reader.formatting(token);
    switch (this.state.kind) {
      case 'expectStart':
        if (formatting === HARMONY_TOKENS.start) this.state = { kind: 'header', role: null, text: '' };
        else if (formatting === null) return this.strayText(token);
        else this.endOn(formatting);
        return [];
      case 'header':
        return this.onHeader(this.state, token, formatting);
      case 'content':
        return this.onContent(token, formatting);
    }
  }

  /** Whether the token is one of harmony's formatting tokens. */
  isFormatting(token: T): boolean {
    return this.reader.formatting(token) !== null;
  }

  /** Drops a message whose header is still being written: it is not part of the answer. */
  abandon(): void {
    if (this.state.kind === 'header') this.state = { kind: 'expectStart' };
  }

  /** Generation stopped (a stop token, max tokens, a stop string or a cancel): the open message ends as it is. */
  finish(): ParsedDelta[] {
    if (this.state.kind === 'header') {
      const { role, text } = this.state;
      this.state = {
        kind: 'content',
        header: { role: role ?? 'assistant', channel: null, recipient: null, contentType: null },
        text: '',
      };
      if (text) return [...this.emit(text), ...this.closeMessage()];
    }
    if (this.state.kind === 'content') return this.closeMessage();
    return [];
  }

  private onHeader(
    state: Extract<State, { kind: 'header' }>,
    token: T,
    formatting: HarmonyToken | null,
  ): ParsedDelta[] {
    if (formatting === HARMONY_TOKENS.message) {
      this.state = { kind: 'content', header: parseHeader(state.text, state.role), text: '' };
      return [];
    }
    if (formatting === HARMONY_TOKENS.channel || formatting === HARMONY_TOKENS.constrain) {
      state.text += formatting;
      return [];
    }
    if (formatting !== null) {
      // the message ended before its header did: what there was is its content
      const deltas = this.finish();
      this.endOn(formatting);
      return deltas;
    }
    state.text += this.reader.text([token]);
    if (state.role !== null && !couldBeHeader(state.text)) return this.headerIsContent(state);
    if (state.text.length > MAX_HEADER_CHARS) return this.headerIsContent(state);
    return [];
  }

  private onContent(token: T, formatting: HarmonyToken | null): ParsedDelta[] {
    if (formatting === null) {
      this.pending.push(token);
      const text = this.reader.text(this.pending);
      if (text.endsWith(REPLACEMENT) && this.pending.length < MAX_PENDING_TOKENS) return [];
      this.pending = [];
      return this.emit(text);
    }
    // a header token inside content is not structure: it is shown as written
    if (IN_CONTENT.has(formatting)) return [...this.flushPending(), ...this.emit(formatting)];
    const deltas = this.closeMessage();
    if (formatting === HARMONY_TOKENS.start) this.state = { kind: 'header', role: null, text: '' };
    else this.endOn(formatting);
    return deltas;
  }

  private flushPending(): ParsedDelta[] {
    const text = this.pending.length ? this.reader.text(this.pending) : '';
    this.pending = [];
    return this.emit(text);
  }

  /** Text outside any message: a model that skipped the header; it is a final answer. */
  private strayText(token: T): ParsedDelta[] {
    this.state = {
      kind: 'content',
      header: { role: 'assistant', channel: null, recipient: null, contentType: null },
      text: '',
    };
    return this.onContent(token, null);
  }

  private headerIsContent(state: Extract<State, { kind: 'header' }>): ParsedDelta[] {
    const header = { role: state.role ?? 'assistant', channel: null, recipient: null, contentType: null };
    this.state = { kind: 'content', header, text: '' };
    return this.emit(state.text);
  }

  private emit(text: string): ParsedDelta[] {
    if (this.state.kind !== 'content' || text === '') return [];
    this.state.text += text;
    return [{ ...this.state.header, text }];
  }

  private closeMessage(): ParsedDelta[] {
    if (this.state.kind !== 'content') return [];
    const deltas = this.flushPending();
    this.messages.push({ ...this.state.header, content: this.state.text });
    this.state = { kind: 'expectStart' };
    return deltas;
  }

  private endOn(formatting: HarmonyToken): void {
    if (formatting === HARMONY_TOKENS.return) this.ended = 'return';
    else if (formatting === HARMONY_TOKENS.call) this.ended = 'call';
    this.state = { kind: 'expectStart' };
  }
}

/** Header text after a known role: a recipient (` to=`), a name (`:`), a channel or a content type may follow. */
function couldBeHeader(text: string): boolean {
  if (text.startsWith(HARMONY_TOKENS.channel) || text.startsWith(HARMONY_TOKENS.constrain)) return true;
  if (text.startsWith(':') || text.startsWith(' to=')) return true;
  return ' to='.startsWith(text);
}

/** As the reference's parse_header_from_string: the channel after its marker, then role, recipient, content type. */
export function parseHeader(headerText: string, role: string | null): HarmonyHeader {
  let text = headerText;
  let channel: string | null = null;
  const marker = text.indexOf(HARMONY_TOKENS.channel);
  if (marker >= 0) {
    const after = text.slice(marker + HARMONY_TOKENS.channel.length);
    const end = after.search(/[\s<]/);
    channel = (end < 0 ? after : after.slice(0, end)) || null;
    text = text.slice(0, marker) + (end < 0 ? '' : after.slice(end));
  }
  text = text.trim().replaceAll(HARMONY_TOKENS.constrain, ` ${HARMONY_TOKENS.constrain}`).trim();
  const parts = text.split(/\s+/).filter(Boolean);
  const author = role ?? parts.shift() ?? 'assistant';
  if (parts[0] === author) parts.shift();
  let recipient: string | null = null;
  let contentType: string | null = null;
  const count = parts.length;
  const last = parts.pop();
  if (last?.startsWith('to=')) {
    recipient = last.slice(3);
  } else if (last !== undefined && count === 1 && !last.startsWith(HARMONY_TOKENS.constrain)) {
    recipient = last;
  } else if (last !== undefined) {
    contentType = last;
    const before = parts.pop();
    if (before !== undefined) recipient = before.startsWith('to=') ? before.slice(3) : before;
  }
  return { role: author, channel, recipient, contentType };
}
