import { Client } from 'pg';
import { StoredResponseRepository } from '../../apps/gateway/src/state/stored-response.repository';
import { describeWhen, NEEDS_DATABASE_URL } from '../support/describe-when';
import { eventually, startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { testEnv } from '../support/test-env.config';

/**
 * stored_items has no foreign key to its response: deleting a response deletes its items
 * itself. Two sessions at once, so a shared server only (the embedded database has one session).
 */
describeWhen(testEnv.databaseUrl, NEEDS_DATABASE_URL)('deleting a stored response takes its items, also while it finishes', () => {
  let h: GatewayHarness;
  let pg: Client;
  let finisher: Client;
  let keyId: string;

  beforeAll(async () => {
    h = await startGatewayHarness();
    keyId = (await h.createKey({ name: 'stored-delete' })).id;
    pg = new Client({ connectionString: h.db.url });
    finisher = new Client({ connectionString: h.db.url });
    await Promise.all([pg.connect(), finisher.connect()]);
  });
  afterAll(async () => {
    await Promise.all([pg?.end(), finisher?.end()]);
    await h?.close();
  });

  const items = async (id: string) => (await pg.query(`SELECT 1 FROM stored_items WHERE response_id = $1`, [id])).rowCount;

  it('a DELETE that waited for a background response finishing removes the output items it wrote', async () => {
    const id = 'resp_finishing_while_deleted';
    await pg.query(
      `INSERT INTO stored_responses (id, virtual_key_id, expires_at, status, background, model, response, heartbeat_at)
       VALUES ($1, $2, now() + interval '1 day', 'in_progress', true, 'openai/gpt-4o-mini', '{"status":"in_progress","output":[]}', now())`,
      [id, keyId],
    );
    // What finish() does, held open: the row updated and locked, its output items inserted.
    await finisher.query('BEGIN');
    await finisher.query(`UPDATE stored_responses SET status = 'completed' WHERE id = $1`, [id]);
    await finisher.query(
      `INSERT INTO stored_items (response_id, position, source, virtual_key_id, item_id) VALUES ($1, 0, 'output', $2, 'msg_a'), ($1, 1, 'output', $2, 'msg_b')`,
      [id, keyId],
    );
    const deleted = h.gateway.app.get(StoredResponseRepository).delete(keyId, id);
    await eventually(async () => {
      const waiting = await pg.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%DELETE FROM stored_responses%'`);
      return (waiting.rowCount ?? 0) > 0;
    }, 5_000, 'the DELETE waiting for the row lock');
    await finisher.query('COMMIT');

    expect(await deleted).toBe(true);
    expect((await pg.query(`SELECT 1 FROM stored_responses WHERE id = $1`, [id])).rowCount).toBe(0);
    expect(await items(id)).toBe(0);
  });

  it('a DELETE of another key\'s response or an unknown id deletes nothing', async () => {
    const id = 'resp_kept';
    await pg.query(
      `INSERT INTO stored_responses (id, virtual_key_id, expires_at, status, model, response) VALUES ($1, $2, now() + interval '1 day', 'completed', 'm', '{}')`,
      [id, keyId],
    );
    await pg.query(`INSERT INTO stored_items (response_id, position, source, virtual_key_id, item_id) VALUES ($1, 0, 'output', $2, 'msg_k')`, [id, keyId]);
    const repo = h.gateway.app.get(StoredResponseRepository);
    expect(await repo.delete('00000000-0000-4000-8000-000000000000', id)).toBe(false);
    expect(await repo.delete(keyId, 'resp_unknown')).toBe(false);
    expect(await items(id)).toBe(1);
    expect(await repo.delete(keyId, id)).toBe(true);
    expect(await items(id)).toBe(0);
  });
});
