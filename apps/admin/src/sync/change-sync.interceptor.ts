import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { concatMap, type Observable } from 'rxjs';
import { ChangeBarrier } from './change-barrier.service';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every successful admin write (keys, policies, limits, prices, whatever comes next) answers
 * only once the gateways have the change in force (ChangeBarrier). `x-bf-replicas-synced`
 * tells how many of the gateways expected to confirm did. A failed write changed nothing and
 * waits for nothing.
 */
@Injectable()
export class ChangeSyncInterceptor implements NestInterceptor {
  constructor(private readonly barrier: ChangeBarrier) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    if (!WRITES.has(http.getRequest<{ method: string }>().method)) return next.handle();
    return next.handle().pipe(
      concatMap(async (body: unknown) => {
        const { expected, confirmed } = await this.barrier.sync();
        http.getResponse<Response>().setHeader('x-bf-replicas-synced', `${confirmed}/${expected}`);
        return body;
      }),
    );
  }
}
