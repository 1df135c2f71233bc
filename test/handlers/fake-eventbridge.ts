import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PutEventsEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName?: string;
  Time?: number;
}

/** What the stand-in answers to one PutEvents call. */
export type Behaviour =
  | { kind: 'ok' }
  /** HTTP error with an AWS JSON error body (the SDK retries 5xx and throttling itself). */
  | { kind: 'error'; status: number; type: string }
  /** 200 with these entry indexes refused (PutEvents' partial failure). */
  | { kind: 'refuse'; indexes: number[]; code: string };

export interface FakeEventBridge {
  url: string;
  /** Every entry EventBridge accepted, in order. */
  accepted: PutEventsEntry[];
  calls: number;
  behave(...next: Behaviour[]): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that speaks the EventBridge JSON protocol (awsJson1_1, target
 * `AWSEvents.PutEvents`) for the SDK pointed at it with `endpoint`: requests, signing and retries are
 * the SDK's own.
 */
export async function startFakeEventBridge(): Promise<FakeEventBridge> {
  const queue: Behaviour[] = [];
  const fake: FakeEventBridge = {
    url: '',
    accepted: [],
    calls: 0,
    behave: (...next) => queue.push(...next),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      fake.calls += 1;
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${fake.calls}` });
        res.end(JSON.stringify(body));
      };
      if (req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') return send(400, { __type: 'UnknownOperationException', message: String(req.headers['x-amz-target']) });
      const { Entries } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries: PutEventsEntry[] };
      if (!Array.isArray(Entries) || Entries.length === 0 || Entries.length > 10) return send(400, { __type: 'ValidationException', message: 'Entries must hold 1 to 10 entries' });
      const b = queue.shift() ?? { kind: 'ok' };
      if (b.kind === 'error') return send(b.status, { __type: b.type, message: 'injected' });
      const refused = b.kind === 'refuse' ? new Set(b.indexes) : new Set<number>();
      const out = Entries.map((e, i) => {
        if (refused.has(i)) return { ErrorCode: b.kind === 'refuse' ? b.code : '', ErrorMessage: 'injected' };
        fake.accepted.push(e);
        n += 1;
        return { EventId: `evt-${n}` };
      });
      return send(200, { FailedEntryCount: refused.size, Entries: out });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
