/**
 * Journey 5, after the show: two sellers of one township each have a cash-on-delivery order
 * from the same buyer. The first packs it from the order board in the browser (its label is a
 * PDF); the second packs through the API. The township hub's operator signs in, scans both
 * parcels in (a repeated scan, an unknown code and a parcel of the neighbouring township's
 * hub say so), makes one consolidated pickup for the sandbox carrier and hands it over. The
 * carrier walks the parcels (a signed callback per step, one step a second); the buyer's order
 * page follows it to "delivered", and the bell tells each step.
 *
 * The hub and its operator come from the CLI, as on a real installation, before the server
 * starts (embedded PGlite has one process at a time).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../packages/server/src/test/process-harness.ts';
import { openPerson, shot, type Person } from './support/browser.ts';
import {
  apiOf,
  byTestId,
  sellerWithShop,
  signIn as signInAs,
  stepsInOrder,
  waitForAttr,
} from './support/flow.ts';
import { firstFreePort, startPlatform, type Platform } from './support/server.ts';

const RUN = Date.now().toString(36);
const PASSWORD = 'parcels-on-the-road-2026';
// Shandong → Weifang → Shouguang → Hualong town: one hub for its villages.
const TOWNSHIP = '370783100';
const HUB_NAME = '化龙镇电商服务站';
// A neighbouring township with a hub of its own: its parcels are not for ours.
const OTHER_TOWNSHIP = '370783005';
const OPERATOR = { email: `hub-${RUN}@example.cn`, name: '化龙镇小刘' };
/** Ports this suite may use (other suites and people use others); FULFILMENT_E2E_PORT picks one. */
const PORTS = process.env.FULFILMENT_E2E_PORT
  ? [Number(process.env.FULFILMENT_E2E_PORT)]
  : [3360, 3361, 3362, 3363, 3364, 3365, 3366, 3367, 3368, 3369];

let platform: Platform | undefined;
let base = '';
let seller: Person;
let hub: Person;
let buyer: Person;
const people: Person[] = [];
const state: {
  sellerToken?: string;
  seller2Token?: string;
  buyerToken?: string;
  orderA?: string;
  orderB?: string;
  codeA?: string;
  codeB?: string;
  codeElsewhere?: string;
} = {};
const api = apiOf(() => base);

/** The server's own CLI, on the database the server is about to open. */
async function cli(env: Record<string, string>, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'packages/server/src/cli.ts', ...args],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      timeout: 120_000,
    },
  );
  return stdout;
}

const signIn = (person: Person, email: string) => signInAs(person.page, base, email, PASSWORD);

/** A download link as the browser would follow it: with this person's session cookie. */
async function download(page: Page, href: string) {
  const res = await page.request.get(new URL(href, base).toString());
  return {
    status: res.status(),
    type: res.headers()['content-type'] ?? '',
    body: await res.body(),
  };
}

/**
 * The page in another language at phone width: nothing sticks out sideways (a long Italian
 * word in a count tile would), and a screenshot to look at. Then back to Chinese.
 */
async function inLanguage(page: Page, lang: 'en' | 'it', name: string, ready: string) {
  await byTestId(page, 'language-switcher').selectOption(lang);
  await page.waitForFunction((l) => document.documentElement.lang.startsWith(l), lang);
  // The page reads its data again in the new language (region names).
  await byTestId(page, ready).first().waitFor();
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  await shot(page, name);
  expect(overflow, `${name}: wider than the screen`).toBeLessThanOrEqual(0);
  await byTestId(page, 'language-switcher').selectOption('zh');
  await page.waitForFunction(() => document.documentElement.lang.startsWith('zh'));
  await byTestId(page, ready).first().waitFor();
}

describe('after the show: pack, gather at the township hub, hand over, follow the parcel', () => {
  beforeAll(async () => {
    const port = await firstFreePort(PORTS);
    const env = {
      PORT: String(port),
      // The carrier calls back where a real one would: the server's public address.
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      CARRIER_SANDBOX_SECRET: `e2e-sandbox-carrier-secret-${RUN}-0123456789`,
      CARRIER_SANDBOX_STEP_SECONDS: '1',
      JOBS_POLL_SECONDS: '0.5',
      LOG_LEVEL: 'warn',
    };
    platform = await startPlatform(env, {
      port,
      beforeStart: async (serverEnv) => {
        await cli(
          serverEnv,
          'create-hub',
          '--region',
          TOWNSHIP,
          '--name',
          HUB_NAME,
          '--address',
          '化龙镇政府东 200 米',
        );
        await cli(
          serverEnv,
          'create-hub',
          '--region',
          OTHER_TOWNSHIP,
          '--name',
          '洛城街道电商服务站',
        );
        await cli(
          serverEnv,
          'create-operator',
          '--email',
          OPERATOR.email,
          '--password',
          PASSWORD,
          '--name',
          OPERATOR.name,
          '--hub',
          TOWNSHIP,
        );
      },
    });
    base = platform.server.url;

    const { regions } = await api<{ regions: Array<{ code: string }> }>(
      'GET',
      `/regions?parent=${TOWNSHIP}`,
      null,
    );
    const elsewhere = (
      await api<{ regions: Array<{ code: string }> }>(
        'GET',
        `/regions?parent=${OTHER_TOWNSHIP}`,
        null,
      )
    ).regions[0];
    if (!elsewhere) throw new Error(`no villages under ${OTHER_TOWNSHIP}`);
    const [villageA, villageB] = regions;
    if (!villageA || !villageB) throw new Error(`no villages under ${TOWNSHIP}`);
    const buyerVillage = regions.at(-1)!;

    const openShop = async (n: number, shop: string, village: string, title: string) => {
      const { token, productIds } = await sellerWithShop(api, {
        email: `fulfil-seller${n}-${RUN}@example.cn`,
        password: PASSWORD,
        displayName: `卖家${n}`,
        shop: { name: shop, description: '自家种的。', regionCode: village },
        products: [
          {
            title,
            description: '当天现摘。',
            unit: '斤',
            category: 'vegetables',
            price: 350,
            stock: 100,
          },
        ],
      });
      return { token, productId: productIds[0]! };
    };
    const a = await openShop(1, '老王玉米合作社', villageA.code, '寿光甜玉米');
    const b = await openShop(2, '李家黄瓜园', villageB.code, '水果黄瓜');
    state.sellerToken = a.token;
    state.seller2Token = b.token;
    const c = await openShop(3, '洛城蔬菜社', elsewhere.code, '洛城韭菜');

    const { token } = await api<{ token: string }>('POST', '/auth/register', null, {
      email: `fulfil-buyer-${RUN}@example.cn`,
      password: PASSWORD,
      displayName: '城里的小陈',
      role: 'buyer',
    });
    state.buyerToken = token;
    const order = async (productId: string, quantity: number, key: string) =>
      (
        await api<{ order: { id: string; status: string } }>(
          'POST',
          '/orders',
          token,
          {
            items: [{ productId, quantity }],
            shippingAddress: {
              name: '陈小明',
              phone: '13800138000',
              regionCode: buyerVillage.code,
              line1: '文圣街 8 号 3 单元',
            },
            paymentMethod: 'cod',
          },
          { 'idempotency-key': `${key}-${RUN}` },
        )
      ).order;
    const oa = await order(a.productId, 3, 'a');
    const ob = await order(b.productId, 2, 'b');
    expect([oa.status, ob.status]).toEqual(['cod_confirmed', 'cod_confirmed']);
    state.orderA = oa.id;
    state.orderB = ob.id;
    // Packed in the other township: our hub's scanner must say "not for this hub".
    const oc = await order(c.productId, 1, 'c');
    state.codeElsewhere = (
      await api<{ parcel: { code: string } }>('POST', `/orders/${oc.id}/pack`, c.token)
    ).parcel.code;

    seller = await openPerson({ name: 'seller', width: 360, height: 760 });
    hub = await openPerson({ name: 'hub', width: 360, height: 760 });
    buyer = await openPerson({ name: 'buyer', width: 360, height: 760 });
    people.push(seller, hub, buyer);
  });

  afterAll(async () => {
    for (const p of people) await p.close();
    await platform?.stop();
  });

  stepsInOrder('fulfil-', people, () => platform?.server.output());

  it('the seller sees what to pack, packs from the board, and the label is a PDF', async () => {
    const { page } = seller;
    await signIn(seller, `fulfil-seller1-${RUN}@example.cn`);
    await byTestId(page, 'account-menu').click();
    await byTestId(page, 'menu-board').click();
    await page.waitForURL((url) => url.pathname === '/studio/orders');
    await waitForAttr(byTestId(page, 'board-count-toPack'), 'data-count', '1');
    const product = byTestId(page, 'board-product');
    await expect.poll(() => product.innerText()).toContain('寿光甜玉米');
    expect(await product.innerText()).toContain('3 斤');
    // Cash on delivery: 3 × ¥3.50 to collect.
    expect(await byTestId(page, 'board-cod').innerText()).toContain('¥10.50');
    await shot(page, 'fulfil-01-board-to-pack');

    const csv = await download(
      page,
      (await byTestId(page, 'board-packing-csv').getAttribute('href'))!,
    );
    expect(csv.status).toBe(200);
    expect(csv.type).toContain('text/csv');
    expect(csv.body.toString('utf8')).toContain('寿光甜玉米');

    await byTestId(page, 'board-order').getByTestId('board-pack').click();
    const parcel = byTestId(page, 'board-parcel').and(
      page.locator(`[data-order-id="${state.orderA}"]`),
    );
    await waitForAttr(parcel, 'data-status', 'packed');
    await waitForAttr(byTestId(page, 'board-count-toPack'), 'data-count', '0');
    await waitForAttr(byTestId(page, 'board-count-packed'), 'data-count', '1');
    state.codeA = (await parcel.locator('.parcel-code').innerText()).trim();
    expect(state.codeA).toMatch(/^[A-Z0-9]{8,20}$/);

    const label = await download(
      page,
      (await parcel.getByTestId('board-label').getAttribute('href'))!,
    );
    expect(label.status).toBe(200);
    expect(label.type).toContain('application/pdf');
    expect(label.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const all = await download(
      page,
      (await byTestId(page, 'board-all-labels').getAttribute('href'))!,
    );
    expect(all.type).toContain('application/pdf');
    await shot(page, 'fulfil-02-board-packed');
    await inLanguage(page, 'it', 'fulfil-02b-board-it', 'board-parcel');

    // The other seller of the township packs through the API (as an ERP would).
    const packed = await api<{ parcel: { code: string; hubId: string | null } }>(
      'POST',
      `/orders/${state.orderB}/pack`,
      state.seller2Token!,
    );
    expect(packed.parcel.hubId).not.toBeNull();
    state.codeB = packed.parcel.code;
  });

  it('the hub operator scans both parcels in, makes one pickup and hands it over', async () => {
    const { page } = hub;
    await signIn(hub, OPERATOR.email);
    await byTestId(page, 'account-menu').click();
    await byTestId(page, 'menu-hub').click();
    await page.waitForURL((url) => url.pathname === '/hub');
    await waitForAttr(byTestId(page, 'hub-count-expected'), 'data-count', '2');
    // Two sellers' parcels, grouped by seller.
    await expect.poll(() => byTestId(page, 'hub-seller').count()).toBe(2);
    await shot(page, 'fulfil-03-hub-expected');

    const input = byTestId(page, 'hub-scan-input');
    const scan = async (code: string, outcome: string) => {
      await input.fill(code);
      await input.press('Enter');
      await waitForAttr(byTestId(page, 'scan-result'), 'data-outcome', outcome);
      await expect
        .poll(() => byTestId(page, 'scan-result').innerText())
        .toContain(code.replace(/\s/g, '').toUpperCase());
    };
    // A scanner types lower case or with spaces now and then.
    await scan(` ${state.codeA!.toLowerCase()} `, 'scanned');
    await shot(page, 'fulfil-04-hub-scanned');
    await scan(state.codeA!, 'already');
    await scan('CB00000000ZZ', 'unknown');
    await shot(page, 'fulfil-05-hub-unknown');
    await scan(state.codeElsewhere!, 'wrong_hub');
    await shot(page, 'fulfil-05b-hub-wrong-hub');
    await scan(state.codeB!, 'scanned');
    await waitForAttr(byTestId(page, 'hub-count-at-hub'), 'data-count', '2');
    await waitForAttr(byTestId(page, 'hub-count-expected'), 'data-count', '0');
    const order = await api<{ order: { status: string } }>(
      'GET',
      `/orders/${state.orderA}`,
      state.buyerToken!,
    );
    expect(order.order.status).toBe('handed_to_hub');

    await byTestId(page, 'hub-make-pickup').click();
    const pickup = byTestId(page, 'hub-pickup').first();
    await waitForAttr(pickup, 'data-status', 'open');
    // One consolidated pickup: both sellers' parcels.
    expect(await pickup.getAttribute('data-parcels')).toBe('2');
    const manifest = await download(
      page,
      (await pickup.getByTestId('hub-manifest-csv').getAttribute('href'))!,
    );
    expect(manifest.type).toContain('text/csv');
    expect(manifest.body.toString('utf8')).toContain(state.codeA!);
    expect(manifest.body.toString('utf8')).toContain(state.codeB!);
    const manifestPdf = await download(
      page,
      (await pickup.getByTestId('hub-manifest-pdf').getAttribute('href'))!,
    );
    expect(manifestPdf.type).toContain('application/pdf');
    await shot(page, 'fulfil-06-hub-pickup');

    await pickup.getByTestId('hub-handover').click();
    await pickup.getByTestId('hub-handover-confirm').click();
    await waitForAttr(byTestId(page, 'hub-pickup').first(), 'data-status', 'handed_over');
    expect(await byTestId(page, 'hub-pickup').first().getAttribute('data-parcels')).toBe('2');
    await shot(page, 'fulfil-07-hub-handed-over');
    await inLanguage(page, 'en', 'fulfil-07b-hub-en', 'hub-pickup');
    await inLanguage(page, 'it', 'fulfil-07c-hub-it', 'hub-pickup');
  });

  it("the buyer's order page follows the parcel to delivered, and the bell tells each step", async () => {
    const { page } = buyer;
    await signIn(buyer, `fulfil-buyer-${RUN}@example.cn`);
    await page.goto(`${base}/orders/${state.orderA}`);
    await byTestId(page, 'order-timeline').waitFor();
    expect(await byTestId(page, 'timeline-parcel-code').innerText()).toBe(state.codeA);
    // The sandbox carrier takes a step a second; the page looks again while the parcel moves.
    await waitForAttr(
      byTestId(page, 'timeline-step').and(page.locator('[data-step="delivered"]')),
      'data-state',
      'done',
      60_000,
    );
    await waitForAttr(byTestId(page, 'order-status'), 'data-status', 'delivered');
    const states = await byTestId(page, 'timeline-step').evaluateAll((els) =>
      els.map((el) => `${el.getAttribute('data-step')}:${el.getAttribute('data-state')}`),
    );
    expect(states).toEqual([
      'placed:done',
      'confirmed:done',
      'packed:done',
      'handed_to_hub:done',
      'picked_up:done',
      'in_transit:done',
      'out_for_delivery:done',
      'delivered:done',
    ]);
    expect(await byTestId(page, 'timeline-tracking-number').innerText()).not.toBe('');
    await shot(page, 'fulfil-08-buyer-delivered');
    await inLanguage(page, 'it', 'fulfil-08b-buyer-delivered-it', 'timeline-step');
    await inLanguage(page, 'en', 'fulfil-08c-buyer-delivered-en', 'timeline-step');

    const { notifications } = await api<{
      notifications: Array<{ type: string; data: { step?: string } }>;
    }>('GET', '/me/notifications?limit=20', state.buyerToken!);
    const steps = notifications.filter((n) => n.type === 'order.tracking').map((n) => n.data.step);
    expect(new Set(steps)).toEqual(
      new Set(['picked_up', 'in_transit', 'out_for_delivery', 'delivered']),
    );
    await page.reload();
    await byTestId(page, 'notification-bell').click();
    const items = byTestId(page, 'notification-item').and(
      page.locator('[data-type="order.tracking"]'),
    );
    await expect.poll(() => items.count()).toBeGreaterThanOrEqual(8);
    expect(await items.first().innerText()).toContain('已送达');
    await shot(page, 'fulfil-09-buyer-bell');
    await items.first().locator('a').click();
    await page.waitForURL((url) => url.pathname.startsWith('/orders/'));

    for (const p of people) expect(p.pageErrors, p.name).toEqual([]);
  });
});
