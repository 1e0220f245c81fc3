/**
 * Webhooks for integrators, from the seller's studio on a 360 px phone (in Chinese): add an
 * address, copy the secret shown once, see a delivery fail against a receiver that is down,
 * read its attempts, re-send it once the receiver is up, pause and resume, send a test, get a
 * new secret, delete. A real HTTP receiver verifies every message with `standardwebhooks`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startReceiver,
  type Receiver,
} from '../packages/server/src/modules/webhooks/webhook-receiver.test-helper.ts';
import { openPerson, shot, type Person } from './support/browser.ts';
import { apiOf, byTestId, sellerWithShop, signIn, stepsInOrder } from './support/flow.ts';
import { startPlatform, type Platform } from './support/server.ts';

const RUN = Date.now().toString(36);
const PASSWORD = 'webhooks-2026';
/** This suite's ports (3370–3379): the server, and the integrator's receiver. */
const PORT = Number(process.env.WEBHOOKS_E2E_PORT ?? '3372');
const RECEIVER_PORT = Number(process.env.WEBHOOKS_E2E_RECEIVER_PORT ?? '3377');

let platform: Platform | undefined;
let receiver: Receiver;
let base = '';
let seller: Person;
const people: Person[] = [];
const state: { sellerToken?: string; buyerToken?: string; productId?: string; secret?: string } =
  {};
const call = apiOf(() => base);
/** Orders need an Idempotency-Key; any fresh one will do here. */
const api = <T>(method: string, path: string, token: string | null, body?: unknown) =>
  call<T>(
    method,
    path,
    token,
    body,
    method === 'POST' && path === '/orders' ? { 'idempotency-key': crypto.randomUUID() } : {},
  );

async function placeOrder() {
  await api('POST', '/orders', state.buyerToken!, {
    items: [{ productId: state.productId!, quantity: 1 }],
    shippingAddress: {
      name: '李明',
      phone: '13800138000',
      regionCode: '370783100',
      line1: '东街 8 号',
    },
    paymentMethod: 'cod',
  });
}

describe('webhooks: the seller connects their software', () => {
  beforeAll(async () => {
    platform = await startPlatform(
      {
        // The receiver runs on this machine: the operator allows private addresses.
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
        // One try, so a delivery fails at once and is re-sent by hand.
        WEBHOOK_RETRY_LIMIT: '0',
        JOBS_POLL_SECONDS: '0.5',
      },
      { port: PORT, readyTimeoutMs: 180_000 },
    );
    base = platform.server.url;
    receiver = await startReceiver(null, RECEIVER_PORT);
    receiver.answerWith(() => 503);

    const email = `webhooks-seller-${RUN}@example.cn`;
    const made = await sellerWithShop(api, {
      email,
      password: PASSWORD,
      displayName: '王玉米',
      shop: { name: '王家玉米地', regionCode: '370783' },
      products: [{ title: '寿光甜玉米', unit: '根', price: 350, stock: 50 }],
    });
    state.sellerToken = made.token;
    state.productId = made.productIds[0];
    state.buyerToken = (
      await api<{ token: string }>('POST', '/auth/register', null, {
        email: `webhooks-buyer-${RUN}@example.cn`,
        password: PASSWORD,
        displayName: '李明',
        role: 'buyer',
      })
    ).token;

    seller = await openPerson({ name: 'seller', width: 360, height: 760 });
    people.push(seller);
    await signIn(seller.page, base, email, PASSWORD);
  });

  afterAll(async () => {
    await seller?.close();
    await receiver?.close();
    await platform?.stop();
  });

  stepsInOrder('webhooks-', people, () => platform?.server.output());

  it('adds an address from the studio and sees the secret once', async () => {
    const { page } = seller;
    await page.goto(`${base}/studio`);
    await byTestId(page, 'studio-integrations').click();
    await byTestId(page, 'integrations').waitFor();
    await page.getByText('还没有地址').waitFor();
    await byTestId(page, 'webhook-new').click();
    // A wrong address is explained before anything is sent.
    await byTestId(page, 'webhook-url').fill('ftp://erp.example.cn');
    await byTestId(page, 'webhook-save').click();
    await page.getByText('地址必须以 https:// 或 http:// 开头').waitFor();
    await byTestId(page, 'webhook-url').fill(receiver.url);
    await byTestId(page, 'webhook-description').fill('记账软件');
    await byTestId(page, 'webhook-event-live.started').uncheck();
    await byTestId(page, 'webhook-event-live.ended').uncheck();
    await byTestId(page, 'webhook-save').click();

    const secret = (await byTestId(page, 'webhook-secret').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^whsec_/);
    state.secret = secret;
    receiver.setSecret(secret);
    await shot(page, 'webhooks-secret-360');
    await byTestId(page, 'webhook-secret-done').click();
    await byTestId(page, 'webhook-secret-box').waitFor({ state: 'detached' });
    const item = byTestId(page, 'webhook-item');
    await expect(item.count()).resolves.toBe(1);
    await expect(byTestId(page, 'webhook-item-url').textContent()).resolves.toBe(receiver.url);
    await expect(byTestId(page, 'webhook-state').textContent()).resolves.toBe('已开启');
  });

  it('shows a failed delivery with its attempt, and re-sends it once the receiver is up', async () => {
    const { page } = seller;
    await placeOrder();
    await byTestId(page, 'webhook-log-toggle').click();
    const row = byTestId(page, 'webhook-delivery');
    await row.and(page.locator('[data-status="failed"]')).waitFor({ timeout: 30_000 });
    await expect(row.first().textContent()).resolves.toContain('新订单');
    await expect(row.first().textContent()).resolves.toContain('HTTP 503');
    await row.first().locator('button').first().click();
    const detail = byTestId(page, 'webhook-delivery-detail');
    await byTestId(page, 'webhook-attempts').waitFor();
    await expect(detail.textContent()).resolves.toContain('not now (503)');
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.verified?.type).toBe('order.created');

    receiver.answerWith(() => 200);
    await byTestId(page, 'webhook-resend').click();
    await row.and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 30_000 });
    const accepted = receiver.accepted();
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.id).toBe(receiver.received[0]!.id);
    expect(accepted[0]!.verified?.type).toBe('order.created');
    await shot(page, 'webhooks-log-360');
  });

  it('pauses (nothing is sent), resumes, and sends a test', async () => {
    const { page } = seller;
    await byTestId(page, 'webhook-toggle').click();
    await page.locator('[data-testid="webhook-state"]', { hasText: '已暂停' }).waitFor();
    await expect(byTestId(page, 'webhook-test').isDisabled()).resolves.toBe(true);
    const before = receiver.received.length;
    await placeOrder();
    await new Promise((r) => setTimeout(r, 2500));
    expect(receiver.received.length).toBe(before);

    await byTestId(page, 'webhook-toggle').click();
    await page.locator('[data-testid="webhook-state"]', { hasText: '已开启' }).waitFor();
    await byTestId(page, 'webhook-test').click();
    await page
      .locator('[data-testid="webhook-delivery"][data-status="succeeded"]', {
        hasText: '测试消息',
      })
      .waitFor({ timeout: 30_000 });
    expect(receiver.accepted().at(-1)?.verified?.type).toBe('webhook.test');
  });

  it('makes a new secret, and the next message is signed with it', async () => {
    const { page } = seller;
    await byTestId(page, 'webhook-rotate').click();
    await byTestId(page, 'webhook-confirm').click();
    const fresh = (await byTestId(page, 'webhook-secret').textContent())?.trim() ?? '';
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(state.secret);
    receiver.setSecret(fresh);
    await byTestId(page, 'webhook-secret-done').click();
    const before = receiver.accepted().length;
    await placeOrder();
    const deadline = Date.now() + 20_000;
    while (receiver.accepted().length === before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(receiver.accepted().at(-1)?.verified?.type).toBe('order.created');
  });

  it('deletes the address', async () => {
    const { page } = seller;
    await byTestId(page, 'webhook-delete').click();
    await byTestId(page, 'webhook-confirm').click();
    await byTestId(page, 'webhook-item').waitFor({ state: 'detached' });
    await page.getByText('还没有地址').waitFor();
    const { subscriptions } = await api<{ subscriptions: unknown[] }>(
      'GET',
      '/shop/webhooks',
      state.sellerToken!,
    );
    expect(subscriptions).toEqual([]);
  });
});
