import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { CachedKey } from '../auth/virtual-key-cache.service';
import { type KeyedRequest } from './key.guard';

/** The virtual key `KeyGuard` authenticated for this request. */
export const CurrentKey = createParamDecorator((_data: unknown, ctx: ExecutionContext): CachedKey => {
  const key = ctx.switchToHttp().getRequest<KeyedRequest>().virtualKey;
  // Only reachable if a route forgot @UseGuards(KeyGuard): a programming error, a 500.
  if (key === undefined) throw new Error('@CurrentKey() on a route without KeyGuard');
  return key;
});
