import type { Delta } from '../../../runtime/engine/types.js';

/** The engine's deltas, written short for scripted turns. */
export const text = (channel: 'analysis' | 'commentary' | 'final', t: string): Delta => ({
  type: 'text',
  channel,
  text: t,
});
export const call = (index: number, id: string, name: string): Delta => ({ type: 'toolCall', index, id, name });
export const args = (index: number, t: string): Delta => ({ type: 'toolArguments', index, text: t });
