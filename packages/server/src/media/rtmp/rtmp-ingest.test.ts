import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { RtpPacket } from 'werift';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvents } from '../../lib/domain-events.ts';
import { createLive, sellerWithShop, type TestUser } from '../../test/factories.ts';
import { createTestApp, type TestApp } from '../../test/test-app.ts';
import { startsKeyframe } from '../codecs.ts';
import { offerOf, postOffer, TestPublisher, TestViewer, waitFor } from '../test-peers.ts';

const SPS = 7;
const STAP_A = 24;
/** The NAL unit types in an H.264 RTP payload: one, or those a STAP-A aggregates. */
function nalTypes(payload: Buffer): number[] {
  if ((payload[0]! & 0x1f) !== STAP_A) return [payload[0]! & 0x1f];
  const types: number[] = [];
  for (let i = 1; i + 2 < payload.length; i += 2 + payload.readUInt16BE(i))
    types.push(payload[i + 2]! & 0x1f);
  return types;
}

/**
 * Debian's ffmpeg publishes a test pattern over RTMP, as OBS before 30 or a phone encoder app
 * would; werift viewers watch it over WHEP.
 */
describe('RTMP ingest', () => {
  let t: TestApp;
  let base = '';
  let rtmpUrl = '';
  let host: TestUser;
  const states: Array<DomainEvents['live.stream']> = [];
  const children = new Set<ChildProcess>();
  const peers: Array<TestViewer | TestPublisher> = [];

  beforeAll(async () => {
    t = await createTestApp({ rtmp: { port: 0 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    rtmpUrl = `rtmp://127.0.0.1:${t.app.rtmp!.port}/live`;
    host = (await sellerWithShop(t.app)).seller;
    t.app.services.events.on('live.stream', (e) => void states.push(e));
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(peers.map((p) => p.close()));
    await t.close();
  });

  const statesOf = (liveId: string) =>
    states.filter((s) => s.liveId === liveId).map((s) => s.state);

  async function newLive(start = true): Promise<{ id: string; streamKey: string }> {
    const live = (await createLive(t.app, host, [], start)) as unknown as {
      id: string;
      streamKey: string;
    };
    expect(live.streamKey).toEqual(expect.any(String));
    return live;
  }

  /** ffmpeg publishing testsrc2 + a 440 Hz sine as H.264 + AAC in FLV, in real time. */
  function publishTestPattern(url: string, opts: { gop?: number; seconds?: number } = {}) {
    const child = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-nostdin',
        '-re',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x360:rate=25',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440',
        ...(opts.seconds ? ['-t', String(opts.seconds)] : []),
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-tune',
        'zerolatency',
        '-g',
        String(opts.gop ?? 25),
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-f',
        'flv',
        url,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.add(child);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => {
        children.delete(child);
        resolve({ code, signal });
      }),
    );
    return { child, exited, stderr: () => stderr };
  }

  async function watch(liveId: string, onVideo?: (packet: RtpPacket) => void) {
    const viewer = new TestViewer('H264');
    peers.push(viewer);
    if (onVideo)
      viewer.transceivers.video.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(onVideo));
    const res = await postOffer(`${base}/api/v1/lives/${liveId}/whep`, await offerOf(viewer.pc));
    expect(res.status).toBe(201);
    await viewer.pc.setRemoteDescription({ type: 'answer', sdp: res.body });
    await waitFor(() => viewer.pc.connectionState === 'connected', 'viewer connected');
    return viewer;
  }

  const negotiatedPt = (viewer: TestViewer, kind: 'audio' | 'video', name: string) => {
    const sdp = viewer.pc.remoteDescription!.sdp;
    const section = sdp.slice(sdp.indexOf(`m=${kind}`));
    return Number(new RegExp(`a=rtpmap:(\\d+) ${name}/`, 'i').exec(section)![1]);
  };

  it('plays a test pattern published over RTMP to WHEP viewers as H.264 and Opus', async () => {
    const live = await newLive();
    // Relay delay: when a packet entered the relay, and when the same payload reached a viewer.
    const arrivals = new Map<string, number>();
    const hash = (b: Buffer) => createHash('sha1').update(b).digest('hex');
    const untap = t.app.media.onPublisherRtp(live.id, ({ packet }) => {
      if (arrivals.size < 5000) arrivals.set(hash(packet.payload), performance.now());
    });
    const relayDelays: number[] = [];
    // One viewer waits before the host is on air; another joins mid-GOP later.
    const early = await watch(live.id, (p) => {
      const at = arrivals.get(hash(p.payload));
      if (at !== undefined) relayDelays.push(performance.now() - at);
    });

    // A 10 s keyframe interval: the late viewer sees a picture only thanks to the cache.
    const publishing = publishTestPattern(`${rtmpUrl}/${live.streamKey}`, { gop: 250 });
    await waitFor(() => statesOf(live.id).includes('live'), 'stream live', 10_000);
    await waitFor(
      () => early.received.video.length > 50 && early.received.audio.length > 20,
      'video and audio at the early viewer',
      10_000,
    );

    // H.264, starting at the SPS of a keyframe, in the viewer's own payload type.
    const firstVideo = early.received.video[0]!;
    expect(startsKeyframe({ name: 'H264' }, firstVideo.payload)).toBe(true);
    expect(nalTypes(firstVideo.payload)).toContain(SPS);
    expect(firstVideo.header.payloadType).toBe(negotiatedPt(early, 'video', 'H264'));
    expect(Math.max(...early.received.video.map((p) => p.serialize().length))).toBeLessThanOrEqual(
      1300,
    );
    // Opus: 20 ms frames of 960 samples at 48 kHz; CELT fullband 20 ms stereo TOC (config 31).
    const audio = early.received.audio;
    expect(audio[0]!.header.payloadType).toBe(negotiatedPt(early, 'audio', 'opus'));
    expect((audio[5]!.header.timestamp - audio[4]!.header.timestamp) >>> 0).toBe(960);
    expect(audio[4]!.payload[0]! >> 3).toBe(31);

    // Mid-GOP, 1.5 s and more after the only keyframe: the cached GOP starts the late viewer
    // at once, replayed with squeezed timestamps (1 ms apart), then live frames 40 ms apart.
    await new Promise((r) => setTimeout(r, 1500));
    const lateJoined = performance.now();
    const late = await watch(live.id);
    await waitFor(() => late.received.video.length > 0, 'video at the late viewer', 3000);
    const lateFirstVideoMs = performance.now() - lateJoined;
    expect(startsKeyframe({ name: 'H264' }, late.received.video[0]!.payload)).toBe(true);
    const frameSteps = () => {
      const times = [...new Set(late.received.video.map((p) => p.header.timestamp))];
      return times.slice(1).map((ts, i) => (ts - times[i]!) >>> 0);
    };
    await waitFor(() => frameSteps().includes(3600), 'live frames at the late viewer', 5000);
    const lateLiveMs = performance.now() - lateJoined;
    const steps = frameSteps();
    const replayed = steps.indexOf(3600);
    expect(replayed).toBeGreaterThan(10);
    // Replayed frames are squeezed far below the live 40 ms (3600) step. (A loaded machine may
    // drop packets on loopback: this viewer shares the process and sends no NACK, so a lost
    // frame shows as a step of 2 or 3 ms instead of 1.)
    expect(steps.slice(0, replayed).every((step) => step >= 90 && step < 900)).toBe(true);
    // Sequence numbers run on from the replay into the live packets: no jump, nothing lost
    // beyond the odd packet.
    const seqs = late.received.video.map((p) => p.header.sequenceNumber);
    const jumps = seqs.slice(1).map((seq, i) => (seq - seqs[i]! - 1) & 0xffff);
    // A renumbering bug would jump by thousands; a busy loopback loses a few packets at most.
    expect(Math.max(...jumps)).toBeLessThan(50);
    expect(jumps.filter((j) => j > 0).length).toBeLessThan(seqs.length / 20);

    const stats = t.app.rtmp!.stats();
    const transcodeDelayMs = stats.lives[live.id]?.transcodeDelayMs ?? null;
    expect(stats.publishing).toBe(1);
    expect(transcodeDelayMs).not.toBeNull();
    relayDelays.sort((a, b) => a - b);
    const relayP50 = relayDelays[Math.floor(relayDelays.length / 2)] ?? NaN;
    console.info(
      `RTMP→WHEP on loopback: ffmpeg ${transcodeDelayMs} ms p50 (RTMP in → RTP out), ` +
        `relay ${relayP50.toFixed(1)} ms p50 (RTP in → viewer), ` +
        `late viewer: first video ${lateFirstVideoMs.toFixed(0)} ms after connecting, ` +
        `live after a replay of ${replayed + 1} frames in ${lateLiveMs.toFixed(0)} ms`,
    );
    untap();

    // Stopping the encoder (as OBS's "Stop streaming" does) takes the stream offline.
    publishing.child.kill('SIGINT');
    await publishing.exited;
    await waitFor(() => statesOf(live.id).at(-1) === 'offline', 'stream offline', 5000);
    expect(statesOf(live.id)).toEqual(['live', 'offline']);
    expect(t.app.rtmp!.stats().publishing).toBe(0);
  });

  it('refuses an unknown stream key and the key of an ended show', async () => {
    const ended = await newLive();
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${ended.id}/end`,
      headers: host.auth,
    });
    const refusedBefore = t.app.rtmp!.stats().refused;

    const wrong = publishTestPattern(`${rtmpUrl}/not-a-stream-key`, { seconds: 10 });
    const late = publishTestPattern(`${rtmpUrl}/${ended.streamKey}`, { seconds: 10 });
    for (const p of [wrong, late]) {
      const { code } = await p.exited;
      expect(code).not.toBe(0);
      expect(p.stderr()).toMatch(/Unknown stream key|error/i);
    }
    expect(t.app.rtmp!.stats().refused).toBe(refusedBefore + 2);
    expect(statesOf(ended.id)).toEqual([]);
  });

  it('replaces a WHIP publisher: the host’s latest connection wins', async () => {
    const live = await newLive();
    const whip = new TestPublisher('VP8');
    peers.push(whip);
    const res = await postOffer(`${base}/api/v1/lives/${live.id}/whip`, await offerOf(whip.pc), {
      authorization: `Bearer ${live.streamKey}`,
    });
    expect(res.status).toBe(201);
    await whip.pc.setRemoteDescription({ type: 'answer', sdp: res.body });
    await waitFor(() => whip.pc.connectionState === 'connected', 'WHIP publisher connected');
    whip.start();
    await waitFor(() => statesOf(live.id).includes('live'), 'WHIP stream live');

    const publishing = publishTestPattern(`${rtmpUrl}/${live.streamKey}`);
    await waitFor(() => t.app.rtmp!.stats().publishing === 1, 'RTMP publishing', 10_000);
    await waitFor(() => statesOf(live.id).length === 3, 'RTMP stream live', 10_000);
    // The WHIP session is over: its Location is gone.
    const location = res.headers.get('location')!;
    expect((await fetch(`${base}${location}`, { method: 'DELETE' })).status).toBe(404);
    // The VP8 viewer of the WHIP publisher is let go; a new one negotiates H.264.
    const viewer = await watch(live.id);
    await waitFor(() => viewer.received.video.length > 10, 'RTMP video at a new viewer', 5000);
    expect(nalTypes(viewer.received.video[0]!.payload)).toContain(SPS);
    expect(statesOf(live.id)).toEqual(['live', 'reconnecting', 'live']);
    whip.stop();

    publishing.child.kill('SIGINT');
    await publishing.exited;
    await waitFor(() => statesOf(live.id).at(-1) === 'offline', 'stream offline', 5000);
  });

  it('says reconnecting when the encoder drops, and live again when it is back', async () => {
    const live = await newLive();
    const first = publishTestPattern(`${rtmpUrl}/${live.streamKey}`);
    await waitFor(() => statesOf(live.id).includes('live'), 'stream live', 10_000);
    // Killed: no deleteStream, as when the uplink or the encoder dies.
    first.child.kill('SIGKILL');
    await first.exited;
    await waitFor(() => statesOf(live.id).includes('reconnecting'), 'stream reconnecting', 6000);

    const second = publishTestPattern(`${rtmpUrl}/${live.streamKey}`);
    await waitFor(() => statesOf(live.id).length === 3, 'stream live again', 10_000);
    second.child.kill('SIGINT');
    await second.exited;
    await waitFor(() => statesOf(live.id).length === 4, 'stream offline', 5000);
    expect(statesOf(live.id)).toEqual(['live', 'reconnecting', 'live', 'offline']);
  });
});
