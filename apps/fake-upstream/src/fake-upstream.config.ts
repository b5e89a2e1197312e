/** The fake upstream's CLI settings; the only file of this app that reads the environment. */
export interface FakeUpstreamConfig {
  port: number;
  host: string;
}

export function loadFakeUpstreamConfig(env: NodeJS.ProcessEnv = process.env): FakeUpstreamConfig {
  const rawPort = env.FAKE_UPSTREAM_PORT ?? '9999';
  const port = Number(rawPort);
  if (rawPort.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`FAKE_UPSTREAM_PORT must be an integer from 0 to 65535, got "${rawPort}"`);
  }
  const host = env.FAKE_UPSTREAM_HOST ?? '127.0.0.1';
  if (host.trim() === '') throw new Error('FAKE_UPSTREAM_HOST must not be empty');
  return { port, host };
}
