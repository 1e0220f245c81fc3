/**
 * WebRTC viewers benchmark (issue #4): one live published at about 1 Mbit/s (H.264 + Opus,
 * over WHIP), then a ramp of headless werift WHEP viewers in load processes, and in the same
 * run a ramp of low-latency HLS players of the same stream. At each step: the server's CPU
 * (all its threads, from /proc, and each busy thread by name: `main`, `viewers-N` for the
 * viewer workers of MEDIA_WORKERS), CPU per viewer, viewers per core used, packets lost, the
 * load processes' CPU and each core's load (the load processes share the machine).
 *
 *   npx tsx bench/viewers/run.ts --steps 200,400,600,800 --hls-steps 250,1000 --workers 2
 *
 * A benchmark, never a test: the figures depend on the machine. See docs/benchmarks.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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
import type { FromLoad, HlsPlan, LoadCounters, ToLoad, WebRtcPlan } from './protocol.ts';
import { AUDIO_KBPS, clip, publish, VIDEO_KBPS, type Publisher } from './publisher.ts';

const { values: args } = parseArgs({
  options: {
    /** WebRTC viewers at each step of the ramp. */
    steps: { type: 'string', default: '100,250,500,750,1000' },
    /** HLS players at each step of their ramp (after the WebRTC viewers left); '' for none. */
    'hls-steps': { type: 'string', default: '250,1000' },
    /** Measuring window of each step, seconds, after `settle` seconds. */
    seconds: { type: 'string', default: '15' },
    settle: { type: 'string', default: '5' },
    /** Load processes for the WebRTC viewers (and as many for HLS). */
    clients: { type: 'string', default: '2' },
    'decrypt-share': { type: 'string', default: '0.1' },
    /** The viewers' SRTP profile: gcm (werift's choice) or aes-cm (what browsers get). */
    srtp: { type: 'string', default: 'gcm' },
    concurrency: { type: 'string', default: '4' },
    /** MEDIA_WORKERS of the server; unset: the server's default. */
    workers: { type: 'string' },
    /** The server's HTTP port; unset: a free one. */
    port: { type: 'string' },
    /** Share of packets lost (0 to 1) above which the ramp stops. */
    'loss-limit': { type: 'string', default: '0.001' },
    /** Keep ramping past a step with loss above the limit. */
    'keep-going': { type: 'boolean', default: false },
    out: { type: 'string' },
    /** e.g. --server-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server. */
    'server-node-args': { type: 'string' },
  },
});

function srtpOf(value: string): WebRtcPlan['srtp'] {
  if (value !== 'gcm' && value !== 'aes-cm') fail(`--srtp: gcm or aes-cm, not ${value}`);
  return value;
}

const list = (value: string, name: string) =>
  value
    .split(',')
    .filter(Boolean)
    .map((v) => int(v, name));
const opt = {
  steps: list(args.steps, 'steps'),
  hlsSteps: list(args['hls-steps'], 'hls-steps'),
  seconds: int(args.seconds, 'seconds'),
  settle: int(args.settle, 'settle'),
  clients: Math.max(1, int(args.clients, 'clients')),
  decryptShare: Number(args['decrypt-share']),
  srtp: srtpOf(args.srtp),
  concurrency: Math.max(1, int(args.concurrency, 'concurrency')),
  workers: args.workers === undefined ? undefined : int(args.workers, 'workers'),
  port: args.port === undefined ? undefined : int(args.port, 'port'),
  lossLimit: Number(args['loss-limit']),
  keepGoing: args['keep-going'],
};

const CLK_TCK = 100;
const WEBRTC_LOAD = path.join(REPO_ROOT, 'bench/viewers/webrtc-load.ts');
const HLS_LOAD = path.join(REPO_ROOT, 'bench/viewers/hls-load.ts');

function int(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a whole number, got ${value}`);
  return n;
}

function fail(message: string): never {
  console.error(`bench/viewers: ${message}`);
  process.exit(1);
}

const log = (message: string) =>
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** CPU seconds (user + system) from a /proc stat line. */
function statCpu(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** CPU seconds of a process, all its threads together. */
const procCpu = (pid: number) => statCpu(readFileSync(`/proc/${pid}/stat`, 'utf8'));

/** CPU seconds of each thread of a process, by thread id, with the thread's name. */
function threadCpu(pid: number): Map<number, { name: string; cpu: number }> {
  const out = new Map<number, { name: string; cpu: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      out.set(Number(tid), { name, cpu: statCpu(stat) });
    } catch {
      // Ended meanwhile.
    }
  }
  return out;
}

interface CpuTicks {
  busy: number;
  total: number;
}

const ticksOf = (line: string): CpuTicks => {
  const n = line.trim().split(/\s+/).slice(1).map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - n[3]! - (n[4] ?? 0), total };
};

function machineCpu(): CpuTicks {
  return ticksOf(readFileSync('/proc/stat', 'utf8').split('\n')[0]!);
}

/** Each core's ticks (`cpu0`, `cpu1`, … of /proc/stat): is every core at work? */
function coresCpu(): CpuTicks[] {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((l) => /^cpu\d+ /.test(l))
    .map(ticksOf);
}

const busyPercent = (a: CpuTicks, b: CpuTicks) =>
  round(((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 100);

/** UDP datagrams the kernel dropped because a socket's receive buffer was full. */
function udpReceiveBufferErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  return Number(values[names.indexOf('RcvbufErrors')]);
}

interface LoadProcess {
  child: ChildProcess;
  next(type: FromLoad['type']): Promise<FromLoad>;
  send(message: ToLoad): void;
}

function startLoad(script: string, plan: WebRtcPlan | HlsPlan): Promise<LoadProcess> {
  const child = spawn(
    '/bin/bash',
    [
      '-c',
      'ulimit -n "$(ulimit -Hn)" && exec "$@"',
      'bash',
      process.execPath,
      '--import',
      'tsx',
      script,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const waiting = new Map<string, Array<(m: FromLoad) => void>>();
  child.on('message', (m: FromLoad) => {
    if (m.type === 'fatal') fail(`load process: ${m.message}`);
    waiting.get(m.type)?.shift()?.(m);
  });
  const load: LoadProcess = {
    child,
    send: (m) => child.send(m),
    next: (type) =>
      new Promise((resolve) => {
        const queue = waiting.get(type) ?? [];
        queue.push(resolve);
        waiting.set(type, queue);
      }),
  };
  const ready = load.next('ready');
  load.send({ type: 'plan', plan });
  return ready.then(() => load);
}

async function stopLoads(loads: LoadProcess[]): Promise<void> {
  await Promise.all(
    loads.map((l) => {
      if (l.child.exitCode !== null) return null;
      const exited = new Promise((r) => l.child.once('exit', r));
      l.send({ type: 'exit' });
      return exited;
    }),
  );
}

const split = (total: number, parts: number) =>
  Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));

async function scaleLoads(loads: LoadProcess[], viewers: number) {
  const shares = split(viewers, loads.length);
  const answers = await Promise.all(
    loads.map((l, i) => {
      const answer = l.next('scaled');
      l.send({ type: 'scale', viewers: shares[i]! });
      return answer as Promise<Extract<FromLoad, { type: 'scaled' }>>;
    }),
  );
  return {
    viewers: sum(answers.map((a) => a.viewers)),
    failed: sum(answers.map((a) => a.failed)),
    seconds: Math.max(...answers.map((a) => a.ms)) / 1000,
  };
}

const reports = (loads: LoadProcess[]) =>
  Promise.all(
    loads.map((l) => {
      const answer = l.next('report');
      l.send({ type: 'report' });
      return answer.then((m) => (m as Extract<FromLoad, { type: 'report' }>).counters);
    }),
  );

function totalOf(counters: LoadCounters[]) {
  const keys = [
    'viewers',
    'failed',
    'received',
    'expected',
    'bytes',
    'errors',
    'verified',
    'dropped',
  ] as const;
  return Object.fromEntries(keys.map((k) => [k, sum(counters.map((c) => c[k]))])) as Record<
    (typeof keys)[number],
    number
  >;
}

interface Baseline {
  serverCores: number;
}

/** One step: the server with `viewers` viewers of one kind, measured over `opt.seconds`. */
async function measure(
  kind: 'publisher only' | 'webrtc' | 'hls',
  server: ServerProcess,
  loads: LoadProcess[],
  publisher: Publisher,
  baseline: Baseline | null,
) {
  await delay(opt.settle * 1000);
  const ffmpegPid = publisher.ffmpegPid();
  const t0 = Date.now();
  const cpu0 = procCpu(server.pid);
  const threads0 = threadCpu(server.pid);
  const machine0 = machineCpu();
  const cores0 = coresCpu();
  const udp0 = udpReceiveBufferErrors();
  const self0 = process.cpuUsage();
  const ffmpeg0 = procCpu(ffmpegPid);
  const load0 = await reports(loads);
  await delay(opt.seconds * 1000);
  const load1 = await reports(loads);
  const seconds = (Date.now() - t0) / 1000;
  const cpu1 = procCpu(server.pid);
  const threads1 = threadCpu(server.pid);
  const machine1 = machineCpu();
  const cores1 = coresCpu();
  const udp1 = udpReceiveBufferErrors();
  const self1 = process.cpuUsage(self0);
  const ffmpeg1 = procCpu(ffmpegPid);
  // Viewers of a stream that stopped lose nothing: such a step is void.
  const publisherState = publisher.state();

  const before = totalOf(load0);
  const after = totalOf(load1);
  const d = (k: keyof typeof after) => after[k] - before[k];
  const viewers = after.viewers;
  const serverCores = (cpu1 - cpu0) / seconds;
  // Threads that used at least 2 % of a core, busiest first (the main thread is the pid's).
  const threads = [...threads1]
    .map(([tid, t]) => ({
      thread: tid === server.pid ? 'main' : t.name,
      percent: round(((t.cpu - (threads0.get(tid)?.cpu ?? 0)) / seconds) * 100),
    }))
    .filter((t) => t.percent >= 2)
    .sort((a, b) => b.percent - a.percent);
  const lost = d('expected') - d('received');
  const perViewerCores =
    baseline && viewers > 0 ? (serverCores - baseline.serverCores) / viewers : null;
  // The same cost per packet delivered: it does not depend on the stream's rate, and a
  // step that lost packets is not flattered by them.
  const perPacketMicros =
    baseline && kind === 'webrtc' && d('received') > 0
      ? ((serverCores - baseline.serverCores) * seconds * 1e6) / d('received')
      : null;
  return {
    kind,
    viewers,
    seconds: round(seconds, 2),
    publisherState,
    server: {
      cpuPercentOfOneCore: round(serverCores * 100),
      threads,
      /** CPU per viewer above the publisher-only baseline, in % of one core. */
      cpuPercentPerViewer: perViewerCores === null ? null : round(perViewerCores * 100, 3),
      /** WebRTC: server CPU above the baseline per RTP packet delivered to a viewer, µs. */
      cpuMicrosPerPacket: perPacketMicros === null ? null : round(perPacketMicros, 2),
      /** Viewers per core the server used (its whole CPU, baseline included). */
      viewersPerCoreUsed: viewers > 0 ? Math.round(viewers / serverCores) : null,
      /** What one core would serve at this CPU per viewer, above the baseline. */
      viewersPerCoreByCost:
        perViewerCores && perViewerCores > 0 ? Math.round(1 / perViewerCores) : null,
    },
    delivered: {
      /** WebRTC: RTP packets/s; HLS: parts/s. */
      perSecond: Math.round(d('received') / seconds),
      perViewerPerSecond: viewers > 0 ? round(d('received') / seconds / viewers) : null,
      megabitsPerSecond: round((d('bytes') * 8) / seconds / 1e6),
      expected: d('expected'),
      lost,
      lostShare: d('expected') > 0 ? lost / d('expected') : 0,
      /** WebRTC: packets that failed SRTP authentication; HLS: failed or late requests. */
      errors: d('errors'),
      /** WebRTC: packets decrypted by the decrypting viewers; HLS: playlists loaded. */
      verified: d('verified'),
      droppedViewers: d('dropped'),
    },
    udpReceiveBufferErrors: udp1 - udp0,
    loadProcessesCpuPercent: load1.map((c, i) =>
      round(((c.cpuSeconds - load0[i]!.cpuSeconds) / seconds) * 100),
    ),
    publisherCpuPercent: round(((self1.user + self1.system) / 1e6 / seconds) * 100),
    ffmpegCpuPercent: round(((ffmpeg1 - ffmpeg0) / seconds) * 100),
    machineCpuBusyPercent: busyPercent(machine0, machine1),
    /** Busy share of each core of the machine (everything on it, not only the server). */
    coresBusyPercent: cores1.map((c, i) => busyPercent(cores0[i]!, c)),
  };
}

type Step = Awaited<ReturnType<typeof measure>>;

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

/** A seller, a shop and a live show on air; returns its id and stream key. */
async function setUpLive(server: ServerProcess) {
  const token = (
    await call(server, 'POST', '/auth/register', {
      email: 'host@bench.test',
      password: 'correct horse battery',
      displayName: 'host',
      role: 'seller',
    })
  ).token as string;
  await call(server, 'PUT', '/shop', { name: 'Bench Farm', regionCode: '370783' }, token);
  const live = (await call(server, 'POST', '/lives', { title: 'Bench show' }, token)).live;
  await call(server, 'POST', `/lives/${live.id}/start`, undefined, token);
  return { liveId: live.id as string, streamKey: live.streamKey as string };
}

async function waitForHls(playlistUrl: string): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const res = await fetch(playlistUrl).catch(() => null);
    if (res?.ok && (await res.text()).includes('#EXT-X-PART:')) return;
    await delay(250);
  }
  throw new Error('no HLS playlist after 30 s');
}

function table(steps: Step[]): string {
  const header = [
    'kind',
    'viewers',
    'server CPU %',
    'threads %',
    'CPU/viewer %',
    'µs/packet',
    'viewers/core used',
    'delivered/s',
    'Mbit/s',
    'lost (share)',
    'errors',
    'rcvbuf drops',
    'load CPU %',
    'machine % (per core)',
  ];
  const rows = steps.map((s) => [
    s.kind,
    String(s.viewers),
    String(s.server.cpuPercentOfOneCore),
    s.server.threads
      .slice(0, 4)
      .map((t) => `${t.thread} ${t.percent}`)
      .join(', '),
    String(s.server.cpuPercentPerViewer ?? '-'),
    String(s.server.cpuMicrosPerPacket ?? '-'),
    String(s.server.viewersPerCoreUsed ?? '-'),
    String(s.delivered.perSecond),
    String(s.delivered.megabitsPerSecond),
    `${s.delivered.lost} (${(s.delivered.lostShare * 100).toFixed(3)} %)`,
    String(s.delivered.errors),
    String(s.udpReceiveBufferErrors),
    s.loadProcessesCpuPercent.join(' + '),
    `${s.machineCpuBusyPercent} (${s.coresBusyPercent.join(', ')})`,
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

async function main() {
  clip();
  const loadAverage = os.loadavg().map((l) => round(l, 2));
  const before = machineCpu();
  await delay(2_000);
  const after = machineCpu();
  const busyBefore = round(((after.busy - before.busy) / (after.total - before.total)) * 100);
  if (busyBefore > 10)
    log(`warning: the machine is ${busyBefore} % busy before the run; the figures will suffer`);

  const maxViewers = Math.max(0, ...opt.steps, ...opt.hlsSteps);
  const server = await startServerProcess({
    port: opt.port,
    env: {
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MULTIPLIER: '100',
      WEBRTC_VIEWERS_PER_LIVE: String(maxViewers + 100),
      WEBRTC_VIEWERS_PER_NODE: String(maxViewers + 100),
      ...(opt.workers !== undefined && { MEDIA_WORKERS: String(opt.workers) }),
    },
    openFiles: 4 * maxViewers + 1024,
    nodeArgs: args['server-node-args']?.split(' ').filter(Boolean) ?? [],
    readyTimeoutMs: 120_000,
  });
  const steps: Step[] = [];
  let loads: LoadProcess[] = [];
  let publisher: Publisher | undefined;
  try {
    const { liveId, streamKey } = await setUpLive(server);
    const base = `${server.url}/api/v1/lives/${liveId}`;
    publisher = await publish(`${base}/whip`, streamKey);
    log(`publishing ${VIDEO_KBPS + AUDIO_KBPS} kbit/s (H.264 + Opus) to live ${liveId}`);
    await waitForHls(`${base}/hls/live.m3u8`);

    const baseline = await measure('publisher only', server, [], publisher, null);
    steps.push(baseline);
    log(`publisher only: server ${baseline.server.cpuPercentOfOneCore} % of a core`);
    const base0 = { serverCores: baseline.server.cpuPercentOfOneCore / 100 };

    if (opt.steps.length > 0) {
      const plan: WebRtcPlan = {
        kind: 'webrtc',
        whepUrl: `${base}/whep`,
        decryptShare: opt.decryptShare,
        connectConcurrency: opt.concurrency,
        srtp: opt.srtp,
      };
      loads = await Promise.all(
        Array.from({ length: opt.clients }, () => startLoad(WEBRTC_LOAD, plan)),
      );
      for (const n of opt.steps) {
        const scaled = await scaleLoads(loads, n);
        log(
          `webrtc: ${scaled.viewers} viewers (${scaled.failed} failed to connect) in ${round(scaled.seconds)} s`,
        );
        const step = await measure('webrtc', server, loads, publisher, base0);
        steps.push(step);
        log(
          `webrtc ${step.viewers}: server ${step.server.cpuPercentOfOneCore} % ` +
            `(${step.server.threads.map((t) => `${t.thread} ${t.percent}`).join(', ')}), ` +
            `${step.delivered.perSecond} packets/s, lost ${step.delivered.lost} ` +
            `(${(step.delivered.lostShare * 100).toFixed(3)} %), rcvbuf drops ${step.udpReceiveBufferErrors}, ` +
            `publisher ${publisher.state()}`,
        );
        if (step.publisherState !== 'connected') {
          log(`webrtc: the publisher's connection is ${step.publisherState}; the ramp stops here`);
          break;
        }
        if (step.delivered.lostShare > opt.lossLimit && !opt.keepGoing) {
          log(`webrtc: loss above ${opt.lossLimit * 100} %; the ramp stops here`);
          break;
        }
      }
      await stopLoads(loads);
      loads = [];
    }

    if (opt.hlsSteps.length > 0) {
      const plan: HlsPlan = {
        kind: 'hls',
        playlistUrl: `${base}/hls/live.m3u8`,
        connectConcurrency: opt.concurrency * 4,
      };
      const again = await measure('publisher only', server, [], publisher, null);
      steps.push(again);
      const hlsBase = { serverCores: again.server.cpuPercentOfOneCore / 100 };
      loads = await Promise.all(
        Array.from({ length: opt.clients }, () => startLoad(HLS_LOAD, plan)),
      );
      for (const n of opt.hlsSteps) {
        const scaled = await scaleLoads(loads, n);
        log(
          `hls: ${scaled.viewers} players (${scaled.failed} failed) in ${round(scaled.seconds)} s`,
        );
        const step = await measure('hls', server, loads, publisher, hlsBase);
        steps.push(step);
        log(
          `hls ${step.viewers}: server ${step.server.cpuPercentOfOneCore} %, ` +
            `${step.delivered.perSecond} parts/s, errors ${step.delivered.errors}`,
        );
      }
      await stopLoads(loads);
      loads = [];
    }
  } catch (err) {
    console.error(`server exit code: ${server.exitCode()}\n${server.output()}`);
    throw err;
  } finally {
    await stopLoads(loads);
    await publisher?.close();
    await server.stop();
  }

  const noLoss = steps.filter(
    (s) =>
      s.kind === 'webrtc' &&
      s.publisherState === 'connected' &&
      s.delivered.perSecond > 0 &&
      s.delivered.lostShare <= opt.lossLimit &&
      s.delivered.errors === 0,
  );
  const best = noLoss.at(-1);
  const cpus = os.cpus();
  const output = {
    bench: 'viewers',
    date: new Date().toISOString(),
    command: `npx tsx bench/viewers/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpu: cpus[0]?.model,
      cores: cpus.length,
      memoryGb: round(os.totalmem() / 2 ** 30),
      node: process.version,
      kernel: os.release(),
      loadAverageBefore: loadAverage,
      busyBeforePercent: busyBefore,
    },
    stream: {
      videoKbps: VIDEO_KBPS,
      audioKbps: AUDIO_KBPS,
      video: 'H.264 640x360 30 fps',
      audio: 'Opus',
    },
    options: opt,
    steps,
    summary: best
      ? {
          largestWebRtcStepWithoutLoss: best.viewers,
          serverCpuPercentThere: best.server.cpuPercentOfOneCore,
          viewersPerCoreUsedThere: best.server.viewersPerCoreUsed,
          viewersPerCoreByCostThere: best.server.viewersPerCoreByCost,
        }
      : null,
  };
  const json = JSON.stringify(output, null, 2);
  const warnings = server.output().trim();
  if (warnings) log(`the server said:\n${warnings.slice(-4000)}`);
  console.log(json);
  console.error(`\n${table(steps)}`);
  if (best)
    console.error(
      `\nlargest WebRTC step without loss (≤ ${opt.lossLimit * 100} %): ${best.viewers} viewers, ` +
        `server ${best.server.cpuPercentOfOneCore} % of a core: ${best.server.viewersPerCoreUsed} viewers per core used`,
    );
  const file =
    args.out ??
    path.join(REPO_ROOT, 'bench/results', `viewers-${output.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${json}\n`);
  console.error(`\nwritten to ${path.relative(process.cwd(), file)}`);
}

// Exits once the results are written: a closed werift peer may leave a timer behind.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
