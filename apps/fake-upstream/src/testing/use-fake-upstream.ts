import OpenAI from 'openai';
import { type FakeUpstream, createFakeUpstream } from '../fake-upstream';

export interface FakeUnderTest {
  /** The running fake (set before the suite's first test). */
  fake: FakeUpstream;
  /** The official SDK pointed at the fake's OpenAI endpoints, without retries. */
  client: OpenAI;
}

/** One fake upstream for the calling suite, started before its tests and closed after them. */
export function useFakeUpstream(): FakeUnderTest {
  const under = {} as FakeUnderTest;
  beforeAll(async () => {
    under.fake = await createFakeUpstream();
    under.client = new OpenAI({ apiKey: 'x', baseURL: `${under.fake.url}/v1`, maxRetries: 0 });
  });
  afterAll(() => under.fake?.close());
  return under;
}
