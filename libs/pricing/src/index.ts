// The public surface of @app/pricing; inside this lib import by relative path.
export * from './price-spec';
export * from './pricing';
export { parsePriceOverrides, parsePriceSpec, priceOverridesSchema, priceSpecSchema } from './price-input';
export type { PriceOverrideJson } from './price-input';
export { PRICE_SHEET, PRICES_CHECKED_AT } from './price-sheet';
export { CATALOG_PACKAGE, CATALOG_PROVIDER_IDS, PriceCatalog } from './catalog';
export type { CatalogInfo, CatalogModel } from './catalog';
export { adminPriceFeed } from './admin-price-feed';
export type { AdminPriceChange } from './admin-price-feed';
export { costToDecimalString } from './decimal';
