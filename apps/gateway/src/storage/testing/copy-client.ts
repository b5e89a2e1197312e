import { Writable } from 'node:stream';
import type { Connection, PoolClient } from 'pg';
import type { CopyIn } from '../copy-in';

/**
 * What a fake server received: the CopyData payloads' text and bytes, their sizes, the payloads as the
 * sender's own buffers, the type bytes of the messages each socket write carried (a corked group
 * is one write), and the reason of the CopyFail, if one came.
 */
export interface CopyReceived {
  text: string;
  /** The payloads' bytes, as they were when sent. */
  data: Buffer;
  pieces: number[];
  buffers: Buffer[];
  writes: string[];
  failure?: string;
}

/**
 * A connection that takes a COPY at once and hands back what the server would have read: the
 * CopyData payloads in order, and their sizes. The bytes are kept as they were when sent: what
 * the sender does with its buffers afterwards does not change them; `buffers` are the payloads
 * themselves, which it does. With `failAfter`, the server refuses the COPY once it has received
 * that many payloads; it answers a CopyFail as the server does, with an error (57014).
 */
export function fakeCopyClient(failAfter = Infinity): { client: PoolClient; received: () => CopyReceived } {
  const sent: Buffer[] = [];
  const buffers: Buffer[] = [];
  const writes: string[] = [];
  // CopyIn writes each CopyData header and its payload as two writes (corked together).
  let payloadNext = false;
  const client = {
    query: (copy: CopyIn) => {
      const take = (chunk: Buffer): string => {
        sent.push(Buffer.from(chunk));
        if (payloadNext) {
          payloadNext = false;
          buffers.push(chunk);
          if (buffers.length === failAfter) setImmediate(() => copy.handleError(new Error('refused by the fake server')));
          return '';
        }
        if (chunk.length === 5 && chunk[0] === 0x64) payloadNext = true;
        // CopyDone: the server answers CommandComplete and ReadyForQuery.
        else if (chunk.length === 5 && chunk[0] === 0x63) setImmediate(() => copy.handleReadyForQuery());
        else if (chunk[0] === 0x66) {
          const reason = chunk.toString('utf8', 5, chunk.length - 1);
          setImmediate(() => copy.handleError(Object.assign(new Error(`COPY from stdin failed: ${reason}`), { code: '57014' })));
        }
        return String.fromCharCode(chunk[0]);
      };
      const socket = new Writable({
        write(chunk: Buffer, _enc, cb) {
          writes.push(take(chunk));
          cb();
        },
        writev(chunks, cb) {
          writes.push(chunks.map(({ chunk }) => take(chunk as Buffer)).join(''));
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
    let failure: string | undefined;
    for (let at = 0; at < all.length; ) {
      const length = all.readUInt32BE(at + 1);
      if (all[at] === 0x64) payloads.push(all.subarray(at + 5, at + 1 + length));
      // Without its terminating zero.
      else if (all[at] === 0x66) failure = all.toString('utf8', at + 5, at + length);
      at += 1 + length;
    }
    // Every payload seen as the sender's own buffer too: a sender writing header and data as one chunk would leave `buffers` checking nothing.
    if (buffers.length !== payloads.length) throw new Error(`the fake saw ${buffers.length} payloads as chunks of their own, of ${payloads.length}`);
    const data = Buffer.concat(payloads);
    return { text: data.toString('utf8'), data, pieces: payloads.map((p) => p.length), buffers: [...buffers], writes: [...writes], failure };
  };
  return { client, received };
}
