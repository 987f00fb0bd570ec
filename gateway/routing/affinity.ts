import { createHash } from 'node:crypto';
import { isPlainObject } from '../../contract/api/wire.js';

/**
 * A request's affinity key: a hash of the start of its conversation, the same for every turn of
 * one conversation, so prefix-hash routing (prefixHash.ts) sends the turns to the replica whose
 * slots already hold that start in their cache. Chat (HTTP and gRPC): the messages up to and
 * including the first user message; the Responses API: `instructions`, then the input items up to
 * and including the first user message (a string input is that message); a raw prompt (Completions,
 * gRPC Generate): its first PROMPT_KEY_CHARS characters. Tool definitions are left out: an
 * application sends the same tools with every conversation, so they tell conversations apart no
 * better than the system prompt does. Requests without a conversation (CountTokens, GetModelInfo,
 * an empty prompt or message list) have none and are routed by load alone.
 *
 * Pure and total: the body is the client's, not yet checked (the runtime checks it and answers a
 * bad one in its own words), so a field of the wrong type counts as empty rather than throwing.
 */

/**
 * How much of a raw prompt makes its key. A prompt carries no turns, so a fixed head stands for the
 * start of its conversation. It must reach past what every prompt of a model shares (harmony's
 * system header with its date and channels is about 250 characters), or all prompts would share one
 * key; and a prompt shorter than it is keyed whole, so its next turn (longer) gets another key. That
 * costs one re-evaluation of under 1,024 characters (about 250 tokens, milliseconds of prefill) per
 * conversation, once: from then on the head is stable.
 */
export const PROMPT_KEY_CHARS = 1024;

/** Hex characters of sha256 kept: 128 bits, no collision between conversations in practice. */
const KEY_HEX_CHARS = 32;

/** One message of the start, as [role, text]: JSON of these lists cannot make two starts read the same. */
type Turn = [role: string, text: string];

const textOf = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A message's or item's content: a string, or its parts' text joined (parts without text add nothing). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (isPlainObject(part) ? textOf(part.text) : '')).join('');
}

/** [role, text] pairs up to and including the first user one; all of them if none is the user's. */
function upToFirstUser(entries: readonly unknown[], turnOf: (entry: Record<string, unknown>) => Turn): Turn[] {
  const turns: Turn[] = [];
  for (const entry of entries) {
    const turn = isPlainObject(entry) ? turnOf(entry) : (['', ''] as Turn);
    turns.push(turn);
    if (turn[0] === 'user') break;
  }
  return turns;
}

const keyOf = (kind: string, turns: readonly Turn[]): string =>
  createHash('sha256')
    .update(JSON.stringify([kind, turns]))
    .digest('hex')
    .slice(0, KEY_HEX_CHARS);

const messageTurn = (message: Record<string, unknown>): Turn => [textOf(message.role), contentText(message.content)];

/** Chat messages (OpenAI's or the proto's: both have role and content); undefined when there are none. */
export function chatAffinity(messages: unknown): string | undefined {
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  return keyOf('chat', upToFirstUser(messages, messageTurn));
}

/** A raw prompt's head; undefined for an empty prompt or one that is not a string. */
export function promptAffinity(prompt: unknown): string | undefined {
  if (typeof prompt !== 'string' || prompt === '') return undefined;
  return keyOf('prompt', [['', prompt.slice(0, PROMPT_KEY_CHARS)]]);
}

/** A Responses input item: a message by its role, any other item by its type (a function's output by its text). */
const itemTurn = (item: Record<string, unknown>): Turn => [
  textOf(item.role) || textOf(item.type),
  contentText(item.content ?? item.output),
];

/** The Responses API's instructions and input; undefined when the input is empty. */
export function responsesAffinity(instructions: unknown, input: unknown): string | undefined {
  const items = typeof input === 'string' && input !== '' ? [{ role: 'user', content: input }] : input;
  if (!Array.isArray(items) || items.length === 0) return undefined;
  return keyOf('responses', [['instructions', textOf(instructions)], ...upToFirstUser(items, itemTurn)]);
}

/**
 * The key of a conversation with one of the ids a model serves: the base model's as it is; an
 * adapter's another key of its own, since the runtime serves each adapter from its own slots
 * (runtime/engine/lanes.ts), which share no KV cache with the base's or another adapter's. So one
 * conversation sent to the base and to an adapter are two conversations, each with its own home.
 */
export function servedIdAffinity(key: string | undefined, adapter: string | null): string | undefined {
  if (key === undefined || adapter === null) return key;
  return keyOf('adapter', [[adapter, key]]);
}

/** The OpenAI endpoints' keys, by path. */
const HTTP_AFFINITY: Readonly<Record<string, (body: Record<string, unknown>) => string | undefined>> = {
  '/v1/chat/completions': (body) => chatAffinity(body.messages),
  '/v1/completions': (body) => promptAffinity(body.prompt),
  '/v1/responses': (body) => responsesAffinity(body.instructions, body.input),
};

/** An OpenAI request's key: its URL (a query string aside) says which endpoint's body it is. */
export function httpAffinity(url: string, body: Record<string, unknown>): string | undefined {
  const path = url.split('?')[0]!;
  return Object.hasOwn(HTTP_AFFINITY, path) ? HTTP_AFFINITY[path]!(body) : undefined;
}

/** A gRPC request's key: Chat's messages, Generate's prompt; the other methods have no conversation. */
export function grpcAffinity(method: string, request: unknown): string | undefined {
  if (!isPlainObject(request)) return undefined;
  if (method === 'Chat') return chatAffinity(request.messages);
  if (method === 'Generate') return promptAffinity(request.prompt);
  return undefined;
}
