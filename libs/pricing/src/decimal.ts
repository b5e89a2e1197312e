// Exact money arithmetic. Prices are decimal strings; a JavaScript number cannot hold 0.15 exactly,
// and the cost log column is numeric(20,10), so every product is computed on BigInt fixed-point
// values and turned into a number only at the edge.

/** Decimal places kept for a price in USD per 1M tokens. */
export const PRICE_SCALE = 12;
/** Decimal places of a cost (price scale + the 6 places of "per 1M tokens"). */
export const COST_SCALE = PRICE_SCALE + 6;
/** Decimal places of the database column (numeric(20,10)). */
export const STORED_COST_SCALE = 10;

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** Parses a non-negative decimal string ("0.15", "3", "0.00875") into units of 10^-scale; null if malformed or too precise. */
export function parseDecimal(text: string, scale: number = PRICE_SCALE): bigint | null {
  const match = DECIMAL.exec(text);
  if (!match) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > scale) return null;
  return BigInt(match[1] + fraction.padEnd(scale, '0'));
}

/** Formats units of 10^-scale as a plain decimal string with exactly `scale` places. */
export function formatUnits(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${fraction}` : ''}`;
}

/** Rounds units of 10^-from to units of 10^-to (to <= from), half away from zero. */
export function roundUnits(units: bigint, from: number, to: number): bigint {
  if (to >= from) return units * 10n ** BigInt(to - from);
  const divisor = 10n ** BigInt(from - to);
  const half = divisor / 2n;
  return units >= 0n ? (units + half) / divisor : -((-units + half) / divisor);
}

/** Canonical decimal text of a price: no trailing zeros ("0.150000" -> "0.15", "3.0" -> "3"). */
export function normalizeDecimal(text: string): string {
  const units = parseDecimal(text);
  if (units === null) throw new RangeError(`not a decimal: ${text}`);
  return trimZeros(formatUnits(units, PRICE_SCALE));
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/**
 * USD amount as the decimal string stored in the log (10 places, half away from zero).
 * Accepts a number (e.g. a CostBreakdown field) or an exact cost in units of 10^-COST_SCALE.
 */
export function costToDecimalString(amount: number | bigint): string {
  if (typeof amount === 'bigint') return formatUnits(roundUnits(amount, COST_SCALE, STORED_COST_SCALE), STORED_COST_SCALE);
  if (!Number.isFinite(amount)) throw new RangeError(`cost must be finite, got ${amount}`);
  // toFixed(12) is correctly rounded from the double's exact value; the extra places make the
  // second rounding (to 10) agree with rounding the decimal the number was printed from.
  const units = parseDecimal(Math.abs(amount).toFixed(PRICE_SCALE), PRICE_SCALE);
  if (units === null) throw new RangeError(`cost out of range: ${amount}`);
  return formatUnits(roundUnits(amount < 0 ? -units : units, PRICE_SCALE, STORED_COST_SCALE), STORED_COST_SCALE);
}

/** Exact cost in units of 10^-COST_SCALE for `tokens` at `pricePerMtok` (units of 10^-PRICE_SCALE USD per 1M tokens). */
export function tokenCost(tokens: number, pricePerMtok: bigint): bigint {
  return BigInt(tokens) * pricePerMtok;
}

/** A fixed-point amount as the nearest number. */
export function unitsToNumber(units: bigint, scale: number): number {
  return Number(formatUnits(units, scale));
}
