/**
 * The harmony format as OpenAI's reference renderer writes it (github.com/openai/harmony,
 * src/encoding.rs): a conversation is a list of pieces, each a formatting token or a run of text.
 * Text is always encoded as ordinary text (the reference's encode_ordinary), never as formatting
 * tokens, and each piece is encoded on its own, as the reference encodes each part separately.
 * Pure: no tokenizer here (runtime/engine/prompt.ts turns pieces into token ids).
 */

export const HARMONY_TOKENS = {
  start: '<|start|>',
  end: '<|end|>',
  message: '<|message|>',
  channel: '<|channel|>',
  constrain: '<|constrain|>',
  return: '<|return|>',
  call: '<|call|>',
} as const;
export type HarmonyToken = (typeof HARMONY_TOKENS)[keyof typeof HARMONY_TOKENS];

/** A formatting token, or text encoded as ordinary text. */
export type Piece = { token: HarmonyToken } | { text: string };

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface HarmonyMessage {
  role: Role;
  /** A tool's name (its author), or a user's name. */
  name?: string;
  /** Whom the message is for (`functions.get_weather`); `all` or none: everyone. */
  recipient?: string;
  channel?: string;
  /** `<|constrain|>json`, or a plain content type. */
  contentType?: string;
  content: string;
}

const token = (t: HarmonyToken): Piece => ({ token: t });
const text = (t: string): Piece => ({ text: t });

/** One message: `<|start|>{role}[ to={recipient}][<|channel|>{channel}][ {type}]<|message|>{content}<|end|>`. */
export function renderMessage(m: HarmonyMessage): Piece[] {
  const pieces: Piece[] = [token(HARMONY_TOKENS.start)];
  if (m.role === 'tool') {
    if (!m.name) throw new Error('a tool message needs the name of the tool that wrote it');
    pieces.push(text(m.name));
  } else {
    pieces.push(text(m.role));
    if (m.name) pieces.push(text(`:${m.name}`));
  }
  if (m.recipient && m.recipient !== 'all') pieces.push(text(` to=${m.recipient}`));
  if (m.channel) pieces.push(token(HARMONY_TOKENS.channel), text(m.channel));
  if (m.contentType?.startsWith(HARMONY_TOKENS.constrain)) {
    const rest = m.contentType.slice(HARMONY_TOKENS.constrain.length);
    pieces.push(text(' '), token(HARMONY_TOKENS.constrain), ...(rest ? [text(rest)] : []));
  } else if (m.contentType) {
    pieces.push(text(` ${m.contentType}`));
  }
  pieces.push(token(HARMONY_TOKENS.message), text(m.content));
  // an assistant message to a recipient is a tool call: it ends with <|call|>
  pieces.push(token(m.role === 'assistant' && m.recipient ? HARMONY_TOKENS.call : HARMONY_TOKENS.end));
  return pieces;
}

/** The conversation, then `<|start|>{role}`: what the model completes. */
export function renderForCompletion(messages: readonly HarmonyMessage[], next: Role = 'assistant'): Piece[] {
  return [...messages.flatMap(renderMessage), token(HARMONY_TOKENS.start), text(next)];
}

/** The pieces as harmony text, formatting tokens written out (what the reference's decode gives). */
export const piecesText = (pieces: readonly Piece[]) => pieces.map((p) => ('token' in p ? p.token : p.text)).join('');
