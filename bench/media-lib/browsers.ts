/**
 * Chromium for the media benches, through playwright-core as e2e/ drives it: a headless
 * Debian Chromium with a fake camera and microphone, optionally inside a network namespace
 * (a wrapper script runs it under `ip netns exec`; Playwright's pipe to it survives that).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

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
  '--autoplay-policy=no-user-gesture-required',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export interface Browser {
  context: BrowserContext;
  /** Pages with their console errors, for failure messages. */
  open(url: string, before?: (page: Page) => Promise<void>): Promise<Page>;
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(opts: {
  name: string;
  /** Run Chromium inside this network namespace. */
  netns?: string;
  /** Origins served over plain http that must count as secure (getUserMedia). */
  secureOrigins?: string[];
  /** A y4m or mjpeg file the fake camera plays (in a loop) instead of its own pattern. */
  cameraFile?: string;
}): Promise<Browser> {
  const dir = mkdtempSync(path.join(tmpdir(), `cunbo-bench-${opts.name}-`));
  let executablePath = CHROMIUM;
  if (opts.netns) {
    executablePath = path.join(dir, 'chromium-in-netns.sh');
    writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${opts.netns} ${CHROMIUM} "$@"\n`);
    chmodSync(executablePath, 0o755);
  }
  const profile = path.join(dir, 'profile');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      ...FLAGS,
      ...(opts.cameraFile ? [`--use-file-for-fake-video-capture=${opts.cameraFile}`] : []),
      ...(opts.secureOrigins?.length
        ? [`--unsafely-treat-insecure-origin-as-secure=${opts.secureOrigins.join(',')}`]
        : []),
    ],
    viewport: { width: 800, height: 600 },
  });
  const errors: string[] = [];
  return {
    context,
    errors,
    async open(url, before) {
      const page = await context.newPage();
      await before?.(page);
      page.on('pageerror', (err) => errors.push(`[${opts.name}] ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(`[${opts.name}] ${msg.text()}`);
      });
      await page.goto(url);
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
