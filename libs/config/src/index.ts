// The public surface of @app/config: the one place that reads the environment, above the libs
// whose definitions it validates (providers, pricing); inside this lib import by relative path.
export { loadConfig } from './load-config';
export { MIN_TOKEN_LENGTH } from './config-schema';
