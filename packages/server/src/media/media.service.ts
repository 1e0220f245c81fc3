import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RtpPacket } from 'werift';
import { AppError } from '@cunbo/shared';
import { DEFAULT_WEBRTC, type Config } from '../config.ts';
import type { DomainEventBus } from '../lib/domain-events.ts';
import type { Actor, AccountsService } from '../modules/accounts/accounts.service.ts';
import type { LivesService } from '../modules/lives/lives.service.ts';
import { createHls } from './hls/hls.service.ts';
import { createPeerConnection, PeerSession, type PeerRole } from './peer.ts';
import {
  DEFAULT_RELAY_OPTIONS,
  LiveRelay,
  type ExternalSource,
  type PublisherRtp,
  type RelayOptions,
  type RelayStats,
} from './relay.ts';
import {
  checkOffer,
  narrowOffer,
  parseFragment,
  type MediaKind,
  type NegotiatedCodec,
} from './sdp.ts';
import { RemotePeerSession, ViewerPool } from './workers/viewer-pool.ts';

/** How long a player sent to HLS waits before it tries WebRTC again. */
export const RETRY_AFTER_SECONDS = 30;

export interface MediaCredentials {
  /** `Authorization: Bearer` as sent: a session token, or (WHIP) the live's stream key. */
  bearer?: string;
  /** Resolved from the session cookie, when there was no bearer. */
  actor: Actor | null;
}

/** A non-WebRTC publisher (an RTMP encoder) attached to a live's relay. */
export interface ExternalPublisher {
  liveId: string;
  /** Feeds one RTP packet of the given kind, as if a WHIP publisher had sent it. */
  push(kind: MediaKind, packet: RtpPacket): void;
  /** The encoder stopped: the stream goes offline. */
  stop(): void;
}

export interface SessionAnswer {
  sessionId: string;
  sdp: string;
  etag: string;
}

export type PatchResult =
  { status: 204; etag: string } | { status: 200; etag: string; fragment: string };

interface Session {
  id: string;
  liveId: string;
  role: PeerRole;
  /** Remote: a WHEP viewer whose peer connection lives in a viewer worker. */
  peer: PeerSession | RemotePeerSession;
  etag: string;
}

interface Logger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

const newEtag = () => `"${randomBytes(9).toString('base64url')}"`;
const digest = (s: string) => createHash('sha256').update(s).digest();
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/**
 * WHIP ingest and WHEP playback: who may publish or watch which live, the sessions their
 * Location URLs name, and one relay (`relay.ts`) per live.
 */
export function createMedia(deps: {
  config: Config;
  lives: LivesService;
  accounts: AccountsService;
  events: DomainEventBus;
  log: Logger;
  relayOptions?: Partial<RelayOptions>;
}) {
  const { lives, accounts, events, log } = deps;
  const webrtc = deps.config.webrtc ?? DEFAULT_WEBRTC;
  const relayOptions = { ...DEFAULT_RELAY_OPTIONS, ...deps.relayOptions };
  const relays = new Map<string, LiveRelay>();
  const sessions = new Map<string, Session>();
  const taps = new Map<string, Set<(rtp: PublisherRtp) => void>>();
  let closing = false;

  // Viewers' peer connections in worker threads (decision 0015); none: all in this thread.
  const pool =
    (webrtc.workers ?? 0) > 0
      ? new ViewerPool(
          webrtc.workers!,
          {
            webrtc,
            viewerConnectTimeoutMs: relayOptions.viewerConnectTimeoutMs,
            keyframeRetryMs: Math.min(1000, relayOptions.mediaTimeoutMs / 2),
          },
          {
            onStarted: (id, liveId) => relays.get(liveId)?.remoteViewerStarted(id),
            onKeyframeRequest: (liveId) => relays.get(liveId)?.requestKeyframe(true),
            onGone: (id, reason) => {
              const s = sessions.get(id);
              if (!s) return;
              log.debug({ liveId: s.liveId, viewer: id, reason }, 'viewer gone');
              sessions.delete(id);
              relays.get(s.liveId)?.removeViewer(id);
              dropIfIdle(s.liveId);
            },
            log,
          },
        )
      : null;

  function relayFor(liveId: string): LiveRelay {
    let relay = relays.get(liveId);
    if (!relay) {
      const liveTaps = () => taps.get(liveId);
      relay = new LiveRelay(
        liveId,
        {
          onState: (state) => {
            if (!closing) events.emit('live.stream', { liveId, state });
          },
          tap: () => {
            const set = liveTaps();
            if (!set || set.size === 0) return undefined;
            return (rtp) => {
              for (const handler of set) {
                try {
                  handler(rtp);
                } catch (err) {
                  log.warn({ err, liveId }, 'publisher RTP subscriber failed');
                }
              }
            };
          },
          onPeerGone: (id) => {
            sessions.delete(id);
            dropIfIdle(liveId);
          },
          log,
        },
        relayOptions,
        pool,
      );
      relays.set(liveId, relay);
    }
    return relay;
  }

  function dropIfIdle(liveId: string): void {
    const relay = relays.get(liveId);
    if (relay?.isIdle && ![...sessions.values()].some((s) => s.liveId === liveId)) {
      relays.delete(liveId);
      void relay.close(true);
    }
  }

  async function findLive(liveId: string) {
    const info = await lives.roomInfo(liveId);
    if (!info) throw new AppError('NOT_FOUND', 'Live show not found', 404);
    return info;
  }

  async function actorOf(creds: MediaCredentials): Promise<Actor | null> {
    if (creds.bearer) return accounts.authenticate(creds.bearer);
    return creds.actor;
  }

  function session(liveId: string, role: PeerRole, sessionId: string): Session {
    const found = sessions.get(sessionId);
    if (!found || found.liveId !== liveId || found.role !== role)
      throw new AppError('NOT_FOUND', 'No such session', 404);
    return found;
  }

  async function negotiate(role: PeerRole, liveId: string, offer: string): Promise<SessionAnswer> {
    checkOffer(offer, role);
    // A viewer gets the publisher's codecs (or the last publisher's, while the host reconnects).
    const narrowed = narrowOffer(offer, role, role === 'viewer' ? relayFor(liveId).codecs : {});
    if (role === 'viewer' && pool) return negotiateInWorker(pool, liveId, narrowed);
    const pc = createPeerConnection(role, webrtc);
    if (role === 'viewer') {
      for (const kind of ['audio', 'video'] as const)
        if (narrowed.codecs[kind]) pc.addTransceiver(kind, { direction: 'sendonly' });
    }
    const peer = new PeerSession(pc, role === 'viewer' ? 'server' : 'auto');
    const s: Session = {
      id: randomBytes(16).toString('base64url'),
      liveId,
      role,
      peer,
      etag: newEtag(),
    };
    // Counted from now, so concurrent joins cannot overshoot the viewer limits.
    sessions.set(s.id, s);
    try {
      const sdp = await peer.answer(narrowed.sdp);
      if (closing || !sessions.has(s.id))
        throw new AppError('CONFLICT', 'The stream was closed meanwhile', 409);
      const relay = relayFor(liveId);
      if (role === 'publisher') relay.setPublisher(s.id, pc, narrowed.codecs);
      else relay.addViewer(s.id, pc, narrowed.codecs);
      return { sessionId: s.id, sdp, etag: s.etag };
    } catch (err) {
      sessions.delete(s.id);
      await s.peer.close();
      dropIfIdle(liveId);
      throw err;
    }
  }

  /** A viewer negotiated by a worker, which keeps its peer connection; the session stays here. */
  async function negotiateInWorker(
    pool: ViewerPool,
    liveId: string,
    narrowed: ReturnType<typeof narrowOffer>,
  ): Promise<SessionAnswer> {
    const id = randomBytes(16).toString('base64url');
    const s: Session = {
      id,
      liveId,
      role: 'viewer',
      peer: new RemotePeerSession(pool, id, liveId, narrowed.sdp),
      etag: newEtag(),
    };
    // Counted from now, so concurrent joins cannot overshoot the viewer limits.
    sessions.set(id, s);
    try {
      const sdp = await pool.addViewer(id, liveId, narrowed.sdp, narrowed.codecs);
      if (closing || !sessions.has(id))
        throw new AppError('CONFLICT', 'The stream was closed meanwhile', 409);
      relayFor(liveId).addRemoteViewer(id, narrowed.codecs);
      return { sessionId: id, sdp, etag: s.etag };
    } catch (err) {
      sessions.delete(id);
      await s.peer.close();
      dropIfIdle(liveId);
      throw err;
    }
  }

  events.on('live.ended', async ({ liveId }) => {
    for (const s of sessions.values()) if (s.liveId === liveId) sessions.delete(s.id);
    const relay = relays.get(liveId);
    relays.delete(liveId);
    await relay?.close();
  });
  // A deleted show (never on air then) may still have the host's preview publishing.
  events.on('live.deleted', async ({ liveId }) => {
    for (const s of sessions.values()) if (s.liveId === liveId) sessions.delete(s.id);
    const relay = relays.get(liveId);
    relays.delete(liveId);
    await relay?.close();
  });

  const media = {
    /**
     * WHIP: the host (session) or their encoder (stream key) publishes. A new publisher
     * replaces the current one.
     */
    async publish(liveId: string, creds: MediaCredentials, offer: string): Promise<SessionAnswer> {
      const { live, hostUserId } = await findLive(liveId);
      const byStreamKey = creds.bearer !== undefined && sameSecret(creds.bearer, live.streamKey);
      if (!byStreamKey) {
        const actor = await actorOf(creds);
        if (!actor)
          throw new AppError('UNAUTHENTICATED', 'Publish with your login or the stream key', 401);
        if (actor.user.id !== hostUserId)
          throw new AppError('FORBIDDEN', 'This live show is not yours', 403);
      }
      if (live.status === 'ended')
        throw new AppError('LIVE_NOT_LIVE', 'This show has ended', 409, { status: live.status });
      const answer = await negotiate('publisher', liveId, offer);
      log.info({ liveId, session: answer.sessionId, byStreamKey }, 'publisher joined');
      return answer;
    },

    /** The live an encoder may publish to with this stream key: null if unknown or ended. */
    async liveForStreamKey(streamKey: string): Promise<string | null> {
      const found = await lives.findByStreamKey(streamKey);
      return found && found.status !== 'ended' ? found.id : null;
    },

    /**
     * A publisher that is not a WebRTC peer (RTMP, `rtmp/`), authorised by the live's stream
     * key alone. Like a WHIP publisher it replaces the current one, and the relay's state
     * (`live.stream`) follows its packets. Null for an unknown key or an ended show.
     */
    async publishExternal(
      streamKey: string,
      codecs: Partial<Record<MediaKind, NegotiatedCodec>>,
      source: ExternalSource,
    ): Promise<ExternalPublisher | null> {
      const found = await lives.findByStreamKey(streamKey);
      if (!found || found.status === 'ended' || closing) return null;
      const liveId = found.id;
      const id = `ext-${randomBytes(12).toString('base64url')}`;
      const relay = relayFor(liveId);
      const push = relay.setExternalPublisher(id, codecs, source);
      log.info({ liveId, publisher: id, codecs: Object.keys(codecs) }, 'external publisher joined');
      return {
        liveId,
        push,
        stop() {
          relay.removePublisher(id);
          dropIfIdle(liveId);
        },
      };
    },

    /**
     * WHEP: anyone watches a live show; the host may also watch it before it starts. Before
     * the publisher is there, the viewer is answered anyway and receives from its first
     * keyframe: no second round trip when the host goes on air.
     */
    async play(liveId: string, creds: MediaCredentials, offer: string): Promise<SessionAnswer> {
      const { live, hostUserId } = await findLive(liveId);
      if (live.status !== 'live') {
        const actor = live.status === 'scheduled' ? await actorOf(creds).catch(() => null) : null;
        if (!actor || actor.user.id !== hostUserId) {
          throw new AppError(
            'LIVE_NOT_LIVE',
            live.status === 'ended' ? 'This show has ended' : 'This show has not started yet',
            409,
            { status: live.status },
          );
        }
      }
      const viewers = [...sessions.values()].filter((s) => s.role === 'viewer');
      const here = viewers.filter((s) => s.liveId === liveId).length;
      if (here >= webrtc.viewersPerLive || viewers.length >= webrtc.viewersPerNode) {
        throw new AppError(
          'SERVICE_UNAVAILABLE',
          'Too many WebRTC viewers right now; watch over HLS',
          503,
          {
            fallback: 'hls',
            retryAfterSeconds: RETRY_AFTER_SECONDS,
            limit: here >= webrtc.viewersPerLive ? 'live' : 'node',
          },
        );
      }
      return negotiate('viewer', liveId, offer);
    },

    /** Trickle ICE and ICE restarts (RFC 9725 §4.3). */
    async patch(
      role: PeerRole,
      liveId: string,
      sessionId: string,
      ifMatch: string | undefined,
      body: string,
    ): Promise<PatchResult> {
      const s = session(liveId, role, sessionId);
      const fragment = parseFragment(body);
      if (s.peer.isRestart(fragment)) {
        if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== s.etag) {
          throw new AppError(
            'PRECONDITION_FAILED',
            'The ICE session changed; restart with If-Match: *',
            412,
          );
        }
        const local = await s.peer.restartIce(fragment);
        s.etag = newEtag();
        return { status: 200, etag: s.etag, fragment: local };
      }
      if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== s.etag) {
        throw new AppError(
          'PRECONDITION_FAILED',
          'These candidates belong to an older ICE session',
          412,
          { etag: s.etag },
        );
      }
      await s.peer.addCandidates(fragment);
      return { status: 204, etag: s.etag };
    },

    /** DELETE on the session URL: the publisher stops, or the viewer leaves. */
    async stop(role: PeerRole, liveId: string, sessionId: string): Promise<void> {
      const s = session(liveId, role, sessionId);
      sessions.delete(s.id);
      const relay = relays.get(liveId);
      if (role === 'publisher') relay?.removePublisher(s.id);
      else relay?.removeViewer(s.id);
      if (!relay?.hasPeer(s.id)) await s.peer.close();
      dropIfIdle(liveId);
    },

    /**
     * Every RTP packet the live's publisher sends, whoever publishes (for the HLS packager,
     * recorder and thumbnails). The packet is shared: copy what you keep. Returns the
     * unsubscribe function.
     */
    onPublisherRtp(liveId: string, handler: (rtp: PublisherRtp) => void): () => void {
      let set = taps.get(liveId);
      if (!set) taps.set(liveId, (set = new Set()));
      set.add(handler);
      return () => {
        set.delete(handler);
        if (set.size === 0) taps.delete(liveId);
      };
    },

    /** Asks the live's publisher for a keyframe now (a recorder starting a segment). */
    requestKeyframe(liveId: string): void {
      relays.get(liveId)?.requestKeyframe(true);
    },

    /** The viewer workers (none when MEDIA_WORKERS is 0). */
    workers: pool,

    stats(liveId?: string): {
      sessions: number;
      viewers: number;
      lives: Record<string, RelayStats>;
    } {
      const out: Record<string, RelayStats> = {};
      for (const [id, relay] of relays) if (!liveId || id === liveId) out[id] = relay.stats();
      return {
        sessions: sessions.size,
        viewers: [...sessions.values()].filter((s) => s.role === 'viewer').length,
        lives: out,
      };
    },

    /** Closes every peer connection (app shutdown). */
    async close(): Promise<void> {
      closing = true;
      await hls.close();
      sessions.clear();
      const all = [...relays.values()];
      relays.clear();
      await Promise.allSettled(all.map((r) => r.close(true)));
      await pool?.close();
    },
  };

  // HLS packaging, recording and thumbnails: fed by the publishers' RTP (media/hls).
  const hls = createHls({ config: deps.config, lives, events, log, source: media });
  lives.attachMedia({ hlsLive: (liveId) => hls.isLive(liveId) });
  return Object.assign(media, { hls });
}

export type Media = ReturnType<typeof createMedia>;
