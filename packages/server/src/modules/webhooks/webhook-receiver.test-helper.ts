import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** What a test receiver got: the verified body, or the reason verification failed. */
export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The parsed envelope when the signature verified with the current secret. */
  verified: { type: string; timestamp: string; data: Record<string, unknown> } | null;
  answered: number;
}

/**
 * A real HTTP receiver on 127.0.0.1, the way an integrator writes one: it verifies each
 * request with `standardwebhooks` and answers with whatever `answer` says for now. It can be
 * stopped (connection refused) and started again on the same port.
 */
export async function startReceiver(secret: string | null = null, port = 0) {
  let currentSecret = secret;
  let answer = (_r: Received) => 200;
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const h = req.headers;
      let verified: Received['verified'] = null;
      if (currentSecret) {
        try {
          verified = new Webhook(currentSecret).verify(body, {
            'webhook-id': String(h['webhook-id']),
            'webhook-timestamp': String(h['webhook-timestamp']),
            'webhook-signature': String(h['webhook-signature']),
          }) as Received['verified'];
        } catch {
          verified = null;
        }
      }
      const entry: Received = {
        id: String(h['webhook-id']),
        timestamp: String(h['webhook-timestamp']),
        signature: String(h['webhook-signature']),
        headers: h,
        body,
        verified,
        answered: 0,
      };
      entry.answered = answer(entry);
      received.push(entry);
      res.writeHead(entry.answered, { 'content-type': 'text/plain' });
      res.end(entry.answered < 300 ? 'ok' : `not now (${entry.answered})`);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    /** Requests answered 2xx. */
    accepted: () => received.filter((r) => r.answered >= 200 && r.answered < 300),
    setSecret(s: string) {
      currentSecret = s;
    },
    answerWith(fn: (r: Received) => number) {
      answer = fn;
    },
    /** Stops listening: further attempts get "connection refused". */
    async down() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async up() {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Waits until `check` holds, or fails after `ms` with what it last saw. */
export async function waitFor<T>(
  what: string,
  get: () => T | Promise<T>,
  check: (value: T) => boolean,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await get();
  while (!check(last)) {
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await get();
  }
  return last;
}
