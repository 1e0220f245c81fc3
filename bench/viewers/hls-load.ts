/**
 * A load process of bench/viewers: low-latency HLS players of one live, as hls.js plays it in
 * low-latency mode. Each loads the playlist once, then in a loop asks for the playlist that
 * holds the next part (blocking reload, `_HLS_msn`/`_HLS_part`) and fetches every part it has
 * not had yet. Plain HTTP/1.1 keep-alive, one connection per player.
 */
import http from 'node:http';
import type { FromLoad, HlsPlan, LoadCounters, ToLoad } from './protocol.ts';

const send = (m: FromLoad) => process.send!(m);

const totals = {
  failed: 0,
  firstError: null as string | null,
  received: 0,
  expected: 0,
  bytes: 0,
  errors: 0,
  playlists: 0,
  dropped: 0,
};

interface Response {
  status: number;
  body: Buffer;
}

function get(agent: http.Agent, url: URL): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

type PartId = [msn: number, index: number];
const PART = /#EXT-X-PART:[^\n]*URI="part-(\d+)\.(\d+)\.m4s"/g;
const HINT = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-(\d+)\.(\d+)\.m4s"/;
const MAP = /#EXT-X-MAP:URI="([^"]+)"/;
const after = (a: PartId, b: PartId) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

class Player {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private stopped = false;
  private last: PartId | null = null;

  constructor(private readonly playlistUrl: string) {}

  private url(name: string): URL {
    return new URL(name, this.playlistUrl);
  }

  async start(): Promise<void> {
    const first = await get(this.agent, this.url(this.playlistUrl));
    if (first.status !== 200) throw new Error(`playlist answered ${first.status}`);
    const text = first.body.toString();
    const init = await get(this.agent, this.url(MAP.exec(text)![1]!));
    if (init.status !== 200) throw new Error(`init segment answered ${init.status}`);
    // Start at the live edge, as a low-latency player does: the last part listed.
    const parts = [...text.matchAll(PART)].map((m): PartId => [Number(m[1]), Number(m[2])]);
    this.last = parts.at(-1) ?? null;
    void this.loop(HINT.exec(text));
  }

  private async loop(hint: RegExpExecArray | null): Promise<void> {
    while (!this.stopped) {
      try {
        const query = hint ? `?_HLS_msn=${hint[1]}&_HLS_part=${hint[2]}` : '';
        const res = await get(this.agent, this.url(`${this.playlistUrl}${query}`));
        totals.playlists++;
        if (res.status !== 200) {
          totals.errors++;
          hint = null;
          await new Promise((r) => setTimeout(r, 300));
          continue;
        }
        const text = res.body.toString();
        hint = HINT.exec(text);
        const parts = [...text.matchAll(PART)].map((m): PartId => [Number(m[1]), Number(m[2])]);
        const fresh = parts.filter((p) => !this.last || after(p, this.last));
        // Fell further behind than the playlist reaches: what it never saw is lost.
        if (this.last && parts[0] && after(parts[0], this.last) && fresh.length === parts.length)
          totals.errors++;
        for (const part of fresh) {
          totals.expected++;
          const p = await get(this.agent, this.url(`part-${part[0]}.${part[1]}.m4s`));
          if (p.status === 200) {
            totals.received++;
            totals.bytes += p.body.length;
          } else totals.errors++;
          this.last = part;
        }
      } catch (err) {
        if (this.stopped) return;
        totals.errors++;
        totals.firstError ??= String(err);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.agent.destroy();
  }
}

let plan: HlsPlan | undefined;
const players: Player[] = [];

function counters(): LoadCounters {
  const cpu = process.cpuUsage();
  return {
    viewers: players.length,
    failed: totals.failed,
    firstError: totals.firstError,
    received: totals.received,
    expected: totals.expected,
    bytes: totals.bytes,
    errors: totals.errors,
    verified: totals.playlists,
    dropped: totals.dropped,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

async function scale(target: number): Promise<void> {
  const p = plan!;
  const began = Date.now();
  const failedBefore = totals.failed;
  let next = players.length;
  const worker = async () => {
    while (next++ < target) {
      const player = new Player(p.playlistUrl);
      try {
        await player.start();
        players.push(player);
      } catch (err) {
        player.stop();
        totals.failed++;
        totals.firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: p.connectConcurrency }, worker));
  send({
    type: 'scaled',
    viewers: players.length,
    failed: totals.failed - failedBefore,
    ms: Date.now() - began,
  });
}

process.on('message', (m: ToLoad) => {
  if (m.type === 'plan') {
    if (m.plan.kind !== 'hls') throw new Error('not an HLS plan');
    plan = m.plan;
    send({ type: 'ready' });
  } else if (m.type === 'scale') {
    scale(m.viewers).catch((err: unknown) => send({ type: 'fatal', message: String(err) }));
  } else if (m.type === 'report') {
    send({ type: 'report', counters: counters() });
  } else if (m.type === 'exit') {
    for (const p of players) p.stop();
    process.exit(0);
  }
});
