/**
 * Upstream error text reaches the client and the request log, and providers echo credentials in
 * it ("Incorrect API key provided: sk-proj-****abcd"). Anything shaped like a credential goes,
 * masked or not, and so does every configured upstream secret.
 */
const REDACTED = '[redacted]';

const KEY_LIKE: readonly [RegExp, string][] = [
  // OpenAI, Anthropic, OpenRouter, DeepSeek...: sk-..., sk-ant-..., sk-or-..., masked or not.
  [/\bsk-[A-Za-z0-9_*.-]{4,}/g, REDACTED],
  // Google API keys, AWS access key ids, GitHub and Slack tokens, xAI, Groq.
  [/\bAIza[0-9A-Za-z_-]{10,}/g, REDACTED],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{12,}/g, REDACTED],
  [/\b(?:ghp|gho|ghs|xox[abp]|xai|gsk)[-_][A-Za-z0-9_-]{8,}/g, REDACTED],
  // Credentials after a scheme or a name: "Bearer abc...", "api_key=...", "x-api-key: ...".
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=*-]{6,}/gi, `$1 ${REDACTED}`],
  [/\b((?:api[_-]?key|access[_-]?token|secret|password|authorization)["']?\s*[:=]\s*["']?)[^\s"',;]{4,}/gi, `$1${REDACTED}`],
  // A masked secret of any shape: "abcd****wxyz".
  [/[A-Za-z0-9_-]{2,}\*{3,}[A-Za-z0-9_-]*/g, REDACTED],
];

export class SecretRedactor {
  /** Configured secrets long enough not to be ordinary words, longest first. */
  private readonly secrets: string[];

  constructor(secrets: Iterable<string>) {
    this.secrets = [...new Set(secrets)].filter((s) => s.length >= 8).sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    for (const [re, replacement] of KEY_LIKE) out = out.replace(re, replacement);
    return out;
  }
}
