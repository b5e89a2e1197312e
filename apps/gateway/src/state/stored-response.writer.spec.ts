import type { StoredResponseRow } from './stored-response';
import { reviveStoredText } from './stored-response.writer';
import { StoredRowEncoder } from './stored-row-text';

describe('reviveStoredText', () => {
  const row: StoredResponseRow = {
    id: 'resp_1', keyId: '00000000-0000-4000-8000-000000000001', createdAt: new Date(1_700_000_000_123), expiresAt: new Date(1_800_000_000_000),
    status: 'completed', background: false, model: 'gpt', previousResponseId: null, requestJson: '{"input":"hi"}', inputItemsJson: '[]',
    responseJson: '{"id":"resp_1","output":[]}', errorJson: null, items: [{ source: 'output', position: 0, itemId: 'msg_1' }],
  };
  const spilled = (fields: Record<string, unknown>): string => JSON.stringify({ ...row, ...fields });

  it('makes a spilled line its row again', () => {
    expect(reviveStoredText(new StoredRowEncoder(), JSON.stringify(row))!.row()).toEqual(row);
  });

  it.each([
    ['not JSON', '{"id":'],
    ['without a status', spilled({ status: null })],
    ['without its request', spilled({ requestJson: null })],
    ['without its input items', spilled({ inputItemsJson: null })],
    ['without previousResponseId', spilled({ previousResponseId: undefined })],
    ['without a key', spilled({ keyId: undefined })],
    ['with a time that is not one', spilled({ createdAt: 'yesterday' })],
  ])('sets aside a line %s (null) instead of throwing, and the encoder goes on', (_, line) => {
    const encoder = new StoredRowEncoder();
    expect(reviveStoredText(encoder, line)).toBeNull();
    expect(reviveStoredText(encoder, JSON.stringify(row))!.row()).toEqual(row);
  });
});
