import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFakeUpstream } from '../../../../apps/fake-upstream/src/fake-upstream';
import { RESPONSE_MEMBERS } from '../types';
import { scanAscii } from './json-scan';
import { type ObjectScan, scanObject, walkObject } from './json-text';

/**
 * The WebAssembly walk (json-scan.wat) against the JavaScript one (walkObject), which stays the
 * oracle: the same spans, nulls and ObjectScan for every text, on the fake upstream's answers and
 * stream events, compact and indented, and on a seeded fuzz of valid and broken JSON.
 */

interface KeySet {
  keys: readonly string[];
  elementsOf?: number;
}

const KEY_SETS: KeySet[] = [
  { keys: RESPONSE_MEMBERS, elementsOf: RESPONSE_MEMBERS.indexOf('output') },
  { keys: RESPONSE_MEMBERS.slice(0, 2) },
  { keys: ['response', 'extra_fields'] },
  { keys: ['output', 'usage', 'a', ''], elementsOf: 0 },
  { keys: ['output'], elementsOf: -1 },
  { keys: [] },
];

/** The seeded generator (mulberry32). */
function generator(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % n) | 0;
  };
}

interface Outcome {
  spans: number[] | null;
  found?: ObjectScan;
}

function walked(text: string, set: KeySet, from?: number, to?: number): Outcome {
  const found = set.elementsOf === undefined ? undefined : { elementsOf: set.elementsOf, ids: null, plain: false };
  return { spans: walkObject(text, set.keys, found, from, to), found };
}

/** Compares both walks on `text`: the differences found, as strings; counts the texts WebAssembly decided. */
class Differential {
  readonly failures: string[] = [];
  decided = 0;
  accepted = 0;

  check(text: string, from?: number, to?: number, sets: readonly KeySet[] = KEY_SETS): void {
    const start = from ?? 0;
    const end = to ?? text.length;
    for (const set of sets) {
      const expected = walked(text, set, from, to);
      const found = set.elementsOf === undefined ? undefined : { elementsOf: set.elementsOf, ids: null, plain: false };
      const ascii = scanAscii(text, set.keys, found, start, end);
      if (ascii !== undefined) {
        this.decided++;
        this.compare('wasm', text, from, to, { spans: ascii, found }, expected);
      }
      const scannedFound = set.elementsOf === undefined ? undefined : { elementsOf: set.elementsOf, ids: null, plain: false };
      const spans = scanObject(text, set.keys, scannedFound, from, to);
      this.compare('scanObject', text, from, to, { spans, found: scannedFound }, expected);
      let parsed = true;
      try {
        JSON.parse(text.slice(start, end));
      } catch {
        parsed = false;
      }
      if (spans !== null) {
        this.accepted++;
        if (!parsed) this.failures.push(`accepted what JSON.parse rejects: ${JSON.stringify(text.slice(start, end))}`);
      }
    }
  }

  private compare(what: string, text: string, from: number | undefined, to: number | undefined, actual: Outcome, expected: Outcome): void {
    const a = JSON.stringify(actual);
    const e = JSON.stringify(expected);
    if (a !== e && this.failures.length < 20) this.failures.push(`${what} ${JSON.stringify({ text, from, to })}: ${a} !== ${e}`);
  }
}

/**
 * KEY_SETS with, now and then, a keys array made anew (new key tables, so the room for them fills
 * and is reset) between two uses of one set: sometimes with many keys, long ones (more than the
 * room holds) or ones that are not ASCII.
 */
function keySets(random: (n: number) => number): readonly KeySet[] {
  if (random(3) !== 0) return KEY_SETS;
  const set = KEY_SETS[random(KEY_SETS.length)];
  const keys = [...set.keys];
  for (let n = random(3) === 0 ? random(140) : random(3); n > 0; n--) {
    const kind = random(8);
    keys.push(kind === 0 ? 'k'.repeat(random(4) === 0 ? 16000 + random(8000) : random(3000)) : kind === 1 ? 'é\ud800' : `k${n}`);
  }
  return [...KEY_SETS, set, { keys, elementsOf: set.elementsOf }, set];
}

/** A random JSON value, its keys and strings drawn to meet the walk's cases. */
function randomValue(random: (n: number) => number, depth: number): unknown {
  const kind = random(depth > 4 ? 4 : 8);
  const keys = ['id', 'output', 'usage', 'type', 'a', '', 'extra_fields', 'response', 'status', 'content', 'text', 'usag', 'idx'];
  const strings = ['', 'x', 'msg_0123456789abcdef', 'a "quoted" \\ word', 'tab\there', 'line\nbreak', 'é', '日本', '\u2028', 'ctl\u0001', 'x'.repeat(40), 'emoji 😀'];
  switch (kind) {
    case 0:
      return strings[random(strings.length)];
    case 1:
      return [0, -0, 1, -1, 0.5, 1e21, 1.5e-7, 123456789, -42.125][random(9)];
    case 2:
      return [true, false, null][random(3)];
    case 3:
      return strings[random(8)];
    case 4:
    case 5: {
      const array: unknown[] = [];
      for (let n = random(5); n > 0; n--) array.push(randomValue(random, depth + 1));
      return array;
    }
    default: {
      const object: Record<string, unknown> = {};
      for (let n = random(7); n > 0; n--) object[keys[random(keys.length)]] = randomValue(random, depth + 1);
      if (depth === 0 && random(2) === 0) {
        const items: unknown[] = [];
        for (let n = random(4); n > 0; n--) items.push(random(5) === 0 ? randomValue(random, 3) : { type: 'message', id: `msg_${n}`, content: [{ id: 'inner', text: 'hi' }] });
        object.output = items;
      }
      return object;
    }
  }
}

const MUTATIONS = ['"', '\\', '\n', '\t', '\r', '\u0001', '\u001f', '\u007f', '{', '}', '[', ']', ',', ':', ' ', '-0', '1e', '01', '1.', '-', '.5', '1e+', '\\u12G4', '\\u00e9', '\\u', '\\x', 'true', 'fals', 'nul', 'é', '"id":1,', '"usage":2,', '"\\u0069d":3,', '"us\\u0061ge":4,'];

function mutated(random: (n: number) => number, text: string): string {
  switch (random(6)) {
    case 0:
      return text.slice(0, random(text.length + 1));
    case 1: {
      const at = random(text.length);
      return text.slice(0, at) + String.fromCharCode(random(128)) + text.slice(at + 1);
    }
    case 2: {
      const nest = 28 + random(6);
      return `{"a":${'['.repeat(nest)}${random(3) === 0 ? '{}' : '1'}${']'.repeat(nest - random(2))}${text.length > 2 ? `,${text.slice(1)}` : '}'}`;
    }
    default: {
      let out = text;
      for (let n = 1 + random(3); n > 0; n--) {
        const at = random(out.length + 1);
        out = out.slice(0, at) + MUTATIONS[random(MUTATIONS.length)] + out.slice(at + random(3));
      }
      return out;
    }
  }
}

describe('json-scan (WebAssembly) against walkObject', () => {
  it('reads the fake upstream answers and stream events, compact and indented, as the walk does', async () => {
    const fake = await createFakeUpstream();
    const bodies: string[] = [];
    try {
      const prompts = ['hi', 'hello [[words:300]]', 'think [[reasoning]]', 'call [[tool:get_weather]]', 'pretty [[pretty]]', 'usage [[usage:10,20]] [[cached:5]]', 'émigré 日本 [[words:40]]', 'search [[web-search]]', 'stop [[incomplete]]'];
      for (const input of prompts) {
        for (const stream of [false, true]) {
          const res = await fetch(`${fake.url}/v1/responses`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
            body: JSON.stringify({ model: 'gpt-4o-mini', input, stream, tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} } }] }),
          });
          const text = await res.text();
          if (!stream) bodies.push(text);
          else for (const line of text.split('\n')) if (line.startsWith('data: {')) bodies.push(line.slice(6));
        }
      }
    } finally {
      await fake.close();
    }
    expect(bodies.length).toBeGreaterThan(50);
    const fixtures = [readFileSync(join(__dirname, '../testing/fixtures/codex-second-turn.json'), 'utf8'), readFileSync(join(__dirname, '../../../../test/vendor/open-responses/openapi.json'), 'utf8')];
    const texts = [...bodies, ...fixtures];
    for (const text of [...texts]) {
      texts.push(JSON.stringify(JSON.parse(text), null, 2));
      texts.push(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
    }
    const diff = new Differential();
    for (const text of texts) {
      diff.check(text);
      // In place inside an event, as a terminal event's Response is walked.
      const event = `{"type":"response.completed","response":${text},"sequence_number":7}`;
      diff.check(event, event.indexOf('{', 1), event.lastIndexOf('}', event.length - 2) + 1);
    }
    expect(diff.failures).toEqual([]);
    expect(diff.decided).toBeGreaterThan(texts.length * 2);
  });

  it('agrees on a seeded fuzz of valid and broken JSON', () => {
    const random = generator(20261208);
    const diff = new Differential();
    for (let n = 0; n < 4000; n++) {
      const value = randomValue(random, 0);
      const object = value !== null && typeof value === 'object' && !Array.isArray(value) ? value : { a: value };
      const text = JSON.stringify(object, null, random(3) === 0 ? 2 : undefined);
      diff.check(text, undefined, undefined, keySets(random));
      const broken = mutated(random, text);
      diff.check(broken, undefined, undefined, keySets(random));
      if (random(4) === 0) {
        const before = random(2) === 0 ? '{"x":' : '  ';
        const wrapped = `${before}${broken}${random(2) === 0 ? '' : ' '}}`;
        const from = before.length + random(2) - (random(4) === 0 ? 1 : 0);
        diff.check(wrapped, from, wrapped.length - 1 - random(2));
      }
    }
    expect(diff.failures).toEqual([]);
    expect(diff.decided).toBeGreaterThan(20000);
    expect(diff.accepted).toBeGreaterThan(10000);
  });

  it('keeps its key tables when a keys array too large for them comes, and walks that one in JavaScript', () => {
    const text = '{"usage":{"n":1},"extra_fields":2,"id":"r","status":"done"}';
    const first = ['x'];
    const second = ['usage', 'extra_fields', 'id', 'status'];
    expect(scanObject(text, first)).toEqual(walkObject(text, first));
    expect(scanObject(text, second)).toEqual(walkObject(text, second));
    const tooLarge = ['k'.repeat(20000)];
    expect(scanAscii(text, tooLarge, undefined, 0, text.length)).toBeUndefined();
    expect(scanObject(text, tooLarge)).toEqual(walkObject(text, tooLarge));
    expect(scanAscii(text, second, undefined, 0, text.length)).toEqual(walkObject(text, second));
    const tooMany = Array.from({ length: 200 }, (_, i) => `k${i}`);
    expect(scanAscii(text, tooMany, undefined, 0, text.length)).toBeUndefined();
    expect(scanObject(text, tooMany)).toEqual(walkObject(text, tooMany));
    expect(scanAscii(text, second, undefined, 0, text.length)).toEqual(walkObject(text, second));
  });

  it('walks in JavaScript a text its memory cannot grow for', () => {
    // The WebAssembly API's Memory, which the compiler's library does not declare.
    const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: { prototype: { grow(pages: number): number } } } }).WebAssembly;
    const grow = jest.spyOn(Memory.prototype, 'grow').mockImplementation(() => {
      throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
    });
    const long = `{"a":"${'y'.repeat(3 << 20)}","b":1}`;
    try {
      expect(scanAscii(long, ['b'], undefined, 0, long.length)).toBeUndefined();
      expect(scanObject(long, ['b'])).toEqual(walkObject(long, ['b']));
      expect(grow).toHaveBeenCalled();
    } finally {
      grow.mockRestore();
    }
    expect(scanAscii(long, ['b'], undefined, 0, long.length)).toEqual(walkObject(long, ['b']));
  });

  it('grows its memory for a long text, and walks in JavaScript what is longer than it takes', () => {
    // As many items as the module's room for their ids holds (6144), so that WebAssembly decides.
    const answer = { output: Array.from({ length: 6144 }, (_, i) => ({ id: `msg_${i}`, text: 'x'.repeat(100) })), usage: { n: 1 } };
    for (const long of [JSON.stringify(answer), JSON.stringify(answer, null, 2)]) {
      const found: ObjectScan = { elementsOf: 0, ids: null, plain: false };
      const expected: ObjectScan = { elementsOf: 0, ids: null, plain: false };
      expect(scanAscii(long, ['output', 'usage'], found, 0, long.length)).toEqual(walkObject(long, ['output', 'usage'], expected));
      expect(found).toEqual(expected);
      expect(found.ids).toHaveLength(2 * 6144);
    }
    const huge = `{"a":"${'y'.repeat(5 << 20)}"}`;
    expect(scanAscii(huge, ['a'], undefined, 0, huge.length)).toBeUndefined();
    expect(scanObject(huge, ['a'])).toEqual([5, huge.length - 1]);
  });
});
