import type { Json } from '../state/stored-response';

/** What one request carries of the stored state: its id, its resolved input, how to store it. */
export interface Turn {
  /** The gateway's `resp_` id (used when stored): newResponseId's only, written into JSON as it is (turnIdJson). */
  id: string;
  /** Stem of the item ids the gateway mints for this turn: `id`'s hex digits (idStemOf). */
  stem: string;
  keyId: string;
  store: boolean;
  background: boolean;
  previousResponseId: string | null;
  /** This turn's input as stored: references resolved, ids on every item. */
  inputItems: Json[];
  /** The request's known fields without its input (instructions, tools, ...), kept with the row. */
  request: Json;
  /** `inputItems` and `request` as stored (serialised once, measured against the stored-turn limit). */
  inputItemsJson: string;
  requestJson: string;
  /** `inputItemsJson` is known to be ASCII (a plain string input's, plainInputItemsJson): its UTF-8 is as long as it. */
  inputItemsAscii: boolean;
  /** Bytes of stored items sent upstream ahead of the client's own input (its earlier turns, referenced items). */
  historyBytes: number;
  createdAt: number;
  /** Streaming: the id each output item was relayed under (by output index), kept in the stored output. */
  streamedIds: (string | undefined)[];
}
