// The public surface of @app/pricing; inside this lib import by relative path.
export * from './pricing';
export { PRICE_SHEET, PRICES_CHECKED_AT } from './price-sheet';
export type { PriceSheet, PriceSpec, LongContextSpec } from './price-sheet';
export { costToDecimalString } from './decimal';
