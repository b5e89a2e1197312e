import { createServer, type Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { answerClientErrorsAsJson, type AppConfig, closeServer, InFlightRequests, listen } from '@app/common';
import { clientClosed } from './edge/http-io';
import { MessagesCountTokensHandler } from './formats/messages/messages-count-tokens.handler';
import { messagesFormat } from './formats/messages/messages.format';
import { chatCompletionsFormat } from './formats/chat-completions/chat-completions.format';
import { responsesFormat } from './formats/responses/responses.format';
import { EmbeddingsPipeline } from './embeddings/embeddings.pipeline';
import { GatewayModule } from './gateway.module';
import { HotPath } from './pipeline/hot-path';
import { RequestPipeline } from './pipeline/request-pipeline';

export interface RunningGateway {
  app: INestApplication;
  server: Server;
  url: string;
  /** Graceful: stop accepting, finish in-flight requests, flush logs, close the database. */
  close(): Promise<void>;
}

/**
 * Nest gives the gateway its structure (modules, DI, lifecycle) and serves the cold routes;
 * the hot routes, one per wire format, go straight from node:http to the request pipeline
 * (see HotPath for why). Tests and production both start the gateway through this function.
 */
export async function startGateway(config: AppConfig): Promise<RunningGateway> {
  const app = await NestFactory.create(GatewayModule.forRoot(config), new ExpressAdapter(), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  await app.init();
  const hot = new HotPath(app.get(RequestPipeline));
  // One line per wire format.
  hot.registerFormatRoute('/v1/responses', responsesFormat);
  hot.registerFormatRoute('/v1/messages', messagesFormat);
  const countTokens = app.get(MessagesCountTokensHandler);
  hot.registerRoute('/v1/messages/count_tokens', (req, res) => countTokens.handle(req, res));
  hot.registerFormatRoute('/v1/chat/completions', chatCompletionsFormat);
  const embeddings = app.get(EmbeddingsPipeline);
  hot.registerRoute('/v1/embeddings', (req, res) => embeddings.handle(req, res));
  const express = app.getHttpAdapter().getInstance() as (req: unknown, res: unknown) => void;

  const { http } = config;
  // Node enforces the header and request timeouts on this tick (30 s by default): a fraction of them.
  const connectionsCheckingInterval = Math.max(50, Math.min(1_000, Math.floor(http.headersTimeoutMs / 4)));
  // Counted in flight for shutdown; the same 'close' listener tells a request's upstream call that its client left.
  const inFlight = new InFlightRequests(clientClosed);
  const server = createServer({ connectionsCheckingInterval }, (req, res) => {
    inFlight.track(res);
    if (!hot.handle(req, res)) express(req, res);
  });
  // Idle keep-alive longer than common load balancers' (65 s), so they close first. A request
  // must bring its headers, then its whole body, in bounded time (readBody also cuts a body that
  // goes silent); the answer is not bounded here: streams may run long.
  server.keepAliveTimeout = http.keepAliveTimeoutMs;
  server.headersTimeout = http.headersTimeoutMs;
  server.requestTimeout = Math.max(http.requestTimeoutMs, http.headersTimeoutMs);
  // Past this, new connections are dropped at once: an open socket costs memory even idle.
  server.maxConnections = http.maxConnections;
  answerClientErrorsAsJson(server);
  const url = await listen(server, config.gatewayPort, config.host);

  return {
    app,
    server,
    url,
    async close() {
      await closeServer(server, inFlight, config.shutdownGraceMs);
      await app.close();
    },
  };
}
