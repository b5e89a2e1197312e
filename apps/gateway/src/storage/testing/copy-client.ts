import { Writable } from 'node:stream';
import type { PoolClient } from 'pg';
import type { CopyStreamQuery } from 'pg-copy-streams';

/** What pg calls on a COPY query as the server answers (not in pg-copy-streams' type definitions). */
interface CopyProtocol {
  handleCopyInResponse(): void;
  handleReadyForQuery(): void;
  handleError(err: Error): void;
}

/** What a fake server received: the CopyData payloads' text, their sizes, and the payloads as the sender's own buffers. */
export interface CopyReceived {
  text: string;
  pieces: number[];
  buffers: Buffer[];
}

/**
 * A connection that takes a COPY at once and hands back what the server would have read: the
 * CopyData payloads in order, and their sizes. The bytes are kept as they were when sent: what
 * the sender does with its buffers afterwards does not change them; `buffers` are the payloads
 * themselves, which it does. With `failAfter`, the server refuses the COPY once it has received
 * that many payloads.
 */
export function fakeCopyClient(failAfter = Infinity): { client: PoolClient; received: () => CopyReceived } {
  const sent: Buffer[] = [];
  const buffers: Buffer[] = [];
  // pg-copy-streams writes each CopyData header and its payload separately.
  let payloadNext = false;
  const client = {
    query: (copy: CopyStreamQuery) => {
      const server = copy as unknown as CopyProtocol;
      const socket = new Writable({
        write(chunk: Buffer, _enc, cb) {
          sent.push(Buffer.from(chunk));
          if (payloadNext) {
            buffers.push(chunk);
            if (buffers.length === failAfter) setImmediate(() => server.handleError(new Error('refused by the fake server')));
          }
          payloadNext = chunk.length === 5 && chunk[0] === 0x64;
          // CopyDone: the server answers CommandComplete and ReadyForQuery.
          if (chunk.length === 5 && chunk[0] === 0x63) setImmediate(() => server.handleReadyForQuery());
          cb();
        },
      });
      copy.submit({ stream: socket, query: () => setImmediate(() => server.handleCopyInResponse()) } as never);
      return copy;
    },
  } as unknown as PoolClient;
  const received = () => {
    const all = Buffer.concat(sent);
    const payloads: Buffer[] = [];
    for (let at = 0; at < all.length; ) {
      const length = all.readUInt32BE(at + 1);
      if (all[at] === 0x64) payloads.push(all.subarray(at + 5, at + 1 + length));
      at += 1 + length;
    }
    return { text: Buffer.concat(payloads).toString('utf8'), pieces: payloads.map((p) => p.length), buffers: [...buffers] };
  };
  return { client, received };
}
