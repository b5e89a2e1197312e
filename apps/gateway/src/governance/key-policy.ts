import { ErrorCode, GatewayError } from '@app/common';
import type { CachedKey } from '../auth/virtual-key-cache.service';

/** Matches `provider/model` against a pattern: exact, `*`, or a `prefix*` wildcard. */
export function matchesPattern(pattern: string, value: string): boolean {
  if (pattern === '*' || pattern === value) return true;
  return pattern.endsWith('*') && value.startsWith(pattern.slice(0, -1));
}

/** Inactive and expired keys are refused before anything else is looked at. */
export function assertKeyUsable(key: CachedKey, now: number): void {
  if (!key.isActive) throw GatewayError.refusal(403, ErrorCode.VirtualKeyInactive, `Virtual key '${key.name}' is inactive.`);
  if (key.expiresAt !== null && key.expiresAt <= now) {
    throw GatewayError.refusal(403, ErrorCode.VirtualKeyExpired, `Virtual key '${key.name}' expired at ${new Date(key.expiresAt).toISOString()}.`);
  }
}

/** An empty allowlist allows every model. */
export function keyAllowsModel(key: CachedKey, model: string): boolean {
  const allowed = key.allowedModels;
  if (allowed.length === 0) return true;
  for (const pattern of allowed) if (matchesPattern(pattern, model)) return true;
  return false;
}
