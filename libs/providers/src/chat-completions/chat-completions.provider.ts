import { defineKind } from '../provider-definition';
import { ChatCompletionsAdapter } from './chat-completions.adapter';

/** Chat-only providers, through the Chat Completions bridge. */
export const CHAT_COMPLETIONS_KIND = defineKind({ kind: 'chat-completions', adapter: new ChatCompletionsAdapter(), customKeyOptional: true });
