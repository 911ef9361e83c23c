import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { handler as unsubscribeHandler } from '../../functions/handlers/unsubscribe.js';

/** Bodies are read up to this size; the handler answers 413 beyond its own 16 KiB limit. */
const MAX_BODY_BYTES = 64 * 1024;

type FunctionUrlHandler = (
  event: LambdaFunctionURLEvent,
  context: Context,
) => Promise<LambdaFunctionURLResult>;

export interface UnsubscribeServer {
  /** The endpoint the emails link to, e.g. `http://127.0.0.1:8787/u`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

function localContext(): Context {
  const deadline = Date.now() + 10_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'unsubscribe',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:unsubscribe',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/unsubscribe',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES + 1);
}

/** A node:http request as the Lambda Function URL event (payload format 2.0) AWS would deliver. */
export function toFunctionUrlEvent(
  req: IncomingMessage,
  body: Buffer,
  path: string,
  rawQueryString: string,
): LambdaFunctionURLEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const queryStringParameters: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[k] = k in queryStringParameters ? `${queryStringParameters[k]},${v}` : v;
  }
  const now = new Date();
  const method = (req.method ?? 'GET').toUpperCase();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers,
    ...(rawQueryString === '' ? {} : { queryStringParameters }),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method,
        path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    // Function URLs hand form bodies to the function base64-encoded.
    ...(body.length > 0
      ? { body: body.toString('base64'), isBase64Encoded: true }
      : { isBase64Encoded: false }),
  } as LambdaFunctionURLEvent;
}

/**
 * Serves the unsubscribe Lambda handler (the very module CDK deploys behind a Function URL) on
 * 127.0.0.1 at `/u`, translating each request into the Function URL event. The embedded services
 * must already be running (the handler reads DynamoDB and the key ring through the environment).
 */
export async function startUnsubscribeServer(
  options: { port?: number; host?: string; handler?: FunctionUrlHandler } = {},
): Promise<UnsubscribeServer> {
  const host = options.host ?? '127.0.0.1';
  const handler = options.handler ?? (unsubscribeHandler as unknown as FunctionUrlHandler);
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const target = new URL(req.url ?? '/', 'http://local');
        if (target.pathname !== '/u' && target.pathname !== '/u/') {
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
          res.end('Not found.\n');
          return;
        }
        const body = await readBody(req);
        const event = toFunctionUrlEvent(req, body, target.pathname, target.search.replace(/^\?/, ''));
        const out = await handler(event, localContext());
        const result = typeof out === 'string' ? { statusCode: 200, body: out } : out;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
        res.writeHead(result.statusCode ?? 200, headers);
        res.end(result.body ?? '');
      } catch {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Internal error.\n');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/u`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
