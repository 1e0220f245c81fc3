/**
 * Chat fan-out benchmark: one live room, N WebSocket viewers, a steady stream of chat lines
 * and a storm of likes. Runs each delivery mode against a fresh server process (batched, the
 * real one, and immediate, the naive baseline) and reports deliveries per second, delay from
 * send to receipt, and the server's CPU and memory.
 *
 *   npx tsx bench/chat/run.ts --viewers 10000 --seconds 30
 *
 * A benchmark, never a test: the figures depend on the machine. See docs/benchmarks.md.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  delay,
  REPO_ROOT,
  startServerProcess,
  type ServerProcess,
} from '../../packages/server/src/test/process-harness.ts';
import WebSocket from 'ws';
import type { FromLoad, LoadPlan, LoadReport, ToLoad } from './protocol.ts';

const { values: args } = parseArgs({
  options: {
    viewers: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '30' },
    lines: { type: 'string', default: '200', short: 'l' },
    chatters: { type: 'string', default: '50' },
    likes: { type: 'string', default: '2000' },
    likers: { type: 'string', default: '200' },
    sampled: { type: 'string', default: '200' },
    clients: { type: 'string', default: '2' },
    modes: { type: 'string', default: 'batched,immediate' },
    drain: { type: 'string', default: '15' },
    'tick-ms': { type: 'string', default: '100' },
    'ws-viewers': { type: 'boolean', default: false },
    /** The server on CPU 0, the load processes on the others (taskset). */
    pin: { type: 'boolean', default: false },
    out: { type: 'string' },
    /** e.g. --server-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server. */
    'server-node-args': { type: 'string' },
    /** The same for the load processes. */
    'load-node-args': { type: 'string' },
  },
});
const opt = {
  viewers: int(args.viewers, 'viewers'),
  seconds: int(args.seconds, 'seconds'),
  linesPerSecond: int(args.lines, 'lines'),
  chatters: int(args.chatters, 'chatters'),
  likesPerSecond: int(args.likes, 'likes'),
  likers: int(args.likers, 'likers'),
  sampled: int(args.sampled, 'sampled'),
  clients: int(args.clients, 'clients'),
  modes: args.modes.split(',').map((m) => m.trim()) as Array<'batched' | 'immediate'>,
  drainSeconds: int(args.drain, 'drain'),
  tickMs: int(args['tick-ms'], 'tick-ms'),
  /** Every viewer a full `ws` client (heavier on the load processes than on the server). */
  wsViewers: args['ws-viewers'],
  pin: args.pin,
};
for (const mode of opt.modes) {
  if (mode !== 'batched' && mode !== 'immediate') fail(`--modes: unknown mode ${mode}`);
}

const CLK_TCK = 100;
/** Share of the viewers connected before the first memory reading. */
const FIRST_STEP = 0.1;
const CLIENT_SCRIPT = path.join(REPO_ROOT, 'bench/chat/client.ts');

function int(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a whole number, got ${value}`);
  return n;
}

function fail(message: string): never {
  console.error(`bench/chat: ${message}`);
  process.exit(1);
}

const log = (message: string) =>
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

/** CPU time (user + system, seconds) and resident memory (bytes) of a process, from /proc. */
function procUsage(pid: number): { cpu: number; rss: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rssKb = Number(
    /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0,
  );
  return { cpu, rss: rssKb * 1024 };
}

/** CPU seconds so far of every process on the machine, with its command line. */
function allProcesses(): Map<number, { cpu: number; command: string }> {
  const all = new Map<number, { cpu: number; command: string }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const pid = Number(name);
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .replace(/\0/g, ' ')
        .trim()
        .slice(0, 80);
      all.set(pid, { cpu: procUsage(pid).cpu, command });
    } catch {
      // Gone meanwhile.
    }
  }
  return all;
}

function busiestOthers(
  before: Map<number, { cpu: number; command: string }>,
  after: Map<number, { cpu: number; command: string }>,
  ours: number[],
  seconds: number,
): Array<{ command: string; cpuPercentOfOneCore: number }> {
  return [...after]
    .filter(([pid]) => !ours.includes(pid))
    .map(([pid, p]) => ({
      command: p.command,
      cpuPercentOfOneCore: round(((p.cpu - (before.get(pid)?.cpu ?? 0)) / seconds) * 100),
    }))
    .filter((p) => p.cpuPercentOfOneCore >= 5)
    .sort((a, b) => b.cpuPercentOfOneCore - a.cpuPercentOfOneCore)
    .slice(0, 5);
}

/** Busy and total jiffies of the whole machine. */
function machineCpu(): { busy: number; total: number; irq: number } {
  const [, ...parts] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = parts.map(Number);
  const idle = n[3]! + (n[4] ?? 0);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  // irq + softirq: mostly the kernel moving loopback TCP, charged to no process.
  return { busy: total - idle, total, irq: n[5]! + n[6]! };
}

function hardOpenFilesLimit(): number {
  const out = execFileSync('/bin/bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  return out === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(out);
}

/**
 * Memory of the server after a full garbage collection, through its inspector (the server
 * runs with --inspect on a random local port): RSS alone swings by hundreds of MB as the
 * heap settles after start, which would drown what 10,000 viewers cost.
 */
async function settledMemory(server: ServerProcess): Promise<{ rss: number; heapUsed: number }> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(server.output())?.[1];
  if (!url) throw new Error(`no inspector URL in the server output:\n${server.output()}`);
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let id = 0;
  const call = (method: string) =>
    new Promise<Record<string, number>>((resolve) => {
      const mine = ++id;
      const onMessage = (data: Buffer) => {
        const reply = JSON.parse(data.toString()) as {
          id?: number;
          result: Record<string, number>;
        };
        if (reply.id !== mine) return;
        socket.off('message', onMessage);
        resolve(reply.result);
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ id: mine, method }));
    });
  await call('HeapProfiler.collectGarbage');
  await call('HeapProfiler.collectGarbage');
  const heap = await call('Runtime.getHeapUsage');
  socket.close();
  return { rss: procUsage(server.pid).rss, heapUsed: heap.usedSize! };
}

async function call(
  server: ServerProcess,
  method: string,
  url: string,
  body?: unknown,
  token?: string,
) {
  const res = await fetch(`${server.url}/api/v1${url}`, {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A seller with a live show on air, and signed-in chatters. */
async function setUpRoom(server: ServerProcess) {
  const password = 'correct horse battery';
  const register = async (role: string, name: string) =>
    (
      await call(server, 'POST', '/auth/register', {
        email: `${name}@bench.test`,
        password,
        displayName: name,
        role,
      })
    ).token as string;
  const host = await register('seller', 'host');
  await call(server, 'PUT', '/shop', { name: 'Bench Farm', regionCode: '370783' }, host);
  const product = (
    await call(
      server,
      'POST',
      '/products',
      { title: 'Tomatoes', unit: 'kg', price: 1280, stock: 100_000 },
      host,
    )
  ).product;
  const live = (
    await call(server, 'POST', '/lives', { title: 'Bench show', productIds: [product.id] }, host)
  ).live;
  await call(server, 'POST', `/lives/${live.id}/start`, undefined, host);
  await call(server, 'POST', `/lives/${live.id}/pin`, { productId: product.id }, host);
  const chatterTokens: string[] = [];
  for (let i = 0; i < opt.chatters; i += 5) {
    const batch = Array.from({ length: Math.min(5, opt.chatters - i) }, (_, j) =>
      register('buyer', `chatter${i + j}`),
    );
    chatterTokens.push(...(await Promise.all(batch)));
  }
  return { liveId: live.id as string, chatterTokens };
}

interface LoadProcess {
  child: ChildProcess;
  plan: LoadPlan;
  next(type: FromLoad['type']): Promise<FromLoad>;
  send(message: ToLoad): void;
}

function startLoad(plan: LoadPlan, openFiles: number): LoadProcess {
  const child = spawn(
    '/bin/bash',
    [
      '-c',
      'ulimit -n "$1" && shift && exec "$@"',
      'bash',
      String(openFiles),
      process.execPath,
      ...(args['load-node-args']?.split(' ').filter(Boolean) ?? []),
      '--import',
      'tsx',
      CLIENT_SCRIPT,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const waiting = new Map<string, Array<(m: FromLoad) => void>>();
  child.on('message', (m: FromLoad) => {
    if (m.type === 'fatal') fail(`load process: ${m.message}`);
    const queue = waiting.get(m.type);
    queue?.shift()?.(m);
  });
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) log(`load process exited with ${code}`);
  });
  return {
    child,
    plan,
    send: (m) => child.send(m),
    next: (type) =>
      new Promise((resolve) => {
        const queue = waiting.get(type) ?? [];
        queue.push(resolve);
        waiting.set(type, queue);
      }),
  };
}

/** Splits `total` into `parts` whole numbers that differ by at most one. */
const split = (total: number, parts: number) =>
  Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));

function percentile(histogram: Map<number, number>, count: number, p: number): number | null {
  if (count === 0) return null;
  const rank = Math.ceil((p / 100) * count);
  let seen = 0;
  for (const ms of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(ms)!;
    if (seen >= rank) return ms;
  }
  return null;
}

const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

async function runMode(mode: 'batched' | 'immediate') {
  log(`${mode}: starting a fresh server`);
  const sockets = opt.viewers + opt.chatters;
  // WS_CONNECTIONS_PER_IP (50) × this holds every socket from one address; chat lines per
  // user (5 per 10 s) and messages per socket scale with it. Limits stay on.
  const multiplier = Math.max(20, Math.ceil((sockets + 100) / 50));
  const server = await startServerProcess({
    env: {
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      ROOM_DELIVERY: mode,
      ROOM_TICK_MS: String(opt.tickMs),
      RATE_LIMIT_MULTIPLIER: String(multiplier),
    },
    openFiles: sockets + 1024,
    runUnder: opt.pin ? ['taskset', '-c', '0'] : undefined,
    nodeArgs: [
      '--inspect=127.0.0.1:0',
      ...(args['server-node-args']?.split(' ').filter(Boolean) ?? []),
    ],
    readyTimeoutMs: 120_000,
  });
  const loads: LoadProcess[] = [];
  try {
    const { liveId, chatterTokens } = await setUpRoom(server);
    await delay(1_000);
    const roomUrl = `${server.url.replace('http', 'ws')}/api/v1/lives/${liveId}/ws`;

    const viewerShares = split(opt.viewers, opt.clients);
    const sampledShares = split(opt.sampled, opt.clients);
    const likerShares = split(opt.likers, opt.clients);
    const likeShares = split(opt.likesPerSecond, opt.clients);
    for (let i = 0; i < opt.clients; i++) {
      const plan: LoadPlan = {
        roomUrl,
        viewers: viewerShares[i]!,
        sampled: sampledShares[i]!,
        rawViewers: !opt.wsViewers,
        likers: likerShares[i]!,
        likesPerSecond: likeShares[i]!,
        chatterTokens: [],
        linesPerSecond: 0,
        connectConcurrency: 64,
      };
      loads.push(startLoad(plan, viewerShares[i]! + 1024));
    }
    // The chatters apart: their sending is not held up by viewers' reading.
    const chatterPlan: LoadPlan = {
      roomUrl,
      viewers: 0,
      sampled: 0,
      rawViewers: false,
      likers: 0,
      likesPerSecond: 0,
      chatterTokens,
      linesPerSecond: opt.linesPerSecond,
      connectConcurrency: 8,
    };
    const chatterLoad = startLoad(chatterPlan, opt.chatters + 1024);
    loads.push(chatterLoad);

    // In two steps, so that memory per viewer is measured between two rooms full of viewers,
    // not against a server that has just started (whose heap is still settling).
    log(
      `${mode}: connecting ${opt.viewers} viewers and ${opt.chatters} chatters from ${opt.clients}+1 load processes`,
    );
    const connect = async (share: number) => {
      const answers = await Promise.all(
        loads.map((l) => {
          const answer = l.next('connected');
          l.send({ type: 'connect', plan: l.plan, share });
          return answer as Promise<Extract<FromLoad, { type: 'connected' }>>;
        }),
      );
      await delay(3_000);
      return { answers, memory: await settledMemory(server) };
    };
    const began = Date.now();
    const first = await connect(FIRST_STEP);
    const second = await connect(1);
    const connected = second.answers;
    const open = sum(connected.map((c) => c.open));
    const failed = sum(connected.map((c) => c.failed));
    const viewersOpen = sum(connected.slice(0, opt.clients).map((c) => c.open));
    const firstOpen = sum(first.answers.map((c) => c.open));
    const sampledOpen = Math.min(opt.sampled, viewersOpen);
    log(
      `${mode}: ${open} sockets open, ${failed} failed, in ${round((Date.now() - began) / 1000 - 10)} s`,
    );
    if (failed > 0)
      log(`${mode}: first failure: ${connected.find((c) => c.firstError)?.firstError}`);
    const added = Math.max(1, open - firstOpen);

    const startAt = Date.now() + 2_000;
    for (const l of loads) l.send({ type: 'start', startAt, seconds: opt.seconds });
    await delay(startAt - Date.now());
    const cpu0 = procUsage(server.pid).cpu;
    const machine0 = machineCpu();
    const everyone0 = allProcesses();
    const loadCpu0 = loads.map((l) => procUsage(l.child.pid!).cpu);
    let peakRss = 0;
    log(
      `${mode}: ${opt.seconds} s of ${opt.linesPerSecond} lines/s and ${opt.likesPerSecond} likes/s`,
    );
    for (let s = 0; s < opt.seconds; s++) {
      await delay(startAt + (s + 1) * 1000 - Date.now());
      peakRss = Math.max(peakRss, procUsage(server.pid).rss);
    }
    const cpu1 = procUsage(server.pid).cpu;
    const machine1 = machineCpu();
    const everyone1 = allProcesses();
    const loadCpu1 = loads.map((l) => procUsage(l.child.pid!).cpu);
    await delay(200); // the chatters' last line of the window

    // Let what is still on its way arrive (or not), then collect.
    const collect = async () =>
      Promise.all(
        loads.map((l) => {
          const answer = l.next('report');
          l.send({ type: 'report' });
          return answer.then((m) => (m as Extract<FromLoad, { type: 'report' }>).report);
        }),
      );
    let reports: LoadReport[] = await collect();
    const viewerReports = () => reports.slice(0, opt.clients);
    const delivered = () => sum(viewerReports().map((r) => sum(r.chatsPerSecond)));
    const linesSent = () => reports[opt.clients]!.linesSent;
    const expected = linesSent() * viewersOpen;
    const drainUntil = Date.now() + opt.drainSeconds * 1000;
    let last = -1;
    while (Date.now() < drainUntil && delivered() < expected && delivered() !== last) {
      last = delivered();
      await delay(1_000);
      reports = await collect();
    }

    const inWindow = sum(viewerReports().map((r) => sum(r.chatsPerSecond.slice(0, opt.seconds))));
    const framesInWindow = sum(
      viewerReports().map((r) => sum(r.framesPerSecond.slice(0, opt.seconds))),
    );
    const bytesInWindow = sum(
      viewerReports().map((r) => sum(r.bytesPerSecond.slice(0, opt.seconds))),
    );
    const histogram = new Map<number, number>();
    for (const r of viewerReports())
      for (const [ms, n] of r.delayHistogram) histogram.set(ms, (histogram.get(ms) ?? 0) + n);
    const samples = sum([...histogram.values()]);
    const serverCpu = cpu1 - cpu0;
    const result = {
      mode,
      viewers: viewersOpen,
      socketsOpen: open,
      socketsFailed: failed,
      rateLimitMultiplier: multiplier,
      linesSent: linesSent(),
      likesSent: sum(reports.map((r) => r.likesSent)),
      deliveriesPerSecond: Math.round(inWindow / opt.seconds),
      deliveriesExpectedPerSecond: Math.round(expected / opt.seconds),
      deliveredAfterDrain: delivered(),
      deliveredShare: expected === 0 ? 0 : round(delivered() / expected, 4),
      framesPerSecond: Math.round(framesInWindow / opt.seconds),
      megabytesPerSecond: round(bytesInWindow / opt.seconds / 1e6),
      delayMs: {
        samples,
        samplesExpected: linesSent() * sampledOpen,
        p50: percentile(histogram, samples, 50),
        p95: percentile(histogram, samples, 95),
        p99: percentile(histogram, samples, 99),
        max: samples === 0 ? null : Math.max(...histogram.keys()),
      },
      server: {
        cpuPercentOfOneCore: round((serverCpu / opt.seconds) * 100),
        cpuMsPer1000Deliveries:
          inWindow === 0 ? null : round((serverCpu * 1000) / (inWindow / 1000), 2),
        /** Everything the server did, divided by the frames viewers got (the work is mostly per frame). */
        cpuUsPerFrame: framesInWindow === 0 ? null : round((serverCpu * 1e6) / framesInWindow, 1),
        rssWithTenthMb: round(first.memory.rss / 1e6),
        rssWithViewersMb: round(second.memory.rss / 1e6),
        rssPeakMb: round(Math.max(peakRss, second.memory.rss) / 1e6),
        /** Growth from a tenth of the viewers to all of them (after a full GC), per viewer added. */
        rssPerViewerKb: round((second.memory.rss - first.memory.rss) / 1024 / added, 1),
        heapPerViewerKb: round((second.memory.heapUsed - first.memory.heapUsed) / 1024 / added, 1),
      },
      loadProcessesCpuPercent: loads.map((_, i) =>
        round(((loadCpu1[i]! - loadCpu0[i]!) / opt.seconds) * 100),
      ),
      machineCpuBusyPercent: round(
        ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * 100,
      ),
      /** CPU (% of one core) used by neither the server nor the load processes: the kernel's own work, or other programs. */
      otherCpuPercent: round(
        (((machine1.busy - machine0.busy) / CLK_TCK -
          serverCpu -
          sum(loadCpu1.map((c, i) => c - loadCpu0[i]!))) /
          opt.seconds) *
          100,
      ),
      /** Interrupt time (% of one core): loopback TCP, partly charged to the running processes too. */
      irqCpuPercent: round(((machine1.irq - machine0.irq) / CLK_TCK / opt.seconds) * 100),
      /** The busiest other programs during the run (another user's tests skew every figure). */
      otherPrograms: busiestOthers(
        everyone0,
        everyone1,
        [server.pid, ...loads.map((l) => l.child.pid!)],
        opt.seconds,
      ),
      closedByServer: sum(viewerReports().map((r) => r.closedByServer)),
    };
    log(`${mode}: done`);
    for (const other of result.otherPrograms) {
      log(
        `${mode}: meanwhile another program used ${other.cpuPercentOfOneCore} % of a core: ${other.command}`,
      );
    }
    return result;
  } catch (err) {
    console.error(server.output());
    throw err;
  } finally {
    for (const l of loads) {
      if (l.child.connected) l.send({ type: 'exit' });
    }
    await Promise.all(
      loads.map((l) =>
        l.child.exitCode === null ? new Promise((r) => l.child.once('exit', r)) : null,
      ),
    );
    await server.stop();
  }
}

function table(
  results: Array<Awaited<ReturnType<typeof runMode>> & { machineBusyBeforePercent: number }>,
) {
  const rows: Array<[string, (r: (typeof results)[number]) => unknown]> = [
    ['viewers (sockets open)', (r) => `${r.viewers} (${r.socketsOpen})`],
    ['chat lines sent', (r) => r.linesSent],
    ['like taps sent', (r) => r.likesSent],
    ['chat deliveries/s', (r) => `${r.deliveriesPerSecond} of ${r.deliveriesExpectedPerSecond}`],
    ['delivered by end of drain', (r) => `${round(r.deliveredShare * 100, 2)} %`],
    ['frames/s to viewers', (r) => r.framesPerSecond],
    ['MB/s to viewers', (r) => r.megabytesPerSecond],
    ['delay p50 / p95 / p99 ms', (r) => `${r.delayMs.p50} / ${r.delayMs.p95} / ${r.delayMs.p99}`],
    ['delay max ms', (r) => r.delayMs.max],
    ['delay samples', (r) => `${r.delayMs.samples} of ${r.delayMs.samplesExpected}`],
    ['server CPU (% of a core)', (r) => r.server.cpuPercentOfOneCore],
    ['server CPU ms / 1000 deliveries', (r) => r.server.cpuMsPer1000Deliveries],
    ['server CPU µs / frame', (r) => r.server.cpuUsPerFrame],
    [
      'server RSS 10% / all viewers / peak MB',
      (r) => `${r.server.rssWithTenthMb} / ${r.server.rssWithViewersMb} / ${r.server.rssPeakMb}`,
    ],
    [
      'server RSS / JS heap per viewer KB',
      (r) => `${r.server.rssPerViewerKb} / ${r.server.heapPerViewerKb}`,
    ],
    ['load processes CPU %', (r) => r.loadProcessesCpuPercent.join(' / ')],
    ['machine CPU busy % (all cores)', (r) => r.machineCpuBusyPercent],
    ['other CPU; interrupts (% of a core)', (r) => `${r.otherCpuPercent}; ${r.irqCpuPercent}`],
    ['machine busy before the run %', (r) => r.machineBusyBeforePercent],
    ['viewers cut off', (r) => r.closedByServer],
  ];
  const cells = rows.map(([name, get]) => [name, ...results.map((r) => String(get(r)))]);
  const header = ['', ...results.map((r) => r.mode)];
  const widths = header.map((_, i) => Math.max(...[header, ...cells].map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.map(line),
  ].join('\n');
}

async function main() {
  const hard = hardOpenFilesLimit();
  const needed = opt.viewers + opt.chatters + 1024;
  if (hard < needed) {
    fail(
      `the server needs ${needed} open files but the hard limit (ulimit -Hn) is ${hard}. ` +
        `Raise it (e.g. as root: ulimit -Hn 65536, or LimitNOFILE in systemd) or use fewer --viewers.`,
    );
  }
  if (opt.pin && os.cpus().length < 2) fail('--pin needs at least 2 cores');
  const results = [];
  for (const mode of opt.modes) {
    // Anything else running skews every figure: say so.
    const before = machineCpu();
    await delay(2_000);
    const after = machineCpu();
    const busy = ((after.busy - before.busy) / (after.total - before.total)) * 100;
    if (busy > 10)
      log(`warning: the machine is ${round(busy)} % busy before the run; the figures will suffer`);
    results.push({ ...(await runMode(mode)), machineBusyBeforePercent: round(busy) });
  }
  const batched = results.find((r) => r.mode === 'batched');
  const immediate = results.find((r) => r.mode === 'immediate');
  const ratio =
    batched && immediate
      ? {
          deliveriesPerSecond: round(
            batched.deliveriesPerSecond / Math.max(1, immediate.deliveriesPerSecond),
            2,
          ),
          p99Delay:
            batched.delayMs.p99 && immediate.delayMs.p99
              ? round(immediate.delayMs.p99 / batched.delayMs.p99, 1)
              : null,
          cpuPerDelivery:
            batched.server.cpuMsPer1000Deliveries && immediate.server.cpuMsPer1000Deliveries
              ? round(
                  immediate.server.cpuMsPer1000Deliveries / batched.server.cpuMsPer1000Deliveries,
                  1,
                )
              : null,
        }
      : null;
  const cpus = os.cpus();
  const output = {
    bench: 'chat',
    date: new Date().toISOString(),
    command: `npx tsx bench/chat/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpu: cpus[0]?.model,
      cores: cpus.length,
      memoryGb: round(os.totalmem() / 2 ** 30),
      node: process.version,
      kernel: os.release(),
    },
    options: opt,
    results,
    /** batched ÷ immediate for throughput; immediate ÷ batched for delay and CPU per delivery. */
    ratio,
  };
  const json = JSON.stringify(output, null, 2);
  console.log(json);
  console.error(`\n${table(results)}`);
  if (ratio && batched && immediate) {
    const share = (r: typeof batched) => `${round(r.deliveredShare * 100, 1)} %`;
    console.error(
      `\nbatched vs immediate: ${ratio.deliveriesPerSecond}× the deliveries/s, ` +
        `${ratio.cpuPerDelivery ?? '?'}× less server CPU per delivery; p99 delay ` +
        `${batched.delayMs.p99} ms vs ${immediate.delayMs.p99} ms, of the lines that arrived ` +
        `(${share(batched)} vs ${share(immediate)} of them by the end of the drain)`,
    );
  }
  const file =
    args.out ??
    path.join(REPO_ROOT, 'bench/results', `chat-${output.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${json}\n`);
  console.error(`\nwritten to ${path.relative(process.cwd(), file)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
