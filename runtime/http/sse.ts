import type { Response } from 'express';

/** Server-sent events: the status line and headers go out before the first event. */
export function startStream(res: Response): void {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('Connection', 'keep-alive');
  res.flushHeaders();
}

/** One event: `data:` only (Chat Completions), or with its `event:` name (the Responses API). */
export function writeEvent(res: Response, payload: object, event?: string): void {
  res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(payload)}\n\n`);
}

/**
 * Aborts when the client goes away before the answer is written whole, so its generation stops;
 * a client gone before the handler ran (its 'close' already past) aborts it at once.
 */
export function abortOnClose(res: Response): AbortController {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableEnded) controller.abort();
  });
  if (res.req.socket.destroyed) controller.abort();
  return controller;
}
