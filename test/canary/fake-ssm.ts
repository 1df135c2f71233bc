import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SsmCall {
  target: string;
  body: Record<string, unknown>;
  authorization: string;
}

export interface FakeSsm {
  endpoint: string;
  calls: SsmCall[];
  /** The next replies (status, JSON body); when they run out, 200 `{}`. */
  reply(...replies: Array<{ status: number; body: Record<string, unknown> }>): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 speaking SSM's wire protocol (AWS JSON 1.1: POST /, the operation
 * in X-Amz-Target, errors as `__type` + `message`), enough for AddTagsToResource. The SDK's
 * serialisation, signing and error parsing run for real; nothing leaves the machine.
 */
export async function startFakeSsm(): Promise<FakeSsm> {
  const calls: SsmCall[] = [];
  const queue: Array<{ status: number; body: Record<string, unknown> }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push({
        target: String(req.headers['x-amz-target'] ?? ''),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
        authorization: String(req.headers.authorization ?? ''),
      });
      const reply = queue.shift() ?? { status: 200, body: {} };
      res.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${calls.length}` });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    reply: (...replies) => void queue.push(...replies),
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
