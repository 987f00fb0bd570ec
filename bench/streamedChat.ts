/**
 * One streamed chat completion over HTTP (SSE), as a chat client sends it: the time to its first
 * text (reasoning or answer), the answer to append to the conversation, and the usage the runtime
 * reported. zero.ts and prefix.ts send theirs through the gateway with this.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface StreamedAnswer {
  /** From sending the request to the first chunk with text, in seconds. */
  ttftS: number;
  /** The final channel's text (what a client appends to the conversation; the reasoning is not sent back). */
  content: string;
  promptTokens: number;
  cachedTokens: number;
}

interface Chunk {
  choices?: Array<{ delta?: { content?: string; reasoning_content?: string } }>;
  usage?: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens?: number } };
}

/** The JSON of each `data:` line of an SSE body, as it arrives ([DONE] ends it). */
async function* sseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<Chunk> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const bytes of body) {
    pending += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, end).trim();
      pending = pending.slice(end + 1);
      if (!line.startsWith('data:')) continue;
      const data = line.slice('data:'.length).trim();
      if (data === '[DONE]') return;
      yield JSON.parse(data) as Chunk;
    }
  }
}

/** POST /v1/chat/completions with stream and usage; throws on an answer other than 200. */
export async function streamedChat(
  url: string,
  key: string,
  request: { model: string; messages: readonly ChatMessage[]; max_tokens: number },
): Promise<StreamedAnswer> {
  const started = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } }),
  });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const answer: StreamedAnswer = { ttftS: 0, content: '', promptTokens: 0, cachedTokens: 0 };
  for await (const chunk of sseData(res.body as AsyncIterable<Uint8Array>)) {
    const delta = chunk.choices?.[0]?.delta;
    if (answer.ttftS === 0 && (delta?.content || delta?.reasoning_content))
      answer.ttftS = (performance.now() - started) / 1000;
    answer.content += delta?.content ?? '';
    if (chunk.usage) {
      answer.promptTokens = chunk.usage.prompt_tokens;
      answer.cachedTokens = chunk.usage.prompt_tokens_details?.cached_tokens ?? 0;
    }
  }
  return answer;
}
