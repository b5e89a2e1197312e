import type { ObjectScan } from './json-text';
import { WASM_BASE64 } from './json-scan.wasm';

/**
 * scanObject's walk run as WebAssembly (json-scan.wat) over the text's bytes, for ASCII texts:
 * there each character is one byte, and the bytes' positions are the string's. A text is ASCII
 * when its UTF-8 is as long as it is (every other character takes two bytes or more), which
 * V8 counts without encoding it; it is then copied as Latin-1, a byte per character.
 */

// The part of the WebAssembly API used here: the compiler's library (ES2023, no DOM) has none.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module);
    readonly exports: unknown;
  }
  interface Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  interface Global {
    readonly value: number;
  }
}

interface JsonScanExports {
  memory: WebAssembly.Memory;
  scan(length: number, from: number, to: number, keys: number, found: number, elements: number): number;
  RESULT_AT: WebAssembly.Global;
  SPANS_AT: WebAssembly.Global;
  MAX_KEYS: WebAssembly.Global;
  KEYS_AT: WebAssembly.Global;
  KEYS_END: WebAssembly.Global;
  IDS_AT: WebAssembly.Global;
  TEXT_AT: WebAssembly.Global;
}

// Instantiated once, synchronously: a module this small compiles in well under a millisecond.
const wasm = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'))).exports as JsonScanExports;
const RESULT_AT = wasm.RESULT_AT.value >> 2;
const SPANS_AT = wasm.SPANS_AT.value >> 2;
const MAX_KEYS = wasm.MAX_KEYS.value;
const KEYS_AT = wasm.KEYS_AT.value;
const KEYS_END = wasm.KEYS_END.value;
const IDS_AT = wasm.IDS_AT.value >> 2;
const TEXT_AT = wasm.TEXT_AT.value;
const PAGE = 65536;
// Bytes the scan reads past the text: the 0 it writes after it, and sixteen at a time from there.
const SLACK = 32;
// A longer text is walked in JavaScript: memory, once grown, stays.
const MAX_TEXT = 4 << 20;

const SCAN_NULL = 0;
const SCAN_UNDECIDED = 2;

let bytes = Buffer.from(wasm.memory.buffer, TEXT_AT);
let ints = new Int32Array(wasm.memory.buffer, 0, TEXT_AT >> 2);
const encoder = new TextEncoder();

/** Memory for a text `length` long; false when it is too long to be scanned here. */
function makeRoom(length: number): boolean {
  if (length > MAX_TEXT) return false;
  try {
    wasm.memory.grow(Math.ceil((TEXT_AT + length + SLACK - wasm.memory.buffer.byteLength) / PAGE));
  } catch {
    // A RangeError: the memory could not grow (the JavaScript walk answers).
    return false;
  }
  bytes = Buffer.from(wasm.memory.buffer, TEXT_AT);
  ints = new Int32Array(wasm.memory.buffer, 0, TEXT_AT >> 2);
  return true;
}

// Key tables in the module's memory, one per keys array, kept by the array's identity: callers
// pass arrays they never change, made once and kept (a constant, or one per template), since an
// array made per call writes a new table each time. When the room for them is full, all are
// dropped and written again as they come.
let tables = new WeakMap<readonly string[], number>();
let tablesEnd = KEYS_AT;
let lastKeys: readonly string[] | undefined;
let lastTable = 0;

/** The address of the key table of `keys`; -1 when it can never fit (the JavaScript walk answers). */
function keyTable(keys: readonly string[]): number {
  if (keys === lastKeys) return lastTable;
  let table = tables.get(keys);
  if (table === undefined) {
    const size = keyTableSize(keys);
    if (size === -1) return -1;
    if (tablesEnd + size > KEYS_END) {
      // Every table is written over from KEYS_AT, the last one used too.
      tables = new WeakMap();
      tablesEnd = KEYS_AT;
      lastKeys = undefined;
    }
    table = tablesEnd;
    writeKeyTable(keys, table);
    tablesEnd += size;
    tables.set(keys, table);
  }
  lastKeys = keys;
  lastTable = table;
  return table;
}

/**
 * The bytes the key table of `keys` takes, aligned for the next table's words; -1 when it would
 * not fit in the room for them even alone. Told before anything is written, so that a table that
 * does not fit never writes over the others.
 */
function keyTableSize(keys: readonly string[]): number {
  if (keys.length > MAX_KEYS) return -1;
  // A key that is not ASCII is written as UTF-8 (a lone surrogate as U+FFFD): no byte of it is
  // in an ASCII text, as in the walk no character of it is.
  let size = 4 * (2 + 2 * keys.length);
  for (let k = 0; k < keys.length && size <= KEYS_END - KEYS_AT; k++) size += Buffer.byteLength(keys[k]);
  size = (size + 3) & ~3;
  return size > KEYS_END - KEYS_AT ? -1 : size;
}

/**
 * Writes the key table of `keys` at `table`, in the room keyTableSize told: the count, a mask of
 * lengths (bit n: a key n characters long, 31: 31 or more), then each key's address and length;
 * the keys' bytes after.
 */
function writeKeyTable(keys: readonly string[], table: number): void {
  const memory = new Uint8Array(wasm.memory.buffer, 0, KEYS_END);
  const words = new Int32Array(wasm.memory.buffer, table, 2 + 2 * keys.length);
  let at = table + 4 * words.length;
  let mask = 0;
  for (let k = 0; k < keys.length; k++) {
    const { written } = encoder.encodeInto(keys[k], memory.subarray(at));
    words[2 + 2 * k] = at;
    words[3 + 2 * k] = written;
    mask |= 1 << Math.min(written, 31);
    at += written;
  }
  words[0] = keys.length;
  words[1] = mask;
}

/**
 * scanObject by the WebAssembly scan: its result, or undefined when the text is not ASCII or
 * the scan cannot tell (the caller walks it in JavaScript then). When `found` is given and the
 * text is not a plain object, also undefined: the JavaScript walk returns null, with `found` as
 * far as it got.
 */
export function scanAscii(text: string, keys: readonly string[], found: ObjectScan | undefined, from: number, to: number): number[] | null | undefined {
  const length = text.length;
  if (from < 0 || from >= length || to > length || to <= from) return undefined;
  if (Buffer.byteLength(text) !== length) return undefined;
  if (length + SLACK > bytes.length && !makeRoom(length)) return undefined;
  const table = keyTable(keys);
  if (table === -1) return undefined;
  bytes.write(text, 0, length, 'latin1');
  const result = wasm.scan(length, from, to, table, found === undefined ? 0 : 1, found === undefined ? -1 : 2 * found.elementsOf);
  if (result === SCAN_UNDECIDED || (result === SCAN_NULL && found !== undefined)) return undefined;
  if (result === SCAN_NULL) return null;
  const spans: number[] = [];
  for (let s = SPANS_AT; s < SPANS_AT + 2 * keys.length; s++) spans.push(ints[s]);
  if (found !== undefined) {
    found.plain = ints[RESULT_AT] === 1;
    const count = ints[RESULT_AT + 1];
    if (count === -1) {
      found.ids = null;
    } else {
      const ids: number[] = [];
      for (let s = IDS_AT; s < IDS_AT + 2 * count; s++) ids.push(ints[s]);
      found.ids = ids;
    }
  }
  return spans;
}
