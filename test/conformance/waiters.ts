// Waiting for a condition that changes when events arrive (notify) or on the other side
// of the connection (so it is also polled). Shared by the raw server and the client adapter.
export class Waiters {
  private readonly pending = new Set<() => void>();

  /** Re-checks every pending wait; call after each event. */
  notify(): void {
    for (const waiter of [...this.pending]) waiter();
  }

  /** Resolves true as soon as `predicate` holds, false after timeoutMs. */
  until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (value: boolean) => {
        clearTimeout(timer);
        clearInterval(poll);
        this.pending.delete(check);
        resolve(value);
      };
      const check = () => { if (predicate()) finish(true); };
      const timer = setTimeout(() => finish(predicate()), timeoutMs);
      // Predicates may also depend on the other side (client events vs. server state).
      const poll = setInterval(check, 10);
      this.pending.add(check);
    });
  }
}
