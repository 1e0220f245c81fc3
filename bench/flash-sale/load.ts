/**
 * One load process of bench/flash-sale: its share of the buyers over a pool of keep-alive
 * connections (undici), all tapping "buy" at the same moment and again until the answer is a refusal
 * (sold out). Started by run.ts over IPC; never run by hand.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

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

async function run(plan: LoadPlan): Promise<LoadAnswer[]> {
  // undici rather than node:http: the load processes share the machine's two cores with the
  // server, and undici spends about half the CPU per request that node:http does.
  const pool = new Pool(plan.url, { connections: plan.connections, pipelining: 1 });
  const send = (path: string, headers: Record<string, string>, payload: string | null) =>
    new Promise<{
      statusCode: number;
      sentAt: number;
      json: { order?: { id: string }; error?: { code: string } };
    }>((resolve, reject) => {
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
                json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
                  order?: { id: string };
                  error?: { code: string };
                },
              });
            } catch (err) {
              reject(err as Error);
            }
          },
          onResponseError: (_controller, err) => reject(err),
        },
      );
    });
  const path = {
    flash: `/api/v1/offers/${plan.targetId}/claims`,
    plain: '/api/v1/orders',
    ceiling: '/api/v1/health',
  }[plan.mode];
  const body = (): string | null =>
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
          body(),
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
        process.send!({ type: 'won' });
      } catch {
        answers.push({ sentAt, answeredAt: now(), status: 0, code: 'NETWORK', orderId: null });
        return;
      }
    }
  }

  // Buyers were on the page before the sale: their connections are open already (one request
  // per pooled connection, all at once, so the pool opens every one of them).
  await Promise.all(
    Array.from({ length: plan.connections }, () => send('/api/v1/health', {}, null)),
  );
  await new Promise((r) => setTimeout(r, Math.max(0, plan.startAt - Date.now())));
  const before = process.cpuUsage();
  await Promise.all(plan.tokens.map(buyer));
  await pool.close();
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
