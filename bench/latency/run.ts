/**
 * Glass-to-glass delay of live video, WebRTC (WHEP) and low-latency HLS, in one run against a
 * real server process. A publisher page draws the wall clock into a canvas as a code
 * (`bench/media-lib/clock-code.ts`) and goes on air with the studio's own publisher (WHIP);
 * viewer pages play it with the live room's own player and read the clock back off every
 * frame they present: delay = when the frame is on screen − the time drawn into it.
 *
 * The publisher runs in a Chromium of its own, the viewers (WebRTC and HLS) in another; both
 * read the same wall clock (`Date.now()`, CLOCK_REALTIME). Paths: `loopback` (everything next
 * to the server) and `impaired` (the publisher's Chromium inside a network namespace behind
 * `--rtt` ms and `--loss` % loss each way). Needs root for the namespaces; `--paths loopback`
 * does without.
 *
 *   npx tsx bench/latency/run.ts
 *   npx tsx bench/latency/run.ts --paths loopback --server-env HLS_PART_SECONDS=0.2
 *
 * A benchmark, never a test: the figures depend on the machine. See docs/benchmarks.md.
 */
import { parseArgs } from 'node:util';
import { delay, type ServerProcess } from '../../packages/server/src/test/process-harness.ts';
import { benchArgs, loadLine, runMediaBench } from '../media-lib/bench-run.ts';
import { launchBrowser, type Browser } from '../media-lib/browsers.ts';
import {
  missingTools,
  PUBLISHER_NETNS,
  PublisherPath,
  SERVER_ADDRESS,
  type Impairment,
} from '../media-lib/netns.ts';
import type { FrameSample, HlsLatency, ViewerVideoStats } from '../media-lib/page-api.ts';
import { openPublisher, openViewer, type ViewerPage } from '../media-lib/pages.ts';
import { endLive, hlsUrl, startLive, type Seller } from '../media-lib/platform.ts';
import {
  CpuMeter,
  localOrigins,
  parseEnv,
  percentiles,
  processCpuSeconds,
  round,
  table,
  writeResult,
  type Percentiles,
} from '../media-lib/report.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '10' },
    port: { type: 'string', default: '3310' },
    paths: { type: 'string', default: 'loopback,impaired' },
    rtt: { type: 'string', default: '60' },
    loss: { type: 'string', default: '2' },
    /**
     * The loopback publisher in the viewers' Chromium instead of its own. Measured: the
     * receiver's jitter buffer then grows to ~200 ms (see docs/benchmarks.md).
     */
    'same-browser': { type: 'boolean', default: false },
    /** No HLS viewer of the impaired publisher (Node 20's parseArgs has no `--no-` forms). */
    'no-impaired-hls': { type: 'boolean', default: false },
    'server-env': { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
  },
});

const { log, fail, num } = benchArgs('latency');

const opt = {
  seconds: num(args.seconds, 'seconds'),
  warmupSeconds: num(args.warmup, 'warmup'),
  port: num(args.port, 'port'),
  paths: args.paths.split(',').map((p) => p.trim()),
  rttMs: num(args.rtt, 'rtt'),
  lossPercent: num(args.loss, 'loss'),
  impairedHls: !args['no-impaired-hls'],
  sameBrowser: args['same-browser'],
  serverEnv: parseEnv(args['server-env']),
};
for (const p of opt.paths)
  if (p !== 'loopback' && p !== 'impaired') fail(`--paths: unknown path ${p}`);
if (opt.port < 3310 || opt.port > 3319) log(`note: port ${opt.port} is outside 3310–3319`);

/** p50 goals of issue #4; HLS has none, it is reported as it is. */
const GOALS_MS = { loopback: 100, impaired: 400 } as const;

interface Measured {
  path: 'loopback' | 'impaired';
  transport: 'webrtc' | 'hls';
  network: string;
  delayMs: Percentiles;
  /** Frames the viewer presented in the window, and how many of them read back. */
  framesPresented: number;
  framesRead: number;
  presentedPerSecond: number;
  resolution: string;
  goalP50Ms: number | null;
  goalMet: boolean | null;
  /** Per second of the window: median delay, to see drift (HLS catching up). */
  p50PerSecond: Array<number | null>;
  /** HLS only, at the end of the window: hls.js's own figures. */
  hls: HlsLatency | null;
  /** WebRTC only, over the window: the receiver's jitter buffer and what it saw. */
  receiver: {
    jitterBufferMs: number;
    jitterBufferTargetMs: number;
    rtpJitterMs: number | null;
    freezes: number;
    packetsLost: number;
  } | null;
  /**
   * WebRTC only, per second of the window: the receiver's jitter buffer for the picture and
   * for the sound (the delay it held each sample or frame by, and its target), the sound's
   * RTP jitter and the share of it made up (concealed). The picture waits for the sound to
   * stay in sync, so a growing audio buffer shows up as a growing delay.
   */
  receiverPerSecond: ReceiverSecond[] | null;
}

interface ReceiverSecond {
  videoBufferMs: number | null;
  videoTargetMs: number | null;
  /** The floor under the picture's target: A/V sync (or a playout-delay request) at work. */
  videoMinimumMs: number | null;
  /** Decoding a frame, and assembling it from its packets, on average. */
  videoDecodeMs: number | null;
  videoAssemblyMs: number | null;
  audioBufferMs: number | null;
  audioTargetMs: number | null;
  audioMinimumMs: number | null;
  /** The audio output's own delay (the device's buffer), which sync also waits for. */
  audioPlayoutMs: number | null;
  audioJitterMs: number | null;
  audioConcealedPercent: number | null;
}

type NumberKey<T> = { [K in keyof T]: T[K] extends number ? K : never }[keyof T];

/**
 * Milliseconds per unit of `count` by which the cumulative seconds `total` grew between two
 * getStats() samples (e.g. jitter buffer delay per emitted frame); null without both samples
 * or without any unit.
 */
function msPer<T>(a: T | null, b: T | null, total: NumberKey<T>, count: NumberKey<T>) {
  if (!a || !b) return null;
  const n = (b[count] as number) - (a[count] as number);
  return n > 0 ? round((((b[total] as number) - (a[total] as number)) / n) * 1000) : null;
}

/** The receiver's figures between two getStats() samples. */
function receiverSecond(a: ViewerVideoStats | null, b: ViewerVideoStats | null): ReceiverSecond {
  const aa = a?.audio ?? null;
  const ba = b?.audio ?? null;
  const played = aa && ba ? ba.totalSamplesReceived - aa.totalSamplesReceived : 0;
  return {
    videoBufferMs: msPer(a, b, 'jitterBufferDelay', 'jitterBufferEmittedCount'),
    videoTargetMs: msPer(a, b, 'jitterBufferTargetDelay', 'jitterBufferEmittedCount'),
    videoMinimumMs: msPer(a, b, 'jitterBufferMinimumDelay', 'jitterBufferEmittedCount'),
    videoDecodeMs: msPer(a, b, 'totalDecodeTime', 'framesDecoded'),
    videoAssemblyMs: msPer(a, b, 'totalAssemblyTime', 'framesDecoded'),
    audioBufferMs: msPer(aa, ba, 'jitterBufferDelay', 'jitterBufferEmittedCount'),
    audioTargetMs: msPer(aa, ba, 'jitterBufferTargetDelay', 'jitterBufferEmittedCount'),
    audioMinimumMs: msPer(aa, ba, 'jitterBufferMinimumDelay', 'jitterBufferEmittedCount'),
    audioPlayoutMs: msPer(aa, ba, 'totalPlayoutDelay', 'totalPlayoutSamples'),
    audioJitterMs: ba?.jitter == null ? null : round(ba.jitter * 1000),
    audioConcealedPercent:
      aa && ba && played > 0
        ? round(((ba.concealedSamples - aa.concealedSamples) / played) * 100)
        : null,
  };
}

interface Watched {
  name: string;
  path: Measured['path'];
  transport: Measured['transport'];
  network: string;
  viewer: ViewerPage;
}

/** Drops the warm-up frames, then keeps every frame presented during `seconds`. */
async function collect(watched: Watched[]): Promise<Measured[]> {
  await delay(opt.warmupSeconds * 1000);
  for (const w of watched) await w.viewer.takeFrames();
  const statsBefore = await Promise.all(watched.map((w) => w.viewer.stats()));
  const kept = new Map<string, FrameSample[][]>(watched.map((w) => [w.name, []]));
  const seconds = new Map<string, ReceiverSecond[]>(watched.map((w) => [w.name, []]));
  let last = statsBefore;
  for (let s = 0; s < opt.seconds; s++) {
    await delay(1000);
    const line: string[] = [];
    const now = await Promise.all(watched.map((w) => w.viewer.stats()));
    for (const [i, w] of watched.entries()) {
      const frames = await w.viewer.takeFrames();
      kept.get(w.name)!.push(frames);
      const p50 = percentiles(delays(frames)).p50;
      const r = receiverSecond(last[i] ?? null, now[i] ?? null);
      seconds.get(w.name)!.push(r);
      const audio =
        w.transport === 'webrtc' && r.audioBufferMs !== null
          ? `, audio buffer ${r.audioBufferMs}/${r.audioTargetMs} ms jitter ${r.audioJitterMs} ms`
          : '';
      line.push(`${w.name} ${p50 ?? '–'} ms (${frames.length} frames${audio})`);
    }
    last = now;
    if (s % 5 === 4) log(`  ${s + 1} s: ${line.join(', ')}`);
  }
  const statsAfter = await Promise.all(watched.map((w) => w.viewer.stats()));
  const hlsAfter = await Promise.all(watched.map((w) => w.viewer.hls()));
  return watched.map((w, i) => {
    const before = statsBefore[i];
    const after = statsAfter[i];
    const emitted =
      before && after ? after.jitterBufferEmittedCount - before.jitterBufferEmittedCount : 0;
    const receiver =
      w.transport === 'webrtc' && before && after && emitted > 0
        ? {
            jitterBufferMs: round(
              ((after.jitterBufferDelay - before.jitterBufferDelay) / emitted) * 1000,
            ),
            jitterBufferTargetMs: round(
              ((after.jitterBufferTargetDelay - before.jitterBufferTargetDelay) / emitted) * 1000,
            ),
            rtpJitterMs: after.jitter === null ? null : round(after.jitter * 1000),
            freezes: after.freezeCount - before.freezeCount,
            packetsLost: after.packetsLost - before.packetsLost,
          }
        : null;
    const perSecond = kept.get(w.name)!;
    const frames = perSecond.flat();
    const values = delays(frames);
    const delayMs = percentiles(values);
    const goal = w.transport === 'webrtc' ? GOALS_MS[w.path] : null;
    const sizes = new Map<string, number>();
    for (const f of frames)
      sizes.set(`${f.width}×${f.height}`, (sizes.get(`${f.width}×${f.height}`) ?? 0) + 1);
    return {
      path: w.path,
      transport: w.transport,
      network: w.network,
      delayMs,
      framesPresented: frames.length,
      framesRead: values.length,
      presentedPerSecond: round(frames.length / opt.seconds),
      resolution: [...sizes].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '–',
      goalP50Ms: goal,
      goalMet: goal === null || delayMs.p50 === null ? null : delayMs.p50 < goal,
      p50PerSecond: perSecond.map((f) => percentiles(delays(f)).p50),
      receiver,
      receiverPerSecond: w.transport === 'webrtc' ? seconds.get(w.name)! : null,
      hls: hlsAfter[i] ?? null,
    };
  });
}

const delays = (frames: FrameSample[]) =>
  frames.filter((f) => f.drawnAt !== null).map((f) => f.shownAt - f.drawnAt!);

/** The live playlist's low-latency settings: what an HLS player holds back by. */
async function hlsSettings(server: ServerProcess, url: string) {
  const text = await (await fetch(`${server.url}${url}`)).text();
  const attr = (tag: string) =>
    text
      .split('\n')
      .find((l) => l.startsWith(`#${tag}:`))
      ?.slice(tag.length + 2) ?? null;
  return {
    targetDuration: attr('EXT-X-TARGETDURATION'),
    partInf: attr('EXT-X-PART-INF'),
    serverControl: attr('EXT-X-SERVER-CONTROL'),
  };
}

async function runLoopback(server: ServerProcess, seller: Seller, browser: Browser) {
  const live = await startLive(server, seller, 'Latency on loopback');
  log('loopback: the publisher goes on air (studio publisher, clock canvas)');
  const origins = localOrigins(opt.port);
  // Its own Chromium, as the host's phone is not the viewer's: both read the same wall clock.
  const publisherBrowser = opt.sameBrowser ? browser : await launchBrowser({ name: 'publisher' });
  const publisher = await openPublisher(publisherBrowser, origins.publisher, live, 'clock');
  const webrtc = await openViewer(browser, origins.webrtcViewer, live, { decode: true });
  const hls = await hlsUrl(server, live);
  const hlsViewer = await openViewer(browser, origins.hlsViewer, live, { hls, decode: true });
  log(
    `loopback: WebRTC and HLS viewers playing; ${opt.warmupSeconds} s warm-up, then ${opt.seconds} s`,
  );
  const cpu = new CpuMeter();
  const serverCpu = processCpuSeconds(server.pid);
  const measured = await collect([
    { name: 'WebRTC', path: 'loopback', transport: 'webrtc', network: 'loopback', viewer: webrtc },
    { name: 'HLS', path: 'loopback', transport: 'hls', network: 'loopback', viewer: hlsViewer },
  ]);
  const machineBusy = cpu.percent();
  const serverCpuPercent = round(((processCpuSeconds(server.pid) - serverCpu) / opt.seconds) * 100);
  const publisherStats = await publisher.stats();
  const settings = await hlsSettings(server, hls);
  await Promise.all([webrtc.stop(), hlsViewer.stop(), publisher.stop()]);
  await Promise.all([webrtc.page.close(), hlsViewer.page.close(), publisher.page.close()]);
  if (publisherBrowser !== browser) await publisherBrowser.close();
  await endLive(server, seller, live);
  return {
    measured,
    machineBusyPercent: machineBusy,
    serverCpuPercent,
    publisherStats,
    hlsSettings: settings,
  };
}

async function runImpaired(
  server: ServerProcess,
  seller: Seller,
  browser: Browser,
  path: PublisherPath,
) {
  const oneWay = opt.rttMs / 2;
  const impairment: Impairment = {
    up: { delayMs: oneWay, lossPercent: opt.lossPercent },
    down: { delayMs: oneWay, lossPercent: opt.lossPercent },
  };
  await path.impair(impairment);
  const network = `${opt.rttMs} ms RTT, ${opt.lossPercent} % loss each way (publisher's path)`;
  const live = await startLive(server, seller, 'Latency over an impaired path');
  log(`impaired: the publisher, in namespace ${PUBLISHER_NETNS}, goes on air over ${network}`);
  const origin = `http://${SERVER_ADDRESS}:${opt.port}`;
  const publisherBrowser = await launchBrowser({
    name: 'publisher',
    netns: PUBLISHER_NETNS,
    secureOrigins: [origin],
  });
  try {
    const publisher = await openPublisher(publisherBrowser, origin, live, 'clock');
    const origins = localOrigins(opt.port);
    const webrtc = await openViewer(browser, origins.webrtcViewer, live, { decode: true });
    const watched: Watched[] = [
      { name: 'WebRTC', path: 'impaired', transport: 'webrtc', network, viewer: webrtc },
    ];
    if (opt.impairedHls) {
      const hls = await hlsUrl(server, live);
      const viewer = await openViewer(browser, origins.hlsViewer, live, { hls, decode: true });
      watched.push({ name: 'HLS', path: 'impaired', transport: 'hls', network, viewer });
    }
    log(`impaired: viewers playing; ${opt.warmupSeconds} s warm-up, then ${opt.seconds} s`);
    const cpu = new CpuMeter();
    const serverCpu = processCpuSeconds(server.pid);
    const measured = await collect(watched);
    const machineBusy = cpu.percent();
    const serverCpuPercent = round(
      ((processCpuSeconds(server.pid) - serverCpu) / opt.seconds) * 100,
    );
    const publisherStats = await publisher.stats();
    for (const w of watched) await w.viewer.stop();
    await publisher.stop();
    await endLive(server, seller, live);
    return {
      measured,
      machineBusyPercent: machineBusy,
      serverCpuPercent,
      publisherStats,
      impairment,
    };
  } finally {
    await publisherBrowser.close();
    await path.impair(null);
  }
}

function describeRow(m: Measured): string {
  return m.transport === 'webrtc' ? `WebRTC, ${m.path}` : `HLS, ${m.path}`;
}

async function main() {
  if (opt.paths.includes('impaired')) {
    const missing = missingTools();
    if (missing) fail(`cannot build the impaired path: ${missing}. Use --paths loopback.`);
  }
  const path = opt.paths.includes('impaired') ? PublisherPath.create() : null;
  const phases: Record<string, unknown> = {};
  const measured: Measured[] = [];
  let header;
  try {
    ({ header } = await runMediaBench(
      {
        bench: 'latency',
        port: opt.port,
        serverEnv: opt.serverEnv,
        extraHostAddress: path ? SERVER_ADDRESS : undefined,
        browserName: 'viewers',
      },
      async ({ server, browser, seller }) => {
        if (opt.paths.includes('loopback')) {
          const r = await runLoopback(server, seller, browser);
          phases.loopback = r;
          measured.push(...r.measured);
        }
        if (path) {
          const r = await runImpaired(server, seller, browser, path);
          phases.impaired = r;
          measured.push(...r.measured);
        }
      },
    ));
  } finally {
    await path?.destroy();
  }
  const output = { ...header, options: opt, results: measured, phases };
  writeResult('latency', output, args.out);
  const ms = (v: number | null) => (v === null ? '–' : String(Math.round(v)));
  console.error(
    `\n${table(
      ['', 'p50 ms', 'p95 ms', 'p99 ms', 'samples', 'frames/s', 'picture', 'player', 'goal p50'],
      measured.map((m) => [
        describeRow(m),
        ms(m.delayMs.p50),
        ms(m.delayMs.p95),
        ms(m.delayMs.p99),
        `${m.framesRead} of ${m.framesPresented}`,
        String(m.presentedPerSecond),
        m.resolution,
        m.receiver
          ? `jitter buffer ${Math.round(m.receiver.jitterBufferMs)} ms`
          : m.hls
            ? `hls.js ${round(m.hls.latency, 2)} s behind (target ${m.hls.targetLatency === null ? '–' : round(m.hls.targetLatency, 2)}), ${m.hls.stalls} stalls`
            : '–',
        m.goalP50Ms === null ? '–' : `< ${m.goalP50Ms} ms ${m.goalMet ? 'met' : 'NOT met'}`,
      ]),
    )}`,
  );
  for (const [name, phase] of Object.entries(phases) as Array<
    [string, { machineBusyPercent: number; serverCpuPercent: number }]
  >) {
    console.error(
      `${name}: machine ${phase.machineBusyPercent} % busy (both cores), server ${phase.serverCpuPercent} % of a core`,
    );
  }
  console.error(loadLine(header));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
