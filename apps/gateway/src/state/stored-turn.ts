import { GatewayError, quoteForMessage } from '@app/common';
import type { Turn } from '../conversation/turn';
import { ensureUniqueOutputIds, type Json, type StoredResponse, type StoredStatus } from './stored-response';
import { STATE_KEYS, type StateFieldsText, StreamIdRewriter } from './stream-ids';

export const DAY_MS = 86_400_000;
// Bounds of the in-memory cache of recent responses (follow-ups resolve from it).
// Follow-ups nearly always name a response that just finished; older ones cost one query.
// 8 MB holds the last 2,000 small turns, or the last few hundred of an agent's: every byte of
// it is resident under large turns.
export const CACHE_MAX_ENTRIES = 2_000;
export const CACHE_MAX_BYTES = 8 * 1024 * 1024;

export function notFound(id: string): GatewayError {
  return GatewayError.notFound(`No response found with id ${quoteForMessage(id)}.`);
}

/**
 * Whether an id from a request could name a stored response or item at all: anything else is
 * simply not found, without a query (Postgres text cannot even hold U+0000: it would be a 500).
 */
export function isStorableId(id: string): boolean {
  return id.length > 0 && id.length <= 256 && !id.includes('\0');
}

const STATUSES = new Set<string>(['queued', 'in_progress', 'completed', 'incomplete', 'failed', 'cancelled']);

export function statusOf(response: Json): StoredStatus {
  return storedStatus(response.status);
}

/** A Response's `status` as stored: anything unknown reads as completed. */
export function storedStatus(s: unknown): StoredStatus {
  return typeof s === 'string' && STATUSES.has(s) ? (s as StoredStatus) : 'completed';
}

export function toStoredResponse(turn: Turn, status: StoredStatus, response: Json, expiresAt: number): StoredResponse {
  return {
    id: turn.id,
    keyId: turn.keyId,
    status,
    background: turn.background,
    model: typeof response.model === 'string' ? response.model : '',
    previousResponseId: turn.previousResponseId,
    inputItems: turn.inputItems,
    response,
    expiresAt,
  };
}

/** The state fields of a Response object: our id, previous_response_id, store, background (stateFieldsText writes the same as text: keep the two in step). */
export function applyStateFields(turn: Turn, response: Json): void {
  if (turn.store) response.id = turn.id;
  response.previous_response_id = turn.previousResponseId;
  response.store = turn.store;
  response.background = turn.background;
}

const UNSTORED_STATE_KEYS = STATE_KEYS.slice(1);

/**
 * JSON.stringify of the turn's id, written out: the id is newResponseId's (its prefix and hex
 * digits), which JSON writes as it is between quotes, and JSON.stringify is a call into C++.
 */
export function turnIdJson(turn: Turn): string {
  return `"${turn.id}"`;
}

/** JSON.stringify of the turn's previous response id, a first turn's null written out. */
export function previousIdJson(turn: Turn): string {
  return turn.previousResponseId === null ? 'null' : JSON.stringify(turn.previousResponseId);
}

/** applyStateFields as JSON text: the keys it sets, in its order, and their values' JSON. */
export function stateFieldsText(turn: Turn): StateFieldsText {
  const previous = previousIdJson(turn);
  const background = String(turn.background);
  return turn.store
    ? { keys: STATE_KEYS, values: [turnIdJson(turn), previous, 'true', background] }
    : { keys: UNSTORED_STATE_KEYS, values: [previous, 'false', background] };
}

/** The gateway's fields on the upstream's Response: the state fields, unique item ids. */
export function finalizeTurn(turn: Turn, response: Json): void {
  applyStateFields(turn, response);
  ensureUniqueOutputIds(response.output, turn.stem, turn.streamedIds);
}

/** Rewrites a relayed stream's events to the gateway's ids (one per attempt that reaches the client). */
export function streamRewriter(turn: Turn): StreamIdRewriter {
  return new StreamIdRewriter(turn, (response) => applyStateFields(turn, response), stateFieldsText(turn));
}
