import type { StoredResponseRow } from './stored-response';
import { reviveStoredText } from './stored-response.writer';
import { StoredRowEncoder } from './stored-row-text';

describe('reviveStoredText', () => {
  const row: StoredResponseRow = {
    id: 'resp_1', keyId: '00000000-0000-4000-8000-000000000001', createdAt: 1_700_000_000_123, expiresAt: 1_800_000_000_000,
    status: 'completed', background: false, model: 'gpt', previousResponseId: null, requestJson: '{"input":"hi"}', inputItemsJson: '[]',
    responseJson: '{"id":"resp_1","output":[]}', errorJson: null, items: [{ source: 'output', position: 0, itemId: 'msg_1' }],
  };
  const spilled = (fields: Record<string, unknown>): string => JSON.stringify({ ...row, ...fields });

  it('makes a spilled line its row again', () => {
    expect(reviveStoredText(new StoredRowEncoder(), JSON.stringify(row))!.row()).toEqual(row);
  });

  it('spills its times as ISO strings, as lines written when rows held Dates, and replays such a line', () => {
    const line = JSON.stringify(new StoredRowEncoder().encode(row));
    expect(JSON.parse(line)).toMatchObject({ createdAt: '2023-11-14T22:13:20.123Z', expiresAt: '2027-01-15T08:00:00.000Z' });
    // A line of the previous build (its row's Dates as JSON.stringify wrote them).
    const old = '{"id":"resp_1","keyId":"00000000-0000-4000-8000-000000000001","createdAt":"2023-11-14T22:13:20.123Z","expiresAt":"2027-01-15T08:00:00.000Z",'
      + '"status":"completed","background":false,"model":"gpt","previousResponseId":null,"requestJson":"{\\"input\\":\\"hi\\"}","inputItemsJson":"[]",'
      + '"responseJson":"{\\"id\\":\\"resp_1\\",\\"output\\":[]}","errorJson":null,"items":[{"source":"output","position":0,"itemId":"msg_1"}]}';
    expect(reviveStoredText(new StoredRowEncoder(), old)!.row()).toEqual(row);
    expect(line).toBe(old);
  });

  it.each([
    ['not JSON', '{"id":'],
    ['without a status', spilled({ status: null })],
    ['without its request', spilled({ requestJson: null })],
    ['without its input items', spilled({ inputItemsJson: null })],
    ['without previousResponseId', spilled({ previousResponseId: undefined })],
    ['without a key', spilled({ keyId: undefined })],
    ['with a time that is not one', spilled({ createdAt: 'yesterday' })],
    // Its column is `text`: what a `json` column refused is set aside here instead.
    ['whose response is not JSON', spilled({ responseJson: '{"unterminated' })],
    ['whose request is not JSON', spilled({ requestJson: '{"input":"hi"} trailing' })],
    ['whose input items are not JSON', spilled({ inputItemsJson: '[' })],
    ['whose error is not JSON', spilled({ errorJson: '{nope}' })],
    ['whose error is not a string', spilled({ errorJson: { message: 'x' } })],
    ['whose JSON holds a raw U+0000 between its tokens', spilled({ responseJson: '{"id":"resp_1",\0"output":[]}' })],
  ])('sets aside a line %s (null) instead of throwing, and the encoder goes on', (_, line) => {
    const encoder = new StoredRowEncoder();
    expect(reviveStoredText(encoder, line)).toBeNull();
    expect(reviveStoredText(encoder, JSON.stringify(row))!.row()).toEqual(row);
  });

  it('revives JSON holding a raw U+0000 in a string, which its column takes as U+FFFD, as a json column did', () => {
    const line = spilled({ responseJson: '{"id":"resp_1","output":[],"note":"a\0b"}' });
    expect(JSON.parse(reviveStoredText(new StoredRowEncoder(), line)!.row().responseJson)).toEqual({ id: 'resp_1', output: [], note: 'a\ufffdb' });
  });
});
