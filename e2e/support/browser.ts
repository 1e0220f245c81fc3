import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const SCREENSHOTS = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '../screenshots',
);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  // Three people share two cores: a page in a window that is not in front must keep its
  // timers and sockets running like a phone held in someone's hand.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export interface Person {
  /** Who this is, for failure messages and screenshots. */
  name: string;
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions in the page (a React crash shows here). */
  pageErrors: string[];
  /** console.error lines, kept for failure messages (failed requests log here too). */
  consoleErrors: string[];
  close(): Promise<void>;
}

/**
 * One person: their own Chromium profile (cookies, storage), on a phone-sized screen.
 * A persistent context in a temporary directory, as Debian's Chromium wants.
 */
export async function openPerson(
  opts: { name?: string; width?: number; height?: number; locale?: string; baseURL?: string } = {},
): Promise<Person> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cunbo-e2e-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: opts.width ?? 390, height: opts.height ?? 844 },
    deviceScaleFactor: 1,
    isMobile: false,
    hasTouch: true,
    locale: opts.locale ?? 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...(opts.baseURL && { baseURL: opts.baseURL }),
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  page.setDefaultNavigationTimeout(30_000);
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(`${err.name}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  return {
    name: opts.name ?? 'person',
    context,
    page,
    pageErrors,
    consoleErrors,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({
    path: path.join(SCREENSHOTS, `${name}.png`),
    fullPage: false,
    animations: 'disabled',
  });
}
