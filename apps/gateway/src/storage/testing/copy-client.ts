import { Writable } from 'node:stream';
import type { Connection, PoolClient } from 'pg';
import type { CopyIn } from '../batch-writer';

/**
 * A connection that takes a COPY at once and hands back what the server would have read: the
 * CopyData payloads in order, and their sizes. The bytes are kept as they were when sent: what
 * the sender does with its buffers afterwards does not change them.
 */
export function fakeCopyClient(): { client: PoolClient; received: () => { text: string; pieces: number[] } } {
  const payloads: Buffer[] = [];
  let unread = Buffer.alloc(0);
  const client = {
    query: (copy: CopyIn) => {
      const socket = new Writable({
        write(chunk: Buffer, _enc, cb) {
          unread = Buffer.concat([unread, chunk]);
          // Whole messages only: a header may come in one write and its data in the next.
          while (unread.length >= 5 && unread.length >= 1 + unread.readUInt32BE(1)) {
            const end = 1 + unread.readUInt32BE(1);
            if (unread[0] === 0x64) payloads.push(unread.subarray(5, end));
            // CopyDone: the server answers CommandComplete and ReadyForQuery.
            if (unread[0] === 0x63) setImmediate(() => copy.handleReadyForQuery());
            unread = unread.subarray(end);
          }
          cb();
        },
      });
      const connection = { stream: socket, query: () => setImmediate(() => copy.handleCopyInResponse(connection)) } as unknown as Connection;
      copy.submit(connection);
      return copy;
    },
  } as unknown as PoolClient;
  const received = () => {
    const text = Buffer.concat(payloads).toString('utf8');
    return { text, pieces: payloads.map((p) => p.length) };
  };
  return { client, received };
}
