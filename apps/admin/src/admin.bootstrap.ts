import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { answerClientErrorsAsJson, type AppConfig, closeServer, trackInFlight } from '@app/common';
import { AdminModule } from './admin.module';
import { setupAdminSwagger } from './admin-swagger';

export interface AdminAppOptions {
  /** Nest's logger; by default errors and warnings only, like the gateway (tests pass false). */
  logger?: LoggerService | LogLevel[] | false;
}

export interface RunningAdmin {
  app: INestApplication;
  /** Base URL with the port actually bound (ADMIN_PORT=0 picks a free one). */
  url: string;
  /** Graceful within config.shutdownGraceMs: stop accepting, finish in-flight requests, close the database. */
  close(): Promise<void>;
}

/** Builds and initialises the admin app without listening: production and tests both boot through here. */
export async function createAdminApp(config: AppConfig, options: AdminAppOptions = {}): Promise<INestApplication> {
  // The launcher generates a token when ADMIN_TOKEN is unset; an admin API without one would be open to anyone.
  if (!config.adminToken) throw new Error('The admin app needs an admin token: set ADMIN_TOKEN');
  const app = await NestFactory.create<NestExpressApplication>(AdminModule.forRoot(config), {
    logger: options.logger ?? ['error', 'warn'],
    // Throw instead of process.exit() on a bad module graph, so callers can report and clean up.
    abortOnError: false,
  });
  app.disable('x-powered-by');
  setupAdminSwagger(app, config.limits);
  await app.init();
  return app;
}

function reachableHost(address: AddressInfo): string {
  // A wildcard bind is reachable on loopback; print that rather than 0.0.0.0.
  if (address.address === '0.0.0.0' || address.address === '::') return '127.0.0.1';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}

export async function startAdmin(config: AppConfig, options: AdminAppOptions = {}): Promise<RunningAdmin> {
  const app = await createAdminApp(config, options);
  const server = app.getHttpServer() as Server;
  answerClientErrorsAsJson(server);
  const inFlight = trackInFlight(server);
  try {
    await app.listen(config.adminPort, config.host);
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    url: `http://${reachableHost(address)}:${address.port}`,
    async close() {
      // Bounded, unlike app.close() alone, which waits for every open request however long it takes.
      await closeServer(server, inFlight, config.shutdownGraceMs);
      await app.close();
    },
  };
}
