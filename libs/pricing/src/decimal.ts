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
 * A non-negative JavaScript number as canonical decimal text, or null if it is negative, not
 * finite or needs more than PRICE_SCALE places. The shortest text that round-trips (String(n))
 * is the decimal the number was written as in its source (a JSON or YAML price), so no binary
 * rounding error reaches the price.
 */
export function decimalFromNumber(value: number): string | null {
  if (!Number.isFinite(value) || value < 0) return null;
  const text = expandExponent(String(value));
  return parseDecimal(text) === null ? null : normalizeDecimal(text);
}

/** "1.5e-7" -> "0.00000015"; plain decimals pass through. */
export function expandExponent(text: string): string {
  const match = /^(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const digits = match[1] + (match[2] ?? '');
  const point = match[1].length + Number(match[3]);
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** `text` divided by 10^places, exactly (a price per 1,000 requests -> per request); null past PRICE_SCALE places. */
export function shiftDecimal(text: string, places: number): string | null {
  const units = parseDecimal(text);
  if (units === null) return null;
  const shifted = trimZeros(formatUnits(units, PRICE_SCALE + places));
  return parseDecimal(shifted) === null ? null : shifted;
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

// Powers of ten to 10^22 are exact doubles; read from their decimal text, never computed.
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, n) => Number(`1e${n}`));
const ZEROS = Array.from({ length: STORED_COST_SCALE + 1 }, (_, n) => '0'.repeat(n));

/** 10^n as a double, exact for 0 <= n <= 22. */
export function powerOfTen(n: number): number {
  return POWERS_OF_TEN[n];
}

/**
 * costToDecimalString(BigInt(mantissa) * 10n ** BigInt(shift)), without BigInt work: a
 * non-negative cost of `mantissa` (a safe integer) units of 10^(shift - COST_SCALE) USD,
 * 0 <= shift <= COST_SCALE.
 */
export function scaledCostToDecimalString(mantissa: number, shift: number): string {
  const places = shift - (COST_SCALE - STORED_COST_SCALE);
  let digits: string;
  if (places >= 0) digits = String(mantissa) + ZEROS[places];
  else {
    // Half away from zero, as roundUnits; every step is on integers below 2^53, so exact.
    const divisor = POWERS_OF_TEN[-places];
    const rest = mantissa % divisor;
    digits = String((mantissa - rest) / divisor + (rest * 2 >= divisor ? 1 : 0));
  }
  return digits.length > STORED_COST_SCALE
    ? `${digits.slice(0, digits.length - STORED_COST_SCALE)}.${digits.slice(digits.length - STORED_COST_SCALE)}`
    : `0.${digits.padStart(STORED_COST_SCALE, '0')}`;
}

/** Exact cost in units of 10^-COST_SCALE for `tokens` at `pricePerMtok` (units of 10^-PRICE_SCALE USD per 1M tokens). */
export function tokenCost(tokens: number, pricePerMtok: bigint): bigint {
  return BigInt(tokens) * pricePerMtok;
}

/** A fixed-point amount as the nearest number. */
export function unitsToNumber(units: bigint, scale: number): number {
  return Number(formatUnits(units, scale));
}

/**
 * A USD amount in whole units of 10^-scale, computed on its decimal digits: the text as stored
 * (numeric columns) or the number as it prints (the shortest text that round-trips), never
 * through a binary product such as `usd * 1e8`. Rounded half away from zero, or up (a
 * reservation must cover what it stands for).
 */
export function usdUnits(amount: number | string, scale: number, rounding: 'nearest' | 'up' = 'nearest'): bigint {
  const text = typeof amount === 'number' ? expandExponent(String(amount)) : amount.trim();
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null || (typeof amount === 'number' && !Number.isFinite(amount))) throw new RangeError(`not a USD amount: ${String(amount)}`);
  const fraction = match[3] ?? '';
  const exact = BigInt(match[2] + fraction);
  let units: bigint;
  if (rounding === 'nearest' || fraction.length <= scale) units = roundUnits(exact, fraction.length, scale);
  else {
    const divisor = 10n ** BigInt(fraction.length - scale);
    units = (exact + divisor - 1n) / divisor;
  }
  return match[1] === '-' ? -units : units;
}
