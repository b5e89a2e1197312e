import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { readBody } from './http-io';

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
    await expect(body).resolves.toEqual(Buffer.from('{"a":1}'));
    // A later error (the client leaving mid-answer) finds the reader settled.
    expect(req.emit('error', new Error('reset'))).toBe(true);
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

  it('keeps reading a body whose chunks come more often than the idle limit', async () => {
    const trickle = request();
    const body = readBody(trickle, 100, 60);
    for (let i = 0; i < 6; i++) {
      trickle.write('a');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    trickle.end('b');
    await expect(body).resolves.toEqual(Buffer.from('aaaaaab'));
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
