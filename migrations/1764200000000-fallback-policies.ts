import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Fallback policies, and the virtual keys' reference to them as a real foreign key. */
export class FallbackPolicies1764200000000 implements MigrationInterface {
  name = 'FallbackPolicies1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE fallback_policies (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        model text NOT NULL,
        fallbacks jsonb NOT NULL CHECK (jsonb_typeof(fallbacks) = 'array' AND jsonb_array_length(fallbacks) BETWEEN 1 AND 10),
        on_status jsonb CHECK (on_status IS NULL OR (jsonb_typeof(on_status) = 'array' AND jsonb_array_length(on_status) > 0)),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        deleted_at timestamptz
      )`);
    // The gateway polls by updated_at; deleted rows stay (soft delete) so the poll sees them go.
    await q.query(`CREATE INDEX fallback_policies_updated_at_idx ON fallback_policies (updated_at)`);

    // Until now fallback_policy_id was an unchecked uuid with no table behind it: nothing it
    // holds can name a policy. Clear it (moving updated_at so gateways drop it too) so the
    // constraint below can be validated.
    await q.query(`UPDATE virtual_keys SET fallback_policy_id = NULL, updated_at = clock_timestamp() WHERE fallback_policy_id IS NOT NULL`);
    await q.query(`
      ALTER TABLE virtual_keys
        ADD CONSTRAINT virtual_keys_fallback_policy_id_fkey
        FOREIGN KEY (fallback_policy_id) REFERENCES fallback_policies (id) ON DELETE SET NULL`);
    // Deleting a policy clears the keys that point at it: find them without a full scan.
    await q.query(`CREATE INDEX virtual_keys_fallback_policy_id_idx ON virtual_keys (fallback_policy_id) WHERE fallback_policy_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX virtual_keys_fallback_policy_id_idx`);
    await q.query(`ALTER TABLE virtual_keys DROP CONSTRAINT virtual_keys_fallback_policy_id_fkey`);
    await q.query(`DROP TABLE fallback_policies`);
  }
}
