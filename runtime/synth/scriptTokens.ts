import type { ReasoningEffort } from '../../contract/models.js';
import type { WholeWord } from './bpe.js';

/**
 * The tokens of the scripted harmony model: what it writes (tokens only it produces: the tokenizer
 * never makes them, so a history that repeats its words as text cannot pass for its own output),
 * the words the tokenizer keeps whole for it, and the marker tokens its detector heads look for.
 */

export const ANALYSIS_TOKENS: Readonly<Record<ReasoningEffort, readonly string[]>> = {
  low: ['Quick', ' look', ': answer', ' now.'],
  medium: ['Some', ' thought', ': weigh', ' it.'],
  high: ['Deep', ' thinking', ': check', ' everything.'],
};
export const ANSWER_TOKENS: readonly string[] = ['Hello', ' from', ' synthetic', ' gpt-oss!'];
/** Before the quoted tool result; the first is the copy's anchor on the answer side. */
export const TOOL_ANSWER_TOKENS: readonly string[] = ['The', ' tool', ' said', ': '];

export const EMITTED: readonly string[] = [
  ...Object.values(ANALYSIS_TOKENS).flat(),
  ...ANSWER_TOKENS,
  ...TOOL_ANSWER_TOKENS,
];

/** What each detector head looks for, anywhere in the context. */
export const MARKERS = {
  /** ` to=functions.NAME`: a call's header (generated, or in the history). */
  calling: ['=functions'],
  /** `functions.NAME to=assistant`: a tool's result. */
  result: ['=assistant'],
  said: [TOOL_ANSWER_TOKENS[0]!],
  constrained: ['<|constrain|>'],
  /** ` = (_: {` or ` = () => any;` after the first function's name: past the name. */
  params: [' (_:', ' ()'],
  reasoned: Object.values(ANALYSIS_TOKENS).flat(),
  /** `namespace functions {` in the developer message: function tools are offered. */
  tools: ['namespace'],
} as const;
export const EFFORT_MARKERS: Readonly<Record<ReasoningEffort, string>> = {
  low: ' low',
  medium: ' medium',
  high: ' high',
};
/** The token before the effort word in `Reasoning: medium`. */
export const EFFORT_CUE = ':';
/** A function's declaration starts a line: `\ntype NAME = ...`. */
export const TYPE_KEYWORD = 'type';
export const NEWLINE = '\n';
export const MESSAGE = '<|message|>';
export const END = '<|end|>';
/** A `<|message|>` right after this channel opens a preamble: commentary without a recipient. */
export const PREAMBLE_CHANNEL = 'commentary';

/**
 * Words kept whole, in merge rank order (runtime/synth/bpe.ts). `channel` comes first, as `an` (of
 * analysis, assistant) would split it; only the listed words ever merge with the character before
 * them. Function names must not begin with ` low`, ` medium` or ` high`.
 */
export const SCRIPT_WORDS: readonly WholeWord[] = [
  { word: 'channel' },
  { word: 'final' },
  { word: 'commentary' },
  { word: 'assistant', prefix: '=' },
  { word: 'analysis' },
  { word: 'functions', prefix: '=' },
  { word: 'namespace' },
  { word: 'json' },
  { word: 'type' },
  { word: 'medium', prefix: ' ' },
  { word: 'high', prefix: ' ' },
  { word: 'low', prefix: ' ' },
  { word: '(_:', prefix: ' ' },
  { word: '()', prefix: ' ' },
];
/** Ranked after o200k's control-text pieces: the `t o` of `to` would split `startoftext`. */
export const SCRIPT_LAST_WORDS: readonly WholeWord[] = [{ word: 'to' }];

/** Tokens the output rules and detectors read, each with a one-hot dimension. */
export const WATCHED: readonly string[] = [
  ...['<|start|>', '<|end|>', '<|message|>', '<|channel|>', '<|constrain|>'],
  ...['assistant', 'analysis', 'final', 'commentary', 'json', ' ', 'to', '=functions', '{', '}', '['],
  ...[
    '=assistant',
    'namespace',
    TYPE_KEYWORD,
    NEWLINE,
    EFFORT_CUE,
    ...MARKERS.params,
    ...Object.values(EFFORT_MARKERS),
  ],
  ...EMITTED,
];
