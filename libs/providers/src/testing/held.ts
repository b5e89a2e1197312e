import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { BodyConsumer, UpstreamBody } from '../http/http-executor';

/** What an upstream body took from its socket while its consumer held it, as `watchHolds` saw. */
export interface Holds {
  /** Times the consumer held the body (its `bodyChunk` returned false). */
  count: number;
  /** Most chunks undici read from the upstream socket during one hold. */
  mostTakenWhileHeld: number;
  /** Bytes undici read from the upstream socket so far. */
  received: number;
  /** Largest chunk undici read. */
  largest: number;
  stop(): void;
}

/**
 * Watches a body's holds from the gateway's side, whatever the kernel's socket buffers hold: its
 * `pipe` and `resume` wrapped, and each chunk undici reads for a request to `path` counted
 * (undici's `bodyChunkReceived` diagnostics channel). Held, the exchange pauses undici, which then
 * reads at most the chunk it is inside of; without the pause it keeps reading. Without a body
 * (null), only the bytes read are counted: watched before the request is sent, none go uncounted.
 */
export function watchHolds(body: UpstreamBody | null, path: string): Holds {
  let held = false;
  let taken = 0;
  const holds: Holds = {
    count: 0,
    mostTakenWhileHeld: 0,
    received: 0,
    largest: 0,
    stop: () => unsubscribe('undici:request:bodyChunkReceived', onChunk),
  };
  const onChunk = (message: unknown) => {
    const { request, chunk } = message as { request: { path: string }; chunk: Buffer };
    if (request.path !== path) return;
    holds.received += chunk.length;
    holds.largest = Math.max(holds.largest, chunk.length);
    if (held) holds.mostTakenWhileHeld = Math.max(holds.mostTakenWhileHeld, ++taken);
  };
  subscribe('undici:request:bodyChunkReceived', onChunk);
  if (body === null) return holds;
  const pipe = body.pipe.bind(body);
  const resume = body.resume.bind(body);
  // Made in variables first, as the gateway's closures are (closures.spec).
  const watchedPipe = (consumer: BodyConsumer) =>
    pipe({
      bodyChunk: (chunk) => {
        const more = consumer.bodyChunk(chunk);
        if (!more && !held) {
          held = true;
          taken = 0;
          holds.count++;
        }
        return more;
      },
      bodyEnd: (failure) => consumer.bodyEnd(failure),
    });
  const watchedResume = () => {
    held = false;
    resume();
  };
  body.pipe = watchedPipe;
  body.resume = watchedResume;
  return holds;
}
