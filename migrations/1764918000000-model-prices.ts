import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Prices set through the admin API (PUT /api/pricing/{provider}/{model}) for models the catalog
 * lacks or prices wrongly. One live row per `provider/model`, case-insensitively (the gateway
 * looks models up case-insensitively). `price` holds the canonical price as decimal strings
 * (exact; the app validates the shape). Deleting only sets `deleted_at`, so gateways, which poll
 * `updated_at`, learn of the deletion like of any other change; a later PUT revives the row.
 */
export class ModelPrices1764918000000 implements MigrationInterface {
  name = 'ModelPrices1764918000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE model_prices (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        provider text NOT NULL CHECK (length(provider) BETWEEN 1 AND 64),
        model text NOT NULL CHECK (length(model) BETWEEN 1 AND 256),
        price jsonb NOT NULL CHECK (jsonb_typeof(price) = 'object' AND price ? 'input_per_mtok' AND price ? 'output_per_mtok'),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        deleted_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX model_prices_provider_model_key ON model_prices (lower(provider), lower(model))`);
    await q.query(`CREATE INDEX model_prices_updated_at_idx ON model_prices (updated_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE model_prices`);
  }
}
