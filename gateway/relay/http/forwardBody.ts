import { isPlainObject } from '../../../contract/api/wire.js';
import type { ReasoningEffort } from '../../../contract/models.js';
import { capEffort, type CappedEffort } from '../effort.js';
import type { EndpointShape } from './endpoints.js';

/** What goes to the runtime, and what the gateway must remember of the request to relay the answer. */
export interface ForwardPlan {
  /** The client's bytes, unless something had to change: then the body re-serialised with the changes. */
  bytes: Buffer;
  capped: CappedEffort | null;
  /** Whether the client asked for the stream's usage chunk (the gateway asks for it either way). */
  clientWantsUsage: boolean;
}

type Body = Record<string, unknown>;

/** A streamed Chat or Completions request asks for its usage, keeping whatever else stream_options says. */
function withUsageAsked(body: Body): Body {
  const options = body.stream_options;
  // stream_options that are no object are the runtime's to refuse, in its words
  if (options !== undefined && options !== null && !isPlainObject(options)) return body;
  return { ...body, stream_options: { ...(isPlainObject(options) ? options : {}), include_usage: true } };
}

/**
 * The request as the runtime must get it: `model` as the runtime serves it (`servedName`: the
 * GptOssModel's name, which the operator passes as --model-name, or `<name>:<adapter>`), the effort
 * lowered to the key's cap, and a stream's usage asked for. Re-serialised only when one of those
 * changed something.
 */
export function planForward(
  shape: EndpointShape,
  body: Body,
  raw: Buffer,
  servedName: string,
  cap: ReasoningEffort | null,
): ForwardPlan {
  let forwarded = body;
  if (body.model !== servedName) forwarded = { ...forwarded, model: servedName };
  const capped = shape.effort ? capEffort(shape.effort.asked(body), cap) : null;
  if (capped && shape.effort) forwarded = shape.effort.set(forwarded, capped.served);
  const streamOptions = isPlainObject(body.stream_options) ? body.stream_options : {};
  const clientWantsUsage = streamOptions.include_usage === true;
  if (shape.usageAskedInStream && body.stream === true && !clientWantsUsage) forwarded = withUsageAsked(forwarded);
  return {
    bytes: forwarded === body ? raw : Buffer.from(JSON.stringify(forwarded)),
    capped,
    clientWantsUsage,
  };
}
