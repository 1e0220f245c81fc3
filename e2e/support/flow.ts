import type { Locator, Page } from 'playwright-core';
import { beforeEach, expect } from 'vitest';
import { shot, type Person } from './browser.ts';

/** The steps every journey takes the same way: find things, call the API, sign in, go live. */

export const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

/** Waits until `locator` has `name="value"` (the app reports states as data attributes). */
export async function waitForAttr(
  locator: Locator,
  name: string,
  value: string,
  timeout?: number,
): Promise<void> {
  await locator
    .and(locator.page().locator(`[${name}="${value}"]`))
    .first()
    .waitFor(timeout ? { timeout } : {});
}

export type Api = <T>(
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<T>;

/**
 * The API of the server at `base()` (read at each call: the server starts in `beforeAll`),
 * as a bearer-token client would call it. Anything but a 2xx throws with the answer's text.
 */
export function apiOf(base: () => string): Api {
  return async <T>(
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> => {
    const res = await fetch(`${base()}/api/v1${path}`, {
      method,
      headers: {
        ...headers,
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
}

/** The backend CI asked for is the one under test (PGlite, or PostgreSQL + Redis). */
export async function expectBackendAsAsked(base: string): Promise<void> {
  const health = (await (await fetch(`${base}/api/v1/health`)).json()) as {
    database: string;
    redis: boolean;
  };
  expect(health.database).toBe(process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');
  expect(health.redis).toBe(Boolean(process.env.TEST_REDIS_URL));
}

/** Signs a person in through the sign-in page and waits until the app has left it. */
export async function signIn(page: Page, base: string, email: string, password: string) {
  await page.goto(`${base}/signin`);
  await byTestId(page, 'auth-email').fill(email);
  await byTestId(page, 'auth-password').fill(password);
  await byTestId(page, 'auth-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

export interface ProductInput {
  title: string;
  description?: string;
  unit: string;
  category?: string;
  price: number;
  stock: number;
  traditionalPrice?: number;
}

/**
 * A seller made through the API: an account, a shop in `regionCode` and its products, and
 * (with `show`) a show scheduled half an hour ahead with every product in it.
 */
export async function sellerWithShop(
  api: Api,
  opts: {
    email: string;
    password: string;
    displayName: string;
    shop: { name: string; description?: string; regionCode: string };
    products: ProductInput[];
    show?: string;
  },
): Promise<{ token: string; productIds: string[]; liveId?: string }> {
  const { token } = await api<{ token: string }>('POST', '/auth/register', null, {
    email: opts.email,
    password: opts.password,
    displayName: opts.displayName,
    role: 'seller',
  });
  await api('PUT', '/shop', token, opts.shop);
  const productIds: string[] = [];
  for (const input of opts.products) {
    const { product } = await api<{ product: { id: string } }>('POST', '/products', token, input);
    productIds.push(product.id);
  }
  if (opts.show === undefined) return { token, productIds };
  const { live } = await api<{ live: { id: string; status: string } }>('POST', '/lives', token, {
    title: opts.show,
    scheduledAt: new Date(Date.now() + 30 * 60_000).toISOString(),
    productIds,
  });
  if (live.status !== 'scheduled') throw new Error(`the new show is ${live.status}`);
  return { token, productIds, liveId: live.id };
}

/** Opens the show's studio page and waits for the camera preview. */
export async function openStudio(page: Page, base: string, liveId: string): Promise<void> {
  await page.goto(`${base}/studio/lives/${liveId}`);
  await waitForAttr(byTestId(page, 'broadcast-state'), 'data-state', 'preview');
}

/** From the studio page in preview: "Go live", then wait until the video and the show are live. */
export async function goLive(page: Page): Promise<void> {
  await byTestId(page, 'studio-go-live').click();
  await waitForAttr(byTestId(page, 'broadcast-state'), 'data-state', 'live');
  await waitForAttr(byTestId(page, 'live-state'), 'data-state', 'live');
}

/**
 * The `it`s of a journey are its steps, in order: each needs what the ones before it made.
 * When a step fails, every person's page is saved as `screenshots/fail-<tag><step>-<name>.png`
 * and their URL, page errors, console errors and the server's last output are printed. The
 * steps after it fail at once, naming the step that failed: they are not run (they would only
 * time out) and are not reported as skipped, because nothing about them was decided up front.
 */
export function stepsInOrder(
  /** Starts the names of the failure screenshots: `'flash-'`. */
  tag: string,
  people: readonly Person[],
  serverOutput: () => string | undefined,
): void {
  let failed: string | null = null;
  beforeEach((ctx) => {
    if (failed) throw new Error(`not run: the earlier step "${failed}" failed`);
    ctx.onTestFailed(async () => {
      failed = ctx.task.name;
      for (const p of people) {
        await shot(
          p.page,
          `fail-${tag}${ctx.task.name.replace(/\W+/g, '-').slice(0, 20)}-${p.name}`,
        ).catch(() => undefined);
        console.error(`[${p.name}] at ${p.page.url()}`);
        if (p.pageErrors.length)
          console.error(`[${p.name}] page errors:\n${p.pageErrors.join('\n')}`);
        if (p.consoleErrors.length)
          console.error(`[${p.name}] console errors:\n${p.consoleErrors.join('\n')}`);
      }
      console.error(`server output:\n${serverOutput()?.slice(-8000)}`);
    });
  });
}
