import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WireFormat } from '../formats/wire-format';
import type { RequestPipeline } from './request-pipeline';

/**
 * The POST routes served straight off node:http, one per wire format. They skip Express's
 * router and body parser and Nest's guards, interceptors and pipes: the pipeline does its own
 * authentication from memory and reads the body with its own bounds, so that request path would
 * only add work to the route that carries nearly all the traffic.
 */
export class HotPath {
  private readonly routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();

  constructor(private readonly pipeline: RequestPipeline) {}

  /** Serves POST `path` (query string ignored) in `format`. */
  registerFormatRoute<E>(path: string, format: WireFormat<E>): void {
    this.routes.set(path, (req, res) => this.pipeline.handle(format, req, res));
  }

  /** Serves POST `path` with a handler of its own (embeddings: the same stages, another answer). */
  registerRoute(path: string, handler: { handle(req: IncomingMessage, res: ServerResponse): void }): void {
    this.routes.set(path, (req, res) => handler.handle(req, res));
  }

  /** Whether the request is one of the hot routes (then it is handled); false: Nest serves it. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || req.url === undefined) return false;
    const query = req.url.indexOf('?');
    const route = this.routes.get(query === -1 ? req.url : req.url.slice(0, query));
    if (route === undefined) return false;
    route(req, res);
    return true;
  }
}
