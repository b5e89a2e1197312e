import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import { eventually } from '../../../../test/support/gateway-harness';
import { BatchWriter, type BatchTable, copyField, copyLine } from './batch-writer';

describe('COPY text', () => {
  it('escapes backslashes, newlines, carriage returns and tabs, and replaces U+0000', () => {
    expect(copyField('plain')).toBe('plain');
    expect(copyField('{"text":"a\\nb \\"q\\" \\\\"}')).toBe('{"text":"a\\\\nb \\\\"q\\\\" \\\\\\\\"}');
    expect(copyField('a\tb\nc\rd\0e\\f')).toBe('a\\tb\\nc\\rd\uFFFDe\\\\f');
    expect(copyField('\n')).toBe('\\n');
    expect(copyField('')).toBe('');
  });

  it('writes null, booleans, numbers and dates in the text format', () => {
    expect(copyLine([null, true, false, 3, new Date(0), 'x'])).toBe('\\N\tt\tf\t3\t1970-01-01T00:00:00.000Z\tx\n');
  });
});

describe('BatchWriter.holds', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'batch-writer-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('holds a row while it is buffered and while it is being spilled, not once it is in the spill file', async () => {
    const table: BatchTable<{ id: string }> = {
      label: 'test row',
      fileStem: 'test-rows',
      idOf: (r) => r.id,
      repair: () => false,
      copy: () => Promise.reject(new Error('no database here')),
      insert: () => Promise.reject(new Error('no database here')),
      revive: (line) => JSON.parse(line) as { id: string },
    };
    // Never started, nothing flushes: only the bound on buffered rows moves them (to the spill file).
    const writer = new BatchWriter({} as DataSource, table, { flushIntervalMs: 1_000, batchSize: 100, maxBufferedRows: 2, dataDir });
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
});
