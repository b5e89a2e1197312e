import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { readBody } from './http-io';

function request(contentLength?: number): PassThrough & IncomingMessage {
  const req = new PassThrough() as unknown as PassThrough & IncomingMessage;
  req.headers = contentLength === undefined ? {} : { 'content-length': String(contentLength) };
  return req;
}

describe('readBody', () => {
  it('joins the chunks and leaves no listener on the request', async () => {
    const req = request();
    const body = readBody(req, 100, 1_000);
    req.write('{"a":');
    req.end('1}');
    await expect(body).resolves.toEqual(Buffer.from('{"a":1}'));
    expect(req.listenerCount('data') + req.listenerCount('error')).toBe(0);
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

  it('arms the idle timer only for a body still coming once the parser has had the bytes at hand', async () => {
    const timers = jest.spyOn(global, 'setTimeout');
    try {
      const read = request();
      const done = readBody(read, 100, 1_000);
      read.end('{}');
      await expect(done).resolves.toEqual(Buffer.from('{}'));
      // complete (the parser has seen its end), not yet handed over
      const arrived = request();
      const whole = readBody(arrived, 100, 1_000);
      arrived.complete = true;
      await new Promise((resolve) => setImmediate(resolve));
      arrived.end('{}');
      await expect(whole).resolves.toEqual(Buffer.from('{}'));
      expect(timers.mock.calls.filter(([, ms]) => ms === 1_000)).toHaveLength(0);
      const coming = request();
      const later = readBody(coming, 100, 1_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(timers.mock.calls.filter(([, ms]) => ms === 1_000)).toHaveLength(1);
      coming.end('{}');
      await expect(later).resolves.toEqual(Buffer.from('{}'));
    } finally {
      timers.mockRestore();
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
