import { appendFile, mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import * as path from 'node:path';
import type { RequestLogRow } from './request-log.writer';

/**
 * Request log rows that cannot reach the database in time go to JSON-lines files here, and
 * are replayed once it answers again (also by the next process to start). Replays are
 * idempotent: rows keep their ids and the insert ignores ids already written.
 */
export class LogSpill {
  private readonly file: string;
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {
    // Replicas may share the directory (one compose volume), and in containers every pid is 1.
    this.file = path.join(dir, `request-logs-${hostname()}-${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}.jsonl`);
  }

  /** Appends rows; writes are serialised so lines never interleave. */
  write(rows: RequestLogRow[]): Promise<void> {
    const text = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    this.pending = this.pending.then(async () => {
      await mkdir(this.dir, { recursive: true });
      await appendFile(this.file, text);
    });
    return this.pending;
  }

  /**
   * Claims every spill file (renaming it, so two replicas never replay one file), hands its
   * rows to `insert`, and deletes it once they are in. A file whose insert fails is put back.
   */
  async replay(insert: (rows: RequestLogRow[]) => Promise<void>, batchSize: number): Promise<number> {
    await this.pending;
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.jsonl'));
    } catch {
      return 0;
    }
    let replayed = 0;
    for (const name of names) {
      const source = path.join(this.dir, name);
      const claimed = `${source}.replaying-${hostname()}-${process.pid}`;
      try {
        await rename(source, claimed);
      } catch {
        continue; // another process claimed it, or our own writer is about to append: next time
      }
      const rows = (await readFile(claimed, 'utf8'))
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map(reviveRow);
      try {
        for (let i = 0; i < rows.length; i += batchSize) await insert(rows.slice(i, i + batchSize));
      } catch (err) {
        await rename(claimed, source).catch(() => undefined);
        throw err;
      }
      await unlink(claimed);
      replayed += rows.length;
    }
    return replayed;
  }

  hasFiles(): Promise<boolean> {
    return readdir(this.dir).then(
      (names) => names.some((n) => n.endsWith('.jsonl')),
      () => false,
    );
  }
}

function reviveRow(line: string): RequestLogRow {
  const row = JSON.parse(line) as RequestLogRow & { createdAt: string };
  return { ...row, createdAt: new Date(row.createdAt) };
}
