/** What the benchmarks measure of a batch of streams or rounds, and how they report it. */
export interface Sample {
  tokens: number;
  seconds: number;
  /** Time to first token of each stream, in seconds. */
  ttfts: number[];
}

/** The nearest-rank percentile. */
export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

/** The middle value, or the mean of the two middle ones (2 rounds: their mean). */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const merge = (samples: Sample[]): Sample => ({
  tokens: samples.reduce((s, x) => s + x.tokens, 0),
  seconds: samples.reduce((s, x) => s + x.seconds, 0),
  ttfts: samples.flatMap((x) => x.ttfts),
});

export const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
