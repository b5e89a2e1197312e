import { appendFile, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { errorMessage, type LogWriterConfig, SerialTask } from '@app/common';
import { BatchSpill } from './batch-spill';

/** One kind of row the batch writer keeps: how to write it, cut it short and read it back from a spill. */
export interface BatchTable<T> {
  /** What the rows are, in log messages ('request log'). */
  readonly label: string;
  /** Spill and dead-letter files of this kind start with it ('request-logs'). */
  readonly fileStem: string;
  /** For log messages about a refused row. */
  idOf(row: T): string;
  /** A row the database refused, as a new row with every text cut to `limit` characters. */
  cutShort(row: T, limit: number): T;
  /** The rows with COPY, inside the writer's transaction. */
  copy(client: PoolClient, rows: T[]): Promise<void>;
  /** Its COPY is binary (FORMAT binary): see isRowError. */
  readonly binaryCopy?: boolean;
  /** The rows with an INSERT that skips rows already written (a retried batch), inside the writer's transaction. */
  insert(client: PoolClient, rows: T[]): Promise<void>;
  /** A spilled line as a row, or null when it is not one. */
  revive(line: string): T | null;
  /** Memory the row holds (characters or bytes), for the buffer's bound (absent: rows are small). */
  sizeOf?(row: T): number;
  /**
   * Rows written, which nothing reads any more: their memory may be reused. Called once for each
   * row written from the buffer or a spill file; never for a row spilled from the buffer (a batch
   * being written may still hold it).
   */
  release?(rows: readonly T[]): void;
  /** Keeps a row the database refuses for a person to look at; absent: a dead-letter file. Throws to retry later. */
  deadLetter?(row: T, json: string, error: string): Promise<void>;
}

export interface BatchWriterOptions<T> extends LogWriterConfig {
  dataDir: string;
  /** Buffered size (BatchTable.sizeOf) past which the oldest rows go to the spill file. */
  maxBufferedSize?: number;
  /**
   * Size (BatchTable.sizeOf) a batch from the buffer holds at most, as `batchSize` bounds its
   * rows (a larger row alone): once this much waits it is written at once, not at the next
   * interval. While the database keeps up, large rows then wait about as long as one batch takes
   * to write, which bounds the memory they hold. Replays count their spill lines' bytes instead,
   * a batch ending with the line that reaches it.
   */
  batchBytes?: number;
  /**
   * Buffered size (BatchTable.sizeOf) past which producers are asked to wait (`room`) while the
   * database is up but behind: without it, a database slower than the traffic would let the rows
   * pile up in memory to `maxBufferedSize`, and a process killed then would lose all of them.
   */
  holdSize?: number;
  /** The longest a producer waits for room (ms): a database that stalls without failing slows requests, never stops them. */
  maxRoomWaitMs?: number;
}

// Spilled rows replayed per flush, in batches.
export const REPLAY_BATCHES_PER_FLUSH = 10;
const DEFAULT_MAX_ROOM_WAIT_MS = 1_000;
// A row refused even after its first repair is tried once more with every text this short.
const HARD_TEXT_LIMIT = 64;
const UNIQUE_VIOLATION = '23505';
const BAD_COPY_FILE_FORMAT = '22P04';

/**
 * These writes may be lost in a database crash (not a gateway crash) for a fraction of a second
 * of commits; in exchange the commit does not wait for the WAL flush. Rows here are already
 * answered to the client and have a spill file for outages, so a commit confirms hand-over, not
 * durability against power loss.
 */
const BEGIN_SQL = 'BEGIN; SET LOCAL synchronous_commit = off';

/**
 * Errors about the rows themselves, not the connection or the schema: a data exception (22: a
 * value out of range, an encoding), an integrity violation (23) or a program limit (54: an
 * index entry too large). Retrying the same batch could never succeed; the writer isolates the
 * rows at fault instead. A bad COPY file format (22P04) is a row's in COPY text (a field count
 * it gets wrong), but not in binary COPY, whose field counts the encoder fixes: there it can only
 * be a framing bug in every batch, which isolating would turn into every row a dead letter.
 */
export function isRowError(err: unknown, binaryCopy = false): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23|54)/.test(code) && !(binaryCopy && code === BAD_COPY_FILE_FORMAT);
}

/**
 * Why the database refused a row, with where it did: a binary field's refusal ("incorrect binary
 * data format") names neither the column nor the value, only the context does
 * ("COPY stored_responses, line 1, column virtual_key_id"). COPY text's context goes on with the
 * field's value (`: "..."`), which is row content: it is left out of logs and dead letters.
 */
export function refusal(err: unknown): string {
  const where = (err as { where?: unknown } | null)?.where;
  if (typeof where !== 'string' || where === '') return errorMessage(err);
  const value = where.indexOf(': "');
  return `${errorMessage(err)} (${value === -1 ? where : where.slice(0, value)})`;
}

type CopyValue = string | number | boolean | Date | null;

/** COPY text format: backslash, newline, carriage return and tab (the delimiter) are escaped; U+0000 cannot be stored. */
const COPY_SPECIAL = /[\\\n\r\t\0]/g;
const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\uFFFD' };

export function copyField(v: CopyValue): string {
  if (v === null) return '\\N';
  if (typeof v === 'string') return copyText(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (v instanceof Date) return isoTimestamp(v.getTime());
  return String(v);
}

/** 'YYYY-MM-DDTHH:MM:SS.' of the last few seconds met (seconds since the epoch ->). */
const secondPrefixes = new Map<number, string>();

/** `Date#toISOString`, the part down to the second kept for the last few seconds met: the rows written together come within seconds of each other. */
export function isoTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  let prefix = secondPrefixes.get(second);
  if (prefix === undefined) {
    if (secondPrefixes.size >= 8) secondPrefixes.clear();
    prefix = new Date(second * 1000).toISOString().slice(0, -4);
    secondPrefixes.set(second, prefix);
  }
  const milli = ms - second * 1000;
  return prefix + (milli < 10 ? '00' : milli < 100 ? '0' : '') + milli + 'Z';
}

// Strings up to this long are looked over in one check: five native searches cost more than it.
const SHORT_TEXT = 64;
// Up to this long, that check is a loop; past it, one regular expression test (its fixed cost
// outweighs the loop's only for short strings).
const TINY_TEXT = 16;
const COPY_SPECIAL_ONE = /[\\\n\r\t\0]/;

/**
 * A string as a COPY field. Most text (JSON above all, whose strings hold no raw control
 * characters) has nothing to escape but backslashes: a native search per character is several
 * times faster than a regular expression with a replacer over the whole text. Short strings (a
 * log row's ids, names and codes) are checked in one pass instead.
 */
function copyText(v: string): string {
  if (v.length <= SHORT_TEXT) {
    const plain = v.length <= TINY_TEXT ? isPlainCopyText(v) : !COPY_SPECIAL_ONE.test(v);
    return plain ? v : v.replace(COPY_SPECIAL, (c) => COPY_ESCAPES[c]);
  }
  if (v.includes('\n') || v.includes('\r') || v.includes('\t') || v.includes('\0')) return v.replace(COPY_SPECIAL, (c) => COPY_ESCAPES[c]);
  return v.includes('\\') ? v.replaceAll('\\', '\\\\') : v;
}

/** Nothing in `v` for COPY_SPECIAL to escape. */
function isPlainCopyText(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    // Backslash, or one of U+0000, tab, newline, carriage return (all at or below 13).
    if (c === 0x5c || (c <= 0x0d && (c === 0x0a || c === 0x0d || c === 0x09 || c === 0x00))) return false;
  }
  return true;
}

/** One COPY text line (tab-separated, newline-terminated) of the given values, joined once into a flat string. */
export function copyLine(values: readonly CopyValue[]): string {
  const last = values.length - 1;
  const fields = new Array<string>(last + 1);
  for (let i = 0; i < last; i++) fields[i] = copyField(values[i]);
  fields[last] = copyField(values[last]) + '\n';
  return fields.join('\t');
}

/**
 * The embedded database (PGlite behind pglite-socket) cannot take COPY FROM STDIN: the server
 * answers with FATAL 08P01 "protocol synchronization was lost", and after that the embedded
 * database stops answering every connection, not just this one. So it is recognised before
 * the first COPY, once per process, rather than by a first failure.
 */
async function acceptsCopyFromStdin(client: PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ version: string }>('SELECT version()');
  return !rows[0].version.includes('PGlite');
}

/**
 * Rows written behind the answer: an in-memory buffer written in batches (COPY, in a
 * transaction without a synchronous commit) on a short interval, or at once when a batch is
 * full. Nothing is lost when the database is away: rows wait in memory up to their bound, the
 * overflow (and whatever is left at shutdown) goes to a spill file, and spilled rows are
 * replayed once the database answers; replays are idempotent. A row the database refuses is
 * isolated from its batch, repaired and tried again, or set aside as a dead letter: no row
 * stops the rows behind it. Only a spill file that cannot be written drops rows, and they are
 * counted. Request logs and stored responses each have one.
 */
export class BatchWriter<T> {
  private readonly logger: Logger;
  private buffer: T[] = [];
  private bufferedSize = 0;
  /** Rows taken from the buffer for the spill file and not in it yet. */
  private readonly spilling = new Set<readonly T[]>();
  private timer: NodeJS.Timeout | null = null;
  private readonly flusher = new SerialTask(() => this.drain());
  private closed = false;
  private replayNeeded = false;
  /** The last write failed (the database away): enqueue leaves the retry to the interval. */
  private failing = false;
  /** Producers waiting for room (`room`), each woken once. */
  private readonly roomWaiters = new Set<() => void>();
  /** Whether the database takes COPY FROM STDIN; learnt with the first batch. */
  private copySupported: boolean | undefined;
  private readonly spill: BatchSpill<T>;
  private readonly deadLetterFile: string;
  /** Observable by tests and metrics. */
  readonly stats = { written: 0, spilled: 0, replayed: 0, dropped: 0, failedFlushes: 0, repaired: 0, deadLettered: 0 };

  constructor(
    private readonly dataSource: DataSource,
    private readonly table: BatchTable<T>,
    private readonly options: BatchWriterOptions<T>,
  ) {
    // Below a batch, what waits would start no write of its own: producers would wait for the interval.
    if (options.holdSize !== undefined && options.batchBytes !== undefined && options.holdSize < options.batchBytes) throw new Error('holdSize must be at least batchBytes');
    this.logger = new Logger(`BatchWriter(${table.label})`);
    this.deadLetterFile = path.join(options.dataDir, 'dead-letter', `${table.fileStem}-${process.pid}.jsonl`);
    this.spill = new BatchSpill<T>(path.join(options.dataDir, 'spill'), table.fileStem, (line) => table.revive(line), (line) =>
      this.deadLetterToFile(line, `not a ${table.label} row`),
    );
  }

  /** Starts the interval; rows a previous process could not write are replayed with the first flush. */
  async start(): Promise<void> {
    this.replayNeeded = await this.spill.hasFiles();
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  get buffered(): number {
    return this.buffer.length;
  }

  /** Producers waiting for room (`room`). */
  get waiting(): number {
    return this.roomWaiters.size;
  }

  /**
   * Whether a row `match` takes (any row, without one) is still on its way: buffered (a batch
   * being written stays in the buffer until it is) or being spilled. A scan, not an index kept
   * per row: it is asked only after a read missed.
   */
  holds(match?: (row: T) => boolean): boolean {
    if (match === undefined) return this.buffer.length > 0 || this.spilling.size > 0;
    if (this.buffer.some(match)) return true;
    for (const rows of this.spilling) if (rows.some(match)) return true;
    return false;
  }

  /**
   * Undefined when a new row may come at once (nearly always: nothing to await); otherwise a
   * promise that resolves once the buffer is back to `holdSize`, when a write fails (an outage
   * is for the spill file, not for the requests), at close, or after `maxRoomWaitMs`.
   */
  room(): Promise<void> | undefined {
    const hold = this.options.holdSize;
    if (hold === undefined || this.bufferedSize <= hold || this.failing || this.closed) return undefined;
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.roomWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.options.maxRoomWaitMs ?? DEFAULT_MAX_ROOM_WAIT_MS);
      this.roomWaiters.add(wake);
    });
  }

  private wakeRoomWaiters(): void {
    for (const wake of this.roomWaiters) wake();
  }

  /** `repaired`: the caller had to change the row to make it fit its columns (counted). */
  enqueue(row: T, repaired = false): void {
    if (repaired) this.stats.repaired++;
    this.buffer.push(row);
    if (this.table.sizeOf !== undefined) this.bufferedSize += this.table.sizeOf(row);
    const max = this.options.maxBufferedRows;
    if (this.buffer.length > max) void this.spillOldest(this.buffer.length - max + Math.floor(max / 10));
    else if (this.options.maxBufferedSize !== undefined && this.bufferedSize > this.options.maxBufferedSize) void this.spillOldest(Math.ceil(this.buffer.length / 10));
    if (this.fullBatchWaits() && !this.flusher.running && !this.closed && !this.failing) void this.flush();
  }

  /** Whether a whole batch waits, by rows or by size. */
  private fullBatchWaits(): boolean {
    const bytes = this.options.batchBytes;
    return this.buffer.length >= this.options.batchSize || (bytes !== undefined && this.bufferedSize >= bytes);
  }

  /** The rows of the next batch: the oldest, up to `batchSize` of them and `batchBytes` of their size (at least one). */
  private nextBatch(): T[] {
    const size = this.options.batchSize;
    const bytes = this.options.batchBytes;
    const sizeOf = this.table.sizeOf;
    if (bytes === undefined || sizeOf === undefined) return this.buffer.slice(0, size);
    let n = 0;
    let sum = 0;
    const limit = Math.min(size, this.buffer.length);
    while (n < limit) {
      sum += sizeOf(this.buffer[n]);
      if (n > 0 && sum > bytes) break;
      n++;
    }
    return this.buffer.slice(0, n);
  }

  /**
   * Writes everything buffered now (and replays spilled rows); one flush at a time. Called
   * during a flush, it waits for that one and then writes what is left, so that whatever was
   * enqueued before the call is written (or kept after a failure) when it resolves.
   */
  flush(): Promise<void> {
    return this.flusher.run();
  }

  /** Graceful shutdown: a few tries to write what is buffered, then the rest goes to the spill file. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.wakeRoomWaiters();
    // A few tries: the database may be briefly away at shutdown too.
    for (let i = 0; i < 4 && this.buffer.length > 0; i++) {
      await this.flush();
      if (this.buffer.length > 0) await new Promise((r) => setTimeout(r, 250 * (i + 1)));
    }
    await this.flusher.idle();
    if (this.buffer.length > 0) {
      this.logger.warn(`database unreachable at shutdown: ${this.buffer.length} ${this.table.label} rows go to the spill file`);
      await this.spillOldest(this.buffer.length);
    }
  }

  private take(count: number): T[] {
    const rows = this.buffer.splice(0, count);
    this.unaccount(rows);
    return rows;
  }

  private unaccount(rows: readonly T[]): void {
    const sizeOf = this.table.sizeOf;
    if (sizeOf === undefined) return;
    for (const r of rows) this.bufferedSize -= sizeOf(r);
    if (this.roomWaiters.size > 0 && this.bufferedSize <= (this.options.holdSize ?? Infinity)) this.wakeRoomWaiters();
  }

  private spillOldest(count: number): Promise<void> {
    const rows = this.take(count);
    this.spilling.add(rows);
    return this.spill.write(rows).then(
      () => {
        this.spilling.delete(rows);
        this.stats.spilled += rows.length;
        this.replayNeeded = true;
      },
      (err: unknown) => {
        this.spilling.delete(rows);
        this.stats.dropped += rows.length;
        this.logger.error(`could not spill ${rows.length} ${this.table.label} rows, they are lost: ${errorMessage(err)}`);
      },
    );
  }

  /**
   * Writes the rows buffered when it starts; a full batch (rows or size) that came meanwhile is
   * written by a flush of its own, queued as this one ends. Few large commits: rows that come
   * during a write wait for the interval unless they fill a batch. And a caller of `flush` waits
   * for the rows buffered when its flush started, not for every full batch that comes after.
   */
  private async drain(): Promise<void> {
    const size = this.options.batchSize;
    let owed = this.buffer.length;
    while (this.buffer.length > 0 && owed > 0) {
      const batch = this.nextBatch();
      owed -= batch.length;
      try {
        await this.write(batch);
        this.failing = false;
      } catch (err) {
        this.failing = true;
        this.wakeRoomWaiters();
        this.stats.failedFlushes++;
        this.logger.warn(`${this.table.label} flush failed, ${this.buffer.length} rows kept for retry: ${errorMessage(err)}`);
        return;
      }
      // Rows enqueued meanwhile were appended behind the batch; only a spill can have moved it.
      if (this.buffer[0] === batch[0]) {
        // Taken whether or not the table releases rows (`release?.(take())` would not take).
        const written = this.take(batch.length);
        this.table.release?.(written);
      } else {
        const written = new Set(batch);
        const kept = this.buffer.filter((r) => !written.has(r));
        const left = this.buffer.filter((r) => written.has(r));
        this.unaccount(left);
        this.table.release?.(left);
        this.buffer = kept;
      }
      this.stats.written += batch.length;
    }
    // Live rows first: while producers wait for room, spilled rows wait for a drain without them.
    if (this.replayNeeded && this.roomWaiters.size === 0) {
      this.replayNeeded = false;
      try {
        // A few batches per flush: the rows of live requests are never held up for long.
        const replay = async (rows: T[]) => {
          await this.write(rows);
          this.table.release?.(rows);
        };
        const { replayed, more } = await this.spill.replay(replay, size, size * REPLAY_BATCHES_PER_FLUSH, this.options.batchBytes);
        this.stats.replayed += replayed;
        this.stats.written += replayed;
        this.replayNeeded = more;
      } catch (err) {
        this.replayNeeded = true;
        this.logger.warn(`replaying spilled ${this.table.label} rows failed, will retry: ${errorMessage(err)}`);
      }
    }
    // Queued behind this run (SerialTask): it starts once this one is over.
    if (this.buffer.length > 0 && this.fullBatchWaits() && !this.closed) void this.flush();
  }

  /**
   * Writes a batch; when the database refuses something in the rows themselves, the batch is
   * split in halves until the rows at fault are alone. Such a row is repaired harder (every text
   * cut short) and tried once more, and kept as a dead letter if it is still refused. Other
   * errors (the database away) are thrown: the batch is kept and retried whole, which the
   * idempotent insert allows.
   */
  private async write(rows: T[]): Promise<void> {
    try {
      await this.insert(rows);
    } catch (err) {
      if (!isRowError(err, this.table.binaryCopy)) throw err;
      await this.isolate(rows, err);
    }
  }

  private async isolate(rows: T[], cause: unknown): Promise<void> {
    if (rows.length === 1) {
      const row = rows[0];
      const repaired = this.table.cutShort(row, HARD_TEXT_LIMIT);
      try {
        await this.insert([repaired]);
        this.stats.repaired++;
        this.logger.warn(`${this.table.label} row ${this.table.idOf(row)} was refused (${refusal(cause)}); stored with its text cut short`);
        return;
      } catch (err) {
        if (!isRowError(err, this.table.binaryCopy)) throw err;
        await this.deadLetter(row, err);
        return;
      }
    }
    const half = Math.ceil(rows.length / 2);
    for (const part of [rows.slice(0, half), rows.slice(half)]) await this.write(part);
  }

  private async deadLetter(row: T, cause: unknown): Promise<void> {
    const error = refusal(cause).slice(0, 1000);
    const json = JSON.stringify(row);
    this.logger.error(`${this.table.label} row ${this.table.idOf(row)} refused by the database and kept as a dead letter: ${error}`);
    if (this.table.deadLetter === undefined) return this.deadLetterToFile(json, error);
    try {
      await this.table.deadLetter(row, json, error);
      this.stats.deadLettered++;
    } catch (err) {
      if (!isRowError(err)) throw err;
      await this.deadLetterToFile(json, error);
    }
  }

  private async deadLetterToFile(line: string, error: string): Promise<void> {
    try {
      await mkdir(path.dirname(this.deadLetterFile), { recursive: true });
      await appendFile(this.deadLetterFile, JSON.stringify({ error, row: line }) + '\n');
      this.stats.deadLettered++;
    } catch (err) {
      this.stats.dropped++;
      this.logger.error(`could not keep a dead-letter ${this.table.label} row, it is lost: ${errorMessage(err)}`);
    }
  }

  /**
   * One transaction without a synchronous commit. COPY writes nothing when one of the ids exists
   * (unique_violation): some of these rows were committed by an earlier attempt whose answer
   * was lost. The batch is then written again with the INSERT that skips rows already there.
   * Any other error is thrown: the rows stay buffered (or in their spill file) for the next flush.
   */
  private async insert(rows: T[]): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const client: PoolClient = await runner.connect();
      this.copySupported ??= await acceptsCopyFromStdin(client);
      if (this.copySupported) {
        try {
          await this.inTransaction(client, () => this.table.copy(client, rows));
          return;
        } catch (err) {
          if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
        }
      }
      await this.inTransaction(client, () => this.table.insert(client, rows));
    } finally {
      await runner.release();
    }
  }

  private async inTransaction(client: PoolClient, work: () => Promise<void>): Promise<void> {
    await client.query(BEGIN_SQL);
    try {
      await work();
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}

/**
 * A provider that owns one batch writer: started with the module, closed (written or spilled)
 * at shutdown, its counters observable by tests and metrics.
 */
export abstract class BatchWriterHost<T> implements OnModuleInit, OnApplicationShutdown {
  protected abstract readonly writer: BatchWriter<T>;

  get stats(): BatchWriter<T>['stats'] {
    return this.writer.stats;
  }

  get buffered(): number {
    return this.writer.buffered;
  }

  /** BatchWriter.room: undefined when a new row may come at once. */
  room(): Promise<void> | undefined {
    return this.writer.room();
  }

  /** Producers waiting for room. */
  get waiting(): number {
    return this.writer.waiting;
  }

  onModuleInit(): Promise<void> {
    return this.writer.start();
  }

  /** Writes everything buffered now; what was enqueued before the call is written (or kept) when it resolves. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  onApplicationShutdown(): Promise<void> {
    return this.writer.close();
  }
}
