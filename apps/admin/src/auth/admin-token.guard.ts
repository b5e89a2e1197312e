import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig, ErrorCode, GatewayError } from '@app/common';
import { PUBLIC_ROUTE } from './public-route.decorator';

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The token after `Bearer ` (scheme case-insensitive, RFC 6750), or null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : null;
}

function unauthorized(message: string): GatewayError {
  return new GatewayError(401, ErrorCode.Unauthorized, message, null, { 'www-authenticate': 'Bearer' });
}

/**
 * Registered as APP_GUARD: every admin route needs `Authorization: Bearer <ADMIN_TOKEN>`
 * unless marked @PublicRoute().
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  // Comparing digests gives timingSafeEqual the equal lengths it needs without leaking the token's length.
  private readonly expectedDigest: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    if (!config.adminToken) throw new Error('AdminTokenGuard needs config.adminToken (ADMIN_TOKEN)');
    this.expectedDigest = sha256(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    const token = bearerToken(header);
    if (token === null) throw unauthorized('Missing admin token: send "Authorization: Bearer <ADMIN_TOKEN>"');
    if (!timingSafeEqual(sha256(token), this.expectedDigest)) throw unauthorized('Invalid admin token');
    return true;
  }
}
