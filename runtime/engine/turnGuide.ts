import type { ToolChoice } from '../../contract/api/chat.js';

/**
 * Keeps a harmony answer well formed and within what the request allows, token by token: which
 * headers may open a message (a channel; a call only to a function offered and allowed by
 * tool_choice), that messages follow each other with `<|start|>assistant`, which content a grammar
 * holds (a call's arguments, a structured final answer) and when the turn is over. The model still
 * chooses among what is allowed with its own probabilities; nothing is hinted. Pure: token ids in,
 * decisions out (the engine turns them into llama.cpp's token bias and grammar).
 */

type Token = number;

/** The ids of harmony's formatting tokens in the model's vocabulary. */
export interface FormattingIds {
  start: Token;
  end: Token;
  message: Token;
  channel: Token;
  constrain: Token;
  return: Token;
  call: Token;
}

/** What a request allows in this turn. */
export interface TurnRules {
  /** Functions the model may call (none: no calls). */
  callable: readonly string[];
  /** A call must come before any final answer (tool_choice required or a named function). */
  mustCall: boolean;
  /** After a call, further calls may follow in the same turn (parallel_tool_calls). */
  moreCalls: boolean;
  /** The final answer is JSON held to the response format (response_format json_object or json_schema). */
  structuredFinal: boolean;
}

export type GuideChannel = 'analysis' | 'commentary' | 'final';

export interface OpenedMessage {
  channel: GuideChannel;
  /** The function called (`get_weather` of `functions.get_weather`), or null. */
  function: string | null;
}

/** What limits the next token. */
export type Constraint =
  | { kind: 'free'; banned: readonly Token[] }
  | { kind: 'tokens'; allowed: readonly Token[] }
  | { kind: 'json'; message: OpenedMessage };

/** After a token: go on; the turn is over; or over, and the message it began is not part of the answer. */
export type GuideVerdict = 'continue' | 'end' | 'endWithoutOpenMessage';

/** The rules of a chat request: its functions, tool_choice, parallel_tool_calls and response format. */
export function rulesFor(
  toolChoice: ToolChoice,
  functions: readonly string[],
  parallel: boolean,
  structuredFinal: boolean,
): TurnRules {
  switch (toolChoice.mode) {
    case 'none':
      return { callable: [], mustCall: false, moreCalls: false, structuredFinal };
    case 'auto':
      return { callable: functions, mustCall: false, moreCalls: parallel, structuredFinal };
    case 'required':
      return { callable: functions, mustCall: true, moreCalls: parallel, structuredFinal };
    case 'function':
      return { callable: [toolChoice.name], mustCall: true, moreCalls: false, structuredFinal };
  }
}

interface TrieNode {
  next: Map<Token, TrieNode>;
  opens?: OpenedMessage;
}

const trieNode = (): TrieNode => ({ next: new Map() });

function insert(root: TrieNode, tokens: readonly Token[], opens: OpenedMessage): void {
  let node = root;
  for (const token of tokens) {
    let child = node.next.get(token);
    if (!child) node.next.set(token, (child = trieNode()));
    node = child;
  }
  node.opens = opens;
}

const reachesCall = (node: TrieNode): boolean =>
  node.opens ? node.opens.function !== null : [...node.next.values()].some(reachesCall);

type Phase =
  | { kind: 'opening'; pending: Token[]; afterCall: boolean }
  | { kind: 'header'; node: TrieNode; afterCall: boolean }
  | { kind: 'content'; message: OpenedMessage };

/** Encodes header text as the model's tokens (ordinary text, its canonical tokenization). */
export type EncodeText = (text: string) => Promise<readonly Token[]>;

export class TurnGuide {
  /** Messages opened so far, in order. */
  readonly opened: OpenedMessage[] = [];
  /** Tokens the analysis messages took, from their `<|start|>` (or the turn's first header token) to their end. */
  reasoningTokens = 0;
  private phase: Phase;
  private messageTokens = 0;
  private calls = 0;

  private constructor(
    private readonly ids: FormattingIds,
    private readonly rules: TurnRules,
    private readonly headers: TrieNode,
    private readonly assistant: readonly Token[],
  ) {
    // the prompt ends with `<|start|>assistant`: the first message's header comes first
    this.phase = { kind: 'header', node: headers, afterCall: false };
  }

  static async create(ids: FormattingIds, rules: TurnRules, encode: EncodeText): Promise<TurnGuide> {
    const root = trieNode();
    const text = async (channel: string) => [ids.channel, ...(await encode(channel))];
    insert(root, [...(await text('analysis')), ids.message], { channel: 'analysis', function: null });
    // a preamble (commentary the user sees before calls) or an answer, unless a call must come first
    if (!rules.mustCall) {
      insert(root, [...(await text('commentary')), ids.message], { channel: 'commentary', function: null });
      insert(root, [...(await text('final')), ids.message], { channel: 'final', function: null });
    }
    for (const name of rules.callable) {
      const header = [...(await text(`commentary to=functions.${name} `)), ids.constrain, ...(await encode('json'))];
      insert(root, [...header, ids.message], { channel: 'commentary', function: name });
    }
    return new TurnGuide(ids, rules, root, await encode('assistant'));
  }

  /** What the next token may be. */
  constraint(): Constraint {
    const { phase, ids } = this;
    switch (phase.kind) {
      case 'opening':
        // after a call the model may instead end its turn, as gpt-oss does after `<|call|>`
        return {
          kind: 'tokens',
          allowed:
            phase.afterCall && phase.pending[0] === ids.start ? [ids.start, ids.call, ids.return] : [phase.pending[0]!],
        };
      case 'header':
        return { kind: 'tokens', allowed: [...phase.node.next.keys()] };
      case 'content':
        if (phase.message.function !== null || (phase.message.channel === 'final' && this.rules.structuredFinal))
          return { kind: 'json', message: phase.message };
        return { kind: 'free', banned: [ids.start, ids.channel, ids.message, ids.constrain] };
    }
  }

  /** Takes the token sampled under constraint(). */
  advance(token: Token): GuideVerdict {
    this.messageTokens++;
    const { phase } = this;
    switch (phase.kind) {
      case 'opening':
        if (token !== phase.pending[0]) return 'end';
        phase.pending.shift();
        if (phase.pending.length === 0) this.phase = { kind: 'header', node: this.headers, afterCall: phase.afterCall };
        return 'continue';
      case 'header':
        return this.onHeader(phase, token);
      case 'content':
        return this.onContent(phase.message, token);
    }
  }

  private onHeader(phase: Extract<Phase, { kind: 'header' }>, token: Token): GuideVerdict {
    const node = phase.node.next.get(token);
    if (!node) return 'end';
    // after a call, only another call continues the turn: anything else ends it unsaid
    if (phase.afterCall && !reachesCall(node)) return 'endWithoutOpenMessage';
    if (node.opens && node.next.size === 0) {
      this.opened.push(node.opens);
      this.phase = { kind: 'content', message: node.opens };
      return 'continue';
    }
    phase.node = node;
    return 'continue';
  }

  private onContent(message: OpenedMessage, token: Token): GuideVerdict {
    const { ids } = this;
    const ends = token === ids.end || token === ids.return || token === ids.call;
    if (!ends) return 'continue';
    if (message.channel === 'analysis') this.reasoningTokens += this.messageTokens;
    this.messageTokens = 0;
    // the turn ends with an answer or a call: `<|return|>` or `<|call|>` closing reasoning or a
    // preamble ends only that message (so a required call still comes)
    if (message.channel === 'final') return 'end';
    if (message.function !== null) {
      this.calls++;
      if (!this.rules.moreCalls) return 'end';
    }
    this.phase = { kind: 'opening', pending: [ids.start, ...this.assistant], afterCall: this.calls > 0 };
    return 'continue';
  }
}
