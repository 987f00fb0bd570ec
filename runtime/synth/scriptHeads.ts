import { AttentionWeights, SCRIPT_HEAD_DIM, ropeTheta, type AttentionShape } from './scriptAttention.js';
import { ANCHOR_KINDS, DIGITS, DIGIT_BASE, type AnchorKind, type Flag, type ScriptLayout } from './scriptLayout.js';
import {
  CODE,
  COPY_WINDOW,
  PARITY_EPSILON,
  QUERY_FROM_CODE,
  WAVES,
  WAVE_EPSILON,
  copyScore,
  type CodeInput,
} from './scriptOffsets.js';
import { REASONING_EFFORTS } from '../../contract/models.js';
import {
  EFFORT_CUE,
  EFFORT_MARKERS,
  END,
  MARKERS,
  MESSAGE,
  NEWLINE,
  PREAMBLE_CHANNEL,
  TOOL_ANSWER_TOKENS,
  TYPE_KEYWORD,
} from './scriptTokens.js';

/**
 * The scripted model's three attention layers (docs/synthetic-models.md tells the whole circuit):
 * 0. detectors: flags for marker tokens anywhere in the context, and previous-token heads;
 * 1. offset heads: each position's code of its distance to its anchor (scriptOffsets.ts);
 * 2. the copy head, which moves the token at the matching source offset, and detectors of what
 *    layer 0 found (tools offered, the effort, an empty message).
 */

/** A detector's marker scores this; its sink that; other tokens 0. */
const DETECT = 60;
const DETECT_SINK = 30;
/** The previous-token head: this much per RoPE pair 0-7 at distance 1 (1.08 times this over any other distance). */
const PREVIOUS = 40;
/** Offset heads: a token that is no anchor of the selected kind scores this much below the sink. */
const NOT_ANCHOR = 60;
/** The copy head's gates: a source candidate of the kind the query copies scores this much more. */
const GATE = 80;

/** The static dimension detectors score in (RoPE pair 15). */
const CONTENT = 15;

function detector(att: AttentionWeights, layout: ScriptLayout, head: number, markers: readonly string[], to: Flag[]) {
  att.query(head, CONTENT, 'bias', 1);
  markers.forEach((marker, i) => {
    att.key(head, CONTENT, layout.watched(marker), DETECT);
    // one flag for all markers, or one each
    const slot = to.length === 1 ? 0 : i;
    att.value(head, slot, layout.watched(marker), 1);
  });
  to.forEach((flag, slot) => att.output(head, slot, layout.flag(flag)));
  att.sink(head, DETECT_SINK);
}

/**
 * Marks a trigger token whose previous token is `previous`: at a trigger the head attends to the
 * previous position (its score sums cos((d - 1) * theta) over RoPE pairs 0-7, peaking at d = 1) and
 * reads whether it is `previous`; at any other token every key scores -PREVIOUS and the head rests
 * on its sink. A `type` after a newline starts a function's
 * declaration (not the word in a description); an effort word after `:` is the system message's
 * `Reasoning: ...` (not a tool's); a `<|message|>` after `commentary` opens a preamble (a
 * commentary message with no recipient: the engine allowed no call); an `<|end|>` after
 * `<|message|>` closes an empty message (the model's answer to a refused call).
 */
function previousIs(
  att: AttentionWeights,
  layout: ScriptLayout,
  head: number,
  triggers: readonly string[],
  previous: string,
  flag: Flag,
) {
  const half = SCRIPT_HEAD_DIM / 2;
  for (let pair = 0; pair < 8; pair++) {
    const theta = ropeTheta(pair);
    for (const trigger of triggers) {
      att.query(head, pair, layout.watched(trigger), PREVIOUS * Math.cos(theta));
      att.query(head, pair + half, layout.watched(trigger), -PREVIOUS * Math.sin(theta));
    }
    att.key(head, pair, 'bias', 1);
  }
  att.query(head, CONTENT, 'bias', 1);
  att.key(head, CONTENT, 'bias', -PREVIOUS);
  att.value(head, 0, layout.watched(previous), 1);
  att.output(head, 0, layout.flag(flag));
  att.sink(head, 0);
}

export function detectorLayer(shape: AttentionShape, layout: ScriptLayout): AttentionWeights {
  const att = new AttentionWeights(shape);
  previousIs(att, layout, 0, [TYPE_KEYWORD], NEWLINE, 'lineType');
  detector(att, layout, 1, MARKERS.calling, ['calling']);
  detector(att, layout, 2, MARKERS.result, ['result']);
  detector(att, layout, 3, MARKERS.said, ['said']);
  detector(att, layout, 4, MARKERS.constrained, ['constrained']);
  detector(att, layout, 5, MARKERS.params, ['params']);
  detector(att, layout, 6, MARKERS.reasoned, ['reasoned']);
  previousIs(att, layout, 7, Object.values(EFFORT_MARKERS), EFFORT_CUE, 'effortCue');
  previousIs(att, layout, 8, [MESSAGE], PREAMBLE_CHANNEL, 'preambleHere');
  previousIs(att, layout, 9, [END], MESSAGE, 'emptyMessage');
  return att;
}

/**
 * The kinds of anchor, each with what marks it (a token, or the line-start `type` flag) and the
 * score dimension selecting it.
 */
function anchorKinds(
  layout: ScriptLayout,
): Array<{ kind: AnchorKind; dim: number; marker: number; when: Array<[Flag | 'bias', number]> }> {
  return [
    {
      kind: 'name',
      dim: 12,
      marker: layout.flag('lineType'),
      when: [
        ['bias', 1],
        ['calling', -1],
        ['params', -1],
      ],
    },
    {
      kind: 'call',
      dim: 13,
      marker: layout.watched(MARKERS.calling[0]),
      when: [
        ['calling', 1],
        ['result', -1],
        ['constrained', -1],
      ],
    },
    {
      kind: 'result',
      dim: 14,
      marker: layout.watched(MARKERS.result[0]),
      when: [
        ['result', 1],
        ['said', -1],
        ['reasoned', -1],
      ],
    },
    { kind: 'answer', dim: 15, marker: layout.watched(TOOL_ANSWER_TOKENS[0]!), when: [['said', 1]] },
  ];
}

/**
 * Which anchor a position measures from, chosen by its own flags; at most one kind applies, and
 * where none does the head rests on its sink, so that positions outside the four regions carry no
 * code. The regions: the first function's name (a `type` starting a line, before any call and
 * before the first `(_:` or `()`), a call's header being written (`=functions`, before
 * `<|constrain|>`), the tool's result (`=assistant`, before the answer's reasoning), the quoted
 * answer (`The`). Scores: every key -NOT_ANCHOR, an anchor of the selected kind +NOT_ANCHOR, so
 * it scores 0 against a sink of 0 (a kind selected negatively only pushes its anchors further down).
 */
function selectAnchor(att: AttentionWeights, layout: ScriptLayout, head: number) {
  att.query(head, 11, 'bias', -NOT_ANCHOR);
  att.key(head, 11, 'bias', 1);
  for (const { dim, marker, when } of anchorKinds(layout)) {
    for (const [flag, weight] of when)
      att.query(head, dim, flag === 'bias' ? 'bias' : layout.flag(flag), NOT_ANCHOR * weight);
    att.key(head, dim, marker, 1);
  }
}

/**
 * The two parity heads: scores +-epsilon cos(pi d) on the anchor; each writes its attention into the
 * anchor's kind (so that kind's view is their sum, 1) and, with its sign, into the parity.
 */
function parityHead(att: AttentionWeights, layout: ScriptLayout, head: number, sign: 1 | -1) {
  att.key(head, 0, 'bias', 1);
  att.query(head, 0, 'bias', sign * PARITY_EPSILON);
  selectAnchor(att, layout, head);
  anchorKinds(layout).forEach(({ kind, marker }, slot) => {
    att.value(head, slot, marker, 1);
    att.output(head, slot, layout.inView(kind));
  });
  att.value(head, 4, 'bias', 1);
  att.output(head, 4, layout.offset('parity'), sign);
  att.sink(head, 0);
}

/** A wave head: score epsilon cos(theta d) (or sin) on the anchor, its attention the feature. */
function waveHead(
  att: AttentionWeights,
  layout: ScriptLayout,
  head: number,
  wave: (typeof WAVES)[number],
  sine: boolean,
) {
  const half = SCRIPT_HEAD_DIM / 2;
  att.key(head, wave.pair, 'bias', 1);
  // the score is q0 cos(d theta) - q1 sin(d theta): q1 = -epsilon gives epsilon sin(d theta)
  if (sine) att.query(head, wave.pair + half, 'bias', -WAVE_EPSILON);
  else att.query(head, wave.pair, 'bias', WAVE_EPSILON);
  selectAnchor(att, layout, head);
  att.value(head, 0, 'bias', 1);
  att.output(head, 0, layout.offset(sine ? wave.sin : wave.cos));
  att.sink(head, 0);
}

export function offsetLayer(shape: AttentionShape, layout: ScriptLayout): AttentionWeights {
  const att = new AttentionWeights(shape);
  parityHead(att, layout, 0, 1);
  parityHead(att, layout, 1, -1);
  WAVES.forEach((wave, i) => {
    waveHead(att, layout, 2 + 2 * i, wave, false);
    waveHead(att, layout, 3 + 2 * i, wave, true);
  });
  return att;
}

/** Static dimensions of the copy head: the code (7), the names gate, the results gate. */
const CODE_DIMS = [10, 11, 12, 13, 14, 15, 26];
const NAMES_GATE = 27;
const RESULTS_GATE = 28;

/** The copy score of the copied position is at least this; the sink sits between it and everything else. */
function copySink(): number {
  let target = Infinity;
  let other = -Infinity;
  for (let dq = 0; dq + 1 < COPY_WINDOW; dq++) {
    for (let dk = 0; dk < COPY_WINDOW; dk++) {
      const score = copyScore(dq, dk);
      if (dk === dq + 1) target = Math.min(target, score);
      else other = Math.max(other, score);
    }
  }
  return GATE + (target + other) / 2;
}

/**
 * The copy head: its query is the code of the answer position turned one step on, its key the code
 * of each position, gated: while a call's header is being written it may read only the first
 * function's name, after `The` only the tool's result (the regions of selectAnchor). Its value is
 * the token's digits, which the output turns into that token. Outside the regions codes are zero,
 * so the head rests on its sink.
 */
function copyHead(att: AttentionWeights, layout: ScriptLayout, head: number) {
  // the code's inputs as residual dimensions: the view is the sum over kinds (one is 1, or none)
  const dimsOf = (input: CodeInput): number[] =>
    input === 'view' ? ANCHOR_KINDS.map((k) => layout.inView(k)) : [layout.offset(input)];
  CODE.forEach((row, r) => {
    for (const [input, weight] of Object.entries(row))
      for (const dim of dimsOf(input as CodeInput)) att.key(head, CODE_DIMS[r]!, dim, weight);
    QUERY_FROM_CODE[r]!.forEach((m, c) => {
      for (const [input, weight] of Object.entries(CODE[c]!))
        for (const dim of dimsOf(input as CodeInput)) att.query(head, CODE_DIMS[r]!, dim, m * weight);
    });
  });
  // keys: the first function's name, the tool's result; queries: a call's header being written, the
  // quoted answer, not where an anchor's own words or the space after the name are written by rules
  att.key(head, NAMES_GATE, layout.inView('name'), 1);
  att.key(head, RESULTS_GATE, layout.inView('result'), 1);
  att.query(head, NAMES_GATE, layout.inView('call'), GATE);
  for (const token of [MARKERS.calling[0], ' ']) att.query(head, NAMES_GATE, layout.watched(token), -GATE);
  att.query(head, RESULTS_GATE, layout.inView('answer'), GATE);
  for (const token of TOOL_ANSWER_TOKENS.slice(0, -1)) att.query(head, RESULTS_GATE, layout.watched(token), -GATE);
  for (let p = 0; p < DIGITS; p++) {
    for (let d = 0; d < DIGIT_BASE; d++) {
      const e = p * DIGIT_BASE + d;
      att.value(head, e, layout.tokDigit(p, d), 1);
      att.output(head, e, layout.copyDigit(p, d));
    }
  }
  att.sink(head, copySink());
}

/** The effort the system message names: the effort word right after `Reasoning:` (its cue set in layer 0). */
function effort(att: AttentionWeights, layout: ScriptLayout, head: number) {
  att.query(head, CONTENT, 'bias', 1);
  att.key(head, CONTENT, layout.flag('effortCue'), DETECT);
  REASONING_EFFORTS.forEach((name, slot) => {
    att.value(head, slot, layout.watched(EFFORT_MARKERS[name]), 1);
    att.output(head, slot, layout.flag(name));
  });
  att.sink(head, DETECT_SINK);
}

/** A flag set anywhere before: `to` at every position from the first where layer 0 set `from`. */
function flagSeen(att: AttentionWeights, layout: ScriptLayout, head: number, from: Flag, to: Flag) {
  att.query(head, CONTENT, 'bias', 1);
  att.key(head, CONTENT, layout.flag(from), DETECT);
  att.value(head, 0, layout.flag(from), 1);
  att.output(head, 0, layout.flag(to));
  att.sink(head, DETECT_SINK);
}

export function copyLayer(shape: AttentionShape, layout: ScriptLayout): AttentionWeights {
  const att = new AttentionWeights(shape);
  copyHead(att, layout, 0);
  detector(att, layout, 1, MARKERS.tools, ['tools']);
  effort(att, layout, 2);
  flagSeen(att, layout, 3, 'emptyMessage', 'preambled');
  return att;
}
