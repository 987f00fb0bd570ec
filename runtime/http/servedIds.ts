import type { ModelInfo } from '../engine/types.js';

/** Every id this runtime answers to: the model's, then each adapter's (`<model>:<adapter>`). */
export const servedIds = (info: Pick<ModelInfo, 'servedName' | 'adapters'>): string[] => [
  info.servedName,
  ...(info.adapters ?? []),
];

/**
 * The id a response names: the one the request asked for, else (no model given) the base's. The
 * engine refuses an id it does not serve before anything is answered.
 */
export const answeringId = (info: Pick<ModelInfo, 'servedName' | 'adapters'>, requested: string): string =>
  servedIds(info).includes(requested) ? requested : info.servedName;
