import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { UdpTransport } from 'werift';
import { HOLD_MS, UdpPath, udpPathOf, type UdpTransportLike } from './udp-path.ts';
import { waitFor } from './test-peers.ts';

/** A peer that keeps what it receives, as a viewer's socket would. */
async function listener(): Promise<{ socket: Socket; port: number; got: string[] }> {
  const socket = createSocket('udp4');
  const got: string[] = [];
  socket.on('message', (m) => got.push(m.toString()));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { socket, port: socket.address().port, got };
}

describe('udp path: the nominated pair\u2019s socket, connected', () => {
  const opened: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.close();
  });

  async function transport(): Promise<UdpTransportLike & { close(): Promise<void> }> {
    const t = await UdpTransport.init('udp4', { interfaceAddresses: { udp4: '127.0.0.1' } });
    opened.push(t);
    return t as unknown as UdpTransportLike & { close(): Promise<void> };
  }

  async function peer() {
    const p = await listener();
    opened.push({ close: () => new Promise<void>((r) => p.socket.close(() => r())) });
    return p;
  }

  it('pins the socket to the pair\u2019s address on the first send and sends without one after', async () => {
    const t = await transport();
    const viewer = await peer();
    const path = udpPathOf(t)!;
    expect(path).toBeInstanceOf(UdpPath);
    expect(udpPathOf(t)).toBe(path);
    expect(path.send([Buffer.from('a'), Buffer.from('b')], '127.0.0.1', viewer.port)).toBe(true);
    expect(t.socket!.remoteAddress()).toMatchObject({ address: '127.0.0.1', port: viewer.port });
    expect(path.isPinnedTo('127.0.0.1', viewer.port)).toBe(true);
    expect(path.send([Buffer.from('c')], '127.0.0.1', viewer.port)).toBe(true);
    await waitFor(() => viewer.got.length === 2, 'both datagrams');
    expect(viewer.got).toEqual(['ab', 'c']);
  });

  it('routes werift\u2019s own sends (STUN, DTLS, RTCP, retransmissions) to the pinned address', async () => {
    const t = await transport();
    const viewer = await peer();
    const path = udpPathOf(t)!;
    path.send([Buffer.from('media')], '127.0.0.1', viewer.port);
    // werift passes the address, in a form a connected socket accepts (and ignores).
    await t.send(Buffer.from('stun'), ['127.0.0.1', viewer.port]);
    // werift's default when it passes none: the last sender, which is the pinned one.
    await t.send(Buffer.from('dtls'));
    await waitFor(() => viewer.got.length === 3, 'three datagrams');
    expect(viewer.got).toEqual(['media', 'stun', 'dtls']);
    expect(path.isPinnedTo('127.0.0.1', viewer.port)).toBe(true);
  });

  it('unpins for a send elsewhere and hears the answer from there', async () => {
    const t = await transport();
    const viewer = await peer();
    const other = await peer();
    const path = udpPathOf(t)!;
    const heard: string[] = [];
    t.socket!.on('message', (m) => heard.push(m.toString()));
    path.send([Buffer.from('media')], '127.0.0.1', viewer.port);
    // An ICE check to another candidate: a connected socket would send it to its peer
    // instead (the address ignored) and drop the answer.
    await t.send(Buffer.from('check'), ['127.0.0.1', other.port]);
    expect(path.isPinnedTo('127.0.0.1', viewer.port)).toBe(false);
    await waitFor(() => other.got.length === 1, 'the check');
    other.socket.send('answer', t.socket!.address().port, '127.0.0.1');
    await waitFor(() => heard.includes('answer'), 'the answer from the other address');
    // Held off for a while: media still flows, to the address.
    expect(path.send([Buffer.from('more')], '127.0.0.1', viewer.port)).toBe(false);
    await waitFor(() => viewer.got.includes('more'), 'media while unpinned');
    expect(path.isPinnedTo('127.0.0.1', viewer.port)).toBe(false);
  });

  it('pins again after the hold, to the pair nominated by then', async () => {
    const t = await transport();
    const before = await peer();
    const after = await peer();
    const path = udpPathOf(t)!;
    path.send([Buffer.from('1')], '127.0.0.1', before.port);
    // What an ICE restart does (unpinPeer), without the wait.
    path.unpin(0);
    expect(t.socket!.remoteAddress).toThrow();
    expect(path.send([Buffer.from('2')], '127.0.0.1', after.port)).toBe(true);
    expect(path.isPinnedTo('127.0.0.1', after.port)).toBe(true);
    await waitFor(() => after.got.length === 1 && before.got.length === 1, 'one each');
    path.unpin(HOLD_MS);
    expect(path.send([Buffer.from('3')], '127.0.0.1', after.port)).toBe(false);
    await waitFor(() => after.got.length === 2, 'sent to the address during the hold');
  });

  it('survives the ICMP error a connected socket gets when the viewer is gone', async () => {
    const t = await transport();
    const gone = await listener();
    await new Promise<void>((r) => gone.socket.close(() => r()));
    expect(t.socket!.listenerCount('error')).toBe(0); // werift listens for none
    const path = udpPathOf(t)!;
    // Without the pin's own listener the event below would throw in the process.
    expect(t.socket!.listenerCount('error')).toBe(1);
    const errors: string[] = [];
    t.socket!.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? ''));
    for (let i = 0; i < 3; i++) {
      path.send([Buffer.from('x')], '127.0.0.1', gone.port);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(errors).toContain('ECONNREFUSED');
  });

  it('leaves anything but a werift UDP transport alone', () => {
    expect(udpPathOf({ type: 'tcp', send: async () => undefined })).toBeNull();
  });
});
