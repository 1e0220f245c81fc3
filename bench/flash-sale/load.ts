/**
 * One load process of bench/flash-sale: its share of the buyers, each on its own keep-alive
 * connection, all tapping "buy" at the same moment and again until the answer is a refusal
 * (sold out). Started by run.ts over IPC; never run by hand.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

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
  /** When the request was written whole to its socket (a pooled socket, see `connections`). */
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
  const agent = new Agent({ keepAlive: true, maxSockets: plan.connections });
  const target = new URL(plan.url);
  const send = (path: string, headers: Record<string, string>, payload: string | null) =>
    new Promise<{
      statusCode: number;
      sentAt: number;
      json: { order?: { id: string }; error?: { code: string } };
    }>((resolve, reject) => {
      let sentAt = now();
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path,
          method: payload === null ? 'GET' : 'POST',
          agent,
          headers:
            payload === null
              ? headers
              : {
                  ...headers,
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(payload),
                },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              resolve({
                statusCode: res.statusCode ?? 0,
                sentAt,
                json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
                  order?: { id: string };
                  error?: { code: string };
                },
              });
            } catch (err) {
              reject(err as Error);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.on('finish', () => (sentAt = now()));
      req.end(payload ?? undefined);
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

  await new Promise((r) => setTimeout(r, Math.max(0, plan.startAt - Date.now())));
  const before = process.cpuUsage();
  await Promise.all(plan.tokens.map(buyer));
  agent.destroy();
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
