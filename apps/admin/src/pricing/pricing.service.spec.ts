import type { AppConfig } from '@app/common';
import { type AdminPrice, type AdminPriceChange, PriceBook, adminPriceFeed, parsePriceOverrides } from '@app/pricing';
import type { PricingRepository, UnpricedSeen } from './pricing.repository';
import { PricingService } from './pricing.service';

const DATABASE = 'postgres://pricing-service-spec';

class MemoryRepository implements PricingRepository {
  prices = new Map<string, AdminPrice>();
  seen: UnpricedSeen[] = [];
  private clock = Date.parse('2026-12-01T00:00:00Z');

  async list(): Promise<AdminPrice[]> {
    return [...this.prices.values()];
  }
  async upsert(provider: string, model: string, price: AdminPrice['price']): Promise<AdminPrice> {
    const saved = { provider, model, price, updatedAt: new Date((this.clock += 1000)) };
    this.prices.set(`${provider}/${model}`.toLowerCase(), saved);
    return saved;
  }
  async softDelete(provider: string, model: string) {
    const key = `${provider}/${model}`.toLowerCase();
    const found = this.prices.get(key);
    if (!found) return null;
    this.prices.delete(key);
    return { provider: found.provider, model: found.model, updatedAt: new Date((this.clock += 1000)) };
  }
  async unpricedSince(): Promise<UnpricedSeen[]> {
    return this.seen;
  }
}

describe('PricingService', () => {
  const book = new PriceBook({
    sheet: { openai: { 'gpt-4o': { input_per_mtok: '2.5', output_per_mtok: '10', reference: 'test' } } },
    overrides: parsePriceOverrides({ 'openai/gpt-4o': { input_per_mtok: 2, output_per_mtok: 8 }, 'acme/m1': { input_per_mtok: '1', output_per_mtok: '2' } }),
    catalog: null,
  });
  let repo: MemoryRepository;
  let service: PricingService;
  let published: AdminPriceChange[];
  let unsubscribe: () => void;

  beforeEach(() => {
    repo = new MemoryRepository();
    service = new PricingService(book, repo, { databaseUrl: DATABASE } as AppConfig);
    published = [];
    unsubscribe = adminPriceFeed.subscribe(DATABASE, (changes) => published.push(...changes));
  });
  afterEach(() => unsubscribe());

  it('lists every source with the overrides winning, filtered on request', async () => {
    await service.set('local', 'house', { input_per_mtok: '0.5', output_per_mtok: 1 });
    const listing = await service.list({});
    expect(listing.data).toEqual([
      expect.objectContaining({ id: 'acme/m1', source: 'override', input_per_mtok: '1' }),
      expect.objectContaining({ id: 'local/house', source: 'admin', input_per_mtok: '0.5', output_per_mtok: '1' }),
      expect.objectContaining({ id: 'openai/gpt-4o', source: 'override', input_per_mtok: '2', output_per_mtok: '8' }),
    ]);
    expect(listing.checked_at).toMatch(/^\d{4}-\d{2}/);
    expect((await service.list({ source: 'admin' })).data.map((p) => p.id)).toEqual(['local/house']);
    expect((await service.list({ provider: 'acme' })).data.map((p) => p.id)).toEqual(['acme/m1']);
  });

  it('stores a price canonically, returns it in force and hands it to this process\'s gateways', async () => {
    const price = await service.set('local', 'house', { input_per_mtok: '0.50', output_per_mtok: 1.5e-7, long_context: { threshold_tokens: 10, input_per_mtok: 1, output_per_mtok: '2.0' } });
    expect(price).toMatchObject({ id: 'local/house', source: 'admin', input_per_mtok: '0.5', output_per_mtok: '0.00000015', long_context: { threshold_tokens: 10, input_per_mtok: '1', output_per_mtok: '2' } });
    expect(repo.prices.get('local/house')?.price.input_per_mtok).toBe('0.5');
    expect(published).toEqual([expect.objectContaining({ provider: 'local', model: 'house', price: expect.objectContaining({ input_per_mtok: '0.5' }) })]);
  });

  it('refuses a price that a GATEWAY_CONFIG override would shadow, changing nothing', async () => {
    await expect(service.set('openai', 'gpt-4o', { input_per_mtok: 1, output_per_mtok: 1 })).rejects.toMatchObject({ status: 409, code: 'price_overridden' });
    // Through the reseller rule too: the override of openai/gpt-4o prices azure/gpt-4o.
    await expect(service.set('azure', 'gpt-4o', { input_per_mtok: 1, output_per_mtok: 1 })).rejects.toMatchObject({ status: 409 });
    expect(repo.prices.size).toBe(0);
    expect(published).toEqual([]);
  });

  it('removes an admin price, and says 404 when there is none', async () => {
    await service.set('local', 'house', { input_per_mtok: 1, output_per_mtok: 1 });
    await service.remove('LOCAL', 'House');
    expect(published.at(-1)).toMatchObject({ provider: 'local', model: 'house', price: null });
    await expect(service.resolve('local', 'house')).rejects.toMatchObject({ status: 404 });
    await expect(service.remove('local', 'house')).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('lists the unpriced models seen, leaving out those priced since', async () => {
    const lastSeenAt = new Date('2026-12-01T10:00:00Z');
    repo.seen = [
      { provider: 'local', model: 'house', requests: 3, lastSeenAt },
      { provider: 'local', model: 'other', requests: 1, lastSeenAt },
      { provider: 'acme', model: 'm1', requests: 9, lastSeenAt },
    ];
    await service.set('local', 'house', { input_per_mtok: 1, output_per_mtok: 1 });
    expect((await service.unpriced()).data).toEqual([{ id: 'local/other', provider: 'local', model: 'other', requests: 1, last_seen_at: '2026-12-01T10:00:00.000Z' }]);
  });
});
