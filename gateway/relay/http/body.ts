import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { ApiError, bodyTooLarge, invalidJsonBody, notJsonContentType } from '../../../contract/api/errors.js';
import { requireObject } from '../../../contract/api/issues.js';
import { quoted, shortened } from '../../../contract/api/limits.js';

/** The Content-Encodings a body may come in, as the runtime (body-parser) takes them. */
const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** The body decoded from its Content-Encoding; an encoding nobody can decode is refused as the runtime words it. */
function decodedBody(req: IncomingMessage, encoding: string): Readable {
  if (encoding === 'identity') return req;
  const decoder = DECODERS[encoding];
  if (!decoder) throw new ApiError('invalid_argument', `unsupported content encoding ${quoted(encoding)}`);
  const stream = decoder();
  req.on('error', (error) => stream.emit('error', error));
  return req.pipe(stream) as unknown as Readable;
}

/** zlib's failures (Z_DATA_ERROR, ...) while inflating: the client's bytes, not the gateway's fault. */
const isZlibError = (error: unknown) =>
  error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && 'errno' in error;

/**
 * The request's whole body, decompressed, at most maxBytes after decompression (413 past it, the
 * rest not read). A client that leaves before sending it all rejects with its stream's error.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity' && Number(req.headers['content-length'] ?? 0) > maxBytes) throw bodyTooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of decodedBody(req, encoding)) {
      bytes += (chunk as Buffer).length;
      if (bytes > maxBytes) throw bodyTooLarge(maxBytes);
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (encoding !== 'identity' && isZlibError(error)) {
      throw new ApiError(
        'invalid_argument',
        `the request body is not valid ${shortened(encoding)} data (Content-Encoding: ${shortened(encoding)}): ` +
          (error as Error).message,
      );
    }
    throw error;
  }
  return Buffer.concat(chunks);
}

/** The media type and charset of a Content-Type header, lower-cased. */
function contentType(header: string | undefined): { type: string; charset: string | undefined } {
  const [type = '', ...params] = (header ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = params.find((param) => param.startsWith('charset='))?.slice('charset='.length);
  return { type, charset: charset?.replace(/^"(.*)"$/, '$1') };
}

/** The charset is checked before the body is read, as the runtime does. */
export function checkCharset(header: string | undefined): void {
  const { charset } = contentType(header);
  if (charset !== undefined && charset !== 'utf-8') {
    throw new ApiError('invalid_argument', `unsupported charset ${quoted(charset.toUpperCase())}`);
  }
}

/**
 * The body as a JSON object, refused in the runtime's words and order: invalid JSON first (JSON.parse's
 * own reason), then a Content-Type that is not JSON, then JSON that is not an object. An empty body
 * is {} (as body-parser reads it), which then names no model.
 */
export function jsonObject(raw: Buffer, contentTypeHeader: string | undefined): Record<string, unknown> {
  const text = raw.toString('utf8');
  let body: unknown = {};
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw invalidJsonBody(error as Error);
    }
  }
  if (contentType(contentTypeHeader).type !== 'application/json') throw notJsonContentType();
  return requireObject(body);
}
