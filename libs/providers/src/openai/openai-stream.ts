import type { ResponsesStreamEvent, SseEvent, StreamTranslator, TerminalStatus, Usage, UpstreamErrorInfo } from '../types';
import { ZERO_USAGE } from '../types';
import { objectEnd, uniqueObjectAt } from '../responses/json-text';
import { usageFromResponses } from './openai-usage';

const TERMINAL: Record<string, TerminalStatus> = {
  'response.completed': 'completed',
  'response.incomplete': 'incomplete',
  'response.failed': 'failed',
  error: 'error',
};

/**
 * Providers that speak the Responses API already send the exact event sequence, so events
 * pass through untouched: only the terminal one is parsed, for usage and errors.
 */
export class ResponsesPassthroughTranslator implements StreamTranslator {
  terminal: TerminalStatus | null = null;
  usage: Usage = ZERO_USAGE;
  streamError: UpstreamErrorInfo | null = null;
  streamedChars = 0;

  push(ev: SseEvent): ResponsesStreamEvent[] {
    if (ev.data === '[DONE]') return [];
    // OpenAI names every event; some compatible servers only put the type inside the JSON.
    const type = ev.event ?? typeFromData(ev.data);
    if (type === null) return [];
    const terminal = TERMINAL[type];
    if (terminal === undefined) {
      if (type.endsWith('.delta')) this.streamedChars += deltaLength(ev.data);
      return [{ type, data: ev.data }];
    }
    const usageAt = terminal === 'completed' || terminal === 'incomplete' ? this.readUsage(terminal, ev.data) : -1;
    if (usageAt !== -1) return [{ type, data: ev.data, usageAt }];
    return [{ type, data: ev.data, parsed: this.onTerminal(terminal, ev.data) }];
  }

  /**
   * A finished response needs only its usage: that object alone is cut out of the text and
   * parsed, which spares parsing the whole Response (output included) on every stream. Returns
   * where it opens, or -1 when the text does not show it plainly (then the event is parsed).
   */
  private readUsage(status: TerminalStatus, data: string): number {
    const start = uniqueObjectAt(data, 'usage', 2);
    if (start === -1) return -1;
    const end = objectEnd(data, start);
    if (end === -1) return -1;
    try {
      this.usage = usageFromResponses(JSON.parse(data.slice(start, end)));
    } catch {
      return -1;
    }
    this.terminal = status;
    return start;
  }

  /** Reads usage and errors off the terminal event, parsed whole; returns it parsed, if it is JSON. */
  private onTerminal(status: TerminalStatus, data: string): Record<string, unknown> | undefined {
    this.terminal = status;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    if (status === 'error') {
      this.streamError = {
        message: typeof parsed.message === 'string' ? parsed.message : 'upstream stream error',
        type: typeof parsed.type === 'string' ? parsed.type : null,
        code: typeof parsed.code === 'string' ? parsed.code : null,
        param: typeof parsed.param === 'string' ? parsed.param : null,
      };
      return parsed;
    }
    const response = parsed.response as Record<string, unknown> | undefined;
    this.usage = usageFromResponses(response?.usage);
    if (status === 'failed') {
      const err = response?.error as Record<string, unknown> | null | undefined;
      this.streamError = {
        message: typeof err?.message === 'string' ? err.message : 'upstream response failed',
        type: null,
        code: typeof err?.code === 'string' ? err.code : null,
        param: null,
      };
    }
    return parsed;
  }
}

function typeFromData(data: string): string | null {
  try {
    const t = (JSON.parse(data) as { type?: unknown }).type;
    return typeof t === 'string' ? t : null;
  } catch {
    return null;
  }
}

/** Length of the `delta` string in an event's JSON, found without parsing it (escapes count as written). */
function deltaLength(data: string): number {
  const key = data.indexOf('"delta":"');
  if (key === -1) return 0;
  const start = key + 9;
  let i = start;
  while (i < data.length) {
    const c = data.charCodeAt(i);
    if (c === 92 /* \ */) i += 2;
    else if (c === 34 /* " */) break;
    else i++;
  }
  return i - start;
}
