import { UUID_BYTES, uuidv7, uuidv7Into } from './uuidv7';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const timestampOf = (id: string): number => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

const inOrder = (ids: string[]): boolean => ids.every((id, i) => i === 0 || id > ids[i - 1]);

/** A copy of the module with its own clock state, so a mocked clock does not leak into other tests. */
function freshUuidv7(): typeof uuidv7 {
  let fresh: typeof uuidv7 | undefined;
  jest.isolateModules(() => {
    fresh = (require('./uuidv7') as { uuidv7: typeof uuidv7 }).uuidv7;
  });
  return fresh!;
}

describe('uuidv7', () => {
  afterEach(() => jest.restoreAllMocks());

  it('is a lowercase RFC 9562 UUID with version 7 and variant 10', () => {
    const ids = Array.from({ length: 1000 }, () => uuidv7());
    expect(ids.filter((id) => !V7.test(id))).toEqual([]);
  });

  it('carries the current Unix time in milliseconds', () => {
    const before = Date.now();
    const id = uuidv7();
    const after = Date.now();
    expect(timestampOf(id)).toBeGreaterThanOrEqual(before);
    expect(timestampOf(id)).toBeLessThanOrEqual(after);
  });

  it('10,000 ids are unique and sort in the order they were made (crossing several random-pool refills)', () => {
    const ids = Array.from({ length: 10_000 }, () => uuidv7());
    expect(new Set(ids).size).toBe(ids.length);
    expect(inOrder(ids)).toBe(true);
  });

  it('an id of a later millisecond sorts after one of an earlier millisecond', () => {
    const nextId = freshUuidv7();
    const now = jest.spyOn(Date, 'now');
    const t = Date.UTC(2030, 0, 1);
    now.mockReturnValue(t);
    const earlier = nextId();
    now.mockReturnValue(t + 1);
    const later = nextId();
    expect(timestampOf(earlier)).toBe(t);
    expect(timestampOf(later)).toBe(t + 1);
    expect(later > earlier).toBe(true);
  });

  it('spells every timestamp digit and keeps the random digits apart from one id to the next', () => {
    const nextId = freshUuidv7();
    jest.spyOn(Date, 'now').mockReturnValue(0xfedc_ba98_7654);
    const a = nextId();
    const b = nextId();
    expect(a.slice(0, 14)).toBe('fedcba98-7654-');
    expect(b.slice(0, 14)).toBe('fedcba98-7654-');
    // The counter went up by one; the 62 random bits were drawn anew.
    expect(parseInt(b.slice(15, 18), 16)).toBe(parseInt(a.slice(15, 18), 16) + 1);
    expect(b.slice(19)).not.toBe(a.slice(19));
    expect([a, b].filter((id) => !V7.test(id))).toEqual([]);
  });

  it('stays ordered when the clock steps back, and when one millisecond needs more ids than the counter holds', () => {
    const nextId = freshUuidv7();
    const now = jest.spyOn(Date, 'now');
    const t = Date.UTC(2031, 0, 1);
    now.mockReturnValue(t);
    const first = nextId();
    now.mockReturnValue(t - 1000);
    const afterStepBack = nextId();
    expect(afterStepBack > first).toBe(true);
    expect(timestampOf(afterStepBack)).toBe(t);

    now.mockReturnValue(t + 1);
    const burst = Array.from({ length: 5_000 }, () => nextId());
    expect(inOrder([afterStepBack, ...burst])).toBe(true);
    // The counter starts below 2048 and holds 4096 values: 5,000 ids borrow at least one millisecond.
    expect(timestampOf(burst[burst.length - 1])).toBeGreaterThan(t + 1);
    expect(burst.filter((id) => !V7.test(id))).toEqual([]);
  });
});

describe('uuidv7Into', () => {
  it('writes 36 bytes of a v7 id where asked, in order with uuidv7() made between', () => {
    // A view that starts partway into its memory, as a pooled Buffer does: the write honours its offset.
    const memory = Buffer.alloc(UUID_BYTES + 20, 0x2a);
    const buffer = memory.subarray(7);
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i % 2 === 0) {
        expect(uuidv7Into(buffer, 5)).toBe(5 + UUID_BYTES);
        ids.push(buffer.toString('latin1', 5, 5 + UUID_BYTES));
      } else {
        ids.push(uuidv7());
      }
    }
    expect(UUID_BYTES).toBe(36);
    expect(memory.subarray(0, 7 + 5).every((b) => b === 0x2a) && memory.subarray(7 + 5 + UUID_BYTES).every((b) => b === 0x2a)).toBe(true);
    expect(ids.filter((id) => !V7.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(inOrder(ids)).toBe(true);
  });
});
