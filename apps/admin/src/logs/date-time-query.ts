import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsISO8601, Matches } from 'class-validator';
import { GatewayError } from '@app/common';

// A time zone is required: without one the instant would depend on the database server's zone.
const DATE_TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const DATE_TIME = { message: '$property must be an ISO 8601 date-time with a time zone, e.g. 2026-01-01T00:00:00Z' } as const;

/**
 * A query parameter holding an instant. It stays text so that Postgres receives it to the
 * microsecond; a JavaScript Date would cut it to milliseconds.
 */
export const IsDateTimeWithZone = (): PropertyDecorator =>
  applyDecorators(IsISO8601({ strict: true, strictSeparator: true }, DATE_TIME), Matches(DATE_TIME_WITH_ZONE, DATE_TIME));

/** Query strings carry text: a decimal integer becomes a number, anything else stays for the validator to refuse. */
export const QueryInt = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value));

/** `from` after `to` is a mistake worth naming; an empty range (from = to) is not. Compared to the millisecond. */
export function assertRangeOrder(from: string | undefined, to: string | undefined): void {
  if (from !== undefined && to !== undefined && Date.parse(from) > Date.parse(to)) {
    throw GatewayError.invalidRequest('from must not be later than to', 'from');
  }
}
