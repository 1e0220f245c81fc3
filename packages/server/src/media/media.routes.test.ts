import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, sellerWithShop, type TestUser } from '../test/factories.ts';
import { createTestApp, type TestApp } from '../test/test-app.ts';
import { offerOf, TestPublisher, TestViewer } from './test-peers.ts';

const SDP = { 'content-type': 'application/sdp' };
const FRAG = { 'content-type': 'application/trickle-ice-sdpfrag' };

describe('WHIP and WHEP routes', () => {
  let t: TestApp;
  let host: TestUser;
  const peers: Array<TestPublisher | TestViewer> = [];

  beforeAll(async () => {
    t = await createTestApp({ webrtc: { viewersPerLive: 2, viewersPerNode: 3, stunUrls: [] } });
    host = (await sellerWithShop(t.app)).seller;
  });
  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await t.close();
  });

  async function newLive(start = true): Promise<{ id: string; streamKey: string }> {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/lives',
      headers: host.auth,
      payload: { title: 'Apples' },
    });
    const live = created.json().live as { id: string; streamKey: string };
    if (start)
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/lives/${live.id}/start`,
        headers: host.auth,
      });
    return live;
  }

  async function publisherOffer(): Promise<string> {
    const p = new TestPublisher();
    peers.push(p);
    return offerOf(p.pc);
  }

  async function viewerOffer(): Promise<string> {
    const v = new TestViewer();
    peers.push(v);
    return offerOf(v.pc);
  }

  const whip = (liveId: string, payload: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${liveId}/whip`,
      headers: { ...SDP, ...headers },
      payload,
    });
  const whep = (liveId: string, payload: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${liveId}/whep`,
      headers: { ...SDP, ...headers },
      payload,
    });

  it('lets the host publish with their login or the stream key, and nobody else', async () => {
    const live = await newLive();
    const offer = await publisherOffer();

    const byLogin = await whip(live.id, offer, host.auth);
    expect(byLogin.statusCode).toBe(201);
    expect(byLogin.headers['content-type']).toBe('application/sdp');
    expect(byLogin.headers.location).toMatch(
      new RegExp(`^/api/v1/lives/${live.id}/whip/[A-Za-z0-9_-]{16,}$`),
    );
    expect(byLogin.headers.etag).toMatch(/^".+"$/);
    expect(byLogin.body).toMatch(/^v=0\r\n/);
    expect(byLogin.body).toContain('a=recvonly');
    expect(byLogin.body).toMatch(/a=candidate:/);

    const byKey = await whip(live.id, offer, { authorization: `Bearer ${live.streamKey}` });
    expect(byKey.statusCode).toBe(201);
    expect(byKey.headers.location).not.toBe(byLogin.headers.location);

    const { seller: other } = await sellerWithShop(t.app);
    const buyer = await registerUser(t.app, 'buyer');
    const otherLive = await newLive();
    expect((await whip(live.id, offer, other.auth)).statusCode).toBe(403);
    expect((await whip(live.id, offer, buyer.auth)).statusCode).toBe(403);
    const none = await whip(live.id, offer);
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('UNAUTHENTICATED');
    expect(
      (await whip(live.id, offer, { authorization: 'Bearer not-a-key-nor-a-token' })).statusCode,
    ).toBe(401);
    expect(
      (await whip(live.id, offer, { authorization: `Bearer ${otherLive.streamKey}` })).statusCode,
    ).toBe(401);
    expect((await whip('00000000-0000-4000-8000-000000000000', offer, host.auth)).statusCode).toBe(
      404,
    );
  });

  it('needs the CSRF token when the host publishes with the web session cookie', async () => {
    const live = await newLive();
    const cookies = { cunbo_session: host.token };
    const url = `/api/v1/lives/${live.id}/whip`;
    const offer = await publisherOffer();
    const forged = await t.app.inject({
      method: 'POST',
      url,
      headers: SDP,
      cookies,
      payload: offer,
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().error.code).toBe('CSRF_FAILED');
    const { csrfToken } = (
      await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: host.auth })
    ).json();
    const ok = await t.app.inject({
      method: 'POST',
      url,
      headers: { ...SDP, 'x-csrf-token': csrfToken },
      cookies,
      payload: offer,
    });
    expect(ok.statusCode).toBe(201);
    // The session URL is the credential for DELETE, cookie or not.
    expect(
      (await t.app.inject({ method: 'DELETE', url: ok.headers.location as string, cookies }))
        .statusCode,
    ).toBe(200);
  });

  it('rejects unusable offers and bodies, naming the problem', async () => {
    const live = await newLive();
    const bad = await whip(live.id, 'hello', host.auth);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_SDP');
    const viewerShaped = await whip(live.id, await viewerOffer(), host.auth);
    expect(viewerShaped.statusCode).toBe(400);
    expect(viewerShaped.json().error.details.reason).toMatch(/does not send/);
    const pcmu = (await publisherOffer()).replace(/opus\/48000\/2/g, 'PCMU/8000');
    const unsupported = await whip(live.id, pcmu, host.auth);
    expect(unsupported.statusCode).toBe(422);
    expect(unsupported.json().error).toMatchObject({
      code: 'UNSUPPORTED_CODEC',
      details: { kind: 'audio' },
    });

    const asJson = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/whip`,
      headers: host.auth,
      payload: { sdp: 'v=0' },
    });
    expect(asJson.statusCode).toBe(415);
    expect(asJson.json().error).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      details: { expected: 'application/sdp' },
    });
    const odd = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/whip`,
      headers: { ...host.auth, 'content-type': 'video/x-flv' },
      payload: 'v=0',
    });
    expect(odd.statusCode).toBe(415);
    const huge = await whip(live.id, `v=0\r\n${'a=x\r\n'.repeat(20_000)}`, host.auth);
    expect(huge.statusCode).toBe(413);
  });

  it('refuses to publish or play a show that has ended', async () => {
    const live = await newLive();
    await t.app.inject({ method: 'POST', url: `/api/v1/lives/${live.id}/end`, headers: host.auth });
    const res = await whip(live.id, await publisherOffer(), {
      authorization: `Bearer ${live.streamKey}`,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'LIVE_NOT_LIVE', details: { status: 'ended' } });
    expect((await whep(live.id, await viewerOffer())).statusCode).toBe(409);
  });

  it('lets the host, and only the host, watch a show that has not started', async () => {
    const live = await newLive(false);
    const offer = await viewerOffer();
    const anonymous = await whep(live.id, offer);
    expect(anonymous.statusCode).toBe(409);
    expect(anonymous.json().error.details).toEqual({ status: 'scheduled' });
    const preview = await whep(live.id, offer, host.auth);
    expect(preview.statusCode).toBe(201);
    await t.app.inject({ method: 'DELETE', url: preview.headers.location as string });
  });

  it('plays to anonymous viewers, then sends the next ones to HLS with Retry-After', async () => {
    const live = await newLive();
    const first = await whep(live.id, await viewerOffer());
    expect(first.statusCode).toBe(201);
    expect(first.headers['content-type']).toBe('application/sdp');
    expect(first.headers.location).toMatch(new RegExp(`^/api/v1/lives/${live.id}/whep/`));
    expect(first.body).toContain('a=sendonly');
    expect((await whep(live.id, await viewerOffer())).statusCode).toBe(201);

    const full = await whep(live.id, await viewerOffer());
    expect(full.statusCode).toBe(503);
    expect(full.headers['retry-after']).toBe('30');
    expect(full.json().error).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      details: { fallback: 'hls', limit: 'live' },
    });

    // Two on this live and one elsewhere fill the node (3).
    const other = await newLive();
    expect((await whep(other.id, await viewerOffer())).statusCode).toBe(201);
    const nodeFull = await whep(other.id, await viewerOffer());
    expect(nodeFull.statusCode).toBe(503);
    expect(nodeFull.json().error.details).toMatchObject({ fallback: 'hls', limit: 'node' });

    // A viewer leaving frees a place.
    expect(
      (await t.app.inject({ method: 'DELETE', url: first.headers.location as string })).statusCode,
    ).toBe(200);
    expect((await whep(other.id, await viewerOffer())).statusCode).toBe(201);
  });

  it('takes trickled candidates and end-of-candidates, honours If-Match, and stops on DELETE', async () => {
    const live = await newLive();
    const res = await whip(live.id, await publisherOffer(), host.auth);
    const location = res.headers.location as string;
    const etag = res.headers.etag as string;
    expect(t.app.media.stats(live.id).lives[live.id]).toMatchObject({ hasPublisher: true });

    const candidate = 'a=candidate:1 1 udp 2113937151 192.0.2.10 50000 typ host';
    const trickle = await t.app.inject({
      method: 'PATCH',
      url: location,
      headers: { ...FRAG, 'if-match': etag },
      payload: `a=mid:0\r\n${candidate}\r\n`,
    });
    expect(trickle.statusCode).toBe(204);
    expect(trickle.headers.etag).toBe(etag);
    const done = await t.app.inject({
      method: 'PATCH',
      url: location,
      headers: { ...FRAG, 'if-match': etag },
      payload: 'a=end-of-candidates\r\n',
    });
    expect(done.statusCode).toBe(204);
    const stale = await t.app.inject({
      method: 'PATCH',
      url: location,
      headers: { ...FRAG, 'if-match': '"stale"' },
      payload: `${candidate}\r\n`,
    });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().error.code).toBe('PRECONDITION_FAILED');
    const wrongType = await t.app.inject({
      method: 'PATCH',
      url: location,
      headers: SDP,
      payload: `${candidate}\r\n`,
    });
    expect(wrongType.statusCode).toBe(415);
    const garbage = await t.app.inject({
      method: 'PATCH',
      url: location,
      headers: FRAG,
      payload: 'not sdp at all',
    });
    expect(garbage.statusCode).toBe(400);

    expect((await t.app.inject({ method: 'DELETE', url: location })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: location })).statusCode).toBe(404);
    expect(
      (
        await t.app.inject({
          method: 'PATCH',
          url: location,
          headers: FRAG,
          payload: 'a=end-of-candidates\r\n',
        })
      ).statusCode,
    ).toBe(404);
    // A WHIP session is not a WHEP one.
    expect(
      (await t.app.inject({ method: 'DELETE', url: location.replace('/whip/', '/whep/') }))
        .statusCode,
    ).toBe(404);
  });

  it('restarts ICE on new credentials: new ones back, with a new ETag', async () => {
    const live = await newLive();
    const res = await whip(live.id, await publisherOffer(), {
      authorization: `Bearer ${live.streamKey}`,
    });
    const before = /a=ice-ufrag:(\S+)/.exec(res.body)![1];
    const restart = await t.app.inject({
      method: 'PATCH',
      url: res.headers.location as string,
      headers: { ...FRAG, 'if-match': '*' },
      payload:
        'a=ice-ufrag:Zz9q\r\na=ice-pwd:aaaabbbbccccddddeeeeffff\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=candidate:1 1 udp 2113937151 192.0.2.10 50001 typ host\r\n',
    });
    expect(restart.statusCode).toBe(200);
    expect(restart.headers['content-type']).toBe('application/trickle-ice-sdpfrag');
    expect(restart.headers.etag).not.toBe(res.headers.etag);
    const after = /a=ice-ufrag:(\S+)/.exec(restart.body)![1];
    expect(after).not.toBe(before);
    expect(restart.body).toMatch(/a=ice-pwd:\S+/);
    expect(restart.body).toMatch(/^m=audio /m);
    expect(restart.body).toMatch(/a=candidate:/);
  });

  it('answers OPTIONS with what the endpoint accepts', async () => {
    const live = await newLive();
    const res = await t.app.inject({ method: 'OPTIONS', url: `/api/v1/lives/${live.id}/whip` });
    expect(res.statusCode).toBe(204);
    expect(res.headers['accept-post']).toBe('application/sdp');
  });

  it('shows where to play while the show is live, and nothing otherwise', async () => {
    const live = await newLive(false);
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/lives/${live.id}` })).json().live.playback,
    ).toBeNull();
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/start`,
      headers: host.auth,
    });
    const view = (await t.app.inject({ method: 'GET', url: `/api/v1/lives/${live.id}` })).json()
      .live;
    expect(view.playback).toEqual({ whep: `/api/v1/lives/${live.id}/whep`, hls: null });
    await t.app.inject({ method: 'POST', url: `/api/v1/lives/${live.id}/end`, headers: host.auth });
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/lives/${live.id}` })).json().live.playback,
    ).toBeNull();
  });
});
