import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { type CachedKey, VirtualKeyCache } from '../auth/virtual-key-cache.service';
import { assertKeyUsable } from '../governance/key-policy';

export interface KeyedRequest extends Request {
  virtualKey?: CachedKey;
}

/**
 * Authenticates a Nest route's caller the way the hot path's ingress does (from memory): a
 * missing, unknown, disabled or expired key is refused before the route runs.
 */
@Injectable()
export class KeyGuard implements CanActivate {
  constructor(private readonly keys: VirtualKeyCache) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<KeyedRequest>();
    const key = this.keys.authenticate(req.headers.authorization, req.headers['x-bf-vk']);
    assertKeyUsable(key, Date.now());
    req.virtualKey = key;
    return true;
  }
}
