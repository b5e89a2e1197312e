import { ConfigError } from '@app/common';
import { z } from 'zod';
import { defineKind, defineProvider, type KeyCredentials } from '../provider-definition';
import { BedrockAdapter } from './bedrock.adapter';
import { BedrockEmbeddingAdapter } from './bedrock-embeddings';
import { BEDROCK_DEFAULT_BASE_URL } from './bedrock-endpoint';

const DEFAULT_AWS_REGION = 'us-east-1';

const nonEmpty = z.string({ error: 'must be a non-empty string' }).trim().min(1, { error: 'must be a non-empty string' });

/** Bedrock keys are AWS credentials (SigV4) with the region they sign for, instead of a `value`. */
const AWS_KEY_SCHEMA = z
  .object({
    access_key_id: nonEmpty,
    secret_access_key: nonEmpty,
    session_token: nonEmpty.optional(),
    region: nonEmpty.regex(/^[a-z0-9-]+$/, { error: (iss) => `must be an AWS region such as us-east-1 (got ${JSON.stringify(iss.input)})` }).default(DEFAULT_AWS_REGION),
  })
  .transform(({ access_key_id, secret_access_key, session_token, region }) => ({
    accessKeyId: access_key_id,
    secretAccessKey: secret_access_key,
    region,
    ...(session_token === undefined ? {} : { sessionToken: session_token }),
  }));

/**
 * From the standard AWS variables: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN),
 * AWS_REGION (else AWS_DEFAULT_REGION, else us-east-1), and BEDROCK_BASE_URL to override the
 * region's endpoint.
 */
const AWS_CREDENTIALS: KeyCredentials = {
  fields: ['access_key_id', 'secret_access_key', 'session_token', 'region'],
  secretFields: ['access_key_id', 'secret_access_key', 'session_token'],
  schema: AWS_KEY_SCHEMA,
  fromEnv(env) {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const baseUrl = env.BEDROCK_BASE_URL;
    if (!accessKeyId && !baseUrl) return null;
    if (!accessKeyId) throw new ConfigError('AWS_ACCESS_KEY_ID', 'is required when BEDROCK_BASE_URL is set');
    if (!env.AWS_SECRET_ACCESS_KEY) throw new ConfigError('AWS_SECRET_ACCESS_KEY', 'is required when AWS_ACCESS_KEY_ID is set');
    const regionVariable = env.AWS_REGION ? 'AWS_REGION' : env.AWS_DEFAULT_REGION ? 'AWS_DEFAULT_REGION' : 'AWS_REGION';
    const key: Record<string, string> = { id: 'AWS_ACCESS_KEY_ID', access_key_id: accessKeyId, secret_access_key: env.AWS_SECRET_ACCESS_KEY, region: env[regionVariable] || DEFAULT_AWS_REGION };
    if (env.AWS_SESSION_TOKEN) key.session_token = env.AWS_SESSION_TOKEN;
    const raw: Record<string, unknown> = { keys: [key] };
    if (baseUrl) raw.base_url = baseUrl;
    const variables = new Map([
      ['base_url', 'BEDROCK_BASE_URL'],
      ['keys[0].access_key_id', 'AWS_ACCESS_KEY_ID'],
      ['keys[0].secret_access_key', 'AWS_SECRET_ACCESS_KEY'],
      ['keys[0].session_token', 'AWS_SESSION_TOKEN'],
      ['keys[0].region', regionVariable],
    ]);
    return { raw, variables };
  },
};

export const BEDROCK_KIND = defineKind({ kind: 'bedrock', adapter: new BedrockAdapter(), credentials: AWS_CREDENTIALS, embeddings: new BedrockEmbeddingAdapter() });

export const bedrock = defineProvider({ name: 'bedrock', kind: BEDROCK_KIND, envPrefix: 'BEDROCK', defaultBaseUrl: BEDROCK_DEFAULT_BASE_URL });
