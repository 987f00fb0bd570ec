/**
 * Stop sequences over streamed text: text that could be the start of a stop sequence is held back
 * until the next text decides; the text before the first stop sequence is all that is shown.
 */
export class StopStrings {
  private held = '';

  constructor(private readonly stops: readonly string[]) {}

  /** The text that can be shown now, and whether a stop sequence ended it. */
  push(text: string): { text: string; stopped: boolean } {
    if (this.stops.length === 0) return { text, stopped: false };
    const all = this.held + text;
    const at = Math.min(...this.stops.map((s) => all.indexOf(s)).filter((i) => i >= 0));
    if (Number.isFinite(at)) {
      this.held = '';
      return { text: all.slice(0, at), stopped: true };
    }
    const keep = Math.max(0, ...this.stops.map((s) => longestPrefixSuffix(all, s)));
    this.held = all.slice(all.length - keep);
    return { text: all.slice(0, all.length - keep), stopped: false };
  }

  /** What was held back, once the stream ends without a stop sequence. */
  flush(): string {
    const held = this.held;
    this.held = '';
    return held;
  }
}

/** The length of the longest end of `text` that begins `stop` (shorter than all of it). */
function longestPrefixSuffix(text: string, stop: string): number {
  for (let n = Math.min(stop.length - 1, text.length); n > 0; n--) if (text.endsWith(stop.slice(0, n))) return n;
  return 0;
}
