import { beforeAll, describe, expect, it } from 'vitest';
import { renderChatPrompt } from '../../../runtime/harmony/conversation.js';
import { piecesText, type Piece } from '../../../runtime/harmony/format.js';
import { ensureHarmonyOracle, renderWithOracle, type OracleRendering } from '../../../scripts/harmonyOracle.js';
import { HARMONY_CASES } from './cases.js';
import { REFERENCE_TEXTS } from './referenceTexts.js';

/** o200k_harmony's special tokens are the ids from here up (<|startoftext|> is the first). */
const FIRST_SPECIAL_TOKEN = 199_998;

/**
 * Our renderer against OpenAI's (openai-harmony 0.0.8, installed by npm run tools): every case of
 * cases.ts rendered by both, in one Python process; the reference decides what is right.
 */
describe('harmony rendering, checked against the reference renderer', () => {
  const ours = new Map(HARMONY_CASES.map((c) => [c.name, renderChatPrompt(c.prompt, c.settings)]));
  let reference: Map<string, OracleRendering>;

  beforeAll(async () => {
    const oracle = await ensureHarmonyOracle();
    const cases = HARMONY_CASES.map((c) => ({ ...c, pieces: ours.get(c.name)! }));
    reference = new Map((await renderWithOracle(oracle, cases)).map((r) => [r.name, r]));
  });

  it('has at least 30 cases, each named once', () => {
    expect(HARMONY_CASES.length).toBeGreaterThanOrEqual(30);
    expect(ours.size).toBe(HARMONY_CASES.length);
  });

  it.each(HARMONY_CASES.map((c) => [c.name]))('%s: the same text and the same tokens', (name) => {
    const pieces: Piece[] = ours.get(name)!;
    const expected = reference.get(name)!;
    expect(piecesText(pieces)).toBe(expected.text);
    // text pieces encoded as ordinary text, formatting tokens as themselves: token for token the reference's
    expect(expected.piecesTokens).toEqual(expected.tokens);
    // the only control tokens are the renderer's own: none came from what the client sent
    const control = expected.tokens.filter((t) => t >= FIRST_SPECIAL_TOKEN);
    expect(control).toHaveLength(pieces.filter((p) => 'token' in p).length);
  });

  // the unit lane's copy of some renderings is still what the reference writes
  it.each(Object.keys(REFERENCE_TEXTS))("%s: the unit lane's copy is the reference's", (name) => {
    expect(REFERENCE_TEXTS[name]).toBe(reference.get(name)!.text);
  });
});
