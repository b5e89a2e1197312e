import type { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { ChangeFeed } from './change-feed.service';
import { TablePoller } from './table-poller';

describe('TablePoller', () => {
  afterEach(() => jest.useRealTimers());

  it('logs a timed refresh that fails with something not an Error (undefined) and polls on', async () => {
    jest.useFakeTimers();
    const query = jest.fn().mockResolvedValueOnce([]).mockRejectedValue(undefined);
    const warn = jest.fn();
    const poller = new TablePoller<{ updated_at: Date }>({
      dataSource: { query } as unknown as DataSource,
      feed: { watch: jest.fn(), started: Promise.resolve() } as unknown as ChangeFeed,
      table: 't', select: 'SELECT * FROM t', apply: jest.fn(), logger: { warn } as unknown as Logger,
    });
    await poller.begin(1_000);
    await jest.advanceTimersByTimeAsync(2_000);
    poller.stop();
    expect(query).toHaveBeenCalledTimes(3);
    expect(warn.mock.calls).toEqual([['refresh of t failed: undefined'], ['refresh of t failed: undefined']]);
  });
});
