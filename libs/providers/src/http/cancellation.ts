/** Told when a Cancellation fires: an object the request has anyway, where a hook is a closure more. */
export interface CancelListener {
  cancelled(): void;
}

/**
 * Cancels one request's upstream work when its client leaves (or a background response is
 * cancelled). An AbortSignal would do, but on Node 20 each `addEventListener` /
 * `removeEventListener` pair on one costs about 10 µs, paid by every request on the hot path;
 * this costs a field until it is used.
 */
export class Cancellation {
  /** A cancellation that never fires (work no client can cancel). */
  static readonly never: Cancellation = new Cancellation();

  // Nearly every request has one listener (its upstream exchange): it takes a field, not an array.
  private first: CancelListener | null = null;
  private more: CancelListener[] | null = null;
  private cancelled = false;

  get aborted(): boolean {
    return this.cancelled;
  }

  /** Tells every listener once, in the order they came; later calls do nothing. */
  cancel(): void {
    if (this.cancelled || this === Cancellation.never) return;
    this.cancelled = true;
    const first = this.first;
    const more = this.more;
    this.first = null;
    this.more = null;
    first?.cancelled();
    if (more !== null) for (const listener of more) listener.cancelled();
  }

  /** Tells `listener` on cancel (at once if already cancelled) until `unlisten`. */
  listen(listener: CancelListener): void {
    if (this.cancelled) listener.cancelled();
    else if (this === Cancellation.never) return;
    // The field only while no array holds an earlier listener, which must be told first.
    else if (this.first === null && this.more === null) this.first = listener;
    else (this.more ??= []).push(listener);
  }

  unlisten(listener: CancelListener): void {
    if (this.first === listener) {
      this.first = null;
      return;
    }
    const more = this.more;
    if (more === null) return;
    const i = more.indexOf(listener);
    if (i >= 0) more.splice(i, 1);
  }

  /** Calls `hook` on cancel (at once if already cancelled); returns its unsubscribe. */
  onCancel(hook: () => void): () => void {
    const listener: CancelListener = { cancelled: hook };
    this.listen(listener);
    return () => this.unlisten(listener);
  }

  /** Follows an AbortSignal (cold paths that have one, such as a background task's). */
  static fromSignal(signal: AbortSignal): Cancellation {
    const c = new Cancellation();
    if (signal.aborted) c.cancel();
    else signal.addEventListener('abort', () => c.cancel(), { once: true });
    return c;
  }
}
