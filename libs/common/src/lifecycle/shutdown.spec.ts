import type { ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
import { InFlightRequests } from './shutdown';

const response = () => new EventEmitter() as unknown as ServerResponse;

describe('InFlightRequests', () => {
  it('counts a response until it closes, with one listener that also runs onClose', async () => {
    const closed: ServerResponse[] = [];
    const inFlight = new InFlightRequests((res) => closed.push(res));
    const a = response();
    const b = response();
    inFlight.track(a);
    inFlight.track(b);
    expect(inFlight.active()).toBe(2);
    expect(a.listenerCount('close')).toBe(1);
    const idle = inFlight.idle(5_000);
    a.emit('close');
    expect(inFlight.active()).toBe(1);
    expect(closed).toEqual([a]);
    b.emit('close');
    await expect(idle).resolves.toBe(true);
    expect(closed).toEqual([a, b]);
  });

  it('gives up waiting after the timeout', async () => {
    const inFlight = new InFlightRequests();
    inFlight.track(response());
    await expect(inFlight.idle(10)).resolves.toBe(false);
  });
});
