import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { Cancellation } from '@app/providers/http/cancellation';
import { cancelOnClientClose, clientClosed, readBody, receiveBody, sendJson, waitForDrain } from './http-io';

function request(contentLength?: number): PassThrough & IncomingMessage {
  const req = new PassThrough() as unknown as PassThrough & IncomingMessage;
  req.headers = contentLength === undefined ? {} : { 'content-length': String(contentLength) };
  return req;
}

describe('readBody', () => {
  it('joins the chunks; the ended body\'s listeners never act again', async () => {
    const req = request();
    const body = readBody(req, 100, 1_000);
    req.write('{"a":');
    req.end('1}');
    const settled = jest.fn();
    body.then(settled, settled);
    await expect(body).resolves.toEqual(Buffer.from('{"a":1}'));
    const listeners = req.listenerCount('data') + req.listenerCount('end') + req.listenerCount('error');
    // A later error (the client leaving mid-answer) finds the reader settled: not thrown, and
    // nothing comes of it.
    req.emit('error', new Error('reset'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled.mock.calls).toEqual([[Buffer.from('{"a":1}')]]);
    expect(req.listenerCount('data') + req.listenerCount('end') + req.listenerCount('error')).toBe(listeners);
  });

  it('refuses a body past the limit with a 413, after reading the rest', async () => {
    const req = request();
    const body = readBody(req, 4, 1_000);
    req.write('abc');
    req.write('def');
    req.end('ghi');
    await expect(body).rejects.toMatchObject({ status: 413 });
  });

  it('refuses at once a declared length past the limit, once the body ends', async () => {
    const req = request(10);
    const body = readBody(req, 4, 1_000);
    req.end('a');
    await expect(body).rejects.toMatchObject({ status: 413 });
  });

  it('sets no timer per body: one interval per idle limit checks every body still coming', async () => {
    const timers = [jest.spyOn(global, 'setTimeout'), jest.spyOn(global, 'setImmediate'), jest.spyOn(global, 'setInterval')];
    try {
      for (let i = 0; i < 3; i++) {
        const whole = request();
        const done = readBody(whole, 100, 1_000);
        whole.end('{}');
        await expect(done).resolves.toEqual(Buffer.from('{}'));
      }
      const [timeouts, immediates, intervals] = timers.map((t) => t.mock.calls.length);
      expect([timeouts, immediates]).toEqual([0, 0]);
      expect(intervals).toBeLessThanOrEqual(1);
    } finally {
      timers.forEach((t) => t.mockRestore());
    }
  });

  it('clears the interval once no body is pending', async () => {
    jest.useFakeTimers();
    try {
      // A limit of its own: a new sweep, whose interval no other test started.
      const whole = request();
      const done = readBody(whole, 100, 1_200);
      expect(jest.getTimerCount()).toBe(1);
      whole.end('{}');
      await expect(done).resolves.toEqual(Buffer.from('{}'));
      await jest.advanceTimersByTimeAsync(300);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses a silent body after between 1 and 1.25 times the idle limit', async () => {
    jest.useFakeTimers();
    try {
      // A limit of its own (another test's real interval for its limit may still run): sweeps every
      // 110 ms; the chunk comes right after one, then right before one.
      const idle = 440;
      const every = idle / 4;
      for (const firstAt of [0, every - 1]) {
        const stalled = request();
        const outcome = jest.fn();
        readBody(stalled, 100, idle).then(outcome, outcome);
        await jest.advanceTimersByTimeAsync(firstAt);
        stalled.write('a');
        await jest.advanceTimersByTimeAsync(idle - 1);
        expect(outcome).not.toHaveBeenCalled();
        // The fifth sweep after the chunk refuses it: 1.25x the limit after it, or just over 1x.
        await jest.advanceTimersByTimeAsync(5 * every - firstAt - (idle - 1));
        expect(outcome).toHaveBeenCalledWith(expect.objectContaining({ status: 408 }));
        await jest.advanceTimersByTimeAsync(1_000);
      }
    } finally {
      jest.useRealTimers();
    }
  });

  it('sweeps every pending body once however the others leave: in any order, several refused in one sweep', async () => {
    jest.useFakeTimers();
    try {
      // A limit of its own (sweeps every 130 ms). Bodies 6, 2 and 0 end (the last, a middle one,
      // the first) and 3 errs; 5 ends a sweep before the one that refuses 1 and 4 together.
      const idle = 520;
      const reqs = Array.from({ length: 7 }, () => request());
      const outcomes = reqs.map(() => jest.fn());
      reqs.forEach((req, i) => readBody(req, 100, idle).then(outcomes[i], outcomes[i]));
      reqs[6].end('g');
      reqs[2].end('c');
      reqs[0].end('a');
      reqs[3].emit('error', new Error('reset'));
      await jest.advanceTimersByTimeAsync(idle - 1);
      expect(outcomes.map((o) => o.mock.calls.length)).toEqual([1, 0, 1, 1, 0, 0, 1]);
      reqs[5].end('f');
      await jest.advanceTimersByTimeAsync(idle / 4 + 1);
      for (const i of [1, 4]) expect(outcomes[i]).toHaveBeenCalledWith(expect.objectContaining({ status: 408 }));
      expect(outcomes[5]).toHaveBeenCalledWith(Buffer.from('f'));
      expect(outcomes.every((o) => o.mock.calls.length === 1)).toBe(true);
      // Nothing left to sweep: the next sweep clears the interval.
      await jest.advanceTimersByTimeAsync(idle / 4);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps reading a body whose chunks come more often than the idle limit', async () => {
    jest.useFakeTimers();
    try {
      // A limit of its own (sweeps every 100 ms), chunks 100 ms apart: never four quiet sweeps.
      const trickle = request();
      const body = readBody(trickle, 100, 400);
      for (let i = 0; i < 6; i++) {
        trickle.write('a');
        await jest.advanceTimersByTimeAsync(100);
      }
      trickle.end('b');
      await expect(body).resolves.toEqual(Buffer.from('aaaaaab'));
      // The next sweep finds no body and clears the (fake) interval.
      await jest.advanceTimersByTimeAsync(100);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('answers 408 when the body stalls, and an upload error as it came', async () => {
    const stalled = request();
    const slow = readBody(stalled, 100, 20);
    stalled.write('a');
    await expect(slow).rejects.toMatchObject({ status: 408 });
    expect(stalled.listenerCount('data')).toBe(0);
    const broken = request();
    const failed = readBody(broken, 100, 1_000);
    broken.destroy(new Error('reset'));
    await expect(failed).rejects.toThrow('reset');
  });
});

describe('receiveBody', () => {
  it("hands the body, or its refusal, to a callback in the request's own 'end' event", () => {
    const req = request();
    const onBody = jest.fn();
    const onError = jest.fn();
    receiveBody(req, 100, 1_000, onBody, onError);
    req.emit('data', Buffer.from('{"a":'));
    req.emit('data', Buffer.from('1}'));
    req.emit('end');
    expect(onBody.mock.calls).toEqual([[Buffer.from('{"a":1}')]]);

    const big = request();
    receiveBody(big, 4, 1_000, onBody, onError);
    big.emit('data', Buffer.from('abcdef'));
    big.emit('end');
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0][0]).toMatchObject({ status: 413 });
    expect(onBody).toHaveBeenCalledTimes(1);
  });

  it('settles once a body that settles while the sweep refuses another', async () => {
    jest.useFakeTimers();
    try {
      // A limit of its own (sweeps every 150 ms). A's refusal makes B err in the same sweep, before
      // the sweep reaches B: B is settled by its error alone, not refused as well.
      const idle = 600;
      const a = request();
      const b = request();
      const onErrorB = jest.fn();
      receiveBody(a, 100, idle, jest.fn(), () => b.emit('error', new Error('reset')));
      receiveBody(b, 100, idle, jest.fn(), onErrorB);
      await jest.advanceTimersByTimeAsync(2 * idle);
      expect(onErrorB.mock.calls).toEqual([[new Error('reset')]]);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('a client that leaves', () => {
  let server: Server;
  let responses: ServerResponse[];
  let url: string;

  beforeEach(async () => {
    responses = [];
    server = createServer((_req, res) => {
      responses.push(res);
      res.once('close', () => clientClosed(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** Until the server has the request (2 s at most). */
  async function served(): Promise<void> {
    for (const deadline = Date.now() + 2_000; responses.length === 0; await new Promise((resolve) => setTimeout(resolve, 5))) {
      if (Date.now() > deadline) throw new Error('the server never had the request');
    }
  }

  /** A request whose client leaves once the server has it; resolves with the closed response. */
  async function left(): Promise<ServerResponse> {
    const req = httpRequest(url, { method: 'POST' });
    req.on('error', () => undefined);
    req.end('{}');
    await served();
    const res = responses[0];
    const closed = new Promise((resolve) => res.once('close', resolve));
    req.destroy();
    await closed;
    return res;
  }

  it('is cancelled at once when it left before the cancel was wired', async () => {
    const res = await left();
    const cancel = new Cancellation();
    cancelOnClientClose(res, cancel);
    expect(cancel.aborted).toBe(true);
  });

  it('is cancelled as it leaves when the cancel was wired before', async () => {
    const req = httpRequest(url, { method: 'POST' });
    req.on('error', () => undefined);
    req.end('{}');
    await served();
    const cancel = new Cancellation();
    cancelOnClientClose(responses[0], cancel);
    expect(cancel.aborted).toBe(false);
    const closed = new Promise((resolve) => responses[0].once('close', resolve));
    req.destroy();
    await closed;
    expect(cancel.aborted).toBe(true);
  });

  it('leaves nothing to wait for: waitForDrain returns on a closed response', async () => {
    const res = await left();
    res.write('data: x\n\n');
    await expect(waitForDrain(res)).resolves.toBeUndefined();
  });
});

describe('sendJson', () => {
  let server: Server;
  let answer: (res: ServerResponse) => void;
  let url: string;

  beforeAll(async () => {
    server = createServer((_req, res) => answer(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** The answer's raw bytes as the client reads them, its head's Date line left out. */
  async function wire(): Promise<string> {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('latin1').replace(/\r\nDate: [^\r]*/, '');
  }

  it('writes a body known to be ASCII as the same bytes, with the same length, as any other', async () => {
    const body = '{"a":"b","n":1}';
    answer = (res) => sendJson(res, 200, body, { 'x-id': 'r1' });
    const utf8 = await wire();
    answer = (res) => sendJson(res, 200, body, { 'x-id': 'r1' }, true);
    expect(await wire()).toBe(utf8);
    expect(utf8).toContain(`content-length: ${body.length}\r\n`);
    expect(utf8.endsWith(`\r\n\r\n${body}`)).toBe(true);
  });

  it('sizes and encodes anything else as UTF-8', async () => {
    answer = (res) => sendJson(res, 200, '{"a":"€"}');
    const raw = await wire();
    expect(raw).toContain('content-length: 11\r\n');
    expect(raw.endsWith(Buffer.from('{"a":"€"}').toString('latin1'))).toBe(true);
  });
});
