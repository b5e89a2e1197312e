import type { ResponsesRequest } from '@app/providers';
import type { PricingService } from '../cost/pricing.service';
import type { Candidate } from '../routing/route-planner.service';
import type { WorstCase } from './governance.service';

/**
 * What a media part given by reference (an image or file by URL or id, not inline) may count as
 * input: an image at high detail on any shipped model (gpt-4o-mini counts one as up to about
 * 25,500 tokens), or a file of several pages. Inline data counts by its bytes like text.
 */
export const MEDIA_REFERENCE_TOKENS = 25_600;

const MEDIA_TYPES = new Set(['input_image', 'input_file', 'input_audio']);

/** Media parts of the conversation given by reference rather than inline. */
function mediaReferences(input: unknown): number {
  if (!Array.isArray(input)) return 0;
  let n = 0;
  for (const item of input) {
    const content = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).content : undefined;
    if (!Array.isArray(content)) continue;
    for (const part of content) {
      if (typeof part !== 'object' || part === null) continue;
      const p = part as Record<string, unknown>;
      if (typeof p.type !== 'string' || !MEDIA_TYPES.has(p.type)) continue;
      const inline = (typeof p.image_url === 'string' && p.image_url.startsWith('data:')) || typeof p.file_data === 'string' || typeof p.input_audio === 'object';
      if (!inline) n++;
    }
  }
  return n;
}

/**
 * The most this request may use, over every candidate it may be served by (a fallback can be
 * dearer than the primary):
 * - input: one token per byte of what is sent upstream (the whole conversation, instructions and
 *   tools included: `inputBytes`), since a tokenizer never spends a token on less than a byte of
 *   text; plus MEDIA_REFERENCE_TOKENS per image or file given by reference;
 * - output: `max_output_tokens`, else the model's output limit (PricingService.maxOutputTokens);
 * - priced at the candidate's rates, every input token at the dearer of the plain and the
 *   cache-write rate.
 */
export function worstCase(pricing: PricingService, candidates: readonly Candidate[], body: ResponsesRequest, inputBytes: number): WorstCase {
  const inputTokens = inputBytes + mediaReferences(body.input) * MEDIA_REFERENCE_TOKENS;
  const requested = typeof body.max_output_tokens === 'number' ? body.max_output_tokens : null;
  let usd = 0;
  let outputTokens = 0;
  for (const c of candidates) {
    const out = requested ?? pricing.maxOutputTokens(c);
    outputTokens = Math.max(outputTokens, out);
    usd = Math.max(usd, pricing.worstCaseUsd(c, inputTokens, out) ?? 0);
  }
  return { usd, tokens: inputTokens + outputTokens, outputTokens };
}
