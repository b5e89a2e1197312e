import { Client, type PoolClient } from 'pg';
import { copyLine, isRowError } from '../../apps/gateway/src/storage/batch-writer';
import { CopyIn } from '../../apps/gateway/src/storage/copy-in';
import type { StoredResponseRow, StoredStatus } from '../../apps/gateway/src/state/stored-response';
import { toJsonb } from '../../apps/gateway/src/state/stored-response';
import { itemTuplesEnd, itemTuplesStart, responseTupleStart, StoredRowEncoder } from '../../apps/gateway/src/state/stored-row-text';
import { describeWhen, NEEDS_DATABASE_URL } from '../support/describe-when';
import { seededRandom } from '../support/seeded-random';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env.config';

const RESPONSE_COLUMNS = 'id,virtual_key_id,created_at,expires_at,status,background,model,previous_response_id,request_json,input_items_json,response_json,error_json,heartbeat_at';
const ITEM_COLUMNS = 'response_id,position,source,virtual_key_id,item_id,created_at';
// Every column as the server prints it: what it stored, compared byte for byte.
const STORED_RESPONSES = `SELECT ${RESPONSE_COLUMNS.split(',').map((c) => `${c}::text`).join(',')} FROM stored_responses ORDER BY id COLLATE "C"`;
const STORED_ITEMS = `SELECT ${ITEM_COLUMNS.split(',').map((c) => `${c}::text`).join(',')} FROM stored_items ORDER BY response_id COLLATE "C", source, position`;

// What COPY text escapes or looks like its markers, U+0000, control characters, multi-byte and astral characters, lone surrogates.
const PIECES = ['a', 'Z', ' ', '\t', '\n', '\r', '\\', '\\N', '\\.', '\0', '\u0001', '\u001f', '\u007f', 'é', '漢', '😀', '\u2028', '\ud800', '\udfff', 'N', '"', '{}'];

function text(rnd: () => number, max: number): string {
  let s = '';
  const n = Math.floor(rnd() * max);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rnd() * PIECES.length)];
  return s;
}

/** JSON text: generated strings as JSON.stringify writes them, `\u0000` escapes written out, raw multi-byte text. */
function json(rnd: () => number): string {
  const kind = Math.floor(rnd() * 4);
  if (kind === 0) return JSON.stringify({ text: text(rnd, 40), n: Math.floor(rnd() * 1e9) / 1e3, list: [text(rnd, 5), null, true] });
  if (kind === 1) return `{"escaped":"\\u0000 \\ud800 \\n \\\\ \\"","raw":"é 漢 😀 ${'x'.repeat(Math.floor(rnd() * 3000))}"}`;
  if (kind === 2) return JSON.stringify([text(rnd, 10)]);
  return '{}';
}

const MS_PER_YEAR = 365.2425 * 86_400_000;
const YEAR_1 = new Date(0).setUTCFullYear(1, 0, 1);
const YEAR_10000 = new Date(0).setUTCFullYear(10_000, 0, 1);
// Times at the edges of the binary form's arithmetic and of what the text form could write (years 1 to 9999).
const EDGE_TIMES = [
  0, Date.UTC(2000, 0, 1), Date.UTC(2000, 0, 1) - 1, Date.UTC(2000, 0, 1) + 1, Date.UTC(1999, 11, 31, 23, 59, 59, 999), YEAR_1, YEAR_10000 - 1,
  Date.UTC(2255, 0, 1), Date.UTC(1745, 0, 1), -1, 1_700_000_000_123,
];

function time(rnd: () => number, i: number): Date {
  if (i < EDGE_TIMES.length) return new Date(EDGE_TIMES[i]);
  return new Date(YEAR_1 + Math.floor(rnd() * (YEAR_10000 - YEAR_1)));
}

const STATUSES: StoredStatus[] = ['queued', 'in_progress', 'completed', 'incomplete', 'failed', 'cancelled'];
const POSITIONS = [0, 1, 2 ** 31 - 1, -(2 ** 31), 7];

function uuid(rnd: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rnd() * 16).toString(16)).join('');
  const u = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  // uuid_in's other spellings: upper case, braces, no hyphens, a hyphen after any group of four.
  const form = Math.floor(rnd() * 5);
  if (form === 0) return u.toUpperCase();
  if (form === 1) return `{${u}}`;
  if (form === 2) return hex;
  if (form === 3) return hex.replace(/(.{4})/g, '$1-').slice(0, -1);
  return u;
}

function generatedRows(count: number): StoredResponseRow[] {
  const rnd = seededRandom(42);
  return Array.from({ length: count }, (_, i) => {
    const status = STATUSES[i % STATUSES.length];
    const createdAt = time(rnd, i);
    return {
      id: `resp_${i}_${text(rnd, 6)}`,
      keyId: uuid(rnd),
      createdAt: createdAt.getTime(),
      expiresAt: i % 7 === 0 ? createdAt.getTime() : new Date(Math.min(YEAR_10000 - 1, createdAt.getTime() + rnd() * 40 * MS_PER_YEAR)).getTime(),
      status,
      background: rnd() < 0.5,
      model: text(rnd, 30),
      previousResponseId: rnd() < 0.5 ? null : text(rnd, 20),
      requestJson: json(rnd),
      inputItemsJson: json(rnd),
      responseJson: json(rnd),
      errorJson: rnd() < 0.6 ? null : json(rnd),
      items: Array.from({ length: Math.floor(rnd() * 4) }, (_, k) => ({
        source: k % 2 === 0 ? ('input' as const) : ('output' as const),
        // Unique per source: k is 0 to 3, and no edge is 2.
        position: k === 0 && i % 3 === 0 ? POSITIONS[i % POSITIONS.length] : k,
        itemId: text(rnd, 12),
      })),
    };
  });
}

/** The rows in COPY's text format, as this gateway wrote them before the binary format. */
function textLines(rows: readonly StoredResponseRow[]): { responses: string; items: string } {
  let responses = '';
  let items = '';
  for (const r of rows) {
    const unfinished = r.status === 'queued' || r.status === 'in_progress';
    responses += copyLine([
      r.id, r.keyId, new Date(r.createdAt), new Date(r.expiresAt), r.status, r.background, r.model, r.previousResponseId,
      toJsonb(r.requestJson), toJsonb(r.inputItemsJson), toJsonb(r.responseJson), toJsonb(r.errorJson), unfinished ? new Date(r.createdAt) : null,
    ]);
    for (const it of r.items) items += copyLine([r.id, it.position, it.source, r.keyId, it.itemId, new Date(r.createdAt)]);
  }
  return { responses, items };
}

async function copyText(client: Client, sql: string, data: string): Promise<void> {
  await new CopyIn(client as unknown as PoolClient, sql).end(Buffer.from(data));
}

async function copyBinary(client: Client, rows: readonly StoredResponseRow[]): Promise<void> {
  const encoder = new StoredRowEncoder();
  const texts = rows.map((r) => encoder.encode(r));
  const pool = client as unknown as PoolClient;
  await encoder.copy(pool, `COPY stored_responses (${RESPONSE_COLUMNS}) FROM STDIN WITH (FORMAT binary)`, texts, responseTupleStart, itemTuplesStart);
  await encoder.copy(pool, `COPY stored_items (${ITEM_COLUMNS}) FROM STDIN WITH (FORMAT binary)`, texts, itemTuplesStart, itemTuplesEnd);
}

describeWhen(testEnv.databaseUrl, NEEDS_DATABASE_URL)('stored rows in COPY binary format (StoredRowEncoder) against the text format', () => {
  let textDb: TestDatabase;
  let binaryDb: TestDatabase;
  let textClient: Client;
  let binary: Client;

  beforeAll(async () => {
    [textDb, binaryDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    textClient = new Client({ connectionString: textDb.url });
    binary = new Client({ connectionString: binaryDb.url });
    await Promise.all([textClient.connect(), binary.connect()]);
  });
  afterAll(async () => {
    await Promise.all([textClient?.end(), binary?.end()]);
    await Promise.all([textDb?.drop(), binaryDb?.drop()]);
  });
  beforeEach(async () => {
    await Promise.all([textClient.query('TRUNCATE stored_responses, stored_items'), binary.query('TRUNCATE stored_responses, stored_items')]);
  });

  it('stores what the text format stored, column for column, for generated rows', async () => {
    const rows = generatedRows(600);
    const lines = textLines(rows);
    await copyText(textClient, `COPY stored_responses (${RESPONSE_COLUMNS}) FROM STDIN`, lines.responses);
    await copyText(textClient, `COPY stored_items (${ITEM_COLUMNS}) FROM STDIN`, lines.items);
    await copyBinary(binary, rows);
    const [t, b] = await Promise.all([textClient.query(STORED_RESPONSES), binary.query(STORED_RESPONSES)]);
    expect(b.rows).toHaveLength(rows.length);
    expect(b.rows).toEqual(t.rows);
    const [ti, bi] = await Promise.all([textClient.query(STORED_ITEMS), binary.query(STORED_ITEMS)]);
    expect(bi.rows.length).toBe(rows.reduce((n, r) => n + r.items.length, 0));
    expect(bi.rows).toEqual(ti.rows);
  });

  it('reads every generated row back as the row the database keeps (spill files, the INSERT fallback, refused rows)', async () => {
    const rows = generatedRows(300);
    await copyBinary(binary, rows);
    const encoder = new StoredRowEncoder();
    const back = rows.map((r) => encoder.encode(r).row());
    // Written again from what was read back, into a table emptied: the same rows.
    const before = await binary.query(STORED_RESPONSES);
    const items = await binary.query(STORED_ITEMS);
    await binary.query('TRUNCATE stored_responses, stored_items');
    await copyBinary(binary, back);
    expect((await binary.query(STORED_RESPONSES)).rows).toEqual(before.rows);
    expect((await binary.query(STORED_ITEMS)).rows).toEqual(items.rows);
  });

  it('stores times the text format could not write (before year 1, after year 9999) exactly, and has a time past the column\'s range refused as a row', async () => {
    const [base] = generatedRows(1);
    const early = new Date(0).setUTCFullYear(-4000, 0, 1);
    const late = new Date(0).setUTCFullYear(200_000, 5, 1) + 43_200_007;
    await copyBinary(binary, [{ ...base, id: 'early', createdAt: early, items: [] }, { ...base, id: 'late', createdAt: late, items: [] }]);
    const { rows } = await binary.query(`SELECT id, (extract(epoch FROM created_at) * 1000)::bigint::text AS ms FROM stored_responses ORDER BY id`);
    expect(rows).toEqual([{ id: 'early', ms: String(early) }, { id: 'late', ms: String(late) }]);
    // Before 4713 BC: out of the column's range.
    const tooEarly = new Date(0).setUTCFullYear(-5000, 0, 1);
    await binary.query('BEGIN');
    const refused = await copyBinary(binary, [{ ...base, id: 'too early', createdAt: tooEarly, items: [] }]).catch((err: unknown) => err);
    await binary.query('ROLLBACK');
    expect(isRowError(refused)).toBe(true);
  });

  it.each([
    ['a key that is not a uuid', { keyId: 'not-a-uuid-at-all' }],
    ['a key of sixteen characters', { keyId: '0123456789abcdef' }],
    ['a position that is not an integer', { items: [{ source: 'input' as const, position: 1.5, itemId: 'x' }] }],
    ['a position past int4', { items: [{ source: 'input' as const, position: 2 ** 31, itemId: 'x' }] }],
  ])('has the database refuse %s as the text format did (a row error: the batch writer isolates it), and reads it back unchanged', async (_, fields) => {
    const [base] = generatedRows(1);
    const row: StoredResponseRow = { ...base, id: 'refused', ...fields };
    await textClient.query('BEGIN');
    const lines = textLines([row]);
    const textErr = await copyText(textClient, `COPY stored_responses (${RESPONSE_COLUMNS}) FROM STDIN`, lines.responses)
      .then(() => copyText(textClient, `COPY stored_items (${ITEM_COLUMNS}) FROM STDIN`, lines.items))
      .catch((err: unknown) => err);
    await textClient.query('ROLLBACK');
    await binary.query('BEGIN');
    const binaryErr = await copyBinary(binary, [row]).catch((err: unknown) => err);
    await binary.query('ROLLBACK');
    expect([isRowError(textErr), isRowError(binaryErr, true)]).toEqual([true, true]);
    // The connection takes queries again.
    expect((await binary.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    const back = new StoredRowEncoder().encode(row).row() as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(fields)) expect(back[key]).toEqual(value);
  });

  it('stores JSON text that is not JSON as it is in either format: its columns are text (the spill replay checks it: reviveStoredText)', async () => {
    const [base] = generatedRows(1);
    const row: StoredResponseRow = { ...base, id: 'not json', responseJson: '{"unterminated', items: [] };
    await copyText(textClient, `COPY stored_responses (${RESPONSE_COLUMNS}) FROM STDIN`, textLines([row]).responses);
    await copyBinary(binary, [row]);
    const [t, b] = await Promise.all([textClient.query(STORED_RESPONSES), binary.query(STORED_RESPONSES)]);
    expect(b.rows).toEqual(t.rows);
    expect(b.rows[0].response_json).toBe('{"unterminated');
  });
});
