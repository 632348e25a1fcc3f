// A counting semaphore with a bounded wait: at most `limit` holders; a waiter that cannot get a
// slot within `timeoutMs` gets false instead of queueing forever (so a flood cannot pile up).

export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly maxWaiters = 256,
  ) {}

  get inUse(): number {
    return this.active;
  }

  /** Resolves true with a slot held (call release()), or false after timeoutMs without one. */
  acquire(timeoutMs: number): Promise<boolean> {
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve(true);
    }
    if (this.waiters.length >= this.maxWaiters || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const grant = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(grant);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next)
      next(); // the slot passes straight to the next waiter
    else this.active -= 1;
  }
}
