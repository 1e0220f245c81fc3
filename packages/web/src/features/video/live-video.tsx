import type { LiveStatus } from '@cunbo/shared';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { videoFit, type Fit } from './fit.ts';
import { Player } from './player.ts';
import {
  initialPlayerState,
  videoView,
  type HostStream,
  type PlayerState,
} from './player-state.ts';
import './video.css';

/** An absolute URL for a path the API gave (`/api/v1/lives/…/whep`). */
export const absoluteUrl = (url: string) => new URL(url, location.href).toString();

/**
 * The live room's video: WebRTC (WHEP) with HLS as the fallback, muted autoplay with an
 * unmute button, and words over the picture whenever it is not simply playing.
 */
export function LiveVideo({
  whep,
  hls,
  show,
  host,
  label,
  overlay,
}: {
  whep: string | null;
  hls: string | null;
  show: LiveStatus | null;
  /** The room's `stream` state. */
  host: HostStream | null;
  label: string;
  /** False while something else (the room's own state) speaks over the video. */
  overlay: boolean;
}) {
  const { t } = useTranslation();
  const videoRef = useRef<HTMLVideoElement>(null);
  const playerRef = useRef<Player | null>(null);
  const hlsRef = useRef(hls);
  const hostRef = useRef(host);
  const [player, setPlayer] = useState<PlayerState>(initialPlayerState);
  const [muted, setMuted] = useState(true);
  const [fit, setFit] = useState<Fit>('cover');
  const active = show === 'live' && whep !== null;

  useEffect(() => {
    const video = videoRef.current;
    if (!active || !video || !whep) return;
    const p = new Player(
      video,
      { whep: absoluteUrl(whep), hls: hlsUrl(hlsRef.current) },
      setPlayer,
    );
    playerRef.current = p;
    p.setHostStream(hostRef.current);
    p.start();
    const retry = () => p.retryNow();
    const onVisible = () => document.visibilityState === 'visible' && p.retryNow();
    const leave = () => void p.stop({ keepalive: true });
    // Back from the back-forward cache: the session was closed on the way out.
    const back = (e: PageTransitionEvent) => e.persisted && p.start();
    window.addEventListener('online', retry);
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener('pagehide', leave);
    window.addEventListener('pageshow', back);
    return () => {
      window.removeEventListener('online', retry);
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('pagehide', leave);
      window.removeEventListener('pageshow', back);
      playerRef.current = null;
      void p.stop();
    };
  }, [active, whep]);

  useEffect(() => {
    hlsRef.current = hls;
    if (whep) playerRef.current?.setSources({ whep: absoluteUrl(whep), hls: hlsUrl(hls) });
  }, [whep, hls]);

  useEffect(() => {
    hostRef.current = host;
    playerRef.current?.setHostStream(host);
  }, [host]);

  // The picture fills a portrait phone when it is portrait too; otherwise it is shown whole.
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const update = () =>
      setFit(videoFit(video.videoWidth, video.videoHeight, video.clientWidth, video.clientHeight));
    const onVolume = () => setMuted(video.muted);
    video.addEventListener('resize', update);
    video.addEventListener('loadedmetadata', update);
    video.addEventListener('volumechange', onVolume);
    const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(update);
    observer?.observe(video);
    return () => {
      video.removeEventListener('resize', update);
      video.removeEventListener('loadedmetadata', update);
      video.removeEventListener('volumechange', onVolume);
      observer?.disconnect();
    };
  }, []);

  const view = videoView(show, host, active ? player : initialPlayerState);
  const unmute = () => {
    const video = videoRef.current;
    if (!video) return;
    video.muted = false;
    void video.play().catch(() => undefined);
  };
  const speaking = overlay && view !== 'live' && view !== 'hidden' && view !== 'ended';

  return (
    <>
      <video
        ref={videoRef}
        className="live-video"
        style={{ objectFit: fit }}
        playsInline
        muted
        autoPlay
        data-testid="live-video"
        data-state={view}
        data-transport={player.transport ?? ''}
        data-first-frame-ms={player.firstFrameMs ?? ''}
        aria-label={label}
      />
      {speaking && (
        <div
          className={`stage-overlay video-overlay video-${view}`}
          data-testid="video-overlay"
          data-state={view}
        >
          {view !== 'host-offline' && <span className="spinner" aria-hidden="true" />}
          <p className="stage-title">{t(`video.view.${view}`)}</p>
          {(view === 'retrying' || view === 'host-offline' || view === 'host-reconnecting') && (
            <p className="muted">{t(`video.hint.${view}`)}</p>
          )}
        </div>
      )}
      {active && muted && view === 'live' && (
        <button
          type="button"
          className="unmute-button"
          onClick={unmute}
          data-testid="unmute-button"
        >
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
            <path d="M4 9v6h4l5 4V5L8 9H4z" fill="currentColor" />
            <path
              d="M16 9l5 6M21 9l-5 6"
              stroke="currentColor"
              strokeWidth="2"
              strokeLinecap="round"
            />
          </svg>
          {t('video.unmute')}
        </button>
      )}
      {player.transport === 'hls' && view === 'live' && (
        <span className="transport-note" data-testid="video-hls">
          {t('video.hlsMode')}
        </span>
      )}
    </>
  );
}

const hlsUrl = (url: string | null) => (url ? absoluteUrl(url) : null);
