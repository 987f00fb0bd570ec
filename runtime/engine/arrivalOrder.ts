/** A request's place in line, taken as it arrives. */
export interface Place {
  /** Resolves once every earlier place was left. */
  turn: Promise<void>;
  /** Leaves the line (once it has queued for a slot, or failed); idempotent. */
  leave: () => void;
}

/**
 * Requests queue for a slot in the order they arrived, whatever their preparation takes (rendering,
 * tokenising, compiling grammars: milliseconds, with awaits between): one prepared before an earlier
 * one waits for that one to queue (or fail) first. So a replica serves requests in arrival order, as
 * the gateway releases held requests in theirs. A request waits behind another's preparation only.
 */
export class ArrivalOrder {
  private last: Promise<void> = Promise.resolve();

  enter(): Place {
    const turn = this.last;
    let leave!: () => void;
    const left = new Promise<void>((resolve) => (leave = resolve));
    // the next place waits for this one and, through `turn`, for every earlier one
    this.last = turn.then(() => left);
    return { turn, leave };
  }
}
