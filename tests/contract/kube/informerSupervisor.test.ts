import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { InformerSupervisor } from '../../../contract/kube/informerSupervisor.js';
import { createLogger } from '../../../contract/log.js';
import { FakeScheduler } from '../../helpers/fakeScheduler.js';

/** A fake informer (the supervisor's collaborator): counts starts and stops, emits what the test says. */
class FakeInformer extends EventEmitter {
  starts = 0;
  stops = 0;
  async start() {
    this.starts += 1;
  }
  async stop() {
    this.stops += 1;
  }
}

const settle = () => new Promise((r) => setImmediate(r));

function supervised() {
  const informer = new FakeInformer();
  const scheduler = new FakeScheduler();
  let restarts = 0;
  const supervisor = new InformerSupervisor({
    informer,
    name: 'pods',
    log: createLogger('error'),
    options: { stallMs: 60_000, backoffBaseMs: 500, backoffMaxMs: 8000 },
    onRestart: () => {
      restarts += 1;
    },
    scheduler,
    clock: () => scheduler.now,
  });
  return { informer, scheduler, supervisor, restarts: () => restarts };
}

describe('InformerSupervisor (pure, fake informer and scheduler)', () => {
  it('restarts after an error with exponential back-off, reset by the next event', async () => {
    const { informer, scheduler, supervisor, restarts } = supervised();
    await supervisor.start();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      informer.emit('error', new Error('connection reset'));
      delays.push(scheduler.pending[0]!);
      scheduler.advance(scheduler.pending[0]!);
      await settle();
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    expect(restarts()).toBe(6);
    expect(informer.starts).toBe(7);
    informer.emit('update', {});
    informer.emit('error', new Error('again'));
    expect(scheduler.pending[0]).toBe(500);
  });

  it('restarts an informer that has heard nothing for the stall time, and not one that hears events', async () => {
    const { informer, scheduler, supervisor, restarts } = supervised();
    await supervisor.start();
    for (let t = 0; t < 5; t++) {
      scheduler.advance(30_000);
      informer.emit('update', {});
    }
    expect(restarts()).toBe(0);
    scheduler.advance(60_000);
    await settle();
    expect(restarts()).toBe(1);
    expect(informer.stops).toBe(1);
    scheduler.advance(59_000);
    expect(restarts()).toBe(1);
    scheduler.advance(1000);
    await settle();
    expect(restarts()).toBe(2);
  });

  it('stops for good when stopped: no restart after a late error', async () => {
    const { informer, scheduler, supervisor, restarts } = supervised();
    await supervisor.start();
    await supervisor.stop();
    informer.emit('error', new Error('late'));
    scheduler.advance(1_000_000);
    expect(restarts()).toBe(0);
  });
});
