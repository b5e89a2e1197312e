/** Anthropic Messages API wire types (2023-06-01), as far as the adapter reads and writes them. */

export type AnthropicImageSource =
  | { type: 'base64'; media_type: string; data: string }
  | { type: 'url'; url: string };

/** A prompt-cache breakpoint after the block, tool or system text that carries it. */
export interface AnthropicCacheable {
  cache_control?: { type: 'ephemeral'; ttl?: '5m' | '1h' };
}

export type AnthropicContentBlock = AnthropicContentBlockKind & AnthropicCacheable;

type AnthropicContentBlockKind =
  | { type: 'text'; text: string }
  | { type: 'image'; source: AnthropicImageSource }
  | { type: 'document'; source: AnthropicImageSource; title?: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string | AnthropicContentBlock[]; is_error?: boolean }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string };

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicContentBlock[];
}

export type AnthropicFunctionTool = { name: string; description?: string; input_schema: Record<string, unknown> } & AnthropicCacheable;

export type AnthropicTool =
  | AnthropicFunctionTool
  /** The web search server tool. */
  | {
    type: 'web_search_20250305';
    name: 'web_search';
    allowed_domains?: string[];
    user_location?: { type: 'approximate'; city?: string; region?: string; country?: string; timezone?: string };
  };

export type AnthropicToolChoice =
  | { type: 'auto' | 'any' | 'none'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean };

export interface AnthropicRequestBody {
  model: string;
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: ({ type: 'text'; text: string } & AnthropicCacheable)[];
  stop_sequences?: string[];
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  temperature?: number;
  top_p?: number;
  metadata?: { user_id: string };
  thinking?: { type: 'enabled'; budget_tokens: number };
  stream?: boolean;
}

export interface AnthropicUsageWire {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  /** Newer models split thinking out of output_tokens. */
  output_tokens_details?: { thinking_tokens?: number } | null;
}

/** A citation on a text block; web search ones carry the page's url and title. */
export interface AnthropicCitationWire {
  type?: string;
  url?: string;
  title?: string | null;
  cited_text?: string;
}

export type AnthropicResponseBlock =
  | { type: 'text'; text: string; citations?: AnthropicCitationWire[] | null }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'server_tool_use'; id: string; name: string; input: unknown }
  /** `content`: the results, or an error object (`web_search_tool_result_error`). */
  | { type: 'web_search_tool_result'; tool_use_id: string; content: unknown }
  | { type: 'thinking'; thinking: string; signature?: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: string };

export interface AnthropicMessageWire {
  id?: string;
  type?: string;
  role?: string;
  model?: string;
  content?: AnthropicResponseBlock[];
  stop_reason?: string | null;
  stop_sequence?: string | null;
  usage?: AnthropicUsageWire;
}

/** `{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}` */
export interface AnthropicErrorWire {
  type?: string;
  error?: { type?: string; message?: string };
}
