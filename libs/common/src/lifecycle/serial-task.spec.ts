import { SerialTask } from './serial-task';

describe('SerialTask', () => {
  it('runs one at a time; calls during a run share the one run that follows it', async () => {
    const started: number[] = [];
    let release: () => void = () => undefined;
    const task = new SerialTask(async () => {
      started.push(started.length);
      await new Promise<void>((r) => (release = r));
    });
    const first = task.run();
    const second = task.run();
    const third = task.run();
    expect(second).toBe(third);
    expect(started).toEqual([0]);
    release();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]); // the follow-up began only after the first ended
    expect(task.running).toBe(true);
    release();
    await second;
    expect(task.running).toBe(false);
  });

  it('idle() waits for the running and the queued run; a failed run does not block the next', async () => {
    let runs = 0;
    const task = new SerialTask(async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 10));
      if (runs === 1) throw new Error('boom');
    });
    const failed = task.run().catch((e: Error) => e.message);
    const next = task.run();
    await task.idle();
    expect(await failed).toBe('boom');
    await next;
    expect(runs).toBe(2);
  });
});
