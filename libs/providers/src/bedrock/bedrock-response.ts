import { isJson } from '@app/common';
import { type OutputPiece, type Outcome, parsedResponse, tokenCount } from '../responses/response-builder';
import type { CallContext, ParsedResponse, Usage, UpstreamErrorInfo } from '../types';

import { summaryRequested } from '../responses/builder-stream-translator';
import { carryThinking } from '../responses/reasoning-carrier';
import { JSON_TOOL_NAME } from './bedrock-request';

export interface BedrockUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

interface ConverseResponse {
  output?: { message?: { role?: string; content?: ConverseBlock[] } };
  stopReason?: string;
  additionalModelResponseFields?: unknown;
  usage?: BedrockUsage;
}

interface ConverseBlock {
  text?: string;
  toolUse?: { toolUseId?: string; name?: string; input?: unknown };
  reasoningContent?: { reasoningText?: { text?: string; signature?: string }; redactedContent?: string };
}

/**
 * Bedrock counts cache reads and writes apart from `inputTokens` (as Anthropic does); the
 * Responses API counts all prompt tokens as input, cached ones inside it.
 */
export function usageFromBedrock(u: BedrockUsage | undefined): Usage {
  const cacheRead = tokenCount(u?.cacheReadInputTokens);
  const cacheWrite = tokenCount(u?.cacheWriteInputTokens);
  const inputTokens = tokenCount(u?.inputTokens) + cacheRead + cacheWrite;
  const outputTokens = tokenCount(u?.outputTokens);
  const usage: Usage = { inputTokens, cachedTokens: cacheRead, outputTokens, reasoningTokens: 0, totalTokens: inputTokens + outputTokens };
  if (cacheWrite > 0) usage.cacheWriteTokens = cacheWrite;
  return usage;
}

/**
 * `fields`: the additionalModelResponseFields, where Claude names the stop sequence it hit
 * (the request asks for `/stop_sequence`); other models do not say which.
 */
export function outcomeOfStop(stopReason: string | undefined, fields?: unknown): Outcome {
  switch (stopReason) {
    case 'stop_sequence': {
      const hit = isJson(fields) && typeof fields.stop_sequence === 'string' ? fields.stop_sequence : null;
      return { status: 'completed', stopSequence: hit };
    }
    case 'max_tokens':
      return { status: 'incomplete', reason: 'max_output_tokens' };
    case 'guardrail_intervened':
    case 'content_filtered':
      return { status: 'incomplete', reason: 'content_filter' };
    case 'model_context_window_exceeded':
      return { status: 'failed', code: 'context_length_exceeded', message: 'The input exceeds the model context window' };
    default:
      // end_turn, tool_use
      return { status: 'completed' };
  }
}

export function parseConverseResponse(text: string, ctx?: CallContext): ParsedResponse {
  const r = JSON.parse(text) as ConverseResponse;
  if (!isJson(r as unknown) || typeof r.output !== 'object' || r.output === null) throw new Error('not a Converse response');
  const usage = usageFromBedrock(r.usage);
  const output: OutputPiece[] = [];
  const summary = summaryRequested(ctx);
  for (const block of r.output.message?.content ?? []) {
    if (typeof block.text === 'string') output.push({ type: 'text', text: block.text });
    else if (block.toolUse !== undefined) {
      const input = JSON.stringify(block.toolUse.input ?? {});
      // The forced structured-output tool is the answer itself.
      if (block.toolUse.name === JSON_TOOL_NAME) output.push({ type: 'text', text: input });
      else output.push({ type: 'function_call', callId: block.toolUse.toolUseId ?? '', name: block.toolUse.name ?? '', arguments: input });
    } else if (block.reasoningContent !== undefined) {
      const rt = block.reasoningContent.reasoningText;
      const redacted = block.reasoningContent.redactedContent;
      // The thinking is the summary only when one was asked for; it always goes back whole.
      const piece: OutputPiece = { type: 'reasoning', text: summary ? (rt?.text ?? '') : '' };
      if (typeof rt?.signature === 'string') piece.encryptedContent = carryThinking('bedrock', { text: rt.text ?? '', signature: rt.signature });
      else if (typeof redacted === 'string') piece.encryptedContent = carryThinking('bedrock', { redacted });
      output.push(piece);
    }
  }
  return parsedResponse(output, usage, outcomeOfStop(r.stopReason, r.additionalModelResponseFields), ctx);
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'ValidationException', 403: 'AccessDeniedException', 404: 'ResourceNotFoundException', 408: 'ModelTimeoutException',
  424: 'ModelErrorException', 429: 'ThrottlingException', 500: 'InternalServerException', 503: 'ServiceUnavailableException',
};

/** Bedrock error bodies: `{"message": ...}` (or `Message`), the type in `__type` or implied by the status. */
export function parseBedrockError(status: number, text: string): UpstreamErrorInfo {
  let message: string | null = null;
  let type: string | null = null;
  try {
    const e: unknown = JSON.parse(text);
    if (isJson(e)) {
      message = typeof e.message === 'string' ? e.message : typeof e.Message === 'string' ? e.Message : null;
      if (typeof e.__type === 'string') type = e.__type.split('#').pop() ?? null;
    }
  } catch {
    // not JSON
  }
  type ??= CODE_BY_STATUS[status] ?? null;
  return { message: message ?? (text.trim().slice(0, 500) || `HTTP ${status}`), type, code: type, param: null };
}
