import { Column, Entity, PrimaryColumn } from 'typeorm';

export type RequestLogStatus = 'success' | 'error';

/** The front door a request came through: the `request_type` column, API filter and metric label. */
export const REQUEST_TYPES = ['responses', 'chat_completions', 'messages', 'embeddings'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

/**
 * One row per upstream attempt: the attempt that answered and every failed fallback
 * attempt before it, linked by request_id and logged with the same created_at (the request's
 * start), by which they are found. Written in batches by the gateway's log writer.
 */
@Entity('request_logs')
export class RequestLogEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'request_id', type: 'text' })
  requestId: string;

  /** The client's own `x-request-id`, if it sent one (never the gateway's request_id). */
  @Column({ name: 'client_request_id', type: 'text', nullable: true })
  clientRequestId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'virtual_key_id', type: 'uuid', nullable: true })
  virtualKeyId: string | null;

  @Column({ name: 'request_type', type: 'text', default: 'responses' })
  requestType: RequestType;

  @Column({ type: 'text' })
  provider: string;

  @Column({ type: 'text' })
  model: string;

  @Column({ name: 'model_requested', type: 'text' })
  modelRequested: string;

  @Column({ name: 'fallback_index', type: 'integer' })
  fallbackIndex: number;

  @Column({ type: 'text' })
  status: RequestLogStatus;

  @Column({ name: 'http_status', type: 'integer' })
  httpStatus: number;

  @Column({ name: 'error_code', type: 'text', nullable: true })
  errorCode: string | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage: string | null;

  @Column({ type: 'boolean' })
  stream: boolean;

  @Column({ name: 'input_tokens', type: 'integer', default: 0 })
  inputTokens: number;

  @Column({ name: 'cached_tokens', type: 'integer', default: 0 })
  cachedTokens: number;

  @Column({ name: 'output_tokens', type: 'integer', default: 0 })
  outputTokens: number;

  @Column({ name: 'reasoning_tokens', type: 'integer', default: 0 })
  reasoningTokens: number;

  @Column({ name: 'total_tokens', type: 'integer', default: 0 })
  totalTokens: number;

  /** Exact numeric; null when the model has no price (never a silent 0). */
  @Column({ name: 'cost_usd', type: 'numeric', precision: 20, scale: 10, nullable: true })
  costUsd: string | null;

  @Column({ name: 'latency_ms', type: 'integer' })
  latencyMs: number;

  @Column({ name: 'ttft_ms', type: 'integer', nullable: true })
  ttftMs: number | null;
}
