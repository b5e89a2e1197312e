import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import { eventually } from '../../../../test/support/gateway-harness';
import { BatchWriter, type BatchTable, copyField, copyLine, isoTimestamp, refusal } from './batch-writer';

describe('COPY text', () => {
  it('escapes backslashes, newlines, carriage returns and tabs, and replaces U+0000', () => {
    expect(copyField('plain')).toBe('plain');
    expect(copyField('{"text":"a\\nb \\"q\\" \\\\"}')).toBe('{"text":"a\\\\nb \\\\"q\\\\" \\\\\\\\"}');
    expect(copyField('a\tb\nc\rd\0e\\f')).toBe('a\\tb\\nc\\rd\uFFFDe\\\\f');
    expect(copyField('\n')).toBe('\\n');
    expect(copyField('')).toBe('');
  });

  it('escapes each special character alone, in short strings and long ones alike', () => {
    const long = 'x'.repeat(100);
    const escaped: [string, string][] = [['\\', '\\\\'], ['\n', '\\n'], ['\r', '\\r'], ['\t', '\\t'], ['\0', '\uFFFD']];
    for (const [c, out] of escaped) {
      expect(copyField(`a${c}b`)).toBe(`a${out}b`);
      expect(copyField(`${long}${c}`)).toBe(`${long}${out}`);
      expect(copyField(`${c}${long}`)).toBe(`${out}${long}`);
      // Either side of the lengths where the loop gives way to one regular expression, and that to native searches.
      for (const n of [14, 15, 16, 17, 62, 63, 64, 65]) {
        expect(copyField(`${'y'.repeat(n)}${c}`)).toBe(`${'y'.repeat(n)}${out}`);
        expect(copyField(`${c}${'y'.repeat(n)}`)).toBe(`${out}${'y'.repeat(n)}`);
      }
    }
    expect(copyField(`${long}\u000b\u001f\u00e9`)).toBe(`${long}\u000b\u001f\u00e9`);
    expect(copyField('\u000b\u001f\u00e9\u{1f600}')).toBe('\u000b\u001f\u00e9\u{1f600}');
    expect(copyField('\u000b\u001f\u00e9\u{1f600}'.repeat(5))).toBe('\u000b\u001f\u00e9\u{1f600}'.repeat(5));
  });

  it('writes null, booleans, numbers and dates in the text format', () => {
    expect(copyLine([null, true, false, 3, new Date(0), 'x'])).toBe('\\N\tt\tf\t3\t1970-01-01T00:00:00.000Z\tx\n');
  });

  it('escapes every field of a line, the last one and a line of one field included', () => {
    expect(copyLine(['a\tb', null, 'c\nd'])).toBe('a\\tb\t\\N\tc\\nd\n');
    expect(copyLine(['\\'])).toBe('\\\\\n');
    expect(copyLine([null])).toBe('\\N\n');
  });
});

type IdRow = { id: string };

/** A table of rows that are an id only; `fields` replaces what a test needs. */
function idTable(fields: Partial<BatchTable<IdRow>> = {}): BatchTable<IdRow> {
  return {
    label: 'test row',
    fileStem: 'test-rows',
    idOf: (r) => r.id,
    cutShort: (r) => r,
    copy: () => Promise.reject(new Error('no database here')),
    insert: () => Promise.reject(new Error('no database here')),
    revive: (line) => JSON.parse(line) as IdRow,
    ...fields,
  };
}

/** A database that takes every statement: rows go to the table's copy. */
function acceptingDataSource(): DataSource {
  const client = { query: async (sql: string) => (sql === 'SELECT version()' ? { rows: [{ version: 'PostgreSQL 16' }] } : {}) };
  return { createQueryRunner: () => ({ connect: async () => client, release: async () => undefined }) } as unknown as DataSource;
}

describe('BatchWriter', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'batch-writer-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('holds a row while it is buffered and while it is being spilled, not once it is in the spill file', async () => {
    // Never started, nothing flushes: only the bound on buffered rows moves them (to the spill file).
    const writer = new BatchWriter({} as DataSource, idTable(), { flushIntervalMs: 1_000, batchSize: 100, maxBufferedRows: 2, dataDir });
    const [a, b, c] = ['a', 'b', 'c'].map((id) => ({ id }));
    expect(writer.holds()).toBe(false);
    writer.enqueue(a);
    writer.enqueue(b);
    expect(writer.holds((r) => r.id === 'b')).toBe(true);
    expect(writer.holds((r) => r.id === 'c')).toBe(false);
    // Past the bound: the oldest row leaves the buffer for the spill file.
    writer.enqueue(c);
    expect(writer.buffered).toBe(2);
    expect(writer.holds((r) => r === a)).toBe(true);
    await eventually(() => writer.stats.spilled === 1);
    expect(writer.holds((r) => r === a)).toBe(false);
    expect(writer.holds((r) => r === c)).toBe(true);
    expect(writer.holds()).toBe(true);
  });

  it('releases each row once, after it is written from the buffer or the spill file, never one spilled while its batch is being written', async () => {
    let open: () => void = () => undefined;
    const copied: string[][] = [];
    const released: IdRow[] = [];
    const table = idTable({
      copy: async (_client, rows) => {
        copied.push(rows.map((r) => r.id));
        if (copied.length === 1) await new Promise<void>((resolve) => (open = resolve));
      },
      release: (rows) => released.push(...rows),
    });
    const writer = new BatchWriter(acceptingDataSource(), table, { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 4, dataDir });
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id }));
    for (const r of [a, b, c]) writer.enqueue(r);
    const first = writer.flush();
    await eventually(() => copied.length === 1);
    // While a, b and c are being written, the bound sends the oldest (a) to the spill file.
    for (const r of [d, e]) writer.enqueue(r);
    await eventually(() => writer.stats.spilled === 1);
    open();
    await first;
    // b and c written from the buffer; a, spilled meanwhile, only as the row read back from the spill file.
    expect(copied).toEqual([['a', 'b', 'c'], ['a']]);
    expect(released[0]).toBe(b);
    expect(released[1]).toBe(c);
    expect(released[2]).not.toBe(a);
    expect(released[2]).toEqual(a);
    await writer.flush();
    expect(copied.slice(2)).toEqual([['d', 'e']]);
    expect(released.slice(3)).toEqual([d, e]);
    expect(released[3]).toBe(d);
    expect(released).toHaveLength(5);
  });

  it('takes written rows out of the buffer for a table that does not release them', async () => {
    const copied: string[] = [];
    const table = idTable({
      copy: async (_client, rows) => {
        copied.push(...rows.map((r) => r.id));
      },
    });
    const writer = new BatchWriter(acceptingDataSource(), table, { flushIntervalMs: 60_000, batchSize: 2, maxBufferedRows: 100, dataDir });
    for (const id of ['a', 'b', 'c']) writer.enqueue({ id });
    await writer.flush();
    expect(copied).toEqual(['a', 'b', 'c']);
    expect(writer.buffered).toBe(0);
  });
  /** A table of rows `<id>:<size>` whose copy is recorded, and held while `gate` says so. */
  function sizedTable(copied: string[][], gate?: { held: boolean; open?: () => void }): BatchTable<IdRow> {
    return idTable({
      copy: async (_client, rows) => {
        copied.push(rows.map((r) => r.id));
        if (gate?.held) await new Promise<void>((resolve) => (gate.open = resolve));
      },
      sizeOf: (r) => Number(r.id.split(':')[1]),
    });
  }

  it('writes as soon as batchBytes wait, in batches of at most batchBytes (a larger row alone), and only what waited then', async () => {
    const copied: string[][] = [];
    const dataSource = acceptingDataSource();
    const connect = jest.spyOn(dataSource, 'createQueryRunner');
    // The interval never comes within the test: only the size of what waits starts a write.
    const writer = new BatchWriter(dataSource, sizedTable(copied), { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 100, dataDir, batchBytes: 10 });
    const flush = jest.spyOn(writer, 'flush');
    writer.enqueue({ id: 'a:4' });
    writer.enqueue({ id: 'b:4' });
    expect(flush).not.toHaveBeenCalled();
    // 12 wait: every row buffered is written, in batches within 10.
    writer.enqueue({ id: 'c:4' });
    expect(flush).toHaveBeenCalledTimes(1);
    await eventually(() => writer.stats.written === 3);
    expect(copied).toEqual([['a:4', 'b:4'], ['c:4']]);
    // A row larger than a batch is a batch of its own; one that comes while it is written, under the bound, waits for the next flush.
    writer.enqueue({ id: 'd:25' });
    writer.enqueue({ id: 'e:1' });
    await eventually(() => writer.stats.written === 4);
    expect(copied[2]).toEqual(['d:25']);
    expect(connect).toHaveBeenCalledTimes(3);
    expect(writer.buffered).toBe(1);
    await writer.flush();
    expect(copied.slice(3)).toEqual([['e:1']]);
  });

  it('writes the full batches that came during a write with flushes of their own, and a caller of flush waits only for what was buffered', async () => {
    const copied: string[][] = [];
    const gate: { held: boolean; open?: () => void } = { held: true };
    const writer = new BatchWriter(acceptingDataSource(), sizedTable(copied, gate), { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 100, dataDir, batchBytes: 10 });
    writer.enqueue({ id: 'a:10' });
    await eventually(() => copied.length === 1);
    // While a is written, two full batches come: written with no enqueue or flush after.
    for (const id of ['b:6', 'c:6', 'd:10']) writer.enqueue({ id });
    gate.held = false;
    gate.open!();
    await eventually(() => writer.stats.written === 4);
    expect(copied).toEqual([['a:10'], ['b:6'], ['c:6'], ['d:10']]);
    // Every write brings another full batch, 20 in all: a flush asked for meanwhile ends long before they do.
    let more = 0;
    const stream = new BatchWriter(acceptingDataSource(), idTable({
      copy: async (_client, rows) => {
        copied.push(rows.map((r) => r.id));
        if (more < 20) stream.enqueue({ id: `s${more++}:10` });
      },
      sizeOf: (r) => Number(r.id.split(':')[1]),
    }), { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 100, dataDir, batchBytes: 10 });
    copied.length = 0;
    stream.enqueue({ id: 'first:10' });
    await stream.flush();
    expect(copied.length).toBeLessThanOrEqual(3);
    await eventually(() => stream.stats.written === 21);
    expect(copied.flat()).toEqual(['first:10', ...Array.from({ length: 20 }, (_, i) => `s${i}:10`)]);
  });

  it('leaves retries to the interval while the database is away, however much waits, and starts at once again after a write that succeeds', async () => {
    let away = true;
    const client = { query: async (sql: string) => (sql === 'SELECT version()' ? { rows: [{ version: 'PostgreSQL 16' }] } : {}) };
    const connect = jest.fn(() => (away ? Promise.reject(new Error('connection refused')) : Promise.resolve(client)));
    const dataSource = { createQueryRunner: () => ({ connect, release: async () => undefined }) } as unknown as DataSource;
    const copied: string[][] = [];
    const writer = new BatchWriter(dataSource, sizedTable(copied), { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 100, dataDir, batchBytes: 10 });
    writer.enqueue({ id: 'a:10' });
    await eventually(() => writer.stats.failedFlushes === 1);
    for (const id of ['b:10', 'c:10', 'd:10']) writer.enqueue({ id });
    await writer.flush();
    // The enqueues after the failure started nothing: one attempt, then the explicit flush's.
    expect(writer.stats.failedFlushes).toBe(2);
    expect(writer.buffered).toBe(4);
    away = false;
    await writer.flush();
    expect(writer.buffered).toBe(0);
    // Written again: a full batch starts its flush from the enqueue.
    const flush = jest.spyOn(writer, 'flush');
    writer.enqueue({ id: 'e:10' });
    expect(flush).toHaveBeenCalledTimes(1);
    await eventually(() => writer.stats.written === 5);
  });

  it('asks producers to wait while more than holdSize waits, and lets them on once a write brings it back', async () => {
    const copied: string[][] = [];
    const gate: { held: boolean; open?: () => void } = { held: true };
    // Waits end only by a write here: none by timeout within the test.
    const writer = new BatchWriter(acceptingDataSource(), sizedTable(copied, gate), { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 100, dataDir, batchBytes: 10, holdSize: 15, maxRoomWaitMs: 60_000 });
    expect(writer.room()).toBeUndefined();
    writer.enqueue({ id: 'a:10' });
    await eventually(() => copied.length === 1);
    // a (being written) and b: 16 wait, past the hold.
    writer.enqueue({ id: 'b:6' });
    const waits = [writer.room(), writer.room()];
    let woken = 0;
    for (const w of waits) void w!.then(() => woken++);
    expect(writer.waiting).toBe(2);
    await new Promise(setImmediate);
    expect(woken).toBe(0);
    // a written: 6 wait, both producers go on.
    gate.held = false;
    gate.open!();
    await eventually(() => woken === 2);
    expect(writer.waiting).toBe(0);
    expect(writer.room()).toBeUndefined();
  });

  it('never holds producers while the database is away, at close, or past maxRoomWaitMs', async () => {
    const away = { createQueryRunner: () => ({ connect: () => Promise.reject(new Error('connection refused')), release: async () => undefined }) } as unknown as DataSource;
    const failing = new BatchWriter(away, sizedTable([]), { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 100, dataDir, batchBytes: 10, holdSize: 15, maxRoomWaitMs: 60_000 });
    // a starts a write, which fails once the connection is refused; b past the hold meanwhile.
    failing.enqueue({ id: 'a:10' });
    failing.enqueue({ id: 'b:10' });
    const waiting = failing.room();
    expect(failing.waiting).toBe(1);
    // The failed write wakes the producer that waited, and lets the next ones on at once: an outage is the spill file's.
    await waiting;
    expect(failing.stats.failedFlushes).toBe(1);
    expect(failing.room()).toBeUndefined();

    const gate: { held: boolean; open?: () => void } = { held: true };
    const atClose = new BatchWriter(acceptingDataSource(), sizedTable([], gate), { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 100, dataDir, batchBytes: 10, holdSize: 10, maxRoomWaitMs: 60_000 });
    atClose.enqueue({ id: 'a:10' });
    atClose.enqueue({ id: 'b:10' });
    const held = atClose.room();
    expect(atClose.waiting).toBe(1);
    const closing = atClose.close();
    await held;
    expect(atClose.room()).toBeUndefined();
    await eventually(() => gate.open !== undefined);
    gate.held = false;
    gate.open!();
    await closing;

    const stalledGate: { held: boolean; open?: () => void } = { held: true };
    const stalled = new BatchWriter(acceptingDataSource(), sizedTable([], stalledGate), { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 100, dataDir, batchBytes: 10, holdSize: 10, maxRoomWaitMs: 30 });
    stalled.enqueue({ id: 'a:10' });
    stalled.enqueue({ id: 'b:10' });
    const started = Date.now();
    await stalled.room();
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(stalled.waiting).toBe(0);
    await eventually(() => stalledGate.open !== undefined);
    stalledGate.held = false;
    stalledGate.open!();
    await stalled.close();
  });

  it('keeps a refused row as a dead letter with the error and where the database met it', async () => {
    const refused = Object.assign(new Error('incorrect binary data format'), { code: '22P03', where: 'COPY stored_responses, line 1, column virtual_key_id' });
    const letters: string[] = [];
    const writer = new BatchWriter(acceptingDataSource(), idTable({
      copy: () => Promise.reject(refused),
      deadLetter: async (_row, _json, error) => void letters.push(error),
    }), { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 100, dataDir });
    writer.enqueue({ id: 'a' });
    await writer.flush();
    expect(letters).toEqual(['incorrect binary data format (COPY stored_responses, line 1, column virtual_key_id)']);
  });

  it("names where COPY text's refusal was met, without the field's value (row content)", () => {
    const refused = Object.assign(new Error('invalid input syntax for type uuid: "secret"'), { code: '22P02', where: 'COPY request_logs, line 3, column virtual_key_id: "secret"' });
    expect(refusal(refused)).toBe('invalid input syntax for type uuid: "secret" (COPY request_logs, line 3, column virtual_key_id)');
    expect(refusal(new Error('no context'))).toBe('no context');
  });

  it('isolates rows on a bad COPY file format (22P04) in COPY text, but keeps the batch for retry in binary COPY, where it is a framing bug', async () => {
    const badFormat = Object.assign(new Error('row field count is 12, expected 13'), { code: '22P04' });
    const letters: string[] = [];
    const tables = [false, true].map((binaryCopy) => idTable({
      binaryCopy, copy: () => Promise.reject(badFormat), deadLetter: async (row) => void letters.push(row.id),
    }));
    const text = new BatchWriter(acceptingDataSource(), tables[0], { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 100, dataDir });
    for (const id of ['a', 'b']) text.enqueue({ id });
    await text.flush();
    expect(letters).toEqual(['a', 'b']);
    const binary = new BatchWriter(acceptingDataSource(), tables[1], { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 100, dataDir });
    for (const id of ['c', 'd']) binary.enqueue({ id });
    await binary.flush();
    expect(letters).toEqual(['a', 'b']);
    expect(binary.stats.failedFlushes).toBe(1);
    expect(binary.buffered).toBe(2);
  });

  it('refuses a hold below a batch, which no write would ever start', () => {
    expect(() => new BatchWriter({} as DataSource, idTable(), { flushIntervalMs: 1_000, batchSize: 100, maxBufferedRows: 100, dataDir, batchBytes: 10, holdSize: 5 })).toThrow('holdSize');
  });

  it('replays no spilled rows while producers wait for room: live rows go first', async () => {
    // Spilled by a writer that never flushes: every row past the first goes to the spill file.
    const spiller = new BatchWriter({} as DataSource, sizedTable([]), { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 1, dataDir, batchBytes: 1_000 });
    for (const id of ['s1:1', 's2:1', 's3:1']) spiller.enqueue({ id });
    await eventually(() => spiller.stats.spilled === 2);
    const copied: string[][] = [];
    const gate: { held: boolean; open?: () => void } = { held: true };
    const writer = new BatchWriter(acceptingDataSource(), sizedTable(copied, gate), { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 100, dataDir, batchBytes: 10, holdSize: 10, maxRoomWaitMs: 60_000 });
    await writer.start();
    // a is written first; b and c are past the hold while it is, and their producer waits.
    for (const id of ['a:10', 'b:10', 'c:10']) writer.enqueue({ id });
    const held = writer.room();
    expect(writer.waiting).toBe(1);
    await eventually(() => gate.open !== undefined);
    gate.held = false;
    gate.open!();
    await held;
    await eventually(() => writer.stats.written === 5);
    // Without the rule, the drain that wrote a would have replayed the spilled rows before b and c.
    expect(copied.flat()).toEqual(['a:10', 'b:10', 'c:10', 's1:1', 's2:1']);
    await writer.close();
  });

  it('replays spilled rows in batches that stop once their lines reach batchBytes', async () => {
    // Spilled by a writer that never flushes: every row past the first goes to the spill file.
    const spiller = new BatchWriter({} as DataSource, sizedTable([]), { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 1, dataDir, batchBytes: 1_000 });
    for (const id of ['a:1', 'b:1', 'c:1', 'd:1', 'e:1', 'f:1']) spiller.enqueue({ id });
    await eventually(() => spiller.stats.spilled === 5);
    const copied: string[][] = [];
    // Each line is 13 bytes ({"id":"a:1"} and its newline): a batch stops at the third.
    const writer = new BatchWriter(acceptingDataSource(), sizedTable(copied), { flushIntervalMs: 60_000, batchSize: 100, maxBufferedRows: 100, dataDir, batchBytes: 39 });
    await writer.start();
    await writer.flush();
    expect(copied).toEqual([['a:1', 'b:1', 'c:1'], ['d:1', 'e:1']]);
    await writer.close();
  });
});

describe('isoTimestamp', () => {
  it('is Date#toISOString', () => {
    const times = [0, -1, 1, 999, 1_000, 86_399_999, 951_782_400_000, 1_765_000_000_123, 253_402_300_799_999, 253_402_300_800_000, -62_198_755_200_001, 8.64e15, -8.64e15];
    for (let i = 0; i < 2_000; i++) times.push(Math.floor((Math.random() - 0.5) * 1.6e14));
    for (const t of times) expect(isoTimestamp(t)).toBe(new Date(t).toISOString());
  });
});
