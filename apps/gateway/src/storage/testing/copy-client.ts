import { Writable } from 'node:stream';
import type { Connection, PoolClient } from 'pg';
import type { CopyIn } from '../batch-writer';

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
  // CopyIn writes each CopyData header and its payload as two writes (corked together).
  let payloadNext = false;
  const client = {
    query: (copy: CopyIn) => {
      const socket = new Writable({
        write(chunk: Buffer, _enc, cb) {
          sent.push(Buffer.from(chunk));
          if (payloadNext) {
            payloadNext = false;
            buffers.push(chunk);
            if (buffers.length === failAfter) setImmediate(() => copy.handleError(new Error('refused by the fake server')));
          } else if (chunk.length === 5 && chunk[0] === 0x64) payloadNext = true;
          // CopyDone: the server answers CommandComplete and ReadyForQuery.
          else if (chunk.length === 5 && chunk[0] === 0x63) setImmediate(() => copy.handleReadyForQuery());
          cb();
        },
      });
      const connection = { stream: socket, query: () => setImmediate(() => copy.handleCopyInResponse(connection)) } as unknown as Connection;
      copy.submit(connection);
      return copy;
    },
  } as unknown as PoolClient;
  const received = () => {
    // Whole messages, read from everything sent: a header may come in one write and its data in the next.
    const all = Buffer.concat(sent);
    const payloads: Buffer[] = [];
    for (let at = 0; at < all.length; ) {
      const length = all.readUInt32BE(at + 1);
      if (all[at] === 0x64) payloads.push(all.subarray(at + 5, at + 1 + length));
      at += 1 + length;
    }
    // Every payload seen as the sender's own buffer too: a sender writing header and data as one write would leave `buffers` checking nothing.
    if (buffers.length !== payloads.length) throw new Error(`the fake saw ${buffers.length} payloads as writes of their own, of ${payloads.length}`);
    return { text: Buffer.concat(payloads).toString('utf8'), pieces: payloads.map((p) => p.length), buffers: [...buffers] };
  };
  return { client, received };
}
