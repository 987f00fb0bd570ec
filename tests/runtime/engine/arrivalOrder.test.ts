import { describe, expect, it } from 'vitest';
import { ArrivalOrder } from '../../../runtime/engine/arrivalOrder.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ArrivalOrder: requests queue for a slot in the order they arrived (pure)', () => {
  it('a place prepared early waits for every earlier one to leave; a failed one leaves at once', async () => {
    const order = new ArrivalOrder();
    const [first, second, third] = [order.enter(), order.enter(), order.enter()];
    const turns: string[] = [];
    void first.turn.then(() => turns.push('first'));
    void second.turn.then(() => turns.push('second'));
    void third.turn.then(() => turns.push('third'));
    await tick();
    expect(turns).toEqual(['first']);
    // the third and then the second are ready first: they wait for the first
    third.leave();
    await tick();
    expect(turns).toEqual(['first']);
    first.leave();
    await tick();
    expect(turns).toEqual(['first', 'second']);
    // the second fails before it queues (its finally leaves); leaving twice changes nothing
    second.leave();
    second.leave();
    await tick();
    expect(turns).toEqual(['first', 'second', 'third']);
    // a place taken once everyone left has its turn at once
    const late = order.enter();
    let lateTurn = false;
    void late.turn.then(() => (lateTurn = true));
    await tick();
    expect(lateTurn).toBe(true);
  });
});
