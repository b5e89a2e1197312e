import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Virtual keys and the per-attempt request log. */
export class InitialSchema1764100000000 implements MigrationInterface {
  name = 'InitialSchema1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE virtual_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        key_hash char(64) NOT NULL,
        key_prefix text NOT NULL,
        allowed_models jsonb NOT NULL DEFAULT '[]'::jsonb,
        budget_max_usd numeric(20,10),
        budget_period text CHECK (budget_period IN ('1h','1d','1w','1M','total')),
        rate_limit_rpm integer CHECK (rate_limit_rpm > 0),
        rate_limit_tpm integer CHECK (rate_limit_tpm > 0),
        fallback_policy_id uuid,
        expires_at timestamptz,
        is_active boolean NOT NULL DEFAULT true,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX virtual_keys_key_hash_key ON virtual_keys (key_hash)`);
    await q.query(`CREATE INDEX virtual_keys_updated_at_idx ON virtual_keys (updated_at)`);

    await q.query(`
      CREATE TABLE request_logs (
        id uuid PRIMARY KEY,
        request_id text NOT NULL,
        created_at timestamptz NOT NULL,
        virtual_key_id uuid,
        provider text NOT NULL,
        model text NOT NULL,
        model_requested text NOT NULL,
        fallback_index integer NOT NULL,
        status text NOT NULL CHECK (status IN ('success','error')),
        http_status integer NOT NULL,
        error_code text,
        error_message text,
        stream boolean NOT NULL,
        input_tokens integer NOT NULL DEFAULT 0,
        cached_tokens integer NOT NULL DEFAULT 0,
        output_tokens integer NOT NULL DEFAULT 0,
        reasoning_tokens integer NOT NULL DEFAULT 0,
        total_tokens integer NOT NULL DEFAULT 0,
        cost_usd numeric(20,10),
        latency_ms integer NOT NULL,
        ttft_ms integer
      )`);
    // Keyset pagination walks (created_at, id) backwards; the filtered variants lead with the filter.
    await q.query(`CREATE INDEX request_logs_created_at_id_idx ON request_logs (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX request_logs_key_created_at_idx ON request_logs (virtual_key_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX request_logs_request_id_idx ON request_logs (request_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE request_logs`);
    await q.query(`DROP TABLE virtual_keys`);
  }
}
