import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

const CLAIM = /^(.*\.jsonl)\.replaying-(.+)-(\d+)$/;

/** Where a replay stopped: the claimed file and the bytes of it already written. */
interface Progress {
  claimed: string;
  offset: number;
}

/**
 * Rows that cannot reach the database in time go to JSON-lines files here, and
 * are replayed once it answers again (also by the next process to start). Replays are
 * idempotent (rows keep their ids and the insert ignores ids already written) and bounded: a
 * file is read as a stream, a few batches per call, so a large spill neither fills memory nor
 * holds the writer; a line that is not a row is set aside, never retried.
 */
export class BatchSpill<T> {
  private readonly file: string;
  private pending: Promise<void> = Promise.resolve();
  private progress: Progress | null = null;

  constructor(
    private readonly dir: string,
    /** Names of this kind's files start with it ('request-logs'): each writer replays only its own. */
    private readonly stem: string,
    /** A spilled line as a row, or null when it is not one (a torn write, a foreign line). */
    private readonly revive: (line: string) => T | null,
    /** Lines that are not rows (a torn write): kept for a person to look at. */
    private readonly onBadLine: (line: string) => Promise<void>,
  ) {
    // Replicas may share the directory (one compose volume), and in containers every pid is 1.
    this.file = path.join(dir, `${stem}-${hostname()}-${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}.jsonl`);
  }

  /** Appends rows; writes are serialised so lines never interleave. */
  write(rows: T[]): Promise<void> {
    const text = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    this.pending = this.pending.then(async () => {
      await mkdir(this.dir, { recursive: true });
      await appendFile(this.file, text);
    });
    return this.pending;
  }

  /**
   * Hands up to `maxRows` spilled rows to `insert`, in batches of `batchSize` rows, or fewer once
   * their lines reach `maxBatchBytes`, and reports whether any are
   * left. Each file is claimed first (renamed, so that two replicas never replay one file) and
   * deleted once written; a failed insert leaves it claimed at the batch that failed, to go on
   * from there next time. Claims of a process that died are taken back.
   */
  async replay(insert: (rows: T[]) => Promise<void>, batchSize: number, maxRows: number, maxBatchBytes = Infinity): Promise<{ replayed: number; more: boolean }> {
    await this.pending;
    let replayed = 0;
    while (replayed < maxRows) {
      const progress = this.progress ?? (await this.claimNext());
      if (progress === null) return { replayed, more: false };
      this.progress = progress;
      const { rows, done } = await this.replayFrom(progress, insert, batchSize, maxRows - replayed, maxBatchBytes);
      replayed += rows;
      if (!done) return { replayed, more: true };
      await unlink(progress.claimed).catch(() => undefined);
      this.progress = null;
    }
    return { replayed, more: true };
  }

  async hasFiles(): Promise<boolean> {
    await this.reclaimAbandoned();
    return this.listSpills().then((names) => names.length > 0);
  }

  private async replayFrom(progress: Progress, insert: (rows: T[]) => Promise<void>, batchSize: number, maxRows: number, maxBatchBytes: number): Promise<{ rows: number; done: boolean }> {
    const stream = createReadStream(progress.claimed, { start: progress.offset, encoding: 'utf8' });
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    let batch: T[] = [];
    let batchBytes = 0;
    let written = 0;
    const flush = async () => {
      await insert(batch);
      progress.offset += batchBytes;
      written += batch.length;
      batch = [];
      batchBytes = 0;
    };
    try {
      for await (const line of lines) {
        const bytes = Buffer.byteLength(line) + 1;
        const row = line.trim() === '' ? null : this.revive(line);
        if (row === null) {
          if (line.trim() !== '') await this.onBadLine(line);
          // Skipped lines count as written once the batch before them is.
          batchBytes += bytes;
          continue;
        }
        batch.push(row);
        batchBytes += bytes;
        if (batch.length >= batchSize || batchBytes >= maxBatchBytes) {
          await flush();
          if (written >= maxRows) return { rows: written, done: false };
        }
      }
      if (batch.length > 0 || batchBytes > 0) await flush();
      return { rows: written, done: true };
    } finally {
      lines.close();
      stream.destroy();
    }
  }

  private async claimNext(): Promise<Progress | null> {
    for (const name of await this.listSpills()) {
      const source = path.join(this.dir, name);
      // Our own file too: the next spill starts a new one under the same name.
      const claimed = `${source}.replaying-${hostname()}-${process.pid}`;
      try {
        await rename(source, claimed);
        return { claimed, offset: 0 };
      } catch {
        // another process claimed it first
      }
    }
    return null;
  }

  private async listSpills(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => n.startsWith(`${this.stem}-`) && n.endsWith('.jsonl')).sort();
    } catch {
      return [];
    }
  }

  /** A claim whose process is gone would never be replayed: put it back. */
  private async reclaimAbandoned(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const m = CLAIM.exec(name);
      // Only a claim made on this host can be judged; another replica's is its own to finish.
      if (m === null || m[2] !== hostname() || isAlive(Number(m[3]))) continue;
      await rename(path.join(this.dir, name), path.join(this.dir, m[1])).catch(() => undefined);
    }
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
