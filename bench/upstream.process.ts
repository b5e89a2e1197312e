import { createFakeUpstream } from '../apps/fake-upstream/src/fake-upstream';
import { failChild, serveParent } from './process-stats';

/** The fake OpenAI upstream in its own process, so it does not share a CPU with what is measured. */
async function main(): Promise<void> {
  const upstream = await createFakeUpstream({ host: '127.0.0.1', port: 0 });
  serveParent(upstream.url, () => upstream.close());
}

main().catch(failChild('fake upstream'));
