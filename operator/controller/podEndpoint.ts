/**
 * GET from a runtime pod, which the operator does not trust: a tenant controls what runs in it. An
 * answer is read with a deadline (the whole exchange, body included) and a byte limit (counted as
 * the body arrives, after decompression, so a huge or endless answer costs at most the limit);
 * redirects are not followed (a pod must not point the operator elsewhere). Any other answer than a
 * 2xx within both is a problem, said in one line.
 */

export interface PodReadLimits {
  timeoutMs: number;
  maxBytes: number;
}

export type PodRead =
  | { ok: true; text: string }
  /** `listening`: false when nothing accepted the connection (a pod not serving yet), true for every other problem. */
  | { ok: false; problem: string; listening: boolean };

const KiB = 1024;
/** `gptoss fetch`'s /progress is a few hundred bytes (a line per file); 64 KiB leaves room for many shards. */
export const PROGRESS_LIMITS: PodReadLimits = { timeoutMs: 1000, maxBytes: 64 * KiB };
/** A runtime's /metrics is about 5 KiB (10 with every label seen); 256 KiB is fifty times that. */
export const METRICS_MAX_BYTES = 256 * KiB;

const refused = (error: unknown) =>
  error instanceof Error && (error.cause as { code?: string } | undefined)?.code === 'ECONNREFUSED';

function why(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `no complete answer within ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return `did not answer: ${cause?.code ?? cause?.message ?? String(error)}`;
}

/** The body, read until the limit; null when it goes past it (the rest is not read, the connection is dropped). */
async function boundedText(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<string | null> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    bytes += chunk.value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readPodEndpoint(url: string, { timeoutMs, maxBytes }: PodReadLimits): Promise<PodRead> {
  const tooMuch = { ok: false, problem: `answered more than ${maxBytes} bytes`, listening: true } as const;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    if (!response.ok) {
      await response.body?.cancel();
      return { ok: false, problem: `answered HTTP ${response.status}`, listening: true };
    }
    if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
      await response.body?.cancel();
      return tooMuch;
    }
    const text = response.body ? await boundedText(response.body, maxBytes) : '';
    return text === null ? tooMuch : { ok: true, text };
  } catch (error) {
    return { ok: false, problem: why(error, timeoutMs), listening: !refused(error) };
  }
}
