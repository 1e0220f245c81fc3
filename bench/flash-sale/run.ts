/**
 * Flash-sale benchmark: N signed-in buyers (bearer tokens) in separate load processes race
 * for the units of one flash offer over loopback HTTP, each tapping again after a win until
 * refused. Per engine (PGlite, PostgreSQL) it runs, against a real server process:
 *   flash   POST /offers/:id/claims (batched group commit, the real path)
 *   plain   POST /orders on an ordinary product: one transaction per order that locks the
 *           product row (the baseline)
 *   kill    the flash sale again, the server killed with SIGKILL mid-sale and restarted:
 *           every 201 answered before the kill must be in the database
 *   ceiling every buyer GETs /health once, over the same connections: the answers per second
 *           this machine gives when an answer costs nothing but HTTP (no auth, no database),
 *           the bound on any of the runs above
 *   flash2  (PostgreSQL only) the flash sale served by two server processes sharing the
 *           database and Redis, each load process talking to one of them: what a second
 *           core buys when the load generator shares the machine
 * and reports confirmed orders/s (first to last 201), p50/p99 request→answer, oversold units,
 * confirmed orders missing after the kill, and the CPU that the server processes and the load
 * processes used during the race (from /proc and process.cpuUsage). JSON on stdout and in
 * bench/results/, a table on stderr.
 *
 *   npx tsx bench/flash-sale/run.ts --buyers 10000 --units 1000
 *   npx tsx bench/flash-sale/run.ts --buyers 10000 --units 20000 --engines postgres
 *
 * Users are inserted before the timed part with the app's own repos, from this process,
 * straight into the database while no server runs (argon2 sign-ups would take minutes).
 * The server runs with RATE_LIMIT_MULTIPLIER=100000 so that rate limits are not what is
 * measured. A benchmark, never a test: figures depend on the machine. See docs/benchmarks.md.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openDatabase, type Database } from '../../packages/server/src/db/client.ts';
import { accountsRepo } from '../../packages/server/src/modules/accounts/accounts.repo.ts';
import { hashToken } from '../../packages/server/src/modules/accounts/accounts.service.ts';
import { hashPassword } from '../../packages/server/src/modules/accounts/password.ts';
import {
  REPO_ROOT,
  startServerProcess,
  type ServerProcess,
} from '../../packages/server/src/test/process-harness.ts';
import type { LoadAnswer, LoadPlan } from './load.ts';

const { values: args } = parseArgs({
  options: {
    buyers: { type: 'string', default: '10000' },
    units: { type: 'string', default: '1000' },
    engines: { type: 'string', default: 'pglite,postgres' },
    runs: { type: 'string', default: 'flash,plain,kill' },
    clients: { type: 'string', default: '2' },
    /** Keep-alive sockets per load process; buyers beyond them wait their turn in the client. */
    connections: { type: 'string', default: '256' },
    /** The load processes' HTTP client: the lean one (raw-http.ts) or undici, to compare. */
    client: { type: 'string', default: 'raw' },
    /** The kill run: SIGKILL once this share of the units was confirmed (percent). */
    'kill-at-percent': { type: 'string', default: '40' },
    /** An admin URL of a PostgreSQL server (fsync on), e.g. scripts/services.sh's. */
    'pg-url': {
      type: 'string',
      default: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:55462/cunbo_test',
    },
    /** A Redis for the flash2 run's two processes, e.g. scripts/services.sh's. */
    'redis-url': {
      type: 'string',
      default: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:56379',
    },
    port: { type: 'string', default: '3330' },
    /** e.g. --server-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server. */
    'server-node-args': { type: 'string' },
    out: { type: 'string' },
  },
});
const int = (v: string, name: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) fail(`--${name} must be a positive whole number`);
  return n;
};
const opt = {
  buyers: int(args.buyers, 'buyers'),
  units: int(args.units, 'units'),
  engines: args.engines.split(',') as Array<'pglite' | 'postgres'>,
  runs: args.runs.split(',') as Array<'flash' | 'plain' | 'kill' | 'flash2' | 'ceiling'>,
  clients: int(args.clients, 'clients'),
  killAtPercent: int(args['kill-at-percent'], 'kill-at-percent'),
  port: int(args.port, 'port'),
};
const connections = int(args.connections, 'connections');
const client = args.client as LoadPlan['client'];
if (client !== 'raw' && client !== 'undici') fail('--client must be raw or undici');

function fail(message: string): never {
  console.error(`bench/flash-sale: ${message}`);
  process.exit(1);
}
const log = (message: string) =>
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const LOAD_SCRIPT = path.join(REPO_ROOT, 'bench/flash-sale/load.ts');

interface Engine {
  name: 'pglite' | 'postgres';
  env: Record<string, string>;
  databaseUrl: string | undefined;
  dataDir: string;
  drop(): Promise<void>;
}

async function makeEngine(name: Engine['name']): Promise<Engine> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cunbo-bench-flash-'));
  const base = { DATA_DIR: dataDir, RATE_LIMIT_MULTIPLIER: '100000', LOG_LEVEL: 'warn' };
  if (name === 'pglite') {
    return {
      name,
      env: base,
      databaseUrl: undefined,
      dataDir,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const admin = args['pg-url'];
  const db = `cunbo_bench_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  const fsync = (await client.query('show fsync')).rows[0].fsync as string;
  if (fsync !== 'on')
    fail(`PostgreSQL at ${admin} runs with fsync=${fsync}; the figures need it on`);
  await client.query(`create database ${db}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${db}`;
  return {
    name,
    env: { ...base, DATABASE_URL: url.toString() },
    databaseUrl: url.toString(),
    dataDir,
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${db} with (force)`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const start = (engine: Engine, index = 0, env: Record<string, string> = {}) =>
  startServerProcess({
    env: { ...engine.env, ...env },
    port: opt.port + index,
    openFiles: 65_536,
    nodeArgs: args['server-node-args']?.split(' ').filter(Boolean),
    readyTimeoutMs: 180_000,
  });

async function api(
  server: ServerProcess,
  method: string,
  url: string,
  body?: unknown,
  token?: string,
): Promise<Record<string, { id: string }> & { token: string }> {
  const res = await fetch(`${server.url}/api/v1${url}`, {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, { id: string }> & { token: string };
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Buyers and their sessions, written with the app's repos while no server runs. */
async function seedBuyers(engine: Engine, count: number): Promise<string[]> {
  const database: Database = await openDatabase(engine.databaseUrl, engine.dataDir);
  const repo = accountsRepo(database.db);
  const passwordHash = await hashPassword('bench buyer password');
  const tokens: string[] = [];
  const expiresAt = new Date(Date.now() + 86_400_000);
  const CHUNK = 50;
  for (let i = 0; i < count; i += CHUNK) {
    await Promise.all(
      Array.from({ length: Math.min(CHUNK, count - i) }, async (_, j) => {
        const user = await repo.insertUser({
          email: `buyer${i + j}-${randomUUID().slice(0, 8)}@bench.cunbo`,
          passwordHash,
          displayName: `Buyer ${i + j}`,
          role: 'buyer',
        });
        const token = randomBytes(24).toString('base64url');
        await repo.insertSession({
          tokenHash: hashToken(token),
          userId: user!.id,
          csrfToken: randomBytes(16).toString('base64url'),
          expiresAt,
        });
        tokens.push(token);
      }),
    );
  }
  await database.close();
  return tokens;
}

/**
 * CPU seconds that every PostgreSQL server process on this machine (backends, WAL writer,
 * checkpointer…) has used so far, from /proc: the database's share of the two cores. Zero
 * for PGlite, which runs inside the server process.
 */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === 'postgres')
        total += cpuSecondsOf(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function race(
  servers: ServerProcess[],
  mode: LoadPlan['mode'],
  targetId: string,
  tokens: string[],
  killAtWins?: number,
): Promise<{
  answers: LoadAnswer[];
  startAt: number;
  killedAt: number | null;
  cpu: {
    serverSeconds: number;
    loadSeconds: number;
    postgresSeconds: number;
    wallSeconds: number;
  };
}> {
  const startAt = Date.now() + 2_000;
  const serverCpuBefore = servers.map((s) => cpuSecondsOf(s.pid));
  const postgresCpuBefore = postgresCpuSeconds();
  let postgresSeconds: number | null = null;
  const share = Math.ceil(tokens.length / opt.clients);
  const children: ChildProcess[] = [];
  let wins = 0;
  let killedAt: number | null = null;
  let loadSeconds = 0;
  let lastAnswerAt = startAt;
  let serverSeconds: number | null = null;
  const results = Array.from({ length: opt.clients }, (_, i) => {
    const child = fork(LOAD_SCRIPT, [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    children.push(child);
    const plan: LoadPlan = {
      url: servers[i % servers.length]!.url,
      mode,
      targetId,
      tokens: tokens.slice(i * share, (i + 1) * share),
      startAt,
      connections,
      client,
      reportWins: killAtWins !== undefined,
    };
    child.send(plan);
    return new Promise<LoadAnswer[]>((resolve, reject) => {
      child.on('message', (m: { type: string; answers: LoadAnswer[]; cpuSeconds: number }) => {
        if (m.type === 'done') {
          loadSeconds += m.cpuSeconds;
          resolve(m.answers);
        } else if (m.type === 'won' && killAtWins !== undefined && ++wins === killAtWins) {
          killedAt = Date.now();
          serverSeconds = servers.reduce(
            (n, s, j) => n + cpuSecondsOf(s.pid) - serverCpuBefore[j]!,
            0,
          );
          postgresSeconds = postgresCpuSeconds() - postgresCpuBefore;
          for (const server of servers) server.child.kill('SIGKILL');
          log(`server killed (SIGKILL) after ${wins} confirmed orders`);
        }
      });
      child.on('exit', (code) => code !== 0 && reject(new Error(`load process exited ${code}`)));
    });
  });
  const answers = (await Promise.all(results)).flat();
  const dead = killAtWins === undefined ? servers.find((s) => s.exitCode() !== null) : undefined;
  if (dead) fail(`the server on port ${dead.port} died in the race:\n${dead.output()}`);
  for (const a of answers) lastAnswerAt = Math.max(lastAnswerAt, a.answeredAt);
  serverSeconds ??= servers.reduce((n, s, j) => n + cpuSecondsOf(s.pid) - serverCpuBefore[j]!, 0);
  postgresSeconds ??= postgresCpuSeconds() - postgresCpuBefore;
  return {
    answers,
    startAt,
    killedAt,
    cpu: {
      serverSeconds: round(serverSeconds, 2),
      loadSeconds: round(loadSeconds, 2),
      postgresSeconds: round(postgresSeconds, 2),
      wallSeconds: round((lastAnswerAt - startAt) / 1000, 2),
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summarise(answers: LoadAnswer[]) {
  const won = answers.filter((a) => a.status === 201);
  const latency = answers.map((a) => a.answeredAt - a.sentAt).sort((a, b) => a - b);
  const wonLatency = won.map((a) => a.answeredAt - a.sentAt).sort((a, b) => a - b);
  const first = Math.min(...won.map((a) => a.answeredAt));
  const last = Math.max(...won.map((a) => a.answeredAt));
  const seconds = (last - first) / 1000;
  const firstSent = Math.min(...answers.map((a) => a.sentAt));
  const lastAnswered = Math.max(...answers.map((a) => a.answeredAt));
  const codes: Record<string, number> = {};
  for (const a of answers)
    if (a.status !== 201)
      codes[a.code ?? String(a.status)] = (codes[a.code ?? String(a.status)] ?? 0) + 1;
  return {
    requests: answers.length,
    confirmed: won.length,
    refused: codes,
    answeredPerSecond:
      answers.length > 0 ? Math.round(answers.length / ((lastAnswered - firstSent) / 1000)) : null,
    confirmedPerSecond:
      won.length > 1 && seconds > 0 ? Math.round((won.length - 1) / seconds) : null,
    firstToLastConfirmedMs: won.length > 0 ? round(last - first) : null,
    latencyMs: { p50: round(percentile(latency, 50)), p99: round(percentile(latency, 99)) },
    confirmedLatencyMs: {
      p50: round(percentile(wonLatency, 50)),
      p99: round(percentile(wonLatency, 99)),
    },
  };
}

/** What the database says after the run (the server stopped): sold units and missing orders. */
async function check(
  engine: Engine,
  target: { offerId?: string; productId?: string; quantity: number },
  confirmedIds: string[],
) {
  const database = await openDatabase(engine.databaseUrl, engine.dataDir);
  try {
    const query = async <T>(q: ReturnType<typeof sql>) =>
      ((await database.db.execute(q)) as unknown as { rows: T[] }).rows;
    const units = target.offerId
      ? (
          await query<{ units: number; taken: number }>(
            sql`select coalesce(sum(i.quantity), 0)::int as units, (select taken from flash_offers where id = ${target.offerId}) as taken from orders o join order_items i on i.order_id = o.id where o.offer_id = ${target.offerId}`,
          )
        )[0]!
      : (
          await query<{ units: number; taken: number }>(
            sql`select coalesce(sum(quantity), 0)::int as units, 0 as taken from order_items where product_id = ${target.productId}`,
          )
        )[0]!;
    let found = 0;
    for (let i = 0; i < confirmedIds.length; i += 1000) {
      const ids = confirmedIds.slice(i, i + 1000);
      const rows = await query<{ n: number }>(
        sql`select count(*)::int as n from orders where id = any(${sql.param(ids)}::uuid[])`,
      );
      found += rows[0]!.n;
    }
    return {
      unitsSold: Number(units.units),
      oversoldUnits: Math.max(0, Number(units.units) - target.quantity),
      takenMatchesOrders: target.offerId ? Number(units.taken) === Number(units.units) : null,
      confirmedMissing: confirmedIds.length - found,
    };
  } finally {
    await database.close();
  }
}

async function runEngine(name: Engine['name']) {
  const engine = await makeEngine(name);
  const results: Array<Record<string, unknown>> = [];
  try {
    log(`${name}: starting the server to create the shop`);
    let server = await start(engine);
    const seller = (
      await api(server, 'POST', '/auth/register', {
        email: `seller-${randomUUID()}@bench.cunbo`,
        password: 'bench seller password',
        displayName: 'Bench farm',
        role: 'seller',
      })
    ).token;
    await api(server, 'PUT', '/shop', { name: 'Bench farm', regionCode: '370783' }, seller);
    const product = async (stock: number) =>
      (
        await api(
          server,
          'POST',
          '/products',
          { title: 'Kiwi', unit: 'box', price: 3000, stock },
          seller,
        )
      ).product!.id;
    // Each flash-like run opens its own offer of `units`, taken out of this product's stock.
    const offers = opt.runs.filter((r) => r === 'flash' || r === 'flash2' || r === 'kill').length;
    const flashProduct = await product(opt.units * Math.max(1, offers));
    const plainProduct = await product(opt.units);
    const live = (
      await api(server, 'POST', '/lives', { title: 'Kiwi', productIds: [flashProduct] }, seller)
    ).live!.id;
    await api(server, 'POST', `/lives/${live}/start`, undefined, seller);
    await server.stop();
    log(`${name}: inserting ${opt.buyers} buyers and their sessions`);
    const tokens = await seedBuyers(engine, opt.buyers);

    for (const run of opt.runs) {
      if (run === 'flash2' && name !== 'postgres') {
        log(`${name} flash2: skipped (two processes need PostgreSQL)`);
        continue;
      }
      const shared: Record<string, string> =
        run === 'flash2' ? { REDIS_URL: args['redis-url'] } : {};
      server = await start(engine, 0, shared);
      const servers = [server];
      if (run === 'flash2') servers.push(await start(engine, 1, shared));
      let target: { offerId?: string; productId?: string; quantity: number };
      if (run === 'ceiling') target = { quantity: 0 };
      else if (run === 'plain') target = { productId: plainProduct, quantity: opt.units };
      else {
        const offer = (
          await api(
            server,
            'POST',
            `/lives/${live}/offers`,
            {
              productId: flashProduct,
              price: 1990,
              quantity: opt.units,
              perBuyerLimit: opt.units,
              durationSeconds: 3600,
            },
            seller,
          )
        ).offer!.id;
        target = { offerId: offer, quantity: opt.units };
      }
      log(`${name} ${run}: ${opt.buyers} buyers race for ${opt.units} units`);
      const { answers, killedAt, cpu } = await race(
        servers,
        run === 'plain' || run === 'ceiling' ? run : 'flash',
        target.offerId ?? target.productId ?? '',
        tokens,
        run === 'kill' ? Math.max(1, Math.floor((opt.units * opt.killAtPercent) / 100)) : undefined,
      );
      const confirmedBeforeKill = answers
        // Every 201 a buyer received, even one read just after the kill, was sent before it.
        .filter((a) => a.status === 201)
        .map((a) => a.orderId!);
      if (run === 'kill') {
        log(`${name} kill: restarting the server`);
        server = await start(engine);
      }
      for (const s of servers.slice(1)) await s.stop();
      await server.stop();
      const db = run === 'ceiling' ? {} : await check(engine, target, confirmedBeforeKill);
      const summary = {
        engine: name,
        run,
        units: opt.units,
        buyers: opt.buyers,
        killedAfterConfirmed:
          killedAt === null
            ? null
            : answers.filter((a) => a.status === 201 && a.answeredAt <= killedAt!).length,
        servers: servers.length,
        ...summarise(answers),
        ...db,
        cpu,
      };
      log(JSON.stringify(summary));
      results.push(summary);
    }
  } finally {
    await engine.drop();
  }
  return results;
}

function table(results: Array<Record<string, unknown>>): string {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const rows: Array<[string, (r: Record<string, any>) => unknown]> = [
    ['answers/s (all)', (r) => r.answeredPerSecond],
    ['confirmed orders', (r) => r.confirmed],
    ['confirmed orders/s', (r) => r.confirmedPerSecond],
    ['first→last 201 (ms)', (r) => r.firstToLastConfirmedMs],
    ['p50 request→answer (ms)', (r) => r.latencyMs.p50],
    ['p99 request→answer (ms)', (r) => r.latencyMs.p99],
    ['p99 of the 201s (ms)', (r) => r.confirmedLatencyMs.p99],
    ['oversold units', (r) => r.oversoldUnits ?? '-'],
    ['confirmed then missing', (r) => r.confirmedMissing ?? '-'],
    ['refused', (r) => JSON.stringify(r.refused)],
    [
      'CPU s: servers / load / postgres',
      (r) => `${r.cpu.serverSeconds} / ${r.cpu.loadSeconds} / ${r.cpu.postgresSeconds}`,
    ],
    [
      'cores used by the race (%)',
      (r) =>
        `${Math.round(
          ((r.cpu.serverSeconds + r.cpu.loadSeconds + r.cpu.postgresSeconds) /
            (r.cpu.wallSeconds * os.availableParallelism())) *
            100,
        )} %`,
    ],
    ['race wall time (s)', (r) => r.cpu.wallSeconds],
  ];
  const header = ['', ...results.map((r) => `${r.engine} ${r.run}`)];
  const cells = [
    header,
    ...rows.map(([name, get]) => [name, ...results.map((r) => String(get(r)))]),
  ];
  const widths = header.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells.map((c) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ')).join('\n');
}

async function main() {
  const results: Array<Record<string, unknown>> = [];
  const loadBefore = os.loadavg();
  for (const engine of opt.engines) results.push(...(await runEngine(engine)));
  const output = {
    bench: 'flash-sale',
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      loadavgBefore: loadBefore,
      loadavgAfter: os.loadavg(),
    },
    options: { ...opt, connections, client, rateLimitMultiplier: 100_000 },
    results,
  };
  const json = JSON.stringify(output, null, 2);
  console.log(json);
  console.error(`\n${table(results)}`);
  mkdirSync(path.join(REPO_ROOT, 'bench/results'), { recursive: true });
  const file =
    args.out ??
    path.join(REPO_ROOT, 'bench/results', `flash-sale-${output.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${json}\n`);
  log(`written to ${file}`);
}

await main();
