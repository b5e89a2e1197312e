/**
 * Seeded random request bodies for the fuzz suite: structure (known fields with the wrong
 * shapes, unknown fields, input items of every kind), unicode (controls, bidi, lone surrogates,
 * NUL, emoji), sizes, JSON types and depth, and bodies that are not JSON at all. The same seed
 * always yields the same bodies, so a failure names the seed and index that reproduce it.
 */

export class Fuzzer {
  constructor(private readonly rand: () => number, private readonly models: readonly string[]) {}

  int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  chance(p: number): boolean {
    return this.rand() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Strings as clients and attackers write them. */
  text(): string {
    switch (this.int(12)) {
      case 0:
        return '';
      case 1:
        return 'hello';
      case 2:
        return String.fromCharCode(...Array.from({ length: 1 + this.int(20) }, () => this.int(32))); // control characters, NUL included
      case 3:
        return `a\u202eb\u2066c\u200fd\ufeff`; // bidi and invisible marks
      case 4:
        return '\ud800x\udfff'; // lone surrogates
      case 5:
        return '😀🧪 ünïcödé 中文 العربية';
      case 6:
        return 'x'.repeat(this.pick([100, 1_000, 10_000]));
      case 7:
        return this.pick(['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'prototype']);
      case 8:
        return this.pick(['[[', ']]', '[[fail', '[[usage:1,2]]', '[[nope]]', '{"a":1}', '\\', '"', '%00', '../../etc/passwd']);
      case 9:
        return this.pick(['sk-bf-abc', 'resp_x', 'msg_1', 'fc_1', 'rs_1', 'c1']);
      default:
        return Array.from({ length: 1 + this.int(30) }, () => String.fromCharCode(32 + this.int(95))).join('');
    }
  }

  /** Any JSON value, `depth` levels at most. */
  value(depth = 3): unknown {
    const kind = depth <= 0 ? this.int(6) : this.int(9);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.pick([0, -1, 1, 1.5, -0, 2 ** 31, 2 ** 53 + 1, 1e308, -1e308, 1e-300, 16, 4096]);
      case 3:
      case 4:
      case 5:
        return this.text();
      case 6:
        return Array.from({ length: this.int(4) }, () => this.value(depth - 1));
      case 7:
      case 8:
        return Object.fromEntries(Array.from({ length: this.int(4) }, () => [this.chance(0.3) ? this.text() : this.pick(FIELD_NAMES), this.value(depth - 1)]));
      default:
        return null;
    }
  }

  /** JSON text nested `depth` deep (as text: a value that deep would overflow JSON.stringify here). */
  nestedJson(depth: number): string {
    let open = '';
    let close = '';
    for (let i = 0; i < depth; i++) {
      const array = this.chance(0.5);
      open += array ? '[' : '{"a":';
      close = (array ? ']' : '}') + close;
    }
    return `${open}${JSON.stringify(this.value(0))}${close}`;
  }

  model(): unknown {
    if (this.chance(0.85)) return this.pick(this.models);
    return this.pick([
      this.text(),
      42,
      null,
      'openai/',
      '/gpt',
      'nosuch/model',
      'constructor/x',
      'openai/constructor',
      'gemini/valueOf',
      `openai/${'m'.repeat(300)}`,
      'openai/gpt-4o-mini\u202e',
      ['openai/gpt-4o-mini'],
    ]);
  }

  part(): unknown {
    switch (this.int(8)) {
      case 0:
        return { type: 'input_text', text: this.chance(0.8) ? this.text() : this.value(1) };
      case 1:
        return { type: 'input_image', image_url: this.pick(['https://example.com/a.png', 'data:image/png;base64,iVBORw0KGgo=', 'data:constructor;base64,AAAA', this.text()]), detail: this.value(0) };
      case 2:
        return { type: 'input_file', filename: this.pick(['a.pdf', 'x.constructor', this.text()]), file_data: this.pick(['data:application/pdf;base64,JVBERi0=', 'JVBERi0=', this.value(0)]) };
      case 3:
        return { type: 'output_text', text: this.text(), annotations: this.value(1) };
      case 4:
        return { type: 'refusal', refusal: this.value(0) };
      case 5:
        return { type: this.text() };
      case 6:
        return this.value(1);
      default:
        return { type: 'input_text', text: this.text() };
    }
  }

  item(): unknown {
    switch (this.int(9)) {
      case 0:
      case 1:
        return { role: this.pick(['user', 'assistant', 'system', 'developer', 'tool', this.text()]), content: this.chance(0.4) ? this.text() : Array.from({ length: this.int(4) }, () => this.part()) };
      case 2:
        return { type: 'message', role: 'user', content: [this.part()] };
      case 3:
        return { type: 'function_call', call_id: this.value(0), name: this.value(0), arguments: this.value(1) };
      case 4:
        return { type: 'function_call_output', call_id: this.pick(['c1', this.text()]), output: this.chance(0.5) ? this.value(2) : [this.part()] };
      case 5:
        return { type: 'item_reference', id: this.value(0) };
      case 6:
        return { type: 'reasoning', id: 'rs_1', summary: this.value(2), encrypted_content: this.value(0) };
      case 7:
        return { type: this.text(), id: this.value(0) };
      default:
        return this.value(2);
    }
  }

  tool(): unknown {
    switch (this.int(5)) {
      case 0:
        return { type: 'function', name: this.value(0), description: this.value(0), parameters: this.value(3), strict: this.value(0) };
      case 1:
        return { type: 'function', name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } };
      case 2:
        return { type: this.pick(['web_search_preview', 'file_search', 'mcp', this.text()]) };
      default:
        return this.value(2);
    }
  }

  /** A body that is not a JSON object at all, or null (most of the time). */
  private junk(): string | Buffer | null {
    const roll = this.int(100);
    if (roll < 3) return this.pick(['', '{', 'null', '[]', '"text"', '12', '{"model":"openai/gpt-4o-mini","messages":[', '\u0000', 'undefined']);
    if (roll < 5) return Buffer.from(Array.from({ length: 1 + this.int(200) }, () => this.int(256)));
    return null;
  }

  /** A Chat Completions message, well or badly formed. */
  private chatMessage(): unknown {
    const content = () => this.pick([this.text(), null, [{ type: 'text', text: this.text() }], [{ type: 'image_url', image_url: { url: this.pick(['https://example.com/a.png', this.text()]) } }], [this.part()], this.value(2)]);
    switch (this.int(6)) {
      case 0:
        return { role: 'assistant', content: content(), tool_calls: this.pick([[{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }], this.value(2)]) };
      case 1:
        return { role: 'tool', tool_call_id: this.pick(['c1', this.text(), 7]), content: content() };
      case 2:
        return this.value(2);
      default:
        return { role: this.pick(['user', 'user', 'system', 'developer', 'assistant', 'function', this.text()]), content: content() };
    }
  }

  /** A `/v1/chat/completions` body. */
  chatBody(): string | Buffer {
    const junk = this.junk();
    if (junk !== null) return junk;
    const body: Record<string, unknown> = {};
    if (this.chance(0.97)) body.model = this.model();
    // Most start with a plain user turn, so that a good share reaches a provider.
    const first = this.chance(0.6) ? [{ role: 'user', content: this.pick(['hello', 'hi [[usage:3,2]]', this.text()]) }] : [];
    if (this.chance(0.95)) body.messages = this.chance(0.9) ? [...first, ...Array.from({ length: this.int(3) }, () => this.chatMessage())] : this.value(2);
    const fields: [string, () => unknown][] = [
      ['tools', () => this.pick([[{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }], [{ type: 'function', function: this.value(2) }], this.value(2)])],
      ['tool_choice', () => this.pick(['auto', 'none', 'required', { type: 'function', function: { name: 'f' } }, { type: 'allowed_tools', allowed_tools: this.value(2) }, this.text()])],
      ['response_format', () => this.pick([{ type: 'json_object' }, { type: 'json_schema', json_schema: { name: 'x', schema: this.value(2) } }, { type: this.text() }, this.value(1)])],
      ['max_tokens', () => this.pick([-1, 0, 1, 16, 1.5, 2 ** 40, '100'])],
      ['max_completion_tokens', () => this.pick([0, 1, 16, 1.5, null])],
      ['n', () => this.pick([1, 2, 0, '1'])],
      ['stop', () => this.pick([null, [], ['\n'], 'x'])],
      ['stream_options', () => this.pick([{ include_usage: true }, { include_usage: 'yes' }, this.value(1)])],
      ['reasoning_effort', () => this.pick(['low', 'high', 'constructor', this.text()])],
      ['temperature', () => this.pick([0, 1, 2, -1, 100])],
      ['metadata', () => this.value(2)],
      ['fallbacks', () => this.pick([[this.model()], this.value(1)])],
      ['logprobs', () => this.pick([false, true])],
    ];
    for (const [field, value] of fields) if (this.chance(0.12)) body[field] = this.chance(0.3) ? this.value(2) : value();
    if (this.chance(0.1)) body[this.text()] = this.value(2);
    if (this.chance(0.15)) body.stream = true;
    return JSON.stringify(body);
  }

  /** A `/v1/embeddings` body. */
  embeddingsBody(models: readonly string[]): string | Buffer {
    const junk = this.junk();
    if (junk !== null) return junk;
    const body: Record<string, unknown> = {};
    if (this.chance(0.97)) body.model = this.chance(0.8) ? this.pick(models) : this.model();
    if (this.chance(0.95)) {
      body.input = this.pick([this.text(), [this.text(), this.text()], [1, 2, 3], [[1, 2], [3]], [[1, -2]], [], [''], Array.from({ length: 2_049 }, () => 'a'), this.value(2)]);
    }
    if (this.chance(0.2)) body.encoding_format = this.pick(['float', 'base64', this.text()]);
    if (this.chance(0.15)) body.dimensions = this.pick([256, 0, -1, 1.5, 1_000_000, '8']);
    if (this.chance(0.1)) body.input_type = this.pick(['search_query', this.text()]);
    if (this.chance(0.1)) body.fallbacks = this.pick([[this.pick(models)], this.value(1)]);
    if (this.chance(0.1)) body[this.text()] = this.value(2);
    return JSON.stringify(body);
  }

  /** One request body: usually a JSON object built from the known fields, sometimes not JSON at all. */
  body(): string | Buffer {
    const roll = this.int(100);
    if (roll < 3) return this.pick(['', '{', 'null', '[]', '"text"', '12', '{"model":"openai/gpt-4o-mini","input":"hi"', '\u0000', 'undefined']);
    if (roll < 5) return Buffer.from(Array.from({ length: 1 + this.int(200) }, () => this.int(256)));
    const body: Record<string, unknown> = {};
    if (this.chance(0.97)) body.model = this.model();
    if (this.chance(0.95)) body.input = this.chance(0.4) ? this.text() : this.chance(0.9) ? Array.from({ length: this.int(5) }, () => this.item()) : this.value(2);
    for (const field of FIELD_NAMES) {
      if (field === 'model' || field === 'input' || !this.chance(0.12)) continue;
      body[field] = this.fieldValue(field);
    }
    if (this.chance(0.1)) body[this.text()] = this.value(2);
    // Now and then a large body (the size limit itself is tested apart: 20 MB would slow the run).
    if (this.chance(0.01)) body[this.pick(['input', 'instructions', 'x_padding'])] = 'y'.repeat(this.pick([100_000, 1_000_000]));
    // Mostly no stream, no store and no background, to keep the run fast; every shape still comes up.
    if (!('stream' in body) && this.chance(0.8)) body.stream = false;
    if (!('store' in body) && this.chance(0.8)) body.store = false;
    const json = JSON.stringify(body);
    if (!this.chance(0.03)) return json;
    const deep = `"${this.pick(['metadata', 'tools', 'text', 'input', 'x'])}":${this.nestedJson(this.pick([40, 70, 200, 5_000]))}`;
    return json === '{}' ? `{${deep}}` : `${json.slice(0, -1)},${deep}}`;
  }

  private fieldValue(field: string): unknown {
    if (this.chance(0.3)) return this.value(2);
    switch (field) {
      case 'tools':
        return Array.from({ length: this.int(3) }, () => this.tool());
      case 'tool_choice':
        return this.pick(['auto', 'none', 'required', { type: 'function', name: 'f' }, { type: 'allowed_tools', tools: this.value(2) }, this.text()]);
      case 'metadata':
        return Object.fromEntries(Array.from({ length: this.int(20) }, () => [this.text().slice(0, 80), this.chance(0.8) ? this.text().slice(0, 600) : this.value(1)]));
      case 'reasoning':
        return { effort: this.pick(['low', 'medium', 'high', 'none', 'minimal', 'xhigh', 'constructor', this.text()]), summary: this.value(0) };
      case 'text':
        return { format: this.pick([{ type: 'text' }, { type: 'json_object' }, { type: 'json_schema', name: 'x', schema: this.value(3) }, { type: this.text() }, this.value(1)]) };
      case 'max_output_tokens':
        return this.pick([-1, 0, 1, 16, 100, 1.5, 2 ** 40, '100']);
      case 'temperature':
      case 'top_p':
        return this.pick([0, 0.5, 1, 2, -1, 100]);
      case 'fallbacks':
        return Array.from({ length: this.pick([0, 1, 2, 12]) }, () => this.model());
      case 'previous_response_id':
        return this.pick(['resp_nope', 'resp_\u0000', '', this.text()]);
      case 'stream':
      case 'store':
      case 'background':
      case 'parallel_tool_calls':
        return this.chance(0.5);
      default:
        return this.value(1);
    }
  }
}

const FIELD_NAMES = [
  'model', 'input', 'instructions', 'tools', 'tool_choice', 'text', 'reasoning', 'metadata', 'max_output_tokens', 'temperature', 'top_p',
  'stream', 'store', 'background', 'previous_response_id', 'fallbacks', 'include', 'parallel_tool_calls', 'truncation', 'user',
  'max_tool_calls', 'prompt', 'conversation', 'service_tier', 'prompt_cache_key',
];
