/**
 * What every media bench prints: the machine and its load, percentiles, a table on stderr,
 * the JSON on stdout and in bench/results/ (not committed).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { delay, REPO_ROOT } from '../../packages/server/src/test/process-harness.ts';

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export const log = (bench: string, message: string) =>
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${bench}: ${message}`);

export interface Percentiles {
  samples: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  min: number | null;
  max: number | null;
}

/** Nearest-rank percentiles. */
export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted.length
      ? round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!)
      : null;
  return {
    samples: sorted.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    min: sorted.length ? round(sorted[0]!) : null,
    max: sorted.length ? round(sorted.at(-1)!) : null,
  };
}

function cpuJiffies(): { busy: number; total: number } {
  const [, ...parts] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = parts.map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - n[3]! - (n[4] ?? 0), total };
}

/** Share of all cores busy over `ms`: how much else the machine is doing. */
export async function machineBusyPercent(ms = 2_000): Promise<number> {
  const a = cpuJiffies();
  await delay(ms);
  const b = cpuJiffies();
  return round(((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 100);
}

/** CPU share used over an interval, for reporting while a phase runs. */
export class CpuMeter {
  private start = cpuJiffies();
  percent(): number {
    const now = cpuJiffies();
    return round(((now.busy - this.start.busy) / Math.max(1, now.total - this.start.total)) * 100);
  }
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model,
    cores: cpus.length,
    memoryGb: round(os.totalmem() / 2 ** 30),
    node: process.version,
    kernel: os.release(),
    /** The bench's own niceness (its server and browsers inherit it): < 0 when run under `nice -n -N`. */
    niceness: os.getPriority(),
  };
}

export const loadAverage = () => os.loadavg().map((l) => round(l, 2));

/** A markdown table: one row per name, one column per result. */
export function table(header: string[], rows: Array<[string, ...string[]]>): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

/** Prints the JSON to stdout and writes it to `out` or bench/results/<bench>-<date>.json. */
export function writeResult(bench: string, output: { date: string }, out?: string): void {
  const json = JSON.stringify(output, null, 2);
  console.log(json);
  const file =
    out ??
    path.join(REPO_ROOT, 'bench/results', `${bench}-${output.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${json}\n`);
  console.error(`\nwritten to ${path.relative(process.cwd(), file)}`);
}

/** `KEY=VALUE` options into an environment object. */
export function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new Error(`--server-env wants KEY=VALUE, got ${pair}`);
    env[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return env;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Origins on this machine that Chromium counts as different sites, so that the publisher
 * and each viewer get a renderer process of their own, as on separate phones.
 */
export const localOrigins = (port: number) => ({
  publisher: `http://127.0.0.1:${port}`,
  webrtcViewer: `http://localhost:${port}`,
  hlsViewer: `http://127.0.0.2:${port}`,
});
