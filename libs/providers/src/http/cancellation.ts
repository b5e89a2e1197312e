/**
 * Cancels one request's upstream work when its client leaves (or a background response is
 * cancelled). An AbortSignal would do, but on Node 20 each `addEventListener` /
 * `removeEventListener` pair on one costs about 10 µs, paid by every request on the hot path;
 * this costs an array push until it is used.
 */
export class Cancellation {
  /** A cancellation that never fires (work no client can cancel). */
  static readonly never: Cancellation = new Cancellation();

  private hooks: (() => void)[] | null = null;
  private cancelled = false;

  get aborted(): boolean {
    return this.cancelled;
  }

  /** Runs every hook once; later calls do nothing. */
  cancel(): void {
    if (this.cancelled || this === Cancellation.never) return;
    this.cancelled = true;
    const hooks = this.hooks;
    this.hooks = null;
    if (hooks !== null) for (const hook of hooks) hook();
  }

  /** Calls `hook` on cancel (at once if already cancelled); returns its unsubscribe. */
  onCancel(hook: () => void): () => void {
    if (this.cancelled) {
      hook();
      return noop;
    }
    if (this === Cancellation.never) return noop;
    (this.hooks ??= []).push(hook);
    return () => {
      const hooks = this.hooks;
      if (hooks === null) return;
      const i = hooks.indexOf(hook);
      if (i >= 0) hooks.splice(i, 1);
    };
  }

  /** Follows an AbortSignal (cold paths that have one, such as a background task's). */
  static fromSignal(signal: AbortSignal): Cancellation {
    const c = new Cancellation();
    if (signal.aborted) c.cancel();
    else signal.addEventListener('abort', () => c.cancel(), { once: true });
    return c;
  }
}

function noop(): void {
  // nothing to unsubscribe
}
