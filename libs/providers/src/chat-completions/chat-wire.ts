/** OpenAI Chat Completions wire types, as far as the bridge reads and writes them. */

export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }
  | { type: 'file'; file: Record<string, string> };

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ChatContentPart[] }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatRequestBody {
  model: string;
  messages: ChatMessage[];
  tools?: { type: 'function'; function: { name: string; description?: string; parameters: Record<string, unknown>; strict?: boolean } }[];
  tool_choice?: 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };
  parallel_tool_calls?: boolean;
  response_format?: { type: 'json_object' } | { type: 'json_schema'; json_schema: Record<string, unknown> };
  max_tokens?: number;
  temperature?: number;
  stop?: string[];
  top_p?: number;
  user?: string;
  reasoning_effort?: string;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
}

export interface ChatUsageWire {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
  /** DeepSeek's cache counters. */
  prompt_cache_hit_tokens?: number;
}

export interface ChatToolCallDelta {
  index?: number;
  id?: string | null;
  type?: string;
  function?: { name?: string | null; arguments?: string | null };
}

/** Mistral's magistral models return content as chunks, thinking included. */
export type ChatContentChunk = { type: 'text'; text: string } | { type: 'thinking'; thinking: { type: string; text?: string }[] } | { type: string };

/** An answer's message, or a stream chunk's delta of one: the same fields. */
export interface ChatMessageWire {
  content?: string | ChatContentChunk[] | null;
  refusal?: string | null;
  /** DeepSeek. */
  reasoning_content?: string | null;
  /** Groq, OpenRouter, vLLM. */
  reasoning?: string | null;
  tool_calls?: ChatToolCallDelta[] | null;
}

export interface ChatCompletionWire {
  id?: string;
  model?: string;
  choices?: {
    index?: number;
    message?: ChatMessageWire;
    finish_reason?: string | null;
  }[];
  usage?: ChatUsageWire | null;
}

export interface ChatChunkWire {
  id?: string;
  model?: string;
  choices?: {
    index?: number;
    delta?: ChatMessageWire;
    finish_reason?: string | null;
  }[];
  usage?: ChatUsageWire | null;
  /** Groq puts usage here on the last chunk. */
  x_groq?: { usage?: ChatUsageWire };
  /** Some servers report failures inside the stream as a data frame. */
  error?: unknown;
}
