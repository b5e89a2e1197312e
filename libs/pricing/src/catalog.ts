import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { calcPrice, type ConditionalPrice, findProvider, type ModelInfo, type ModelPrice as CatalogPrice, type Provider as CatalogProvider, type TieredPrices } from '@pydantic/genai-prices';
import { type CompiledPrice, compilePrice } from './compiled-price';
import { PRICE_SCALE, decimalFromNumber, normalizeDecimal, shiftDecimal } from './decimal';
import type { LongContextSpec, PriceSpec } from './price-spec';

// Prices for every model of the providers the gateway serves come from @pydantic/genai-prices:
// maintained, versioned on npm, with price history, time-of-day prices, long-context tiers, cache
// reads and writes, and its own rules for matching dated snapshots and Bedrock profile ids. Only
// its data and model matching are used, never its arithmetic (floats) and never its network
// update (data comes from the installed version; nothing is fetched at run time).

export const CATALOG_PACKAGE = '@pydantic/genai-prices';

/**
 * When each version was published on npm (the package carries no date of its own). A test fails
 * when the installed version is missing here, so a bump of the dependency updates it too.
 */
export const CATALOG_PUBLISHED_AT: Readonly<Record<string, string>> = { '0.1.8': '2026-09-23' };

export interface CatalogInfo {
  package: string;
  version: string;
  /** npm publish date of the installed version (YYYY-MM-DD), null if unknown. */
  published_at: string | null;
}

/** Gateway provider name -> catalog provider id, for each provider the gateway serves that the catalog prices. */
export const CATALOG_PROVIDER_IDS: ReadonlyMap<string, string> = new Map([
  ['openai', 'openai'],
  ['azure', 'azure'],
  ['anthropic', 'anthropic'],
  ['gemini', 'google'],
  ['bedrock', 'aws'],
  ['xai', 'x-ai'],
  ['mistral', 'mistral'],
  ['deepseek', 'deepseek'],
  ['groq', 'groq'],
  ['cohere', 'cohere'],
  ['openrouter', 'openrouter'],
  ['together', 'together'],
  ['fireworks', 'fireworks'],
  ['cerebras', 'cerebras'],
  ['perplexity', 'perplexity'],
]);

const GATEWAY_NAMES = new Map([...CATALOG_PROVIDER_IDS].map(([name, id]) => [id, name]));

function gatewayName(providerId: string): string {
  return GATEWAY_NAMES.get(providerId) ?? providerId;
}

type Constraint = { type: 'start_date'; at: number } | { type: 'time_of_date'; start: number; end: number };

interface Variant {
  constraint: Constraint | null;
  /** Null: priced only in units the gateway does not measure (audio hours, pages). */
  price: CompiledPrice | null;
}

/** One catalog model, compiled. */
export interface CatalogModel {
  /** The gateway's name for the provider whose list holds the model. */
  provider: string;
  /** The catalog's id of the model (what its matching rules resolve to). */
  model: string;
  contextWindow: number | null;
  variants: readonly Variant[];
  /** Why no variant could be compiled, when none could (a catalog shape this code does not handle). */
  unsupported: string | null;
}

/**
 * The installed catalog. Matching a model name runs the catalog's own rules once per name; the
 * caller (PriceBook) remembers the answer. Compiled models are shared by every PriceBook.
 */
export class PriceCatalog {
  readonly info: CatalogInfo;
  private readonly compiled = new Map<ModelInfo, CatalogModel>();
  private owners: Map<ModelInfo, string> | null = null;

  constructor() {
    const version = installedVersion();
    this.info = { package: CATALOG_PACKAGE, version, published_at: CATALOG_PUBLISHED_AT[version] ?? null };
  }

  /** The catalog provider id for a gateway provider name: mapped, or the same name when the catalog has exactly that id. */
  providerId(provider: string): string | null {
    const mapped = CATALOG_PROVIDER_IDS.get(provider);
    if (mapped !== undefined) return mapped;
    // The catalog's own lookup also matches loosely ("openai-compatible" -> openai): exact ids only.
    return findProvider({ providerId: provider })?.id === provider ? provider : null;
  }

  /** The catalog model that `provider/model` resolves to by the catalog's matching rules, or null. */
  match(provider: string, model: string): CatalogModel | null {
    const providerId = this.providerId(provider);
    if (providerId === null) return null;
    let info: ModelInfo;
    try {
      // Called only for its matching (with no usage it prices nothing); the rates are taken from the model.
      const found = calcPrice({}, model, { providerId });
      if (found === null) return null;
      info = found.model;
    } catch {
      return null;
    }
    return this.compiledModel(info, this.ownerOf(info) ?? providerId);
  }

  /**
   * Every model of a gateway provider's list in the catalog, compiled (for the listing and the
   * tests). Those not matched yet are compiled for this call and not kept: a listing is rare (the
   * admin's, the gateway's metric labels at start), and keeping all of the catalog's models would
   * hold them in the heap for good, where requests name a few.
   */
  models(provider: string): CatalogModel[] {
    const providerId = this.providerId(provider);
    if (providerId === null) return [];
    const source = findProvider({ providerId });
    if (source === undefined) return [];
    const name = gatewayName(source.id);
    return source.models.map((info) => this.compiled.get(info) ?? compileModel(info, name, this.info.version));
  }

  /** Gateway provider names whose models the catalog lists. */
  providers(): string[] {
    return [...CATALOG_PROVIDER_IDS.keys()];
  }

  private compiledModel(info: ModelInfo, providerId: string): CatalogModel {
    let entry = this.compiled.get(info);
    if (entry === undefined) {
      entry = compileModel(info, gatewayName(providerId), this.info.version);
      this.compiled.set(info, entry);
    }
    return entry;
  }

  /** A provider may fall back to another's list (azure -> openai): the model belongs to that one. */
  private ownerOf(info: ModelInfo): string | undefined {
    if (this.owners === null) {
      const owners = new Map<ModelInfo, string>();
      const visit = (provider: CatalogProvider | undefined) => {
        if (provider === undefined) return;
        for (const model of provider.models) if (!owners.has(model)) owners.set(model, provider.id);
      };
      for (const id of CATALOG_PROVIDER_IDS.values()) {
        const provider = findProvider({ providerId: id });
        visit(provider);
        for (const fallback of provider?.fallback_model_providers ?? []) visit(findProvider({ providerId: fallback }));
      }
      this.owners = owners;
    }
    return this.owners.get(info);
  }
}

/**
 * The variant in force at `at` (now when not given): the catalog's own rule (the last whose
 * constraint holds, else the first). Most models have one variant, in force at all times: no clock read.
 */
export function variantAt(model: CatalogModel, at?: Date): CompiledPrice | null {
  const variants = model.variants;
  let time = at?.getTime();
  for (let i = variants.length - 1; i >= 0; i--) {
    const constraint = variants[i].constraint;
    if (constraint === null) return variants[i].price;
    time ??= Date.now();
    if (holds(constraint, time)) return variants[i].price;
  }
  return variants.length > 0 ? variants[0].price : null;
}

export function isTimeVarying(model: CatalogModel): boolean {
  return model.variants.length > 1;
}

function holds(constraint: Constraint, time: number): boolean {
  if (constraint.type === 'start_date') return time >= constraint.at;
  const seconds = (time / 1000) % 86_400;
  const { start, end } = constraint;
  // A window across midnight (22:00 to 06:00) wraps.
  return end < start ? seconds >= start || seconds < end : seconds >= start && seconds < end;
}

let installed: string | null = null;

function installedVersion(): string {
  if (installed === null) {
    // The package's exports do not include its package.json; it sits beside the entry point's folder.
    const entry = require.resolve(CATALOG_PACKAGE);
    const manifest = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
    installed = manifest.version;
  }
  return installed;
}

function compileModel(info: ModelInfo, provider: string, version: string): CatalogModel {
  const raw = Array.isArray(info.prices) ? info.prices : [{ prices: info.prices }];
  const variants: Variant[] = [];
  let unsupported: string | null = null;
  const extra = raw.length > 1 ? { source: 'catalog' as const, catalog_version: version, time_varying: true } : { source: 'catalog' as const, catalog_version: version };
  for (const entry of raw) {
    let constraint: Constraint | null;
    let spec: PriceSpec | null;
    try {
      constraint = entry.constraint === undefined ? null : toConstraint(entry.constraint);
      spec = toSpec(entry.prices);
    } catch (err) {
      unsupported = (err as Error).message;
      continue;
    }
    variants.push({ constraint, price: spec === null ? null : compilePrice(provider, info.id, spec, extra) });
  }
  return {
    provider,
    model: info.id,
    contextWindow: typeof info.context_window === 'number' ? info.context_window : null,
    // A variant this code cannot read would leave another in force at the wrong time: all or nothing.
    variants: unsupported === null ? variants : [],
    unsupported,
  };
}

function toConstraint(raw: NonNullable<ConditionalPrice['constraint']>): Constraint {
  if (raw.type === 'start_date') {
    const at = Date.parse(`${raw.start_date}T00:00:00Z`);
    if (Number.isNaN(at)) throw new Error(`unreadable start_date ${raw.start_date}`);
    return { type: 'start_date', at };
  }
  return { type: 'time_of_date', start: secondsOfDay(raw.start_time), end: secondsOfDay(raw.end_time) };
}

/** "16:30:00Z", "08:00:00+08:00" -> seconds after midnight UTC. */
function secondsOfDay(text: string): number {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (!m) throw new Error(`unreadable time of day ${text}`);
  const local = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  const offset = m[4] === 'Z' ? 0 : (m[5] === '+' ? 1 : -1) * (Number(m[6]) * 3600 + Number(m[7]) * 60);
  return (((local - offset) % 86_400) + 86_400) % 86_400;
}

// The catalog's keys for what the gateway measures; others (audio, images, web searches, pages,
// 1-hour cache writes) are not reported separately by the providers' usage the gateway reads.
const TOKEN_KEYS = ['input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok', 'output_reasoning_mtok'] as const;
const REQUEST_KEY = 'requests_kcount';

/**
 * A catalog price as a PriceSpec. An empty price is a free model; a price only in units the
 * gateway does not measure is null (unpriced, not free). Throws on a shape the spec cannot hold.
 */
function toSpec(prices: CatalogPrice): PriceSpec | null {
  const keys = Object.keys(prices).filter((k) => prices[k] !== undefined);
  const measured = keys.filter((k) => (TOKEN_KEYS as readonly string[]).includes(k) || k === REQUEST_KEY);
  if (keys.length > 0 && measured.length === 0) return null;

  const thresholds = new Set<number>();
  for (const key of TOKEN_KEYS) {
    const value = prices[key];
    if (typeof value === 'object') for (const tier of value.tiers) thresholds.add(tier.start);
  }
  if (thresholds.size > 1) throw new Error(`tiers at ${[...thresholds].join(', ')} tokens (one long-context threshold is supported)`);
  if (typeof prices.output_reasoning_mtok === 'object') throw new Error('tiered reasoning price');
  if (typeof prices[REQUEST_KEY] === 'object') throw new Error('tiered request price');

  const spec: PriceSpec = { input_per_mtok: base(prices.input_mtok) ?? '0', output_per_mtok: base(prices.output_mtok) ?? '0' };
  const cached = base(prices.cache_read_mtok);
  if (cached !== null) spec.cached_input_per_mtok = cached;
  const write = base(prices.cache_write_mtok);
  if (write !== null) spec.cache_write_per_mtok = write;
  const reasoning = base(prices.output_reasoning_mtok);
  if (reasoning !== null) spec.reasoning_per_mtok = reasoning;
  const perThousand = base(prices[REQUEST_KEY]);
  if (perThousand !== null) spec.request_cost = exact(shiftDecimal(perThousand, 3), REQUEST_KEY);

  const [threshold] = thresholds;
  if (threshold !== undefined) {
    const tier: LongContextSpec = {
      threshold_tokens: threshold,
      input_per_mtok: tierPrice(prices.input_mtok) ?? spec.input_per_mtok,
      output_per_mtok: tierPrice(prices.output_mtok) ?? spec.output_per_mtok,
    };
    const tierCached = tierPrice(prices.cache_read_mtok);
    if (tierCached !== null) tier.cached_input_per_mtok = tierCached;
    const tierWrite = tierPrice(prices.cache_write_mtok);
    if (tierWrite !== null) tier.cache_write_per_mtok = tierWrite;
    spec.long_context = tier;
  }
  return spec;
}

type CatalogAmount = number | TieredPrices | undefined;

function base(value: CatalogAmount): string | null {
  if (value === undefined) return null;
  return exact(rate(typeof value === 'number' ? value : value.base), 'price');
}

/** The price above the (single) threshold, or null when this key has no tiers. */
function tierPrice(value: CatalogAmount): string | null {
  if (typeof value !== 'object' || value.tiers.length === 0) return null;
  return exact(rate(value.tiers[0].price), 'tier price');
}

/**
 * A catalog rate as exact decimal text. A few rates are computed fractions stored as floats
 * (1/12 = 0.08333333333333334 per 1M tokens): those are rounded at the 12th decimal place, an
 * error below 1e-12 USD per 1M tokens.
 */
function rate(value: number): string | null {
  const text = decimalFromNumber(value);
  if (text !== null || !Number.isFinite(value) || value < 0 || value >= 1e9) return text;
  return normalizeDecimal(value.toFixed(PRICE_SCALE));
}

function exact(text: string | null, what: string): string {
  if (text === null) throw new Error(`${what} is negative or has more decimal places than the gateway keeps`);
  return text;
}
