interface Waiter {
  offset: number;
  resolve(ready: boolean): void;
  timer: NodeJS.Timeout;
}

/**
 * Callers of `waitFor` on one partition, woken by the append that makes their offset readable.
 * Consumers often race `waitFor` over many partitions, leaving the losers to time out, so a
 * timeout is O(1) and an append that wakes nobody does not scan the waiters.
 */
export class Waiters {
  private readonly waiting = new Set<Waiter>();
  /** No waiter waits for an offset below this. */
  private lowestOffset = Number.POSITIVE_INFINITY;

  wait(offset: number, timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        offset,
        resolve,
        timer: setTimeout(() => {
          this.waiting.delete(waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.waiting.add(waiter);
      if (offset < this.lowestOffset) this.lowestOffset = offset;
    });
  }

  /** Wakes every waiter whose offset is below the new `endOffset`. */
  notify(endOffset: number): void {
    if (endOffset <= this.lowestOffset) return;
    let lowest = Number.POSITIVE_INFINITY;
    for (const waiter of this.waiting) {
      if (waiter.offset < endOffset) {
        this.waiting.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.resolve(true);
      } else if (waiter.offset < lowest) {
        lowest = waiter.offset;
      }
    }
    this.lowestOffset = lowest;
  }

  /** Resolves every waiter with false (the log is closing). */
  cancelAll(): void {
    for (const waiter of this.waiting) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
    this.waiting.clear();
    this.lowestOffset = Number.POSITIVE_INFINITY;
  }
}
