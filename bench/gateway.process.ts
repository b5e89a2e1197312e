import { loadConfig } from '@app/config';
import { startGateway } from '../apps/gateway/src/gateway.bootstrap';
import { RequestLogWriter } from '../apps/gateway/src/request-log/request-log.writer';
import { childArgument, failChild, serveParent } from './process-stats';

export interface GatewayProcessOptions {
  /** The environment the gateway is configured from, through loadConfig as in production. */
  env: Record<string, string>;
  /** false: request-log rows are dropped on enqueue, to price logging (bench only). */
  requestLog: boolean;
}

/** The real gateway, started by the production start function; stats over IPC, no debug routes. */
async function main(): Promise<void> {
  const options = childArgument<GatewayProcessOptions>();
  const gateway = await startGateway(loadConfig(options.env));
  if (!options.requestLog) gateway.app.get(RequestLogWriter).enqueue = () => undefined;
  serveParent(gateway.url, () => gateway.close());
}

main().catch(failChild('gateway'));
