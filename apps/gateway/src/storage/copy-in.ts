import type { Duplex } from 'node:stream';
import type { Connection, PoolClient, Submittable } from 'pg';

// CopyData's type byte; its length counts itself (4 bytes) and the data.
const COPY_DATA = 0x64;
// CopyDone: the whole message.
const COPY_DONE = Buffer.from([0x63, 0, 0, 0, 4]);
// CopyFail's type byte; its data is the reason, a C string.
const COPY_FAIL = 0x66;

// A CopyFail's reason, at most (characters): the server refuses a longer message than 10,000
// bytes as a protocol violation and drops the connection the message was meant to keep.
const MAX_FAIL_REASON = 1_000;

/** CopyFail with the reason, which the server's error repeats ("COPY from stdin failed: ..."). */
function copyFail(reason: string): Buffer {
  const text = Buffer.from(reason.slice(0, MAX_FAIL_REASON).replaceAll('\0', '\uFFFD'));
  const message = Buffer.allocUnsafe(1 + 4 + text.length + 1);
  message[0] = COPY_FAIL;
  message.writeUInt32BE(4 + text.length + 1, 1);
  text.copy(message, 5);
  message[message.length - 1] = 0;
  return message;
}

/**
 * A COPY FROM STDIN being sent, as the query pg's client runs: pg calls `submit` with its
 * connection and the `handle*` methods as the server answers. Data goes out in order as CopyData
 * messages written straight to the connection's socket, waiting only when the socket is full;
 * `end` sends CopyDone and resolves once the server has taken the rows (ReadyForQuery); `fail`
 * sends CopyFail, which the server answers with an error, ending the COPY. Every COPY begun must
 * be ended by one of the two: the server waits for its data until then, and every later query
 * on the connection (a ROLLBACK too) waits behind it.
 *
 * The socket is written to only between the server's CopyInResponse and the end of the COPY.
 * Once the server refuses it (a row, or the connection lost), pg lets go of the COPY: nothing is
 * written any more and nothing waits to be written, so the only thing waiting for the socket to
 * drain is the caller, woken by the failure as by 'drain'. The connection goes to the next query
 * only at the ReadyForQuery that follows a refusal, never when the connection is lost.
 *
 * After a failed COPY, the caller must await another query on the client (a ROLLBACK) before
 * releasing it: a FATAL error (the server shutting down, the backend terminated) rejects `end`
 * before pg has seen the socket close, and a client released at once would go back to the pool
 * as if healthy. The query fails with the lost connection, and pg knows the client is dead.
 */
export class CopyIn implements Submittable {
  /** The connection's socket, from CopyInResponse until the COPY ends or fails. */
  private socket: Duplex | null = null;
  /** Data sent before the server's CopyInResponse. */
  private held: Buffer[] = [];
  /** What ends the COPY (CopyDone or CopyFail) once the caller ended it; sent after the held data if it came before CopyInResponse. */
  private ending: Buffer | null = null;
  private error: Error | null = null;
  /** The caller waiting for room on the socket. */
  private wake: (() => void) | null = null;
  private resolveDone!: () => void;
  private rejectDone!: (err: Error) => void;
  private readonly done = new Promise<void>((resolve, reject) => {
    this.resolveDone = resolve;
    this.rejectDone = reject;
  });

  constructor(
    client: PoolClient,
    private readonly sql: string,
    /** The format's header and trailer (binary COPY's), sent before the data and after it. */
    private readonly frame?: { head: Buffer; tail: Buffer },
  ) {
    // Observed here; the caller's await of `end` still sees the failure.
    this.done.catch(() => undefined);
    client.query(this);
  }

  /** Whether the COPY failed: nothing more is worth sending. */
  get failed(): boolean {
    return this.error !== null;
  }

  /**
   * A promise only while the socket is full (or the server has not taken the COPY yet): it
   * resolves once there is room, or once the COPY failed. Nothing is written once it failed.
   * One caller waits at a time: await the promise before sending again.
   */
  send(data: Buffer | string): Promise<void> | undefined {
    if (this.error !== null || this.ending !== null) return undefined;
    const piece = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.socket === null) {
      this.held.push(piece);
      return this.room();
    }
    return this.write(this.socket, piece) ? undefined : this.room();
  }

  /** Ends the COPY with its last data; once it failed, only its failure is left to wait for. */
  end(data?: Buffer): Promise<void> {
    if (this.error !== null || this.ending !== null) return this.done;
    this.ending = COPY_DONE;
    if (this.socket === null) {
      if (data !== undefined) this.held.push(data);
      if (this.frame !== undefined) this.held.push(this.frame.tail);
    } else {
      // The last data and CopyDone in one packet.
      this.socket.cork();
      if (data !== undefined) this.write(this.socket, data);
      if (this.frame !== undefined) this.write(this.socket, this.frame.tail);
      this.socket.write(COPY_DONE);
      this.socket.uncork();
    }
    return this.done;
  }

  /**
   * Gives the COPY up: the server discards its rows and answers with an error (57014, with the
   * reason), after which the connection takes queries again. Rejects with that error, or with
   * whatever ended the COPY before; after `end`, it changes nothing and settles as `end` does.
   */
  fail(reason: string): Promise<void> {
    if (this.error !== null || this.ending !== null) return this.done;
    this.ending = copyFail(reason);
    // Data held for the server is not worth sending any more.
    this.held = [];
    this.socket?.write(this.ending);
    return this.done;
  }

  submit(connection: Connection): void {
    connection.query(this.sql);
  }

  handleCopyInResponse(connection: Connection): void {
    const socket = connection.stream;
    this.socket = socket;
    // A COPY given up already (CopyFail) sends nothing before it.
    const held = this.frame === undefined || (this.ending !== null && this.ending !== COPY_DONE) ? this.held : [this.frame.head, ...this.held];
    this.held = [];
    if (this.ending !== null) {
      // Ended already (the caller waits for that, not for room): the rest and its end in one go.
      socket.cork();
      for (const piece of held) this.write(socket, piece);
      socket.write(this.ending);
      socket.uncork();
      return;
    }
    // The held pieces (the header and the first data, as a rule) in one packet.
    socket.cork();
    for (const piece of held) this.write(socket, piece);
    socket.uncork();
    if (socket.writableLength < socket.writableHighWaterMark) this.wakeUp();
    else if (this.wake !== null) socket.once('drain', this.wakeUp);
  }

  /** The row count it carries is not needed: `end` resolves on ReadyForQuery, which follows. */
  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    this.letGo();
    this.resolveDone();
  }

  /** An ErrorResponse, or the connection lost: pg has already let go of the COPY. */
  handleError(err: Error): void {
    this.error = err;
    this.held = [];
    this.letGo();
    this.rejectDone(err);
  }

  /** The connection is pg's again: no listener of ours is left on its socket, and no caller waits for it. */
  private letGo(): void {
    this.socket?.removeListener('drain', this.wakeUp);
    this.socket = null;
    this.wakeUp();
  }

  /**
   * One CopyData message; false when the socket is full. Its header and data go out in one
   * writev: written apart, with Nagle off, the 5-byte header would be a packet of its own. While
   * corked, `write` reports any piece over the high-water mark as not fitting; whether the
   * kernel took it is known only once uncorked.
   */
  private write(socket: Duplex, piece: Buffer): boolean {
    const header = Buffer.allocUnsafe(5);
    header[0] = COPY_DATA;
    header.writeUInt32BE(piece.length + 4, 1);
    socket.cork();
    socket.write(header);
    socket.write(piece);
    socket.uncork();
    return socket.writableLength < socket.writableHighWaterMark;
  }

  private room(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.socket?.once('drain', this.wakeUp);
    });
  }

  private readonly wakeUp = (): void => {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  };
}
