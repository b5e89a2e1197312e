import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('writes the first row at once and everything that arrives meanwhile in the next batch', async () => {
    const batches: number[][] = [];
    let release: (() => void) | undefined;
    const writer = new GroupCommit<number>(async (rows) => {
      batches.push(rows);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
    }, 100);
    const first = writer.save(1);
    // No timer: the first write started synchronously.
    expect(batches).toEqual([[1]]);
    const rest = [2, 3, 4].map((n) => writer.save(n));
    let restDone = false;
    void Promise.all(rest).then(() => (restDone = true));
    await new Promise((r) => setImmediate(r));
    expect(restDone).toBe(false);
    release!();
    await first;
    await Promise.all(rest);
    expect(batches).toEqual([[1], [2, 3, 4]]);
    expect(writer.stats).toMatchObject({ rows: 4, batches: 2 });
  });

  it('caps batches and fails only the rows of a failed batch', async () => {
    let calls = 0;
    const writer = new GroupCommit<number>(async (rows) => {
      calls++;
      if (rows.includes(2)) throw new Error('db down');
    }, 2);
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => writer.save(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect(calls).toBe(3);
    await writer.idle();
  });
});
