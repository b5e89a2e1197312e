import * as aws4 from 'aws4';
import type { AwsCredentials } from '@app/common';

export interface SignInput {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  service: string;
  credentials: Pick<AwsCredentials, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>;
  region: string;
  /** The signing time; tests fix it. */
  now?: Date;
}

/** `20150830T123600Z` */
export function amzDate(d: Date): string {
  return d.toISOString().replace(/[:-]|\.\d{3}/g, '');
}

/**
 * AWS Signature Version 4 with the `aws4` signer (synchronous, so adapters stay plain
 * functions). Returns the request headers plus `host`, `x-amz-date`, `x-amz-security-token`
 * (with temporary credentials), `content-length` (for a non-empty body) and `authorization`,
 * all lower-case and all signed.
 */
export function signV4(input: SignInput): Record<string, string> {
  const url = new URL(input.url);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = v;
  headers.host = url.host;
  headers['x-amz-date'] = amzDate(input.now ?? new Date());
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const signed = aws4.sign(
    {
      method: input.method,
      host: url.host,
      path: url.pathname + url.search,
      service: input.service,
      region: input.region,
      headers,
      body: input.body,
    },
    { accessKeyId: input.credentials.accessKeyId, secretAccessKey: input.credentials.secretAccessKey, sessionToken: input.credentials.sessionToken },
  );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers ?? {})) out[k.toLowerCase()] = String(v);
  return out;
}
