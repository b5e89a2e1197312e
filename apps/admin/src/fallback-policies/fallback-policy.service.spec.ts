import type { FallbackPolicyEntity } from '@app/database';
import type { DeletedFallbackPolicy, FallbackPolicyChanges, FallbackPolicyRepository, NewFallbackPolicy } from './fallback-policy.repository';
import { FallbackPolicyService, toFallbackPolicyDto } from './fallback-policy.service';
import { errorOf } from '../../../../test/support/error-of';

const ID = '5d0c2a8e-61f7-4b39-8e4a-3c7b9f1d2e60';
const KEY_ID = '0b7f3c1e-8a51-4c38-9d0e-5f9a2e7b6c41';

function entity(overrides: Partial<FallbackPolicyEntity> = {}): FallbackPolicyEntity {
  return {
    id: ID,
    name: 'gpt-4o to claude',
    model: 'openai/gpt-4o',
    fallbacks: ['anthropic/claude-sonnet-4-5'],
    onStatus: null,
    createdAt: new Date('2025-01-01T00:00:00Z'),
    updatedAt: new Date('2025-01-02T00:00:00Z'),
    deletedAt: null,
    ...overrides,
  };
}

function mockRepository(): jest.Mocked<FallbackPolicyRepository> {
  return {
    create: jest.fn(async (values: NewFallbackPolicy): Promise<FallbackPolicyEntity> => entity(values)),
    findById: jest.fn(async (_id: string): Promise<FallbackPolicyEntity | null> => null),
    list: jest.fn(async (_filter: { model?: string }): Promise<FallbackPolicyEntity[]> => []),
    update: jest.fn(async (_id: string, changes: FallbackPolicyChanges): Promise<FallbackPolicyEntity | null> => entity(changes)),
    softDelete: jest.fn(async (_id: string): Promise<DeletedFallbackPolicy | null> => ({ detachedVirtualKeyIds: [] })),
  };
}

describe('FallbackPolicyService', () => {
  let repo: jest.Mocked<FallbackPolicyRepository>;
  let service: FallbackPolicyService;

  beforeEach(() => {
    repo = mockRepository();
    service = new FallbackPolicyService(repo);
  });

  describe('create', () => {
    it('maps the body to columns, with the default statuses when on_status is absent', async () => {
      const dto = await service.create({ name: 'p', model: 'openai/*', fallbacks: ['groq/llama-3.3-70b-versatile', 'mistral/mistral-large-latest'] });
      expect(repo.create).toHaveBeenCalledWith({ name: 'p', model: 'openai/*', fallbacks: ['groq/llama-3.3-70b-versatile', 'mistral/mistral-large-latest'], onStatus: null });
      expect(dto).toMatchObject({ model: 'openai/*', on_status: null });
    });

    it('keeps fallbacks in order with repeats, and stores on_status sorted without repeats', async () => {
      await service.create({ name: 'p', model: 'openai/gpt-4o', fallbacks: ['b/x', 'a/y', 'b/x'], on_status: [503, 429, 503, 500] });
      expect(repo.create.mock.calls[0][0]).toMatchObject({ fallbacks: ['b/x', 'a/y', 'b/x'], onStatus: [429, 500, 503] });
    });
  });

  describe('update', () => {
    it('touches only the fields given; on_status null restores the default', async () => {
      await service.update(ID, { fallbacks: ['google/gemini-2.5-flash'], on_status: null });
      expect(repo.update).toHaveBeenCalledWith(ID, { fallbacks: ['google/gemini-2.5-flash'], onStatus: null });
      await service.update(ID, { name: 'n', model: 'openai/gpt-4o-mini' });
      expect(repo.update).toHaveBeenLastCalledWith(ID, { name: 'n', model: 'openai/gpt-4o-mini' });
    });

    it('404 when there is no live policy', async () => {
      repo.update.mockResolvedValue(null);
      expect(await errorOf(service.update(ID, { name: 'x' }))).toMatchObject({ status: 404, code: 'not_found', message: expect.stringContaining(ID) });
    });
  });

  describe('remove', () => {
    it('reports the keys that lost the policy', async () => {
      repo.softDelete.mockResolvedValue({ detachedVirtualKeyIds: [KEY_ID] });
      expect(await service.remove(ID)).toEqual({ id: ID, deleted: true, detached_virtual_key_ids: [KEY_ID] });
      expect(repo.softDelete).toHaveBeenCalledWith(ID);
    });

    it('404 when there is no live policy (a second delete included)', async () => {
      repo.softDelete.mockResolvedValue(null);
      expect(await errorOf(service.remove(ID))).toMatchObject({ status: 404, code: 'not_found' });
    });
  });

  it('get: the record, or 404', async () => {
    expect(await errorOf(service.get(ID))).toMatchObject({ status: 404 });
    repo.findById.mockResolvedValue(entity());
    expect(await service.get(ID)).toEqual(toFallbackPolicyDto(entity()));
  });

  it('list: passes the model filter through only when given', async () => {
    repo.list.mockResolvedValue([entity(), entity({ id: KEY_ID })]);
    expect((await service.list()).data).toHaveLength(2);
    expect(repo.list).toHaveBeenLastCalledWith({});
    await service.list('openai/gpt-4o');
    expect(repo.list).toHaveBeenLastCalledWith({ model: 'openai/gpt-4o' });
  });
});

describe('toFallbackPolicyDto', () => {
  it('shows the API fields only, in snake_case, with ISO timestamps', () => {
    const dto = toFallbackPolicyDto(entity({ onStatus: [429, 503], deletedAt: new Date() }));
    expect(dto).toEqual({
      id: ID,
      name: 'gpt-4o to claude',
      model: 'openai/gpt-4o',
      fallbacks: ['anthropic/claude-sonnet-4-5'],
      on_status: [429, 503],
      created_at: '2025-01-01T00:00:00.000Z',
      updated_at: '2025-01-02T00:00:00.000Z',
    });
  });
});
