/**
 * Builds the bench pages (publisher, viewer) with esbuild into a directory the server serves
 * as its web app (`WEB_DIST_DIR`), so the pages and the API share one origin, as in the app.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from '../../packages/server/src/test/process-harness.ts';

const PAGES = ['publisher', 'viewer'] as const;
export type PageName = (typeof PAGES)[number];

const html = (name: PageName) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>bench ${name}</title></head>` +
  `<body style="margin:0;background:#222"><script src="/bench-${name}.js"></script></body></html>\n`;

/**
 * Returns the directory (index.html, which the server wants, <page>.html and their scripts)
 * and a way to remove it.
 */
export async function buildPages(): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cunbo-bench-pages-'));
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: Object.fromEntries(
      PAGES.map((p) => [`bench-${p}`, path.join(REPO_ROOT, `bench/media-lib/pages/${p}.ts`)]),
    ),
    outdir: dir,
    bundle: true,
    format: 'iife',
    target: 'chrome120',
    minify: false,
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>bench</title>\n');
  for (const p of PAGES) writeFileSync(path.join(dir, `${p}.html`), html(p));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
