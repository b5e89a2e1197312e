interface Pending<T> {
  row: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: every caller waits for the commit of the batch that holds its row, and rows
 * that arrive while a batch is being written go together in the next one. No timer: with no
 * write running, a row is written at once; under load, batches grow by themselves to what
 * arrived during one round trip, so the database sees one multi-row statement per round trip
 * instead of one per request.
 */
export class GroupCommit<T> {
  private queue: Pending<T>[] = [];
  private running: Promise<void> | null = null;
  readonly stats = { rows: 0, batches: 0, failedBatches: 0 };

  constructor(
    private readonly write: (rows: T[]) => Promise<void>,
    private readonly maxBatch: number,
    /** Rows waiting beyond this (the database stalled) are refused at once rather than held. */
    private readonly maxQueued = 50_000,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Resolves once the row is committed; rejects with the batch's error. */
  save(row: T): Promise<void> {
    if (this.queue.length >= this.maxQueued) return Promise.reject(new Error(`${this.queue.length} rows already wait for the database`));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.running !== null) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      // A row queued between the loop's last check and here would otherwise wait for the next save.
      if (this.queue.length > 0) this.kick();
    });
  }

  /** Waits for everything queued so far. */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.write(batch.map((p) => p.row));
        this.stats.rows += batch.length;
        this.stats.batches++;
        for (const p of batch) p.resolve();
      } catch (err) {
        this.stats.failedBatches++;
        for (const p of batch) p.reject(err);
      }
    }
  }
}
