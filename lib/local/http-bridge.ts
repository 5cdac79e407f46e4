import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { errors, type ApiError } from '../../shared/domain/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { CORS_HEADERS } from '../../shared/http/endpoint.ts';
import { MAX_BODY_BYTES } from '../../shared/http/middlewares.ts';
import { errorAnswer, type HttpEvent, type HttpResult } from '../../shared/http/types.ts';
import { normalizedPath, resolveRoute } from '../../shared/http/route-resolution.ts';
import type { RouteSpec } from '../../shared/routes.ts';

export type RouteHandler = (event: HttpEvent) => Promise<HttpResult>;

export interface MountedRoute {
  route: RouteSpec;
  handler: RouteHandler;
}

/** Reading stops here: a body this large is answered 413 without being buffered further. */
const HARD_BODY_LIMIT = 1024 * 1024;

export interface HttpBridgeOptions {
  routes: MountedRoute[];
  newRequestId: () => string;
  logger: Logger;
  /** False while the store is down: every request is answered 503 with Retry-After meanwhile. */
  storeAvailable: () => boolean;
  /** The gateway's public URL, known once the port is bound: the base of errors' `doc_url`. */
  publicUrl: () => string;
}

/**
 * node:http in front of the same handlers Lambda runs: each request becomes an API Gateway
 * HTTP API (payload 2.0) event, and each result goes back as the HTTP answer. The routes are
 * given before the server exists, so it cannot answer before every route does.
 */
export function createHttpBridge(options: HttpBridgeOptions): Server {
  const { newRequestId, logger, storeAvailable, publicUrl } = options;
  const routes = options.routes.map((mounted) => mounted.route);
  const handlers = new Map(options.routes.map((mounted) => [mounted.route, mounted.handler]));

  /** Answers the bridge gives itself (no route, too large, store down, a crash) carry a request id and a log line too. */
  const answerError = (req: IncomingMessage, res: ServerResponse, error: ApiError) => {
    const requestId = newRequestId();
    if (error.status === 413) res.setHeader('connection', 'close');
    const answer = errorAnswer(error, requestId, publicUrl());
    send(res, { ...answer, headers: { ...answer.headers, 'x-request-id': requestId } });
    logger.log(error.status >= 500 ? 'error' : 'info', 'request', {
      request_id: requestId,
      method: req.method,
      route: null,
      status: error.status,
      error_code: error.code,
    });
  };

  return createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = normalizedPath(url.pathname);
      const method = req.method ?? 'GET';
      const resolution = resolveRoute(routes, method, path);
      if (method === 'OPTIONS' && resolution.kind === 'method_not_allowed' && routes.some((r) => r.path === resolution.path && r.auth === 'client_secret')) {
        // CORS preflight of the public routes (API Gateway's CORS configuration answers it in AWS).
        return send(res, { statusCode: 204, headers: { ...CORS_HEADERS }, body: '' });
      }
      // What API Gateway hands to `$default` in AWS, answered as its function does.
      if (resolution.kind === 'method_not_allowed') return answerError(req, res, errors.methodNotAllowed(method, resolution.path, resolution.allow));
      if (resolution.kind === 'not_found') return answerError(req, res, errors.routeNotFound(method, path, resolution.nearest));
      if (!storeAvailable()) return answerError(req, res, errors.serviceUnavailable());
      const body = await readBody(req);
      if (body === 'too_large') return answerError(req, res, errors.payloadTooLarge());
      const pathParameters = Object.fromEntries(Object.entries(resolution.params).map(([name, value]) => [name, safeDecode(value)]));
      const result = await handlers.get(resolution.route)!(toEvent(req, url, path, resolution.route, pathParameters, body));
      send(res, result);
    } catch {
      answerError(req, res, errors.internal());
    }
  });
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > HARD_BODY_LIMIT) return 'too_large';
    // Past the contract's limit keep counting, but keep only one byte more than the limit.
    if (size - buffer.length <= MAX_BODY_BYTES) chunks.push(buffer);
  }
  const body = Buffer.concat(chunks);
  return body.length > MAX_BODY_BYTES + 1 ? body.subarray(0, MAX_BODY_BYTES + 1) : body;
}

function toEvent(req: IncomingMessage, url: URL, path: string, route: RouteSpec, pathParameters: Record<string, string>, body: Buffer): HttpEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: path,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers['host'] ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: req.method ?? 'GET',
        path,
        protocol: `HTTP/${req.httpVersion}`,
        // As API Gateway gives it: an IPv4 client is its IPv4 address, not its IPv6-mapped form.
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, ''),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length ? body.toString('base64') : undefined,
    isBase64Encoded: body.length > 0,
  } as HttpEvent;
}

function send(res: ServerResponse, result: HttpResult): void {
  res.statusCode = result.statusCode;
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
  res.end(result.body);
}
