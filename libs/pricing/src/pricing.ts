import { splitModelId } from '@app/common';
import { type CatalogInfo, type CatalogModel, PriceCatalog, variantAt } from './catalog';
import { type CompiledPrice, compilePrice, computeCost } from './compiled-price';
import { PRICE_SHEET } from './price-sheet';
import type { CostBreakdown, CostResult, ModelLimits, ModelPrice, PriceSheet, PriceSpec, TokenUsage } from './price-spec';

/** A price set through the admin API (stored in Postgres). */
export interface AdminPrice {
  provider: string;
  model: string;
  price: PriceSpec;
  updatedAt: Date;
}

export interface PriceBookOptions {
  /** `provider/model` -> override, typically GATEWAY_CONFIG's `pricing` (parsed once, by the config loader). */
  overrides?: Readonly<Record<string, PriceSpec>>;
  /** Replaces the built-in entries (tests). */
  sheet?: PriceSheet;
  /** The catalog; null for none (tests of the other layers). Default: the installed one, shared. */
  catalog?: PriceCatalog | null;
  /** Prices set through the admin API. */
  adminPrices?: readonly AdminPrice[];
  /**
   * Configured provider name -> its kind (GATEWAY_CONFIG `kind`): a provider named freely but of
   * a first-party kind (`bedrock-eu`, kind `bedrock`) is priced from that kind's catalog list.
   */
  providerKinds?: ReadonlyMap<string, string>;
}

/** Provider kinds that are one vendor's own API, so that any provider of that kind serves its catalog list. */
const FIRST_PARTY_KINDS: ReadonlySet<string> = new Set(['openai', 'azure', 'anthropic', 'gemini', 'bedrock', 'cohere']);

/**
 * Providers whose own price list is authoritative for a model name. A provider that resells
 * models (azure, openrouter, vertex, a self-hosted OpenAI-compatible proxy...) is priced as the
 * first of these that lists the model.
 */
export const FIRST_PARTY_PROVIDERS = ['openai', 'anthropic', 'gemini', 'mistral', 'deepseek', 'xai', 'cohere'] as const;

/** Vendor segments used by aggregators (`openrouter/google/gemini-2.5-pro`) that differ from our provider names. */
const VENDOR_ALIASES: ReadonlyMap<string, string> = new Map([
  ['google', 'gemini'],
  ['x-ai', 'xai'],
  ['mistralai', 'mistral'],
]);

// -2024-08-06, -20250929, -08-2024 (Cohere), @20250929 (Vertex), -latest.
const DATED_SUFFIX = /(?:-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{2}-\d{4}|latest)|@\d{8})$/;
// Bedrock cross-region inference profiles: us.anthropic.claude-..., global.anthropic.claude-...
const BEDROCK_PROFILE_PREFIX = /^(?:us|eu|apac|ap|jp|au|ca|us-gov|global)\./;

const MAX_REMEMBERED_IDS = 10_000;

let sharedCatalog: PriceCatalog | undefined;

/** The installed catalog, compiled once per process and shared by every PriceBook. */
export function defaultCatalog(): PriceCatalog {
  return (sharedCatalog ??= new PriceCatalog());
}

/** What a model id resolved to: a fixed price, or a catalog model whose price may depend on the time. */
type Resolution = { fixed: CompiledPrice } | { catalog: CatalogModel };

/** Exact `provider/model` entries of one source, with the dated-suffix and profile-prefix rule. */
class PriceTable {
  private readonly entries = new Map<string, Resolution>();

  get size(): number {
    return this.entries.size;
  }

  add(price: CompiledPrice): void {
    this.entries.set(`${price.price.provider}/${price.price.model}`.toLowerCase(), { fixed: price });
  }

  values(): CompiledPrice[] {
    return [...this.entries.values()].map((r) => (r as { fixed: CompiledPrice }).fixed);
  }

  find(provider: string, model: string): Resolution | null {
    if (this.entries.size === 0) return null;
    const exact = this.entries.get(`${provider}/${model}`);
    if (exact) return exact;
    const stripped = strippedModel(provider, model);
    return stripped === null ? null : (this.entries.get(`${provider}/${stripped}`) ?? null);
  }
}

/**
 * Prices for every `provider/model` the gateway can call. Sources, the first that prices a
 * model winning: the operator's overrides (GATEWAY_CONFIG `pricing`), admin prices (Postgres),
 * then the built-in entries and the catalog. Immutable; `withAdminPrices` makes the next one.
 *
 * Lookup of `provider/model` in each source in turn (an override takes part in every step, so
 * an override of `openai/gpt-4o` also prices `azure/gpt-4o`):
 *  1. exact `provider/model` (case-insensitive); for the catalog, its own matching rules
 *     (dated snapshots, Bedrock profile ids, a provider's fallback lists such as azure -> openai);
 *  2. the model with a date suffix (`-2024-08-06`, `-20250929`, `-08-2024`, `@20250929`) or `-latest` removed,
 *     and for bedrock a cross-region profile prefix (`us.`, `global.`) removed;
 *  3. resellers: a model written `vendor/model` (openrouter style) is priced as that vendor's
 *     model; any other model name is priced as the first of FIRST_PARTY_PROVIDERS that lists it.
 * No match -> null: the caller must record "unpriced", never a cost of 0.
 */
export class PriceBook {
  private readonly overrides: PriceTable;
  private readonly admin: PriceTable;
  private readonly builtIn: PriceTable;
  private readonly catalog: PriceCatalog | null;
  /** Lower-cased provider name -> the catalog provider to price it as, when that differs from its name. */
  private readonly catalogNames: ReadonlyMap<string, string>;
  /** Provider, then model, as asked for -> what they resolved to. */
  private readonly resolved = new Map<string, Map<string, Resolution | null>>();
  private remembered = 0;

  constructor(options: PriceBookOptions = {}, shared?: { overrides: PriceTable; builtIn: PriceTable; catalog: PriceCatalog | null; catalogNames: ReadonlyMap<string, string> }) {
    if (shared) {
      this.overrides = shared.overrides;
      this.builtIn = shared.builtIn;
      this.catalog = shared.catalog;
      this.catalogNames = shared.catalogNames;
    } else {
      this.catalog = options.catalog === undefined ? defaultCatalog() : options.catalog;
      const catalogNames = new Map<string, string>();
      for (const [name, kind] of options.providerKinds ?? []) {
        if (FIRST_PARTY_KINDS.has(kind) && name.toLowerCase() !== kind) catalogNames.set(name.toLowerCase(), kind);
      }
      this.catalogNames = catalogNames;
      this.builtIn = new PriceTable();
      for (const [provider, models] of Object.entries(options.sheet ?? PRICE_SHEET)) {
        for (const [model, { reference, ...spec }] of Object.entries(models)) {
          this.builtIn.add(compilePrice(provider, model, spec, reference === undefined ? { source: 'built_in' } : { source: 'built_in', reference }));
        }
      }
      this.overrides = new PriceTable();
      for (const [id, spec] of Object.entries(options.overrides ?? {})) {
        // Keys are `provider/model`, checked when the overrides were parsed.
        const { provider, model } = splitModelId(id)!;
        this.overrides.add(compilePrice(provider, model, spec, { source: 'override' }));
      }
    }
    this.admin = new PriceTable();
    for (const entry of options.adminPrices ?? []) {
      this.admin.add(compilePrice(entry.provider, entry.model, entry.price, { source: 'admin', updated_at: entry.updatedAt.toISOString() }));
    }
  }

  /** The same book with `prices` as the whole set of admin prices. */
  withAdminPrices(prices: readonly AdminPrice[]): PriceBook {
    return new PriceBook({ adminPrices: prices }, { overrides: this.overrides, builtIn: this.builtIn, catalog: this.catalog, catalogNames: this.catalogNames });
  }

  /** The installed catalog's name, version and publish date; null when the book has none. */
  get catalogInfo(): CatalogInfo | null {
    return this.catalog?.info ?? null;
  }

  /** The price a request to `provider/model` at `at` (default now) pays, or null when none is known. */
  priceFor(provider: string, model: string, at?: Date): ModelPrice | null {
    return this.compiledAt(provider, model, at)?.price ?? null;
  }

  /** Cost of one request at `at` (default now), or null when the model has no price. */
  cost(provider: string, model: string, usage: TokenUsage, at?: Date): CostResult | null {
    const entry = this.compiledAt(provider, model, at);
    return entry === null ? null : computeCost(entry, usage);
  }

  /** The model's size limits from the catalog (prices set elsewhere do not carry any). */
  limits(provider: string, model: string): ModelLimits | null {
    if (this.catalog === null) return null;
    const p = provider.toLowerCase();
    const m = model.toLowerCase();
    const found = this.inSource(p, m, (q, n) => this.matchCatalog(q, n));
    if (found === null || !('catalog' in found)) return null;
    const entry = found.catalog;
    return { id: `${entry.provider}/${entry.model}`, context_window: entry.contextWindow, max_output_tokens: null };
  }

  /**
   * Every price in force at `at`, sorted by id: each source's own entries, and the catalog's for
   * every provider it lists. Where sources name the same id, the winning one is shown.
   */
  list(at: Date = new Date()): ModelPrice[] {
    const byId = new Map<string, ModelPrice>();
    if (this.catalog !== null) {
      for (const provider of this.catalog.providers()) {
        for (const model of this.catalog.models(provider)) {
          const price = variantAt(model, at);
          if (price !== null) byId.set(price.price.id.toLowerCase(), price.price);
        }
      }
    }
    for (const table of [this.builtIn, this.admin, this.overrides]) {
      for (const entry of table.values()) byId.set(entry.price.id.toLowerCase(), entry.price);
    }
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  private compiledAt(provider: string, model: string, at: Date | undefined): CompiledPrice | null {
    const found = this.resolve(provider, model);
    if (found === null) return null;
    return 'fixed' in found ? found.fixed : variantAt(found.catalog, at);
  }

  private resolve(provider: string, model: string): Resolution | null {
    // Lookups run per request; the answer for an id never changes within a book, so remember it
    // (nulls too), by the names as given: no id to build or lower-case on the way to the answer.
    let byModel = this.resolved.get(provider);
    const cached = byModel?.get(model);
    if (cached !== undefined) return cached;
    const p = provider.toLowerCase();
    const m = model.toLowerCase();
    const found =
      this.inSource(p, m, (q, n) => this.overrides.find(q, n)) ??
      this.inSource(p, m, (q, n) => this.admin.find(q, n)) ??
      this.inSource(p, m, (q, n) => this.builtIn.find(q, n) ?? this.matchCatalog(q, n));
    if (this.remembered < MAX_REMEMBERED_IDS) {
      if (byModel === undefined) this.resolved.set(provider, (byModel = new Map()));
      byModel.set(model, found);
      this.remembered++;
    }
    return found;
  }

  /** Steps 1 to 3 of the lookup in one source; `find` does steps 1 and 2 for one provider. */
  private inSource(provider: string, model: string, find: (provider: string, model: string) => Resolution | null): Resolution | null {
    const direct = find(provider, model);
    if (direct) return direct;
    const vendored = splitModelId(model);
    if (vendored !== null) return find(VENDOR_ALIASES.get(vendored.provider) ?? vendored.provider, vendored.model);
    for (const firstParty of FIRST_PARTY_PROVIDERS) {
      if (firstParty === provider) continue;
      const resold = find(firstParty, model);
      if (resold) return resold;
    }
    return null;
  }

  private matchCatalog(name: string, model: string): Resolution | null {
    if (this.catalog === null) return null;
    const provider = this.catalogNames.get(name) ?? name;
    let found = this.catalog.match(provider, model);
    if (found === null) {
      const stripped = strippedModel(provider, model);
      if (stripped !== null) found = this.catalog.match(provider, stripped);
    }
    return found === null ? null : { catalog: found };
  }
}

/** The model without its date suffix or Bedrock profile prefix; null when it has neither. */
function strippedModel(provider: string, model: string): string | null {
  let stripped = model;
  if (provider === 'bedrock') stripped = stripped.replace(BEDROCK_PROFILE_PREFIX, '');
  stripped = stripped.replace(DATED_SUFFIX, '');
  return stripped === model ? null : stripped;
}

/** The five `usage.cost` fields of the public response, without the log-only decimal string. */
export function toUsageCost(result: CostBreakdown): CostBreakdown {
  return {
    input_tokens_cost: result.input_tokens_cost,
    output_tokens_cost: result.output_tokens_cost,
    reasoning_tokens_cost: result.reasoning_tokens_cost,
    request_cost: result.request_cost,
    total_cost: result.total_cost,
  };
}

/**
 * `JSON.stringify(toUsageCost(result))`, written out: a template costs less than serialising an
 * object built for it, when the spliced answer wants only the text.
 */
export function usageCostJson(result: CostBreakdown): string {
  return `{"input_tokens_cost":${jsonNumber(result.input_tokens_cost)},"output_tokens_cost":${jsonNumber(result.output_tokens_cost)},"reasoning_tokens_cost":${jsonNumber(result.reasoning_tokens_cost)},"request_cost":${jsonNumber(result.request_cost)},"total_cost":${jsonNumber(result.total_cost)}}`;
}

/** A number as JSON.stringify writes it: as String() does, and null when not finite. */
function jsonNumber(n: number): string | number {
  return Number.isFinite(n) ? n : 'null';
}

let limitsBook: PriceBook | undefined;

/**
 * The catalog's size limits for `provider/model`, found like its price (dated ids, resellers);
 * null when the catalog does not know the model. For worst-case cost estimates.
 */
export function modelLimits(provider: string, model: string): ModelLimits | null {
  return (limitsBook ??= new PriceBook({ sheet: {} })).limits(provider, model);
}
