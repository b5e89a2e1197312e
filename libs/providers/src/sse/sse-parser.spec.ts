import type { SseEvent } from '../types';
import { SseParser, sseFrame } from './sse-parser';

const STREAM =
  'event: response.created\ndata: {"type":"response.created","n":"é"}\n\n' +
  ': keep-alive comment\n\n' +
  'event: response.output_text.delta\r\ndata: {"a":1}\r\n\r\n' +
  'data: line one\ndata: line two\n\n' +
  'event: x\rdata: cr-only\r\r';

const EXPECTED = [
  { event: 'response.created', data: '{"type":"response.created","n":"é"}', head: 'event: response.created\ndata: {"type":"response.created","n":"é"' },
  { event: 'response.output_text.delta', data: '{"a":1}' },
  { event: null, data: 'line one\nline two' },
  { event: 'x', data: 'cr-only' },
];

/** One event each, framed otherwise than `event: T\ndata: D\n\n` (SseEvent.head). */
const FRAMED_OTHERWISE = [
  'event:a\ndata: {"x":1}\n\n',
  'event: a\ndata:{"x":1}\n\n',
  'event: a\r\ndata: {"x":1}\r\n\r\n',
  'event: a\rdata: {"x":1}\r\r',
  'event: a\n: ping\ndata: {"x":1}\n\n',
  'event: a\nid: 1\ndata: {"x":1}\n\n',
  'data: {"x":1}\nevent: a\n\n',
  'event: a\ndata: {"x":1}\nevent: b\n\n',
  'event: a\ndata: {"x":1}\ndata: {"y":2}\n\n',
  'event: a\nevent: a\ndata: {"x":1}\n\n',
  'data: {"x":1}\n\n',
  'event: a\ndata: \n\n',
];

/** Every head is exactly the event's text as it came. */
function expectHeadsAsCame(events: SseEvent[]): void {
  for (const e of events) if (e.head !== undefined) expect(`${e.head}${e.data.at(-1)}`).toBe(`event: ${e.event}\ndata: ${e.data}`);
}

/** The events' fields, without SseEvent.head (which depends on where the bytes were split). */
const fieldsOf = (events: SseEvent[]) => events.map(({ event, data }) => ({ event, data }));
const FIELDS = fieldsOf(EXPECTED);

describe('SseParser', () => {
  it('parses a whole stream', () => {
    const p = new SseParser();
    expect(p.push(Buffer.from(STREAM))).toEqual(EXPECTED);
    expect(p.end().incomplete).toBe(false);
  });

  it('gives the same events however the bytes are split', () => {
    const bytes = Buffer.from(STREAM);
    for (let size = 1; size <= 7; size++) {
      const p = new SseParser();
      const events = [];
      for (let i = 0; i < bytes.length; i += size) events.push(...p.push(bytes.subarray(i, i + size)));
      expect(fieldsOf(events)).toEqual(FIELDS);
    }
    // Every single split point, which also cuts the two-byte "é" in half.
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new SseParser();
      const events = [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut))];
      expect(fieldsOf(events)).toEqual(FIELDS);
    }
  });

  it('reads ASCII chunks before and after UTF-8 ones, a character cut between chunks included', () => {
    const bytes = Buffer.from('data: {"a":"x"}\n\ndata: {"b":"é🙂"}\n\ndata: {"c":"y"}\n\n');
    const start = bytes.indexOf('é');
    for (let cut = start; cut <= start + 6; cut++) {
      const p = new SseParser();
      const events = [bytes.subarray(0, start), bytes.subarray(start, cut), bytes.subarray(cut)].flatMap((chunk) => p.push(chunk));
      expect(events.map((e) => e.data)).toEqual(['{"a":"x"}', '{"b":"é🙂"}', '{"c":"y"}']);
      expect(p.end().incomplete).toBe(false);
    }
    // A character left unfinished at the end is an incomplete stream.
    const p = new SseParser();
    p.push(Buffer.from('data: {"a":1}\n\n'));
    p.push(Buffer.from('é').subarray(0, 1));
    expect(p.end().incomplete).toBe(true);
  });

  it('drops one byte-order mark at the very start of a stream (WHATWG), its bytes split anywhere, and no other', () => {
    const stream = '\uFEFFevent: x\ndata: y\n\n';
    expect(fieldsOf(new SseParser().push(stream))).toEqual([{ event: 'x', data: 'y' }]);
    const bytes = Buffer.from(stream);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    for (let cut = 0; cut <= 4; cut++) {
      const p = new SseParser();
      // An empty chunk first, as a read that brought nothing: the stream has not started yet.
      const events = [Buffer.alloc(0), bytes.subarray(0, cut), bytes.subarray(cut)].flatMap((chunk) => p.push(chunk));
      expect(fieldsOf(events)).toEqual([{ event: 'x', data: 'y' }]);
    }
    for (let size = 1; size <= 3; size++) {
      const p = new SseParser();
      const events = [];
      for (let i = 0; i < bytes.length; i += size) events.push(...p.push(bytes.subarray(i, i + size)));
      expect(fieldsOf(events)).toEqual([{ event: 'x', data: 'y' }]);
    }
    // A second mark, or one after the start (here at a chunk's start), is part of the line: `\uFEFFevent` is no field of ours.
    expect(fieldsOf(new SseParser().push('\uFEFF' + stream))).toEqual([{ event: null, data: 'y' }]);
    const later = new SseParser();
    expect(fieldsOf([Buffer.from('data: a\n\n'), bytes].flatMap((chunk) => later.push(chunk)))).toEqual([{ event: null, data: 'a' }, { event: null, data: 'y' }]);
  });

  it('reads a CR that ends a chunk and an LF that starts a later one as one line end, empty chunks between them', () => {
    const p = new SseParser();
    const events = ['data: a\r', '', Buffer.alloc(0), '\ndata: b\n\n'].flatMap((chunk) => p.push(chunk));
    expect(fieldsOf(events)).toEqual([{ event: null, data: 'a\nb' }]);
  });

  it('reports a stream cut inside an event as incomplete', () => {
    const p = new SseParser();
    expect(fieldsOf(p.push('event: a\ndata: {"x":1}\n\nevent: b\ndata: {"y"'))).toEqual([{ event: 'a', data: '{"x":1}' }]);
    expect(p.end().incomplete).toBe(true);
  });

  it('reads fields as WHATWG does: one space dropped, a line without a colon is a field with an empty value, other fields ignored', () => {
    const p = new SseParser();
    const text =
      'data:no-space\ndata:  two spaces\nevent\ndataX: ignored\nid: 7\nretry: 10\nd\n\n' +
      'event:named\ndata\n\n' +
      'eventual: ignored\ndata: {"z":0}\n\n' +
      'event: only-a-name\n\n';
    expect(p.push(text)).toEqual([
      { event: '', data: 'no-space\n two spaces' },
      { event: 'named', data: '' },
      { event: null, data: '{"z":0}' },
    ]);
    expect(p.end().incomplete).toBe(false);
  });

  it('frames data that spans lines as as many data lines, which parse back to the same data', () => {
    const data = '{\n  "type": "x",\n  "n": 1\n}';
    const frame = sseFrame('x', data);
    expect(frame).toBe('event: x\ndata: {\ndata:   "type": "x",\ndata:   "n": 1\ndata: }\n\n');
    expect(new SseParser().push(Buffer.from(frame))).toEqual([{ event: 'x', data }]);
    expect(sseFrame('y', '{"a":1}')).toBe('event: y\ndata: {"a":1}\n\n');
  });

  it('reads long data values copied out of the bytes exactly as sliced from the text, however the stream is framed and cut', () => {
    // Lengths on both sides of the one from which values are copied, whatever it is.
    const events = [10, 200, 255, 256, 257, 600, 1023, 1024, 1025, 3000].map((n, i) => {
      const head = `{"type":"t${i}","text":"`;
      return `${head}${'abc \\"def '.repeat(n).slice(0, Math.max(0, n - head.length - 2))}"}`;
    });
    const streams = [
      events.map((d) => `event: t\ndata: ${d}\n\n`).join(''),
      events.map((d) => `data:${d}\r\n\r\n`).join(''),
      events.map((d) => `: ping\revent: t\rdata:  ${d}\r\r`).join(''),
      events.map((d) => `data: ${d}\ndata: ${d.slice(0, 300)}\n\n`).join(''),
      events.map((d) => `data: ${d}\nid: 7\nretry: 10\n\n`).join(''),
      // Not ASCII part of the way: read through the decoder from there on.
      events.map((d, i) => `data: ${i === 6 ? d.replace('abc', 'ébc') : d}\n\n`).join(''),
    ];
    for (const text of streams) {
      // As text, every value is sliced from it.
      const expected = new SseParser().push(text);
      expect(expected.length).toBeGreaterThanOrEqual(events.length);
      const bytes = Buffer.from(text);
      const splits: number[][] = [[]];
      for (let cut = 1; cut < bytes.length; cut += 7) splits.push([cut]);
      for (const size of [64, 300, 1000]) splits.push(Array.from({ length: Math.ceil(bytes.length / size) - 1 }, (_, k) => (k + 1) * size));
      for (const cuts of splits) {
        const p = new SseParser();
        const got = [...cuts, bytes.length].flatMap((end, k) => p.push(bytes.subarray(k === 0 ? 0 : cuts[k - 1], end)));
        expect(fieldsOf(got)).toEqual(fieldsOf(expected));
        expect(p.ascii).toBe(!text.includes('é'));
      }
    }
  });

  it("keeps an event's own text (head) only when it came as an `event: ` line and the `data: ` line right after it", () => {
    const plain = 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"é"}\n\n';
    const [event] = new SseParser().push(Buffer.from(plain));
    expect(event.head).toBe('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"é"');
    // A comment after the data line is not written out: the head stands; any other field line drops it.
    expect(new SseParser().push('event: a\ndata: {"x":1}\n: ping\nid: 3\n\n')[0].head).toBeUndefined();
    expect(new SseParser().push('event: a\ndata: {"x":1}\n: ping\n\n')[0].head).toBe('event: a\ndata: {"x":1');
    for (const text of FRAMED_OTHERWISE) {
      const events = new SseParser().push(Buffer.from(text));
      expect(events.length).toBe(1);
      expect(events[0].head).toBeUndefined();
    }
  });

  it('gives a head only to an event read whole in one chunk, and every head is exactly the event as it came', () => {
    const bytes = Buffer.from(STREAM + 'event: b\ndata: {"y":2}\n\nevent: c\ndata: {"z":"🙂"}\n\n');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const p = new SseParser();
      const first = p.push(bytes.subarray(0, cut));
      const events = [...first, ...p.push(bytes.subarray(cut))];
      expect(events.length).toBe(6);
      expectHeadsAsCame(events);
      // `event: b` starts where STREAM ends: whole in the second read when cut before it.
      const b = Buffer.byteLength(STREAM);
      if (cut <= b) expect(events[4].head).toBe('event: b\ndata: {"y":2');
      if (cut === 0 || cut === bytes.length) expect(events[5].head).toBe('event: c\ndata: {"z":"🙂"');
    }
  });

  it('reads an event the same whether it comes whole in one read (one step) or line by line', () => {
    const mixed =
      'event: a\ndata: {"x":1}\n\nevent: \ndata: {}\n\nevent: b\ndata: {"y":2}\n\r\nevent: c\ndata: {"z":3}\r\n\n' +
      'event: a\ndata: \n\nevent: a\ndata: x\n\n: ping\nevent: b\ndata: [DONE]\n\nevent\nevent: a\ndata: {"x":1}\n\n';
    const texts = [mixed, ...FRAMED_OTHERWISE, 'event: a\ndata: {"x":1}\n\rdata: {"y":2}\n\n'];
    for (const text of texts) {
      const whole = new SseParser().push(Buffer.from(text));
      const p = new SseParser();
      const bytes = Buffer.from(text);
      const byByte = Array.from(bytes, (_, i) => p.push(bytes.subarray(i, i + 1))).flat();
      expect(fieldsOf(whole)).toEqual(fieldsOf(byByte));
      expect(fieldsOf(whole)).toEqual(fieldsOf(new SseParser().push(text)));
      expectHeadsAsCame(whole);
    }
    expect(new SseParser().push(mixed).map((e) => e.head)).toEqual([
      'event: a\ndata: {"x":1', 'event: \ndata: {', 'event: b\ndata: {"y":2', 'event: c\ndata: {"z":3', undefined, 'event: a\ndata: ', 'event: b\ndata: [DONE', 'event: a\ndata: {"x":1',
    ]);
  });

  it('reads generated framings as line by line, whole or split anywhere, and every head is the event as it came', () => {
    // Read a byte at a time, no event is whole in one read: the line-by-line reading, the reference.
    const byByte = (bytes: Buffer) => {
      const p = new SseParser();
      return Array.from(bytes, (_, i) => p.push(bytes.subarray(i, i + 1))).flat();
    };
    let seed = 11;
    const next = (n: number) => ((seed = (seed * 48271) % 2147483647) >>> 4) % n;
    const pick = <T>(items: T[]) => items[next(items.length)];
    const eol = () => pick(['\n', '\n', '\n', '\r\n', '\r']);
    const values = ['{"x":1}', '{"t":"é🙂"}', '[DONE]', '', ' {"x":1}', '{}', '}', 'plain', 'x'.repeat(1100) + '}'];
    const event = () => {
      const lines: string[] = [];
      if (next(4) === 0) lines.push(pick([': ping', 'id: 5', 'retry: 10', 'data']));
      if (next(5) !== 0) lines.push(pick(['event: response.output_text.delta', 'event:x', 'event: ', 'event', 'event:  y']));
      for (let n = 0; n === 0 || next(2) === 0; n++) {
        lines.push(pick(['data: ', 'data: ', 'data:', 'data:  ']) + pick(values));
        if (next(6) === 0) lines.push(pick([': ping', 'id: 1', 'event: z', 'data']));
      }
      return lines.map((line) => line + eol()).join('') + eol();
    };
    let heads = 0;
    for (let n = 0; n < 2000; n++) {
      const bytes = Buffer.from(Array.from({ length: 1 + next(4) }, event).join(''));
      const reference = fieldsOf(byByte(bytes));
      const cut = 1 + next(bytes.length - 1);
      for (const chunks of [[bytes], [bytes.subarray(0, cut), bytes.subarray(cut)]]) {
        const p = new SseParser();
        const events = chunks.flatMap((chunk) => p.push(chunk));
        expect(fieldsOf(events)).toEqual(reference);
        expectHeadsAsCame(events);
        heads += events.filter((e) => e.head !== undefined).length;
      }
    }
    // The generator reaches the one-step reading.
    expect(heads).toBeGreaterThan(300);
  });
});
