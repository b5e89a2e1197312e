import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from './test-database';

describe('test database', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('is migrated', async () => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    const r = await c.query(`SELECT to_regclass('public.virtual_keys') AS vk, to_regclass('public.request_logs') AS rl`);
    await c.end();
    expect(r.rows[0]).toEqual({ vk: 'virtual_keys', rl: 'request_logs' });
  });
});
