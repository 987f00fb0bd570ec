import type { Engine } from './engine.js';
import { ApiError } from '../../contract/api/errors.js';

/** The engine once loaded; until then (and after shutdown starts) requests get UNAVAILABLE. */
export class EngineRef {
  private engine: Engine | null = null;
  private draining = false;

  set(engine: Engine): void {
    this.engine = engine;
  }

  get ready(): boolean {
    return this.engine !== null && !this.draining;
  }

  get loaded(): Engine | null {
    return this.engine;
  }

  startDraining(): void {
    this.draining = true;
  }

  get(): Engine {
    if (this.draining) throw new ApiError('unavailable', 'the runtime is shutting down');
    if (!this.engine) throw new ApiError('unavailable', 'the model is still loading; retry shortly');
    return this.engine;
  }
}
