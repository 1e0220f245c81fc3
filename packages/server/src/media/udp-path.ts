import type { Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { RTCPeerConnection } from 'werift';

/**
 * The UDP socket of a viewer's nominated ICE pair, without the cost Node's `dgram` adds to
 * every send to an address: a `dns.lookup` of what is already an IP (a `net.isIP` regular
 * expression and a `process.nextTick` per datagram), and in the kernel a route lookup per
 * `sendmsg`. Decision 0014 measured a send at 3.6 µs to an address against 1.8 µs on a
 * connected socket.
 *
 * Two things, on werift's `UdpTransport` (one socket per local candidate, owned by one peer
 * connection, kept across ICE restarts):
 *
 * - the socket's handle resolves IP literals synchronously (anything else still goes to
 *   `dns.lookup`), which also makes `connect()` to an IP synchronous;
 * - the socket is `connect()`ed to the nominated pair's remote address ("pinned") and the
 *   relay's packets go without an address. werift's own sends (STUN consent, DTLS, RTCP,
 *   its NACK retransmissions) pass one, in the `send(data, port, address)` form, which a
 *   connected socket does not refuse but silently sends to its peer, whatever the address
 *   (only the form with offset and length throws `ERR_SOCKET_DGRAM_IS_CONNECTED`). So the
 *   transport's `send` is wrapped: to the pinned address it sends without one; to any other
 *   it unpins first and stays unpinned for {@link HOLD_MS}, because a connected socket also
 *   drops datagrams from other addresses (an ICE check's answer from another candidate).
 *   An ICE restart unpins too ({@link unpinPeer}): the viewer's new checks may come from a
 *   new address.
 *
 * A connected UDP socket reports ICMP "port unreachable" (the viewer went away) as an
 * `error` event, which werift does not listen for; the pin listens, so the process does not
 * die of it, and werift's consent checks end the connection as they would have.
 *
 * Where Node's internals are not as expected, nothing is pinned and the packet goes to the
 * address as before.
 */

/** How long a socket stays unpinned after a send elsewhere or an ICE restart. */
export const HOLD_MS = 5000;

/** werift's `UdpTransport` (common/src/transport.js), the parts used here. */
export interface UdpTransportLike {
  type?: string;
  closed?: boolean;
  socket?: Socket;
  send(data: Buffer, addr?: readonly [string, number]): Promise<void>;
}

type LookupCallback = (err: Error | null, address: string, family?: number) => void;

/** Node's UDP handle: `lookup` is set per socket by `dgram` (lib/dgram.js `newHandle`). */
interface UdpHandle {
  lookup?: (address: string, callback: LookupCallback) => void;
}

export class UdpPath {
  private host: string | undefined;
  private port = 0;
  private holdUntil = 0;
  /** Whether the handle's lookup was replaced, which makes `connect()` synchronous. */
  private readonly canPin: boolean;

  constructor(
    readonly transport: UdpTransportLike,
    private readonly socket: Socket,
  ) {
    this.canPin = syncLookup(socket);
    const original = transport.send.bind(transport);
    transport.send = (data, addr) => {
      if (this.host !== undefined) {
        // werift sends to the last sender's address when it passes none: the pinned one.
        if (!addr || (addr[1] === this.port && addr[0] === this.host)) {
          socket.send(data);
          return Promise.resolve();
        }
        this.unpin(HOLD_MS);
      }
      return original(data, addr);
    };
    socket.on('error', () => {
      // ICMP errors on a connected socket (ECONNREFUSED): the viewer is gone or moved;
      // consent freshness (RFC 7675) ends its connection.
    });
  }

  /** Whether the socket is connected to this address now. */
  isPinnedTo(host: string, port: number): boolean {
    return this.host === host && this.port === port;
  }

  /**
   * Sends one datagram of `parts` to the pair's remote address, pinning to it when it may.
   * True when it went on the pinned socket.
   */
  send(parts: Buffer[], host: string, port: number): boolean {
    if (this.host !== host || this.port !== port) {
      if (this.host !== undefined) this.unpin(HOLD_MS);
      if (
        !this.canPin ||
        this.transport.closed ||
        Date.now() < this.holdUntil ||
        !this.pin(host, port)
      ) {
        this.socket.send(parts, port, host);
        return false;
      }
    }
    this.socket.send(parts);
    return true;
  }

  /** Disconnects the socket; the next `holdMs` of sends go to the address. */
  unpin(holdMs: number): void {
    this.holdUntil = Date.now() + holdMs;
    if (this.host === undefined) return;
    this.host = undefined;
    try {
      this.socket.disconnect();
    } catch {
      // Closed meanwhile.
    }
  }

  private pin(host: string, port: number): boolean {
    try {
      this.socket.connect(port, host);
      // Synchronous with the lookup above; anything else would leave sends in a race.
      const remote = this.socket.remoteAddress();
      if (remote.port !== port) throw new Error('connected elsewhere');
    } catch {
      this.holdUntil = Infinity;
      return false;
    }
    this.host = host;
    this.port = port;
    return true;
  }
}

const paths = new WeakMap<UdpTransportLike, UdpPath>();

/** The path of a werift UDP transport (made on first use), or null for anything else. */
export function udpPathOf(transport: UdpTransportLike): UdpPath | null {
  let path = paths.get(transport);
  if (path) return path;
  if (transport.type !== 'udp' || transport.closed || !transport.socket) return null;
  path = new UdpPath(transport, transport.socket);
  paths.set(transport, path);
  return path;
}

/** Unpins every socket of a peer connection, e.g. before an ICE restart. */
export function unpinPeer(pc: RTCPeerConnection, holdMs = HOLD_MS): void {
  for (const ice of pc.iceTransports) {
    const protocols = (ice.connection as unknown as { protocols?: Array<{ transport?: unknown }> })
      .protocols;
    for (const protocol of protocols ?? []) {
      const path = paths.get(protocol.transport as UdpTransportLike);
      path?.unpin(holdMs);
    }
  }
}

/**
 * Makes the socket's handle resolve IP literals at once. `dgram` keeps the resolver on the
 * handle, behind a symbol of its own; found by its description. False when not found.
 */
function syncLookup(socket: Socket): boolean {
  const symbol = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const handle = symbol
    ? (socket as unknown as Record<symbol, { handle?: UdpHandle } | undefined>)[symbol]?.handle
    : undefined;
  if (!handle || typeof handle.lookup !== 'function') return false;
  const family = socket.address().family === 'IPv6' ? 6 : 4;
  const fallback = handle.lookup;
  handle.lookup = (address, callback) => {
    if (isIP(address) === family) callback(null, address, family);
    else fallback.call(handle, address, callback);
  };
  return true;
}
