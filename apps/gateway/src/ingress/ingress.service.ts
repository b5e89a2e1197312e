import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, GatewayError, type RequestIds } from '@app/common';
import { type CachedKey, VirtualKeyCache } from '../auth/virtual-key-cache.service';
import { readBody, receiveBody } from '../edge/http-io';
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

/** A request whose sender is known, its body still to come (IngressStage.arrive). */
export interface Arrival<E = unknown> {
  ids: RequestIds;
  format: WireFormat<E>;
  key: CachedKey;
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
    const arrival = this.arrive(format, req, ids);
    return this.decode(arrival, await readBody(req, this.config.limits.maxBodyBytes, this.config.http.bodyIdleTimeoutMs));
  }

  /**
   * Who is asking, before a byte of the body is read: a refusal costs no upload. Split from
   * `receive` and `decode` so that the hot path takes the body in a callback, not a promise.
   */
  arrive<E>(format: WireFormat<E>, req: IncomingMessage, ids: RequestIds): Arrival<E> {
    const startedAt = Date.now();
    const t0 = performance.now();
    const key = this.keys.authenticate(req.headers.authorization, req.headers['x-bf-vk'] ?? (format.apiKeyHeader === undefined ? undefined : req.headers[format.apiKeyHeader]));
    assertKeyUsable(key, startedAt);
    if (ids.invalid) {
      throw GatewayError.invalidRequest("The 'x-request-id' header must be 1 to 128 printable ASCII characters without spaces.", 'x-request-id');
    }
    const sendRaw = key.allowSendRaw && req.headers['x-bf-send-raw'] === 'true';
    return { ids, format, key, sendRaw, startedAt, t0 };
  }

  /** The body, bounded (a 413 past the limit, a 408 when it stalls), to `onBody` as it ends (receiveBody). */
  receive(req: IncomingMessage, onBody: (raw: Buffer) => void, onError: (err: Error) => void): void {
    receiveBody(req, this.config.limits.maxBodyBytes, this.config.http.bodyIdleTimeoutMs, onBody, onError);
  }

  decode<E>(arrival: Arrival<E>, raw: Buffer): Ingress<E> {
    const { ids, format, key, sendRaw, startedAt, t0 } = arrival;
    const request = format.decode(raw, this.config.limits);
    return { ids, format, key, request, modelRequested: request.models[0], bodyBytes: raw.length, sendRaw, startedAt, t0 };
  }
}
