import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the stand-in does with one request: answer, or hold it (for timeouts). */
export type Reply =
  | { status: number; body?: string; headers?: Record<string, string> }
  /** Answers with the request's own URL (the webhook, token included) quoted between `before` and `after`. */
  | { status: number; echo: { before?: string; after?: string } }
  | { hang: 'headers' }
  | { hang: 'body' };

export interface Received {
  method: string;
  path: string;
  contentType: string;
  body: string;
}

export interface FakeSlack {
  /** A webhook-shaped URL on the loopback server; the last path segment plays the secret. */
  url: string;
  secret: string;
  received: Received[];
  /** Replies for the next requests, in order; when they run out, 200 "ok". */
  reply(...replies: Reply[]): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for hooks.slack.com: the transport's fetch, timeouts,
 * headers and bodies are exercised for real, and nothing leaves the machine.
 */
export async function startFakeSlack(): Promise<FakeSlack> {
  const queue: Reply[] = [];
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') });
      const reply = queue.shift() ?? { status: 200, body: 'ok' };
      if ('hang' in reply) {
        // Never finish: the client's AbortSignal.timeout must end it.
        if (reply.hang === 'body') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('o');
        }
        return;
      }
      if ('echo' in reply) {
        res.writeHead(reply.status, { 'content-type': 'text/plain' });
        res.end(`${reply.echo.before ?? ''}http://${req.headers.host ?? ''}${req.url ?? ''}${reply.echo.after ?? ''}`);
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const secret = 'XXXXSECRETtoken1234567890';
  return {
    url: `http://127.0.0.1:${port}/services/T0000TEST/B0000TEST/${secret}`,
    secret,
    received,
    reply: (...replies) => queue.push(...replies),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
