import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

/**
 * Real servers and real clients for tests and benchmarks: a server process started the way
 * production starts it (`node --import tsx packages/server/src/main.ts`), and WebSocket
 * clients of a live room that keep every event they receive.
 */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const MAIN = 'packages/server/src/main.ts';
const OUTPUT_KEPT_CHARS = 64 * 1024;

/** A port nobody listens on right now (the OS picks it; another process could still take it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface ServerProcess {
  pid: number;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  dataDir: string;
  child: ChildProcess;
  /** What the process wrote to stdout and stderr (the last 64 KB): put it in failure messages. */
  output(): string;
  /** Null while running. */
  exitCode(): number | null;
  /** SIGTERM (a clean shutdown), then SIGKILL when it takes longer than `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: a crash, no shutdown hooks. */
  kill(): Promise<void>;
}

export interface ServerProcessOptions {
  /** Added to (and overriding) the defaults below; `undefined` removes a default. */
  env?: Record<string, string | undefined>;
  port?: number;
  /** Raise the open-files limit of the server (`ulimit -n`), capped at the hard limit. */
  openFiles?: number;
  /** Extra arguments for node itself, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** A command the server runs under, e.g. `['taskset', '-c', '0']` to pin it to one core. */
  runUnder?: string[];
  readyTimeoutMs?: number;
}

/**
 * Starts a server process and resolves once `/api/v1/health` answers. The defaults: a fresh
 * DATA_DIR (embedded PGlite unless DATABASE_URL is given), NODE_ENV=test, LOG_LEVEL=warn,
 * 127.0.0.1 and a free port. Nothing is inherited from this process's environment but PATH
 * and HOME, so a test's TEST_* variables never leak into the server.
 */
export async function startServerProcess(opts: ServerProcessOptions = {}): Promise<ServerProcess> {
  const port = opts.port ?? (await freePort());
  const ownDataDir = opts.env?.DATA_DIR === undefined;
  const dataDir = opts.env?.DATA_DIR ?? mkdtempSync(path.join(tmpdir(), 'cunbo-proc-'));
  const env: Record<string, string> = {};
  const defaults = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    // Test servers share the machine: no RTMP listener unless a test asks for one.
    RTMP_PORT: '0',
  };
  for (const [key, value] of Object.entries({ ...defaults, ...opts.env })) {
    if (value !== undefined) env[key] = value;
  }

  const node = [
    ...(opts.runUnder ?? []),
    process.execPath,
    ...(opts.nodeArgs ?? []),
    '--import',
    'tsx',
    MAIN,
  ];
  // `exec` keeps one process: the pid we hold is the server's, and signals reach it.
  const child = opts.openFiles
    ? spawn(
        '/bin/bash',
        [
          '-c',
          'ulimit -n "$(( $1 < $(ulimit -Hn) ? $1 : $(ulimit -Hn) ))" && shift && exec "$@"',
          'bash',
          String(opts.openFiles),
          ...node,
        ],
        {
          cwd: REPO_ROOT,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
    : spawn(node[0]!, node.slice(1), { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });

  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > OUTPUT_KEPT_CHARS) output = output.slice(-OUTPUT_KEPT_CHARS);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exitCode: number | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? 128 : 1);
      resolve();
    }),
  );
  const cleanup = () => {
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const stopWith = async (graceMs: number) => {
    if (exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    cleanup();
  };

  const server: ServerProcess = {
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    child,
    output: () => output,
    exitCode: () => exitCode,
    stop: (graceMs = 10_000) => stopWith(graceMs),
    async kill() {
      if (exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      cleanup();
    },
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exitCode !== null) {
      cleanup();
      throw new Error(`server process exited with ${exitCode} before it was ready:\n${output}`);
    }
    try {
      const res = await fetch(`${server.url}/api/v1/health`, {
        signal: AbortSignal.timeout(2_000),
      });
      if (res.ok) return server;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await server.kill();
      throw new Error(
        `server process not ready within ${opts.readyTimeoutMs ?? 60_000} ms:\n${output}`,
      );
    }
    await delay(100);
  }
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An API answer as a test reads it: the status and the JSON body (null when not JSON). */
export interface ApiAnswer<T> {
  status: number;
  body: T;
}

/**
 * Calls `/api/v1<url>` of a server with a JSON body (when given) and reads the JSON answer.
 * `T` names only the fields the test reads; nothing checks them.
 */
export async function callApi<T>(
  server: { url: string },
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiAnswer<T>> {
  const res = await fetch(`${server.url}/api/v1${url}`, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as T };
}

/** What one request of a kill -9 stream reports: the id the API confirmed, or nothing. */
export type StreamedRequest = { confirmed: string } | 'stop' | null;

/**
 * A server whose data outlives its process, for kill -9 tests: a data directory of its own
 * (and the database in `env.DATABASE_URL`, when given) that the next process starts on.
 */
export interface CrashableServer {
  /** The process running now; after `killMidStream`, the one started again on the same data. */
  readonly server: ServerProcess;
  /**
   * Keeps `clients` loops of `send` going against the server, kills it with SIGKILL the
   * instant `killAfter` requests are confirmed, waits until every loop has ended and the
   * process is gone, and starts a new process on the same data. Each `send` makes one request
   * and answers `{ confirmed: id }` for a confirmed one, `null` for any other answer, or
   * `'stop'` to end its loop (sold out, say). A failed request ends its loop too: the
   * connection died with the server. Resolves with the ids confirmed before the kill.
   */
  killMidStream(opts: {
    clients: number;
    killAfter: number;
    send: (server: ServerProcess) => Promise<StreamedRequest>;
  }): Promise<string[]>;
  /** Kills the process (if any), drops the database (if given) and removes the data directory. */
  dispose(): Promise<void>;
}

/**
 * Starts a `CrashableServer`. With `database` (from `createTestDatabase()`: null on PGlite)
 * the processes use it as DATABASE_URL and `dispose` drops it.
 */
export async function startCrashableServer(
  opts: ServerProcessOptions & {
    database?: { url: string; drop(): Promise<void> } | null;
  } = {},
): Promise<CrashableServer> {
  const { database, ...serverOpts } = opts;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cunbo-crash-'));
  const env = { ...opts.env, DATA_DIR: dataDir, ...(database && { DATABASE_URL: database.url }) };
  const start = () => startServerProcess({ ...serverOpts, env });
  let server: ServerProcess | null = null;
  const dispose = async () => {
    await server?.kill();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    server = await start();
  } catch (err) {
    await dispose();
    throw err;
  }
  const current = () => {
    if (!server) throw new Error('the server process did not start again after the kill');
    return server;
  };
  return {
    get server() {
      return current();
    },
    async killMidStream({ clients, killAfter, send }) {
      const before = current();
      const confirmed: string[] = [];
      let killing = false;
      let running = clients;
      const loops = Array.from({ length: clients }, async () => {
        try {
          while (!killing) {
            const answer = await send(before);
            if (answer === 'stop') return;
            if (answer) confirmed.push(answer.confirmed);
          }
        } catch {
          // The connection died with the server.
        } finally {
          running -= 1;
        }
      });
      while (confirmed.length < killAfter) {
        if (running === 0) {
          throw new Error(
            `every client stopped after ${confirmed.length} of ${killAfter} confirmed requests`,
          );
        }
        await delay(2);
      }
      killing = true;
      server = null;
      await before.kill();
      await Promise.all(loops);
      server = await start();
      return confirmed;
    },
    dispose,
  };
}

/**
 * Polls `check` until it returns something truthy and returns that. Tests wait for
 * conditions with it, never for a fixed time.
 */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string | (() => string) } = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) {
      const what = typeof opts.what === 'function' ? opts.what() : (opts.what ?? 'condition');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await delay(opts.intervalMs ?? 10);
  }
}

/** A server event as received; batches are unpacked into their events. */
export interface ReceivedEvent {
  type: string;
  seq?: number;
  // Tests read nested payloads freely; the shapes are asserted with expect().
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A live-room WebSocket client that records every event it receives, in order. */
export class RoomSocket {
  readonly events: ReceivedEvent[] = [];
  /** Frames as received (a batch is one frame). */
  frames = 0;
  closed: { code: number; reason: string } | null = null;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.frames += 1;
      const event = JSON.parse(data.toString('utf8')) as ReceivedEvent;
      if (event.type === 'batch') this.events.push(...(event.events as ReceivedEvent[]));
      else this.events.push(event);
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    socket.on('error', () => undefined);
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  ofType(type: string): ReceivedEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Sequenced events (everything the room sent to all), in order of receipt. */
  sequenced(): ReceivedEvent[] {
    return this.events.filter((e) => typeof e.seq === 'number' && e.type !== 'hello');
  }

  /** Sends an event as JSON, or a string or buffer as it is. */
  send(data: unknown): void {
    this.socket.send(
      typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data),
    );
  }

  /** The first event received (so far or later) that matches. */
  waitFor(
    type: string,
    match: (event: ReceivedEvent) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<ReceivedEvent> {
    return waitUntil(() => this.events.find((e) => e.type === type && match(e)), {
      timeoutMs,
      what: () => `a "${type}" event; got ${JSON.stringify(this.events.map((e) => e.type))}`,
    });
  }

  /** Round trip: everything the server sent this socket before answering is in `events`. */
  async ping(): Promise<void> {
    const before = this.ofType('pong').length;
    this.send({ type: 'ping' });
    await waitUntil(() => this.ofType('pong').length > before, { what: 'pong' });
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.close();
    await closed;
  }
}

/**
 * Opens a live room as a viewer (with `token` as a signed-in user) and resolves with the
 * first thing the server says: `hello`, or an `error` before it closes the socket.
 */
export async function openRoom(
  baseUrl: string,
  liveId: string,
  opts: { token?: string; since?: number } = {},
): Promise<RoomSocket> {
  const url = new URL(`/api/v1/lives/${liveId}/ws`, baseUrl.replace(/^http/, 'ws'));
  if (opts.token) url.searchParams.set('token', opts.token);
  if (opts.since !== undefined) url.searchParams.set('since', String(opts.since));
  const room = new RoomSocket(new WebSocket(url));
  await new Promise<void>((resolve, reject) => {
    room.socket.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`HTTP ${res.statusCode} instead of a WebSocket`));
    });
    room.socket.once('error', reject);
    room.socket.once('close', () => resolve());
    room.socket.once('message', () => resolve());
  });
  return room;
}

/** The `hello` a room socket got when it joined. */
export function helloOf(room: RoomSocket): ReceivedEvent {
  const hello = room.events[0];
  if (hello?.type !== 'hello')
    throw new Error(`expected hello first, got ${JSON.stringify(hello)}`);
  return hello;
}
