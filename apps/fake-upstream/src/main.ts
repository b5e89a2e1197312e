import { createFakeUpstream } from './fake-upstream';
import { loadFakeUpstreamConfig } from './fake-upstream.config';

/** CLI entry: serves the fake upstream until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const fake = await createFakeUpstream(loadFakeUpstreamConfig());
  process.stdout.write(`fake-upstream listening on ${fake.url}\n`);
  const shutdown = (): void => {
    void fake.close().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`fake-upstream failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
