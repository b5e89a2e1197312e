import { createHash } from 'node:crypto';
import type { VirtualKeyEntity } from '@app/database';
import { UnknownFallbackPolicyError, type VirtualKeyChanges, type VirtualKeyRepository, type VirtualKeyWithSpend } from './virtual-key.repository';
import { toVirtualKeyDto, VirtualKeyService } from './virtual-key.service';
import { errorOf } from '../../../../test/support/error-of';

const ID = '0b7f3c1e-8a51-4c38-9d0e-5f9a2e7b6c41';
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

function entity(overrides: Partial<VirtualKeyEntity> = {}): VirtualKeyEntity {
  return {
    id: ID,
    name: 'team-a',
    keyHash: 'a'.repeat(64),
    keyPrefix: 'sk-bf-abcd',
    allowedModels: [],
    budgetMaxUsd: null,
    budgetPeriod: null,
    rateLimitRpm: null,
    rateLimitTpm: null,
    maxConcurrentRequests: null,
    fallbackPolicyId: null,
    expiresAt: null,
    isActive: true,
    metadata: {},
    revokedAt: null,
    createdAt: new Date('2025-01-01T00:00:00Z'),
    updatedAt: new Date('2025-01-01T00:00:00Z'),
    ...overrides,
  };
}

function mockRepository(): jest.Mocked<VirtualKeyRepository> {
  return {
    create: jest.fn(async (values) => entity(values)),
    findById: jest.fn(async (_id: string): Promise<VirtualKeyEntity | null> => null),
    findWithSpend: jest.fn(async (_id: string, _now: Date): Promise<VirtualKeyWithSpend | null> => null),
    list: jest.fn(async (_options: { includeRevoked: boolean; now: Date }): Promise<VirtualKeyWithSpend[]> => []),
    update: jest.fn(async (_id: string, changes: VirtualKeyChanges): Promise<VirtualKeyEntity | null> => entity(changes)),
    revoke: jest.fn(async (_id: string): Promise<VirtualKeyEntity | null> => entity({ isActive: false, revokedAt: new Date() })),
  };
}

describe('VirtualKeyService', () => {
  let repo: jest.Mocked<VirtualKeyRepository>;
  let service: VirtualKeyService;

  beforeEach(() => {
    repo = mockRepository();
    service = new VirtualKeyService(repo);
  });

  describe('create', () => {
    it('hands the repository only the hash and prefix of a fresh sk-bf- secret', async () => {
      const created = await service.create({ name: 'team-a' });
      expect(created.key).toMatch(/^sk-bf-[A-Za-z0-9_-]{43}$/);
      const values = repo.create.mock.calls[0][0];
      expect(values).toEqual({ name: 'team-a', keyHash: sha256(created.key), keyPrefix: created.key.slice(0, 10) });
      expect(JSON.stringify(values)).not.toContain(created.key);
      expect(created).not.toHaveProperty('keyHash');
      expect(created).not.toHaveProperty('key_hash');
    });

    it('issues a different secret every time', async () => {
      const a = await service.create({ name: 'a' });
      const b = await service.create({ name: 'b' });
      expect(a.key).not.toBe(b.key);
    });

    it('maps request fields to columns', async () => {
      await service.create({
        name: 'team-a',
        allowed_models: ['openai/*', 'openai/*', 'anthropic/claude-sonnet-4-5'],
        budget: { max_usd: 0.5, period: '1d' },
        rate_limit: { tokens_per_minute: 1000 },
        fallback_policy_id: ID,
        expires_at: '2030-01-01T01:00:00+01:00',
        is_active: false,
        metadata: { owner: 'x' },
      });
      expect(repo.create.mock.calls[0][0]).toMatchObject({
        allowedModels: ['openai/*', 'anthropic/claude-sonnet-4-5'],
        budgetMaxUsd: '0.5',
        budgetPeriod: '1d',
        rateLimitRpm: null,
        rateLimitTpm: 1000,
        fallbackPolicyId: ID,
        expiresAt: new Date('2030-01-01T00:00:00Z'),
        isActive: false,
        metadata: { owner: 'x' },
      });
    });
  });

  describe('update', () => {
    it('touches only the fields given, and clears the nullable ones given as null', async () => {
      await service.update(ID, { name: 'renamed', budget: null, rate_limit: null, expires_at: null });
      expect(repo.update).toHaveBeenCalledWith(ID, {
        name: 'renamed',
        budgetMaxUsd: null,
        budgetPeriod: null,
        rateLimitRpm: null,
        rateLimitTpm: null,
        maxConcurrentRequests: null,
        expiresAt: null,
      });
    });

    it('404 when the key does not exist, 409 when it is revoked', async () => {
      repo.update.mockResolvedValue(null);
      expect(await errorOf(service.update(ID, { name: 'x' }))).toMatchObject({ status: 404, code: 'not_found' });
      repo.findById.mockResolvedValue(entity({ revokedAt: new Date() }));
      expect(await errorOf(service.update(ID, { name: 'x' }))).toMatchObject({ status: 409, code: 'virtual_key_revoked' });
    });
  });

  describe('revoke', () => {
    it('returns the revoked record', async () => {
      const revoked = await service.revoke(ID);
      expect(revoked).toMatchObject({ id: ID, is_active: false, revoked_at: expect.any(String) });
    });

    it('is idempotent: an already revoked key comes back unchanged', async () => {
      const earlier = entity({ isActive: false, revokedAt: new Date('2025-02-01T00:00:00Z') });
      repo.revoke.mockResolvedValue(null);
      repo.findById.mockResolvedValue(earlier);
      expect(await service.revoke(ID)).toEqual(toVirtualKeyDto(earlier));
    });

    it('404 when the key does not exist', async () => {
      repo.revoke.mockResolvedValue(null);
      expect(await errorOf(service.revoke(ID))).toMatchObject({ status: 404 });
    });
  });

  describe('rotate', () => {
    it('replaces hash and prefix with those of a new secret', async () => {
      const rotated = await service.rotate(ID);
      expect(repo.update).toHaveBeenCalledWith(ID, { keyHash: sha256(rotated.key), keyPrefix: rotated.key.slice(0, 10) });
      expect(rotated.key_prefix).toBe(rotated.key.slice(0, 10));
    });

    it('404 for an unknown key', async () => {
      repo.update.mockResolvedValue(null);
      expect(await errorOf(service.rotate(ID))).toMatchObject({ status: 404 });
    });
  });

  it('list: passes include_revoked through, with the instant the periods are taken at', async () => {
    repo.list.mockResolvedValue([{ key: entity(), spend: { periodSpentUsd: null, remainingUsd: null, totalSpentUsd: '0' } }]);
    expect((await service.list(true)).data).toHaveLength(1);
    expect(repo.list).toHaveBeenCalledWith({ includeRevoked: true, now: expect.any(Date) });
  });

  describe('spend', () => {
    const NOW = new Date('2025-03-19T15:42:10.123Z');

    beforeEach(() => {
      jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    });
    afterEach(() => {
      jest.useRealTimers();
    });

    it('shows the current calendar period, what it holds and what is left, as numbers', async () => {
      const key = entity({ budgetMaxUsd: '25.0000000000', budgetPeriod: '1M' });
      repo.findWithSpend.mockResolvedValue({ key, spend: { periodSpentUsd: '3.2500000000', remainingUsd: '21.7500000000', totalSpentUsd: '118.4000000000' } });
      const dto = await service.get(ID);
      expect(repo.findWithSpend).toHaveBeenCalledWith(ID, NOW);
      expect(dto.spend).toEqual({ period_start: '2025-03-01T00:00:00.000Z', period_end: '2025-04-01T00:00:00.000Z', spent_usd: 3.25, remaining_usd: 21.75 });
      expect(dto.total_spent_usd).toBe(118.4);
    });

    it.each<[VirtualKeyEntity['budgetPeriod'], string | null, string | null]>([
      ['1h', '2025-03-19T15:00:00.000Z', '2025-03-19T16:00:00.000Z'],
      ['1d', '2025-03-19T00:00:00.000Z', '2025-03-20T00:00:00.000Z'],
      // 2025-03-19 is a Wednesday: weeks start on Monday.
      ['1w', '2025-03-17T00:00:00.000Z', '2025-03-24T00:00:00.000Z'],
      ['total', null, null],
    ])('a %s budget spans %s to %s', async (period, start, end) => {
      repo.findWithSpend.mockResolvedValue({ key: entity({ budgetMaxUsd: '1', budgetPeriod: period }), spend: { periodSpentUsd: '0', remainingUsd: '1', totalSpentUsd: '0' } });
      expect((await service.get(ID)).spend).toMatchObject({ period_start: start, period_end: end });
    });

    it('null spend without a budget, but always the total', async () => {
      repo.list.mockResolvedValue([{ key: entity(), spend: { periodSpentUsd: null, remainingUsd: null, totalSpentUsd: '0.0000012000' } }]);
      const [dto] = (await service.list(false)).data;
      expect(dto.spend).toBeNull();
      expect(dto.total_spent_usd).toBe(0.0000012);
    });

    it('get: 404 for an unknown key', async () => {
      expect(await errorOf(service.get(ID))).toMatchObject({ status: 404, code: 'not_found' });
    });
  });

  describe('fallback_policy_id', () => {
    it.each([
      ['create', (s: VirtualKeyService) => s.create({ name: 'x', fallback_policy_id: ID })],
      ['update', (s: VirtualKeyService) => s.update(ID, { fallback_policy_id: ID })],
    ])('%s: 400 naming the field when the repository finds no live policy', async (_label, act) => {
      repo.create.mockRejectedValue(new UnknownFallbackPolicyError(ID));
      repo.update.mockRejectedValue(new UnknownFallbackPolicyError(ID));
      expect(await errorOf(act(service))).toMatchObject({ status: 400, code: 'invalid_request', param: 'fallback_policy_id', message: expect.stringContaining(ID) });
    });

    it('passes other repository failures through untouched', async () => {
      const boom = new Error('connection lost');
      repo.update.mockRejectedValue(boom);
      await expect(service.update(ID, { fallback_policy_id: ID })).rejects.toBe(boom);
    });
  });
});

describe('toVirtualKeyDto', () => {
  it('shows max_usd as a number and groups budget and rate limits', () => {
    const dto = toVirtualKeyDto(entity({ budgetMaxUsd: '12.5000000000', budgetPeriod: '1M', rateLimitRpm: 60 }));
    expect(dto.budget).toEqual({ max_usd: 12.5, period: '1M' });
    expect(dto.rate_limit).toEqual({ requests_per_minute: 60, tokens_per_minute: null, max_concurrent_requests: null });
    expect(dto.created_at).toBe('2025-01-01T00:00:00.000Z');
  });

  it('shows null for an absent budget and absent rate limits, and never the hash', () => {
    const dto = toVirtualKeyDto(entity());
    expect(dto.budget).toBeNull();
    expect(dto.rate_limit).toBeNull();
    expect(JSON.stringify(dto)).not.toContain('a'.repeat(64));
  });
});
