import type { ArgumentsHost } from '@nestjs/common';
import { BadRequestException, HttpException, InternalServerErrorException, Logger, NotFoundException } from '@nestjs/common';
import { GatewayError } from '@app/common';
import { AdminExceptionFilter } from './admin-exception.filter';

interface Sent {
  status?: number;
  body?: unknown;
  headers: Record<string, string>;
}

function run(exception: unknown, requestHeaders: Record<string, string> = {}): Sent {
  const sent: Sent = { headers: {} };
  const response = {
    headersSent: false,
    setHeader: (name: string, value: string) => {
      sent.headers[name.toLowerCase()] = value;
    },
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
    },
    destroy: jest.fn(),
  };
  const request = { method: 'GET', url: '/api/x', originalUrl: '/api/x', headers: requestHeaders };
  const host = { switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }) } as unknown as ArgumentsHost;
  new AdminExceptionFilter().catch(exception, host);
  return sent;
}

describe('AdminExceptionFilter', () => {
  let logged: jest.SpyInstance;
  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => logged.mockRestore());

  it('sends a GatewayError as it is, with its headers', () => {
    const sent = run(new GatewayError(401, 'unauthorized', 'Invalid admin token', null, { 'www-authenticate': 'Bearer' }));
    expect(sent.status).toBe(401);
    expect(sent.body).toEqual({ error: { message: 'Invalid admin token', type: 'authentication_error', param: null, code: 'unauthorized' } });
    expect(sent.headers['www-authenticate']).toBe('Bearer');
    expect(logged).not.toHaveBeenCalled();
  });

  it('maps Nest 4xx to the same shape, keeping the status', () => {
    expect(run(new BadRequestException('bad')).body).toEqual({ error: { message: 'bad', type: 'invalid_request_error', param: null, code: 'invalid_request' } });
    const notFound = run(new NotFoundException('Cannot GET /x'));
    expect(notFound.status).toBe(404);
    expect(notFound.body).toMatchObject({ error: { code: 'not_found' } });
    expect(run(new HttpException('too big', 413)).body).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('answers malformed JSON as invalid_request', () => {
    const parseError = new SyntaxError('Unexpected end of JSON input');
    const sent = run(new BadRequestException(parseError.message, { cause: parseError }));
    expect(sent.status).toBe(400);
    expect(sent.body).toMatchObject({ error: { code: 'invalid_request', message: expect.stringContaining('not valid JSON') } });
  });

  it.each([
    ['an unknown error', new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2')],
    ['a thrown string', 'boom'],
    ['a Nest 5xx', new InternalServerErrorException('db exploded at /srv/app.js:12')],
    ['a 5xx GatewayError', new GatewayError(503, 'internal_error', 'pool exhausted at db.ts:40')],
  ])('hides the internals of %s behind a 500 with the request id, and logs it', (_label, exception) => {
    const sent = run(exception, { 'x-request-id': 'req-123' });
    expect(sent.status).toBe(500);
    expect(sent.body).toEqual({ error: { message: 'Internal server error (request id req-123)', type: 'server_error', param: null, code: 'internal_error' } });
    expect(sent.headers['x-request-id']).toBe('req-123');
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('req-123'), expect.anything());
  });

  it('does not echo a request id that could inject into headers or logs', () => {
    const sent = run(new Error('x'), { 'x-request-id': 'a b\nc' });
    expect(sent.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
