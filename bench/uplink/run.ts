/**
 * The host on a weak uplink: what viewers get when the publisher's link is 1 Mbit/s with
 * 80 ms delay and 3 % loss, against the same run on a clean link. The publisher is the studio's
 * own `Publisher` (packages/web) in a Chromium with its fake camera, inside a network
 * namespace whose path to the server is impaired without netem (`bench/media-lib/netns.ts`);
 * a viewer plays it with the live room's own player (WHEP) next to the server.
 *
 * Reported per run: frames per second decoded and presented at the viewer, freezes (getStats
 * freezeCount / totalFreezesDuration, and gaps over 200 ms between presented frames), the
 * resolution and bitrate the viewer got, and what the publisher ended up sending: resolution,
 * frame rate, target bitrate, why its quality was limited (qualityLimitationReason).
 *
 *   npx tsx bench/uplink/run.ts
 *   npx tsx bench/uplink/run.ts --seconds 90 --rate 600 --loss 5
 *
 * Needs root (network namespaces), tc, nft (Debian: nftables) and python3.
 * A benchmark, never a test: the figures depend on the machine. See docs/benchmarks.md.
 */
import { parseArgs } from 'node:util';
import { delay, type ServerProcess } from '../../packages/server/src/test/process-harness.ts';
import { benchArgs, loadLine, runMediaBench } from '../media-lib/bench-run.ts';
import { launchBrowser, type Browser } from '../media-lib/browsers.ts';
import { NOISY_CAMERA, noisyCameraFile } from '../media-lib/camera-file.ts';
import {
  describe,
  missingTools,
  PUBLISHER_NETNS,
  PublisherPath,
  SERVER_ADDRESS,
  type Impairment,
} from '../media-lib/netns.ts';
import type { FrameSample, PublisherVideoStats, ViewerVideoStats } from '../media-lib/page-api.ts';
import { openPublisher, openViewer } from '../media-lib/pages.ts';
import { endLive, startLive, type Seller } from '../media-lib/platform.ts';
import {
  CpuMeter,
  localOrigins,
  parseEnv,
  percentiles,
  processCpuSeconds,
  round,
  table,
  writeResult,
} from '../media-lib/report.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    port: { type: 'string', default: '3312' },
    runs: { type: 'string', default: 'clean,impaired' },
    /** Uplink bottleneck, kbit/s. */
    rate: { type: 'string', default: '1000' },
    /** Queue of the bottleneck before it drops, ms. */
    queue: { type: 'string', default: '200' },
    /** One-way delay added in each direction, ms. */
    delay: { type: 'string', default: '80' },
    /** Random loss in each direction, %. */
    loss: { type: 'string', default: '3' },
    /** `noisy`: a clip that needs more bits than the link has; `pattern`: Chromium's own. */
    camera: { type: 'string', default: 'noisy' },
    'server-env': { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
  },
});

const { log, fail, num } = benchArgs('uplink');

const opt = {
  seconds: num(args.seconds, 'seconds'),
  port: num(args.port, 'port'),
  runs: args.runs.split(',').map((r) => r.trim()),
  rateKbit: num(args.rate, 'rate'),
  queueMs: num(args.queue, 'queue'),
  delayMs: num(args.delay, 'delay'),
  lossPercent: num(args.loss, 'loss'),
  camera: args.camera,
  serverEnv: parseEnv(args['server-env']),
};
if (opt.camera !== 'noisy' && opt.camera !== 'pattern') fail(`--camera: noisy or pattern`);
for (const r of opt.runs) if (r !== 'clean' && r !== 'impaired') fail(`--runs: unknown run ${r}`);

const IMPAIRED: Impairment = {
  up: {
    delayMs: opt.delayMs,
    lossPercent: opt.lossPercent,
    rateKbit: opt.rateKbit,
    queueMs: opt.queueMs,
  },
  down: { delayMs: opt.delayMs, lossPercent: opt.lossPercent },
};
/** Frames further apart than this on screen are a stall. */
const GAP_MS = 200;
/** "Ended up at": the publisher's last seconds. */
const FINAL_SECONDS = 10;

interface Second {
  t: number;
  publisher: PublisherVideoStats | null;
  viewer: ViewerVideoStats | null;
  framesPresented: number;
}

const median = (values: number[]) => percentiles(values).p50;
const mostCommon = (values: string[]) => {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
};
const size = (w: number | null, h: number | null) => (w && h ? `${w}×${h}` : null);

function summarise(seconds: Second[], frames: FrameSample[]) {
  const first = seconds[0]!;
  const last = seconds.at(-1)!;
  const span = (last.t - first.t) / 1000;
  const v0 = first.viewer;
  const v1 = last.viewer;
  const p0 = first.publisher;
  const p1 = last.publisher;
  const finals = seconds.slice(-FINAL_SECONDS - 1);
  const finalPublisher = finals.map((s) => s.publisher).filter((p) => p !== null);

  // Stalls as the viewer saw them: gaps between presented frames.
  const gaps: number[] = [];
  for (let i = 1; i < frames.length; i++) {
    const gap = frames[i]!.shownAt - frames[i - 1]!.shownAt;
    if (gap > GAP_MS) gaps.push(gap);
  }
  const limited: Record<string, number> = {};
  if (p0 && p1) {
    for (const [reason, total] of Object.entries(p1.qualityLimitationDurations)) {
      limited[reason] = round(
        ((total - (p0.qualityLimitationDurations[reason] ?? 0)) / span) * 100,
      );
    }
  }
  // Bitrate over a stretch, from byte counters.
  const kbps = (a: number, b: number, from: number, to: number) =>
    round(((b - a) * 8) / (to - from));
  const finalFirst = finalPublisher[0];
  const finalLast = finalPublisher.at(-1);
  return {
    seconds: round(span),
    viewer:
      v0 && v1
        ? {
            framesDecodedPerSecond: round((v1.framesDecoded - v0.framesDecoded) / span),
            framesPresentedPerSecond: round(frames.length / span),
            freezeCount: v1.freezeCount - v0.freezeCount,
            freezesSeconds: round(v1.totalFreezesDuration - v0.totalFreezesDuration, 2),
            gapsOver200Ms: gaps.length,
            gapsSeconds: round(gaps.reduce((a, b) => a + b, 0) / 1000, 2),
            longestGapMs: gaps.length ? round(Math.max(...gaps)) : 0,
            resolution: mostCommon(frames.map((f) => `${f.width}×${f.height}`)),
            receivedKbps: kbps(v0.bytesReceived, v1.bytesReceived, v0.at, v1.at),
            packetsLost: v1.packetsLost - v0.packetsLost,
            nacksSent: v1.nackCount - v0.nackCount,
            plisSent: v1.pliCount - v0.pliCount,
          }
        : null,
    publisher:
      p0 && p1 && finalFirst && finalLast
        ? {
            codec: p1.codec,
            encoder: p1.encoderImplementation,
            resolutionFinal: mostCommon(
              finalPublisher
                .map((p) => size(p.frameWidth, p.frameHeight))
                .filter((s) => s !== null),
            ),
            resolutionMostOfTheRun: mostCommon(
              seconds
                .map((s) => size(s.publisher?.frameWidth ?? null, s.publisher?.frameHeight ?? null))
                .filter((s) => s !== null),
            ),
            framesPerSecondFinal: median(finalPublisher.map((p) => p.framesPerSecond ?? 0)),
            targetKbpsFinal: median(finalPublisher.map((p) => (p.targetBitrate ?? 0) / 1000)),
            sentKbpsFinal: kbps(
              finalFirst.bytesSent,
              finalLast.bytesSent,
              finalFirst.at,
              finalLast.at,
            ),
            sentKbps: kbps(p0.bytesSent, p1.bytesSent, p0.at, p1.at),
            retransmittedShare: round(
              ((p1.retransmittedBytesSent - p0.retransmittedBytesSent) /
                Math.max(1, p1.bytesSent - p0.bytesSent)) *
                100,
            ),
            estimateKbpsFinal: median(
              finalPublisher.map((p) => (p.availableOutgoingBitrate ?? 0) / 1000),
            ),
            rttMsFinal: median(finalPublisher.map((p) => (p.roundTripTimeSeconds ?? 0) * 1000)),
            qualityLimitationReasonFinal: finalLast.qualityLimitationReason,
            /** Share of the run's time limited by each reason, %. */
            qualityLimitedPercent: limited,
            nacksReceived: p1.nackCount - p0.nackCount,
            plisReceived: p1.pliCount - p0.pliCount,
          }
        : null,
  };
}

async function runOne(
  name: 'clean' | 'impaired',
  server: ServerProcess,
  seller: Seller,
  viewers: Browser,
  path: PublisherPath,
  cameraFile: string | undefined,
) {
  await path.impair(name === 'impaired' ? IMPAIRED : null);
  const network =
    name === 'impaired'
      ? `up: ${describe(IMPAIRED.up)}; down: ${describe(IMPAIRED.down)}`
      : 'clean (same namespaces, nothing in the way)';
  log(`${name}: publisher in namespace ${PUBLISHER_NETNS}, ${network}`);
  const live = await startLive(server, seller, `Uplink ${name}`);
  const origin = `http://${SERVER_ADDRESS}:${opt.port}`;
  const browser = await launchBrowser({
    name: 'publisher',
    netns: PUBLISHER_NETNS,
    secureOrigins: [origin],
    cameraFile,
  });
  try {
    const publisher = await openPublisher(browser, origin, live, 'camera');
    const viewer = await openViewer(viewers, localOrigins(opt.port).webrtcViewer, live, {
      decode: false,
    });
    log(`${name}: on air and playing; measuring ${opt.seconds} s`);
    await viewer.takeFrames();
    const cpu = new CpuMeter();
    const serverCpu = processCpuSeconds(server.pid);
    const seconds: Second[] = [];
    const frames: FrameSample[] = [];
    const sample = async () => {
      const [p, v, f] = await Promise.all([publisher.stats(), viewer.stats(), viewer.takeFrames()]);
      frames.push(...f);
      seconds.push({ t: Date.now(), publisher: p, viewer: v, framesPresented: f.length });
    };
    await sample();
    for (let s = 1; s <= opt.seconds; s++) {
      await delay(1000);
      await sample();
      const last = seconds.at(-1)!;
      if (s % 10 === 0) {
        const p = last.publisher;
        log(
          `  ${s} s: publisher ${size(p?.frameWidth ?? null, p?.frameHeight ?? null)} ` +
            `${p?.framesPerSecond ?? '–'} fps, target ${round((p?.targetBitrate ?? 0) / 1000)} kbit/s, ` +
            `limited by ${p?.qualityLimitationReason}; viewer ${last.framesPresented} frames in the last second`,
        );
      }
    }
    const summary = summarise(seconds, frames);
    const result = {
      run: name,
      network,
      ...summary,
      machineBusyPercent: cpu.percent(),
      serverCpuPercent: round(
        ((processCpuSeconds(server.pid) - serverCpu) / summary.seconds) * 100,
      ),
      timeline: seconds.map((s) => ({
        t: round((s.t - seconds[0]!.t) / 1000),
        framesPresented: s.framesPresented,
        publisher: s.publisher && {
          size: size(s.publisher.frameWidth, s.publisher.frameHeight),
          fps: s.publisher.framesPerSecond,
          targetKbps: round((s.publisher.targetBitrate ?? 0) / 1000),
          estimateKbps: round((s.publisher.availableOutgoingBitrate ?? 0) / 1000),
          limitedBy: s.publisher.qualityLimitationReason,
        },
        viewer: s.viewer && {
          size: size(s.viewer.frameWidth, s.viewer.frameHeight),
          fps: s.viewer.framesPerSecond,
          freezes: s.viewer.freezeCount,
        },
      })),
    };
    await viewer.stop();
    await viewer.page.close();
    await publisher.stop();
    await endLive(server, seller, live);
    return result;
  } finally {
    await browser.close();
    await path.impair(null);
  }
}

async function main() {
  const missing = missingTools();
  if (missing) fail(`cannot build the publisher's path: ${missing}`);
  const camera = opt.camera === 'noisy' ? noisyCameraFile() : null;
  const path = PublisherPath.create();
  const results: Array<Awaited<ReturnType<typeof runOne>>> = [];
  let header;
  try {
    ({ header } = await runMediaBench(
      {
        bench: 'uplink',
        port: opt.port,
        serverEnv: opt.serverEnv,
        extraHostAddress: SERVER_ADDRESS,
        browserName: 'viewer',
      },
      async ({ server, browser: viewers, seller }) => {
        for (const run of opt.runs as Array<'clean' | 'impaired'>) {
          results.push(await runOne(run, server, seller, viewers, path, camera?.file));
        }
      },
    ));
  } finally {
    await path.destroy();
    camera?.remove();
  }
  const output = {
    ...header,
    options: opt,
    camera:
      opt.camera === 'noisy' ? `ffmpeg lavfi ${NOISY_CAMERA}, looped` : 'Chromium fake device',
    results,
  };
  writeResult('uplink', output, args.out);
  const cell = (v: unknown) => (v === null || v === undefined ? '–' : String(v));
  const rows: Array<[string, (r: (typeof results)[number]) => unknown]> = [
    [
      'viewer: frames/s decoded (presented)',
      (r) =>
        r.viewer && `${r.viewer.framesDecodedPerSecond} (${r.viewer.framesPresentedPerSecond})`,
    ],
    [
      'viewer: freezes (getStats), s frozen',
      (r) => r.viewer && `${r.viewer.freezeCount}, ${r.viewer.freezesSeconds} s`,
    ],
    [
      'viewer: gaps > 200 ms, s, longest',
      (r) =>
        r.viewer &&
        `${r.viewer.gapsOver200Ms}, ${r.viewer.gapsSeconds} s, ${r.viewer.longestGapMs} ms`,
    ],
    [
      'viewer: picture, kbit/s received',
      (r) => r.viewer && `${r.viewer.resolution}, ${r.viewer.receivedKbps}`,
    ],
    ['publisher: picture (most of the run)', (r) => r.publisher?.resolutionMostOfTheRun],
    [
      'publisher: picture, fps at the end',
      (r) => r.publisher && `${r.publisher.resolutionFinal}, ${r.publisher.framesPerSecondFinal}`,
    ],
    [
      'publisher: target / sent kbit/s at the end',
      (r) => r.publisher && `${r.publisher.targetKbpsFinal} / ${r.publisher.sentKbpsFinal}`,
    ],
    [
      'publisher: estimate kbit/s, RTT ms at the end',
      (r) => r.publisher && `${r.publisher.estimateKbpsFinal}, ${r.publisher.rttMsFinal}`,
    ],
    ['publisher: limited by (at the end)', (r) => r.publisher?.qualityLimitationReasonFinal],
    [
      'publisher: % of time limited by',
      (r) =>
        r.publisher &&
        Object.entries(r.publisher.qualityLimitedPercent)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
    ],
    ['publisher: retransmitted share %', (r) => r.publisher?.retransmittedShare],
    ['machine busy %, server % of a core', (r) => `${r.machineBusyPercent}, ${r.serverCpuPercent}`],
  ];
  console.error(
    `\n${table(
      ['', ...results.map((r) => r.run)],
      rows.map(([name, get]) => [name, ...results.map((r) => cell(get(r)))]),
    )}`,
  );
  console.error(loadLine(header));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
