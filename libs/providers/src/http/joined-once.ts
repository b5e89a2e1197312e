/** Values kept per JoinedOnce; past it the map starts afresh (the configuration's values are few). */
export const MAX_VALUES = 1024;

/**
 * `prefix + value + suffix` for values from the configuration (base URLs, upstream keys), joined
 * once per value and the same flat string on every request after. An upstream URL is the key the
 * executor finds its pool by, and a header value is checked by undici with a regular expression:
 * a string joined afresh for each request would be flattened, and a URL hashed, again each time,
 * where a kept one carries its hash.
 */
export class JoinedOnce {
  private readonly joined = new Map<string, string>();

  constructor(
    private readonly prefix: string,
    private readonly suffix: string,
  ) {}

  of(value: string): string {
    let text = this.joined.get(value);
    if (text === undefined) {
      if (this.joined.size >= MAX_VALUES) this.joined.clear();
      this.joined.set(value, (text = `${this.prefix}${value}${this.suffix}`));
    }
    return text;
  }

  /** Values kept (tests). */
  get size(): number {
    return this.joined.size;
  }
}

const BEARER = new JoinedOnce('Bearer ', '');

/** An upstream key's `authorization` value (JoinedOnce). */
export function bearer(key: string): string {
  return BEARER.of(key);
}
