import type Hls from 'hls.js';
import { useEffect, useImperativeHandle, useRef, useState, type Ref } from 'react';
import { useTranslation } from 'react-i18next';
import { hlsEngine } from './fit.ts';
import { absoluteUrl } from './live-video.tsx';
import './video.css';

export interface ReplayVideoHandle {
  /** Jumps to `at` seconds and plays from there. */
  seek(at: number): void;
}

/**
 * A finished show's recording (HLS VOD): hls.js' light build, loaded only here, or Safari's
 * own player on iPhone/iPad; the browser's controls; starts muted with an unmute button, as
 * the live does.
 */
export function ReplayVideo({
  src,
  label,
  onTime,
  ref,
}: {
  src: string;
  label: string;
  /** The playback position (seconds), on every `timeupdate` and seek. */
  onTime: (seconds: number) => void;
  ref?: Ref<ReplayVideoHandle>;
}) {
  const { t } = useTranslation();
  const videoRef = useRef<HTMLVideoElement>(null);
  const [muted, setMuted] = useState(true);
  const [failed, setFailed] = useState(false);
  const onTimeRef = useRef(onTime);
  useEffect(() => {
    onTimeRef.current = onTime;
  }, [onTime]);

  useImperativeHandle(
    ref,
    () => ({
      seek(at: number) {
        const video = videoRef.current;
        if (!video) return;
        video.currentTime = Math.max(0, at);
        onTimeRef.current(video.currentTime);
        if (video.paused) void video.play().catch(() => undefined);
      },
    }),
    [],
  );

  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    let cancelled = false;
    let hls: Hls | null = null;
    const url = absoluteUrl(src);
    const play = () => void video.play().catch(() => undefined);
    const onError = () => setFailed(true);
    setFailed(false);
    void (async () => {
      const native = video.canPlayType('application/vnd.apple.mpegurl') !== '';
      const appleTouch =
        /iPad|iPhone|iPod/.test(navigator.userAgent) ||
        (navigator.userAgent.includes('Macintosh') && navigator.maxTouchPoints > 1);
      let HlsClass: typeof Hls | null = null;
      if (!(native && appleTouch)) {
        try {
          HlsClass = (await import('hls.js/light')).default;
        } catch {
          HlsClass = null;
        }
      }
      if (cancelled) return;
      const engine = hlsEngine({ native, mse: HlsClass?.isSupported() ?? false, appleTouch });
      if (engine === 'native') {
        video.src = url;
        video.addEventListener('error', onError, { once: true });
        play();
        return;
      }
      if (engine !== 'hlsjs' || !HlsClass) {
        setFailed(true);
        return;
      }
      const h = new HlsClass({ fragLoadingMaxRetry: 6, manifestLoadingMaxRetry: 4 });
      hls = h;
      let recoveries = 0;
      h.on(HlsClass.Events.MANIFEST_PARSED, play);
      h.on(HlsClass.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR && recoveries < 2) {
          recoveries++;
          h.recoverMediaError();
          return;
        }
        setFailed(true);
      });
      h.loadSource(url);
      h.attachMedia(video);
    })();
    return () => {
      cancelled = true;
      hls?.destroy();
      video.removeEventListener('error', onError);
      video.removeAttribute('src');
      video.load();
    };
  }, [src]);

  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const tick = () => onTimeRef.current(video.currentTime);
    const onVolume = () => setMuted(video.muted);
    video.addEventListener('timeupdate', tick);
    video.addEventListener('seeked', tick);
    video.addEventListener('volumechange', onVolume);
    return () => {
      video.removeEventListener('timeupdate', tick);
      video.removeEventListener('seeked', tick);
      video.removeEventListener('volumechange', onVolume);
    };
  }, []);

  const unmute = () => {
    const video = videoRef.current;
    if (!video) return;
    video.muted = false;
    void video.play().catch(() => undefined);
  };

  return (
    <>
      <video
        ref={videoRef}
        className="live-video replay-video"
        playsInline
        muted
        autoPlay
        controls
        preload="auto"
        data-testid="replay-video"
        data-state={failed ? 'failed' : 'playing'}
        aria-label={label}
      />
      {failed && (
        <div className="stage-overlay video-overlay" data-testid="replay-failed">
          <p className="stage-title">{t('replay.failed')}</p>
        </div>
      )}
      {muted && !failed && (
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
    </>
  );
}
