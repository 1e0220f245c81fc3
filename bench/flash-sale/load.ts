/**
 * One load process of bench/flash-sale: its share of the buyers over a pool of keep-alive
 * connections, all tapping "buy" at the same moment and again until the answer is a refusal
 * (sold out). The connections are the bench's lean client (raw-http.ts) or undici's Pool
 * (`client: 'undici'`), to compare what the client itself costs. Started by run.ts over IPC;
 * never run by hand.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { buildRequest, RawConnection } from './raw-http.ts';

export interface LoadPlan {
  url: string;
  /**
   * `flash`: POST /offers/:id/claims; `plain`: POST /orders on an ordinary product;
   * `ceiling`: GET /health once per buyer, the cheapest answer the server gives (no database).
   */
  mode: 'flash' | 'plain' | 'ceiling';
  targetId: string;
  tokens: string[];
  /** Wall-clock ms (epoch) at which every buyer taps. */
  startAt: number;
  connections: number;
  client: 'raw' | 'undici';
  /** Post `{type: 'won'}` to run.ts after each 201 (the kill run counts them). */
  reportWins: boolean;
}

export interface LoadAnswer {
  /** Epoch ms, sub-millisecond precision. */
  /** When the request went onto a pooled connection (see `connections`), after any wait for one. */
  sentAt: number;
  answeredAt: number;
  status: number;
  code: string | null;
  orderId: string | null;
}

const now = () => performance.timeOrigin + performance.now();
const address = { name: 'Bench', phone: '13800138000', regionCode: '370783100', line1: 'Lane 1' };

/** CPU seconds this process used from the tap to the last answer. */
let cpuSeconds = 0;

type Json = { order?: { id: string }; error?: { code: string } };
/** One request on a pooled connection: the answer, and when it went onto the connection. */
type Send = (
  path: string,
  headers: Record<string, string>,
  payload: string | null,
) => Promise<{ statusCode: number; sentAt: number; json: Json }>;

interface Transport {
  send: Send;
  /** Every connection open (one request on each), as a buyer's page would have it. */
  warm(): Promise<void>;
  close(): Promise<void>;
}

function undiciTransport(plan: LoadPlan): Transport {
  const pool = new Pool(plan.url, { connections: plan.connections, pipelining: 1 });
  const send: Send = (path, headers, payload) =>
    new Promise((resolve, reject) => {
      let sentAt = now();
      let statusCode = 0;
      const chunks: Buffer[] = [];
      pool.dispatch(
        {
          path,
          method: payload === null ? 'GET' : 'POST',
          headers: payload === null ? headers : { ...headers, 'content-type': 'application/json' },
          body: payload,
        },
        {
          // The request goes onto a connection now; before, it waited for a free one.
          onRequestStart: () => void (sentAt = now()),
          onResponseStart: (_controller, code) => void (statusCode = code),
          onResponseData: (_controller, chunk) => void chunks.push(chunk),
          onResponseEnd: () => {
            try {
              resolve({
                statusCode,
                sentAt,
                json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json,
              });
            } catch (err) {
              reject(err as Error);
            }
          },
          onResponseError: (_controller, err) => reject(err),
        },
      );
    });
  return {
    send,
    warm: async () =>
      void (await Promise.all(
        Array.from({ length: plan.connections }, () => send('/api/v1/health', {}, null)),
      )),
    close: () => pool.close(),
  };
}

/** The lean client: a fixed set of keep-alive connections, requests waiting FIFO for one. */
function rawTransport(plan: LoadPlan): Transport {
  const url = new URL(plan.url);
  const free: RawConnection[] = [];
  const all: RawConnection[] = [];
  const queue: Array<(c: RawConnection) => void> = [];
  const take = () =>
    new Promise<RawConnection>((resolve) => {
      const c = free.pop();
      if (c) resolve(c);
      else queue.push(resolve);
    });
  const give = (c: RawConnection) => {
    const next = queue.shift();
    if (next) next(c);
    else free.push(c);
  };
  const send: Send = async (path, headers, payload) => {
    const connection = await take();
    const request = buildRequest(
      payload === null ? 'GET' : 'POST',
      url.host,
      path,
      headers,
      payload,
    );
    const sentAt = now();
    try {
      const answer = await connection.send(request);
      return {
        statusCode: answer.status,
        sentAt,
        json: JSON.parse(answer.body.toString('utf8')) as Json,
      };
    } finally {
      give(connection);
    }
  };
  return {
    send,
    async warm() {
      const opened = await Promise.all(
        Array.from({ length: plan.connections }, () =>
          RawConnection.open(url.hostname, Number(url.port)),
        ),
      );
      all.push(...opened);
      free.push(...opened);
      await Promise.all(opened.map(() => send('/api/v1/health', {}, null)));
    },
    close: async () => all.forEach((c) => c.close()),
  };
}

async function run(plan: LoadPlan): Promise<LoadAnswer[]> {
  // Both transports keep `plan.connections` keep-alive connections; the lean one spends a
  // fraction of undici's CPU per request, which the server can then use (same two cores).
  const transport = plan.client === 'undici' ? undiciTransport(plan) : rawTransport(plan);
  const send = transport.send;
  const path = {
    flash: `/api/v1/offers/${plan.targetId}/claims`,
    plain: '/api/v1/orders',
    ceiling: '/api/v1/health',
  }[plan.mode];
  // The same body for every tap (each still gets its own Idempotency-Key).
  const payload: string | null =
    plan.mode === 'ceiling'
      ? null
      : JSON.stringify(
          plan.mode === 'flash'
            ? { quantity: 1, shippingAddress: address, paymentMethod: 'cod' }
            : {
                items: [{ productId: plan.targetId, quantity: 1 }],
                shippingAddress: address,
                paymentMethod: 'cod',
              },
        );
  const answers: LoadAnswer[] = [];
  let stopped = false;
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stop') stopped = true;
  });

  async function buyer(token: string) {
    while (!stopped) {
      const sentAt = now();
      try {
        const res = await send(
          path,
          { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
          payload,
        );
        const json = res.json;
        answers.push({
          sentAt: res.sentAt,
          answeredAt: now(),
          status: res.statusCode,
          code: json.error?.code ?? null,
          orderId: json.order?.id ?? null,
        });
        if (res.statusCode !== 201) return; // /health answers 200: one request per buyer.
        if (plan.reportWins) process.send!({ type: 'won' });
      } catch {
        answers.push({ sentAt, answeredAt: now(), status: 0, code: 'NETWORK', orderId: null });
        return;
      }
    }
  }

  // Buyers were on the page before the sale: their connections are open already (one request
  // per pooled connection, all at once, so the pool opens every one of them).
  await transport.warm();
  await new Promise((r) => setTimeout(r, Math.max(0, plan.startAt - Date.now())));
  const before = process.cpuUsage();
  await Promise.all(plan.tokens.map(buyer));
  await transport.close();
  const used = process.cpuUsage(before);
  cpuSeconds = (used.user + used.system) / 1e6;
  return answers;
}

process.once('message', (plan: LoadPlan) => {
  void run(plan).then(
    (answers) => {
      process.send!({ type: 'done', answers, cpuSeconds }, () => process.exit(0));
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
