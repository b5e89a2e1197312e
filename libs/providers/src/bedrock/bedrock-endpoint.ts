import { GatewayError, type ProviderConfig, type UpstreamKey } from '@app/common';
import type { UpstreamRequest } from '../types';
import { signV4 } from './sigv4';

/** Bedrock's public endpoint; `{region}` is filled per upstream key, whose region it is. */
export const BEDROCK_DEFAULT_BASE_URL = 'https://bedrock-runtime.{region}.amazonaws.com';

/**
 * A SigV4-signed (service `bedrock`) POST to `<base>/model/{modelId}/{action}` with the key's AWS
 * credentials and region; the default base URL is the key's regional endpoint.
 */
export function signedBedrockRequest(
  provider: ProviderConfig, key: UpstreamKey, modelId: string, action: string, body: string, accept: string, now: Date,
): UpstreamRequest {
  const aws = key.aws;
  if (aws === undefined) {
    // Configuration guarantees credentials for bedrock keys; a hand-built config may not.
    throw new GatewayError(500, 'internal_error', `bedrock key ${key.id} has no AWS credentials`);
  }
  const base = provider.baseUrl === BEDROCK_DEFAULT_BASE_URL ? BEDROCK_DEFAULT_BASE_URL.replace('{region}', aws.region) : provider.baseUrl;
  // Model ids hold ':' and ARNs '/', both escaped in the path (and signed double-escaped).
  const url = `${base}/model/${encodeURIComponent(modelId)}/${action}`;
  const headers = signV4({
    method: 'POST',
    url,
    headers: { ...provider.headers, 'content-type': 'application/json', accept },
    body,
    service: 'bedrock',
    credentials: aws,
    region: aws.region,
    now,
  });
  return { url, headers, body };
}
