/**
 * An async job that runs one at a time, for writers and pollers that callers may also trigger
 * (flush now, refresh now). A call while the job runs gets the run that follows it, shared by
 * every call made meanwhile: the running one may have started before the caller's change, so
 * when a call resolves, a whole run has begun after it.
 */
export class SerialTask {
  private current: Promise<void> | null = null;
  private following: Promise<void> | null = null;

  constructor(private readonly job: () => Promise<void>) {}

  get running(): boolean {
    return this.current !== null;
  }

  run(): Promise<void> {
    if (this.current === null) {
      this.current = this.job().finally(() => {
        this.current = null;
      });
      return this.current;
    }
    const next = () => {
      this.following = null;
      return this.run();
    };
    // A failed run is its own caller's error: the one that follows still runs.
    this.following ??= this.current.then(next, next);
    return this.following;
  }

  /** Resolves once no run is in progress or queued (what is running now, and what follows it). */
  async idle(): Promise<void> {
    for (let p = this.following ?? this.current; p !== null; p = this.following ?? this.current) await p.catch(() => undefined);
  }
}
