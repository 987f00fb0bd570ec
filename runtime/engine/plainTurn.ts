import type { Token } from 'node-llama-cpp';
import type { HarmonyParser } from '../harmony/parser.js';
import type { Verdict } from './sampler.js';
import { StopStrings } from './stopStrings.js';
import type { Delta } from './types.js';

/**
 * Text with no harmony structure to follow: a raw prompt's continuation (/v1/completions, Generate),
 * or the answer of a model with another chat format. All of it is the answer, up to a token that
 * ends it (not shown) or a stop sequence (not shown either).
 */
export class PlainTurn {
  readonly calls: readonly never[] = [];
  readonly reasoningTokens = 0;
  private readonly stops: StopStrings;
  private stopped = false;

  constructor(
    private readonly parser: HarmonyParser<Token>,
    /** Whether this token ends the answer. */
    private readonly ends: (token: Token) => boolean,
    private readonly emit: (delta: Delta) => void,
    stop: readonly string[],
  ) {
    this.stops = new StopStrings(stop);
  }

  onToken(token: Token): Verdict {
    if (this.ends(token)) return 'end';
    for (const delta of this.parser.push(token)) this.show(delta.text);
    return this.stopped ? 'end' : 'continue';
  }

  finish(): void {
    for (const delta of this.parser.finish()) this.show(delta.text);
    if (!this.stopped) this.send(this.stops.flush());
  }

  private show(text: string): void {
    if (this.stopped) return;
    const shown = this.stops.push(text);
    this.send(shown.text);
    this.stopped = shown.stopped;
  }

  private send(text: string): void {
    if (text) this.emit({ type: 'text', text, channel: 'final' });
  }
}
