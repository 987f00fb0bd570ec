import type { Engine } from '../engine/engine.js';

/** What the HTTP API uses of the engine: a test gives it a fake one with these methods. */
export type HttpEngine = Pick<Engine, 'info' | 'chat' | 'generate' | 'renderText'>;

/** The engine once loaded (runtime/engine/engineRef.ts): `get()` throws UNAVAILABLE until then. */
export interface HttpEngines {
  readonly ready: boolean;
  readonly loaded: object | null;
  get(): HttpEngine;
}
