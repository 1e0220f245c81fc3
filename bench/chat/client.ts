/**
 * One load process of bench/chat, started by run.ts: holds WebSocket viewers (counting what
 * they receive, a few of them timing every chat line), taps likes, and speaks as chatters.
 * Runs apart from the server so that the server's CPU is the server's alone.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import WebSocket from 'ws';
import {
  CHAT_MARK,
  CHAT_PREFIX,
  type FromLoad,
  type LoadPlan,
  type LoadReport,
  type ToLoad,
} from './protocol.ts';

const CHAT_NEEDLE = Buffer.from('"type":"chat"');
const HISTOGRAM_MS = 600_000;
const SECONDS_KEPT = 3_600;

let plan: LoadPlan | null = null;
let startAt = Number.POSITIVE_INFINITY;
let running = false;
const viewers: WebSocket[] = [];
const likerSockets: WebSocket[] = [];
const readers: net.Socket[] = [];
const chatters: WebSocket[] = [];
const report = {
  chatsPerSecond: new Float64Array(SECONDS_KEPT),
  framesPerSecond: new Float64Array(SECONDS_KEPT),
  bytesPerSecond: new Float64Array(SECONDS_KEPT),
  histogram: new Uint32Array(HISTOGRAM_MS + 1),
  linesSent: 0,
  likesSent: 0,
  closedByServer: 0,
  errors: 0,
};

const send = (message: FromLoad) => process.send!(message);

process.on('message', (message: ToLoad) => {
  switch (message.type) {
    case 'connect':
      plan = message.plan;
      void connectAll(message.plan, message.share).catch((err: unknown) =>
        send({ type: 'fatal', message: String(err) }),
      );
      return;
    case 'start':
      startAt = message.startAt;
      setTimeout(() => run(message.seconds), Math.max(0, startAt - Date.now()));
      return;
    case 'report':
      send({ type: 'report', report: snapshot() });
      return;
    case 'exit':
      running = false;
      for (const socket of [...viewers, ...likerSockets, ...chatters]) socket.terminate();
      for (const socket of readers) socket.destroy();
      setTimeout(() => process.exit(0), 100);
      return;
  }
});
process.on('disconnect', () => process.exit(0));

function second(now: number): number {
  const s = Math.floor((now - startAt) / 1000);
  return s >= 0 && s < SECONDS_KEPT ? s : -1;
}

function countChats(data: Buffer): number {
  let chats = 0;
  for (
    let at = data.indexOf(CHAT_NEEDLE);
    at !== -1;
    at = data.indexOf(CHAT_NEEDLE, at + CHAT_NEEDLE.length)
  )
    chats += 1;
  return chats;
}

/** A viewer on `ws`: count frames, bytes and chat lines, without parsing. */
function onFrame(data: Buffer) {
  const s = second(Date.now());
  if (s < 0) return;
  report.framesPerSecond[s]! += 1;
  report.bytesPerSecond[s]! += data.length;
  report.chatsPerSecond[s]! += countChats(data);
}

/** One read buffer for every minimal reader: each read is counted before the next. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/**
 * A minimal viewer: the WebSocket handshake, then it reads the byte stream into one shared
 * buffer, walking frame headers (server frames are unmasked) and counting the chat lines in
 * each payload by their one `|` (CHAT_MARK: no other byte of a room's events is one, in this
 * bench). What the server does for it is what it does for a browser; on the client side a
 * memchr per line is all it costs, so the load processes leave the CPU to the server.
 */
function openReader(url: URL): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let handshake: Buffer | null = Buffer.alloc(0) as Buffer;
    let joined = false;
    let payloadLeft = 0;
    let header: Buffer | null = null;

    /** Frames that start in `chunk`, and the chat lines in its payload bytes. */
    const walk = (chunk: Buffer): { frames: number; chats: number } => {
      let frames = 0;
      let chats = 0;
      let at = 0;
      if (header) {
        chunk = Buffer.concat([header, chunk]);
        header = null;
      }
      while (at < chunk.length) {
        if (payloadLeft > 0) {
          const end = at + Math.min(payloadLeft, chunk.length - at);
          for (
            let i = chunk.indexOf(CHAT_MARK, at);
            i !== -1 && i < end;
            i = chunk.indexOf(CHAT_MARK, i + 1)
          )
            chats += 1;
          payloadLeft -= end - at;
          at = end;
          continue;
        }
        if (chunk.length - at < 2) break;
        const len7 = chunk[at + 1]! & 0x7f;
        const headerLength = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
        if (chunk.length - at < headerLength) break;
        payloadLeft =
          len7 === 126
            ? chunk.readUInt16BE(at + 2)
            : len7 === 127
              ? Number(chunk.readBigUInt64BE(at + 2))
              : len7;
        at += headerLength;
        frames += 1;
      }
      // A header cut by the read boundary (rare): keep a copy, the read buffer is reused.
      if (at < chunk.length && payloadLeft === 0) header = Buffer.from(chunk.subarray(at));
      return { frames, chats };
    };

    const onBytes = (chunk: Buffer) => {
      if (handshake) {
        handshake = Buffer.concat([handshake, chunk]);
        const end = handshake.indexOf('\r\n\r\n');
        if (end === -1) return;
        if (!handshake.subarray(0, 16).toString('latin1').includes(' 101 ')) {
          socket.destroy();
          return reject(new Error(handshake.toString('latin1').split('\r\n')[0]));
        }
        chunk = handshake.subarray(end + 4);
        handshake = null;
      }
      if (chunk.length === 0) return;
      if (!joined) {
        joined = true;
        resolve(socket);
      }
      const s = second(Date.now());
      const { frames, chats } = walk(chunk);
      if (s < 0) return;
      report.framesPerSecond[s]! += frames;
      report.bytesPerSecond[s]! += chunk.length;
      report.chatsPerSecond[s]! += chats;
    };

    const socket = net.connect({
      host: url.hostname,
      port: Number(url.port),
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes: number, buffer: Uint8Array) => {
          onBytes(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    socket.on('connect', () =>
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    socket.on('error', (err) => {
      report.errors += 1;
      if (!joined) reject(err);
    });
    socket.on('close', () => {
      if (!joined) reject(new Error('closed before hello'));
      else if (running) report.closedByServer += 1;
    });
  });
}

/** A sampled viewer: parse, and time every chat line from its send stamp. */
function onSampledFrame(data: Buffer) {
  onFrame(data);
  const now = Date.now();
  if (now < startAt) return;
  const event = JSON.parse(data.toString('utf8')) as {
    type: string;
    text?: string;
    events?: Array<{ type: string; text?: string }>;
  };
  for (const e of event.type === 'batch' ? event.events! : [event]) {
    if (e.type !== 'chat' || !e.text?.startsWith(CHAT_PREFIX)) continue;
    const sentAt = Number(e.text.split(' ', 2)[1]);
    report.histogram[Math.min(HISTOGRAM_MS, Math.max(0, now - sentAt))]! += 1;
  }
}

function open(url: string, onMessage: (data: Buffer) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    // The server's frames are valid UTF-8; skipping the check keeps the clients light.
    const socket = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    let joined = false;
    socket.once('message', () => {
      joined = true;
      resolve(socket);
    });
    socket.on('message', (data: Buffer) => onMessage(data));
    socket.on('error', (err) => {
      report.errors += 1;
      if (!joined) reject(err);
    });
    socket.on('close', (code) => {
      if (!joined) reject(new Error(`closed ${code} before hello`));
      else if (running) report.closedByServer += 1;
    });
  });
}

let failed = 0;
let firstError: string | null = null;
let jobs: Array<() => Promise<void>> | null = null;
let jobsDone = 0;

/** Opens sockets until `share` (0..1) of this process's plan is open; the chatters first. */
async function connectAll(p: LoadPlan, share: number) {
  const began = Date.now();
  const fail = (err: unknown) => {
    failed += 1;
    firstError ??= String(err);
  };
  if (!jobs) {
    jobs = [];
    for (const token of p.chatterTokens) {
      const url = `${p.roomUrl}?token=${encodeURIComponent(token)}`;
      jobs.push(() => open(url, () => undefined).then((s) => void chatters.push(s), fail));
    }
    // Then the likers (full `ws` clients), then the others, with the sampled viewers spread
    // evenly among them: a room writes to its viewers in the order they joined, and the
    // delay is measured across that whole order, not at its head.
    const likers = Math.min(p.likers, p.viewers);
    const rest = p.viewers - likers;
    const every = p.sampled > 0 ? rest / Math.min(p.sampled, rest) : Number.POSITIVE_INFINITY;
    for (let i = 0; i < p.viewers; i++) {
      const k = i - likers;
      const sampled = k >= 0 && Math.floor(k / every) !== Math.floor((k - 1) / every);
      if (i < likers) {
        jobs.push(() => open(p.roomUrl, onFrame).then((s) => void likerSockets.push(s), fail));
      } else if (sampled || !p.rawViewers) {
        const handler = sampled ? onSampledFrame : onFrame;
        jobs.push(() => open(p.roomUrl, handler).then((s) => void viewers.push(s), fail));
      } else {
        jobs.push(() => openReader(new URL(p.roomUrl)).then((s) => void readers.push(s), fail));
      }
    }
  }
  const all = jobs;
  const upTo =
    share >= 1
      ? all.length
      : Math.min(all.length, p.chatterTokens.length + Math.round(share * p.viewers));
  await Promise.all(
    Array.from({ length: p.connectConcurrency }, async () => {
      while (jobsDone < upTo) await all[jobsDone++]!();
    }),
  );
  send({
    type: 'connected',
    open: viewers.length + likerSockets.length + readers.length + chatters.length,
    failed,
    firstError,
    ms: Date.now() - began,
  });
}

/** Sends at a steady rate: each 5 ms, whatever the clock says is due. */
function paced(perSecond: number, until: number, sendOne: (n: number) => void) {
  if (perSecond <= 0) return;
  let sent = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    const due = Math.floor(((Math.min(now, until) - startAt) * perSecond) / 1000);
    for (; sent < due; sent++) sendOne(sent);
    if (now >= until) clearInterval(timer);
  }, 5);
}

function run(seconds: number) {
  const p = plan!;
  running = true;
  const until = startAt + seconds * 1000;
  const likers = likerSockets;
  // Padding to a typical line: "bench <ms> <n> " then a question in Chinese.
  paced(p.linesPerSecond, until, (n) => {
    const socket = chatters[n % chatters.length];
    if (socket?.readyState !== WebSocket.OPEN) return;
    socket.send(
      JSON.stringify({
        type: 'chat',
        text: `${CHAT_PREFIX} ${Date.now()} ${n} | 这批西红柿今天能发货吗？`,
      }),
    );
    report.linesSent += 1;
  });
  paced(p.likesPerSecond, until, (n) => {
    const socket = likers[n % likers.length];
    if (socket?.readyState !== WebSocket.OPEN) return;
    socket.send('{"type":"like"}');
    report.likesSent += 1;
  });
}

function snapshot(): LoadReport {
  const last = (a: Float64Array) => {
    let n = a.length;
    while (n > 0 && a[n - 1] === 0) n -= 1;
    return Array.from(a.subarray(0, n));
  };
  const delayHistogram: Array<[number, number]> = [];
  report.histogram.forEach((count, ms) => {
    if (count > 0) delayHistogram.push([ms, count]);
  });
  return {
    chatsPerSecond: last(report.chatsPerSecond),
    framesPerSecond: last(report.framesPerSecond),
    bytesPerSecond: last(report.bytesPerSecond),
    delayHistogram,
    linesSent: report.linesSent,
    likesSent: report.likesSent,
    closedByServer: report.closedByServer,
    errors: report.errors,
  };
}
