/**
 * What the media benches do the same way around their own measuring: read their numeric
 * options, check how busy the machine is, build the bench pages, start the server and a
 * Chromium, make a seller, and clean all of it up; then the fields every result starts with.
 */
import type { ServerProcess } from '../../packages/server/src/test/process-harness.ts';
import { launchBrowser, type Browser } from './browsers.ts';
import { buildPages } from './pages-build.ts';
import { createSeller, startBenchServer, type Seller } from './platform.ts';
import { loadAverage, log as logAs, machine, machineBusyPercent } from './report.ts';

/** `log` under the bench's name, `fail` (log and exit 1) and `num` for options ≥ 0. */
export function benchArgs(bench: string) {
  const log = (message: string) => logAs(`bench/${bench}`, message);
  function fail(message: string): never {
    log(message);
    process.exit(1);
  }
  function num(value: string, name: string): number {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) fail(`--${name} must be a number ≥ 0, got ${value}`);
    return n;
  }
  return { log, fail, num };
}

export interface BenchSetup {
  server: ServerProcess;
  /** The Chromium the viewers run in. */
  browser: Browser;
  seller: Seller;
}

/**
 * Runs `measure` against a fresh bench server (on `port`, with `serverEnv`) and a Chromium
 * named `browserName`, with a seller ready. On failure the server's last output and the
 * browser's errors are printed. Returns what `measure` returned and the header of the result:
 * the bench, when, the command, the machine and its load before and after.
 */
export async function runMediaBench<T>(
  opts: {
    bench: string;
    port: number;
    serverEnv: Record<string, string>;
    /** Also offer ICE candidates on this address (the publisher namespace's way in). */
    extraHostAddress?: string;
    browserName: string;
  },
  measure: (setup: BenchSetup) => Promise<T>,
) {
  const { log } = benchArgs(opts.bench);
  const busyBefore = await machineBusyPercent();
  if (busyBefore > 10)
    log(`warning: the machine is ${busyBefore} % busy before the run; the figures will suffer`);
  const loadBefore = loadAverage();
  const pages = await buildPages();
  let measured: T;
  try {
    const server = await startBenchServer({
      port: opts.port,
      pagesDir: pages.dir,
      extraHostAddress: opts.extraHostAddress,
      env: opts.serverEnv,
    });
    try {
      const browser = await launchBrowser({ name: opts.browserName });
      try {
        measured = await measure({ server, browser, seller: await createSeller(server) });
      } catch (err) {
        console.error(server.output().slice(-8000));
        console.error(browser.errors.join('\n'));
        throw err;
      } finally {
        await browser.close();
      }
    } finally {
      await server.stop();
    }
  } finally {
    pages.remove();
  }
  const header = {
    bench: opts.bench,
    date: new Date().toISOString(),
    command: `npx tsx bench/${opts.bench}/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machine(),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAverage(),
    machineBusyBeforePercent: busyBefore,
  };
  return { measured, header };
}

/** The last line every media bench prints: the load around the run. */
export function loadLine(header: Awaited<ReturnType<typeof runMediaBench>>['header']): string {
  return (
    `load average before ${header.loadAverageBefore.join(' ')}, after ${header.loadAverageAfter.join(' ')}; ` +
    `machine busy before ${header.machineBusyBeforePercent} %; niceness ${header.machine.niceness}`
  );
}
