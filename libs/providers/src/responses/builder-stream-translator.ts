import type { CallContext, ResponsesStreamEvent, SseEvent, StreamTranslator, TerminalStatus, UpstreamErrorInfo, Usage } from '../types';
import { contextModel, ResponsesStreamBuilder } from './response-builder';
import { reasoningSummary } from './request-input';

/**
 * The part of every translating provider's stream translator that is the same: a
 * ResponsesStreamBuilder for the call, whose terminal status, usage and error it reports.
 * Subclasses read their provider's events in push().
 */
export abstract class BuilderStreamTranslator implements StreamTranslator {
  protected readonly b: ResponsesStreamBuilder;
  /** Whether the request asked for reasoning summaries: the provider's reasoning text is shown only then. */
  protected readonly summary: boolean;

  constructor(ctx?: CallContext) {
    this.b = new ResponsesStreamBuilder({ model: contextModel(ctx), requestBody: ctx?.requestBody });
    this.summary = summaryRequested(ctx);
  }

  get terminal(): TerminalStatus | null {
    return this.b.terminal;
  }

  get usage(): Usage {
    return this.b.usage;
  }

  get streamError(): UpstreamErrorInfo | null {
    return this.b.streamError;
  }

  abstract push(ev: SseEvent): ResponsesStreamEvent[];
}

/** `reasoning.summary` of the call's request, for parsers of non-streaming answers too. */
export function summaryRequested(ctx: CallContext | undefined): boolean {
  return ctx?.requestBody != null && reasoningSummary(ctx.requestBody);
}
