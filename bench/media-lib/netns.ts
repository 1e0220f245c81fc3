/**
 * An impaired network path for a publisher, without netem (this kernel has no sch_netem):
 *
 *   root namespace (server, viewers)          cbmrtr (router)                 cbmpub (publisher)
 *   cbm0 10.213.1.1 ─────veth───── cbm1 10.213.1.2   cbm2 10.213.2.1 ─────veth───── cbm3 10.213.2.2
 *                                      │   ▲ policy routing: whatever comes in on cbm1/cbm2
 *                                      ▼   │ goes out through the TUN device cbmtun
 *                                  delay-line.py (holds each packet for its direction's delay)
 *
 * - delay: `delay-line.py` on the TUN device in the router namespace;
 * - loss: nftables in the router's forward hook, `numgen random mod 10000 < n drop`, per direction;
 * - rate: tbf on the router's egress (cbm1 towards the server, cbm2 towards the publisher).
 *
 * Everything is named `cbm…` and removed on exit and before a new run. Needs root, `ip`,
 * `tc`, `nft` (Debian: nftables) and python3.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../packages/server/src/test/process-harness.ts';

export const PUBLISHER_NETNS = 'cbmpub';
const ROUTER_NETNS = 'cbmrtr';
/** The root namespace's end: the server is reached here from the publisher namespace. */
export const SERVER_ADDRESS = '10.213.1.1';
const ROUTER_UP = '10.213.1.2';
const ROUTER_DOWN = '10.213.2.1';
const PUBLISHER_ADDRESS = '10.213.2.2';
const PUBLISHER_NET = '10.213.2.0/30';
const TUN = 'cbmtun';
const ROUTE_TABLE = '100';
const DELAY_LINE = path.join(REPO_ROOT, 'bench/media-lib/delay-line.py');

/** One direction of the path. */
export interface Direction {
  delayMs: number;
  lossPercent: number;
  /** Bottleneck rate; undefined: unlimited. */
  rateKbit?: number;
  /** How much the bottleneck may queue before it drops (tbf latency). */
  queueMs?: number;
}

/** `up`: publisher → server (media); `down`: server → publisher (feedback, signalling). */
export interface Impairment {
  up: Direction;
  down: Direction;
}

export const CLEAN: Direction = { delayMs: 0, lossPercent: 0 };

const run = (cmd: string, args: string[], input?: string) =>
  execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
const inRouter = (cmd: string, ...args: string[]) =>
  run('ip', ['netns', 'exec', ROUTER_NETNS, cmd, ...args]);
const tryRun = (cmd: string, args: string[]) => {
  try {
    run(cmd, args);
  } catch {
    // Not there: nothing to remove.
  }
};

export function describe(d: Direction): string {
  const parts = [`${d.delayMs} ms`, `${d.lossPercent} % loss`];
  if (d.rateKbit) parts.push(`${d.rateKbit} kbit/s (queue ${d.queueMs ?? 200} ms)`);
  return parts.join(', ');
}

/** Whether the machine can build the path; a sentence saying what is missing otherwise. */
export function missingTools(): string | null {
  if (process.getuid?.() !== 0) return 'the impaired path needs root (network namespaces)';
  for (const tool of ['ip', 'tc', 'nft', 'python3']) {
    try {
      run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is missing${tool === 'nft' ? ' (bash scripts/ensure-system-deps.sh nftables)' : ''}`;
    }
  }
  return null;
}

/** Removes whatever an earlier run left (this module's names only). */
function removeLeftovers(): void {
  for (const ns of [PUBLISHER_NETNS, ROUTER_NETNS]) {
    let pids: string[];
    try {
      pids = run('ip', ['netns', 'pids', ns]).split('\n').filter(Boolean);
    } catch {
      continue;
    }
    // Only processes inside our own namespaces: a delay line or browser of a crashed run.
    for (const pid of pids) tryRun('kill', ['-9', pid]);
    tryRun('ip', ['netns', 'del', ns]);
  }
  tryRun('ip', ['link', 'del', 'cbm0']);
}

export class PublisherPath {
  private delayLine: ChildProcess | null = null;
  private current: Impairment | null = null;
  private destroyed = false;

  private constructor() {}

  /** Builds the namespaces, veth pairs and routes: a clean path until `impair` is called. */
  static create(): PublisherPath {
    removeLeftovers();
    const steps: Array<[string, ...string[]]> = [
      ['ip', 'netns', 'add', ROUTER_NETNS],
      ['ip', 'netns', 'add', PUBLISHER_NETNS],
      ['ip', 'link', 'add', 'cbm0', 'type', 'veth', 'peer', 'name', 'cbm1', 'netns', ROUTER_NETNS],
      [
        'ip',
        '-n',
        ROUTER_NETNS,
        'link',
        'add',
        'cbm2',
        'type',
        'veth',
        'peer',
        'name',
        'cbm3',
        'netns',
        PUBLISHER_NETNS,
      ],
      ['ip', 'addr', 'add', `${SERVER_ADDRESS}/30`, 'dev', 'cbm0'],
      ['ip', 'link', 'set', 'cbm0', 'up'],
      ['ip', 'route', 'add', PUBLISHER_NET, 'via', ROUTER_UP, 'dev', 'cbm0'],
      ['ip', '-n', ROUTER_NETNS, 'addr', 'add', `${ROUTER_UP}/30`, 'dev', 'cbm1'],
      ['ip', '-n', ROUTER_NETNS, 'addr', 'add', `${ROUTER_DOWN}/30`, 'dev', 'cbm2'],
      ['ip', '-n', ROUTER_NETNS, 'link', 'set', 'lo', 'up'],
      ['ip', '-n', ROUTER_NETNS, 'link', 'set', 'cbm1', 'up'],
      ['ip', '-n', ROUTER_NETNS, 'link', 'set', 'cbm2', 'up'],
      [
        'ip',
        'netns',
        'exec',
        ROUTER_NETNS,
        'sysctl',
        '-qw',
        'net.ipv4.ip_forward=1',
        'net.ipv4.conf.all.rp_filter=0',
        'net.ipv4.conf.default.rp_filter=0',
      ],
      ['ip', '-n', PUBLISHER_NETNS, 'addr', 'add', `${PUBLISHER_ADDRESS}/30`, 'dev', 'cbm3'],
      ['ip', '-n', PUBLISHER_NETNS, 'link', 'set', 'lo', 'up'],
      ['ip', '-n', PUBLISHER_NETNS, 'link', 'set', 'cbm3', 'up'],
      ['ip', '-n', PUBLISHER_NETNS, 'route', 'add', 'default', 'via', ROUTER_DOWN],
    ];
    const made = new PublisherPath();
    try {
      for (const [cmd, ...args] of steps) run(cmd, args);
    } catch (err) {
      removeLeftovers();
      throw err;
    }
    const cleanUp = () => made.destroySync();
    process.once('exit', cleanUp);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        cleanUp();
        process.exit(130);
      });
    }
    return made;
  }

  get impairment(): Impairment | null {
    return this.current;
  }

  /** Puts the impairment on the path (null: clean, no delay line in the way). */
  async impair(impairment: Impairment | null): Promise<void> {
    await this.clear();
    if (!impairment) return;
    const { up, down } = impairment;
    const delayLine = spawn(
      'ip',
      [
        'netns',
        'exec',
        ROUTER_NETNS,
        'python3',
        DELAY_LINE,
        '--dev',
        TUN,
        '--up-ms',
        String(up.delayMs),
        '--down-ms',
        String(down.delayMs),
        '--down-net',
        PUBLISHER_NET,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.delayLine = delayLine;
    await new Promise<void>((resolve, reject) => {
      delayLine.once('exit', (code) => reject(new Error(`delay line exited with ${code}`)));
      delayLine.stdout!.once('data', () => resolve());
    });
    inRouter('ip', 'link', 'set', TUN, 'up');
    inRouter('sysctl', '-qw', `net.ipv4.conf.${TUN}.rp_filter=0`);
    inRouter('ip', 'route', 'add', 'default', 'dev', TUN, 'table', ROUTE_TABLE);
    inRouter('ip', 'rule', 'add', 'iif', 'cbm1', 'lookup', ROUTE_TABLE, 'pref', '100');
    inRouter('ip', 'rule', 'add', 'iif', 'cbm2', 'lookup', ROUTE_TABLE, 'pref', '101');
    const drop = (out: string, d: Direction) =>
      d.lossPercent > 0
        ? `iifname "${TUN}" oifname "${out}" numgen random mod 10000 < ${Math.round(d.lossPercent * 100)} drop\n`
        : '';
    run(
      'ip',
      ['netns', 'exec', ROUTER_NETNS, 'nft', '-f', '-'],
      `table ip cbm {\n chain forward {\n  type filter hook forward priority 0; policy accept;\n` +
        `  ${drop('cbm1', up)}  ${drop('cbm2', down)} }\n}\n`,
    );
    const shape = (dev: string, d: Direction) => {
      if (!d.rateKbit) return;
      // A burst of about 2 full packets: the rate holds over short intervals too.
      inRouter(
        'tc',
        'qdisc',
        'add',
        'dev',
        dev,
        'root',
        'tbf',
        'rate',
        `${d.rateKbit}kbit`,
        'burst',
        '3000',
        'latency',
        `${d.queueMs ?? 200}ms`,
      );
    };
    shape('cbm1', up);
    shape('cbm2', down);
    this.current = impairment;
  }

  /** Counters of the path: packets through the delay line and the tbf drops. */
  tbfStats(): string {
    return ['cbm1', 'cbm2']
      .map((dev) => inRouter('tc', '-s', 'qdisc', 'show', 'dev', dev))
      .join('');
  }

  private async clear(): Promise<void> {
    const delayLine = this.delayLine;
    this.delayLine = null;
    if (delayLine && delayLine.exitCode === null) {
      const exited = new Promise((resolve) => delayLine.once('exit', resolve));
      delayLine.kill('SIGTERM');
      await exited;
    }
    for (const pref of ['100', '101'])
      tryRun('ip', ['netns', 'exec', ROUTER_NETNS, 'ip', 'rule', 'del', 'pref', pref]);
    tryRun('ip', ['netns', 'exec', ROUTER_NETNS, 'nft', 'delete', 'table', 'ip', 'cbm']);
    for (const dev of ['cbm1', 'cbm2'])
      tryRun('ip', ['netns', 'exec', ROUTER_NETNS, 'tc', 'qdisc', 'del', 'dev', dev, 'root']);
    this.current = null;
  }

  async destroy(): Promise<void> {
    await this.clear();
    this.destroySync();
  }

  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.delayLine?.exitCode === null) this.delayLine.kill('SIGKILL');
    removeLeftovers();
  }
}
