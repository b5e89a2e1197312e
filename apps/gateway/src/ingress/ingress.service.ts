import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, GatewayError, type RequestIds } from '@app/common';
import { type CachedKey, VirtualKeyCache } from '../auth/virtual-key-cache.service';
import { readBody } from '../edge/http-io';
import type { DecodedRequest, WireFormat } from '../formats/wire-format';
import { assertKeyUsable } from '../governance/key-policy';

/** A request as it enters: who asks, in which format, and what it asks for in canonical form. */
export interface Ingress<E = unknown> {
  ids: RequestIds;
  format: WireFormat<E>;
  key: CachedKey;
  request: DecodedRequest<E>;
  /** The primary model as the client named it (`model_requested`). */
  modelRequested: string;
  /** Size of the client's body, the start of the input estimate. */
  bodyBytes: number;
  /** `x-bf-send-raw: true` from a key allowed to see upstream bodies. */
  sendRaw: boolean;
  startedAt: number;
  t0: number;
}

/** Stage 1: authentication from memory, the request id, the bounded body, decoded by its format. */
@Injectable()
export class IngressStage {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: VirtualKeyCache,
  ) {}

  async accept<E>(format: WireFormat<E>, req: IncomingMessage, ids: RequestIds): Promise<Ingress<E>> {
    const startedAt = Date.now();
    const t0 = performance.now();
    // Who is asking, before a byte of the body is read: a refusal costs no upload.
    const key = this.keys.authenticate(req.headers.authorization, req.headers['x-bf-vk']);
    assertKeyUsable(key, startedAt);
    if (ids.invalid) {
      throw GatewayError.invalidRequest("The 'x-request-id' header must be 1 to 128 printable ASCII characters without spaces.", 'x-request-id');
    }
    const { limits } = this.config;
    const raw = await readBody(req, limits.maxBodyBytes, this.config.http.bodyIdleTimeoutMs);
    const request = format.decode(raw, limits);
    return {
      ids, format, key, request,
      modelRequested: request.models[0],
      bodyBytes: raw.length,
      sendRaw: key.allowSendRaw && req.headers['x-bf-send-raw'] === 'true',
      startedAt, t0,
    };
  }
}
