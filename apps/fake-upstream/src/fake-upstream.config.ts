/** The fake upstream's CLI settings; the only file of this app that reads the environment. */
export interface FakeUpstreamConfig {
  port: number;
  host: string;
}

export const FAKE_UPSTREAM_DEFAULT_PORT = 9999;

/** Port: `--port N` (or `--port=N`), else FAKE_UPSTREAM_PORT, else PORT, else 9999. */
export function loadFakeUpstreamConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv.slice(2)): FakeUpstreamConfig {
  const [source, rawPort] = portArgument(argv) ?? (env.FAKE_UPSTREAM_PORT !== undefined ? ['FAKE_UPSTREAM_PORT', env.FAKE_UPSTREAM_PORT] : env.PORT !== undefined ? ['PORT', env.PORT] : ['default', String(FAKE_UPSTREAM_DEFAULT_PORT)]);
  const port = Number(rawPort);
  if (rawPort.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${source} must be an integer from 0 to 65535, got "${rawPort}"`);
  }
  const host = env.FAKE_UPSTREAM_HOST ?? '127.0.0.1';
  if (host.trim() === '') throw new Error('FAKE_UPSTREAM_HOST must not be empty');
  return { port, host };
}

function portArgument(argv: string[]): [string, string] | null {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') return ['--port', argv[i + 1] ?? ''];
    if (argv[i].startsWith('--port=')) return ['--port', argv[i].slice('--port='.length)];
  }
  const unknown = argv.find((a) => a.startsWith('-'));
  if (unknown !== undefined) throw new Error(`unknown option ${unknown} (the fake upstream takes --port N)`);
  return null;
}
