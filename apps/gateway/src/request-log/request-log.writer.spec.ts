import { requestLogRow } from '../../../../test/support/request-log-rows';
import { repairRow, reviveRow, type RequestLogRow } from './request-log.writer';

describe('repairRow', () => {
  it('leaves an ordinary row alone', () => {
    const row = requestLogRow();
    const copy = { ...row };
    expect(repairRow(row)).toBe(false);
    expect(row).toEqual(copy);
  });

  it('cuts text past what its indexes allow, marks it, and clamps numbers to their columns', () => {
    const row = requestLogRow({
      model: 'm'.repeat(4096),
      errorMessage: 'e'.repeat(5000),
      inputTokens: 2 ** 40,
      outputTokens: -5,
      latencyMs: Number.NaN,
      costUsd: '123456789012.5',
      createdAt: new Date(Number.NaN),
    });
    expect(repairRow(row)).toBe(true);
    expect(row.model).toHaveLength(512);
    expect(row.model.endsWith('…')).toBe(true);
    expect(row.errorMessage).toHaveLength(1000);
    expect([row.inputTokens, row.outputTokens, row.latencyMs]).toEqual([2_147_483_647, 0, 0]);
    expect(row.costUsd).toBe('9999999999');
    expect(Number.isNaN(row.createdAt.getTime())).toBe(false);
  });

  it('cuts every text shorter when asked to (a row refused within the usual limits)', () => {
    const row = requestLogRow({ requestId: 'r'.repeat(100), modelRequested: 'openai/' + 'x'.repeat(300) });
    repairRow(row, 64);
    expect(row.requestId).toHaveLength(64);
    expect(row.modelRequested).toHaveLength(64);
  });
});

describe('repairRow on one field out of its limits', () => {
  const bad: [keyof RequestLogRow, unknown][] = [
    ['requestId', 'r'.repeat(129)], ['clientRequestId', 'c'.repeat(129)], ['provider', 'p'.repeat(129)], ['model', 'm'.repeat(513)],
    ['modelRequested', 'q'.repeat(513)], ['errorCode', 'e'.repeat(201)], ['errorMessage', 'x'.repeat(1001)],
    ['fallbackIndex', -1], ['httpStatus', 1.5], ['inputTokens', 2 ** 31], ['cachedTokens', Number.NaN], ['outputTokens', -1],
    ['reasoningTokens', undefined], ['totalTokens', '3'], ['latencyMs', Infinity], ['ttftMs', -2],
    ['createdAt', new Date(Number.NaN)], ['createdAt', '2024-01-01'], ['costUsd', '-1'], ['costUsd', 'abc'], ['costUsd', undefined],
  ];
  it.each(bad)('repairs %s', (field, value) => {
    const row = requestLogRow({ [field]: value } as Partial<RequestLogRow>);
    expect(repairRow(row)).toBe(true);
    expect(repairRow(row)).toBe(false);
  });
});

describe('reviveRow', () => {
  const line = (fields: Record<string, unknown> = {}, without?: string) => {
    const row: Record<string, unknown> = { ...JSON.parse(JSON.stringify(requestLogRow({ ttftMs: 7, errorCode: 'x' }))), ...fields };
    if (without !== undefined) delete row[without];
    return JSON.stringify(row);
  };

  it('gives back a spilled row, and one spilled before client_request_id and request_type with their defaults', () => {
    const row = requestLogRow({ ttftMs: 7, errorCode: 'x' });
    expect(reviveRow(JSON.stringify(row))).toEqual(row);
    const old = JSON.parse(JSON.stringify(row)) as Record<string, unknown>;
    delete old.clientRequestId;
    delete old.requestType;
    expect(reviveRow(JSON.stringify(old))).toMatchObject({ clientRequestId: null, requestType: 'responses' });
  });

  it('refuses a line with a field missing or not of its type, which the encoder could not size or write (a dead letter, not a replay stuck on it)', () => {
    const bad = [
      line({}, 'model'), line({}, 'status'), line({}, 'stream'), line({}, 'ttftMs'), line({ provider: [] }), line({ requestId: 5 }), line({ errorMessage: {} }),
      line({ costUsd: 0.5 }), line({ inputTokens: 'x' }), line({ ttftMs: '3' }), line({ latencyMs: null }), line({ stream: 'yes' }), line({ stream: 1 }),
    ];
    expect(bad.map((l) => reviveRow(l))).toEqual(bad.map(() => null));
    expect(reviveRow(line({ ttftMs: null, errorCode: null }))).not.toBeNull();
  });
});
