import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** The journeys run against the production build: build the web app when it is missing or stale. */
export default function setup(): void {
  const index = path.join(root, 'packages/web/dist/index.html');
  const sources = Math.max(
    newestMtime(path.join(root, 'packages/web/src')),
    statSync(path.join(root, 'packages/web/index.html')).mtimeMs,
  );
  if (!existsSync(index) || statSync(index).mtimeMs < sources) {
    execFileSync('npm', ['run', 'build', '-w', '@cunbo/web'], { cwd: root, stdio: 'inherit' });
  }
  mkdirSync(path.join(root, 'e2e/screenshots'), { recursive: true });
}
